//! `/console/review`: the review queue, oldest first with each one's age against the review
//! SLA (`[cashout] review_hours`), and one cash-out opened (`/console/review/{id}`) with its
//! risk reasons in words, the quote, the destination and its history, and the user's last
//! 30 days. Claiming, approving and rejecting post and redirect; who may do them is decided
//! by `services::review` (the same as for an API key), the page only leaves out buttons a
//! role may not use. A claimed cash-out is decided by its claimer or an admin.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::{context, Value};
use serde::Deserialize;

use super::Staff;
use crate::domain::operator::Role;
use crate::domain::text::Text;
use crate::people::{cashout as words, i18n, Lang};
use crate::services::review::{self, Case, Waiting, REASON_LEN_MAX};
use crate::services::{Actor, Error};
use crate::web::page::{self, Posted};
use crate::web::Ui;

/// Cash-outs the queue shows on one page.
const QUEUE_SHOWN_MAX: i64 = 100;
const HOUR_US: i64 = 3_600_000_000;

#[derive(Deserialize)]
struct Notice {
    #[serde(default)]
    done: String,
}

/// The notice a redirect asks for, in words; nothing for anything else.
fn notice(lang: Lang, done: &str) -> Option<String> {
    matches!(done, "approved" | "rejected" | "claimed")
        .then(|| i18n::text(lang, &format!("console-review-done-{done}"), &[]))
        .flatten()
}

/// The risk reasons of a cash-out in `lang`'s words (a code the catalog does not know as it is).
fn reasons(lang: Lang, codes: &[String]) -> Vec<String> {
    codes
        .iter()
        .map(|code| i18n::text(lang, &format!("console-review-reason-{code}"), &[]).unwrap_or_else(|| code.clone()))
        .collect()
}

fn row(ui: &Ui, lang: Lang, waiting: &Waiting) -> Value {
    let cashout = &waiting.detailed.cashout;
    let now = ui.clock.now_us();
    context! {
        id => cashout.id,
        user_id => cashout.quote.user_id,
        gross => cashout.quote.gross,
        net => cashout.quote.net,
        destination => waiting.detailed.destination.masked,
        reasons => reasons(lang, &cashout.risk_reasons),
        since => waiting.since,
        due_at => waiting.due_at,
        age_hours => now.saturating_sub(waiting.since) / HOUR_US,
        late => now > waiting.due_at,
        claimer => waiting.claimer,
    }
}

async fn queue(State(ui): State<Ui>, staff: Staff, Query(query): Query<Notice>) -> Response {
    let lang = staff.visitor.lang;
    let (found, has_more) = match review::waiting(&ui, staff.tenant(), None, QUEUE_SHOWN_MAX).await {
        Ok(found) => found,
        Err(error) => return page::failure(&ui, &staff.visitor, error),
    };
    let rows: Vec<Value> = found.iter().map(|waiting| row(&ui, lang, waiting)).collect();
    let values = context! {
        nav => "review",
        here => "/console/review",
        operator_email => staff.live.operator.email,
        operator_role => crate::services::operators::role_of(&staff.live.operator).as_str(),
        rows => rows,
        has_more => has_more,
        review_hours => ui.settings.cashout_policy(staff.tenant()).review_hours,
        notice => notice(lang, &query.done),
    };
    page::show_for_tenant(&ui, &staff.visitor, StatusCode::OK, "console/review_queue.html", values, staff.tenant())
}

/// What `actor` may do with the case, for the buttons shown (the service decides again).
struct Allowed {
    claim: bool,
    decide: bool,
}

fn allowed(actor: &Actor, case: &Case) -> Allowed {
    let waiting = case.waiting.detailed.cashout.status == "in_review";
    let reviewer = waiting && review::allowed(actor).is_ok();
    let admin = actor.operator_role() == Some(Role::Admin);
    let holder = case.waiting.claim.as_ref().map(|claim| claim.claimed_by.as_str());
    let mine = holder == Some(actor.recorded().as_str());
    Allowed {
        claim: reviewer && !mine && (holder.is_none() || admin),
        decide: reviewer && (holder.is_none() || mine || admin),
    }
}

