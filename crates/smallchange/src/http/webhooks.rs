//! `/v1/webhook-endpoints`: where a tenant wants its events POSTed, and the log of every
//! attempt to deliver them (the use cases are in [`crate::services::webhooks`], the input's
//! rules in [`crate::domain::webhook`]).
//!
//! An endpoint's signing secret is shown once, in the answer that creates it; the
//! idempotent copy of that answer is stored sealed with the server key.

use super::path::Path;
use super::query::Query;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, READERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::paging::PageQuery;
use super::submit::{respond, retry};
use super::users::rfc3339;
use super::{idempotency, AppState};
use crate::domain::webhook::NewEndpoint;
use crate::services::webhooks::{self, Created};
use crate::store::webhooks::{Delivery, Endpoint};

const PATH: &str = "/v1/webhook-endpoints";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list_endpoints).post(create_endpoint))
        .route("/v1/webhook-endpoints/{id}", get(get_endpoint).delete(delete_endpoint))
        .route("/v1/webhook-endpoints/{id}/deliveries", get(list_deliveries))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointRequest {
    /// `https://…`; `http://` only to a loopback host (development).
    url: String,
    /// Event types to receive, e.g. `cashout.paid`, or `*` for all.
    events: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EndpointResponse {
    id: String,
    url: String,
    events: Vec<String>,
    /// `enabled`, or `disabled` once deleted.
    status: &'static str,
    /// The signing secret (`whsec_…`): only in the answer that creates the endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    created_at: String,
    disabled_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EndpointList {
    data: Vec<EndpointResponse>,
    has_more: bool,
}

fn endpoint_response(endpoint: Endpoint) -> EndpointResponse {
    EndpointResponse {
        status: if endpoint.disabled_at.is_some() { "disabled" } else { "enabled" },
        id: endpoint.id,
        url: endpoint.url,
        events: endpoint.events,
        secret: None,
        created_at: rfc3339(endpoint.created_at),
        disabled_at: endpoint.disabled_at.map(rfc3339),
    }
}

/// Create a webhook endpoint; the answer shows its signing secret, once.
#[utoipa::path(post, path = "/v1/webhook-endpoints", request_body = EndpointRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = EndpointResponse), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])), tag = "webhooks")]
async fn create_endpoint(
    State(app): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id();
    let checked = crate::keyed!(idempotency::check_sealed(&app.db, &app.secrets, &headers, tenant, PATH, &body));
    let request: EndpointRequest = parse_json(&body)?;
    let new = NewEndpoint::parse(&request.url, request.events, app.settings.webhook_private_hosts)?;
    // The answer holds the signing secret, so its idempotency copy is sealed.
    let retry = retry(checked, created_json, Some(app.secrets.clone()));
    let answer = webhooks::create_endpoint(&app, &operator.actor(), tenant, &new, retry).await?;
    respond(answer, |created| created_json(&created), Some(&app.secrets))
}

fn created_json(created: &Created) -> String {
    let answer =
        EndpointResponse { secret: Some(created.secret.clone()), ..endpoint_response(created.endpoint.clone()) };
    serde_json::to_string(&answer).expect("an endpoint serializes")
}

/// List webhook endpoints, oldest first; secrets are never shown.
#[utoipa::path(get, path = "/v1/webhook-endpoints", params(PageQuery),
    responses((status = 200, body = EndpointList), (status = 400, body = ErrorBody)),
    security(("bearer" = [])), tag = "webhooks")]
async fn list_endpoints(
    State(app): State<AppState>,
    operator: Operator,
    Query(page): Query<PageQuery>,
) -> Result<Json<EndpointList>, ApiError> {
    operator.require(READERS)?;
    let (limit, after) = (page.limit()?, page.starting_after()?);
    let found = webhooks::endpoints(&app, &operator.actor(), operator.tenant_id(), after, limit).await?;
    Ok(Json(EndpointList { data: found.items.into_iter().map(endpoint_response).collect(), has_more: found.has_more }))
}

/// Read a webhook endpoint (without its secret).
#[utoipa::path(get, path = "/v1/webhook-endpoints/{id}", params(("id" = String, Path, description = "The endpoint id")),
    responses((status = 200, body = EndpointResponse), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "webhooks")]
async fn get_endpoint(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<EndpointResponse>, ApiError> {
    operator.require(READERS)?;
    let endpoint = webhooks::endpoint(&app, &operator.actor(), operator.tenant_id(), &id).await?;
    Ok(Json(endpoint_response(endpoint)))
}

/// Delete (disable) a webhook endpoint: nothing more is delivered to it. Deleting again
/// answers the same.
#[utoipa::path(delete, path = "/v1/webhook-endpoints/{id}", params(("id" = String, Path, description = "The endpoint id")),
    responses((status = 200, body = EndpointResponse), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "webhooks")]
async fn delete_endpoint(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<EndpointResponse>, ApiError> {
    operator.require(WRITERS)?;
    let endpoint = webhooks::disable_endpoint(&app, &operator.actor(), operator.tenant_id(), &id).await?;
    Ok(Json(endpoint_response(endpoint)))
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryResponse {
    id: String,
    event_id: String,
    /// The event's type.
    #[serde(rename = "type")]
    event_type: String,
    /// 1 for the first attempt to deliver this event to this endpoint.
    attempt: i64,
    /// The HTTP status the endpoint answered; none if it did not answer.
    status_code: Option<i64>,
    /// Why there was no answer (a timeout, a refused connection).
    error: Option<String>,
    /// Whether the endpoint answered 2xx.
    delivered: bool,
    at: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    data: Vec<DeliveryResponse>,
    has_more: bool,
}

fn delivery_response(delivery: Delivery) -> DeliveryResponse {
    DeliveryResponse {
        delivered: delivery.status_code.is_some_and(|s| (200..300).contains(&s)),
        id: delivery.id,
        event_id: delivery.event_id,
        event_type: delivery.event_type,
        attempt: delivery.attempt,
        status_code: delivery.status_code,
        error: delivery.error,
        at: rfc3339(delivery.created_at),
    }
}

/// The endpoint's delivery log: every attempt, oldest first.
#[utoipa::path(get, path = "/v1/webhook-endpoints/{id}/deliveries",
    params(("id" = String, Path, description = "The endpoint id"), PageQuery),
    responses((status = 200, body = DeliveryList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "webhooks")]
async fn list_deliveries(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<DeliveryList>, ApiError> {
    operator.require(READERS)?;
    let (limit, after) = (page.limit()?, page.starting_after()?);
    let found = webhooks::deliveries(&app, &operator.actor(), operator.tenant_id(), &id, after, limit).await?;
    Ok(Json(DeliveryList { data: found.items.into_iter().map(delivery_response).collect(), has_more: found.has_more }))
}
