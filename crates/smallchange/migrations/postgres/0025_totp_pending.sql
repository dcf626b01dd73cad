-- An authenticator being set up in the web wallet, not yet the user's: the new secret
-- (sealed with the server key like `totp_secret`) waits here until a code from the app
-- proves it was scanned; then it becomes `totp_secret` and this is cleared. Until then the
-- user's cash-outs are confirmed as before (by SMS code, or with their current secret).
-- `totp_pending_at` is microseconds since the epoch.

ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending_at BIGINT;
