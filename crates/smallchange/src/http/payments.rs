//! Micropayments: `POST /v1/users/{id}/payments`, `POST /v1/payments/{id}/refund` and
//! `GET /v1/payments/{id}`; the use cases are in [`crate::services::payments`].

use super::path::Path;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, READERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::ledger::{parse_amount, parse_currency};
use super::paging::PageQuery;
use super::query::Query;
use super::submit::{respond, retry};
use super::users::rfc3339;
use super::{idempotency, AppState};
use crate::domain::payment::{self, Merchant};
use crate::services::payments::{self, NewPayment, Refunded};
use crate::store::payments::{Leg, Payment};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/users/{id}/payments", post(create_payment).get(list_payments))
        .route("/v1/payments/{id}", get(get_payment))
        .route("/v1/payments/{id}/refund", post(refund_payment))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// The operator's merchant id (1–64 characters of `A-Za-z0-9_.-`); its account opens on
    /// first use.
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$", example = "cafe-42")]
    merchant: String,
    /// Minor units, positive.
    #[schema(minimum = 1, example = 1500)]
    amount: i64,
    /// ISO 4217, e.g. `KRW`.
    #[schema(pattern = "^[A-Z]{3}$", example = "KRW")]
    currency: String,
    /// What it was for, as the user's statement shows it: at most 200 characters.
    #[schema(max_length = 200, example = "아메리카노")]
    description: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// How much to refund; default: all that is not refunded yet.
    amount: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentResponse {
    id: String,
    user_id: String,
    merchant: String,
    amount: i64,
    currency: String,
    description: Option<String>,
    /// The pockets that paid, in spend order.
    legs: Vec<Leg>,
    /// How much has been refunded so far.
    refunded: i64,
    created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct RefundResponse {
    id: String,
    payment_id: String,
    amount: i64,
    currency: String,
    /// The pockets the value went back to.
    legs: Vec<Leg>,
    created_at: String,
}

fn payment_response(payment: Payment, refunded: i64) -> PaymentResponse {
    PaymentResponse {
        created_at: rfc3339(payment.created_at),
        id: payment.id,
        user_id: payment.user_id,
        merchant: payment.merchant,
        amount: payment.amount,
        currency: payment.currency,
        description: payment.description,
        legs: payment.legs,
        refunded,
    }
}

#[derive(Serialize, ToSchema)]
pub struct PaymentList {
    data: Vec<PaymentResponse>,
    has_more: bool,
}

/// List a user's payments, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/users/{id}/payments", params(("id" = String, Path, description = "The user id"), PageQuery),
    responses((status = 200, body = PaymentList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "wallet")]
async fn list_payments(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<PaymentList>, ApiError> {
    operator.require(READERS)?;
    let (limit, before) = (page.limit()?, page.starting_after()?);
    let found = payments::of_user(&app, &operator.actor(), operator.tenant_id(), &user_id, before, limit).await?;
    let data = found.items.into_iter().map(|(payment, refunded)| payment_response(payment, refunded)).collect();
    Ok(Json(PaymentList { data, has_more: found.has_more }))
}

fn payment_json(payment: &Payment) -> String {
    serde_json::to_string(&payment_response(payment.clone(), 0)).expect("a payment serializes")
}

fn refund_json(done: &Refunded) -> String {
    let refund = &done.refund;
    let response = RefundResponse {
        id: refund.id.clone(),
        payment_id: refund.payment_id.clone(),
        amount: refund.amount,
        currency: done.currency.clone(),
        legs: refund.legs.clone(),
        created_at: rfc3339(refund.created_at),
    };
    serde_json::to_string(&response).expect("a refund serializes")
}

/// Pay a merchant from a user's wallet.
#[utoipa::path(post, path = "/v1/users/{id}/payments", request_body = PaymentRequest,
    params(("id" = String, Path, description = "The user id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = PaymentResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`insufficient_funds`, `idempotency_key_reused`")),
    security(("bearer" = [])), tag = "wallet")]
async fn create_payment(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id();
    let path = format!("/v1/users/{user_id}/payments");
    let checked = idempotency::check_in_commit(&headers, tenant, &path, &body)?;
    let request: PaymentRequest = parse_json(&body)?;
    let input = NewPayment {
        amount: parse_amount(request.amount, app.settings.amount_max, "amount".into())?,
        currency: parse_currency(&request.currency, "currency".into())?,
        merchant: Merchant::parse(request.merchant)?,
        description: payment::description(request.description)?,
    };
    let retry = retry(checked, payment_json, None);
    let answer = payments::pay(&app, &operator.actor(), tenant, &user_id, input, retry).await?;
    respond(answer, |payment| payment_json(&payment), None)
}

/// Read a payment, with how much of it was refunded.
#[utoipa::path(get, path = "/v1/payments/{id}", params(("id" = String, Path, description = "The payment id")),
    responses((status = 200, body = PaymentResponse), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "wallet")]
async fn get_payment(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<PaymentResponse>, ApiError> {
    operator.require(READERS)?;
    let (payment, refunded) = payments::get(&app, operator.tenant_id(), &id).await?;
    Ok(Json(payment_response(payment, refunded)))
}

/// Refund a payment, in full or in part, to the pockets that paid it.
#[utoipa::path(post, path = "/v1/payments/{id}/refund", request_body = RefundRequest,
    params(("id" = String, Path, description = "The payment id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = RefundResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_state` (fully refunded), `refund_exceeds_payment`")),
    security(("bearer" = [])), tag = "wallet")]
async fn refund_payment(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id();
    let path = format!("/v1/payments/{id}/refund");
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, tenant, &path, &body));
    let request: RefundRequest = if body.is_empty() { RefundRequest { amount: None } } else { parse_json(&body)? };
    let amount = request.amount.map(|a| parse_amount(a, app.settings.amount_max, "amount".into())).transpose()?;
    let retry = retry(checked, refund_json, None);
    let answer = payments::refund(&app, &operator.actor(), tenant, &id, amount, retry).await?;
    respond(answer, |done| refund_json(&done), None)
}
