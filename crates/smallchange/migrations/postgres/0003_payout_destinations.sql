-- Where a user's cash-outs may go (PostgreSQL). `details` holds the rail's fields as JSON;
-- `masked` is what is ever shown of them.

CREATE TABLE payout_destinations (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id),
    type         TEXT NOT NULL CHECK (type IN ('bank_account', 'e_wallet', 'cash_pickup')),
    details      TEXT NOT NULL,
    masked       TEXT NOT NULL,
    holder_name  TEXT NOT NULL,
    verified     BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE INDEX payout_destinations_user ON payout_destinations (tenant_id, user_id);
