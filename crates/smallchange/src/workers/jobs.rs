//! The job runner: claims due jobs (see [`crate::store::jobs`]), runs each with the
//! [`Handler`] of its kind, and records the outcome: done, retried with backoff, or dead.
//!
//! It keeps at most `batch_max` jobs running at once and claims only as many as it has room
//! for, so a slow job never holds a claimed one back past its lease. A handler runs outside
//! any database transaction and must finish well within the lease (webhook deliveries have
//! a timeout of at most half of it); if it panics, its job fails alone and is retried. On
//! shutdown the runner stops claiming and waits for the jobs in flight, up to
//! [`STOP_GRACE`]; any still running then are abandoned to their leases and run again later.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use crate::store::jobs::RunnerSettings;
use crate::store::jobs::{self, Backoff, Job};
use crate::store::{self, Db};

/// Longest the runner waits at shutdown for the jobs in flight.
pub const STOP_GRACE: Duration = Duration::from_secs(30);

/// Runs the jobs of one kind. Register it in [`crate::workers::handlers`].
pub trait Handler: Send + Sync {
    /// The `kind` of the jobs it runs; one handler per kind.
    fn kind(&self) -> &'static str;
    /// Runs one job; `Ok` marks it done. It may run more than once for one job (a runner
    /// died, a lease ran out), so it must be safe to repeat.
    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>>;
}

/// Why a job did not succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Try again after the backoff (until the attempts run out).
    #[error("{0}")]
    Retry(String),
    /// Trying again cannot help: the job is dead now.
    #[error("{0}")]
    Permanent(String),
}

/// An unexpected error (the database, say) is worth another try.
impl From<anyhow::Error> for JobError {
    fn from(error: anyhow::Error) -> JobError {
        JobError::Retry(format!("{error:#}"))
    }
}

/// Runs jobs of the handlers' kinds until `stopped` turns true (or its sender is dropped).
pub async fn run(
    db: Db,
    handlers: Vec<Arc<dyn Handler>>,
    settings: RunnerSettings,
    mut stopped: watch::Receiver<bool>,
) {
    let handlers = by_kind(handlers);
    let kinds: Vec<&str> = handlers.keys().copied().collect();
    let mut running = JoinSet::new();
    while !*stopped.borrow() {
        while running.try_join_next().is_some() {}
        let room = settings.batch_max - running.len() as i64;
        for job in claim(&db, &kinds, &settings, room).await {
            let handler = handlers[job.kind.as_str()].clone();
            running.spawn(run_one(db.clone(), handler, job, settings.backoff.clone()));
        }
        // Full: more may be due, so claim again as soon as a job ends; else poll.
        let full = running.len() as i64 >= settings.batch_max;
        tokio::select! {
            _ = running.join_next(), if full => {}
            _ = tokio::time::sleep(settings.poll), if !full => {}
            changed = stopped.changed() => if changed.is_err() { break },
        }
    }
    drain(running).await;
}

/// The handlers by kind; two for one kind is a programming error.
fn by_kind(handlers: Vec<Arc<dyn Handler>>) -> HashMap<&'static str, Arc<dyn Handler>> {
    let mut map = HashMap::new();
    for handler in handlers {
        let kind = handler.kind();
        assert!(map.insert(kind, handler).is_none(), "two job handlers for the kind {kind:?}");
    }
    map
}

/// Claims up to `room` due jobs; a failure is logged and the next round tries again.
async fn claim(db: &Db, kinds: &[&str], settings: &RunnerSettings, room: i64) -> Vec<Job> {
    if room <= 0 || kinds.is_empty() {
        return Vec::new();
    }
    match jobs::claim(db, kinds, store::now_us(), settings.lease, room).await {
        Ok(claimed) => claimed,
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "claiming jobs failed");
            Vec::new()
        }
    }
}

/// Runs one job and records its outcome. If recording fails, the lease brings it back.
async fn run_one(db: Db, handler: Arc<dyn Handler>, job: Job, backoff: Backoff) {
    let outcome = AssertUnwindSafe(handler.run(&job))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err(JobError::Retry("the job's handler panicked".into())));
    if let Err(error) = settle(&db, &job, outcome, &backoff).await {
        tracing::warn!(job = %job.id, error = %format!("{error:#}"), "recording a job's outcome failed");
    }
}

async fn settle(db: &Db, job: &Job, outcome: Result<(), JobError>, backoff: &Backoff) -> anyhow::Result<()> {
    let now = store::now_us();
    match outcome {
        Ok(()) => jobs::complete(db, &job.id).await,
        Err(JobError::Retry(error)) => {
            let last = job.attempts >= backoff.max_attempts;
            tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, last, %error, "job failed");
            jobs::fail(db, job, &error, now, backoff).await
        }
        Err(JobError::Permanent(error)) => {
            tracing::warn!(job = %job.id, kind = %job.kind, %error, "job failed for good");
            jobs::bury(db, job, &error, now).await
        }
    }
}

/// Waits for the jobs in flight, at most [`STOP_GRACE`]; abandons the rest to their leases.
async fn drain(mut running: JoinSet<()>) {
    let waited = tokio::time::timeout(STOP_GRACE, async { while running.join_next().await.is_some() {} }).await;
    if waited.is_err() {
        tracing::warn!(abandoned = running.len(), "jobs still running at shutdown; they will run again");
        running.abort_all();
    }
}
