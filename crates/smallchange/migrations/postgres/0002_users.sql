-- End users of a tenant, with the identity the operator has checked (PostgreSQL).
-- Ids are time-ordered ("usr_" + creation time + randomness), so id order is creation
-- order and a list can page with "id > cursor".

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    phone         TEXT NOT NULL,
    name          TEXT,
    kyc_level     TEXT NOT NULL CHECK (kyc_level IN ('none', 'basic', 'verified')),
    legal_name    TEXT,
    birth_date    TEXT,
    document_ref  TEXT,
    created_at    BIGINT NOT NULL,
    UNIQUE (tenant_id, external_id)
);

CREATE INDEX users_tenant_id ON users (tenant_id, id);
