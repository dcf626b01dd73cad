//! A cash-out once it exists: the person's list of them (`/wallet/cash-outs`: those waiting
//! for a code first, then those under way, then those done), its page
//! (`/wallet/cash-outs/{id}`: the status in words, what the person can do now — enter the
//! code, have it sent again, cancel, see the receipt, report a problem — the timeline, the
//! amounts, where it goes), the same as JSON for the page's script to follow it live
//! (`status.json`), the printable receipt (`receipt`), and reporting a problem (`dispute`).
//! A cash-out of anyone else answers 404 on every one of them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::cash_out::{known_or_other, text, Problem};
use crate::domain::text::Text;
use crate::people::cashout::{unpaid_reason, UNPAID_ENDINGS};
use crate::people::{local_time, Lang};
use crate::services::cashout::flow::CANCELABLE;
use crate::services::cashout::mine::{self, Mine};
use crate::services::cashout::view::Receipt;
use crate::services::cashout::Detailed;
use crate::services::{Error, Kind};
use crate::web::page::form_status;
use crate::web::page::{self, SignedPost};
use crate::web::visitor::Signed;
use crate::web::Ui;

pub fn router() -> Router<Ui> {
    Router::new()
        .route("/wallet/cash-outs", get(list))
        .route("/wallet/cash-outs/{id}", get(cash_out))
        .route("/wallet/cash-outs/{id}/status.json", get(status_json))
        .route("/wallet/cash-outs/{id}/receipt", get(receipt))
        .route("/wallet/cash-outs/{id}/dispute", get(dispute_form).post(open_dispute))
}

/// Statuses after which nothing more happens to a cash-out by itself.
const FINAL: [&str; 4] = ["paid", "failed", "canceled", "expired"];

/// The reasons a person can give for a problem, by the code kept with the dispute.
const REASONS: [&str; 5] = ["not_arrived", "wrong_amount", "wrong_destination", "not_me", "other"];
/// Longest details a person may add, in characters.
const DETAILS_LEN_MAX: usize = 500;

#[derive(Serialize)]
struct Step {
    status: String,
    text: String,
    at: String,
}

/// What the page and its JSON share: the status in words, the line over the amount, the steps.
struct Shown {
    headline: String,
    status_text: String,
    steps: Vec<Step>,
}

fn shown(ui: &Ui, signed: &Signed, mine: &Mine) -> Shown {
    let lang = signed.visitor.lang;
    let c = &mine.detailed.cashout;
    let offset = ui.settings.wallet_policy(signed.tenant()).month_utc_offset_minutes;
    let steps = mine
        .detailed
        .timeline
        .iter()
        .map(|e| Step {
            status: e.status.clone(),
            text: text(lang, &known_or_other(lang, "status", &e.status), &[]),
            at: local_time(e.at, offset),
        })
        .collect();
    Shown {
        headline: text(lang, &headline_id(&c.status), &[]),
        status_text: text(lang, &known_or_other(lang, "status", &c.status), &[]),
        steps,
    }
}

/// The words over the amount: what the person gets, got, or did not get.
fn headline_id(status: &str) -> String {
    match status {
        "paid" => "cash-out-paid-label".into(),
        s if UNPAID_ENDINGS.contains(&s) => format!("cash-out-{s}-title"),
        _ => "cash-out-to-be-paid-label".into(),
    }
}

/// One cash-out in the list.
#[derive(Serialize)]
struct Listed {
    id: String,
    status_id: String,
    /// What the person gets, or, for one that ended unpaid, what came back.
    amount: i64,
    unpaid: bool,
    masked: String,
    at: i64,
}

fn listed(lang: Lang, cashouts: &[Detailed]) -> Vec<Listed> {
    cashouts
        .iter()
        .map(|d| {
            let c = &d.cashout;
            let unpaid = UNPAID_ENDINGS.contains(&c.status.as_str());
            Listed {
                id: c.id.clone(),
                status_id: known_or_other(lang, "status", &c.status),
                amount: if unpaid { c.quote.gross } else { c.quote.net },
                unpaid,
                masked: d.destination.masked.clone(),
                at: c.created_at,
            }
        })
        .collect()
}

async fn list(State(ui): State<Ui>, signed: Signed) -> Response {
    let lang = signed.visitor.lang;
    let found = match mine::list(&ui, signed.tenant(), signed.user_id()).await {
        Ok(found) => found,
        Err(error) => return page::failure(&ui, &signed.visitor, error),
    };
    let parts: Vec<_> = [
        ("cash-out-list-waiting", &found.waiting),
        ("cash-out-list-under-way", &found.under_way),
        ("cash-out-list-done", &found.done),
    ]
    .into_iter()
    .filter(|(_, part)| !part.is_empty())
    .map(|(title_id, part)| context! { title_id, cashouts => listed(lang, part) })
    .collect();
    let values = context! {
        parts,
        more => found.more,
        nav => "cash-out",
        here => "/wallet/cash-outs",
    };
    page::show_signed(&ui, &signed, StatusCode::OK, "cash_outs.html", values)
}

