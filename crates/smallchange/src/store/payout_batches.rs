//! Bank payout batches and the cash-outs in each.

use super::Db;
use crate::on_db;
use crate::unit::Row;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    pub id: String,
    pub rail: String,
    pub currency: String,
    pub created_at: i64,
    pub count: i64,
    pub total: i64,
}

pub async fn create(db: &Db, tenant: &str, id: &str, rail: &str, currency: &str, at: i64) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query(
            "INSERT INTO payout_batches (id, tenant_id, rail, currency, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(tenant)
        .bind(rail)
        .bind(currency)
        .bind(at)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// The row putting a cash-out into a batch (once: the cash-out id is the key).
pub fn item_row(batch_id: &str, cashout_id: &str, amount: i64) -> Row {
    Row {
        sql: "INSERT INTO payout_batch_items (cashout_id, batch_id, amount) VALUES ($1, $2, $3)",
        params: vec![cashout_id.into(), batch_id.into(), amount.into()],
    }
}

type BatchRow = (String, String, String, i64, i64, Option<i64>);

const BATCH_SELECT: &str = "SELECT b.id, b.rail, b.currency, b.created_at, COUNT(i.cashout_id), \
     CAST(SUM(i.amount) AS BIGINT) FROM payout_batches b JOIN payout_batch_items i ON i.batch_id = b.id";

fn from_row((id, rail, currency, created_at, count, total): BatchRow) -> Batch {
    Batch { id, rail, currency, created_at, count, total: total.unwrap_or(0) }
}

/// A tenant's batches on `rail` that hold at least one payment, oldest first.
pub async fn list(db: &Db, tenant: &str, rail: &str, after: Option<&str>, limit: i64) -> anyhow::Result<Vec<Batch>> {
    let rows: Vec<BatchRow> = on_db!(db, |pool, _d| {
        let sql = format!(
            "{BATCH_SELECT} WHERE b.tenant_id = $1 AND b.rail = $2 AND b.id > $3 \
             GROUP BY b.id, b.rail, b.currency, b.created_at ORDER BY b.id LIMIT $4"
        );
        sqlx::query_as(&sql).bind(tenant).bind(rail).bind(after.unwrap_or("")).bind(limit).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(from_row).collect())
}

pub async fn get(db: &Db, tenant: &str, id: &str) -> anyhow::Result<Option<Batch>> {
    let row: Option<BatchRow> = on_db!(db, |pool, _d| {
        let sql = format!(
            "{BATCH_SELECT} WHERE b.tenant_id = $1 AND b.id = $2 GROUP BY b.id, b.rail, b.currency, b.created_at"
        );
        sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(pool).await?
    });
    Ok(row.map(from_row))
}

/// The cash-outs in a batch, in id order.
pub async fn items(db: &Db, batch_id: &str) -> anyhow::Result<Vec<String>> {
    let ids = on_db!(db, |pool, _d| {
        sqlx::query_scalar("SELECT cashout_id FROM payout_batch_items WHERE batch_id = $1 ORDER BY cashout_id")
            .bind(batch_id)
            .fetch_all(pool)
            .await?
    });
    Ok(ids)
}
