//! `/v1/webhook-endpoints`: where a tenant wants its events POSTed, and the log of every
//! attempt to deliver them (see [`crate::webhooks`] for events, [`crate::signature`] for how
//! receivers check them).
//!
//! An endpoint's signing secret is made here and shown once, in the answer that creates it;
//! it is kept sealed with the server key (the idempotent copy of that answer too). URLs
//! must be `https://`, except `http://` to a loopback host, for development and tests.
//! Deleting an endpoint disables it: nothing more is delivered to it, and its delivery log
//! stays readable.

use std::net::IpAddr;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, READERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::paging::{self, PageQuery};
use super::submit::write_rows_sealed;
use super::users::rfc3339;
use super::{idempotency, AppState};
use crate::store::tenants::new_id;
use crate::store::webhooks::{self, Delivery, Endpoint};
use crate::webhooks::{ALL_EVENTS, EVENT_TYPES};

const PATH: &str = "/v1/webhook-endpoints";
/// Longest URL accepted, and most entries in `events`.
const URL_LEN_MAX: usize = 2_048;
const EVENTS_MAX: usize = 32;
/// Most enabled endpoints one tenant may have: each event is POSTed to every one.
const ENDPOINTS_PER_TENANT_MAX: i64 = 16;
/// Random characters in a signing secret after `whsec_`: 36³² ≈ 2¹⁶⁵.
const SECRET_CHARS: usize = 32;

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
    let url = parse_url(&request.url, app.settings.webhook_private_hosts)?;
    let events = parse_events(request.events)?;
    if webhooks::enabled_count(&app.db, tenant).await? >= ENDPOINTS_PER_TENANT_MAX {
        let message = format!("a tenant may have at most {ENDPOINTS_PER_TENANT_MAX} enabled webhook endpoints");
        return Err(ApiError::conflict("limit_exceeded", message));
    }
    let created_at = app.clock.now_us();
    let secret = new_id("whsec", SECRET_CHARS);
    let endpoint = Endpoint {
        id: crate::ids::time_ordered("we", created_at),
        url,
        events,
        secret_sealed: app.secrets.seal(secret.as_bytes()),
        created_at,
        disabled_at: None,
    };
    let row = webhooks::endpoint_row(tenant, &endpoint);
    let answer = EndpointResponse { secret: Some(secret), ..endpoint_response(endpoint) };
    let body = serde_json::to_string(&answer).expect("an endpoint serializes");
    write_rows_sealed(&app, checked, vec![row], body).await
}

