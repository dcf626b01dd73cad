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
CREATE INDEX events_by_actor ON events (tenant_id, actor, idx);

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
