-- A user's lists, newest first (GET /v1/users/{id}/payments, /topups, /gift-cards,
-- /disputes): each read walks one user's slice of an index in id order, which is creation
-- order. The payments one costs the micropayment path one more index page per payment
-- (docs/BENCHMARKS.md measures it); a user's payments cannot be listed without it.

CREATE INDEX payments_user ON payments (tenant_id, user_id, id);
CREATE INDEX topups_user ON topups (tenant_id, user_id, id);
CREATE INDEX gift_cards_redeemed_by ON gift_cards (tenant_id, redeemed_by, id) WHERE redeemed_by IS NOT NULL;
CREATE INDEX disputes_user ON disputes (tenant_id, user_id, id);
