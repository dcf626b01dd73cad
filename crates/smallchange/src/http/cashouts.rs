//! Cash-out over HTTP: quotes, cash-outs (create, confirm, cancel, read, receipt), the
//! review queue, and the development SMS outbox. The rules live in [`crate::services::cashout`].

use super::path::Path;
use super::query::Query;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::audit::AuditLink;
use super::auth::{Operator, READERS, REVIEWERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::idempotency::{self, Checked, Once};
use super::ledger::{parse_amount, parse_currency};
use super::paging::PageQuery;
use super::submit;
use super::users::rfc3339;
use super::AppState;
use crate::domain::cashout_policy::Speed;
use crate::domain::fees::FeeLine;
use crate::domain::text::Text;
use crate::services::cashout::auto::{self, Choice, Setting};
use crate::services::cashout::quote::{self, Ask, Wanted};
use crate::services::cashout::{self as cashout, flow, otp, receipt_link, view, Detailed};
use crate::services::review;
use crate::store::cashouts::Quote;
use crate::store::payments::Leg;

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
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`not_withdrawable`, `limit_exceeded`, `user_frozen`")),
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
    let request: QuoteRequest = parse_json(&body)?;
    let wanted = match &request.amount {
        serde_json::Value::String(max) if max == "max" => Wanted::Max,
        serde_json::Value::Number(n) => {
            let amount =
                n.as_i64().ok_or_else(|| ApiError::invalid("invalid_amount", "amount is an integer", "amount"))?;
            Wanted::Amount(parse_amount(amount, app.settings.amount_max, "amount".into())?.minor_units())
        }
        _ => {
            return Err(ApiError::invalid("invalid_amount", "amount is an integer of minor units or \"max\"", "amount"))
        }
    };
    let currency = parse_currency(&request.currency, "currency".into())?;
    let speed = Speed::parse(request.speed.as_deref().unwrap_or("standard"))
        .ok_or_else(|| ApiError::invalid("invalid_speed", "speed is standard or instant", "speed"))?;
    let ask = Ask { wanted, currency, speed, destination_id: request.destination_id };
    let quote = quote::ask(app, operator.tenant_id(), user_id, ask).await?;
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
    /// The audit entry of its latest status change, and where its proof is; `null` in the
    /// answer to the request that created it (read the cash-out for it).
    audit: Option<AuditLink>,
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
    /// Who made this step: `api_key:key_…` (an operator's key), `agent:cpa_…` (a
    /// cash-pickup agent) or `system:<worker>` (smallchange itself, e.g.
    /// `system:cashout-worker`); null for steps recorded before actors were.
    actor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RiskView {
    /// `allow`, `review` or `deny`; empty until confirmation.
    decision: Option<String>,
    reasons: Vec<String>,
}

fn cashout_response(detailed: &Detailed) -> CashoutResponse {
    let Detailed { cashout, destination: d, timeline } = detailed;
    CashoutResponse {
        id: cashout.id.clone(),
        status: cashout.status.clone(),
        user_id: cashout.quote.user_id.clone(),
        quote: quote_response(&cashout.quote),
        destination: DestinationView {
            id: d.id.clone(),
            type_name: d.type_name.clone(),
            masked: d.masked.clone(),
            holder_name: d.holder_name.clone(),
        },
        otp_channel: cashout.otp_channel.clone(),
        confirm_by: rfc3339(cashout.confirm_by),
        rail_reference: cashout.rail_reference.clone(),
        failure_reason: cashout.failure_reason.clone(),
        timeline: timeline
            .iter()
            .map(|e| TimelineEntry {
                status: e.status.clone(),
                at: rfc3339(e.at),
                note: e.note.clone(),
                actor: e.actor.clone(),
            })
            .collect(),
        risk: RiskView { decision: cashout.risk_decision.clone(), reasons: cashout.risk_reasons.clone() },
        created_at: rfc3339(cashout.created_at),
        audit: None,
    }
}

/// The cash-out as shown now, with its audit link.
async fn shown(app: &AppState, tenant: &str, detailed: &Detailed) -> Result<CashoutResponse, ApiError> {
    let mut response = cashout_response(detailed);
    response.audit = super::audit::link(app, tenant, &detailed.cashout.id).await?;
    Ok(response)
}

fn cashout_json(detailed: &Detailed) -> String {
    serde_json::to_string(&cashout_response(detailed)).expect("a cash-out serializes")
}

/// Create a cash-out from a quote: the amount is held at once and a code is sent.
#[utoipa::path(post, path = "/v1/cashouts", request_body = CashoutRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = CashoutResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`quote_expired`, `insufficient_funds`, `invalid_state` (quote used), `user_frozen`")),
    security(("bearer" = [])), tag = "cash-out")]
