//! A cash-out's life after its hold is placed: confirmation with a one-time code (and the
//! lockout after too many wrong ones), the risk decision, cancellation, expiry, settling by
//! hand, and the rail's progress — each a status change recorded with who made it, followed
//! by the money it calls for. The review queue's decisions are [`crate::services::review`].
//!
//! The status changes first (a conditional update: of two racing requests one wins), then
//! the hold is released or paid out through the committer. If that second step does not
//! happen (a crash), the cash-out worker finds the hold still `held` and finishes it.

use crate::context::Context;
use crate::domain::text::Text;
use crate::services::{Actor, Error};
use crate::store::cashouts::{self, Cashout, Quote, Transition};
use crate::store::users::User;
use crate::store::{totp, users};
use crate::unit::Param;
use rules::{self as risk, Decision, Facts};

use super::money;
use super::quote::{kyc_sufficient, usage};
use super::view::{self, Detailed};

/// States from which a cash-out may still be called off: nothing has gone to a rail yet.
pub const CANCELABLE: [&str; 2] = ["awaiting_confirmation", "in_review"];
/// States in which the hold is released.
pub const RELEASING: [&str; 3] = ["failed", "canceled", "expired"];

pub async fn load(app: &Context, tenant: &str, id: &str) -> Result<Cashout, Error> {
    let found = cashouts::get(&app.db, tenant, id).await?;
    found.ok_or_else(|| Error::not_found(format!("no cash-out {id}")))
}

/// A new cash-out from `quote`, awaiting its code: TOTP if the user has enrolled, else an
/// SMS code (returned, to send once the hold is placed).
pub fn new_cashout(app: &Context, tenant: &str, quote: Quote, user: &User, now: i64) -> (Cashout, Option<String>) {
    let policy = app.settings.cashout_policy(tenant);
    let id = crate::ids::time_ordered("po", now);
    let (channel, code) = if user.totp_enrolled { ("totp", None) } else { ("sms", Some(super::otp::new_code())) };
    let cashout = Cashout {
        otp_hash: code.as_ref().map(|c| super::otp::hash(&app.secrets, &id, c)),
        id,
        status: "awaiting_confirmation".into(),
        hold_state: "held".into(),
        otp_channel: channel.into(),
        otp_attempts: 0,
        confirm_by: now + policy.confirm_ttl_s * 1_000_000,
        risk_decision: None,
        risk_reasons: Vec::new(),
        rail_reference: None,
        failure_reason: None,
        confirmed_at: None,
        submitted_at: None,
        paid_at: None,
        created_at: now,
        updated_at: now,
        quote,
    };
    (cashout, code)
}

/// Moves a cash-out to `to` if it is in one of `from`, recording `actor` on the timeline;
/// then releases, pays out or gives back its hold if `to` calls for it. `false` if it was
/// not in one of `from`.
pub async fn change(app: &Context, actor: &Actor, mut transition: Transition<'_>) -> anyhow::Result<bool> {
    let (tenant, id, to) = (transition.tenant.to_string(), transition.id.to_string(), transition.to.to_string());
    let event = format!("cashout.{to}");
    if crate::webhooks::EVENT_TYPES.contains(&event.as_str()) {
        // The event is recorded with the change, so an operator hears of every one, once.
        if let Some(before) = cashouts::get(&app.db, &tenant, &id).await? {
            let data = event_data(&before, &transition);
            transition.rows.extend(crate::webhooks::event_rows(&tenant, &event, &data, transition.at));
        }
    }
    if !cashouts::transition(&app.db, &actor.recorded(), transition).await? {
        return Ok(false);
    }
    if RELEASING.contains(&to.as_str()) || to == "paid" {
        if let Some(cashout) = cashouts::get(&app.db, &tenant, &id).await? {
            // The status has changed: what the money owes it is the worker's to finish now,
            // as after a crash between the two steps (with backoff, and `cashout.stuck`
            // should it keep failing). The caller's change stands either way.
            if let Err(error) = follow_money(app, &tenant, &cashout).await {
                tracing::warn!(cashout = %id, error = %format!("{error:#}"), "the money did not follow a status change yet; the worker will");
            }
        }
    }
    Ok(true)
}

