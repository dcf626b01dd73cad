//! Micropayments: `POST /v1/users/{id}/payments` draws on the user's pockets in spend order
//! as one linked group (all or nothing); `POST /v1/payments/{id}/refund` returns value to
//! the pockets that paid; `GET /v1/payments/{id}`.
//!
//! Which pockets pay is decided inside the committer against the locked balances, so
//! concurrent payments can never together spend more than is there.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use ledger::{AccountId, Amount, Currency, TransferResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, READERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::ledger::{parse_amount, parse_currency};
use super::submit::{refused, submit};
use super::users::{existing, rfc3339};
use super::{idempotency, AppState};
use crate::domain::pocket::{self, codes, Pocket};
use crate::domain::spend;
use crate::store::payments::{self, Leg, Payment, Refund};
use crate::store::wallet::{self, available, NewEntry};
use crate::unit::{linked, transfer, Plan, Refusal, Unit, UnitOutput};

/// Longest merchant id and payment description accepted.
const MERCHANT_LEN_MAX: usize = 64;
const DESCRIPTION_LEN_MAX: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/users/{id}/payments", post(create_payment))
        .route("/v1/payments/{id}", get(get_payment))
        .route("/v1/payments/{id}/refund", post(refund_payment))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// The operator's merchant id (1–64 characters of `A-Za-z0-9_.-`); its account opens on
    /// first use.
    merchant: String,
    amount: i64,
    currency: String,
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
    let tenant = operator.tenant_id().to_string();
    let path = format!("/v1/users/{user_id}/payments");
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, &tenant, &path, &body));
    let request: PaymentRequest = parse_json(&body)?;
    let amount = parse_amount(request.amount, &app.settings, "amount".into())?;
    let currency = parse_currency(&request.currency, "currency".into())?;
    let merchant = request.merchant;
    if merchant.is_empty()
        || merchant.len() > MERCHANT_LEN_MAX
        || !merchant.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        let message = "merchant is 1 to 64 characters of A-Z, a-z, 0-9, _, . and -";
        return Err(ApiError::invalid("invalid_merchant", message, "merchant"));
    }
    let description = request.description.map(|d| d.trim().to_string());
    if description.as_ref().is_some_and(|d| d.chars().count() > DESCRIPTION_LEN_MAX) {
        return Err(ApiError::invalid("invalid_description", "description is at most 200 characters", "description"));
    }
    let user = existing(&app, &tenant, &user_id).await?;
    let at = app.clock.now_us();
    let mut pockets = wallet::pockets(&app.db, &tenant, &user.id, currency.code()).await?;
    // An expired gift card's balance cannot be spent.
    pockets.retain(|p| p.gift_card_expires_at.is_none_or(|expires| expires > at));
    spend::sort_for_spending(&mut pockets, |p| (&p.pocket, p.gift_card_expires_at));
    let payment = Payment {
        id: crate::ids::time_ordered("pay", at),
        user_id: user.id,
        merchant,
        amount: amount.minor_units(),
        currency: currency.code().to_string(),
        description,
        legs: Vec::new(),
        created_at: at,
    };
    let ordered: Vec<(Pocket, AccountId)> = pockets.into_iter().map(|p| (p.pocket, p.account.id)).collect();
    let unit = payment_unit(&tenant, payment.clone(), ordered, amount, currency);
    let render = Arc::new(move |outcome: &UnitOutput| render_payment(&payment, outcome));
    submit(&app, checked, unit, render).await
}