async fn cash_out(State(ui): State<Ui>, signed: Signed, Path(id): Path<String>) -> Response {
    let lang = signed.visitor.lang;
    let mine = match mine::get(&ui, &signed.actor(), signed.tenant(), signed.user_id(), &id).await {
        Ok(mine) => mine,
        Err(error) => return page::failure(&ui, &signed.visitor, error),
    };
    let shown = shown(&ui, &signed, &mine);
    let c = &mine.detailed.cashout;
    let unpaid = UNPAID_ENDINGS.contains(&c.status.as_str());
    let disputes: Vec<_> = mine
        .disputes
        .iter()
        .map(|d| context! { status_id => known_or_other(lang, "dispute-status", &d.status), at => d.created_at })
        .collect();
    let open_dispute = mine.disputes.iter().any(|d| matches!(d.status.as_str(), "open" | "resolving"));
    let values = context! {
        id,
        status => c.status,
        status_text => shown.status_text,
        headline => shown.headline,
        steps => shown.steps,
        following => !FINAL.contains(&c.status.as_str()),
        unpaid,
        reason => unpaid.then(|| unpaid_reason(&c.status, c.failure_reason.as_deref(), lang)),
        gross => c.quote.gross,
        fee => c.quote.fee,
        net => c.quote.net,
        kind => mine.detailed.destination.type_name,
        masked => mine.detailed.destination.masked,
        awaiting => c.status == "awaiting_confirmation",
        channel => c.otp_channel,
        cancelable => CANCELABLE.contains(&c.status.as_str()),
        review_hours => ui.settings.cashout_policy(signed.tenant()).review_hours,
        confirmed => c.confirmed_at.is_some(),
        disputes,
        open_dispute,
        nav => "cash-out",
        here => format!("/wallet/cash-outs/{id}"),
    };
    page::show_signed(&ui, &signed, StatusCode::OK, "cash_out_status.html", values)
}

#[derive(Serialize)]
struct StatusJson {
    status: String,
    #[serde(rename = "final")]
    done: bool,
    status_text: String,
    headline: String,
    timeline: Vec<Step>,
}

/// The cash-out's status for its page's script, which follows it live.
async fn status_json(State(ui): State<Ui>, signed: Signed, Path(id): Path<String>) -> Response {
    match mine::get(&ui, &signed.actor(), signed.tenant(), signed.user_id(), &id).await {
        Ok(mine) => {
            let shown = shown(&ui, &signed, &mine);
            let status = mine.detailed.cashout.status.clone();
            Json(StatusJson {
                done: FINAL.contains(&status.as_str()),
                status,
                status_text: shown.status_text,
                headline: shown.headline,
                timeline: shown.steps,
            })
            .into_response()
        }
        Err(error) => {
            let status = if error.kind() == Kind::NotFound { StatusCode::NOT_FOUND } else { form_status(&error) };
            (status, Json(serde_json::json!({"error": {"code": error.code()}}))).into_response()
        }
    }
}

#[derive(Serialize)]
struct Row {
    label: String,
    value: String,
}

async fn receipt(State(ui): State<Ui>, signed: Signed, Path(id): Path<String>) -> Response {
    let lang = signed.visitor.lang;
    let found = match mine::receipt(&ui, signed.tenant(), signed.user_id(), &id).await {
        Ok(found) => found,
        Err(error) => return page::failure(&ui, &signed.visitor, error),
    };
    let c = &found.cashout;
    let unpaid = UNPAID_ENDINGS.contains(&c.status.as_str());
    let values = context! {
        id,
        status => c.status,
        status_text => text(lang, &known_or_other(lang, "status", &c.status), &[]),
        unpaid,
        headline => text(lang, &headline_id(&c.status), &[]),
        reason => unpaid.then(|| unpaid_reason(&c.status, c.failure_reason.as_deref(), lang)),
        gross => c.quote.gross,
        net => c.quote.net,
        rows => receipt_rows(lang, &found, unpaid),
        masked => found.destination,
        operator_name => found.operator.name,
        operator_number => found.operator.registration_number,
        nav => "cash-out",
        here => format!("/wallet/cash-outs/{id}/receipt"),
    };
    page::show_signed(&ui, &signed, StatusCode::OK, "cash_out_receipt.html", values)
}

