//! The bank rail for operators: list payout batches, download a batch as pain.001, and
//! upload the bank's status reports (pain.002 or camt.054).

use super::path::Path;
use super::query::Query;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Operator, READERS, WRITERS};
use super::error::{ApiError, ErrorBody};
use super::idempotency::Once;
use super::paging;
use super::users::rfc3339;
use super::AppState;
use crate::rails::bank;
use crate::services::cashout::bank_reports::{self, Applied, Scope};
use crate::services::cashout::batches;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/payout-batches", get(list_batches))
        .route("/v1/payout-batches/{id}/pain001", get(download_pain001))
        .route("/v1/payout-batches/status-reports", post(upload_report))
}

#[derive(Deserialize, IntoParams)]
pub struct BatchQuery {
    /// `bank_transfer` (the only batched rail).
    rail: Option<String>,
    limit: Option<String>,
    starting_after: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchResponse {
    id: String,
    rail: String,
    currency: String,
    /// Payments in the batch, and their total (the net of each cash-out).
    count: i64,
    total: i64,
    created_at: String,
    /// When the bank link took the file (only with `[cashout.bank_link]`).
    uploaded_at: Option<String>,
    /// Why the bank link refused the file for good: send it by hand.
    upload_error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchList {
    data: Vec<BatchResponse>,
    has_more: bool,
}

/// Payout batches, oldest first.
#[utoipa::path(get, path = "/v1/payout-batches", params(BatchQuery),
    responses((status = 200, body = BatchList), (status = 400, body = ErrorBody)),
    security(("bearer" = [])), tag = "rails")]
async fn list_batches(
    State(app): State<AppState>,
    operator: Operator,
    Query(query): Query<BatchQuery>,
) -> Result<Json<BatchList>, ApiError> {
    operator.require(READERS)?;
    let rail = query.rail.as_deref().unwrap_or(bank::RAIL);
    let page = paging::PageQuery { limit: query.limit, starting_after: query.starting_after };
    let (limit, after) = (page.limit()?, page.starting_after()?);
    let (found, has_more) = batches::list(&app, operator.tenant_id(), rail, after, limit).await?;
    let data = found
        .into_iter()
        .map(|b| BatchResponse {
            id: b.id,
            rail: b.rail,
            currency: b.currency,
            count: b.count,
            total: b.total,
            created_at: rfc3339(b.created_at),
            uploaded_at: b.uploaded_at.map(rfc3339),
            upload_error: b.upload_error,
        })
        .collect();
    Ok(Json(BatchList { data, has_more }))
}

/// A batch as an ISO 20022 pain.001.001.09 file for the operator's bank.
#[utoipa::path(get, path = "/v1/payout-batches/{id}/pain001", params(("id" = String, Path, description = "The batch id")),
    responses((status = 200, description = "pain.001.001.09 XML", content_type = "application/xml"), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "rails")]
async fn download_pain001(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    operator.require(READERS)?;
    let (batch, xml) = batches::file(&app, operator.tenant_id(), &id).await?;
    let disposition = format!("attachment; filename=\"{}.pain001.xml\"", batch.id);
    Ok(([("content-type", "application/xml".to_string()), ("content-disposition", disposition)], xml).into_response())
}

/// Apply a bank status report (pain.002 or camt.054): payments paid or failed.
#[utoipa::path(post, path = "/v1/payout-batches/status-reports", request_body(content = String, content_type = "application/xml"),
    responses((status = 200, body = Applied), (status = 400, body = ErrorBody, description = "`invalid_report`")),
    security(("bearer" = [])), tag = "rails")]
async fn upload_report(State(app): State<AppState>, operator: Operator, request: Once) -> Response {
    request.run(&app.db, operator.tenant_id(), |body| upload_report_work(&app, &operator, body)).await
}

async fn upload_report_work(
    app: &AppState,
    operator: &Operator,
    body: axum::body::Bytes,
) -> Result<Json<Applied>, ApiError> {
    operator.require(WRITERS)?;
    let xml = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("invalid_report", "the report is not UTF-8 text"))?;
    let scope = Scope::Tenant(operator.tenant_id());
    Ok(Json(bank_reports::apply_report(app, &operator.actor(), scope, xml).await?))
}
