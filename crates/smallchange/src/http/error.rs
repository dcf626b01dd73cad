//! How a use case's [`Error`](crate::services::Error) reaches an API client: one table from
//! its kind to an HTTP status and error type, and the JSON shape
//! `{"error": {"type", "code", "message", "param"}}`.
//!
//! Callers' mistakes are 4xx with a stable `code`; anything else was logged with its cause
//! chain where it was made and is answered as a bare 500, never showing internals.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::services::{Error, Kind};

/// The error every handler returns: a use case's error, or one of the API's own below.
pub type ApiError = Error;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `invalid_request`, `authentication`, `permission`, `not_found`, `conflict`,
    /// `rate_limited` or `internal`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// A stable, machine-readable code such as `invalid_amount`.
    code: &'static str,
    message: String,
    /// The request field at fault, e.g. `transfers[3].amount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    param: Option<String>,
}

/// The one table: each kind of error, its status and its `type`.
fn status_of(kind: Kind) -> (StatusCode, &'static str) {
    match kind {
        Kind::Invalid => (StatusCode::BAD_REQUEST, "invalid_request"),
        Kind::Unauthenticated => (StatusCode::UNAUTHORIZED, "authentication"),
        Kind::Forbidden => (StatusCode::FORBIDDEN, "permission"),
        Kind::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        Kind::Conflict => (StatusCode::CONFLICT, "conflict"),
        Kind::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "invalid_request"),
        Kind::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "invalid_request"),
        Kind::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_request"),
        Kind::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        Kind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "internal"),
        Kind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// The API's own errors, which no use case raises.
impl Error {
    pub fn unauthenticated(code: &'static str, message: impl Into<String>) -> Error {
        Error::new(Kind::Unauthenticated, code, message)
    }

    pub fn method_not_allowed() -> Error {
        Error::new(Kind::MethodNotAllowed, "method_not_allowed", "this endpoint does not take that method")
    }

    pub fn too_large(message: impl Into<String>) -> Error {
        Error::new(Kind::TooLarge, "body_too_large", message)
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Error {
        Error::new(Kind::UnsupportedMediaType, "unsupported_media_type", message)
    }

    /// A 429 for a key over its own rate limit: the caller must wait `wait` (rounded up to
    /// whole seconds) before retrying.
    pub fn key_rate_limited(wait: std::time::Duration) -> Error {
        Error::rate_limited(wait, "too many requests for this key")
    }

    /// The status and JSON body, for storing as an idempotent answer.
    pub fn to_parts(&self) -> (u16, String) {
        let body = serde_json::to_string(&self.body()).expect("an error serializes");
        (status_of(self.kind).0.as_u16(), body)
    }

    fn body(&self) -> ErrorBody {
        let error = ErrorDetail {
            kind: status_of(self.kind).1,
            code: self.code,
            message: self.message.clone(),
            param: self.param.clone(),
        };
        ErrorBody { error }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response = (status_of(self.kind).0, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert("retry-after", seconds.into());
        }
        response
    }
}
