//! Gift cards over HTTP: programs, issuing a card the operator sold, checking a code,
//! redeeming it into a per-card pocket, and refunding a remainder where the program's rule
//! allows. The use cases are [`crate::services::gift_cards`]; a card's code is shown only
//! in the answer that issues it, and that answer's idempotency copy is stored sealed.

use super::path::Path;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, READERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::paging::PageQuery;
use super::query::Query;
use super::submit::{respond, retry};
use super::users::rfc3339;
use super::{idempotency, AppState};
use crate::domain::gift_card::{self, CardOrder, Presented, ProgramTerms, RefundRule};
use crate::services::gift_cards::{self, CardView, IssuedCard};
use crate::store::gift_cards::Program;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/gift-card-programs", post(create_program))
        .route("/v1/gift-card-programs/{id}", get(get_program))
        .route("/v1/gift-cards", post(issue_card))
        .route("/v1/gift-cards/check", post(check_card))
        .route("/v1/gift-cards/{id}", get(get_card))
        .route("/v1/gift-cards/{id}/refund-remainder", post(refund_remainder))
        .route("/v1/users/{id}/gift-cards", post(redeem_card).get(list_cards))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramRequest {
    /// The card's brand as users type it, e.g. `CultureLand`.
    brand: String,
    currency: String,
    /// ISO 3166-1 alpha-2 region the cards may be used in, e.g. `KR`.
    region: String,
    /// The values cards are sold at (1–20 of them).
    face_values: Vec<i64>,
    /// How long a card can be spent after it is issued.
    validity_days: i64,
    /// Default: the Korean standard terms (60 % over ₩10,000, 80 % at or under).
    refund_rule: Option<RefundRule>,
}

#[derive(Serialize, ToSchema)]
pub struct ProgramResponse {
    id: String,
    brand: String,
    currency: String,
    region: String,
    face_values: Vec<i64>,
    validity_days: i64,
    refund_rule: RefundRule,
    created_at: String,
    /// Who created the program: `api_key:key_…` for an API key, `operator:opu_…` for a
    /// console user, `system:<name>` for smallchange itself; null for a program created
    /// before this was recorded.
    created_by: Option<String>,
}

fn program_response(program: Program) -> ProgramResponse {
    ProgramResponse {
        created_at: rfc3339(program.created_at),
        id: program.id,
        brand: program.brand,
        currency: program.currency,
        region: program.region,
        face_values: program.face_values,
        validity_days: program.validity_days,
        refund_rule: program.refund_rule,
        created_by: program.created_actor,
    }
}

fn program_json(program: &Program) -> String {
    serde_json::to_string(&program_response(program.clone())).expect("a program serializes")
}

/// Create a gift-card program.
#[utoipa::path(post, path = "/v1/gift-card-programs", request_body = ProgramRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = ProgramResponse), (status = 400, body = ErrorBody)),
    security(("bearer" = [])), tag = "gift cards")]
async fn create_program(
    State(app): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id();
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, tenant, "/v1/gift-card-programs", &body));
    let request: ProgramRequest = parse_json(&body)?;
    let terms = ProgramTerms::parse(
        &request.brand,
        &request.currency,
        &request.region,
        request.face_values,
        request.validity_days,
        request.refund_rule,
        app.settings.amount_max,
    )?;
    let retry = retry(checked, program_json, None);
    let answer = gift_cards::create_program(&app, &operator.actor(), tenant, terms, retry).await?;
    respond(answer, |program| program_json(&program), None)
}

/// Read a gift-card program.
#[utoipa::path(get, path = "/v1/gift-card-programs/{id}", params(("id" = String, Path, description = "The program id")),
    responses((status = 200, body = ProgramResponse), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "gift cards")]
