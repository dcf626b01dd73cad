-- Tenants, their API keys, the ledger and idempotency records (PostgreSQL).
-- Amounts and times are BIGINT: minor units, and microseconds since the Unix epoch.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    role         TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'readonly')),
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);

-- Account ids are "<tenant id>/<caller's id>". The CHECKs mirror the kernel's limits.
CREATE TABLE ledger_accounts (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    currency         TEXT NOT NULL,
    code             BIGINT NOT NULL,
    flags            BIGINT NOT NULL,
    debits_pending   BIGINT NOT NULL CHECK (debits_pending >= 0),
    debits_posted    BIGINT NOT NULL CHECK (debits_posted >= 0),
    credits_pending  BIGINT NOT NULL CHECK (credits_pending >= 0),
    credits_posted   BIGINT NOT NULL CHECK (credits_posted >= 0),
    created_at       BIGINT NOT NULL,
    CHECK ((flags & 1) = 0 OR debits_pending + debits_posted <= credits_posted),
    CHECK ((flags & 2) = 0 OR credits_pending + credits_posted <= debits_posted)
);

-- Append-only: a correction is a new transfer. A post or void names its pending transfer,
-- and the unique index makes "a pending transfer resolves at most once" a constraint.
CREATE TABLE ledger_transfers (
    id                 TEXT PRIMARY KEY,
    debit_account_id   TEXT NOT NULL,
    credit_account_id  TEXT NOT NULL,
    amount             BIGINT NOT NULL CHECK (amount > 0),
    currency           TEXT NOT NULL,
    code               BIGINT NOT NULL,
    flags              BIGINT NOT NULL,
    pending_id         TEXT,
    timeout_s          BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    CHECK (debit_account_id <> credit_account_id)
);

CREATE UNIQUE INDEX ledger_transfers_pending_id ON ledger_transfers (pending_id)
    WHERE pending_id IS NOT NULL;

-- Pending transfers with a timeout that are not resolved yet: small, whatever the history.
CREATE TABLE ledger_pending_expiries (
    transfer_id  TEXT PRIMARY KEY,
    expires_at   BIGINT NOT NULL
);

CREATE INDEX ledger_pending_expiries_at ON ledger_pending_expiries (expires_at);

-- The first answer to each Idempotency-Key, scoped "<tenant id>/<key>", kept at least 24 h.
CREATE TABLE idempotency_keys (
    scoped_key    TEXT PRIMARY KEY,
    request_hash  TEXT NOT NULL,
    status        BIGINT NOT NULL,
    body          TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
