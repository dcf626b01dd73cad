//! The first answer given to each `Idempotency-Key`, written in the same transaction as the
//! effect it reports, so a retry can never see the effect without the answer or the reverse.

use super::dialect::values_placeholders;
use super::{Db, Tx};
use crate::{on_db, on_tx};

/// An answer as it was first sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

/// The status of a key claimed by a request still at work (the API's status changes claim
/// theirs first, so copies racing the first do no work), whose answer is not known yet.
pub const CLAIMED: u16 = 0;

impl StoredResponse {
    /// Whether this is only a claim, made by the request whose fingerprint is `request_hash`.
    pub fn is_claim_of(&self, request_hash: &str) -> bool {
        self.status == CLAIMED && self.request_hash == request_hash
    }
}

/// The row that records the answer of a key claimed by its request ([`CLAIMED`]), in the
/// transaction of the change it answers; it changes nothing once the key is answered.
pub fn answer_row(scoped_key: &str, response: &StoredResponse) -> crate::unit::Row {
    crate::unit::Row {
        sql: "UPDATE idempotency_keys SET status = $1, body = $2 WHERE scoped_key = $3 AND status = 0",
        params: vec![i64::from(response.status).into(), response.body.as_str().into(), scoped_key.into()],
    }
}

/// A key and the response to remember for it.
#[derive(Clone, Debug)]
pub struct NewRecord {
    pub scoped_key: String,
    pub response: StoredResponse,
}

type Row = (String, String, i64, String);

pub async fn find(db: &Db, scoped_key: &str) -> anyhow::Result<Option<StoredResponse>> {
    let row: Option<Row> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT scoped_key, request_hash, status, body FROM idempotency_keys WHERE scoped_key = $1")
            .bind(scoped_key)
            .fetch_optional(pool)
            .await?
    });
    row.map(|r| from_row(r).1).map(Ok).transpose()
}

/// The stored answers for those of these keys that have one.
pub async fn load(tx: &mut Tx, scoped_keys: &[&str]) -> anyhow::Result<Vec<(String, StoredResponse)>> {
    if scoped_keys.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Row> = on_tx!(tx, |c, d| {
        let sql = format!(
            "SELECT scoped_key, request_hash, status, body FROM idempotency_keys WHERE {}",
            d.in_id_list("scoped_key", 1)
        );
        sqlx::query_as(&sql).bind(d.id_list(scoped_keys.iter().copied())).fetch_all(c).await?
    });
    Ok(rows.into_iter().map(from_row).collect())
}

pub async fn insert(tx: &mut Tx, records: &[NewRecord], created_at: i64) -> anyhow::Result<()> {
    for chunk in records.chunks(500) {
        on_tx!(tx, |c, d| {
            let sql = format!(
                "INSERT INTO idempotency_keys (scoped_key, request_hash, status, body, created_at) VALUES {}",
                values_placeholders(d, chunk.len(), 5)
            );
            let mut query = sqlx::query(&sql);
            for r in chunk {
                query = query
                    .bind(r.scoped_key.as_str())
                    .bind(r.response.request_hash.as_str())
                    .bind(i64::from(r.response.status))
                    .bind(r.response.body.as_str())
                    .bind(created_at);
            }
            query.execute(c).await?;
        });
    }
    Ok(())
}

/// Claims `scoped_key` for the request whose fingerprint is `request_hash`, in the name of
/// the running server `boot` (see [`super::boots`]), unless the key is claimed or answered
/// already; whether this caller has it.
pub async fn claim(db: &Db, scoped_key: &str, request_hash: &str, boot: &str, now: i64) -> anyhow::Result<bool> {
    let kept = on_db!(db, |pool, _d| {
        sqlx::query(
            "INSERT INTO idempotency_keys (scoped_key, request_hash, status, body, created_at, claimed_by) \
             VALUES ($1, $2, $3, '', $4, $5) ON CONFLICT (scoped_key) DO NOTHING",
        )
        .bind(scoped_key)
        .bind(request_hash)
        .bind(i64::from(CLAIMED))
        .bind(now)
        .bind(boot)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(kept == 1)
}

/// Takes over, for `boot`, a claim whose request never answered and whose holder is gone:
/// its server stopped or has not been seen alive for [`super::boots::GONE_AFTER_US`] (it
/// was killed while working), or the claim is older than `stale_before` whoever holds it.
/// Whether this caller has it now.
pub async fn take_over(db: &Db, scoped_key: &str, boot: &str, now: i64, stale_before: i64) -> anyhow::Result<bool> {
    let taken = on_db!(db, |pool, _d| {
        sqlx::query(
            "UPDATE idempotency_keys SET created_at = $1, claimed_by = $2 \
             WHERE scoped_key = $3 AND status = 0 AND (created_at < $4 OR (claimed_by IS NOT NULL \
             AND claimed_by NOT IN (SELECT id FROM server_boots WHERE alive_at >= $5)))",
        )
        .bind(now)
        .bind(boot)
        .bind(scoped_key)
        .bind(stale_before)
        .bind(now - super::boots::GONE_AFTER_US)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(taken == 1)
}

/// Records the answer of a claimed key.
pub async fn answer(db: &Db, scoped_key: &str, status: u16, body: &str) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("UPDATE idempotency_keys SET status = $1, body = $2 WHERE scoped_key = $3 AND status = 0")
            .bind(i64::from(status))
            .bind(body)
            .bind(scoped_key)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Gives up a claim without an answer (the work failed on our side and may be retried).
pub async fn release(db: &Db, scoped_key: &str) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("DELETE FROM idempotency_keys WHERE scoped_key = $1 AND status = 0")
            .bind(scoped_key)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// The row that keeps `record`, for an effect written as rows of a transaction of its own
/// (a status change): the answer commits with the effect or not at all.
pub fn record_row(record: &NewRecord, created_at: i64) -> crate::unit::Row {
    let response = &record.response;
    crate::unit::Row {
        sql: "INSERT INTO idempotency_keys (scoped_key, request_hash, status, body, created_at) \
              VALUES ($1, $2, $3, $4, $5)",
        params: vec![
            record.scoped_key.as_str().into(),
            response.request_hash.as_str().into(),
            i64::from(response.status).into(),
            response.body.as_str().into(),
            created_at.into(),
        ],
    }
}

/// Forgets answers older than `before_us`; returns how many.
pub async fn purge(db: &Db, before_us: i64) -> anyhow::Result<u64> {
    let done = on_db!(db, |pool, _d| {
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before_us)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(done)
}

fn from_row((scoped_key, request_hash, status, body): Row) -> (String, StoredResponse) {
    let status = u16::try_from(status).unwrap_or(500);
    (scoped_key, StoredResponse { request_hash, status, body })
}
