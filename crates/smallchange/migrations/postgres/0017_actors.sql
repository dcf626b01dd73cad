-- Who caused each change that keeps history: an operator's API key (`api_key:key_…`), a
-- console user (`operator:opu_…`), the wallet's user (`user:usr_…`) or smallchange
-- itself (`system:<worker>`). Rows written before this migration have none (NULL).

ALTER TABLE cashout_events ADD COLUMN actor TEXT;
ALTER TABLE disputes ADD COLUMN opened_actor TEXT;
ALTER TABLE disputes ADD COLUMN resolved_actor TEXT;
ALTER TABLE payout_destinations ADD COLUMN created_actor TEXT;
ALTER TABLE gift_card_programs ADD COLUMN created_actor TEXT;
ALTER TABLE gift_cards ADD COLUMN issued_actor TEXT;
ALTER TABLE gift_cards ADD COLUMN redeemed_actor TEXT;

-- Every identity check recorded for a user, oldest first; `users` keeps the latest.
CREATE TABLE kyc_checks (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    level         TEXT NOT NULL CHECK (level IN ('none', 'basic', 'verified')),
    legal_name    TEXT NOT NULL,
    birth_date    TEXT NOT NULL,
    document_ref  TEXT NOT NULL,
    actor         TEXT NOT NULL,
    at            BIGINT NOT NULL
);

CREATE INDEX kyc_checks_user ON kyc_checks (tenant_id, user_id, id);
