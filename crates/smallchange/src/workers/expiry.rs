//! Voids pending transfers whose timeout has passed, through the committer like any other
//! write, so the void is an entry that `verify` can see and a late post answers
//! `pending_expired`.

use std::time::Duration;

use ledger::{Transfer, TransferFlags, TransferId};
use tokio::sync::watch;

use crate::committer::{Command, Committer};
use crate::store::{self, Db};

/// Most expiries voided in one round.
const EXPIRIES_PER_ROUND_MAX: i64 = 1_000;

/// The id of the void that expires `pending`: `~` cannot appear in a caller's id.
pub fn expiry_id(pending: &TransferId) -> TransferId {
    TransferId(format!("{}~expired", pending.0))
}

/// Voids every pending transfer due by now; returns how many were voided.
pub async fn expire_due(db: &Db, committer: &Committer) -> anyhow::Result<usize> {
    let due = store::ledger::due_expiries(db, store::now_us(), EXPIRIES_PER_ROUND_MAX).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let voids: Vec<Transfer> = due
        .into_iter()
        .map(|pending| Transfer {
            id: expiry_id(&pending),
            debit_account: None,
            credit_account: None,
            amount: None,
            currency: None,
            code: 0,
            flags: TransferFlags::VOID_PENDING.union(TransferFlags::EXPIRY),
            pending_id: Some(pending),
            timeout_s: 0,
        })
        .collect();
    let reply = committer.submit(Command::Transfers(voids), None).await?;
    let crate::committer::Reply::Applied(crate::committer::Output::Transfers(results)) = reply else {
        anyhow::bail!("unexpected reply to an expiry round");
    };
    Ok(results.iter().filter(|r| **r == ledger::TransferResult::Created).count())
}

pub async fn run(db: Db, committer: Committer, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        match expire_due(&db, &committer).await {
            Ok(0) => {}
            Ok(voided) => tracing::info!(voided, "pending transfers expired"),
            Err(error) => tracing::warn!(error = %format!("{error:#}"), "expiry round failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => break,
        }
    }
}