async fn get_program(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<ProgramResponse>, ApiError> {
    operator.require(READERS)?;
    let program = gift_cards::program(&app, &operator.actor(), operator.tenant_id(), &id).await?;
    Ok(Json(program_response(program)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    program_id: String,
    /// One of the program's face values.
    face_value: i64,
    /// The top-up source the buyer paid with; decides where a refunded remainder goes.
    purchased_with: String,
    /// The operator's reference for the sale.
    purchaser_ref: String,
}

#[derive(Serialize, ToSchema)]
pub struct GiftCardResponse {
    id: String,
    program_id: String,
    brand: String,
    currency: String,
    region: String,
    face_value: i64,
    /// What is left to spend: the face value until redeemed, then the pocket's balance.
    remaining: i64,
    /// How much is used, in basis points of the face value.
    used_bps: i64,
    /// Whether the remainder may be refunded now (`refund-remainder`).
    refundable: bool,
    /// The share that must be used before the remainder is refundable, in basis points.
    refund_threshold_bps: i64,
    purchased_with: String,
    /// `issued`, `redeemed` or `expired`.
    status: &'static str,
    /// The code, in full: only in the answer that issues the card.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    masked_code: String,
    redeemed_by: Option<String>,
    issued_at: String,
    expires_at: String,
    /// Who issued the card: `api_key:key_…` for an API key, `operator:opu_…` for a console
    /// user, `system:<name>` for smallchange itself; null for a card issued before this
    /// was recorded.
    issued_by: Option<String>,
    /// Who redeemed the card into the wallet of `redeemed_by`, in the same form as
    /// `issued_by`; null until it is redeemed, and for a card redeemed before this was
    /// recorded.
    redeemed_via: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GiftCardList {
    data: Vec<GiftCardResponse>,
    has_more: bool,
}

/// List the gift cards a user redeemed, newest first (by issue), a page at a time, each
/// with what is left on it and whether its remainder is refundable now.
#[utoipa::path(get, path = "/v1/users/{id}/gift-cards", params(("id" = String, Path, description = "The user id"), PageQuery),
    responses((status = 200, body = GiftCardList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "gift cards")]
async fn list_cards(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<GiftCardList>, ApiError> {
    operator.require(READERS)?;
    let (limit, before) = (page.limit()?, page.starting_after()?);
    let found = gift_cards::of_user(&app, &operator.actor(), operator.tenant_id(), &user_id, before, limit).await?;
    Ok(Json(GiftCardList { data: found.items.iter().map(card_response).collect(), has_more: found.has_more }))
}

fn card_response(view: &CardView) -> GiftCardResponse {
    let card = &view.card;
    GiftCardResponse {
        id: card.id.clone(),
        program_id: card.program.id.clone(),
        brand: card.program.brand.clone(),
        currency: card.program.currency.clone(),
        region: card.program.region.clone(),
        face_value: card.face_value,
        remaining: view.remaining,
        used_bps: view.used_bps(),
        refundable: view.refundable(),
        refund_threshold_bps: view.refund_threshold_bps(),
        purchased_with: card.purchased_with.clone(),
        status: view.status(),
        code: None,
        masked_code: gift_card::masked(&card.code_last4),
        redeemed_by: card.redeemed_by.clone(),
        issued_at: rfc3339(card.issued_at),
        expires_at: rfc3339(card.expires_at),
        issued_by: card.issued_actor.clone(),
        redeemed_via: card.redeemed_actor.clone(),
    }
}

fn card_json(view: &CardView) -> String {
    serde_json::to_string(&card_response(view)).expect("a card serializes")
}

fn issued_json(issued: &IssuedCard) -> String {
    let response = GiftCardResponse { code: Some(issued.code.clone()), ..card_response(&issued.view) };
    serde_json::to_string(&response).expect("a card serializes")
}

/// Issue a card the operator has sold; the answer shows its code, once.
#[utoipa::path(post, path = "/v1/gift-cards", request_body = IssueRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = GiftCardResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "gift cards")]
async fn issue_card(
    State(app): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id();
    let checked =
        crate::keyed!(idempotency::check_sealed(&app.db, &app.secrets, &headers, tenant, "/v1/gift-cards", &body));
    let request: IssueRequest = parse_json(&body)?;
    let order =
        CardOrder::parse(&request.program_id, request.face_value, &request.purchased_with, &request.purchaser_ref)?;
    // The answer holds the code: its idempotency copy is sealed like the code itself.
    let retry = retry(checked, issued_json, Some(app.secrets.clone()));
    let answer = gift_cards::issue(&app, &operator.actor(), tenant, order, retry).await?;
    respond(answer, |issued| issued_json(&issued), Some(app.secrets.as_ref()))
}

/// Read a gift card (masked).
#[utoipa::path(get, path = "/v1/gift-cards/{id}", params(("id" = String, Path, description = "The card id")),
    responses((status = 200, body = GiftCardResponse), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "gift cards")]
async fn get_card(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<GiftCardResponse>, ApiError> {
    operator.require(READERS)?;
    let view = gift_cards::card(&app, &operator.actor(), operator.tenant_id(), &id).await?;
    Ok(Json(card_response(&view)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    brand: String,
    code: String,
    /// The region the card would be used in (ISO 3166-1 alpha-2).
    region: String,
}

#[derive(Serialize, ToSchema)]
pub struct CheckResponse {
    eligible: bool,
    /// Every reason the card cannot be redeemed: `card_brand_unsupported`,
    /// `card_not_found`, `card_expired`, `card_region_locked`, `card_already_redeemed`.
    reasons: Vec<&'static str>,
    face_value: Option<i64>,
    remaining: Option<i64>,
    expires_at: Option<String>,
}

/// Whether a code can be redeemed, with every reason it cannot.
#[utoipa::path(post, path = "/v1/gift-cards/check", request_body = CheckRequest,
    responses((status = 200, body = CheckResponse), (status = 400, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "`rate_limited`: too many codes that matched no card, from this key or this address")),
    security(("bearer" = [])), tag = "gift cards")]
async fn check_card(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    operator: Operator,
    RawBody(body): RawBody,
) -> Result<Json<CheckResponse>, ApiError> {
    operator.require(READERS)?;
    let request: CheckRequest = parse_json(&body)?;
    let presented = Presented::new(request.brand, &request.code, Some(request.region));
    let found = gift_cards::check(&app, &operator.actor(), client.ip(), operator.tenant_id(), &presented).await?;
    Ok(Json(CheckResponse {
        eligible: found.reasons.is_empty(),
        reasons: found.reasons,
        face_value: found.shown.as_ref().map(|s| s.face_value),
        remaining: found.shown.as_ref().map(|s| s.remaining),
        expires_at: found.shown.as_ref().map(|s| rfc3339(s.expires_at)),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    brand: String,
    code: String,
    /// Where the user is (ISO 3166-1 alpha-2); checked against the program's region when given.
    region: Option<String>,
}

/// Redeem a card into the user's wallet, as a pocket of its own.
#[utoipa::path(post, path = "/v1/users/{id}/gift-cards", request_body = RedeemRequest,
    params(("id" = String, Path, description = "The user id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = GiftCardResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`card_expired`, `card_region_locked`, `card_already_redeemed`, `user_frozen`"),
        (status = 429, body = ErrorBody, description = "`rate_limited`: too many codes that matched no card, for this user or from this address")),
    security(("bearer" = [])), tag = "gift cards")]
async fn redeem_card(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    operator: Operator,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id();
    let path = format!("/v1/users/{user_id}/gift-cards");
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, tenant, &path, &body));
    let request: RedeemRequest = parse_json(&body)?;
    let presented = Presented::new(request.brand, &request.code, request.region);
    let retry = retry(checked, card_json, None);
    let answer = gift_cards::redeem(&app, &operator.actor(), client.ip(), tenant, &user_id, &presented, retry).await?;
    respond(answer, |view| card_json(&view), None)
}

#[derive(Serialize, ToSchema)]
pub struct RemainderRefund {
    gift_card: GiftCardResponse,
    /// How much went back.
    amount: i64,
    /// Where it went: `cash` only for a card bought from a withdrawable source.
    pocket: String,
}

fn refund_json(refund: &gift_cards::RemainderRefund) -> String {
    let response =
        RemainderRefund { gift_card: card_response(&refund.card), amount: refund.amount, pocket: refund.pocket.name() };
    serde_json::to_string(&response).expect("a refund serializes")
}

/// Refund a card's remainder at face value, where the program's rule allows it.
#[utoipa::path(post, path = "/v1/gift-cards/{id}/refund-remainder",
    params(("id" = String, Path, description = "The card id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = RemainderRefund), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`not_withdrawable` (the rule does not allow it yet), `invalid_state`, `user_frozen`")),
    security(("bearer" = [])), tag = "gift cards")]
async fn refund_remainder(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id();
    let path = format!("/v1/gift-cards/{id}/refund-remainder");
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, tenant, &path, &body));
    let retry = retry(checked, refund_json, None);
    let answer = gift_cards::refund_remainder(&app, &operator.actor(), tenant, &id, retry).await?;
    respond(answer, |refund| refund_json(&refund), None)
}
