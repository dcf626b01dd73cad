-- The command line's own bookkeeping (issue 11).

-- `keys list` shows which key is which without its secret: the non-secret start of the
-- secret (`sk_` and six characters), kept for keys made from now on; and when the key was
-- last used, written by the server at most about once a minute per key, never per request.
ALTER TABLE api_keys ADD COLUMN secret_prefix TEXT;
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;

-- `serve --demo`'s seed, so a restart prints the same key and ids instead of seeding anew.
-- Only `serve --demo` writes here. It keeps the demo key's secret in clear (every other key
-- is kept only as a hash): that key belongs to the made-up demo tenant alone, and
-- `--demo-reset` revokes it. `printed` is the JSON of the ids the demo prints.
CREATE TABLE demo_seed (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    tenant_id   TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    key_secret  TEXT NOT NULL,
    printed     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- A row here says `smallchange bench` made this database, so a later bench run may write
-- into it again; bench refuses any other database that holds anything.
CREATE TABLE bench_database (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    created_at  BIGINT NOT NULL
);
