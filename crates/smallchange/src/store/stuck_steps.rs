//! Worker steps that keep failing: how often, since when, and when each may be tried again
//! (see [`crate::workers::stuck`]). A row exists only while its step fails.

use super::Db;
use crate::on_db;
use crate::unit::{Param, Row};

/// One failing step of the worker, for one subject (a cash-out, a dispute, a rail).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StuckStep {
    pub step: String,
    pub subject_id: String,
    pub tenant_id: String,
    pub failures: i64,
    pub first_failed_at: i64,
    pub retry_at: i64,
    pub last_error: String,
    pub alerted_at: Option<i64>,
}

const COLUMNS: &str = "step, subject_id, tenant_id, failures, first_failed_at, retry_at, last_error, alerted_at";

/// The failing steps, longest failing first (at most `limit`).
pub async fn list(db: &Db, limit: i64) -> anyhow::Result<Vec<StuckStep>> {
    let sql = format!("SELECT {COLUMNS} FROM stuck_steps ORDER BY first_failed_at, step, subject_id LIMIT {limit}");
    Ok(on_db!(db, |pool, _d| sqlx::query_as(&sql).fetch_all(pool).await?))
}

/// A failure of `step` for `subject`, counted with those before it.
pub struct Failure<'a> {
    pub step: &'a str,
    pub subject_id: &'a str,
    pub tenant_id: &'a str,
    pub error: &'a str,
    pub at: i64,
}

/// Counts the failure and returns how many in a row there are now. `retry_after_us` says
/// how long to wait after that many; `alert` (given the count) returns the rows to write if
/// the step is to be reported now — written once, with `alerted_at`, in the same transaction.
pub async fn record_failure(
    db: &Db,
    failure: &Failure<'_>,
    retry_after_us: impl Fn(i64) -> i64,
    alert: impl Fn(i64) -> Option<Vec<Row>>,
) -> anyhow::Result<(i64, bool)> {
    let mut tx = db.begin().await?;
    let key = || vec![Param::from(failure.step), Param::from(failure.subject_id)];
    let count = Row {
        sql: "INSERT INTO stuck_steps (step, subject_id, tenant_id, failures, first_failed_at, retry_at, last_error) \
              VALUES ($1, $2, $3, 1, $4, $4, $5) \
              ON CONFLICT (step, subject_id) DO UPDATE SET failures = stuck_steps.failures + 1, last_error = $5",
        params: [key(), vec![failure.tenant_id.into(), failure.at.into(), failure.error.into()]].concat(),
    };
    super::execute_rows(&mut tx, &[count]).await?;
    let failures: i64 = crate::on_tx!(&mut tx, |c, _d| {
        sqlx::query_scalar("SELECT failures FROM stuck_steps WHERE step = $1 AND subject_id = $2")
            .bind(failure.step)
            .bind(failure.subject_id)
            .fetch_one(c)
            .await?
    });
    let retry = Row {
        sql: "UPDATE stuck_steps SET retry_at = $3 WHERE step = $1 AND subject_id = $2",
        params: [key(), vec![(failure.at + retry_after_us(failures)).into()]].concat(),
    };
    super::execute_rows(&mut tx, &[retry]).await?;
    let mut alerted = false;
    if let Some(rows) = alert(failures) {
        let mark = Row {
            sql: "UPDATE stuck_steps SET alerted_at = $3 WHERE step = $1 AND subject_id = $2 AND alerted_at IS NULL",
            params: [key(), vec![failure.at.into()]].concat(),
        };
        alerted = super::execute_rows(&mut tx, &[mark]).await?[0] == 1;
        if alerted {
            super::execute_rows(&mut tx, &rows).await?;
        }
    }
    tx.commit().await?;
    Ok((failures, alerted))
}

/// The guard of the unit that reports a failing step (with its event): it marks the step
/// reported, and changes nothing if it was reported before.
pub fn reported_guard(step: &str, subject_id: &str, at: i64) -> Row {
    Row {
        sql: "UPDATE stuck_steps SET alerted_at = $3 WHERE step = $1 AND subject_id = $2 AND alerted_at IS NULL",
        params: vec![step.into(), subject_id.into(), at.into()],
    }
}

/// The step succeeded: it is no longer failing.
pub async fn clear(db: &Db, step: &str, subject_id: &str) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("DELETE FROM stuck_steps WHERE step = $1 AND subject_id = $2")
            .bind(step)
            .bind(subject_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Forgets steps not tried since `before`: their subject no longer comes up in the
/// worker's pass (the cash-out moved on another way), so nothing will clear them.
pub async fn purge(db: &Db, before: i64) -> anyhow::Result<u64> {
    let purged = on_db!(db, |pool, _d| {
        sqlx::query("DELETE FROM stuck_steps WHERE retry_at < $1").bind(before).execute(pool).await?.rows_affected()
    });
    Ok(purged)
}
