//! Durable jobs: the outbox every worker reads (webhook deliveries now; payouts, alerts and
//! auto-cash-out later).
//!
//! A job is enqueued by a row written in the same transaction as the change that causes it
//! ([`enqueue_row`] inside a unit), so it exists if and only if that change committed. A
//! runner [`claim`]s a bounded batch of due jobs under a lease and commits the claim at
//! once: no transaction stays open while a job calls the outside world. A claim moves the
//! job's `run_at` to the end of its lease, so the job of a worker that died is due again
//! when the lease runs out, with nothing to clean up. Delivery is therefore at least once:
//! a handler must be safe to run twice (ours pass the job or event id on as the
//! receiver's idempotency key).
//!
//! [`complete`] and [`fail`] settle a job. `fail` is fenced on the attempt it reports, so a
//! worker whose lease ran out cannot reschedule a job that another worker has claimed since.

use std::time::Duration;

use rand::Rng;
use serde_json::Value;

use super::{Db, Dialect};
use crate::ids;
use crate::on_db;
use crate::unit::Row;

/// Longest `last_error` kept, in characters; the rest of a long message is cut.
const ERROR_LEN_MAX: usize = 1_000;

/// A claimed job, as its handler sees it. `attempts` counts this claim (1 the first time).
#[derive(Clone, Debug)]
pub struct Job {
    pub id: String,
    pub tenant_id: String,
    pub kind: String,
    pub payload: Value,
    pub attempts: i64,
}

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Waiting for `run_at`, or claimed and running until its lease ends.
    Queued,
    Done,
    /// Failed for good: permanently, or `max_attempts` times.
    Dead,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Done => "done",
            Status::Dead => "dead",
        }
    }

    fn parse(text: &str) -> anyhow::Result<Status> {
        match text {
            "queued" => Ok(Status::Queued),
            "done" => Ok(Status::Done),
            "dead" => Ok(Status::Dead),
            other => anyhow::bail!("a job has the unknown status {other:?}"),
        }
    }
}

/// A job's bookkeeping, for operators and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobState {
    pub status: Status,
    pub attempts: i64,
    pub run_at: i64,
    pub lease_until: Option<i64>,
    pub last_error: Option<String>,
}

/// How the job runner (`workers::jobs`) claims and retries; built from the settings.
#[derive(Clone, Debug)]
pub struct RunnerSettings {
    /// How long the runner sleeps when it found nothing due.
    pub poll: Duration,
    /// Most jobs claimed and running at once.
    pub batch_max: i64,
    pub lease: Duration,
    pub backoff: Backoff,
}

/// How failed jobs are retried.
#[derive(Clone, Debug)]
pub struct Backoff {
    /// The wait after the first failure; it doubles with every further one.
    pub base: Duration,
    /// The longest wait.
    pub max: Duration,
    /// After this many attempts a failing job is dead.
    pub max_attempts: i64,
}

impl Backoff {
    /// The wait after failed attempt `attempt` (1 for the first): `base · 2^(attempt − 1)`,
    /// capped at `max`, less a random part of up to half ("equal jitter"). The jitter spreads
    /// out the retries of jobs that failed together (an endpoint that was down); taking off
    /// at most half keeps each wait at least as long as the one before could have been.
    pub fn delay(&self, attempt: i64) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 31)).expect("0..=31 fits");
        let full = self.base.saturating_mul(1u32 << doublings).min(self.max);
        let half = full / 2;
        let jitter_us = rand::thread_rng().gen_range(0..=micros(full - half));
        half + Duration::from_micros(jitter_us)
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

