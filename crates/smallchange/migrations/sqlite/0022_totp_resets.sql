-- Operators' resets of a user's lost authenticator (DELETE /v1/users/{id}/totp): who did it
-- and when, kept after the secret itself is gone, for support and for the audit log.

CREATE TABLE totp_resets (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    -- When the removed authenticator had been enrolled.
    enrolled_at  BIGINT,
    actor        TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE INDEX totp_resets_user ON totp_resets (tenant_id, user_id, id);
