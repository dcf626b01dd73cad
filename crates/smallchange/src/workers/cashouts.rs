//! The cash-out worker: moves cash-outs on when time passes or a step was left unfinished.
//!
//! - unconfirmed cash-outs past their deadline expire, and their holds are released;
//! - each rail ([`rail::ALL`]) takes its `processing` cash-outs (`in_transit`) and moves on
//!   what time moves on: the sandbox pays after its delay, bank-transfer cash-outs are
//!   batched for pain.001, cash-pickup vouchers are issued and expire, e-wallet payouts
//!   go to their partner by job;
//! - a hold out of step with its cash-out's status is paid out, released or given back:
//!   a status change commits with its money now, so only a cash-out changed by an older
//!   version (which wrote the status first and crashed before the money), or whose record
//!   was hand-edited so its money could not be planned, can need it;
//! - users whose withdrawable balance reached their auto-cash-out threshold get a cash-out;
//! - an upheld dispute whose adjustment was not paid (a crash) is paid;
//! - a payout past its SLA raises an operator alert, once;
//! - a gift card with value left near its expiry is announced, once (`gift_card.expiring`).
//!
//! Every step is a conditional status change, so several workers (processes) may run. A
//! step that keeps failing for one cash-out backs off and raises `cashout.stuck`, once
//! (see [`super::stuck`]).

use std::time::Duration;

use tokio::sync::watch;

use crate::context::Context;
use crate::domain::cashout_policy::CashoutPolicy;
use crate::events::{Happened, Kind};
use crate::rails::{self as rail, carry_on};
use crate::services::cashout::{auto, flow, outcome, sla};
use crate::services::disputes as adjustments;
use crate::services::Actor;
use crate::store::cashouts::{self, Cashout};
use crate::store::disputes;
use crate::unit::{Guard, Refusal, Unit};

use super::stuck::{Step, Steps, Subject};

/// Who moves cash-outs on in this worker's pass.
const CASHOUT_WORKER: Actor = Actor::System("cashout-worker");

/// Most cash-outs one pass looks at per step.
const PASS_LIMIT: i64 = 200;
const HOUR_US: i64 = 3_600 * 1_000_000;

pub async fn run(app: Context, every: Duration, mut stopped: watch::Receiver<bool>) {
    loop {
        if let Err(error) = pass(&app).await {
            tracing::warn!(error = %format!("{error:#}"), "cash-out worker pass failed; retrying");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopped.wait_for(|stop| *stop) => return,
        }
    }
}

/// One pass over everything due. A step that fails for one cash-out is left for a later
/// pass, with backoff, and reported should it keep failing (see [`super::stuck`]).
pub async fn pass(app: &Context) -> anyhow::Result<()> {
    let now = app.clock.now_us();
    let steps = Steps::load(app).await?;
    for (tenant, cashout) in cashouts::in_status(&app.db, "awaiting_confirmation", PASS_LIMIT).await? {
        if cashout.confirm_by <= now {
            let expiring = flow::expire(app, &CASHOUT_WORKER, &tenant, &cashout, now);
            steps.run(app, Step::Expire, Subject::cashout(&tenant, &cashout.id), expiring).await;
        }
    }
    for rail in rail::ALL {
        let waiting = cashouts::in_status_on(&app.db, rail.name(), "processing", PASS_LIMIT).await?;
        if !waiting.is_empty() {
            match rail.submit(app, waiting, now).await {
                Ok(taken) => {
                    apply_all(app, &taken).await;
                    carry_on(rail.submitted(app, &taken, now).await, "finishing a submission", rail.name());
                }
                Err(error) => carry_on::<()>(Err(error), "submitting", rail.name()),
            }
        }
        match rail.advance(app, now).await {
            Ok(moved) => apply_all(app, &moved).await,
            Err(error) => carry_on::<()>(Err(error), "advancing", rail.name()),
        }
    }
    auto::pass(app).await?;
    for (tenant, dispute) in disputes::resolving(&app.db, PASS_LIMIT).await? {
        let subject = Subject { tenant: &tenant, id: &dispute.id, cashout_id: &dispute.cashout_id };
        steps.run(app, Step::PayAdjustment, subject, adjustments::settle(app, &tenant, &dispute)).await;
    }
    // Kept for data written before status and money committed together (see above).
    for (tenant, cashout) in cashouts::unsettled(&app.db, PASS_LIMIT).await? {
        let moving = flow::follow_money(app, &tenant, &cashout);
        steps.run(app, Step::MoveMoney, Subject::cashout(&tenant, &cashout.id), moving).await;
    }
    carry_on(super::gift_card_notices::pass(app, now).await, "gift-card expiry notices", "all");
    let shortest_sla_us = policies(app).map(|p| p.sla_hours).min().unwrap_or(24) * HOUR_US;
    for (tenant, cashout) in cashouts::not_yet_alerted(&app.db, now - shortest_sla_us, PASS_LIMIT).await? {
        let alerting = alert_if_late(app, &tenant, &cashout, now);
        steps.run(app, Step::SlaAlert, Subject::cashout(&tenant, &cashout.id), alerting).await;
    }
    Ok(())
}

/// Applies what a rail says happened to each of its cash-outs; one that fails is left for
/// the next pass.
async fn apply_all(app: &Context, outcomes: &[rail::Outcome]) {
    for outcome in outcomes {
        carry_on(outcome::apply(app, &CASHOUT_WORKER, outcome).await, "moving a cash-out on", &outcome.cashout_id);
    }
}

fn policies(app: &Context) -> impl Iterator<Item = &CashoutPolicy> {
    std::iter::once(&app.settings.cashout).chain(app.settings.cashout_tenants.values())
}

/// Raises an alert (once) for a payout not paid within the tenant's SLA.
async fn alert_if_late(app: &Context, tenant: &str, cashout: &Cashout, now: i64) -> anyhow::Result<()> {
    if !sla::is_late(cashout, app.settings.cashout_policy(tenant), now) {
        return Ok(());
    }
    let since = sla::since(cashout);
    let data =
        serde_json::json!({"id": cashout.id, "status": cashout.status, "rail": cashout.quote.rail, "since": since});
    let breached = Happened::new(tenant, &CASHOUT_WORKER, &cashout.id, Kind::CashoutSlaBreached, data, now);
    let guard = Guard {
        row: cashouts::sla_alert_guard(&cashout.id, now),
        refusal: Refusal::new("alerted", "the SLA alert was raised before"),
    };
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), Vec::new()).with_event(breached).with_guard(guard);
    if app.committer.apply_unit(unit).await? {
        tracing::error!(cashout = %cashout.id, tenant, status = %cashout.status, "a payout is past its SLA: an operator must look at it");
    }
    Ok(())
}
