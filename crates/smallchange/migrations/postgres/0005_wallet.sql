-- The wallet's records (PostgreSQL). The money itself is in the ledger; these rows explain it
-- and are written in the same transaction as the transfers they describe.

-- The pocket accounts each user has, written with the first credit to each.
CREATE TABLE wallet_pockets (
    account_id    TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    currency      TEXT NOT NULL,
    pocket        TEXT NOT NULL,
    gift_card_id  TEXT,
    created_at    BIGINT NOT NULL
);

CREATE INDEX wallet_pockets_user ON wallet_pockets (tenant_id, user_id, currency);

CREATE TABLE topups (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    source      TEXT NOT NULL,
    refund_of   TEXT,
    pocket      TEXT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    currency    TEXT NOT NULL,
    reference   TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- legs: the pockets that paid, as JSON [{"pocket", "amount"}] in spend order.
CREATE TABLE payments (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    merchant     TEXT NOT NULL,
    amount       BIGINT NOT NULL CHECK (amount > 0),
    currency     TEXT NOT NULL,
    description  TEXT,
    legs         TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE payment_refunds (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    payment_id  TEXT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    legs        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE INDEX payment_refunds_payment ON payment_refunds (payment_id);

-- Every change to a user's pockets, for statements: amount is signed (+ in, − out).
CREATE TABLE wallet_entries (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    currency      TEXT NOT NULL,
    pocket        TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    reference_id  TEXT NOT NULL,
    description   TEXT,
    created_at    BIGINT NOT NULL
);

CREATE INDEX wallet_entries_user ON wallet_entries (tenant_id, user_id, currency, id);

-- face_values: JSON array of the values cards are sold at. The refund rule: the remainder
-- of a card over small_face_max is refundable once threshold_bps_over of it is used, of a
-- smaller one once threshold_bps_small is.
CREATE TABLE gift_card_programs (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL,
    brand                TEXT NOT NULL,
    currency             TEXT NOT NULL,
    region               TEXT NOT NULL,
    face_values          TEXT NOT NULL,
    validity_days        BIGINT NOT NULL,
    threshold_bps_over   BIGINT NOT NULL,
    threshold_bps_small  BIGINT NOT NULL,
    small_face_max       BIGINT NOT NULL,
    created_at           BIGINT NOT NULL
);

CREATE INDEX gift_card_programs_brand ON gift_card_programs (tenant_id, brand);

-- The code is kept sealed (AES-256-GCM) and found by code_lookup, a keyed hash of it.
CREATE TABLE gift_cards (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    program_id      TEXT NOT NULL REFERENCES gift_card_programs (id),
    face_value      BIGINT NOT NULL CHECK (face_value > 0),
    currency        TEXT NOT NULL,
    purchased_with  TEXT NOT NULL,
    purchaser_ref   TEXT NOT NULL,
    code_sealed     TEXT NOT NULL,
    code_lookup     TEXT NOT NULL UNIQUE,
    code_last4      TEXT NOT NULL,
    issued_at       BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    redeemed_by     TEXT,
    redeemed_at     BIGINT
);
