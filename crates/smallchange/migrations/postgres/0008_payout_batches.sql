-- Bank payout batches (PostgreSQL): cash-outs on the bank-transfer rail are gathered into a
-- batch, written as one ISO 20022 pain.001 file for the operator's bank; the bank's
-- status reports (pain.002, camt.054) then mark each payment paid or failed.

CREATE TABLE payout_batches (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    rail        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE INDEX payout_batches_tenant ON payout_batches (tenant_id, rail, id);

CREATE TABLE payout_batch_items (
    cashout_id  TEXT PRIMARY KEY,
    batch_id    TEXT NOT NULL,
    amount      BIGINT NOT NULL
);

CREATE INDEX payout_batch_items_batch ON payout_batch_items (batch_id);
