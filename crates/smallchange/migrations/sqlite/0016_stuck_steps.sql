-- A worker step that failed and when it may be tried again: failing again and again, it
-- backs off, and past a few failures it is reported once (`cashout.stuck`). The row goes
-- when the step succeeds.
CREATE TABLE stuck_steps (
    step             TEXT NOT NULL,
    subject_id       TEXT NOT NULL,
    tenant_id        TEXT NOT NULL,
    failures         BIGINT NOT NULL,
    first_failed_at  BIGINT NOT NULL,
    retry_at         BIGINT NOT NULL,
    last_error       TEXT NOT NULL,
    alerted_at       BIGINT,
    PRIMARY KEY (step, subject_id)
) WITHOUT ROWID;
