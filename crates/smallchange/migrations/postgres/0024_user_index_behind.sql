-- The same columns and indexes as on SQLite, so the reads are the same (store::user_index),
-- but here a new row is indexed at once (`user_indexed = 1`, the default below). Writing
-- it behind measured slower on PostgreSQL: moving a row is an UPDATE, which writes a new
-- version of it and of every index entry, while an index insert costs a small WAL record,
-- not the whole page SQLite's WAL carries (docs/BENCHMARKS.md). So the
-- `wallet_entries_unindexed` and `payments_unindexed` indexes stay empty here, and
-- `workers::user_index` finds nothing to move.
ALTER TABLE wallet_entries ADD COLUMN user_indexed BIGINT NOT NULL DEFAULT 1;
DROP INDEX wallet_entries_user;
CREATE INDEX wallet_entries_user ON wallet_entries (tenant_id, user_id, currency, id) WHERE user_indexed = 1;
CREATE INDEX wallet_entries_unindexed ON wallet_entries (tenant_id, id) WHERE user_indexed = 0;

ALTER TABLE payments ADD COLUMN user_indexed BIGINT NOT NULL DEFAULT 1;
DROP INDEX payments_user;
CREATE INDEX payments_user ON payments (tenant_id, user_id, id) WHERE user_indexed = 1;
CREATE INDEX payments_unindexed ON payments (tenant_id, id) WHERE user_indexed = 0;
