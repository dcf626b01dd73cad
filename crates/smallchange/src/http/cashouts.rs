//! Cash-out over HTTP: quotes, cash-outs (create, confirm, cancel, read, receipt), the
//! review queue, and the development SMS outbox. The rules live in [`crate::services::cashout`].

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Operator, READERS, REVIEWERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::idempotency::{self, Once};
use super::ledger::{parse_amount, parse_currency};
use super::paging::PageQuery;
use super::submit::{refused, submit_then};
use super::users::{existing, rfc3339};
use super::AppState;
use crate::domain::fees::FeeLine;
use crate::services::cashout::quote::{self, QuoteInput, Wanted};
use crate::services::cashout::{flow, money, otp};
use crate::services::review;
use crate::store::cashouts::{self, Cashout, Quote};
use crate::store::destinations;
use crate::store::payments::Leg;
use crate::unit::UnitOutput;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/users/{id}/cashout-quotes", post(create_quote))
        .route("/v1/cashouts", post(create_cashout))
        .route("/v1/cashouts/{id}", get(get_cashout))
        .route("/v1/cashouts/{id}/confirm", post(confirm_cashout))
        .route("/v1/cashouts/{id}/cancel", post(cancel_cashout))
        .route("/v1/cashouts/{id}/resend-code", post(resend_code))
        .route("/v1/cashouts/{id}/receipt", get(receipt))
        .route("/v1/cashouts/{id}/approve", post(approve))
        .route("/v1/cashouts/{id}/reject", post(reject))
        .route("/v1/cashouts/{id}/settle", post(settle))
        .route("/v1/review-queue", get(review_queue))
        .route("/v1/users/{id}/auto-cashout", get(get_auto).put(put_auto))
        .route("/v1/users/{id}/cashouts", get(list_cashouts))
        .route("/v1/dev/sms-outbox", get(sms_outbox))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// Minor units, or `"max"` for everything withdrawable within the limits.
    #[schema(value_type = Object)]
    amount: serde_json::Value,
    currency: String,
    destination_id: String,
    /// `standard` (default) or `instant`.
    speed: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct QuoteResponse {
    id: String,
    user_id: String,
    destination_id: String,
    currency: String,
    gross: i64,
    /// Every part of the fee; they add up to `fee`.
    fees: Vec<FeeLine>,
    fee: i64,
    /// What reaches the destination: exactly this, or nothing.
    net: i64,
    /// The withdrawable pockets it is drawn from.
    sources: Vec<Leg>,
    rail: String,
    speed: String,
    /// When the money is expected at the destination.
    eta: String,
    expires_at: String,
}

fn quote_response(q: &Quote) -> QuoteResponse {
    QuoteResponse {
        id: q.id.clone(),
        user_id: q.user_id.clone(),
        destination_id: q.destination_id.clone(),
        currency: q.currency.clone(),
        gross: q.gross,
        fees: q.fees.clone(),
        fee: q.fee,
        net: q.net,
        sources: q.sources.clone(),
        rail: q.rail.clone(),
        speed: q.speed.clone(),
        eta: rfc3339(q.created_at + q.eta_s * 1_000_000),
        expires_at: rfc3339(q.expires_at),
    }
}

/// Quote a cash-out: sources, itemised fees, net, rail, ETA; it binds until it expires.
#[utoipa::path(post, path = "/v1/users/{id}/cashout-quotes", request_body = QuoteRequest,
    params(("id" = String, Path, description = "The user id")),
    responses((status = 200, body = QuoteResponse), (status = 400, body = ErrorBody, description = "`below_minimum`, `kyc_required`"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`not_withdrawable`, `limit_exceeded`")),
    security(("bearer" = [])), tag = "cash-out")]
async fn create_quote(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    request: Once,
) -> Response {
    request.run(&app.db, operator.tenant_id(), |body| create_quote_work(&app, &operator, &user_id, body)).await
}

