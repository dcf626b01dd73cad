-- A user an operator has frozen: their cash-out quotes, cash-outs, confirmations and
-- approvals of cash-outs still waiting, new payout destinations, gift-card redemptions,
-- remainder refunds and auto-cash-outs are refused (`user_frozen`) until unfrozen; payments
-- and cash-outs already on a rail go on. Set together and cleared together: `frozen_at`
-- (microseconds since the epoch), `frozen_by` (who froze, in `Actor::recorded` form) and
-- `frozen_reason` (the operator's words, never shown to the user). Each freeze and
-- unfreeze is also an event (`user.frozen`, `user.unfrozen`), which keeps the history.

ALTER TABLE users ADD COLUMN frozen_at BIGINT;
ALTER TABLE users ADD COLUMN frozen_by TEXT;
ALTER TABLE users ADD COLUMN frozen_reason TEXT;
