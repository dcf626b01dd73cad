//! Forgets idempotency records once they are older than the retention (at least 24 h).

use std::time::Duration;

use tokio::sync::watch;

use crate::store::{self, Db};

/// How often old records are looked for.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

pub async fn run(db: Db, retention_h: u32, mut stop: watch::Receiver<bool>) {
    loop {
        let before = store::now_us() - i64::from(retention_h) * 3_600_000_000;
        match store::idempotency::purge(&db, before).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "old idempotency records removed"),
            Err(error) => tracing::warn!(error = %format!("{error:#}"), "idempotency purge failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_EVERY) => {}
            _ = stop.changed() => break,
        }
    }
}