async fn create_quote_work(
    app: &AppState,
    operator: &Operator,
    user_id: &str,
    body: axum::body::Bytes,
) -> Result<Json<QuoteResponse>, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id();
    let request: QuoteRequest = parse_json(&body)?;
    let wanted = match &request.amount {
        serde_json::Value::String(max) if max == "max" => Wanted::Max,
        serde_json::Value::Number(n) => {
            let amount =
                n.as_i64().ok_or_else(|| ApiError::invalid("invalid_amount", "amount is an integer", "amount"))?;
            Wanted::Amount(parse_amount(amount, &app.settings, "amount".into())?.minor_units())
        }
        _ => {
            return Err(ApiError::invalid("invalid_amount", "amount is an integer of minor units or \"max\"", "amount"))
        }
    };
    let currency = parse_currency(&request.currency, "currency".into())?;
    let speed = request.speed.as_deref().unwrap_or("standard");
    if !crate::domain::cashout_policy::SPEEDS.contains(&speed) {
        return Err(ApiError::invalid("invalid_speed", "speed is standard or instant", "speed"));
    }
    let user = existing(app, tenant, user_id).await?;
    let destination = destinations::get(&app.db, tenant, &request.destination_id)
        .await?
        .filter(|d| d.user_id == user.id)
        .ok_or_else(|| {
            ApiError::invalid("unknown_destination", "no such destination of this user", "destination_id")
        })?;
    let now = app.clock.now_us();
    let input = QuoteInput { tenant, user: &user, destination: &destination, wanted, currency, speed, now };
    let policy = app.settings.cashout_policy(tenant);
    let quote = match quote::build(&app.db, policy, app.settings.wallet_policy(tenant), input).await? {
        Ok(quote) => quote,
        Err(refused) => {
            return Err(match refused.code {
                "below_minimum" => ApiError::invalid("below_minimum", refused.message, "amount"),
                "speed_unavailable" => ApiError::invalid("speed_unavailable", refused.message, "speed"),
                "kyc_required" => ApiError::bad_request("kyc_required", refused.message),
                code => ApiError::conflict(code, refused.message),
            })
        }
    };
    cashouts::insert_quote(&app.db, tenant, &quote).await?;
    Ok(Json(quote_response(&quote)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CashoutRequest {
    quote_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct CashoutResponse {
    id: String,
    /// `awaiting_confirmation`, `in_review`, `processing`, `in_transit`, `paid`, `failed`,
    /// `canceled` or `expired`.
    status: String,
    user_id: String,
    quote: QuoteResponse,
    destination: DestinationView,
    /// How the one-time code comes: `totp` (the user's authenticator) or `sms`.
    otp_channel: String,
    confirm_by: String,
    rail_reference: Option<String>,
    failure_reason: Option<String>,
    timeline: Vec<TimelineEntry>,
    risk: RiskView,
    created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct DestinationView {
    id: String,
    #[serde(rename = "type")]
    type_name: String,
    masked: String,
    holder_name: String,
}

#[derive(Serialize, ToSchema)]
pub struct TimelineEntry {
    status: String,
    at: String,
    note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RiskView {
    /// `allow`, `review` or `deny`; empty until confirmation.
    decision: Option<String>,
    reasons: Vec<String>,
}

async fn cashout_response(app: &AppState, tenant: &str, cashout: &Cashout) -> Result<CashoutResponse, ApiError> {
    let destination = destinations::get(&app.db, tenant, &cashout.quote.destination_id).await?;
    let destination = match destination {
        Some(d) => DestinationView { id: d.id, type_name: d.type_name, masked: d.masked, holder_name: d.holder_name },
        None => return Err(ApiError::internal(format!("cash-out {} has no destination", cashout.id))),
    };
    let timeline = cashouts::timeline(&app.db, &cashout.id).await?;
    Ok(CashoutResponse {
        id: cashout.id.clone(),
        status: cashout.status.clone(),
        user_id: cashout.quote.user_id.clone(),
        quote: quote_response(&cashout.quote),
        destination,
        otp_channel: cashout.otp_channel.clone(),
        confirm_by: rfc3339(cashout.confirm_by),
        rail_reference: cashout.rail_reference.clone(),
        failure_reason: cashout.failure_reason.clone(),
        timeline: timeline
            .into_iter()
            .map(|e| TimelineEntry { status: e.status, at: rfc3339(e.at), note: e.note })
            .collect(),
        risk: RiskView { decision: cashout.risk_decision.clone(), reasons: cashout.risk_reasons.clone() },
        created_at: rfc3339(cashout.created_at),
    })
}

/// Create a cash-out from a quote: the amount is held at once and a code is sent.
#[utoipa::path(post, path = "/v1/cashouts", request_body = CashoutRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = CashoutResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`quote_expired`, `insufficient_funds`, `invalid_state` (quote used)")),
    security(("bearer" = [])), tag = "cash-out")]
async fn create_cashout(
    State(app): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id().to_string();
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, &tenant, "/v1/cashouts", &body));
    let request: CashoutRequest = parse_json(&body)?;
    let quote = cashouts::quote(&app.db, &tenant, &request.quote_id)
        .await?
        .ok_or_else(|| ApiError::invalid("unknown_quote", "no such quote", "quote_id"))?;
    let now = app.clock.now_us();
    if now >= quote.expires_at {
        return Err(ApiError::conflict("quote_expired", "the quote has expired: ask for a new one"));
    }
    let user = existing(&app, &tenant, &quote.user_id).await?;
    let (cashout, code) = flow::new_cashout(&app, &tenant, quote, &user, now);
    let unit = money::hold_unit(&tenant, &cashout, Vec::new())?;
    let shown = cashout_response_new(&app, &tenant, &cashout).await?;
    let render = Arc::new(move |outcome: &UnitOutput| {
        if let Some(error) = refused(outcome) {
            return Err(error);
        }
        match outcome {
            UnitOutput::Applied { results, .. } if results.iter().all(|r| r.is_ok()) => {
                Ok(serde_json::to_string(&shown).expect("a cash-out serializes"))
            }
            _ => Err(ApiError::conflict("insufficient_funds", "the quote's sources no longer hold enough")),
        }
    });
    let (response, outcome) = submit_then(&app, checked, unit, render).await?;
    let placed = outcome.as_ref().is_some_and(UnitOutput::succeeded);
    if let (true, Some(code)) = (placed, code) {
        otp::send_code(&app, &tenant, &cashout, &user.phone, &code).await;
    }
    Ok(response)
}

/// Send a new SMS code for a cash-out awaiting confirmation (the old one stops working).
#[utoipa::path(post, path = "/v1/cashouts/{id}/resend-code", params(("id" = String, Path, description = "The cash-out id")),
    responses((status = 200, body = CashoutResponse), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_state`: not awaiting an SMS code")),
    security(("bearer" = [])), tag = "cash-out")]
async fn resend_code(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    request: Once,
) -> Response {
    request.run(&app.db, operator.tenant_id(), |_| resend_code_work(&app, &operator, &id)).await
}

async fn resend_code_work(app: &AppState, operator: &Operator, id: &str) -> Result<Json<CashoutResponse>, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id();
    let cashout = flow::load(app, tenant, id).await?;
    let code = otp::new_code();
    let stored = otp::hash(&app.secrets, &cashout.id, &code);
    if !cashouts::replace_code(&app.db, tenant, id, &stored, app.clock.now_us()).await? {
        return Err(ApiError::conflict("invalid_state", "the cash-out is not waiting for an SMS code"));
    }
    let user = existing(app, tenant, &cashout.quote.user_id).await?;
    otp::send_code(app, tenant, &cashout, &user.phone, &code).await;
    Ok(Json(cashout_response(app, tenant, &cashout).await?))
}

/// The answer for a cash-out about to be created (its timeline is its first step).
async fn cashout_response_new(app: &AppState, tenant: &str, cashout: &Cashout) -> Result<CashoutResponse, ApiError> {
    let mut response = cashout_response(app, tenant, cashout).await?;
    response.timeline = vec![TimelineEntry {
        status: cashout.status.clone(),
        at: rfc3339(cashout.created_at),
        note: Some("hold placed".into()),
    }];
    Ok(response)
}

/// Read a cash-out with its timeline and risk decision.
#[utoipa::path(get, path = "/v1/cashouts/{id}", params(("id" = String, Path, description = "The cash-out id")),
    responses((status = 200, body = CashoutResponse), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash-out")]
async fn get_cashout(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<CashoutResponse>, ApiError> {
    operator.require(READERS)?;
    let cashout = flow::load(&app, operator.tenant_id(), &id).await?;
    Ok(Json(cashout_response(&app, operator.tenant_id(), &cashout).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// The user's one-time code: from their authenticator app, or the SMS.
    otp: String,
}

/// Confirm a cash-out with the user's one-time code.
#[utoipa::path(post, path = "/v1/cashouts/{id}/confirm", request_body = ConfirmRequest,
    params(("id" = String, Path, description = "The cash-out id")),
    responses((status = 200, body = CashoutResponse), (status = 400, body = ErrorBody, description = "`otp_invalid`"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`otp_locked`, `invalid_state`")),
    security(("bearer" = [])), tag = "cash-out")]
async fn confirm_cashout(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    request: Once,
) -> Response {
    request.run(&app.db, operator.tenant_id(), |body| confirm_cashout_work(&app, &operator, &id, body)).await
}

async fn confirm_cashout_work(
    app: &AppState,
    operator: &Operator,
    id: &str,
    body: axum::body::Bytes,
) -> Result<Json<CashoutResponse>, ApiError> {
    operator.require(WRITERS)?;
    let request: ConfirmRequest = parse_json(&body)?;
    let cashout = flow::confirm(app, operator.tenant_id(), id, &request.otp).await?;
    Ok(Json(cashout_response(app, operator.tenant_id(), &cashout).await?))
}

/// Cancel a cash-out before it reaches a rail; its hold is released.
#[utoipa::path(post, path = "/v1/cashouts/{id}/cancel", params(("id" = String, Path, description = "The cash-out id")),
    responses((status = 200, body = CashoutResponse), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_state`")),
    security(("bearer" = [])), tag = "cash-out")]
