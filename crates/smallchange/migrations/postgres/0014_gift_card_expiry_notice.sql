-- When the `gift_card.expiring` event was raised for a card (PostgreSQL): once per card.
ALTER TABLE gift_cards ADD COLUMN expiry_noticed_at BIGINT;
CREATE INDEX gift_cards_expiring ON gift_cards (expires_at) WHERE expiry_noticed_at IS NULL;