/// The receipt's labelled lines, as the public receipt page has them.
fn receipt_rows(lang: Lang, r: &Receipt, unpaid: bool) -> Vec<Row> {
    let c = &r.cashout;
    let q = &c.quote;
    let amount = |minor: i64| crate::people::money(minor, &q.currency, lang);
    let at = |us: i64| local_time(us, r.utc_offset_minutes);
    let row = |id: &str, value: String| Row { label: text(lang, id, &[]), value };
    let mut rows = vec![
        row("receipt-id", c.id.clone()),
        row("receipt-status", text(lang, &known_or_other(lang, "status", &c.status), &[])),
        row("receipt-gross", amount(q.gross)),
    ];
    if unpaid {
        // Nothing reached the destination; all of it came back.
        rows.push(row("cash-out-paid-label", amount(0)));
        rows.push(row("receipt-returned", amount(q.gross)));
    } else {
        for fee in &q.fees {
            let kind = text(lang, &known_or_other(lang, "fee", &fee.kind), &[]);
            rows.push(Row { label: text(lang, "receipt-fee-line", &[("kind", kind)]), value: amount(fee.amount) });
        }
        rows.push(row("receipt-fees", amount(q.fee)));
        rows.push(row(
            if c.status == "paid" { "cash-out-paid-label" } else { "cash-out-to-be-paid-label" },
            amount(q.net),
        ));
    }
    rows.push(row("receipt-to", crate::people::destination::shown(lang, &r.destination)));
    rows.push(row("receipt-rail", text(lang, &known_or_other(lang, "rail", &q.rail), &[])));
    rows.push(row("receipt-reference", c.rail_reference.clone().unwrap_or_else(|| "-".into())));
    rows.push(row("receipt-requested", at(c.created_at)));
    rows.push(row("receipt-confirmed", at(r.confirmed_at)));
    if let Some(submitted) = c.submitted_at {
        rows.push(row("receipt-sent", at(submitted)));
    }
    if let Some(paid) = c.paid_at.filter(|_| !unpaid) {
        rows.push(row("receipt-paid", at(paid)));
    }
    if let Some(ended) = r.timeline.last().filter(|_| unpaid) {
        rows.push(row("receipt-ended", at(ended.at)));
    }
    rows
}

#[derive(Deserialize, Default)]
struct DisputeForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    details: String,
}

async fn dispute_form(State(ui): State<Ui>, signed: Signed, Path(id): Path<String>) -> Response {
    show_dispute(&ui, &signed, &id, DisputeForm::default(), None).await
}

async fn show_dispute(ui: &Ui, signed: &Signed, id: &str, form: DisputeForm, error: Option<Error>) -> Response {
    let lang = signed.visitor.lang;
    let mine = match mine::get(ui, &signed.actor(), signed.tenant(), signed.user_id(), id).await {
        Ok(mine) => mine,
        Err(error) => return page::failure(ui, &signed.visitor, error),
    };
    let c = &mine.detailed.cashout;
    let open = mine.disputes.iter().any(|d| matches!(d.status.as_str(), "open" | "resolving"));
    let status = error.as_ref().map_or(StatusCode::OK, form_status);
    let problems: Vec<Problem> = error
        .iter()
        .map(|e| {
            let field = match e.param() {
                Some("details") => "details".to_string(),
                _ => "reason-not_arrived".to_string(),
            };
            let words = match e.code() {
                "choose_reason" => text(lang, "dispute-choose", &[]),
                "invalid_details" => text(lang, "dispute-details-long", &[("count", DETAILS_LEN_MAX.to_string())]),
                "other_needs_details" => text(lang, "dispute-other-needs-details", &[]),
                _ => page::words(lang, e),
            };
            Problem { field: Some(field), text: words }
        })
        .collect();
    let values = context! {
        id,
        net => c.quote.net,
        masked => mine.detailed.destination.masked,
        confirmed => c.confirmed_at.is_some(),
        open,
        reasons => REASONS,
        reason => form.reason,
        details => form.details,
        details_max => DETAILS_LEN_MAX,
        problems,
        nav => "cash-out",
        here => format!("/wallet/cash-outs/{id}/dispute"),
    };
    page::show_signed(ui, signed, status, "cash_out_dispute.html", values)
}

/// What is kept as the dispute's reason: the choice's code, then the person's own words.
fn dispute_reason(form: &DisputeForm) -> Result<Text, Error> {
    if !REASONS.contains(&form.reason.as_str()) {
        return Err(Error::invalid("choose_reason", "choose what went wrong", "reason"));
    }
    let details = form.details.trim();
    if details.chars().count() > DETAILS_LEN_MAX {
        return Err(Error::invalid("invalid_details", "details are at most 500 characters", "details"));
    }
    if details.is_empty() && form.reason == "other" {
        return Err(Error::invalid("other_needs_details", "say what went wrong", "details"));
    }
    let reason = if details.is_empty() { form.reason.clone() } else { format!("{}: {details}", form.reason) };
    Text::parse(&reason, DETAILS_LEN_MAX + 32)
        .ok_or_else(|| Error::invalid("invalid_details", "details are at most 500 characters", "details"))
}

async fn open_dispute(State(ui): State<Ui>, Path(id): Path<String>, posted: SignedPost<DisputeForm>) -> Response {
    let SignedPost { signed, form } = posted;
    let reason = match dispute_reason(&form) {
        Ok(reason) => reason,
        Err(error) => return show_dispute(&ui, &signed, &id, form, Some(error)).await,
    };
    match mine::dispute(&ui, &signed.actor(), signed.tenant(), signed.user_id(), &id, reason).await {
        Ok(_) => Redirect::to(&format!("/wallet/cash-outs/{id}")).into_response(),
        Err(error) if error.kind() == Kind::NotFound => page::failure(&ui, &signed.visitor, error),
        Err(error) => show_dispute(&ui, &signed, &id, form, Some(error)).await,
    }
}
