//! Moves new statement entries and payments into their per-user indexes in bulk, through
//! the committer like any other write (see [`crate::store::user_index`] for why). Readers
//! find a row whether it was moved or not; this keeps the rows not yet moved few, so that
//! reading them stays cheap.

use std::time::Duration;

use tokio::sync::watch;

use crate::committer::{Command, Committer};
use crate::store::{user_index, Db};
use crate::unit::Unit;

/// Moves up to a round of waiting rows; answers how many were waiting before it.
pub async fn catch_up(db: &Db, committer: &Committer) -> anyhow::Result<i64> {
    let waiting = user_index::waiting(db).await?;
    if waiting > 0 {
        let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), user_index::catch_up());
        committer.submit(Command::Unit(unit), None).await?;
    }
    Ok(waiting)
}

pub async fn run(db: Db, committer: Committer, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        let more_than_a_round = match catch_up(&db, &committer).await {
            Ok(waiting) => waiting > user_index::ROUND_ROWS_MAX,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "moving rows into per-user indexes failed");
                false
            }
        };
        if more_than_a_round && !*stop.borrow() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => break,
        }
    }
}
