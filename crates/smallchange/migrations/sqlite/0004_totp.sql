-- A user's TOTP enrolment (SQLite). `totp_secret` is sealed with the server key
-- ("v1:" + base64 of AES-256-GCM nonce and ciphertext), never the secret in plain text;
-- NULL means not enrolled. `totp_enrolled_at` is microseconds since the epoch.

ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enrolled_at BIGINT;