fn micros_i64(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

/// The row that enqueues a job: write it inside a unit so the job exists iff the change that
/// caused it committed. It becomes due at `run_at_us` (use [`super::now_us`] for "at once").
pub fn enqueue_row(tenant_id: &str, kind: &str, payload: &Value, run_at_us: i64) -> Row {
    insert_row(&ids::time_ordered("job", super::now_us()), tenant_id, kind, payload, run_at_us)
}

/// Enqueues a job directly, for workers whose jobs follow from other jobs. Returns its id.
pub async fn enqueue(db: &Db, tenant_id: &str, kind: &str, payload: &Value, run_at_us: i64) -> anyhow::Result<String> {
    let id = ids::time_ordered("job", super::now_us());
    let mut tx = db.begin().await?;
    super::write_rows(&mut tx, &[insert_row(&id, tenant_id, kind, payload, run_at_us)]).await?;
    tx.commit().await?;
    Ok(id)
}

fn insert_row(id: &str, tenant_id: &str, kind: &str, payload: &Value, run_at_us: i64) -> Row {
    assert!(!kind.is_empty(), "a job has a kind");
    let now = super::now_us();
    Row {
        sql: "INSERT INTO jobs (id, tenant_id, kind, payload, status, run_at, attempts, created_at, updated_at) \
              VALUES ($1, $2, $3, $4, 'queued', $5, 0, $6, $7)",
        params: vec![
            id.into(),
            tenant_id.into(),
            kind.into(),
            payload.to_string().into(),
            run_at_us.into(),
            now.into(),
            now.into(),
        ],
    }
}

type ClaimedRow = (String, String, String, String, i64);

/// Claims up to `limit` due jobs of these kinds with a lease (PostgreSQL: FOR UPDATE SKIP
/// LOCKED inside a short transaction; SQLite: one writer, a conditional UPDATE), committing
/// the claim before returning — no transaction is held while the job runs.
///
/// It is one `UPDATE … RETURNING` statement, its own transaction on both backends: on
/// PostgreSQL its subquery skips rows other claimers hold, on SQLite the statement takes
/// the write lock before it reads. Oldest due first.
pub async fn claim(db: &Db, kinds: &[&str], now_us: i64, lease: Duration, limit: i64) -> anyhow::Result<Vec<Job>> {
    if kinds.is_empty() || limit <= 0 {
        return Ok(Vec::new());
    }
    let lease_until = now_us.saturating_add(micros_i64(lease));
    let rows: Vec<ClaimedRow> = on_db!(db, |pool, d| {
        sqlx::query_as(&claim_sql(d))
            .bind(lease_until)
            .bind(now_us)
            .bind(d.id_list(kinds.iter().copied()))
            .bind(limit)
            .fetch_all(pool)
            .await?
    });
    Ok(rows.into_iter().map(job_from_row).collect())
}

fn claim_sql(d: Dialect) -> String {
    format!(
        "UPDATE jobs SET run_at = $1, lease_until = $1, attempts = attempts + 1, updated_at = $2 \
         WHERE id IN (SELECT id FROM jobs WHERE status = 'queued' AND {} AND run_at <= $2 \
                      ORDER BY run_at LIMIT $4{}) \
         RETURNING id, tenant_id, kind, payload, attempts",
        d.in_id_list("kind", 3),
        d.for_update_skip_locked()
    )
}

fn job_from_row((id, tenant_id, kind, payload, attempts): ClaimedRow) -> Job {
    // Payloads are written from JSON values; keep a damaged one as text for its handler.
    let payload = serde_json::from_str(&payload).unwrap_or(Value::String(payload));
    Job { id, tenant_id, kind, payload, attempts }
}

/// Marks a job done.
pub async fn complete(db: &Db, id: &str) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query(
            "UPDATE jobs SET status = 'done', lease_until = NULL, updated_at = $1 \
             WHERE id = $2 AND status = 'queued'",
        )
        .bind(super::now_us())
        .bind(id)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Reschedules with exponential backoff (base, capped, with jitter), or marks dead after
/// `max_attempts`.
pub async fn fail(db: &Db, job: &Job, error: &str, now_us: i64, backoff: &Backoff) -> anyhow::Result<()> {
    if job.attempts >= backoff.max_attempts {
        return settle(db, job, Status::Dead, now_us, error, now_us).await;
    }
    let run_at = now_us.saturating_add(micros_i64(backoff.delay(job.attempts)));
    settle(db, job, Status::Queued, run_at, error, now_us).await
}

/// Marks a job dead at once: retrying cannot help (its payload names nothing that exists).
pub async fn bury(db: &Db, job: &Job, error: &str, now_us: i64) -> anyhow::Result<()> {
    settle(db, job, Status::Dead, now_us, error, now_us).await
}

/// Records the outcome of the attempt `job` holds, unless the job was claimed again since.
async fn settle(db: &Db, job: &Job, status: Status, run_at: i64, error: &str, now_us: i64) -> anyhow::Result<()> {
    let error: String = error.chars().take(ERROR_LEN_MAX).collect();
    on_db!(db, |pool, _d| {
        sqlx::query(
            "UPDATE jobs SET status = $1, run_at = $2, lease_until = NULL, last_error = $3, updated_at = $4 \
             WHERE id = $5 AND status = 'queued' AND attempts = $6",
        )
        .bind(status.as_str())
        .bind(run_at)
        .bind(&error)
        .bind(now_us)
        .bind(&job.id)
        .bind(job.attempts)
        .execute(pool)
        .await?;
    });
    Ok(())
}

type StateRow = (String, i64, i64, Option<i64>, Option<String>);

/// Where job `id` stands, if it exists.
pub async fn state(db: &Db, id: &str) -> anyhow::Result<Option<JobState>> {
    let row: Option<StateRow> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT status, attempts, run_at, lease_until, last_error FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    row.map(|(status, attempts, run_at, lease_until, last_error)| {
        Ok(JobState { status: Status::parse(&status)?, attempts, run_at, lease_until, last_error })
    })
    .transpose()
}

/// The ids of jobs of `kind` in `status`, oldest first, at most `limit`.
pub async fn ids_of(db: &Db, kind: &str, status: Status, limit: i64) -> anyhow::Result<Vec<String>> {
    let ids = on_db!(db, |pool, _d| {
        sqlx::query_scalar("SELECT id FROM jobs WHERE kind = $1 AND status = $2 ORDER BY id LIMIT $3")
            .bind(kind)
            .bind(status.as_str())
            .bind(limit)
            .fetch_all(pool)
            .await?
    });
    Ok(ids)
}

/// Forgets finished (done or dead) jobs last changed before `before_us`; returns how many.
pub async fn purge(db: &Db, before_us: i64) -> anyhow::Result<u64> {
    let done = on_db!(db, |pool, _d| {
        sqlx::query("DELETE FROM jobs WHERE status <> 'queued' AND updated_at < $1")
            .bind(before_us)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_at_most_half_taken_off() {
        let backoff = Backoff { base: Duration::from_secs(1), max: Duration::from_secs(60), max_attempts: 12 };
        for _ in 0..200 {
            let mut previous_full = Duration::ZERO;
            for attempt in 1..=12 {
                let full = Duration::from_secs(1u64 << (attempt - 1)).min(Duration::from_secs(60));
                let delay = backoff.delay(attempt);
                assert!(delay >= full / 2 && delay <= full, "attempt {attempt}: {delay:?} of {full:?}");
                if full == previous_full * 2 {
                    assert!(delay >= previous_full, "below the cap a wait is never shorter than the one before");
                }
                previous_full = full;
            }
        }
        assert!(backoff.delay(i64::MAX) <= Duration::from_secs(60));
        assert!(backoff.delay(0) <= Duration::from_secs(1) && backoff.delay(-3) >= Duration::from_millis(500));
    }

    #[test]
    fn claims_skip_locked_rows_on_postgres_only() {
        assert!(claim_sql(Dialect::Postgres).contains("FOR UPDATE SKIP LOCKED"));
        assert!(!claim_sql(Dialect::Sqlite).contains("FOR UPDATE"));
    }
}
