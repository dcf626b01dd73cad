//! The sandbox rail, for the demo and for integrators: it takes a `processing` cash-out at
//! once (`in_transit`, reference `sbx_…`) and answers `sandbox_settle_s` later. It pays,
//! except to a destination whose number ends in `0000`: that one it rejects as a closed
//! account (`sandbox:AC04`), so the failure path — hold released, money back in the
//! pockets it came from — can be tried as easily as the happy one.

use super::{carry_on, Moved, Outcome, Outcomes, Rail, Waiting};
use crate::context::Context;
use crate::store::cashouts::{self, Cashout};
use crate::store::destinations;

pub const RAIL: &str = "sandbox";
/// Destinations whose masked number ends so are rejected.
pub const REJECTED_ENDING: &str = "0000";
/// The ISO 20022 reason the sandbox gives for them: account closed.
const REJECTION: &str = "sandbox:AC04";
/// Most payouts one pass settles.
const PASS_LIMIT: i64 = 200;

pub struct Sandbox;

impl Rail for Sandbox {
    fn name(&self) -> &'static str {
        RAIL
    }

    fn submit<'a>(&'a self, _app: &'a Context, waiting: Waiting, now: i64) -> Outcomes<'a> {
        Box::pin(async move {
            let taken = waiting.iter().map(|(tenant, cashout)| {
                let reference = Some(format!("sbx_{}", &cashout.id[3..]));
                Outcome::new(tenant, &cashout.id, Moved::Taken { reference }, "submitted to the sandbox rail", now)
            });
            Ok(taken.collect())
        })
    }

    fn advance<'a>(&'a self, app: &'a Context, now: i64) -> Outcomes<'a> {
        Box::pin(async move {
            let mut settled = Vec::new();
            for (tenant, cashout) in cashouts::in_status_on(&app.db, RAIL, "in_transit", PASS_LIMIT).await? {
                let settle_us = app.settings.cashout_policy(&tenant).sandbox_settle_s * 1_000_000;
                if cashout.submitted_at.is_none_or(|at| at + settle_us <= now) {
                    match settle(app, &tenant, &cashout, now).await {
                        Ok(outcome) => settled.push(outcome),
                        Err(error) => carry_on::<()>(Err(error), "settling on the sandbox", &cashout.id),
                    }
                }
            }
            Ok(settled)
        })
    }
}

/// The sandbox's answer: paid (hold posted) or rejected (hold released).
async fn settle(app: &Context, tenant: &str, cashout: &Cashout, now: i64) -> anyhow::Result<Outcome> {
    let destination = destinations::get(&app.db, tenant, &cashout.quote.destination_id).await?;
    let rejected = destination.is_some_and(|d| d.masked.ends_with(REJECTED_ENDING));
    let (moved, note) = if rejected {
        let failed = Moved::Failed { reason: REJECTION.into(), reference: None };
        (failed, "the sandbox rail rejected it: account closed")
    } else {
        (Moved::Paid { reference: None }, "the sandbox rail paid it")
    };
    Ok(Outcome::new(tenant, &cashout.id, moved, note, now))
}
