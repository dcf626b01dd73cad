-- Disputes about cash-outs (SQLite): opened for a user, resolved by the operator, an upheld
-- one possibly with an adjustment paid back to the user. `resolving` is the moment between
-- the decision and its money: the worker finishes any dispute left there.

CREATE TABLE disputes (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    cashout_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'resolving', 'upheld', 'rejected')),
    outcome      TEXT,
    note         TEXT,
    adjustment   BIGINT NOT NULL DEFAULT 0 CHECK (adjustment >= 0),
    created_at   BIGINT NOT NULL,
    resolved_at  BIGINT
) WITHOUT ROWID;

CREATE INDEX disputes_cashout ON disputes (cashout_id);

-- One open dispute per cash-out at a time.
CREATE UNIQUE INDEX disputes_one_open ON disputes (cashout_id) WHERE status IN ('open', 'resolving');
