//! One structured log line per request, and the request's id in `X-Request-Id` on every
//! answer. The id is the caller's own when it sent a sane one (at most
//! [`REQUEST_ID_LEN_MAX`] characters of `A-Za-z0-9` and `-_.:/+=@`), else a fresh
//! `req_…`; it is also on the span every log line of the request is written in.
//!
//! The line says the method, the route template (`/v1/cashouts/{id}`: never the path with
//! its ids, never the query), the status, the latency and, once a key authenticated the
//! request, its tenant. Bodies and headers are never logged: they carry secrets, codes,
//! PINs and account numbers.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::telemetry::REQUEST_TARGET;

pub const HEADER: &str = "x-request-id";
/// Longest request id taken from a caller; a longer one is replaced.
pub const REQUEST_ID_LEN_MAX: usize = 64;

/// What handlers learn about a request that its log line reports. An extractor that
/// authenticates a key records the tenant here (see [`RequestFacts::set_tenant`]).
#[derive(Clone, Default)]
pub struct RequestFacts {
    tenant_id: Arc<OnceLock<String>>,
}

impl RequestFacts {
    pub fn set_tenant(&self, tenant_id: &str) {
        let _ = self.tenant_id.set(tenant_id.to_string());
    }

    fn tenant_id(&self) -> Option<&str> {
        self.tenant_id.get().map(String::as_str)
    }
}

pub async fn record(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request
        .headers()
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_sane(id))
        .map_or_else(fresh_id, str::to_string);
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    let facts = RequestFacts::default();
    request.extensions_mut().insert(facts.clone());
    let span = tracing::info_span!("request", request_id = %request_id);
    let mut response = next.run(request).instrument(span).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1_000.0;
    tracing::info!(
        target: REQUEST_TARGET,
        method = %method,
        route = route.as_deref().unwrap_or("(no route)"),
        status = response.status().as_u16(),
        latency_ms = (latency_ms * 1_000.0).round() / 1_000.0,
        request_id = %request_id,
        tenant_id = facts.tenant_id(),
        "request"
    );
    let value = HeaderValue::from_str(&request_id).expect("a sane or generated id is a header value");
    response.headers_mut().insert(HEADER, value);
    response
}

/// Short, and only characters that are safe in a header, a log line and a URL.
fn is_sane(id: &str) -> bool {
    (1..=REQUEST_ID_LEN_MAX).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=@".contains(&b))
}

/// `req_` and 96 random bits in hex.
fn fresh_id() -> String {
    format!("req_{:024x}", rand::random::<u128>() >> 32)
}

/// Adds `X-Request-Id` to every answer in the OpenAPI document.
pub struct RequestIdHeaders;

impl utoipa::Modify for RequestIdHeaders {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::header::HeaderBuilder;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::RefOr;
        let header = HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String))
            .description(Some("The request's id: the caller's own X-Request-Id when it sent a sane one, else req_…"))
            .build();
        let operations = openapi.paths.paths.values_mut().flat_map(|item| {
            [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
        });
        let components = openapi.components.iter_mut().flat_map(|c| c.responses.values_mut());
        let responses = operations.flat_map(|o| o.responses.responses.values_mut()).chain(components);
        for response in responses {
            if let RefOr::T(response) = response {
                response.headers.insert("X-Request-Id".into(), header.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_id_is_kept_only_when_short_and_plain() {
        for id in ["abc", "0b6f7c2e-9d1a-4b5e-8f00-123456789abc", "trace:1/2+3=4@x", &"x".repeat(REQUEST_ID_LEN_MAX)] {
            assert!(is_sane(id), "{id}");
        }
        for id in ["", "a b", "a\tb", "a\nb", "é", "<script>", "a\"b", &"x".repeat(REQUEST_ID_LEN_MAX + 1)] {
            assert!(!is_sane(id), "{id:?}");
        }
    }

    #[test]
    fn a_fresh_id_is_sane_and_new_each_time() {
        let (a, b) = (fresh_id(), fresh_id());
        assert!(a.starts_with("req_") && a.len() == 28 && is_sane(&a), "{a}");
        assert_ne!(a, b);
    }
}
