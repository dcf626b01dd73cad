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
    /// When the bank link took the file, or why it would not (see `[cashout.bank_link]`).
    pub uploaded_at: Option<i64>,
    pub upload_error: Option<String>,
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

type BatchRow = (String, String, String, i64, i64, Option<i64>, Option<i64>, Option<String>);

/// Closed batches only: an open one is still being gathered.
const BATCH_SELECT: &str = "SELECT b.id, b.rail, b.currency, b.created_at, COUNT(i.cashout_id), \
     CAST(SUM(i.amount) AS BIGINT), b.uploaded_at, b.upload_error \
     FROM payout_batches b JOIN payout_batch_items i ON i.batch_id = b.id WHERE b.closed_at IS NOT NULL";
const BATCH_GROUP: &str = "GROUP BY b.id, b.rail, b.currency, b.created_at, b.uploaded_at, b.upload_error";

fn from_row((id, rail, currency, created_at, count, total, uploaded_at, upload_error): BatchRow) -> Batch {
    Batch { id, rail, currency, created_at, count, total: total.unwrap_or(0), uploaded_at, upload_error }
}

/// A tenant's batches on `rail` that hold at least one payment, oldest first.
pub async fn list(db: &Db, tenant: &str, rail: &str, after: Option<&str>, limit: i64) -> anyhow::Result<Vec<Batch>> {
    let rows: Vec<BatchRow> = on_db!(db, |pool, _d| {
        let sql = format!(
            "{BATCH_SELECT} AND b.tenant_id = $1 AND b.rail = $2 AND b.id > $3 {BATCH_GROUP} ORDER BY b.id LIMIT $4"
        );
        sqlx::query_as(&sql).bind(tenant).bind(rail).bind(after.unwrap_or("")).bind(limit).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(from_row).collect())
}

pub async fn get(db: &Db, tenant: &str, id: &str) -> anyhow::Result<Option<Batch>> {
    let row: Option<BatchRow> = on_db!(db, |pool, _d| {
        let sql = format!("{BATCH_SELECT} AND b.tenant_id = $1 AND b.id = $2 {BATCH_GROUP}");
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

/// Closes an open batch that holds payments, writing `then` (its upload job) with it; an
/// empty one (its gathering was cut short before any payment) is dropped. `false` if it
/// was closed already.
pub async fn close(db: &Db, id: &str, at: i64, pain001: Option<&str>, then: Vec<Row>) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    let holds: i64 = crate::on_tx!(&mut tx, |c, _d| {
        sqlx::query_scalar("SELECT COUNT(*) FROM payout_batch_items WHERE batch_id = $1").bind(id).fetch_one(c).await?
    });
    let mut rows = vec![if holds == 0 {
        Row { sql: "DELETE FROM payout_batches WHERE id = $1 AND closed_at IS NULL", params: vec![id.into()] }
    } else {
        Row {
            sql: "UPDATE payout_batches SET closed_at = $1, pain001 = $2 WHERE id = $3 AND closed_at IS NULL",
            params: vec![at.into(), pain001.into(), id.into()],
        }
    }];
    if super::execute_rows(&mut tx, &rows).await?[0] != 1 || holds == 0 {
        tx.commit().await?;
        return Ok(false);
    }
    rows = then;
    super::execute_rows(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(true)
}

/// A batch still open: its currency, how many payments it gathered and their total.
pub async fn gathered(db: &Db, id: &str) -> anyhow::Result<Option<(String, i64, i64)>> {
    let found = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT b.currency, COUNT(i.cashout_id), CAST(COALESCE(SUM(i.amount), 0) AS BIGINT) \
             FROM payout_batches b LEFT JOIN payout_batch_items i ON i.batch_id = b.id \
             WHERE b.id = $1 AND b.closed_at IS NULL GROUP BY b.currency",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
    });
    Ok(found)
}

/// The guard of the unit that files a batch (with its upload job and its event): it closes
/// the batch with its pain.001, and changes nothing if it was closed before.
pub fn close_guard(id: &str, at: i64, pain001: Option<&str>) -> Row {
    Row {
        sql: "UPDATE payout_batches SET closed_at = $1, pain001 = $2 WHERE id = $3 AND closed_at IS NULL",
        params: vec![at.into(), pain001.into(), id.into()],
    }
}

/// Batches left open since before `before` (a gathering cut short): tenant, id, created_at.
pub async fn open_before(db: &Db, before: i64, limit: i64) -> anyhow::Result<Vec<(String, String, i64)>> {
    let found = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT tenant_id, id, created_at FROM payout_batches WHERE closed_at IS NULL AND created_at < $1 \
             ORDER BY id LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    Ok(found)
}

/// Records the bank link's answer to an upload: taken (`error` none) or refused for good.
pub async fn record_upload(db: &Db, id: &str, at: i64, error: Option<&str>) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("UPDATE payout_batches SET uploaded_at = $1, upload_error = $2 WHERE id = $3")
            .bind(error.is_none().then_some(at))
            .bind(error)
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// The pain.001 written when the batch closed, if one could be.
pub async fn stored_pain001(db: &Db, id: &str) -> anyhow::Result<Option<String>> {
    let file: Option<Option<String>> = on_db!(db, |pool, _d| {
        sqlx::query_scalar("SELECT pain001 FROM payout_batches WHERE id = $1").bind(id).fetch_optional(pool).await?
    });
    Ok(file.flatten())
}
