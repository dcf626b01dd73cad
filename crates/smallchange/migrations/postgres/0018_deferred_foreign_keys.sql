-- Foreign keys are checked when a transaction commits, not row by row: the committer writes
-- a batch's inserts grouped by table (one multi-row INSERT each), so a child row may be
-- sent before its parent within the same transaction. A row that still names no parent at
-- commit fails the commit as before.

ALTER TABLE api_keys ALTER CONSTRAINT api_keys_tenant_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE payout_destinations ALTER CONSTRAINT payout_destinations_user_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE gift_cards ALTER CONSTRAINT gift_cards_program_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE pickup_agents ALTER CONSTRAINT pickup_agents_tenant_id_fkey DEFERRABLE INITIALLY DEFERRED;
