//! Forgets what is no longer needed: idempotency records older than their retention (at
//! least 24 h), finished jobs older than theirs, and failing worker steps not tried for a
//! day (their subject moved on another way).

use std::time::Duration;

use tokio::sync::watch;

use crate::store::{self, Db};

/// How often old records are looked for.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
const HOUR_US: i64 = 3_600_000_000;
/// A failing step is tried at least every few minutes while its subject still needs it.
const STUCK_STEP_FORGOTTEN_AFTER_US: i64 = 24 * HOUR_US;

pub async fn run(db: Db, idempotency_retention_h: u32, jobs_retention_h: u32, mut stop: watch::Receiver<bool>) {
    loop {
        let now = store::now_us();
        let before = now - i64::from(idempotency_retention_h) * HOUR_US;
        match store::idempotency::purge(&db, before).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "old idempotency records removed"),
            Err(error) => tracing::warn!(error = %format!("{error:#}"), "idempotency purge failed"),
        }
        match store::jobs::purge(&db, now - i64::from(jobs_retention_h) * HOUR_US).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "finished jobs removed"),
            Err(error) => tracing::warn!(error = %format!("{error:#}"), "job purge failed"),
        }
        match store::stuck_steps::purge(&db, now - STUCK_STEP_FORGOTTEN_AFTER_US).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "failing steps no longer tried were forgotten"),
            Err(error) => tracing::warn!(error = %format!("{error:#}"), "stuck-step purge failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_EVERY) => {}
            _ = stop.changed() => break,
        }
    }
}
