//! The events table (which is the audit log's entries), the trees' heads and the consumers'
//! cursors. Events are written only by the committer (see [`super::audit_tree`]).

use serde_json::Value;

use super::audit_tree::TreeHead;
use super::{Db, Tx};
use crate::on_db;
use crate::on_tx;

/// An event as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub tenant_id: String,
    pub index: u64,
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub actor: String,
    pub at: i64,
    /// Canonical JSON, as hashed.
    pub data: String,
    pub leaf_hash: String,
}

impl Stored {
    pub fn data(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

const COLUMNS: &str = "tenant_id, idx, id, kind, subject, actor, at, data, leaf_hash";

type EventRow = (String, i64, String, String, String, String, i64, String, String);

fn stored((tenant_id, index, id, kind, subject, actor, at, data, leaf_hash): EventRow) -> Stored {
    Stored { tenant_id, index: index as u64, id, kind, subject, actor, at, data, leaf_hash }
}

/// Takes each tenant's tree lock (PostgreSQL: a transaction-level advisory lock, in tenant
/// order so two batches never wait on each other in a cycle) and reads its head.
pub async fn lock_trees(tx: &mut Tx, tenants: &[&str]) -> anyhow::Result<Vec<(String, TreeHead)>> {
    let mut heads = Vec::with_capacity(tenants.len());
    for tenant in tenants {
        let head: Option<(i64, String)> = on_tx!(tx, |c, d| {
            if d == super::Dialect::Postgres {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('audit:' || $1, 0))")
                    .bind(*tenant)
                    .execute(&mut *c)
                    .await?;
            }
            sqlx::query_as("SELECT size, frontier FROM audit_trees WHERE tenant_id = $1")
                .bind(*tenant)
                .fetch_optional(&mut *c)
                .await?
        });
        if let Some((size, frontier)) = head {
            heads.push((tenant.to_string(), TreeHead { size: size as u64, frontier }));
        }
    }
    Ok(heads)
}

/// A tenant's events from index `from`, oldest first, at most `limit`.
pub async fn from_index(db: &Db, tenant: &str, from: u64, limit: i64) -> anyhow::Result<Vec<Stored>> {
    let sql = format!("SELECT {COLUMNS} FROM events WHERE tenant_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3");
    let rows: Vec<EventRow> = on_db!(db, |pool, _d| {
        sqlx::query_as(&sql).bind(tenant).bind(from as i64).bind(limit).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(stored).collect())
}

/// Of a tenant's events at indexes `from..to`, those of the given `kinds`, oldest first, at
/// most `limit`: what a subscriber reads, so that the events it ignores (a busy ledger's
/// transfers) are skipped inside the database rather than read and parsed.
pub async fn of_kinds(
    db: &Db,
    tenant: &str,
    (from, to): (u64, u64),
    kinds: &[&str],
    limit: i64,
) -> anyhow::Result<Vec<Stored>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let kinds_sql = (0..kinds.len()).map(|n| format!("${}", n + 5)).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE tenant_id = $1 AND idx >= $2 AND idx < $3 AND kind IN ({kinds_sql}) \
         ORDER BY idx LIMIT $4"
    );
    let rows: Vec<EventRow> = on_db!(db, |pool, _d| {
        let mut query = sqlx::query_as(&sql).bind(tenant).bind(from as i64).bind(to as i64).bind(limit);
        for kind in kinds {
            query = query.bind(*kind);
        }
        query.fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(stored).collect())
}

/// The events about `subject`, oldest first.
pub async fn of_subject(db: &Db, tenant: &str, subject: &str) -> anyhow::Result<Vec<Stored>> {
    let sql = format!("SELECT {COLUMNS} FROM events WHERE tenant_id = $1 AND subject = $2 ORDER BY idx");
    let rows: Vec<EventRow> =
        on_db!(db, |pool, _d| sqlx::query_as(&sql).bind(tenant).bind(subject).fetch_all(pool).await?);
    Ok(rows.into_iter().map(stored).collect())
}

/// One event by its id.
pub async fn get(db: &Db, tenant: &str, id: &str) -> anyhow::Result<Option<Stored>> {
    let sql = format!("SELECT {COLUMNS} FROM events WHERE tenant_id = $1 AND id = $2");
    let row: Option<EventRow> =
        on_db!(db, |pool, _d| sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(pool).await?);
    Ok(row.map(stored))
}

/// Each tenant's tree size: how many events it has.
pub async fn tree_sizes(db: &Db) -> anyhow::Result<Vec<(String, u64)>> {
    let rows: Vec<(String, i64)> =
        on_db!(db, |pool, _d| sqlx::query_as("SELECT tenant_id, size FROM audit_trees").fetch_all(pool).await?);
    Ok(rows.into_iter().map(|(tenant, size)| (tenant, size as u64)).collect())
}

/// Where `subscriber` stands in each tenant's events: the next index to handle.
pub async fn cursors(db: &Db, subscriber: &str) -> anyhow::Result<Vec<(String, u64)>> {
    let rows: Vec<(String, i64)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT tenant_id, next_idx FROM event_cursors WHERE subscriber = $1")
            .bind(subscriber)
            .fetch_all(pool)
            .await?
    });
    Ok(rows.into_iter().map(|(tenant, next)| (tenant, next as u64)).collect())
}

/// Moves `subscriber`'s cursor for `tenant` from `from` to `to` in `tx`; `false` if another
/// process moved it first (the caller then rolls back what it produced).
pub async fn advance(tx: &mut Tx, subscriber: &str, tenant: &str, from: u64, to: u64) -> anyhow::Result<bool> {
    let changed = if from == 0 {
        super::execute(
            tx,
            "INSERT INTO event_cursors (subscriber, tenant_id, next_idx) VALUES ($1, $2, $3) \
             ON CONFLICT (subscriber, tenant_id) DO UPDATE SET next_idx = excluded.next_idx \
             WHERE event_cursors.next_idx = 0",
            &[subscriber.into(), tenant.into(), crate::unit::Param::Int(to as i64)],
        )
        .await?
    } else {
        super::execute(
            tx,
            "UPDATE event_cursors SET next_idx = $1 WHERE subscriber = $2 AND tenant_id = $3 AND next_idx = $4",
            &[
                crate::unit::Param::Int(to as i64),
                subscriber.into(),
                tenant.into(),
                crate::unit::Param::Int(from as i64),
            ],
        )
        .await?
    };
    Ok(changed == 1)
}
