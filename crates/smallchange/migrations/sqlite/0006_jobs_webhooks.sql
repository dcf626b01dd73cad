-- Durable jobs and webhooks (SQLite). Times are microseconds since the Unix epoch.

-- The outbox every worker reads. A job is enqueued by a row written in the same transaction
-- as the change that causes it, so it exists iff that change committed. `run_at` is when it
-- may next be claimed: a claim moves it to the end of the lease (`lease_until`), so a job
-- whose worker died becomes due again by itself; a failure moves it to the next retry.
-- `attempts` counts claims. `payload` is JSON.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'done', 'dead')),
    run_at       BIGINT NOT NULL,
    attempts     BIGINT NOT NULL CHECK (attempts >= 0),
    lease_until  BIGINT,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
) WITHOUT ROWID;

-- Claiming reads only queued jobs of the runner's kinds, oldest due first.
CREATE INDEX jobs_due ON jobs (kind, run_at) WHERE status = 'queued';

-- Finished jobs are purged after jobs_retention_h.
CREATE INDEX jobs_finished ON jobs (updated_at) WHERE status <> 'queued';

-- Where a tenant wants its events POSTed. `events` is a JSON array of event types (or
-- "*"); the signing secret is kept sealed with the server key and shown once, at creation.
CREATE TABLE webhook_endpoints (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    url            TEXT NOT NULL,
    events         TEXT NOT NULL,
    secret_sealed  TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    disabled_at    BIGINT
) WITHOUT ROWID;

CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, id);

-- What happened, once per event, whoever it is delivered to. `data` is JSON. `fanned_out_at`
-- is set when its deliveries are enqueued, so that happens once even if the job runs twice.
CREATE TABLE webhook_events (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    type           TEXT NOT NULL,
    data           TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    fanned_out_at  BIGINT
) WITHOUT ROWID;

-- Every attempt to deliver an event to an endpoint: the HTTP status it answered, or why
-- there was none.
CREATE TABLE webhook_deliveries (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    endpoint_id  TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    attempt      BIGINT NOT NULL,
    status_code  BIGINT,
    error        TEXT,
    created_at   BIGINT NOT NULL
) WITHOUT ROWID;

CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
