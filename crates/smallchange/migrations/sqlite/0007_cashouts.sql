-- Cash-outs (SQLite): binding quotes, the cash-outs made from them with their state and
-- timeline, and the development SMS outbox. The money (holds, their release or payment)
-- is in the ledger; `hold_state` says which of those has been written for a cash-out.

CREATE TABLE cashout_quotes (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    destination_id  TEXT NOT NULL,
    rail            TEXT NOT NULL,
    speed           TEXT NOT NULL,
    currency        TEXT NOT NULL,
    gross           BIGINT NOT NULL CHECK (gross > 0),
    fees            TEXT NOT NULL,
    fee             BIGINT NOT NULL CHECK (fee >= 0),
    net             BIGINT NOT NULL CHECK (net > 0),
    sources         TEXT NOT NULL,
    eta_s           BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    CHECK (gross = fee + net)
) WITHOUT ROWID;

CREATE TABLE cashouts (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    quote_id        TEXT NOT NULL UNIQUE,
    destination_id  TEXT NOT NULL,
    rail            TEXT NOT NULL,
    speed           TEXT NOT NULL,
    currency        TEXT NOT NULL,
    gross           BIGINT NOT NULL,
    fees            TEXT NOT NULL,
    fee             BIGINT NOT NULL,
    net             BIGINT NOT NULL,
    sources         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('awaiting_confirmation', 'in_review', 'processing',
                        'in_transit', 'paid', 'failed', 'canceled', 'expired')),
    hold_state      TEXT NOT NULL CHECK (hold_state IN ('held', 'released', 'settled')),
    otp_channel     TEXT NOT NULL,
    otp_hash        TEXT,
    otp_attempts    BIGINT NOT NULL DEFAULT 0,
    confirm_by      BIGINT NOT NULL,
    risk_decision   TEXT,
    risk_reasons    TEXT,
    rail_reference  TEXT,
    failure_reason  TEXT,
    confirmed_at    BIGINT,
    submitted_at    BIGINT,
    paid_at         BIGINT,
    sla_alerted_at  BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CHECK (gross = fee + net)
) WITHOUT ROWID;

CREATE INDEX cashouts_user ON cashouts (tenant_id, user_id, created_at);
CREATE INDEX cashouts_status ON cashouts (status, updated_at);

-- Every status a cash-out passed through, with when and why.
CREATE TABLE cashout_events (
    cashout_id  TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    status      TEXT NOT NULL,
    note        TEXT,
    at          BIGINT NOT NULL,
    PRIMARY KEY (cashout_id, seq)
) WITHOUT ROWID;

-- One-time codes sent by SMS when no gateway is configured (development and --demo).
CREATE TABLE sms_outbox (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    phone       TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
) WITHOUT ROWID;

CREATE INDEX sms_outbox_tenant ON sms_outbox (tenant_id, id);

-- The last TOTP step a user confirmed with: a code is accepted once (RFC 6238 §5.2).
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
