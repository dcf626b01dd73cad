-- A micropayment writes a statement entry and a payment row for one user among many. Kept
-- in a per-user index at once, each of the two dirties an index page of its own, per
-- payment, since each payment of a batch is another user's: SQLite's WAL carries whole
-- pages, and a payment wrote 5 pages against 2.2 for a ledger transfer (docs/BENCHMARKS.md).
--
-- So on SQLite new rows arrive with `user_indexed = 0` (the default below) and go into a
-- small index in arrival order instead, whose last page a batch shares.
-- `workers::user_index` sets `user_indexed = 1` on them in bulk about once a second, which
-- moves them into the per-user index, many rows of one user to a page. Every read looks in
-- both indexes (`store::user_index`), so a row is found from the moment it commits.
-- The rows already here are indexed.
ALTER TABLE wallet_entries ADD COLUMN user_indexed BIGINT NOT NULL DEFAULT 0;
UPDATE wallet_entries SET user_indexed = 1;
DROP INDEX wallet_entries_user;
CREATE INDEX wallet_entries_user ON wallet_entries (tenant_id, user_id, currency, id) WHERE user_indexed = 1;
CREATE INDEX wallet_entries_unindexed ON wallet_entries (tenant_id, id) WHERE user_indexed = 0;

ALTER TABLE payments ADD COLUMN user_indexed BIGINT NOT NULL DEFAULT 0;
UPDATE payments SET user_indexed = 1;
DROP INDEX payments_user;
CREATE INDEX payments_user ON payments (tenant_id, user_id, id) WHERE user_indexed = 1;
CREATE INDEX payments_unindexed ON payments (tenant_id, id) WHERE user_indexed = 0;
