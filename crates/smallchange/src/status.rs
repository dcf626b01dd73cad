//! The one table from a use case's error kind to an HTTP status, shared by both doors that
//! answer over HTTP: the JSON API (`http/error.rs`, which adds its body) and the pages
//! (`web/page.rs`, which show the error in the person's words). It sits beside them, not in
//! either, so that neither door names the other, and outside `services/`, which knows
//! nothing of HTTP.

use axum::http::StatusCode;

use crate::services::Kind;

/// The status an error of `kind` is answered with.
pub fn of(kind: Kind) -> StatusCode {
    match kind {
        Kind::Invalid => StatusCode::BAD_REQUEST,
        Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Kind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