/// What a cash-out event tells the operator: the cash-out as it will be after `change`.
fn event_data(before: &Cashout, change: &Transition<'_>) -> serde_json::Value {
    let q = &before.quote;
    let mut data = serde_json::json!({
        "id": before.id,
        "status": change.to,
        "note": change.note,
        "user_id": q.user_id,
        "destination_id": q.destination_id,
        "rail": q.rail,
        "currency": q.currency,
        "gross": q.gross,
        "fee": q.fee,
        "net": q.net,
        "rail_reference": before.rail_reference,
        "failure_reason": before.failure_reason,
    });
    for (column, value) in &change.set {
        if matches!(*column, "rail_reference" | "failure_reason") {
            data[*column] = match value {
                Param::Text(text) => text.as_str().into(),
                Param::Int(number) => (*number).into(),
                Param::Null => serde_json::Value::Null,
            };
        }
    }
    data
}

/// Writes what the cash-out's status says should happen to its hold, if not done yet.
///
/// Another server (or this one's worker) may be doing the same at the same moment: its
/// unit and ours derive the same transfer ids, so one commits and the other is refused.
/// A refused unit is fine when the hold has moved on meanwhile.
pub async fn follow_money(app: &Context, tenant: &str, cashout: &Cashout) -> anyhow::Result<()> {
    let now = app.clock.now_us();
    let unit = match (cashout.hold_state.as_str(), cashout.status.as_str()) {
        // Paid out, then returned by the rail: the money comes back.
        ("settled", "failed") => {
            let adjusted = crate::store::disputes::adjusted(&app.db, &cashout.id).await?;
            money::return_unit(tenant, cashout, adjusted, now)?
        }
        ("held", "paid") => money::settle_unit(tenant, cashout)?,
        ("held", status) if RELEASING.contains(&status) => money::release_unit(tenant, cashout, now)?,
        _ => return Ok(()),
    };
    if app.committer.apply_unit(unit).await? {
        return Ok(());
    }
    let now_state = cashouts::get(&app.db, tenant, &cashout.id).await?.map(|c| c.hold_state);
    anyhow::ensure!(
        now_state.as_deref() != Some(cashout.hold_state.as_str()),
        "the hold of {} could not follow its status {}",
        cashout.id,
        cashout.status
    );
    Ok(())
}

/// A status change with no extra columns or rows.
pub(crate) fn transition<'a>(
    tenant: &'a str,
    id: &'a str,
    from: &'a [&'a str],
    to: &'a str,
    note: impl Into<String>,
    at: i64,
) -> Transition<'a> {
    Transition { tenant, id, from, to, note: note.into(), at, set: Vec::new(), rows: Vec::new() }
}

/// Confirms a cash-out with its one-time code, then decides: to the rail, to review, or
/// refused. Each code tried takes an attempt first, and only a code with an attempt is
/// compared: of any number of racing requests at most `otp_attempts_max` codes are ever
/// looked at. A wrong code at the last attempt cancels the cash-out.
pub async fn confirm(app: &Context, actor: &Actor, tenant: &str, id: &str, code: &str) -> Result<Detailed, Error> {
    let cashout = load(app, tenant, id).await?;
    let allowed = app.settings.cashout_policy(tenant).otp_attempts_max;
    let now = app.clock.now_us();
    if cashout.status != "awaiting_confirmation" {
        return Err(not_awaiting(&cashout));
    }
    if now >= cashout.confirm_by {
        expire(app, actor, tenant, &cashout, now).await?;
        return Err(Error::conflict(
            "invalid_state",
            "the cash-out expired before it was confirmed; its hold is released",
        ));
    }
    let user = &cashout.quote.user_id;
    let sms_hash = cashout.otp_hash.as_deref().filter(|_| cashout.otp_channel == "sms");
    let totp_code = match sms_hash {
        Some(_) => None,
        None => {
            let now_s = u64::try_from(now / 1_000_000).unwrap_or(0);
            Some(totp::classify(&app.db, &app.secrets, tenant, user, code.trim(), now_s).await?)
        }
    };
    if totp_code == Some(totp::Code::Used) {
        return Err(code_reused());
    }
    let Some(attempt) = cashouts::take_code_attempt(&app.db, tenant, id, allowed).await? else {
        return Err(no_attempt_left(&load(app, tenant, id).await?));
    };
    let right = match (sms_hash, totp_code) {
        (Some(stored), _) => super::otp::matches(&app.secrets, &cashout.id, code, stored),
        (None, Some(totp::Code::Fresh(step))) => totp::use_step(&app.db, tenant, user, step).await?,
        (None, _) => false,
    };
    if !right && matches!(totp_code, Some(totp::Code::Fresh(_))) {
        // A racing request used this same code first: its attempt is spent, but the answer
        // says what happened.
        return Err(code_reused());
    }
    if !right {
        return Err(wrong_code(app, actor, tenant, &cashout, attempt, allowed, now).await?);
    }
    let cashout = Cashout { otp_attempts: attempt, ..cashout };
    let confirmed = proceed(app, actor, tenant, &cashout, "confirmed", now).await?;
    let mut answer = view::detailed(app, tenant, confirmed).await?;
    // Steps the worker took since (read with the timeline) are not this answer's either.
    if let Some(ours) = answer.timeline.iter().rposition(|step| step.status == answer.cashout.status) {
        answer.timeline.truncate(ours + 1);
    }
    Ok(answer)
}

