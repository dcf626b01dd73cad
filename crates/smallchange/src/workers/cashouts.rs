//! The cash-out worker: moves cash-outs on when time passes or a step was left unfinished.
//!
//! - unconfirmed cash-outs past their deadline expire, and their holds are released;
//! - the sandbox rail takes `processing` cash-outs (`in_transit`) and pays them after its
//!   settle delay (`paid`), so the demo shows the whole life of a cash-out;
//! - bank-transfer cash-outs are gathered into payout batches (`in_transit`) for the
//!   operator to send to its bank as pain.001;
//! - cash-pickup cash-outs get a voucher sent by SMS (`in_transit`), and vouchers past
//!   their expiry fail their cash-outs (holds released);
//! - e-wallet cash-outs go `in_transit` with a payout job for their partner;
//! - a hold still `held` although its cash-out is paid, failed, canceled or expired (a
//!   crash between the two steps) is paid out or released;
//! - users whose withdrawable balance reached their auto-cash-out threshold get a cash-out;
//! - an upheld dispute whose adjustment was not paid (a crash) is paid;
//! - a payout past its SLA raises an operator alert, once.
//!
//! Every step is a conditional status change, so several workers (processes) may run.

use std::time::Duration;

use tokio::sync::watch;

use crate::cashout::{auto, bank, disputes as adjustments, ewallet, flow, pickup};
use crate::http::AppState;
use crate::store::cashouts::{self, Cashout, Transition};
use crate::store::disputes;
use crate::unit::Param;

/// Most cash-outs one pass looks at per step.
const PASS_LIMIT: i64 = 200;

pub async fn run(app: AppState, every: Duration, mut stopped: watch::Receiver<bool>) {
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

/// One pass over everything due.
pub async fn pass(app: &AppState) -> anyhow::Result<()> {
    let now = app.clock.now_us();
    for (tenant, cashout) in cashouts::in_status(&app.db, "awaiting_confirmation", PASS_LIMIT).await? {
        if cashout.confirm_by <= now {
            flow::expire(app, &tenant, &cashout, now).await?;
        }
    }
    let processing = cashouts::in_status(&app.db, "processing", PASS_LIMIT).await?;
    for (tenant, cashout) in &processing {
        if cashout.quote.rail == "sandbox" {
            sandbox_submit(app, tenant, cashout, now).await?;
        }
    }
    pickup::pass(app, &processing, now).await?;
    ewallet::submit(app, &processing).await?;
    bank::gather(app, processing).await?;
    for (tenant, cashout) in cashouts::in_status(&app.db, "in_transit", PASS_LIMIT).await? {
        if cashout.quote.rail == "sandbox" {
            sandbox_settle(app, &tenant, &cashout, now).await?;
        }
    }
    auto::pass(app).await?;
    for (tenant, dispute) in disputes::resolving(&app.db, PASS_LIMIT).await? {
        adjustments::settle(app, &tenant, &dispute).await?;
    }
    for (tenant, cashout) in cashouts::unsettled(&app.db, PASS_LIMIT).await? {
        flow::follow_money(app, &tenant, &cashout).await?;
    }
    for status in ["processing", "in_transit"] {
        for (tenant, cashout) in cashouts::in_status(&app.db, status, PASS_LIMIT).await? {
            alert_if_late(app, &tenant, &cashout, now).await?;
        }
    }
    Ok(())
}

async fn sandbox_submit(app: &AppState, tenant: &str, cashout: &Cashout, now: i64) -> anyhow::Result<()> {
    let reference = format!("sbx_{}", &cashout.id[3..]);
    let t = Transition {
        tenant,
        id: &cashout.id,
        from: &["processing"],
        to: "in_transit",
        note: "submitted to the sandbox rail".into(),
        at: now,
        set: vec![("rail_reference", Param::from(reference)), ("submitted_at", now.into())],
        rows: Vec::new(),
    };
    flow::change(app, t).await.map(|_| ())
}

async fn sandbox_settle(app: &AppState, tenant: &str, cashout: &Cashout, now: i64) -> anyhow::Result<()> {
    let settle_us = app.settings.cashout_policy(tenant).sandbox_settle_s * 1_000_000;
    if cashout.submitted_at.is_some_and(|at| at + settle_us > now) {
        return Ok(());
    }
    let t = Transition {
        tenant,
        id: &cashout.id,
        from: &["in_transit"],
        to: "paid",
        note: "the sandbox rail paid it".into(),
        at: now,
        set: vec![("paid_at", now.into())],
        rows: Vec::new(),
    };
    flow::change(app, t).await.map(|_| ())
}

/// Logs an alert (once) for a payout not paid within the tenant's SLA.
async fn alert_if_late(app: &AppState, tenant: &str, cashout: &Cashout, now: i64) -> anyhow::Result<()> {
    // A cash-pickup voucher waits for the user for its own lifetime, and its expiry ends it.
    if cashout.quote.rail == "cash_pickup" && cashout.status == "in_transit" {
        return Ok(());
    }
    let sla_us = app.settings.cashout_policy(tenant).sla_hours * 3_600 * 1_000_000;
    let since = cashout.submitted_at.or(cashout.confirmed_at).unwrap_or(cashout.created_at);
    if since + sla_us > now {
        return Ok(());
    }
    if cashouts::mark_sla_alerted(&app.db, &cashout.id, now).await? {
        tracing::error!(cashout = %cashout.id, tenant, status = %cashout.status, "a payout is past its SLA: an operator must look at it");
        let data =
            serde_json::json!({"id": cashout.id, "status": cashout.status, "rail": cashout.quote.rail, "since": since});
        crate::webhooks::emit(&app.db, tenant, "cashout.sla_breached", &data).await?;
    }
    Ok(())
}
