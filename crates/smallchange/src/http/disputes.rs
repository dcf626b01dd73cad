//! Disputes: `POST /v1/cashouts/{id}/disputes` opens one (for the user, through the
//! operator), `POST /v1/disputes/{id}/resolve` decides it — upheld, possibly with an
//! adjustment paid back to the user, or rejected — and `GET /v1/disputes/{id}` reads it.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, READERS, REVIEWERS, WRITERS};
use super::body::parse_json;
use super::error::{ApiError, ErrorBody};
use super::idempotency::Once;
use super::users::rfc3339;
use super::AppState;
use crate::services::cashout::flow;
use crate::services::disputes as adjustments;
use crate::store::disputes::{self, Dispute};

/// Longest reason or note kept.
const TEXT_LEN_MAX: usize = 1_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/cashouts/{id}/disputes", post(open_dispute))
        .route("/v1/disputes/{id}", get(get_dispute))
        .route("/v1/disputes/{id}/resolve", post(resolve_dispute))
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
    }
}

fn text(value: &str, param: &'static str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > TEXT_LEN_MAX {
        return Err(ApiError::invalid("invalid_text", format!("{param} is 1 to 1000 characters"), param));
    }
    Ok(value.to_string())
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
    let tenant = operator.tenant_id();
    let request: OpenRequest = parse_json(&body)?;
    let reason = text(&request.reason, "reason")?;
    let cashout = flow::load(app, tenant, id).await?;
    if cashout.confirmed_at.is_none() {
        return Err(ApiError::conflict("invalid_state", "only a confirmed cash-out can be disputed"));
    }
    let now = app.clock.now_us();
    let dispute = Dispute {
        id: crate::ids::time_ordered("dsp", now),
        cashout_id: cashout.id,
        user_id: cashout.quote.user_id,
        reason,
        status: "open".into(),
        outcome: None,
        note: None,
        adjustment: 0,
        created_at: now,
        resolved_at: None,
    };
    if !disputes::open(&app.db, tenant, &dispute).await? {
        return Err(ApiError::conflict("invalid_state", "this cash-out has an open dispute"));
    }
    Ok(Json(response(dispute)))
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
    Ok(Json(response(found(&app, operator.tenant_id(), &id).await?)))
}

async fn found(app: &AppState, tenant: &str, id: &str) -> Result<Dispute, ApiError> {
    disputes::get(&app.db, tenant, id).await?.ok_or_else(|| ApiError::not_found(format!("no dispute {id}")))
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
    let tenant = operator.tenant_id();
    let request: ResolveRequest = parse_json(&body)?;
    let note = request.note.as_deref().map(|n| text(n, "note")).transpose()?.unwrap_or_default();
    let dispute = found(app, tenant, id).await?;
    let status = match (request.outcome.as_str(), request.adjustment) {
        ("rejected", None) => "rejected",
        ("rejected", Some(_)) => {
            return Err(ApiError::invalid("invalid_adjustment", "a rejected dispute pays nothing back", "adjustment"))
        }
        ("upheld", None) => "upheld",
        ("upheld", Some(amount)) => {
            let cashout = flow::load(app, tenant, &dispute.cashout_id).await?;
            // A cash-out whose money came back (released, or returned by the rail) owes nothing.
            if flow::RELEASING.contains(&cashout.status.as_str()) {
                let message =
                    format!("the cash-out is {}: its money came back already, so nothing is owed", cashout.status);
                return Err(ApiError::conflict("invalid_state", message));
            }
            let left = cashout.quote.gross - disputes::adjusted(&app.db, &cashout.id).await?;
            if amount <= 0 || amount > left {
                let message = format!("adjustment is a positive amount of at most {left}");
                return Err(ApiError::invalid("invalid_adjustment", message, "adjustment"));
            }
            "resolving"
        }
        _ => return Err(ApiError::invalid("invalid_outcome", "outcome is upheld or rejected", "outcome")),
    };
    let adjustment = request.adjustment.unwrap_or(0);
    let now = app.clock.now_us();
    let decision = disputes::Decision { status, outcome: &request.outcome, note: &note, adjustment, at: now };
    if !disputes::decide(&app.db, tenant, id, &decision).await? {
        return Err(ApiError::conflict("invalid_state", "the dispute is resolved already"));
    }
    if status == "resolving" {
        let resolving = found(app, tenant, id).await?;
        // If this fails the worker pays it: the decision is recorded.
        if let Err(error) = adjustments::settle(app, tenant, &resolving).await {
            tracing::warn!(dispute = %id, error = %format!("{error:#}"), "adjustment not paid yet; the worker retries");
        }
    }
    Ok(Json(response(found(app, tenant, id).await?)))
}