async fn create_cashout(
    State(app): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id();
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, tenant, "/v1/cashouts", &body));
    let request: CashoutRequest = parse_json(&body)?;
    let retry = submit::retry(checked, cashout_json, None);
    let answer = cashout::create(&app, &operator.actor(), tenant, &request.quote_id, retry).await?;
    submit::respond(answer, |detailed| cashout_json(&detailed), None)
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
    let resent = cashout::resend_code(app, operator.tenant_id(), id).await?;
    Ok(Json(shown(app, operator.tenant_id(), &resent).await?))
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
    let found = view::get(&app, operator.tenant_id(), &id).await?;
    Ok(Json(shown(&app, operator.tenant_id(), &found).await?))
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
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`otp_locked`, `invalid_state`, `user_frozen` (no code is compared)")),
    security(("bearer" = [])), tag = "cash-out")]
async fn confirm_cashout(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    request: Once,
) -> Response {
    let work = |body, checked| confirm_cashout_work(&app, &operator, &id, body, checked);
    request.run_committed(&app.db, operator.tenant_id(), work).await
}

async fn confirm_cashout_work(
    app: &AppState,
    operator: &Operator,
    id: &str,
    body: axum::body::Bytes,
    checked: Option<Checked>,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let request: ConfirmRequest = parse_json(&body)?;
    let retry = submit::retry(checked, cashout_json, None);
    let answer = flow::confirm_once(app, &operator.actor(), operator.tenant_id(), id, &request.otp, retry).await?;
    submit::respond(answer, |confirmed| cashout_json(&confirmed), None)
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
    request
        .run_committed(&app.db, operator.tenant_id(), |_, checked| cancel_cashout_work(&app, &operator, &id, checked))
        .await
}

async fn cancel_cashout_work(
    app: &AppState,
    operator: &Operator,
    id: &str,
    checked: Option<Checked>,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let retry = submit::retry(checked, cashout_json, None);
    let answer = flow::cancel_once(app, &operator.actor(), operator.tenant_id(), id, "canceled", retry).await?;
    submit::respond(answer, |canceled| cashout_json(&canceled), None)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    reason: Option<String>,
}

/// Approve a cash-out in review: it goes to its rail (not while its user is frozen).
#[utoipa::path(post, path = "/v1/cashouts/{id}/approve", params(("id" = String, Path, description = "The cash-out id")),
    responses((status = 200, body = CashoutResponse), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_state`: not in review; `user_frozen`")),
    security(("bearer" = [])), tag = "cash-out")]
async fn approve(State(app): State<AppState>, operator: Operator, Path(id): Path<String>, request: Once) -> Response {
    // Refused before the key is claimed, so the key's later use by an allowed key is no replay.
    if let Err(refused) = review::allowed(&operator.actor()) {
        return refused.into_response();
    }
    request
        .run_committed(&app.db, operator.tenant_id(), |body, checked| decide(&app, &operator, &id, body, checked, true))
        .await
}

/// Reject a cash-out in review: it is canceled and its hold released.
#[utoipa::path(post, path = "/v1/cashouts/{id}/reject", request_body = ReviewRequest,
    params(("id" = String, Path, description = "The cash-out id")),
    responses((status = 200, body = CashoutResponse), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash-out")]
async fn reject(State(app): State<AppState>, operator: Operator, Path(id): Path<String>, request: Once) -> Response {
    if let Err(refused) = review::allowed(&operator.actor()) {
        return refused.into_response();
    }
    request
        .run_committed(&app.db, operator.tenant_id(), |body, checked| {
            decide(&app, &operator, &id, body, checked, false)
        })
        .await
}

async fn decide(
    app: &AppState,
    operator: &Operator,
    id: &str,
    body: axum::body::Bytes,
    checked: Option<Checked>,
    approve: bool,
) -> Result<Response, ApiError> {
    let request: ReviewRequest = if body.is_empty() { ReviewRequest { reason: None } } else { parse_json(&body)? };
    let reason = request.reason.as_deref();
    let retry = submit::retry(checked, cashout_json, None);
    let answer = review::review(app, &operator.actor(), operator.tenant_id(), id, approve, reason, retry).await?;
    submit::respond(answer, |reviewed| cashout_json(&reviewed), None)
}

/// Longest reason for settling by hand, in characters.
const SETTLE_REASON_LEN_MAX: usize = 500;

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
    request
        .run_committed(&app.db, operator.tenant_id(), |body, checked| settle_work(&app, &operator, &id, body, checked))
        .await
}

async fn settle_work(
    app: &AppState,
    operator: &Operator,
    id: &str,
    body: axum::body::Bytes,
    checked: Option<Checked>,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let request: SettleRequest = parse_json(&body)?;
    let paid = match request.outcome.as_str() {
        "paid" => true,
        "failed" => false,
        _ => return Err(ApiError::invalid("invalid_outcome", "outcome is paid or failed", "outcome")),
    };
    let reason = Text::parse(&request.reason, SETTLE_REASON_LEN_MAX)
        .ok_or_else(|| ApiError::invalid("invalid_reason", "reason is 1 to 500 characters", "reason"))?;
    let retry = submit::retry(checked, cashout_json, None);
    let answer = flow::settle_by_hand(app, &operator.actor(), operator.tenant_id(), id, paid, &reason, retry).await?;
    submit::respond(answer, |settled| cashout_json(&settled), None)
}

#[derive(Serialize, ToSchema)]
pub struct ReviewQueue {
    data: Vec<CashoutResponse>,
    has_more: bool,
}

/// A user's cash-outs, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/users/{id}/cashouts", params(("id" = String, Path, description = "The user id"), PageQuery),
    responses((status = 200, body = ReviewQueue), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash-out")]
async fn list_cashouts(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<ReviewQueue>, ApiError> {
    operator.require(READERS)?;
    let (limit, after) = (page.limit()?, page.starting_after()?);
    let (found, has_more) = view::of_user(&app, operator.tenant_id(), &user_id, after, limit).await?;
    let mut data = Vec::with_capacity(found.len());
    for detailed in &found {
        data.push(shown(&app, operator.tenant_id(), detailed).await?);
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
    let (limit, after) = (page.limit()?, page.starting_after()?);
    let (found, has_more) = review::queue(&app, operator.tenant_id(), after, limit).await?;
    let mut data = Vec::with_capacity(found.len());
    for detailed in &found {
        data.push(shown(&app, operator.tenant_id(), detailed).await?);
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
    /// The operator's name: `[cashout] business_name`, or, unset, the tenant's name.
    operator_name: String,
    /// `[cashout] business_registration_number`; `null` when unset.
    operator_registration_number: Option<String>,
    /// A signed link to the printable page, in the person's language, showing the cash-out
    /// as it is when opened; it opens without a key until it expires
    /// (`receipt_link_ttl_s`). Absolute when the server's `public_base_url` is set.
    url: String,
    /// The audit entry of its latest status change, and where its proof is.
    audit: Option<AuditLink>,
}

/// The receipt, from confirmation on: JSON with `url`, a signed link to the printable page
/// that opens without a key; or that page itself with `Accept: text/html`.
#[utoipa::path(get, path = "/v1/cashouts/{id}/receipt", params(("id" = String, Path, description = "The cash-out id"), LangQuery),
    responses((status = 200, body = Receipt), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_state`: not confirmed")),
    security(("bearer" = [])), tag = "cash-out")]
