//! Disputes: `POST /v1/cashouts/{id}/disputes` opens one (for the user, through the
//! operator), `POST /v1/disputes/{id}/resolve` decides it — upheld, possibly with an
//! adjustment paid back to the user, or rejected — and `GET /v1/disputes/{id}` reads it.

use super::path::Path;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, READERS, REVIEWERS, WRITERS};
use super::body::parse_json;
use super::error::{ApiError, ErrorBody};
use super::idempotency::Once;
use super::paging::PageQuery;
use super::query::Query;
use super::users::rfc3339;
use super::AppState;
use crate::domain::text::Text;
use crate::services::disputes::{self, Resolution};
use crate::store::disputes::Dispute;

/// Longest reason or note kept.
const TEXT_LEN_MAX: usize = 1_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/cashouts/{id}/disputes", post(open_dispute))
        .route("/v1/disputes/{id}", get(get_dispute))
        .route("/v1/disputes/{id}/resolve", post(resolve_dispute))
        .route("/v1/users/{id}/disputes", get(list_disputes))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
    /// What the user says went wrong (1–1000 characters).
    reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// `upheld` or `rejected`.
    outcome: String,
    /// With `upheld`: what is paid back to the user, in minor units (at most what the
    /// cash-out took, less earlier adjustments).
    adjustment: Option<i64>,
    note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DisputeResponse {
    id: String,
    cashout_id: String,
    user_id: String,
    reason: String,
    /// `open`, `resolving` (the adjustment is being paid), `upheld` or `rejected`.
    status: String,
    note: Option<String>,
    adjustment: i64,
    created_at: String,
    resolved_at: Option<String>,
    /// Who opened the dispute: `api_key:key_…` for an operator's key; null for disputes
    /// opened before this was recorded.
    opened_by: Option<String>,
    /// Who decided it (as `opened_by`); null until it is decided.
    resolved_by: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DisputeList {
    data: Vec<DisputeResponse>,
    has_more: bool,
}

/// List a user's disputes, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/users/{id}/disputes", params(("id" = String, Path, description = "The user id"), PageQuery),
    responses((status = 200, body = DisputeList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash-out")]
async fn list_disputes(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<DisputeList>, ApiError> {
    operator.require(READERS)?;
    let (limit, before) = (page.limit()?, page.starting_after()?);
    let found = disputes::of_user(&app, &operator.actor(), operator.tenant_id(), &user_id, before, limit).await?;
    Ok(Json(DisputeList { data: found.items.into_iter().map(response).collect(), has_more: found.has_more }))
}

fn response(d: Dispute) -> DisputeResponse {
    DisputeResponse {
        created_at: rfc3339(d.created_at),
        resolved_at: d.resolved_at.map(rfc3339),
        id: d.id,
        cashout_id: d.cashout_id,
        user_id: d.user_id,
        reason: d.reason,
        status: d.status,
        note: d.note,
        adjustment: d.adjustment,
        opened_by: d.opened_actor,
        resolved_by: d.resolved_actor,
    }
}

fn text(value: &str, param: &'static str) -> Result<Text, ApiError> {
    Text::parse(value, TEXT_LEN_MAX)
        .ok_or_else(|| ApiError::invalid("invalid_text", format!("{param} is 1 to 1000 characters"), param))
}

/// Open a dispute about a confirmed cash-out.
#[utoipa::path(post, path = "/v1/cashouts/{id}/disputes", request_body = OpenRequest,
    params(("id" = String, Path, description = "The cash-out id")),
    responses((status = 200, body = DisputeResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_state`: not confirmed, or a dispute is open")),
    security(("bearer" = [])), tag = "cash-out")]
async fn open_dispute(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    request: Once,
) -> Response {
    request.run(&app.db, operator.tenant_id(), |body| open_dispute_work(&app, &operator, &id, body)).await
}

async fn open_dispute_work(
    app: &AppState,
    operator: &Operator,
    id: &str,
    body: axum::body::Bytes,
) -> Result<Json<DisputeResponse>, ApiError> {
    operator.require(WRITERS)?;
    let request: OpenRequest = parse_json(&body)?;
    let reason = text(&request.reason, "reason")?;
    Ok(Json(response(disputes::open(app, &operator.actor(), operator.tenant_id(), id, reason).await?)))
}

/// Read a dispute.
#[utoipa::path(get, path = "/v1/disputes/{id}", params(("id" = String, Path, description = "The dispute id")),
    responses((status = 200, body = DisputeResponse), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash-out")]
async fn get_dispute(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<DisputeResponse>, ApiError> {
    operator.require(READERS)?;
    Ok(Json(response(disputes::get(&app, operator.tenant_id(), &id).await?)))
}

/// Resolve a dispute (an operator with an admin or reviewer key).
#[utoipa::path(post, path = "/v1/disputes/{id}/resolve", request_body = ResolveRequest,
    params(("id" = String, Path, description = "The dispute id")),
    responses((status = 200, body = DisputeResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_state`: resolved already")),
    security(("bearer" = [])), tag = "cash-out")]
async fn resolve_dispute(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    request: Once,
) -> Response {
    request.run(&app.db, operator.tenant_id(), |body| resolve_dispute_work(&app, &operator, &id, body)).await
}

async fn resolve_dispute_work(
    app: &AppState,
    operator: &Operator,
    id: &str,
    body: axum::body::Bytes,
) -> Result<Json<DisputeResponse>, ApiError> {
    operator.require(REVIEWERS)?;
    let request: ResolveRequest = parse_json(&body)?;
    let note = request.note.as_deref().map(|n| text(n, "note")).transpose()?;
    let resolution = Resolution::parse(&request.outcome, request.adjustment)?;
    let resolved = disputes::resolve(app, &operator.actor(), operator.tenant_id(), id, resolution, note).await?;
    Ok(Json(response(resolved)))
}