/// The case page: with `error` and `typed` when a rejection came back for its reason.
async fn show_case(ui: &Ui, staff: &Staff, id: &str, done: &str, error: Option<&Error>, typed: &str) -> Response {
    let lang = staff.visitor.lang;
    let case = match review::case(ui, staff.tenant(), id).await {
        Ok(case) => case,
        Err(error) => return page::failure(ui, &staff.visitor, error),
    };
    let actor = staff.live.actor();
    let may = allowed(&actor, &case);
    let cashout = &case.waiting.detailed.cashout;
    let destination = &case.waiting.detailed.destination;
    let earlier: Vec<Value> = case
        .earlier
        .iter()
        .map(|e| context! { id => e.id, status => words::status(&e.status, lang), gross => e.gross, created_at => e.created_at })
        .collect();
    let recent = case.recent;
    let values = context! {
        nav => "review",
        here => format!("/console/review/{id}"),
        operator_email => staff.live.operator.email,
        operator_role => crate::services::operators::role_of(&staff.live.operator).as_str(),
        case => row(ui, lang, &case.waiting),
        status => words::status(&cashout.status, lang),
        in_review => cashout.status == "in_review",
        fee => cashout.quote.fee,
        rail => cashout.quote.rail,
        holder_name => destination.holder_name,
        destination_added_at => case.destination_added_at,
        earlier => earlier,
        recent => context! {
            topups => context! { count => recent.topups.count, amount => recent.topups.amount },
            payments => context! { count => recent.payments.count, amount => recent.payments.amount },
            cashouts => context! { count => recent.cashouts.count, amount => recent.cashouts.amount },
        },
        claimed_at => case.waiting.claim.as_ref().map(|claim| claim.claimed_at),
        mine => case.waiting.claim.as_ref().is_some_and(|claim| claim.claimed_by == actor.recorded()),
        may_claim => may.claim,
        may_decide => may.decide,
        may_review => review::allowed(&actor).is_ok(),
        notice => notice(lang, done),
        error => error.map(|e| page::words(lang, e)),
        reason => typed,
        reason_max => REASON_LEN_MAX,
    };
    let status = error.map_or(StatusCode::OK, page::form_status);
    page::show_for_tenant(ui, &staff.visitor, status, "console/review_case.html", values, staff.tenant())
}

async fn case(State(ui): State<Ui>, staff: Staff, Path(id): Path<String>, Query(query): Query<Notice>) -> Response {
    show_case(&ui, &staff, &id, &query.done, None, "").await
}

#[derive(Deserialize)]
struct Nothing {}

async fn claim(State(ui): State<Ui>, staff: Staff, Path(id): Path<String>, _posted: Posted<Nothing>) -> Response {
    match review::claim(&ui, &staff.live.actor(), staff.tenant(), &id).await {
        Ok(_) => Redirect::to(&format!("/console/review/{id}?done=claimed")).into_response(),
        Err(error) => page::failure(&ui, &staff.visitor, error),
    }
}

#[derive(Deserialize)]
struct Decision {
    #[serde(default)]
    reason: String,
}

async fn approve(State(ui): State<Ui>, staff: Staff, Path(id): Path<String>, posted: Posted<Decision>) -> Response {
    let reason = Text::parse(&posted.form.reason, REASON_LEN_MAX);
    let reason = reason.as_ref().map(|r| r.as_str());
    decided(&ui, &staff, &id, true, reason, "approved").await
}

async fn reject(State(ui): State<Ui>, staff: Staff, Path(id): Path<String>, posted: Posted<Decision>) -> Response {
    // Who may not decide hears so first, whatever they typed.
    if let Err(error) = review::allowed(&staff.live.actor()) {
        return page::failure(&ui, &staff.visitor, error);
    }
    let typed = posted.form.reason;
    let Some(reason) = Text::parse(&typed, REASON_LEN_MAX) else {
        let error = Error::invalid(
            "reason_required",
            format!("a rejection says why, in 1 to {REASON_LEN_MAX} characters"),
            "reason",
        );
        return show_case(&ui, &staff, &id, "", Some(&error), &typed).await;
    };
    decided(&ui, &staff, &id, false, Some(reason.as_str()), "rejected").await
}

/// Approves or rejects, then back to the queue with a notice (post/redirect/get).
async fn decided(ui: &Ui, staff: &Staff, id: &str, approve: bool, reason: Option<&str>, done: &str) -> Response {
    match review::review(ui, &staff.live.actor(), staff.tenant(), id, approve, reason, None).await {
        Ok(_) => Redirect::to(&format!("/console/review?done={done}")).into_response(),
        Err(error) => page::failure(ui, &staff.visitor, error),
    }
}

pub fn router() -> Router<Ui> {
    Router::new()
        .route("/console/review", get(queue))
        .route("/console/review/{id}", get(case))
        .route("/console/review/{id}/claim", post(claim))
        .route("/console/review/{id}/approve", post(approve))
        .route("/console/review/{id}/reject", post(reject))
}
