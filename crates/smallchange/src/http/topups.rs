//! `POST /v1/users/{id}/topups`: value coming into a user's wallet from one source, into
//! the pocket that source decides, with the operator's reference kept beside it. The use
//! case is [`crate::services::topups`].

use super::path::Path;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Json;
use axum::Router;
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
use crate::domain::pocket::Source;
use crate::domain::topup::TopupOrder;
use crate::services::topups::{self, Topup};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/users/{id}/topups", post(create_topup).get(list_topups))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopupRequest {
    /// `bank_transfer`, `earning`, `refund`, `cashback`, `promo`, `carrier_billing` or `card`.
    #[schema(
        pattern = "^(bank_transfer|earning|refund|cashback|promo|carrier_billing|card)$",
        example = "bank_transfer"
    )]
    source: String,
    /// Minor units, positive.
    #[schema(minimum = 1, example = 10000)]
    amount: i64,
    /// ISO 4217, e.g. `KRW`.
    #[schema(pattern = "^[A-Z]{3}$", example = "KRW")]
    currency: String,
    /// The operator's own reference for this top-up (1–128 characters), kept with it.
    #[schema(min_length = 1, max_length = 128, example = "order-7731")]
    reference: String,
    /// For `source: refund` only, and required there: the source the refunded purchase was
    /// paid with. Its provenance is kept: a refunded carrier-billed purchase lands in `carrier`.
    refund_of: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TopupResponse {
    id: String,
    user_id: String,
    source: &'static str,
    refund_of: Option<&'static str>,
    /// The pocket credited.
    pocket: String,
    amount: i64,
    currency: String,
    reference: String,
    created_at: String,
}

/// Top up a user's wallet from one source.
#[utoipa::path(post, path = "/v1/users/{id}/topups", request_body = TopupRequest,
    params(("id" = String, Path, description = "The user id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = TopupResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`carrier_monthly_limit`, `idempotency_key_reused`")),
    security(("bearer" = [])), tag = "wallet")]
async fn create_topup(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id();
    let path = format!("/v1/users/{user_id}/topups");
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, tenant, &path, &body));
    let request: TopupRequest = parse_json(&body)?;
    let order = TopupOrder::parse(
        &request.source,
        request.amount,
        &request.currency,
        &request.reference,
        request.refund_of.as_deref(),
        app.settings.wallet_policy(tenant),
        app.settings.amount_max,
    )?;
    let retry = retry(checked, topup_json, None);
    let answer = topups::top_up(&app, &operator.actor(), tenant, &user_id, order, retry).await?;
    respond(answer, |topup| topup_json(&topup), None)
}

#[derive(Serialize, ToSchema)]
pub struct TopupList {
    data: Vec<TopupResponse>,
    has_more: bool,
}

/// List a user's top-ups, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/users/{id}/topups", params(("id" = String, Path, description = "The user id"), PageQuery),
    responses((status = 200, body = TopupList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "wallet")]
async fn list_topups(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<TopupList>, ApiError> {
    operator.require(READERS)?;
    let (limit, before) = (page.limit()?, page.starting_after()?);
    let found = topups::of_user(&app, &operator.actor(), operator.tenant_id(), &user_id, before, limit).await?;
    Ok(Json(TopupList { data: found.items.iter().map(response).collect(), has_more: found.has_more }))
}

fn topup_json(topup: &Topup) -> String {
    serde_json::to_string(&response(topup)).expect("a top-up serializes")
}

fn response(topup: &Topup) -> TopupResponse {
    TopupResponse {
        id: topup.id.clone(),
        user_id: topup.user.clone(),
        source: topup.source.as_str(),
        refund_of: topup.refund_of.map(Source::as_str),
        pocket: topup.pocket.name(),
        amount: topup.amount.minor_units(),
        currency: topup.currency.code().to_string(),
        reference: topup.reference.clone(),
        created_at: rfc3339(topup.at),
    }
}
