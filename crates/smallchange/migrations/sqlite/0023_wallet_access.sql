-- The web wallet's ways in (/wallet/): one-time links an operator makes for a user, codes
-- sent by SMS to sign in with a phone number, and the sessions either opens. Secrets (the
-- link token, the session cookie, the code) are stored only as keyed hashes.

CREATE TABLE wallet_links (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    tenant_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    -- Who made it (api_key:key_…).
    actor        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);

CREATE TABLE wallet_sign_in_codes (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    phone        TEXT NOT NULL,
    -- NULL when no user has this phone: the person is answered the same, and no code is sent.
    user_id      TEXT,
    code_hash    TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);

CREATE TABLE wallet_sessions (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    tenant_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    -- How it was opened: `link` (wlk_…) or `phone` (a sign-in code).
    opened_by    TEXT NOT NULL,
    -- The browser, as it named itself, cut short: shown in the user's list of sessions.
    user_agent   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ended_at     BIGINT
);

CREATE INDEX wallet_sessions_user ON wallet_sessions (tenant_id, user_id, created_at);

-- Phone sign-in finds the user by phone number.
CREATE INDEX users_phone ON users (tenant_id, phone);
