//! Payout rails: how a cash-out leaves smallchange. This module is the one shape every
//! rail has; each connector is a module of its own (`sandbox`, `bank`, `e_wallet`,
//! `cash_pickup`). The cash-out worker hands each rail the `processing` cash-outs that
//! chose it, then lets it move on whatever time moves on.
//!
//! A rail never calls a partner inside a database transaction, and never from the worker's
//! pass itself: what crosses the network (a payout request, a batch upload, a voucher's
//! SMS) is a durable job written with the status change, so it has attempts and retries
//! with backoff (see [`crate::workers::jobs`]). A partner's answer moves the cash-out on
//! with a conditional status change, so answers that race or repeat change it once.

use futures::future::BoxFuture;

pub mod bank;
pub mod cash_pickup;
pub mod e_wallet;
pub mod sandbox;

use crate::context::Context;
use crate::services::Actor;
use crate::store::cashouts::Cashout;

/// Cash-outs of one rail, with their tenants.
pub type Waiting = Vec<(String, Cashout)>;

pub trait Rail: Send + Sync {
    /// The rail's name in quotes, cash-outs and settings (`bank_transfer`, …).
    fn name(&self) -> &'static str;

    /// Takes `processing` cash-outs of this rail: each goes `in_transit`, with what carries
    /// it on (a batch, a voucher, a payout job) written in the same transaction. `actor`
    /// (the worker driving the rail) is recorded on each change.
    fn submit<'a>(
        &'a self,
        app: &'a Context,
        actor: &'a Actor,
        waiting: Waiting,
        now: i64,
    ) -> BoxFuture<'a, anyhow::Result<()>>;

    /// Moves on what time moves on: a sandbox payout settles, a voucher expires, a bank's
    /// reports are fetched.
    fn advance<'a>(&'a self, app: &'a Context, actor: &'a Actor, now: i64) -> BoxFuture<'a, anyhow::Result<()>>;

    /// Whether an `in_transit` payout waits on the user rather than the partner (a voucher
    /// to collect, ended by its own expiry), so the SLA alert leaves it alone.
    fn waits_on_user(&self) -> bool {
        false
    }
}

/// Logs a step that failed for one cash-out and lets the pass go on to the next: one that
/// keeps failing must not hold up every other (the next pass tries it again).
pub fn carry_on<T>(result: anyhow::Result<T>, step: &str, id: &str) {
    if let Err(error) = result {
        tracing::warn!(id, error = %format!("{error:#}"), "{step} failed; trying again next pass");
    }
}

/// Every rail smallchange runs.
pub const ALL: [&dyn Rail; 4] = [&sandbox::Sandbox, &bank::Bank, &e_wallet::Ewallet, &cash_pickup::Pickup];

/// The rail called `name`.
pub fn named(name: &str) -> Option<&'static dyn Rail> {
    ALL.into_iter().find(|rail| rail.name() == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cashout_policy::RAILS;

    #[test]
    fn every_rail_the_settings_name_runs() {
        for name in RAILS {
            assert_eq!(named(name).map(|r| r.name()), Some(name));
        }
        assert_eq!(ALL.len(), RAILS.len());
        assert!(named("pigeon").is_none());
    }
}
