//! What the e-wallet partner says about a payout, applied to its cash-out: the answer to
//! the payout request ([`crate::workers::ewallet`]) and the signed callback it sends when a
//! payout it accepted ends (checked by [`crate::rails::e_wallet::authenticate`]). Every
//! status change is conditional on `in_transit`, so the answer and a callback racing it, or
//! a callback sent twice, change the cash-out once.

use serde::Serialize;

use super::flow;
use crate::context::Context;
use crate::rails::e_wallet::partner::{Answer, Callback, CallbackStatus};
use crate::rails::e_wallet::{self};
use crate::services::{Actor, Error};
use crate::store;
use crate::store::cashouts::{self, Transition};
use crate::unit::Param;

const IN_TRANSIT: [&str; 1] = ["in_transit"];
/// Who applies a partner's callback: smallchange, on the partner's signed word.
const CALLBACK: Actor = Actor::System("ewallet-callback");

/// Applies the partner's answer to a payout request (`actor` sent it); whether it changed
/// the cash-out.
pub async fn apply_answer(
    app: &Context,
    actor: &Actor,
    tenant: &str,
    id: &str,
    answer: &Answer,
) -> anyhow::Result<bool> {
    match answer {
        Answer::Accepted { reference } => {
            cashouts::note_reference(&app.db, tenant, id, reference, app.clock.now_us()).await
        }
        Answer::Paid { reference } => pay(app, actor, tenant, id, reference, "the e-wallet partner paid it").await,
        Answer::Rejected { reference, reason } => {
            let note = format!("the e-wallet partner rejected it: {reason}");
            fail(app, actor, tenant, id, reason, reference.as_deref(), note).await
        }
    }
}

/// `in_transit` → `paid`: the hold is posted.
async fn pay(
    app: &Context,
    actor: &Actor,
    tenant: &str,
    id: &str,
    reference: &str,
    note: &str,
) -> anyhow::Result<bool> {
    let now = app.clock.now_us();
    let t = Transition {
        tenant,
        id,
        from: &IN_TRANSIT,
        to: "paid",
        note: format!("{note} ({reference})"),
        at: now,
        set: vec![("paid_at", now.into()), ("rail_reference", reference.into())],
        rows: Vec::new(),
    };
    flow::change(app, actor, t).await
}

/// `in_transit` → `failed` with the failure reason `ewallet:<reason>`: the hold is released.
pub async fn fail(
    app: &Context,
    actor: &Actor,
    tenant: &str,
    id: &str,
    reason: &str,
    reference: Option<&str>,
    note: String,
) -> anyhow::Result<bool> {
    let mut set = vec![("failure_reason", Param::from(format!("ewallet:{reason}")))];
    if let Some(reference) = reference {
        set.push(("rail_reference", reference.into()));
    }
    let t =
        Transition { tenant, id, from: &IN_TRANSIT, to: "failed", note, at: app.clock.now_us(), set, rows: Vec::new() };
    flow::change(app, actor, t).await
}

/// What a callback did.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = EwalletCallbackApplied)]
pub struct CallbackApplied {
    /// The cash-out.
    pub id: String,
    /// Its status now.
    pub status: String,
    /// Whether this callback changed it (false when it was applied before, or the payout
    /// had ended already).
    pub changed: bool,
}

/// Checks a partner's callback (`signature` is its `Smallchange-Signature` header, `body`
/// the bytes it signed), stores it, and applies it to its cash-out.
pub async fn receive_callback(
    app: &Context,
    signature: Option<&str>,
    body: &[u8],
    callback: &Callback,
) -> Result<CallbackApplied, Error> {
    let signature = signature.ok_or_else(e_wallet::unsigned)?;
    let reference =
        callback.checked_reference().map_err(|(code, message, param)| Error::invalid(code, message, param))?;
    let (tenant, cashout) = e_wallet::authenticate(app, signature, body, &callback.id).await?;
    let stored = crate::ids::time_ordered("ewc", store::now_us());
    let text = std::str::from_utf8(body).map_err(|_| Error::bad_request("invalid_json", "the body is not UTF-8"))?;
    let received = store::ewallet::Received {
        id: &stored,
        tenant: &tenant,
        cashout_id: &cashout.id,
        body: text,
        signature,
        at: store::now_us(),
    };
    store::ewallet::record(&app.db, &received).await?;
    let changed = match callback.status {
        CallbackStatus::Paid => {
            pay(app, &CALLBACK, &tenant, &cashout.id, &reference, "the e-wallet partner reports it paid").await?
        }
        CallbackStatus::Failed => {
            let reason = callback.reason();
            let note = format!("the e-wallet partner reports it failed: {reason}");
            fail(app, &CALLBACK, &tenant, &cashout.id, &reason, Some(&reference), note).await?
        }
    };
    store::ewallet::mark_applied(&app.db, &stored, changed).await?;
    let status = flow::load(app, &tenant, &cashout.id).await?.status;
    Ok(CallbackApplied { id: cashout.id, status, changed })
}
