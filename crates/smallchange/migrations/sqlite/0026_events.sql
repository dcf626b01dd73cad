-- One fact per change (the events layer), which is also the audit log: each event is the
-- entry at index `idx` of its tenant's Merkle tree (RFC 6962), its leaf hash computed over
-- the canonical encoding of the columns beside it (docs/AUDIT.md). Rows are only ever
-- added; `smallchange audit verify` re-derives every leaf from these columns.
CREATE TABLE events (
    tenant_id TEXT NOT NULL,
    idx BIGINT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL,
    data TEXT NOT NULL,
    leaf_hash TEXT NOT NULL,
    PRIMARY KEY (tenant_id, idx)
);
CREATE INDEX events_by_subject ON events (tenant_id, subject, idx);

-- Personal data an event concerns, kept beside it: the entry holds a salted commitment.
-- Erasing a person deletes these rows (value and salt); the entry stays verifiable.
CREATE TABLE event_personal (
    event_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    person TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    salt TEXT NOT NULL,
    PRIMARY KEY (event_id, field)
);
CREATE INDEX event_personal_by_person ON event_personal (tenant_id, person);

-- Each tenant's tree as the last batch left it: its size and right edge (hex), so the next
-- batch appends without reading the tree.
CREATE TABLE audit_trees (
    tenant_id TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    frontier TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- How far each consumer of events (webhooks, SMS, …) has read each tenant's events: the
-- next index to handle. Moved forward in the transaction that writes what it produced.
CREATE TABLE event_cursors (
    subscriber TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    next_idx BIGINT NOT NULL,
    PRIMARY KEY (subscriber, tenant_id)
);

-- The tree's complete inner nodes at every fourth level (4, 8, 12 …): with the leaves
-- (`events.leaf_hash`) they give any node a proof needs from at most 16 stored hashes,
-- at about one row per 15 entries. Only ever added, like the entries.
CREATE TABLE audit_nodes (
    tenant_id TEXT NOT NULL,
    level INTEGER NOT NULL,
    idx BIGINT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (tenant_id, level, idx)
);

-- Signed checkpoints (C2SP tlog-checkpoint + signed-note), at least one a second while
-- entries arrive and one at shutdown.
CREATE TABLE audit_checkpoints (
    tenant_id TEXT NOT NULL,
    size BIGINT NOT NULL,
    root_hash TEXT NOT NULL,
    at BIGINT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (tenant_id, size)
);

-- The deployment's signing key (Ed25519): its seed sealed with the encryption key. The one
-- with no `retired_at` signs; older ones stay so that old checkpoints still verify.
CREATE TABLE audit_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL,
    sealed_seed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
-- One signing key at a time: two servers creating the first key race on this index.
CREATE UNIQUE INDEX audit_keys_one_current ON audit_keys (name) WHERE retired_at IS NULL;
