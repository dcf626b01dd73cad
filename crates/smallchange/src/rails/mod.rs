//! Payout rails: how a cash-out leaves smallchange. This module is the one shape every
//! rail has; each connector is a module of its own (`sandbox`, `bank`, `e_wallet`,
//! `cash_pickup`). The cash-out worker hands each rail the `processing` cash-outs that
//! chose it, then lets it move on whatever time moves on.
//!
//! A rail never moves a cash-out itself: it answers what happened to each of its cash-outs,
//! an [`Outcome`] (taken, paid, failed, with the rows that carry it on), and the cash-out
//! service applies it (`services::cashout::outcome`) as a conditional status change with
//! its money and its event, so outcomes that race or repeat change a cash-out once. The
//! dependency runs one way: services call rails, never the reverse.
//!
//! A rail never calls a partner inside a database transaction, and never from the worker's
//! pass itself: what crosses the network (a payout request, a batch upload, a voucher's
//! SMS) is a durable job that follows the status change (its row, or for the SMS a
//! subscriber to the change's event), so it has attempts and retries with backoff (see
//! [`crate::workers::jobs`]).

use futures::future::BoxFuture;

pub mod bank;
pub mod cash_pickup;
pub mod e_wallet;
pub mod sandbox;

use serde_json::{Map, Value};

use crate::context::Context;
use crate::events::Kind;
use crate::store::cashouts::Cashout;
use crate::unit::Row;

/// Cash-outs of one rail, with their tenants.
pub type Waiting = Vec<(String, Cashout)>;

/// What a rail says happened to one of its cash-outs, for the cash-out service to apply.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub tenant: String,
    pub cashout_id: String,
    pub moved: Moved,
    /// Why, for the cash-out's timeline.
    pub note: String,
    pub at: i64,
    /// What carries the payout on, written with the change: a batch item, a payout job, a
    /// voucher.
    pub rows: Vec<Row>,
    /// The event the change is recorded as when it is the rail's own fact rather than the
    /// plain `cashout.<status>` (a voucher issued), with the fields it adds to the data.
    pub recorded_as: Option<(Kind, Map<String, Value>)>,
}

/// Where a rail moved a cash-out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Moved {
    /// Taken from `processing` and on its way (`in_transit`), with the rail's reference.
    Taken { reference: Option<String> },
    /// Paid (from `in_transit`).
    Paid { reference: Option<String> },
    /// Failed (from `in_transit`), for `reason`: the cash-out's failure reason.
    Failed { reason: String, reference: Option<String> },
}

impl Outcome {
    /// A plain outcome (no rows, recorded as its status's event).
    pub fn new(tenant: &str, cashout_id: &str, moved: Moved, note: impl Into<String>, at: i64) -> Outcome {
        Outcome {
            tenant: tenant.to_string(),
            cashout_id: cashout_id.to_string(),
            moved,
            note: note.into(),
            at,
            rows: Vec::new(),
            recorded_as: None,
        }
    }
}

/// What one call of a rail answers.
pub type Outcomes<'a> = BoxFuture<'a, anyhow::Result<Vec<Outcome>>>;

pub trait Rail: Send + Sync {
    /// The rail's name in quotes, cash-outs and settings (`bank_transfer`, …).
    fn name(&self) -> &'static str;

    /// Takes `processing` cash-outs of this rail: each goes `in_transit`, with what carries
    /// it on (a batch, a voucher, a payout job) written with the change.
    fn submit<'a>(&'a self, app: &'a Context, waiting: Waiting, now: i64) -> Outcomes<'a>;

    /// Once the outcomes of [`Rail::submit`] are applied: finishes what they started (the
    /// bank closes the batches it filled).
    fn submitted<'a>(
        &'a self,
        _app: &'a Context,
        _outcomes: &'a [Outcome],
        _now: i64,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Moves on what time moves on: a sandbox payout settles, a voucher expires, a bank's
    /// reports are fetched.
    fn advance<'a>(&'a self, app: &'a Context, now: i64) -> Outcomes<'a>;

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
