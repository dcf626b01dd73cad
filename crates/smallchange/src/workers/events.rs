//! Consumers of events, off the request path. Each [`Subscriber`] reads every tenant's
//! events in index order from where its cursor stands, turns each into rows (a webhook
//! event and its fan-out job, an SMS job…) and writes them in the transaction that moves
//! its cursor on: what follows from an event is enqueued exactly once, and the durable
//! jobs runner does the rest. A use case never writes a consumer's rows itself.
//!
//! Several servers may run this at once: a cursor moves only from where it was read, so
//! of two that read the same events one writes and the other rolls back.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::watch;

use crate::store::events::{self, Stored};
use crate::store::{self, Db};
use crate::unit::Row;

/// Most events one subscriber handles per tenant in one transaction.
const ROUND_EVENTS_MAX: i64 = 500;

/// One consumer of events.
pub trait Subscriber: Send + Sync {
    /// Its cursor's name; never changes once shipped.
    fn name(&self) -> &'static str;
    /// The kinds of event it may follow; the others are skipped without being read.
    fn kinds(&self) -> Vec<&'static str>;
    /// The rows that follow from `event` (none for an event it does not care about).
    fn follow<'a>(&'a self, event: &'a Stored) -> BoxFuture<'a, anyhow::Result<Vec<Row>>>;
}

/// Hands every new event to every subscriber, every `every`, until told to stop.
pub async fn run(db: Db, subscribers: Vec<Arc<dyn Subscriber>>, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        let mut busy = false;
        for subscriber in &subscribers {
            match catch_up(&db, subscriber.as_ref()).await {
                Ok(full_round) => busy |= full_round,
                Err(error) => {
                    tracing::warn!(subscriber = subscriber.name(), error = %format!("{error:#}"), "following events failed; trying again")
                }
            }
        }
        if busy && !*stop.borrow() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => break,
        }
    }
}

/// One round for one subscriber over every tenant with events it has not handled;
/// answers whether a tenant had more than a round waiting.
pub async fn catch_up(db: &Db, subscriber: &dyn Subscriber) -> anyhow::Result<bool> {
    let cursors: std::collections::HashMap<String, u64> =
        events::cursors(db, subscriber.name()).await?.into_iter().collect();
    let mut more = false;
    for (tenant, size) in events::tree_sizes(db).await? {
        let from = cursors.get(&tenant).copied().unwrap_or(0);
        if size > from {
            more |= follow_tenant(db, subscriber, &tenant, (from, size)).await?;
        }
    }
    Ok(more)
}

/// Handles up to a round of the events of `tenant`'s indexes `from..to` that `subscriber`
/// follows, and moves its cursor past them (past every event in the range when the round
/// holds them all); answers whether the round was full.
async fn follow_tenant(
    db: &Db,
    subscriber: &dyn Subscriber,
    tenant: &str,
    (from, to): (u64, u64),
) -> anyhow::Result<bool> {
    let events = events::of_kinds(db, tenant, (from, to), &subscriber.kinds(), ROUND_EVENTS_MAX).await?;
    let full = events.len() as i64 == ROUND_EVENTS_MAX;
    let to = match events.last() {
        Some(last) if full => last.index + 1,
        _ => to,
    };
    let mut rows = Vec::new();
    for event in &events {
        rows.extend(subscriber.follow(event).await?);
    }
    let mut tx = db.begin().await?;
    if !events::advance(&mut tx, subscriber.name(), tenant, from, to).await? {
        // Another server handled these first; what we made is dropped with the rollback.
        return Ok(false);
    }
    store::write_rows(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(full)
}
