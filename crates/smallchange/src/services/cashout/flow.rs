//! A cash-out's life after its hold is placed: confirmation with a one-time code (and the
//! lockout after too many wrong ones), the risk decision, cancellation, expiry, settling by
//! hand, and the rail's progress — each a status change recorded with who made it, followed
//! by the money it calls for. The review queue's decisions are [`crate::services::review`].
//!
//! Each change is one unit of the committer: it stands on a conditional update of the
//! status (of two racing requests one wins), and writes with it the money the new status
//! calls for (the hold released, paid out or given back), the timeline entry, the rows the
//! change carries, its one event (`cashout.<status>`) and, for a request with a retry key,
//! its answer — all or nothing.

use std::sync::Arc;

use ledger::Book;

use crate::committer::{Command, Output, Reply};
use crate::context::Context;
use crate::domain::text::Text;
use crate::events::{Happened, Kind};
use crate::services::commit::{self, Answer, Retry};
use crate::services::users::freeze::not_frozen;
use crate::services::{Actor, Error};
use crate::store::cashouts::{self, Cashout, Event, Quote, Transition};
use crate::store::users::User;
use crate::store::{totp, users};
use crate::unit::{Guard, GuardedUnit, Param, Refusal, Row, Unit, UnitOutput};
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

/// Moves a cash-out to `to` if it is in one of `from`, recording `actor` on the timeline,
/// with the money `to` calls for (the hold released, paid out or given back) and its event
/// `cashout.<to>`, all in one unit: `false` (and nothing written) if it was not in one of
/// `from`. An error when the change could not be written: nothing of it was.
pub async fn change(app: &Context, actor: &Actor, transition: Transition<'_>) -> anyhow::Result<bool> {
    let recorded = Recorded::status(transition.to)?;
    change_recorded(app, actor, transition, recorded).await
}

/// As [`change`], recorded as `recorded` says.
pub async fn change_recorded(
    app: &Context,
    actor: &Actor,
    transition: Transition<'_>,
    recorded: Recorded,
) -> anyhow::Result<bool> {
    let Some(before) = cashouts::get(&app.db, transition.tenant, transition.id).await? else { return Ok(false) };
    if !transition.from.contains(&before.status.as_str()) {
        return Ok(false);
    }
    let (id, to) = (before.id.clone(), transition.to.to_string());
    let unit = status_unit(app, actor, &before, transition, recorded).await?;
    match app.committer.submit(Command::Guarded(unit), None).await? {
        Reply::Applied(Output::Unit(UnitOutput::Refused(_))) => Ok(false),
        Reply::Applied(Output::Unit(outcome)) if outcome.succeeded() => Ok(true),
        other => anyhow::bail!("the change of {id} to {to} could not be written: {other:?}"),
    }
}

/// What a status change made for a request answers: `made` once it is made (the cash-out
/// as it leaves it, or the refusal it comes to), `moved_on` when the cash-out was no longer
/// in one of the states it leaves.
pub struct Answers<T> {
    pub made: Result<T, Error>,
    pub moved_on: Error,
}

/// As [`change`] for a request that may come again: the answer is written down under
/// `retry`'s key in the same transaction as the change, so a retry (even right after a
/// crash) gets it again rather than a second change.
pub async fn change_once<T: Clone + Send + Sync + 'static>(
    app: &Context,
    actor: &Actor,
    before: &Cashout,
    (transition, recorded): (Transition<'_>, Recorded),
    retry: Option<Retry<T>>,
    answers: Answers<T>,
) -> Result<Answer<T>, Error> {
    let unit = status_unit(app, actor, before, transition, recorded).await?;
    let Answers { made, moved_on } = answers;
    let interpret = Arc::new(move |outcome: &UnitOutput| match outcome {
        UnitOutput::Refused(_) => Err(moved_on.clone()),
        _ if outcome.succeeded() => made.clone(),
        _ => Err(Error::internal("the money of a cash-out's status change could not be written")),
    });
    commit::commit(app, retry, unit, interpret).await
}