/// An absolute `https://` URL without credentials, or `http://` to a loopback host.
/// An endpoint URL: https (plain http to loopback only), no credentials, and a public host
/// unless `private_hosts` allows loopback and private networks.
fn parse_url(text: &str, private_hosts: bool) -> Result<String, ApiError> {
    let invalid = |message: &str| ApiError::invalid("invalid_url", message, "url");
    if text.len() > URL_LEN_MAX {
        return Err(invalid("url is at most 2048 characters"));
    }
    let url = reqwest::Url::parse(text.trim()).map_err(|_| invalid("url is an absolute URL such as https://…"))?;
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| invalid("url names a host"))?;
    if !private_hosts && !is_public_host(host) {
        return Err(invalid("url must name a public host: loopback and private networks are not allowed"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => return Err(invalid("url must use https (plain http is accepted for loopback hosts only)")),
        _ => return Err(invalid("url is an https:// URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("url must not hold credentials: receivers check the signature instead"));
    }
    Ok(url.to_string())
}

/// A name (checked again when it resolves, see [`crate::public_net`]) or a public address.
fn is_public_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => crate::public_net::is_public(ip),
        Err(_) => !host.eq_ignore_ascii_case("localhost") && !host.to_ascii_lowercase().ends_with(".localhost"),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Known event types or `*`, at least one; sorted, each once.
fn parse_events(events: Vec<String>) -> Result<Vec<String>, ApiError> {
    if events.is_empty() || events.len() > EVENTS_MAX {
        let message = "events lists 1 to 32 event types, or \"*\" for all";
        return Err(ApiError::invalid("invalid_events", message, "events"));
    }
    for (n, event) in events.iter().enumerate() {
        if event != ALL_EVENTS && !EVENT_TYPES.contains(&event.as_str()) {
            let message = format!("{event:?} is not an event type; known: {}, or \"*\"", EVENT_TYPES.join(", "));
            return Err(ApiError::invalid("unknown_event", message, format!("events[{n}]")));
        }
    }
    let mut events = events;
    events.sort_unstable();
    events.dedup();
    Ok(events)
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
    let limit = page.limit()?;
    let found = webhooks::endpoints(&app.db, operator.tenant_id(), page.starting_after()?, limit + 1).await?;
    let (found, has_more) = paging::page(found, limit);
    Ok(Json(EndpointList { data: found.into_iter().map(endpoint_response).collect(), has_more }))
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
    Ok(Json(endpoint_response(existing(&app, operator.tenant_id(), &id).await?)))
}

async fn existing(app: &AppState, tenant_id: &str, id: &str) -> Result<Endpoint, ApiError> {
    let endpoint = webhooks::endpoint(&app.db, tenant_id, id).await?;
    endpoint.ok_or_else(|| ApiError::not_found(format!("no webhook endpoint {id}")))
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
    if !webhooks::disable(&app.db, operator.tenant_id(), &id, app.clock.now_us()).await? {
        return Err(ApiError::not_found(format!("no webhook endpoint {id}")));
    }
    Ok(Json(endpoint_response(existing(&app, operator.tenant_id(), &id).await?)))
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
    let tenant = operator.tenant_id();
    existing(&app, tenant, &id).await?;
    let limit = page.limit()?;
    let found = webhooks::deliveries(&app.db, tenant, &id, page.starting_after()?, limit + 1).await?;
    let (found, has_more) = paging::page(found, limit);
    Ok(Json(DeliveryList { data: found.into_iter().map(delivery_response).collect(), has_more }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_or_loopback_http() {
        for good in [
            "https://example.com/hooks",
            "https://10.0.0.5:8443/h",
            "http://127.0.0.1:9000/h",
            "http://localhost/h",
            "http://[::1]:80/h",
        ] {
            assert!(parse_url(good, true).is_ok(), "{good}");
        }
        for bad in [
            "",
            "example.com/hooks",
            "http://example.com/hooks",
            "http://10.0.0.5/h",
            "ftp://example.com/h",
            "https://user:pw@example.com/h",
            "https://",
            "file:///etc/passwd",
        ] {
            let error = parse_url(bad, true).unwrap_err();
            assert_eq!(error.code(), "invalid_url", "{bad}");
        }
        assert!(parse_url(&format!("https://example.com/{}", "a".repeat(URL_LEN_MAX)), true).is_err());
    }

    #[test]
    fn without_private_hosts_only_public_ones_are_endpoints() {
        assert!(parse_url("https://hooks.example.com/h", false).is_ok());
        assert!(parse_url("https://93.184.216.34/h", false).is_ok());
        for private in [
            "http://127.0.0.1:9000/h",
            "http://localhost/h",
            "https://10.0.0.5:8443/h",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00::1]/h",
            "https://admin.localhost/h",
        ] {
            assert_eq!(parse_url(private, false).unwrap_err().code(), "invalid_url", "{private}");
        }
    }

    #[test]
    fn events_are_known_types_or_everything() {
        let parsed = parse_events(vec!["cashout.paid".into(), "*".into(), "cashout.paid".into()]).unwrap();
        assert_eq!(parsed, vec!["*".to_string(), "cashout.paid".to_string()]);
        assert_eq!(parse_events(vec![]).unwrap_err().code(), "invalid_events");
        assert_eq!(parse_events(vec!["cashout.paid".into(), "nope".into()]).unwrap_err().code(), "unknown_event");
    }
}
