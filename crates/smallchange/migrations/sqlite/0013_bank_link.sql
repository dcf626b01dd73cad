-- The bank rail's batches close, and may travel over HTTP (SQLite).

-- A batch is closed once every payment of its gathering is in it: only closed batches are
-- listed, downloaded or uploaded, so no one sends a bank half a batch. When the bank is
-- reached over HTTP, `uploaded_at` says when it took the file, or `upload_error` why not.
-- `pain001` is the file as written when the batch closed: every download and upload is
-- that same document, whatever happens to its payments afterwards.
ALTER TABLE payout_batches ADD COLUMN closed_at BIGINT;
ALTER TABLE payout_batches ADD COLUMN pain001 TEXT;
ALTER TABLE payout_batches ADD COLUMN uploaded_at BIGINT;
ALTER TABLE payout_batches ADD COLUMN upload_error TEXT;
UPDATE payout_batches SET closed_at = created_at;

-- When each bank link (by its URL) is next asked for new status reports: a process takes
-- a poll by moving `next_at` on, so several processes poll once between them.
CREATE TABLE bank_polls (
    link     TEXT PRIMARY KEY,
    next_at  BIGINT NOT NULL
) WITHOUT ROWID;

-- The status reports fetched from a bank link, each applied once, with what it did.
CREATE TABLE bank_reports (
    link        TEXT NOT NULL,
    report_id   TEXT NOT NULL,
    kind        TEXT,
    message_id  TEXT,
    outcome     TEXT NOT NULL,
    fetched_at  BIGINT NOT NULL,
    PRIMARY KEY (link, report_id)
) WITHOUT ROWID;

-- Each rail reads its own cash-outs by status.
CREATE INDEX cashouts_rail_status ON cashouts (rail, status, updated_at);