/// How a status change is recorded: its event's kind and the fields its data adds to the
/// cash-out's (a review's decision, a voucher issued).
pub struct Recorded {
    pub kind: Kind,
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Recorded {
    /// The plain `cashout.<status>` event.
    pub fn status(status: &str) -> anyhow::Result<Recorded> {
        let kind =
            Kind::of_cashout_status(status).ok_or_else(|| anyhow::anyhow!("no event kind for status {status}"))?;
        Ok(Recorded { kind, extra: serde_json::Map::new() })
    }
}

/// The unit of a status change: it stands on the conditional update (see
/// [`cashouts::status_guard`]), and writes the money `to` calls for given where the hold
/// stands, the timeline entry, the change's rows and its one event, whose data lists the
/// transfers written.
async fn status_unit(
    app: &Context,
    actor: &Actor,
    before: &Cashout,
    t: Transition<'_>,
    recorded: Recorded,
) -> anyhow::Result<GuardedUnit> {
    let tenant = t.tenant;
    let guard = Guard {
        row: cashouts::status_guard(&t),
        refusal: Refusal::new("invalid_state", format!("cash-out {} is no longer {}", t.id, t.from.join(" or "))),
    };
    let mut data = event_data(before, &t);
    for (field, value) in recorded.extra {
        data[field] = value;
    }
    let event = Happened::new(tenant, actor, t.id, recorded.kind, data, t.at);
    let mut rows = vec![cashouts::timeline_row(t.id, t.to, &t.note, t.at, &actor.recorded())];
    rows.extend(t.rows);
    let money = match money_for(app, tenant, before, t.to, t.at).await? {
        Ok(money) => money,
        Err(error) => {
            // Only a record the money cannot be read from (a stored pocket or amount that no
            // longer parses: a hand edit) gets here. The status is what happened; `verify`
            // names the money at once, and the worker's repair tries it (raising
            // `cashout.stuck`) until the record is mended.
            tracing::error!(cashout = %before.id, to = t.to, error = %format!("{error:#}"), "the money of a status change cannot be planned; the change is recorded without it");
            None
        }
    };
    let money = money.unwrap_or_else(|| Unit::fixed(Vec::new(), Vec::new(), Vec::new(), Vec::new()));
    Ok(standing_on(money, guard, rows, event))
}

/// `unit` standing on `guard`, writing `rows` and recording `event` with the transfers it
/// planned.
fn standing_on(mut unit: Unit, guard: Guard, rows: Vec<Row>, event: Happened) -> GuardedUnit {
    let inner = unit.plan;
    unit.plan = Arc::new(move |book: &Book| {
        let mut plan = inner(book)?;
        let mut event = event.clone();
        event.data["transfers"] = money::listed(book, &plan.transfers);
        plan.rows.extend(rows.iter().cloned());
        Ok(plan.with_event(event))
    });
    unit.with_guard(guard)
}

/// The money a move to `to` calls for, given where the cash-out's hold stands: `Ok(None)`
/// when it moves none; `Err` (inside) when the stored record cannot be made money of.
async fn money_for(
    app: &Context,
    tenant: &str,
    cashout: &Cashout,
    to: &str,
    at: i64,
) -> anyhow::Result<anyhow::Result<Option<Unit>>> {
    Ok(match (cashout.hold_state.as_str(), to) {
        // Paid out, then returned by the rail: the money comes back.
        ("settled", "failed") => {
            let adjusted = crate::store::disputes::adjusted(&app.db, &cashout.id).await?;
            money::return_unit(tenant, cashout, adjusted, at).map(Some)
        }
        ("held", "paid") => money::settle_unit(tenant, cashout).map(Some),
        ("held", to) if RELEASING.contains(&to) => money::release_unit(tenant, cashout, at).map(Some),
        _ => Ok(None),
    })
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

/// Writes what the cash-out's status says should happen to its hold, if not done yet: the
/// cash-out worker's repair. A status change writes its money with it, so only a cash-out
/// changed before they committed together (by a version that wrote the status first and
/// the money after, and crashed between the two) or whose record was hand-edited (see
/// [`status_unit`]) can need it.
///
/// Another server (or this one's worker) may be doing the same at the same moment: its
/// unit and ours derive the same transfer ids, so one commits and the other is refused.
/// A refused unit is fine when the hold has moved on meanwhile.
pub async fn follow_money(app: &Context, tenant: &str, cashout: &Cashout) -> anyhow::Result<()> {
    let now = app.clock.now_us();
    let Some(unit) = money_for(app, tenant, cashout, &cashout.status, now).await?? else { return Ok(()) };
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
/// looked at. A wrong code at the last attempt cancels the cash-out. A frozen user's
/// cash-out is not confirmed (`user_frozen`, no attempt taken), and keeps its hold.
pub async fn confirm(app: &Context, actor: &Actor, tenant: &str, id: &str, code: &str) -> Result<Detailed, Error> {
    done(confirm_once(app, actor, tenant, id, code, None).await?)
}

/// [`confirm`], once per `retry` key: the answer (the cash-out as the confirmation left it,
/// or its refusal) is written down with the change. The attempt a code takes and the TOTP
/// step it uses are each committed before, on their own.
pub async fn confirm_once(
    app: &Context,
    actor: &Actor,
    tenant: &str,
    id: &str,
    code: &str,
    retry: Option<Retry<Detailed>>,
) -> Result<Answer<Detailed>, Error> {
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
    // A frozen user's cash-out waits (its hold kept) until unfrozen, canceled or expired;
    // no code is looked at, so no attempt is spent.
    not_frozen(app, tenant, &cashout.quote.user_id).await?;
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
    let (t, after) = decided(app, tenant, &cashout, "confirmed", now).await?;
    // The answer is the cash-out as this change leaves it, known before the commit: the
    // worker may take it on (to the rail) a moment later, and that is not this answer's.
    let answer = match after {
        Ok(confirmed) => {
            let destination = view::destination_of(app, tenant, &confirmed).await?;
            let mut timeline = cashouts::timeline(&app.db, id).await?;
            timeline.push(step(&t, actor));
            Ok(Detailed { cashout: confirmed, destination, timeline })
        }
        Err(refused) => Err(refused),
    };
    let recorded = Recorded::status(t.to)?;
    let moved_on = Error::conflict("invalid_state", MOVED_ON);
    match change_once(app, actor, &cashout, (t, recorded), retry, Answers { made: answer, moved_on }).await {
        // Another request (the last wrong code, a cancel, the expiry) moved it on first: say
        // which. (Under a retry key, the answer kept is the plain `invalid_state`.)
        Err(error) if error.message == MOVED_ON => Err(not_awaiting(&load(app, tenant, id).await?)),
        answer => answer,
    }
}

/// What a confirmation answers when another change came first.
const MOVED_ON: &str = "the cash-out was no longer awaiting confirmation";

/// The timeline entry a change adds, as it is shown.
fn step(t: &Transition<'_>, actor: &Actor) -> Event {
    Event { status: t.to.to_string(), note: Some(t.note.clone()), at: t.at, actor: Some(actor.recorded()) }
}

/// The answer of a use case called without a retry key.
fn done<T>(answer: Answer<T>) -> Result<T, Error> {
    match answer {
        Answer::Done(value) => Ok(value),
        Answer::Again(_) => Err(Error::internal("a request without a retry key was answered as a retry")),
    }
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
    let (t, after) = decided(app, tenant, cashout, how, now).await?;
    if !change(app, actor, t).await? {
        return Err(not_awaiting(&load(app, tenant, id).await?));
    }
    after
}

/// The change the risk rules decide for a confirmed cash-out, and what it answers: the
/// cash-out as the change leaves it, or, refused, the error saying why (its hold released).
async fn decided<'a>(
    app: &Context,
    tenant: &'a str,
    cashout: &'a Cashout,
    how: &str,
    now: i64,
) -> Result<(Transition<'a>, Result<Cashout, Error>), Error> {
    let policy = app.settings.cashout_policy(tenant);
    let verdict = risk::decide(&facts(app, tenant, cashout, now).await?, &policy.risk);
    let reasons = serde_json::to_string(&verdict.reasons).expect("reasons serialize");
    let (to, note) = match verdict.decision {
        Decision::Allow => ("processing", how.to_string()),
        Decision::Review => ("in_review", format!("{how}; held for review: {}", verdict.reasons.join(", "))),
        Decision::Deny => ("canceled", format!("refused: {}", verdict.reasons.join(", "))),
    };
    let mut t = transition(tenant, &cashout.id, &["awaiting_confirmation"], to, note, now);
    t.set = vec![
        ("confirmed_at", now.into()),
        ("risk_decision", verdict.decision.as_str().into()),
        ("risk_reasons", reasons.into()),
    ];
    if verdict.decision == Decision::Deny {
        t.set.push(("failure_reason", Param::from(verdict.reasons.join(","))));
        let code = verdict.reasons.first().copied().unwrap_or("limit_exceeded");
        let message = format!("the cash-out was refused ({}) and its hold released", verdict.reasons.join(", "));
        return Ok((t, Err(Error::conflict(code, message))));
    }
    let after = Cashout {
        status: to.to_string(),
        confirmed_at: Some(now),
        risk_decision: Some(verdict.decision.as_str().to_string()),
        risk_reasons: verdict.reasons.iter().map(|reason| reason.to_string()).collect(),
        updated_at: now,
        ..cashout.clone()
    };
    Ok((t, Ok(after)))
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
    done(cancel_once(app, actor, tenant, id, note, None).await?)
}

/// [`cancel`], once per `retry` key: the answer is written down with the change.
pub async fn cancel_once(
    app: &Context,
    actor: &Actor,
    tenant: &str,
    id: &str,
    note: &str,
    retry: Option<Retry<Detailed>>,
) -> Result<Answer<Detailed>, Error> {
    let before = load(app, tenant, id).await?;
    let now = app.clock.now_us();
    let mut t = transition(tenant, id, &CANCELABLE, "canceled", note, now);
    t.set = vec![("failure_reason", "canceled".into())];
    let refused = |status: &str| {
        Error::conflict("invalid_state", format!("a cash-out that is {status} can no longer be canceled"))
    };
    if !CANCELABLE.contains(&before.status.as_str()) {
        return Err(refused(&before.status));
    }
    let after = Cashout { failure_reason: Some("canceled".into()), ..before.clone() };
    let shown = shown_after(app, tenant, after, &t, actor).await?;
    let moved_on = refused("no longer awaiting confirmation or review");
    let recorded = Recorded::status("canceled")?;
    change_once(app, actor, &before, (t, recorded), retry, Answers { made: Ok(shown), moved_on }).await
}

/// `after` (the cash-out with the change's columns) as the change `t` leaves it, with its
/// destination and its timeline: the answer of a change, known before it is committed.
pub async fn shown_after(
    app: &Context,
    tenant: &str,
    after: Cashout,
    t: &Transition<'_>,
    actor: &Actor,
) -> Result<Detailed, Error> {
    let cashout = Cashout { status: t.to.to_string(), updated_at: t.at, ..after };
    let destination = view::destination_of(app, tenant, &cashout).await?;
    let mut timeline = cashouts::timeline(&app.db, &cashout.id).await?;
    timeline.push(step(t, actor));
    Ok(Detailed { cashout, destination, timeline })
}

/// An operator settles by hand a payout its rail left open — a partner that never
/// answered, a refused batch file sent by other means, a lost callback — after checking
/// with the partner what happened: `paid` posts the hold, `failed` releases it (a payout
/// still `processing` may only fail). The reason is kept in the timeline. Once per `retry`
/// key: the answer is written down with the change.
pub async fn settle_by_hand(
    app: &Context,
    actor: &Actor,
    tenant: &str,
    id: &str,
    paid: bool,
    reason: &Text,
    retry: Option<Retry<Detailed>>,
) -> Result<Answer<Detailed>, Error> {
    let before = load(app, tenant, id).await?;
    let now = app.clock.now_us();
    let note = format!("settled by an operator: {}", reason.as_str());
    let mut t = if paid {
        transition(tenant, id, &["in_transit"], "paid", note, now)
    } else {
        transition(tenant, id, &["processing", "in_transit"], "failed", note, now)
    };
    let after = if paid {
        t.set = vec![("paid_at", now.into())];
        Cashout { paid_at: Some(now), ..before.clone() }
    } else {
        t.set = vec![("failure_reason", "operator".into())];
        Cashout { failure_reason: Some("operator".into()), ..before.clone() }
    };
    let refused = |status: &str| {
        let message = format!("the cash-out is {status}: only a payout under way can be settled by hand");
        Error::conflict("invalid_state", message)
    };
    if !t.from.contains(&before.status.as_str()) {
        return Err(refused(&before.status));
    }
    let shown = shown_after(app, tenant, after, &t, actor).await?;
    let recorded = Recorded::status(t.to)?;
    let moved_on = refused("no longer under way");
    change_once(app, actor, &before, (t, recorded), retry, Answers { made: Ok(shown), moved_on }).await
}
