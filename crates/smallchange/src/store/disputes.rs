//! Disputes about cash-outs, as stored. Status changes are conditional updates: a dispute
//! is resolved once, however many operators press the button.

use super::Db;
use crate::on_db;
use crate::unit::{Param, Row};

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

/// The guard of the unit that opens dispute `d` (with its event): it inserts the dispute,
/// and changes nothing when the cash-out has an open one already.
pub fn open_guard(tenant: &str, d: &Dispute) -> Row {
    Row {
        sql: "INSERT INTO disputes (id, tenant_id, cashout_id, user_id, reason, status, created_at, opened_actor) \
              VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) ON CONFLICT DO NOTHING",
        params: vec![
            d.id.as_str().into(),
            tenant.into(),
            d.cashout_id.as_str().into(),
            d.user_id.as_str().into(),
            d.reason.as_str().into(),
            d.created_at.into(),
            d.opened_actor.clone().into(),
        ],
    }
}

/// The guard of the unit that decides dispute `id` (with its adjustment, if any, and its
/// event): it records the decision, and changes nothing once the dispute is decided.
pub fn decide_guard(tenant: &str, id: &str, d: &Decision<'_>) -> Row {
    let mut params: Vec<Param> = vec![
        d.status.into(),
        d.outcome.into(),
        d.note.into(),
        d.adjustment.into(),
        d.actor.into(),
        tenant.into(),
        id.into(),
    ];
    // A dispute still `resolving` is resolved when its adjustment is paid (see `settled_row`).
    let sql = if d.status == "resolving" {
        "UPDATE disputes SET status = $1, outcome = $2, note = $3, adjustment = $4, resolved_actor = $5 \
         WHERE tenant_id = $6 AND id = $7 AND status = 'open'"
    } else {
        params.push(d.at.into());
        "UPDATE disputes SET status = $1, outcome = $2, note = $3, adjustment = $4, resolved_actor = $5, \
         resolved_at = $8 WHERE tenant_id = $6 AND id = $7 AND status = 'open'"
    };
    Row { sql, params }
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
