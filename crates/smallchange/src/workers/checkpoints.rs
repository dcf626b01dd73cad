//! Signs each tenant's tree: every `CHECKPOINT_EVERY` (well under the promised second), a
//! checkpoint of every tree that grew since its last, and once more at shutdown, after the
//! committer's last batch (see `app.rs`). Two servers on one database may both sign a size;
//! the first stored wins and the other's is dropped (both signed the same tree).
//!
//! The signing key is read again each round that has something to sign, so a key rotated by `smallchange audit
//! rotate-key` signs from the next round on, without a restart.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::crypto::Secrets;
use crate::services::audit;
use crate::store::{self, Db};

/// How often trees are looked at: four times within the second a checkpoint is due.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

pub async fn run(db: Db, secrets: Arc<Secrets>, mut stop: watch::Receiver<bool>) {
    loop {
        sign(&db, &secrets).await;
        tokio::select! {
            _ = tokio::time::sleep(CHECKPOINT_EVERY) => {}
            _ = stop.changed() => break,
        }
    }
}

/// One round: a checkpoint of every tree ahead of its last; failures are logged, and the
/// next round tries again.
pub async fn sign(db: &Db, secrets: &Secrets) {
    match audit::checkpoint_heads(db, secrets, store::now_us()).await {
        Ok(0) => {}
        Ok(stored) => tracing::debug!(stored, "audit checkpoints signed"),
        Err(error) => tracing::warn!(error = %format!("{error:#}"), "signing audit checkpoints failed"),
    }
}
