//! Webhook endpoints, events and the log of delivery attempts. An endpoint is created as a
//! row of a unit (with its idempotent answer); events are rows of the unit whose change they
//! report; the fan-out and the delivery log are written by the job handlers.

use serde_json::Value;

use super::Db;
use crate::unit::Row;
use crate::{on_db, on_tx};

/// Where a tenant wants its events. The secret is sealed with the server key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret_sealed: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

type EndpointRow = (String, String, String, String, i64, Option<i64>);

const ENDPOINT_COLUMNS: &str = "id, url, events, secret_sealed, created_at, disabled_at";

fn endpoint_from_row(
    (id, url, events, secret_sealed, created_at, disabled_at): EndpointRow,
) -> anyhow::Result<Endpoint> {
    Ok(Endpoint { id, url, events: serde_json::from_str(&events)?, secret_sealed, created_at, disabled_at })
}

/// The row that stores a new endpoint.
pub fn endpoint_row(tenant_id: &str, endpoint: &Endpoint) -> Row {
    Row {
        sql: "INSERT INTO webhook_endpoints (id, tenant_id, url, events, secret_sealed, created_at) \
              VALUES ($1, $2, $3, $4, $5, $6)",
        params: vec![
            endpoint.id.as_str().into(),
            tenant_id.into(),
            endpoint.url.as_str().into(),
            serde_json::to_string(&endpoint.events).expect("strings serialize").into(),
            endpoint.secret_sealed.as_str().into(),
            endpoint.created_at.into(),
        ],
    }
}

pub async fn endpoint(db: &Db, tenant_id: &str, id: &str) -> anyhow::Result<Option<Endpoint>> {
    let row: Option<EndpointRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2");
        sqlx::query_as(&sql).bind(tenant_id).bind(id).fetch_optional(pool).await?
    });
    row.map(endpoint_from_row).transpose()
}

/// Up to `limit` endpoints created after `starting_after`, oldest first, disabled ones too.
pub async fn endpoints(
    db: &Db,
    tenant_id: &str,
    starting_after: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<Endpoint>> {
    let rows: Vec<EndpointRow> = on_db!(db, |pool, _d| {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        );
        sqlx::query_as(&sql).bind(tenant_id).bind(starting_after.unwrap_or("")).bind(limit).fetch_all(pool).await?
    });
    rows.into_iter().map(endpoint_from_row).collect()
}

/// How many enabled endpoints the tenant has.
pub async fn enabled_count(db: &Db, tenant_id: &str) -> anyhow::Result<i64> {
    let count = on_db!(db, |pool, _d| {
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_endpoints WHERE tenant_id = $1 AND disabled_at IS NULL")
            .bind(tenant_id)
            .fetch_one(pool)
            .await?
    });
    Ok(count)
}

/// Disables an endpoint (from now on nothing is delivered to it) if it is enabled: the
/// guard disabling one stands on, so it is disabled (and recorded) once.
pub fn disable_row(tenant_id: &str, id: &str, now_us: i64) -> Row {
    Row {
        sql: "UPDATE webhook_endpoints SET disabled_at = $1 WHERE tenant_id = $2 AND id = $3 AND disabled_at IS NULL",
        params: vec![now_us.into(), tenant_id.into(), id.into()],
    }
}

/// Something that happened, as delivered to every endpoint subscribed to its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    pub event_type: String,
    pub data: Value,
    pub created_at: i64,
}

/// The row that records an event.
pub fn event_row(tenant_id: &str, event: &Event) -> Row {
    Row {
        sql: "INSERT INTO webhook_events (id, tenant_id, type, data, created_at) VALUES ($1, $2, $3, $4, $5)",
        params: vec![
            event.id.as_str().into(),
            tenant_id.into(),
            event.event_type.as_str().into(),
            event.data.to_string().into(),
            event.created_at.into(),
        ],
    }
}