/// A confirmed cash-out (by its code, or by a standing authorisation) meets the risk
/// rules: to the rail, to review, or refused with its hold released. Answers the cash-out
/// as this change left it.
pub async fn proceed(
    app: &Context,
    actor: &Actor,
    tenant: &str,
    cashout: &Cashout,
    how: &str,
    now: i64,
) -> Result<Cashout, Error> {
    let id = cashout.id.as_str();
    let policy = app.settings.cashout_policy(tenant);
    let verdict = risk::decide(&facts(app, tenant, cashout, now).await?, &policy.risk);
    let reasons = serde_json::to_string(&verdict.reasons).expect("reasons serialize");
    let (to, note) = match verdict.decision {
        Decision::Allow => ("processing", how.to_string()),
        Decision::Review => ("in_review", format!("{how}; held for review: {}", verdict.reasons.join(", "))),
        Decision::Deny => ("canceled", format!("refused: {}", verdict.reasons.join(", "))),
    };
    let mut t = transition(tenant, id, &["awaiting_confirmation"], to, note, now);
    t.set = vec![
        ("confirmed_at", now.into()),
        ("risk_decision", verdict.decision.as_str().into()),
        ("risk_reasons", reasons.into()),
    ];
    if verdict.decision == Decision::Deny {
        t.set.push(("failure_reason", Param::from(verdict.reasons.join(","))));
    }
    if !change(app, actor, t).await? {
        return Err(not_awaiting(&load(app, tenant, id).await?));
    }
    if verdict.decision == Decision::Deny {
        let code = verdict.reasons.first().copied().unwrap_or("limit_exceeded");
        let message = format!("the cash-out was refused ({}) and its hold released", verdict.reasons.join(", "));
        return Err(Error::conflict(code, message));
    }
    // The cash-out as this change left it, not read again: the worker may already have
    // taken it on (to the rail), and that is not what this request did.
    Ok(Cashout {
        status: to.to_string(),
        confirmed_at: Some(now),
        risk_decision: Some(verdict.decision.as_str().to_string()),
        risk_reasons: verdict.reasons.iter().map(|reason| reason.to_string()).collect(),
        updated_at: now,
        ..cashout.clone()
    })
}

/// The error for a TOTP code that confirmed something already (RFC 6238 §5.2: a code is
/// accepted once).
fn code_reused() -> Error {
    Error::invalid("otp_reused", "this code was used already; wait for the next one", "otp")
}

/// The error for a confirmation of a cash-out that no longer waits for one.
fn not_awaiting(cashout: &Cashout) -> Error {
    if cashout.failure_reason.as_deref() == Some("otp_locked") {
        Error::conflict("otp_locked", "too many wrong codes: the cash-out was canceled and no code is accepted")
    } else {
        Error::conflict("invalid_state", format!("the cash-out is {}, not awaiting confirmation", cashout.status))
    }
}

/// The error for a code that got no attempt. A cash-out still awaiting its code has every
/// attempt taken by requests under way: the last of them, if wrong, cancels it.
fn no_attempt_left(cashout: &Cashout) -> Error {
    if cashout.status == "awaiting_confirmation" {
        Error::conflict("otp_locked", "too many codes were tried: no attempt is left for this cash-out")
    } else {
        not_awaiting(cashout)
    }
}

