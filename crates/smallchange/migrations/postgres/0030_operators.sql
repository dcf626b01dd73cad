-- The people who run a tenant's platform and sign in to the console (docs/CONSOLE.md). An
-- email is one operator in the whole deployment (compared in lower case), so the sign-in
-- page needs nothing else. The password is an argon2id PHC string and the authenticator's
-- secret is sealed with the server key; both are empty until the set-up link is used, and
-- emptied again when an admin issues a new link (`credentials_reset_at`).
CREATE TABLE operators (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT,
    totp_sealed TEXT,
    totp_last_step BIGINT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    disabled_at BIGINT
);
CREATE INDEX operators_by_tenant ON operators (tenant_id, email_key);

-- One-time set-up links (15 minutes, once), stored by a keyed hash of their token. The
-- password chosen and the authenticator's secret wait on the link until the code proves
-- the authenticator; then they move to the operator and the link is used.
CREATE TABLE operator_setup_links (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    operator_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    password_hash TEXT,
    totp_sealed TEXT,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX operator_setup_links_by_operator ON operator_setup_links (operator_id);

-- Console sessions, server-side like the wallet's: the browser holds a random token.
CREATE TABLE operator_sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    operator_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX operator_sessions_by_operator ON operator_sessions (operator_id, ended_at);

-- Wrong sign-ins by account (its lower-case email, whether or not it exists) and client
-- address: five from one address lock that pair for 15 minutes; the account's count over
-- every address slows each further try down.
CREATE TABLE operator_sign_in_failures (
    email_key TEXT NOT NULL,
    address TEXT NOT NULL,
    failures BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (email_key, address)
);
