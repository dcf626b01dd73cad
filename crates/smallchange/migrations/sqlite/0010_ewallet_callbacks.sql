-- E-wallet partner callbacks (SQLite): the partner's word on a payout, kept as received
-- (with the signature that proves it) once the signature checks, and before it is applied.
-- `changed` stays NULL until it is applied, then says whether it moved the cash-out (0 for
-- a repeat of a callback applied before).

CREATE TABLE ewallet_callbacks (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    cashout_id  TEXT NOT NULL,
    body        TEXT NOT NULL,
    signature   TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    changed     BIGINT CHECK (changed IN (0, 1))
) WITHOUT ROWID;

CREATE INDEX ewallet_callbacks_cashout ON ewallet_callbacks (tenant_id, cashout_id, id);