/// A wrong code at attempt `attempt` of `allowed`: `otp_invalid` with the attempts left,
/// or, at the last one, the cash-out canceled (its hold released) and `otp_locked`.
async fn wrong_code(
    app: &Context,
    actor: &Actor,
    tenant: &str,
    cashout: &Cashout,
    attempt: i64,
    allowed: i64,
    now: i64,
) -> Result<Error, Error> {
    if attempt < allowed {
        let message = format!("the code is wrong; {} attempt(s) left", allowed - attempt);
        return Ok(Error::invalid("otp_invalid", message, "otp"));
    }
    let mut t = transition(tenant, &cashout.id, &["awaiting_confirmation"], "canceled", "too many wrong codes", now);
    t.set = vec![("failure_reason", "otp_locked".into())];
    if !change(app, actor, t).await? {
        // A right code (at an earlier attempt), a cancel or the expiry came first.
        return Ok(not_awaiting(&load(app, tenant, &cashout.id).await?));
    }
    Ok(Error::conflict("otp_locked", "too many wrong codes: the cash-out is canceled and its hold released"))
}

/// What the risk rules look at, loaded now.
async fn facts(app: &Context, tenant: &str, cashout: &Cashout, now: i64) -> anyhow::Result<Facts> {
    let policy = app.settings.cashout_policy(tenant);
    let wallet = app.settings.wallet_policy(tenant);
    let user = users::get(&app.db, tenant, &cashout.quote.user_id).await?.ok_or_else(|| anyhow::anyhow!("no user"))?;
    let window_start = now - policy.risk.velocity_window_s * 1_000_000;
    let (count, gross) = cashouts::withdrawn_since(&app.db, tenant, &user.id, window_start).await?;
    // This cash-out is counted in what is withdrawn already (its hold is placed).
    let (recent_count, recent_gross) = ((count - 1).max(0), (gross - cashout.quote.gross).max(0));
    // Usage counts this cash-out already: its hold is placed.
    let usage = usage(&app.db, tenant, &user.id, wallet, now).await?;
    let within_limits = policy.limits_for(&user.kyc_level).is_some_and(|l| usage.within(l, cashout.quote.gross));
    Ok(Facts {
        kyc_sufficient: kyc_sufficient(&user, policy),
        within_limits,
        recent_count,
        recent_gross,
        gross: cashout.quote.gross,
        new_destination: !cashouts::destination_used(&app.db, tenant, &user.id, &cashout.quote.destination_id).await?,
    })
}

/// Expires an unconfirmed cash-out and releases its hold.
pub async fn expire(app: &Context, actor: &Actor, tenant: &str, cashout: &Cashout, now: i64) -> anyhow::Result<bool> {
    let t = transition(tenant, &cashout.id, &["awaiting_confirmation"], "expired", "not confirmed in time", now);
    change(app, actor, t).await
}

/// Calls a cash-out off before it reaches a rail; its hold is released.
pub async fn cancel(app: &Context, actor: &Actor, tenant: &str, id: &str, note: &str) -> Result<Detailed, Error> {
    let now = app.clock.now_us();
    let mut t = transition(tenant, id, &CANCELABLE, "canceled", note, now);
    t.set = vec![("failure_reason", "canceled".into())];
    if !change(app, actor, t).await? {
        let cashout = load(app, tenant, id).await?;
        let message = format!("a cash-out that is {} can no longer be canceled", cashout.status);
        return Err(Error::conflict("invalid_state", message));
    }
    view::get(app, tenant, id).await
}

/// An operator settles by hand a payout its rail left open — a partner that never
/// answered, a refused batch file sent by other means, a lost callback — after checking
/// with the partner what happened: `paid` posts the hold, `failed` releases it (a payout
/// still `processing` may only fail). The reason is kept in the timeline.
pub async fn settle_by_hand(
    app: &Context,
    actor: &Actor,
    tenant: &str,
    id: &str,
    paid: bool,
    reason: &Text,
) -> Result<Detailed, Error> {
    let now = app.clock.now_us();
    let note = format!("settled by an operator: {}", reason.as_str());
    let mut t = if paid {
        transition(tenant, id, &["in_transit"], "paid", note, now)
    } else {
        transition(tenant, id, &["processing", "in_transit"], "failed", note, now)
    };
    t.set = if paid { vec![("paid_at", now.into())] } else { vec![("failure_reason", "operator".into())] };
    if !change(app, actor, t).await? {
        let cashout = load(app, tenant, id).await?;
        let message = format!("the cash-out is {}: only a payout under way can be settled by hand", cashout.status);
        return Err(Error::conflict("invalid_state", message));
    }
    view::get(app, tenant, id).await
}
