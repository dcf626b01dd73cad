-- Each running server, from start to stop, under an id of its own, with when it was last
-- seen alive (it says so every few seconds). A status change claims its Idempotency-Key
-- under its server's id; a claim whose server is no longer alive (killed before its
-- answer was written) is taken over by the next retry at once, rather than after a minute.
CREATE TABLE server_boots (
    id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    alive_at BIGINT NOT NULL
);
ALTER TABLE idempotency_keys ADD COLUMN claimed_by TEXT;
