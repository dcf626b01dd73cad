//! E-wallet partner callbacks as received: stored once their signature checks and before
//! they are applied, so what the partner told us (and the signature proving it) can be
//! shown later, whatever it changed. Applying one marks whether it moved the cash-out.

use super::Db;
use crate::on_db;

/// A verified callback, about to be applied.
pub struct Received<'a> {
    pub id: &'a str,
    pub tenant: &'a str,
    pub cashout_id: &'a str,
    /// The body exactly as received (the signature covers these bytes).
    pub body: &'a str,
    pub signature: &'a str,
    pub at: i64,
}

pub async fn record(db: &Db, callback: &Received<'_>) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query(
            "INSERT INTO ewallet_callbacks (id, tenant_id, cashout_id, body, signature, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(callback.id)
        .bind(callback.tenant)
        .bind(callback.cashout_id)
        .bind(callback.body)
        .bind(callback.signature)
        .bind(callback.at)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Marks a stored callback applied: whether it moved its cash-out on.
pub async fn mark_applied(db: &Db, id: &str, changed: bool) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("UPDATE ewallet_callbacks SET changed = $1 WHERE id = $2")
            .bind(i64::from(changed))
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// A cash-out's callbacks, oldest first: `(changed, body)`, `changed` NULL if never applied.
pub async fn of_cashout(db: &Db, tenant: &str, cashout_id: &str) -> anyhow::Result<Vec<(Option<bool>, String)>> {
    let rows: Vec<(Option<i64>, String)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT changed, body FROM ewallet_callbacks WHERE tenant_id = $1 AND cashout_id = $2 ORDER BY id",
        )
        .bind(tenant)
        .bind(cashout_id)
        .fetch_all(pool)
        .await?
    });
    Ok(rows.into_iter().map(|(changed, body)| (changed.map(|c| c != 0), body)).collect())
}