pub async fn event(db: &Db, tenant_id: &str, id: &str) -> anyhow::Result<Option<Event>> {
    let row: Option<(String, String, String, i64)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT id, type, data, created_at FROM webhook_events WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    row.map(|(id, event_type, data, created_at)| {
        Ok(Event { id, event_type, data: serde_json::from_str(&data)?, created_at })
    })
    .transpose()
}

/// What fanning an event out did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanOut {
    /// This many rows (deliveries) were written; perhaps none: nobody subscribed.
    Enqueued(usize),
    /// An earlier run enqueued them already.
    AlreadyDone,
    NoSuchEvent,
}

/// An enabled endpoint as the fan-out sees it: its id and the event types it wants.
pub type Subscriber = (String, Vec<String>);

/// Writes the rows `plan` makes from the event's type and the tenant's enabled endpoints
/// (the delivery jobs), in one transaction that also marks the event fanned out: however
/// often the fan-out job runs, the rows are written once per event.
pub async fn fan_out(
    db: &Db,
    tenant_id: &str,
    event_id: &str,
    now_us: i64,
    plan: impl FnOnce(&str, Vec<Subscriber>) -> Vec<Row>,
) -> anyhow::Result<FanOut> {
    let mut tx = db.begin().await?;
    let marked: Option<String> = on_tx!(&mut tx, |c, _d| {
        sqlx::query_scalar(
            "UPDATE webhook_events SET fanned_out_at = $1 \
             WHERE tenant_id = $2 AND id = $3 AND fanned_out_at IS NULL RETURNING type",
        )
        .bind(now_us)
        .bind(tenant_id)
        .bind(event_id)
        .fetch_optional(c)
        .await?
    });
    let Some(event_type) = marked else {
        drop(tx);
        let exists = event(db, tenant_id, event_id).await?.is_some();
        return Ok(if exists { FanOut::AlreadyDone } else { FanOut::NoSuchEvent });
    };
    let rows: Vec<(String, String)> = on_tx!(&mut tx, |c, _d| {
        sqlx::query_as("SELECT id, events FROM webhook_endpoints WHERE tenant_id = $1 AND disabled_at IS NULL")
            .bind(tenant_id)
            .fetch_all(c)
            .await?
    });
    let subscribers =
        rows.into_iter().map(|(id, events)| Ok((id, serde_json::from_str(&events)?))).collect::<anyhow::Result<_>>()?;
    let planned = plan(&event_type, subscribers);
    super::write_rows(&mut tx, &planned).await?;
    tx.commit().await?;
    Ok(FanOut::Enqueued(planned.len()))
}

/// One attempt to deliver an event to an endpoint: the status it answered, or why none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub created_at: i64,
}

pub async fn record_delivery(db: &Db, tenant_id: &str, delivery: &Delivery) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_type, attempt, \
             status_code, error, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&delivery.id)
        .bind(tenant_id)
        .bind(&delivery.endpoint_id)
        .bind(&delivery.event_id)
        .bind(&delivery.event_type)
        .bind(delivery.attempt)
        .bind(delivery.status_code)
        .bind(&delivery.error)
        .bind(delivery.created_at)
        .execute(pool)
        .await?;
    });
    Ok(())
}

type DeliveryRow = (String, String, String, String, i64, Option<i64>, Option<String>, i64);

/// Up to `limit` attempts to deliver to `endpoint_id` after `starting_after`, oldest first.
pub async fn deliveries(
    db: &Db,
    tenant_id: &str,
    endpoint_id: &str,
    starting_after: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<Delivery>> {
    let rows: Vec<DeliveryRow> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT id, endpoint_id, event_id, event_type, attempt, status_code, error, created_at \
             FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2 AND id > $3 ORDER BY id LIMIT $4",
        )
        .bind(tenant_id)
        .bind(endpoint_id)
        .bind(starting_after.unwrap_or(""))
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, endpoint_id, event_id, event_type, attempt, status_code, error, created_at)| Delivery {
            id,
            endpoint_id,
            event_id,
            event_type,
            attempt,
            status_code,
            error,
            created_at,
        })
        .collect())
}
