-- Who is working on a cash-out waiting in review (the console's review queue): one claim
-- per cash-out, taken by an operator so that others see it is being looked at. Only the
-- claimer (or an admin) decides a claimed cash-out; an admin may take a claim over.
-- `claimed_by` is the recorded actor (`operator:opu_…`, `api_key:key_…`). A claim
-- outlives the review: it says who had it, and is ignored once the cash-out moved on.
CREATE TABLE review_claims (
    cashout_id  TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    claimed_by  TEXT NOT NULL,
    claimed_at  BIGINT NOT NULL
) WITHOUT ROWID;