fn payment_unit(
    tenant: &str,
    payment: Payment,
    pockets: Vec<(Pocket, AccountId)>,
    amount: Amount,
    currency: Currency,
) -> Unit {
    let merchant = pocket::merchant_account(tenant, &payment.merchant, currency);
    let merchant_id = merchant.id.clone();
    let tenant = tenant.to_string();
    let read = pockets.iter().map(|(_, id)| id.clone()).collect();
    Unit {
        open: vec![merchant],
        read,
        prior: Vec::new(),
        plan: Arc::new(move |book| {
            let held: Vec<i64> = pockets.iter().map(|(_, id)| book.account(id).map_or(0, available)).collect();
            let Some(taken) = spend::draw(&held, amount.minor_units()) else {
                let message =
                    format!("the wallet holds {} of the {} to pay", held.iter().sum::<i64>(), amount.minor_units());
                return Err(Refusal::new("insufficient_funds", message));
            };
            let mut payment = payment.clone();
            let mut transfers = Vec::new();
            let mut rows = Vec::new();
            for ((pocket, account), take) in pockets.iter().zip(taken).filter(|(_, take)| *take > 0) {
                let id = format!("{tenant}/{}:{}", payment.id, transfers.len());
                let share = Amount::new(take).expect("positive");
                transfers.push(transfer(id, account, &merchant_id, share, currency, codes::PAYMENT));
                payment.legs.push(Leg { pocket: pocket.name(), amount: take });
                let entry = NewEntry {
                    tenant: &tenant,
                    user: &payment.user_id,
                    currency: currency.code(),
                    pocket,
                    amount: -take,
                    kind: "payment",
                    reference_id: &payment.id,
                    description: Some(payment.description.as_deref().unwrap_or(&payment.merchant)),
                    at: payment.created_at,
                };
                rows.push(entry.row(transfers.len()));
            }
            rows.push(payment.row(&tenant));
            Ok(Plan { transfers: linked(transfers), rows })
        }),
    }
}

/// The legs a unit moved: each transfer with `code`, named by the pocket account on
/// `side` (its debit side for a payment, its credit side for a refund).
fn legs_moved(
    outcome: &UnitOutput,
    code: u16,
    pockets_by_account: impl Fn(&str) -> Option<String>,
    debit_side: bool,
) -> Vec<Leg> {
    let UnitOutput::Applied { transfers, .. } = outcome else { return Vec::new() };
    transfers
        .iter()
        .filter(|t| t.code == code)
        .filter_map(|t| {
            let account = if debit_side { t.debit_account.as_ref() } else { t.credit_account.as_ref() }?;
            let amount = t.amount?.minor_units();
            Some(Leg { pocket: pockets_by_account(&account.0)?, amount })
        })
        .collect()
}

/// The pocket name in an account id `<tenant>/<user>:<pocket>:<currency>`.
fn pocket_name(account_id: &str) -> Option<String> {
    let (_, rest) = account_id.split_once(':')?;
    let (pocket, _currency) = rest.rsplit_once(':')?;
    Some(pocket.to_string())
}

/// Fails with the error a unit's outcome calls for, if any.
fn failure(outcome: &UnitOutput) -> Option<ApiError> {
    if let Some(error) = refused(outcome) {
        return Some(error);
    }
    let UnitOutput::Applied { results, .. } = outcome else { return None };
    let failed = results.iter().find(|r| !matches!(r, TransferResult::Created | TransferResult::LinkedEventFailed))?;
    Some(match failed {
        TransferResult::ExceedsCredits => ApiError::conflict("insufficient_funds", "a pocket no longer holds enough"),
        other => ApiError::internal(format!("a wallet transfer failed: {}", other.code())),
    })
}

fn render_payment(payment: &Payment, outcome: &UnitOutput) -> Result<String, ApiError> {
    if let Some(error) = failure(outcome) {
        return Err(error);
    }
    let legs = legs_moved(outcome, codes::PAYMENT, pocket_name, true);
    let payment = Payment { legs, ..payment.clone() };
    Ok(serde_json::to_string(&payment_response(payment, 0)).expect("a payment serializes"))
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
    let payment = found(&app, operator.tenant_id(), &id).await?;
    let refunded = payments::refunded(&app.db, operator.tenant_id(), &id).await?;
    Ok(Json(payment_response(payment, refunded)))
}

