//! How a use case's [`Error`](crate::services::Error) reaches an API client: its status from
//! the one table the pages share ([`crate::status`]), its `type` from its kind, and the JSON
//! shape `{"error": {"type", "code", "message", "param"}}`.
//!
//! Callers' mistakes are 4xx with a stable `code`; anything else was logged with its cause
//! chain where it was made and is answered as a bare 500, never showing internals.

use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::services::{Error, Kind};
use crate::status;

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

/// Each kind of error's `type` in the body; its status is [`crate::status::of`]'s, the
/// table the pages answer with too.
fn type_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Invalid | Kind::MethodNotAllowed | Kind::TooLarge | Kind::UnsupportedMediaType => "invalid_request",
        Kind::Unauthenticated => "authentication",
        Kind::Forbidden => "permission",
        Kind::NotFound => "not_found",
        Kind::Conflict => "conflict",
        Kind::RateLimited => "rate_limited",
        Kind::Unavailable | Kind::Internal => "internal",
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
        (status::of(self.kind).as_u16(), body)
    }

    fn body(&self) -> ErrorBody {
        let error = ErrorDetail {
            kind: type_of(self.kind),
            code: self.code,
            message: self.message.clone(),
            param: self.param.clone(),
        };
        ErrorBody { error }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response = (status::of(self.kind), Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert("retry-after", seconds.into());
        }
        response
    }
}
