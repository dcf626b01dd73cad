//! The one error type every handler returns, and its JSON shape:
//! `{"error": {"type", "code", "message", "param"}}`.
//!
//! Callers' mistakes are 4xx with a stable `code`; anything else is logged with its cause
//! chain and answered as a bare 500, never showing internals to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::committer::CommitError;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    code: &'static str,
    message: String,
    param: Option<String>,
    /// Seconds to wait, sent as `Retry-After` (429 only).
    retry_after_s: Option<u64>,
}

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

impl ApiError {
    /// A 400 about one field of the request.
    pub fn invalid(code: &'static str, message: impl Into<String>, param: impl Into<String>) -> ApiError {
        ApiError {
            param: Some(param.into()),
            ..ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", code, message)
        }
    }

    /// A 400 about the request as a whole.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", code, message)
    }

    pub fn unauthenticated(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "authentication", code, message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "permission", "permission_denied", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "resource_missing", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", code, message)
    }

    pub fn method_not_allowed() -> ApiError {
        let message = "this endpoint does not take that method";
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "invalid_request", "method_not_allowed", message)
    }

    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request", "body_too_large", message)
    }

    /// Logs the cause and answers a 500 that reveals nothing of it.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal_error",
            "something went wrong on our side",
        )
    }

    /// A 429: the caller must wait `wait` (rounded up to whole seconds) before retrying.
    pub fn rate_limited(wait: std::time::Duration) -> ApiError {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let message = format!("too many requests for this key: retry after {seconds} s");
        let error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "rate_limited", message);
        ApiError { retry_after_s: Some(seconds.max(1)), ..error }
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "internal", "unavailable", message)
    }

    fn new(status: StatusCode, kind: &'static str, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, kind, code, message: message.into(), param: None, retry_after_s: None }
    }
}

impl ApiError {
    /// The status and JSON body, for storing as an idempotent answer.
    pub fn to_parts(&self) -> (u16, String) {
        let body = serde_json::to_string(&self.body()).expect("an error serializes");
        (self.status.as_u16(), body)
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    fn body(&self) -> ErrorBody {
        let error =
            ErrorDetail { kind: self.kind, code: self.code, message: self.message.clone(), param: self.param.clone() };
        ErrorBody { error }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert("retry-after", seconds.into());
        }
        response
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> ApiError {
        ApiError::internal(format!("{error:#}"))
    }
}

impl From<CommitError> for ApiError {
    fn from(error: CommitError) -> ApiError {
        match error {
            CommitError::Stopped => ApiError::unavailable("the server is shutting down"),
            CommitError::Failed(cause) => ApiError::internal(cause),
        }
    }
}