async fn cancel_cashout(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    request: Once,
) -> Response {
    request.run(&app.db, operator.tenant_id(), |_| cancel_cashout_work(&app, &operator, &id)).await
}

async fn cancel_cashout_work(app: &AppState, operator: &Operator, id: &str) -> Result<Json<CashoutResponse>, ApiError> {
    operator.require(WRITERS)?;
    let cashout = flow::cancel(app, operator.tenant_id(), id, "canceled").await?;
    Ok(Json(cashout_response(app, operator.tenant_id(), &cashout).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    reason: Option<String>,
}

/// Approve a cash-out in review: it goes to its rail.
#[utoipa::path(post, path = "/v1/cashouts/{id}/approve", params(("id" = String, Path, description = "The cash-out id")),
    responses((status = 200, body = CashoutResponse), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash-out")]
async fn approve(State(app): State<AppState>, operator: Operator, Path(id): Path<String>, request: Once) -> Response {
    request.run(&app.db, operator.tenant_id(), |body| decide(&app, &operator, &id, body, true)).await
}

/// Reject a cash-out in review: it is canceled and its hold released.
#[utoipa::path(post, path = "/v1/cashouts/{id}/reject", request_body = ReviewRequest,
    params(("id" = String, Path, description = "The cash-out id")),
    responses((status = 200, body = CashoutResponse), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash-out")]
async fn reject(State(app): State<AppState>, operator: Operator, Path(id): Path<String>, request: Once) -> Response {
    request.run(&app.db, operator.tenant_id(), |body| decide(&app, &operator, &id, body, false)).await
}

async fn decide(
    app: &AppState,
    operator: &Operator,
    id: &str,
    body: axum::body::Bytes,
    approve: bool,
) -> Result<Json<CashoutResponse>, ApiError> {
    operator.require(REVIEWERS)?;
    let request: ReviewRequest = if body.is_empty() { ReviewRequest { reason: None } } else { parse_json(&body)? };
    let reason = request.reason.unwrap_or_default();
    if reason.chars().count() > 500 {
        return Err(ApiError::invalid("invalid_reason", "reason is at most 500 characters", "reason"));
    }
    let cashout = review::review(app, operator.tenant_id(), id, approve, &reason).await?;
    Ok(Json(cashout_response(app, operator.tenant_id(), &cashout).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettleRequest {
    /// `paid` or `failed`: what the partner says happened.
    outcome: String,
    /// Why, for the timeline: 1 to 500 characters.
    reason: String,
}

/// Settle by hand a payout its rail left open (admin): `paid` posts the hold, `failed`
/// releases it.
#[utoipa::path(post, path = "/v1/cashouts/{id}/settle", request_body = SettleRequest,
    params(("id" = String, Path, description = "The cash-out id")),
    responses((status = 200, body = CashoutResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`invalid_state`: not under way")),
    security(("bearer" = [])), tag = "cash-out")]
async fn settle(State(app): State<AppState>, operator: Operator, Path(id): Path<String>, request: Once) -> Response {
    request.run(&app.db, operator.tenant_id(), |body| settle_work(&app, &operator, &id, body)).await
}

async fn settle_work(
    app: &AppState,
    operator: &Operator,
    id: &str,
    body: axum::body::Bytes,
) -> Result<Json<CashoutResponse>, ApiError> {
    operator.require(WRITERS)?;
    let request: SettleRequest = parse_json(&body)?;
    let paid = match request.outcome.as_str() {
        "paid" => true,
        "failed" => false,
        _ => return Err(ApiError::invalid("invalid_outcome", "outcome is paid or failed", "outcome")),
    };
    let reason = request.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::invalid("invalid_reason", "reason is 1 to 500 characters", "reason"));
    }
    let cashout = flow::settle_by_hand(app, operator.tenant_id(), id, paid, reason).await?;
    Ok(Json(cashout_response(app, operator.tenant_id(), &cashout).await?))
}

#[derive(Serialize, ToSchema)]
pub struct ReviewQueue {
    data: Vec<CashoutResponse>,
    has_more: bool,
}

/// A user's cash-outs, oldest first.
#[utoipa::path(get, path = "/v1/users/{id}/cashouts", params(("id" = String, Path, description = "The user id"), PageQuery),
    responses((status = 200, body = ReviewQueue), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash-out")]
async fn list_cashouts(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<ReviewQueue>, ApiError> {
    operator.require(READERS)?;
    let tenant = operator.tenant_id();
    let user = existing(&app, tenant, &user_id).await?;
    let limit = page.limit()?;
    let found = cashouts::for_user(&app.db, tenant, &user.id, page.starting_after()?, limit + 1).await?;
    let (found, has_more) = super::paging::page(found, limit);
    let mut data = Vec::with_capacity(found.len());
    for cashout in &found {
        data.push(cashout_response(&app, tenant, cashout).await?);
    }
    Ok(Json(ReviewQueue { data, has_more }))
}

/// Cash-outs waiting for a reviewer, oldest first.
#[utoipa::path(get, path = "/v1/review-queue", params(PageQuery),
    responses((status = 200, body = ReviewQueue), (status = 403, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash-out")]
async fn review_queue(
    State(app): State<AppState>,
    operator: Operator,
    Query(page): Query<PageQuery>,
) -> Result<Json<ReviewQueue>, ApiError> {
    operator.require(REVIEWERS)?;
    let limit = page.limit()?;
    let tenant = operator.tenant_id();
    let found = cashouts::in_review(&app.db, tenant, page.starting_after()?, limit + 1).await?;
    let (found, has_more) = super::paging::page(found, limit);
    let mut data = Vec::with_capacity(found.len());
    for cashout in &found {
        data.push(cashout_response(&app, tenant, cashout).await?);
    }
    Ok(Json(ReviewQueue { data, has_more }))
}

#[derive(Serialize, ToSchema)]
pub struct Receipt {
    cashout_id: String,
    status: String,
    currency: String,
    gross: i64,
    fees: Vec<FeeLine>,
    fee: i64,
    /// Exactly the quote's net.
    net: i64,
    sources: Vec<Leg>,
    rail: String,
    rail_reference: Option<String>,
    destination: String,
    quote_id: String,
    created_at: String,
    confirmed_at: Option<String>,
    submitted_at: Option<String>,
    paid_at: Option<String>,
    operator_name: String,
    operator_registration_number: String,
}

/// The receipt, from confirmation on: JSON, or a printable page with `Accept: text/html`.
#[utoipa::path(get, path = "/v1/cashouts/{id}/receipt", params(("id" = String, Path, description = "The cash-out id")),
    responses((status = 200, body = Receipt), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_state`: not confirmed")),
    security(("bearer" = [])), tag = "cash-out")]
async fn receipt(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    operator.require(READERS)?;
    let tenant = operator.tenant_id();
    let cashout = flow::load(&app, tenant, &id).await?;
    let Some(confirmed_at) = cashout.confirmed_at else {
        return Err(ApiError::conflict("invalid_state", "a receipt exists once the cash-out is confirmed"));
    };
    let policy = app.settings.cashout_policy(tenant);
    let destination =
        destinations::get(&app.db, tenant, &cashout.quote.destination_id).await?.map(|d| d.masked).unwrap_or_default();
    let q = &cashout.quote;
    let receipt = Receipt {
        cashout_id: cashout.id.clone(),
        status: cashout.status.clone(),
        currency: q.currency.clone(),
        gross: q.gross,
        fees: q.fees.clone(),
        fee: q.fee,
        net: q.net,
        sources: q.sources.clone(),
        rail: q.rail.clone(),
        rail_reference: cashout.rail_reference.clone(),
        destination,
        quote_id: q.id.clone(),
        created_at: rfc3339(cashout.created_at),
        confirmed_at: Some(rfc3339(confirmed_at)),
        submitted_at: cashout.submitted_at.map(rfc3339),
        paid_at: cashout.paid_at.map(rfc3339),
        operator_name: policy.business_name.clone(),
        operator_registration_number: policy.business_registration_number.clone(),
    };
    let wants_html = headers.get("accept").and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if wants_html {
        return Ok(Html(super::receipt_page::render(&receipt_lines(&receipt))).into_response());
    }
    Ok((StatusCode::OK, Json(receipt)).into_response())
}

/// The receipt as labelled lines, for the printable page.
fn receipt_lines(r: &Receipt) -> super::receipt_page::Page {
    let money = |amount: i64| format!("{amount} {}", r.currency);
    let mut lines = vec![("Cash-out".to_string(), r.cashout_id.clone()), ("Status".into(), r.status.clone())];
    lines.push(("Amount withdrawn (gross)".into(), money(r.gross)));
    for fee in &r.fees {
        lines.push((format!("Fee: {}", fee.kind.replace('_', " ")), money(fee.amount)));
    }
    lines.push(("Fees".into(), money(r.fee)));
    lines.push(("Paid to you (net)".into(), money(r.net)));
    lines.push(("To".into(), r.destination.clone()));
    lines.push(("Rail".into(), r.rail.clone()));
    lines.push(("Rail reference".into(), r.rail_reference.clone().unwrap_or_else(|| "-".into())));
    for (label, at) in [
        ("Created", Some(&r.created_at)),
        ("Confirmed", r.confirmed_at.as_ref()),
        ("Submitted", r.submitted_at.as_ref()),
        ("Paid", r.paid_at.as_ref()),
    ] {
        lines.push((label.into(), at.cloned().unwrap_or_else(|| "-".into())));
    }
    super::receipt_page::Page {
        title: format!("Receipt {}", r.cashout_id),
        operator: format!("{} (registration no. {})", r.operator_name, r.operator_registration_number),
        lines,
    }
}

#[derive(Deserialize, IntoParams)]
pub struct OutboxQuery {
    limit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OutboxMessage {
    to: String,
    text: String,
    created_at: String,
}

/// Development only: the SMS codes that would have been sent, when no gateway is set.
#[utoipa::path(get, path = "/v1/dev/sms-outbox", params(OutboxQuery),
    responses((status = 200, body = Vec<OutboxMessage>), (status = 404, body = ErrorBody, description = "a gateway is configured")),
    security(("bearer" = [])), tag = "cash-out")]
async fn sms_outbox(
    State(app): State<AppState>,
    operator: Operator,
    Query(query): Query<OutboxQuery>,
) -> Result<Json<Vec<OutboxMessage>>, ApiError> {
    operator.require(REVIEWERS)?;
    if !app.settings.sms_gateway_url.is_empty() {
        return Err(ApiError::not_found("codes go through the SMS gateway: there is no outbox"));
    }
    let limit = super::paging::limit(query.limit.as_deref(), super::paging::PAGE_LIMIT_MAX)?;
    let messages = cashouts::sms_outbox(&app.db, operator.tenant_id(), limit).await?;
    Ok(Json(messages.into_iter().map(|(to, text, at)| OutboxMessage { to, text, created_at: rfc3339(at) }).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoCashoutRequest {
    enabled: bool,
    /// Withdrawable amount at which a cash-out is created (at least the minimum).
    threshold: i64,
    /// The user's destination to pay.
    destination_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct AutoCashoutResponse {
    user_id: String,
    enabled: bool,
    threshold: i64,
    destination_id: String,
    /// Whether auto-cash-outs go ahead without a code, on the user's standing consent (a tenant setting).
    standing_authorisation: bool,
    updated_at: String,
}

fn auto_response(app: &AppState, tenant: &str, auto: cashouts::AutoCashout) -> AutoCashoutResponse {
    AutoCashoutResponse {
        standing_authorisation: app.settings.cashout_policy(tenant).auto_standing_authorisation,
        updated_at: rfc3339(auto.updated_at),
        user_id: auto.user_id,
        enabled: auto.enabled,
        threshold: auto.threshold,
        destination_id: auto.destination_id,
    }
}

/// Turn auto-cash-out on or off, with its threshold and destination.
#[utoipa::path(put, path = "/v1/users/{id}/auto-cashout", request_body = AutoCashoutRequest,
    params(("id" = String, Path, description = "The user id")),
    responses((status = 200, body = AutoCashoutResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash-out")]
async fn put_auto(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    RawBody(body): RawBody,
) -> Result<Json<AutoCashoutResponse>, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id();
    let request: AutoCashoutRequest = parse_json(&body)?;
    let minimum = app.settings.cashout_policy(tenant).minimum;
    if request.threshold < minimum || request.threshold > app.settings.amount_max {
        let message = format!("threshold is at least the cash-out minimum, {minimum}");
        return Err(ApiError::invalid("invalid_threshold", message, "threshold"));
    }
    let user = existing(&app, tenant, &user_id).await?;
    destinations::get(&app.db, tenant, &request.destination_id).await?.filter(|d| d.user_id == user.id).ok_or_else(
        || ApiError::invalid("unknown_destination", "no such destination of this user", "destination_id"),
    )?;
    let auto = cashouts::AutoCashout {
        user_id: user.id,
        enabled: request.enabled,
        threshold: request.threshold,
        destination_id: request.destination_id,
        updated_at: app.clock.now_us(),
    };
    cashouts::set_auto(&app.db, tenant, &auto).await?;
    Ok(Json(auto_response(&app, tenant, auto)))
}

/// A user's auto-cash-out setting.
#[utoipa::path(get, path = "/v1/users/{id}/auto-cashout", params(("id" = String, Path, description = "The user id")),
    responses((status = 200, body = AutoCashoutResponse), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash-out")]
async fn get_auto(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
) -> Result<Json<AutoCashoutResponse>, ApiError> {
    operator.require(READERS)?;
    let tenant = operator.tenant_id();
    let user = existing(&app, tenant, &user_id).await?;
    let auto = cashouts::auto(&app.db, tenant, &user.id)
        .await?
        .ok_or_else(|| ApiError::not_found("auto-cash-out was never set for this user"))?;
    Ok(Json(auto_response(&app, tenant, auto)))
}
