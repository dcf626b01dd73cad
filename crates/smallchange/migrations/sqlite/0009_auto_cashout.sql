-- Auto-cash-out settings per user (SQLite): when what the user may withdraw reaches the
-- threshold, a cash-out to the saved destination is created.

CREATE TABLE auto_cashouts (
    tenant_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    enabled         BIGINT NOT NULL,
    threshold       BIGINT NOT NULL,
    destination_id  TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
) WITHOUT ROWID;

CREATE INDEX auto_cashouts_enabled ON auto_cashouts (enabled);
