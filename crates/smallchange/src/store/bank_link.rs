//! What the bank rail keeps of its HTTP link to a bank: when each link is next polled for
//! status reports, and which reports it has fetched and applied.

use super::Db;
use crate::on_db;
use crate::unit::Row;

/// Takes the link's poll if it is due (moving the next one `every_us` on) and writes `job`
/// with it, so of several processes one polls. `false` if it is not due.
pub async fn claim_poll(db: &Db, link: &str, now: i64, every_us: i64, job: Row) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    let rows = [
        Row {
            sql: "INSERT INTO bank_polls (link, next_at) VALUES ($1, 0) ON CONFLICT (link) DO NOTHING",
            params: vec![link.into()],
        },
        Row {
            sql: "UPDATE bank_polls SET next_at = $1 WHERE link = $2 AND next_at <= $3",
            params: vec![(now + every_us).into(), link.into(), now.into()],
        },
    ];
    if super::execute_rows(&mut tx, &rows).await?[1] != 1 {
        return Ok(false);
    }
    super::execute_rows(&mut tx, &[job]).await?;
    tx.commit().await?;
    Ok(true)
}

/// Whether the report `report_id` of `link` was fetched and applied before.
pub async fn fetched(db: &Db, link: &str, report_id: &str) -> anyhow::Result<bool> {
    let found: Option<i64> = on_db!(db, |pool, _d| {
        sqlx::query_scalar("SELECT fetched_at FROM bank_reports WHERE link = $1 AND report_id = $2")
            .bind(link)
            .bind(report_id)
            .fetch_optional(pool)
            .await?
    });
    Ok(found.is_some())
}

/// A report fetched from a link, and what applying it did.
pub struct Fetched<'a> {
    pub link: &'a str,
    pub report_id: &'a str,
    pub kind: Option<&'a str>,
    pub message_id: Option<&'a str>,
    /// A JSON summary: the results, or why the report could not be read.
    pub outcome: String,
    pub at: i64,
}

pub async fn record(db: &Db, report: &Fetched<'_>) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query(
            "INSERT INTO bank_reports (link, report_id, kind, message_id, outcome, fetched_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (link, report_id) DO NOTHING",
        )
        .bind(report.link)
        .bind(report.report_id)
        .bind(report.kind)
        .bind(report.message_id)
        .bind(&report.outcome)
        .bind(report.at)
        .execute(pool)
        .await?;
    });
    Ok(())
}
