//! Disputes about cash-outs, as stored. Status changes are conditional updates: a dispute
//! is resolved once, however many operators press the button.

use super::Db;
use crate::on_db;
use crate::unit::Row;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dispute {
    pub id: String,
    pub cashout_id: String,
    pub user_id: String,
    pub reason: String,
    pub status: String,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub adjustment: i64,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
    /// Who opened it and who decided it, in their stored form (see
    /// [`crate::services::Actor`]); `None` before actors were recorded, or before the decision.
    pub opened_actor: Option<String>,
    pub resolved_actor: Option<String>,
}

type DisputeRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
);

const COLUMNS: &str =
    "id, cashout_id, user_id, reason, status, outcome, note, adjustment, created_at, resolved_at, opened_actor, \
     resolved_actor";

fn from_row(row: DisputeRow) -> Dispute {
    let (
        id,
        cashout_id,
        user_id,
        reason,
        status,
        outcome,
        note,
        adjustment,
        created_at,
        resolved_at,
        opened_actor,
        resolved_actor,
    ) = row;
    Dispute {
        id,
        cashout_id,
        user_id,
        reason,
        status,
        outcome,
        note,
        adjustment,
        created_at,
        resolved_at,
        opened_actor,
        resolved_actor,
    }
}

/// Opens a dispute, recording `d.opened_actor`; `false` if the cash-out has an open one
/// already.
pub async fn open(db: &Db, tenant: &str, d: &Dispute) -> anyhow::Result<bool> {
    let inserted = on_db!(db, |pool, _d| {
        sqlx::query(
            "INSERT INTO disputes (id, tenant_id, cashout_id, user_id, reason, status, created_at, opened_actor) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(&d.id)
        .bind(tenant)
        .bind(&d.cashout_id)
        .bind(&d.user_id)
        .bind(&d.reason)
        .bind(d.created_at)
        .bind(&d.opened_actor)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(inserted == 1)
}

pub async fn get(db: &Db, tenant: &str, id: &str) -> anyhow::Result<Option<Dispute>> {
    let row: Option<DisputeRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {COLUMNS} FROM disputes WHERE tenant_id = $1 AND id = $2");
        sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(pool).await?
    });
    Ok(row.map(from_row))
}

/// Up to `limit` of a user's disputes, newest first, opened before the dispute `before`.
pub async fn of_user(
    db: &Db,
    tenant: &str,
    user: &str,
    before: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<Dispute>> {
    let select = format!("SELECT {COLUMNS} FROM disputes");
    let rows: Vec<DisputeRow> = super::newest_of_user(db, &select, tenant, user, before, limit).await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Disputes left between decision and money (every tenant), for the worker.
pub async fn resolving(db: &Db, limit: i64) -> anyhow::Result<Vec<(String, Dispute)>> {
    let rows: Vec<(String, String)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT tenant_id, id FROM disputes WHERE status = 'resolving' ORDER BY id LIMIT $1")
            .bind(limit)
            .fetch_all(pool)
            .await?
    });
    let mut found = Vec::with_capacity(rows.len());
    for (tenant, id) in rows {
        if let Some(dispute) = get(db, &tenant, &id).await? {
            found.push((tenant, dispute));
        }
    }
    Ok(found)
}

/// The operator's decision on a dispute.
pub struct Decision<'a> {
    /// `rejected`, `upheld`, or `resolving` (upheld, with an adjustment still to pay).
    pub status: &'a str,
    /// `upheld` or `rejected`, as the operator said.
    pub outcome: &'a str,
    pub note: &'a str,
    pub adjustment: i64,
    pub at: i64,
    /// Who decided, in the stored form.
    pub actor: &'a str,
}

/// Records the decision on an open dispute, and who made it; `false` if the dispute was
/// not open.
pub async fn decide(db: &Db, tenant: &str, id: &str, d: &Decision<'_>) -> anyhow::Result<bool> {
    let resolved_at = (d.status != "resolving").then_some(d.at);
    let changed = on_db!(db, |pool, _d| {
        sqlx::query(
            "UPDATE disputes SET status = $1, outcome = $2, note = $3, adjustment = $4, resolved_at = $5, \
             resolved_actor = $6 WHERE tenant_id = $7 AND id = $8 AND status = 'open'",
        )
        .bind(d.status)
        .bind(d.outcome)
        .bind(d.note)
        .bind(d.adjustment)
        .bind(resolved_at)
        .bind(d.actor)
        .bind(tenant)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(changed == 1)
}

/// The row that ends a `resolving` dispute once its adjustment is paid.
pub fn settled_row(id: &str, at: i64) -> Row {
    Row {
        sql: "UPDATE disputes SET status = 'upheld', resolved_at = $1 WHERE id = $2 AND status = 'resolving'",
        params: vec![at.into(), id.into()],
    }
}

/// What upheld disputes have paid back on a cash-out so far.
pub async fn adjusted(db: &Db, cashout_id: &str) -> anyhow::Result<i64> {
    let total: Option<i64> = on_db!(db, |pool, _d| {
        sqlx::query_scalar(
            "SELECT CAST(SUM(adjustment) AS BIGINT) FROM disputes WHERE cashout_id = $1 AND status = 'upheld'",
        )
        .bind(cashout_id)
        .fetch_one(pool)
        .await?
    });
    Ok(total.unwrap_or(0))
}
