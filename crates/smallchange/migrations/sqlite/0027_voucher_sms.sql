-- The SMS that gives a cash-pickup voucher's code and PIN to its user, sealed with the
-- server key: written with the voucher, read by the SMS subscriber when it follows the
-- voucher's `cash_pickup.voucher_issued` event (the event never holds the code), and
-- cleared once the `sms` job that carries it is queued.
ALTER TABLE pickup_vouchers ADD COLUMN sms_sealed TEXT;
