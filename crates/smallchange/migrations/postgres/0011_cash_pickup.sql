-- Cash pickup (PostgreSQL): the agents who pay vouchers out in cash, each with a key of its own,
-- and the voucher issued for each cash-out on the `cash_pickup` rail. Neither the agent's
-- key, the voucher code nor its PIN is stored: only hashes (the code's keyed, so an agent
-- typing it can find the voucher), and the code's last four digits to show it masked.

CREATE TABLE pickup_agents (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

-- One voucher per cash-out; it goes from `issued` to `redeemed`, `locked` (too many wrong
-- PINs) or `expired`, each in the same transaction as its cash-out's status change.
CREATE TABLE pickup_vouchers (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    cashout_id    TEXT NOT NULL UNIQUE,
    code_lookup   TEXT NOT NULL UNIQUE,
    code_last4    TEXT NOT NULL,
    pin_hash      TEXT NOT NULL,
    pin_attempts  BIGINT NOT NULL DEFAULT 0,
    status        TEXT NOT NULL CHECK (status IN ('issued', 'redeemed', 'locked', 'expired')),
    expires_at    BIGINT NOT NULL,
    redeemed_by   TEXT,
    redeemed_at   BIGINT,
    created_at    BIGINT NOT NULL,
    CHECK (status <> 'redeemed' OR (redeemed_by IS NOT NULL AND redeemed_at IS NOT NULL))
);

CREATE INDEX pickup_vouchers_due ON pickup_vouchers (status, expires_at);