async fn found(app: &AppState, tenant: &str, id: &str) -> Result<Payment, ApiError> {
    let payment = payments::get(&app.db, tenant, id).await?;
    payment.ok_or_else(|| ApiError::not_found(format!("no payment {id}")))
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
    let tenant = operator.tenant_id().to_string();
    let path = format!("/v1/payments/{id}/refund");
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, &tenant, &path, &body));
    let request: RefundRequest = if body.is_empty() { RefundRequest { amount: None } } else { parse_json(&body)? };
    let amount = request.amount.map(|a| parse_amount(a, &app.settings, "amount".into())).transpose()?;
    let payment = found(&app, &tenant, &id).await?;
    let at = app.clock.now_us();
    let refund_id = crate::ids::time_ordered("rfd", at);
    let unit = refund_unit(&tenant, &payment, refund_id.clone(), amount.map(Amount::minor_units), at)?;
    let currency = payment.currency.clone();
    let render = Arc::new(move |outcome: &UnitOutput| {
        if let Some(error) = failure(outcome) {
            return Err(error);
        }
        let legs = legs_moved(outcome, codes::PAYMENT_REFUND, pocket_name, false);
        let response = RefundResponse {
            id: refund_id.clone(),
            payment_id: id.clone(),
            amount: legs.iter().map(|l| l.amount).sum(),
            currency: currency.clone(),
            legs,
            created_at: rfc3339(at),
        };
        Ok(serde_json::to_string(&response).expect("a refund serializes"))
    });
    submit(&app, checked, unit, render).await
}

fn refund_unit(
    tenant: &str,
    payment: &Payment,
    refund_id: String,
    amount: Option<i64>,
    at: i64,
) -> Result<Unit, ApiError> {
    let currency =
        Currency::parse(&payment.currency).map_err(|_| ApiError::internal("a stored currency is unknown"))?;
    let merchant = pocket::merchant_account(tenant, &payment.merchant, currency);
    let mut legs: Vec<(Pocket, AccountId)> = Vec::new();
    let mut open = Vec::new();
    for leg in &payment.legs {
        let pocket = Pocket::parse(&leg.pocket).ok_or_else(|| ApiError::internal("a stored pocket is unknown"))?;
        let account = pocket::pocket_account(tenant, &payment.user_id, &pocket, currency);
        legs.push((pocket, account.id.clone()));
        open.push(account);
    }
    // How much was refunded is kept in a ledger counter, read under lock in the committer:
    // two refunds racing cannot together return more than was paid.
    let counter = pocket::counter_account(tenant, &format!("refunds:{}", payment.id), currency);
    let counter_source = pocket::counter_source(tenant, currency);
    let counter_id = counter.id.clone();
    let (merchant_id, counter_source_id) = (merchant.id.clone(), counter_source.id.clone());
    let payment = payment.clone();
    let tenant = tenant.to_string();
    open.extend([counter, counter_source]);
    Ok(Unit {
        open,
        read: vec![merchant.id],
        prior: Vec::new(),
        plan: Arc::new(move |book| {
            let refunded = book.account(&counter_id).map_or(0, |c| c.credits_posted.minor_units());
            let left = payment.amount - refunded;
            if left == 0 {
                return Err(Refusal::new("invalid_state", format!("payment {} is refunded in full", payment.id)));
            }
            let amount = amount.unwrap_or(left);
            if amount > left {
                let message = format!("at most {left} of payment {} is left to refund", payment.id);
                return Err(Refusal::new("refund_exceeds_payment", message));
            }
            let paid: Vec<i64> = payment.legs.iter().map(|l| l.amount).collect();
            let shares = spend::refund_shares(&paid, refunded, amount);
            let mut refund = Refund {
                id: refund_id.clone(),
                payment_id: payment.id.clone(),
                amount,
                legs: Vec::new(),
                created_at: at,
            };
            let mut transfers = Vec::new();
            let mut rows = Vec::new();
            for ((pocket, account), share) in legs.iter().zip(shares).filter(|(_, share)| *share > 0) {
                let id = format!("{tenant}/{}:{}", refund.id, transfers.len());
                let value = Amount::new(share).expect("positive");
                transfers.push(transfer(id, &merchant_id, account, value, currency, codes::PAYMENT_REFUND));
                refund.legs.push(Leg { pocket: pocket.name(), amount: share });
                let entry = NewEntry {
                    tenant: &tenant,
                    user: &payment.user_id,
                    currency: currency.code(),
                    pocket,
                    amount: share,
                    kind: "payment_refund",
                    reference_id: &refund.id,
                    description: Some(&payment.id),
                    at,
                };
                rows.push(entry.row(transfers.len()));
            }
            let count_id = format!("{tenant}/{}:count", refund.id);
            let counted = Amount::new(amount).expect("positive");
            transfers.push(transfer(count_id, &counter_source_id, &counter_id, counted, currency, codes::COUNT));
            rows.push(refund.row(&tenant));
            Ok(Plan { transfers: linked(transfers), rows })
        }),
    })
}
