//! The sandbox rail, for the demo and for integrators: it takes a `processing` cash-out at
//! once (`in_transit`, reference `sbx_…`) and answers `sandbox_settle_s` later. It pays,
//! except to a destination whose number ends in `0000`: that one it rejects as a closed
//! account (`sandbox:AC04`), so the failure path — hold released, money back in the
//! pockets it came from — can be tried as easily as the happy one.

use futures::future::BoxFuture;

use super::{carry_on, Rail, Waiting};
use crate::context::Context;
use crate::services::cashout::flow;
use crate::services::Actor;
use crate::store::cashouts::{self, Cashout, Transition};
use crate::store::destinations;
use crate::unit::Param;

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

    fn submit<'a>(
        &'a self,
        app: &'a Context,
        actor: &'a Actor,
        waiting: Waiting,
        now: i64,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            for (tenant, cashout) in waiting {
                let t = Transition {
                    tenant: &tenant,
                    id: &cashout.id,
                    from: &["processing"],
                    to: "in_transit",
                    note: "submitted to the sandbox rail".into(),
                    at: now,
                    set: vec![
                        ("rail_reference", Param::from(format!("sbx_{}", &cashout.id[3..]))),
                        ("submitted_at", now.into()),
                    ],
                    rows: Vec::new(),
                };
                carry_on(flow::change(app, actor, t).await, "submitting to the sandbox", &cashout.id);
            }
            Ok(())
        })
    }

    fn advance<'a>(&'a self, app: &'a Context, actor: &'a Actor, now: i64) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            for (tenant, cashout) in cashouts::in_status_on(&app.db, RAIL, "in_transit", PASS_LIMIT).await? {
                let settle_us = app.settings.cashout_policy(&tenant).sandbox_settle_s * 1_000_000;
                if cashout.submitted_at.is_none_or(|at| at + settle_us <= now) {
                    carry_on(settle(app, actor, &tenant, &cashout, now).await, "settling on the sandbox", &cashout.id);
                }
            }
            Ok(())
        })
    }
}

/// The sandbox's answer: paid (hold posted) or rejected (hold released).
async fn settle(app: &Context, actor: &Actor, tenant: &str, cashout: &Cashout, now: i64) -> anyhow::Result<bool> {
    let destination = destinations::get(&app.db, tenant, &cashout.quote.destination_id).await?;
    let rejected = destination.is_some_and(|d| d.masked.ends_with(REJECTED_ENDING));
    let (to, note, set) = if rejected {
        ("failed", "the sandbox rail rejected it: account closed", vec![("failure_reason", Param::from(REJECTION))])
    } else {
        ("paid", "the sandbox rail paid it", vec![("paid_at", Param::from(now))])
    };
    let t = Transition {
        tenant,
        id: &cashout.id,
        from: &["in_transit"],
        to,
        note: note.into(),
        at: now,
        set,
        rows: Vec::new(),
    };
    flow::change(app, actor, t).await
}