async fn receipt(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    operator.require(READERS)?;
    let lang = super::receipts::api_lang(query.lang.as_deref(), &headers)?;
    let found = view::receipt(&app, operator.tenant_id(), &id).await?;
    let wants_html = headers.get("accept").and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if wants_html {
        let policy = super::receipt_page::content_security_policy();
        let proof = crate::services::audit::cashout_proof(&app.db, &found.cashout.id).await;
        let page = Html(super::receipt_page::render(&found, lang, proof.as_ref()));
        return Ok(([(axum::http::header::CONTENT_SECURITY_POLICY, policy)], page).into_response());
    }
    let url = receipt_link::mint(&app, &found.cashout.id, app.clock.now_us());
    let audit = super::audit::link(&app, operator.tenant_id(), &found.cashout.id).await?;
    let view::Receipt { cashout, confirmed_at, destination, operator, .. } = found;
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
        operator_name: operator.name,
        operator_registration_number: operator.registration_number,
        url,
        audit,
    };
    Ok((StatusCode::OK, Json(receipt)).into_response())
}

/// The language of a page for people.
#[derive(Deserialize, IntoParams)]
pub struct LangQuery {
    /// `ko` or `en`; default: the browser's `Accept-Language`, else Korean.
    lang: Option<String>,
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
    let limit = super::paging::limit(query.limit.as_deref(), super::paging::PAGE_LIMIT_MAX)?;
    let messages = otp::outbox(&app, operator.tenant_id(), limit).await?;
    Ok(Json(
        messages.into_iter().map(|m| OutboxMessage { to: m.to, text: m.text, created_at: rfc3339(m.at) }).collect(),
    ))
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

fn auto_response(Setting { auto, standing_authorisation }: Setting) -> AutoCashoutResponse {
    AutoCashoutResponse {
        standing_authorisation,
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
    let request: AutoCashoutRequest = parse_json(&body)?;
    let choice =
        Choice { enabled: request.enabled, threshold: request.threshold, destination_id: request.destination_id };
    Ok(Json(auto_response(auto::set(&app, &operator.actor(), operator.tenant_id(), &user_id, choice).await?)))
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
    Ok(Json(auto_response(auto::get(&app, operator.tenant_id(), &user_id).await?)))
}
