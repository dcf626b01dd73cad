//! Request bodies are JSON. A body labelled with another `Content-Type` answers 415
//! `unsupported_media_type` before any handler reads it: the usual cause is curl's `-d`,
//! which labels JSON as a form. `application/json` with parameters (`; charset=utf-8`) and
//! the `application/*+json` family are JSON. A body with no `Content-Type` at all is taken
//! as JSON (lenient: the body parser still refuses what is not JSON, in words), and an
//! empty body is no body, whatever its label.

use axum::extract::{MatchedPath, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Routes whose bodies are not ours to label: the bank's status reports are XML
/// (pain.002 / camt.054), and the e-wallet partner's callbacks are authenticated by their
/// signature over the raw bytes, whatever the partner's HTTP client calls them.
const OTHER_BODIES: [&str; 2] = ["/v1/payout-batches/status-reports", "/v1/rails/e-wallet/callbacks"];

pub async fn require_json(request: Request, next: Next) -> Response {
    // Only a matched route takes a body (an unknown path stays a 404), and only by the
    // methods that carry one (another method stays a 405).
    let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
    let checked = route.is_some_and(|route| !OTHER_BODIES.contains(&route))
        && matches!(*request.method(), Method::POST | Method::PUT | Method::PATCH);
    if checked && has_body(request.headers()) {
        if let Some(label) = request.headers().get(CONTENT_TYPE) {
            if !is_json(label) {
                let message = "the body must be JSON, sent with Content-Type: application/json \
                               (curl's -d sends a form: use --json '{…}')";
                return ApiError::unsupported_media_type(message).into_response();
            }
        }
    }
    next.run(request).await
}

/// A non-empty body is coming: a `Content-Length` above 0, or a chunked one.
fn has_body(headers: &HeaderMap) -> bool {
    let length = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    match length {
        Some(length) => length > 0,
        None => headers.contains_key(TRANSFER_ENCODING),
    }
}

/// `application/json` or `application/<anything>+json`, any case, any parameters.
fn is_json(label: &HeaderValue) -> bool {
    let Ok(label) = label.to_str() else { return false };
    let essence = label.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", subtype)) => subtype == "json" || subtype.ends_with("+json"),
        _ => false,
    }
}

/// Adds to the OpenAPI document a shared 415 answer, referenced by every operation that
/// takes a JSON body.
pub struct UnsupportedMediaTypeAnswers;

impl utoipa::Modify for UnsupportedMediaTypeAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        const NAME: &str = "UnsupportedMediaType";
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        let response = ResponseBuilder::new()
            .description("`unsupported_media_type`: the body was sent with a Content-Type other than application/json")
            .content("application/json", content)
            .build();
        let components = openapi.components.get_or_insert_with(Default::default);
        components.responses.insert(NAME.into(), RefOr::T(response));
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.post, &mut item.put, &mut item.patch].into_iter().flatten() {
                let takes_json =
                    operation.request_body.as_ref().is_some_and(|body| body.content.contains_key("application/json"));
                if takes_json {
                    operation.responses.responses.insert("415".into(), RefOr::Ref(Ref::from_response_name(NAME)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(label: &str) -> bool {
        is_json(&HeaderValue::from_str(label).unwrap())
    }

    #[test]
    fn json_and_its_family_are_json_whatever_their_parameters() {
        for label in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
            " application/json ;charset=UTF-8",
        ] {
            assert!(json(label), "{label}");
        }
        for label in [
            "application/x-www-form-urlencoded",
            "text/plain",
            "application/xml",
            "text/json",
            "application/jsonx",
            "multipart/form-data; boundary=x",
            "",
            "json",
        ] {
            assert!(!json(label), "{label}");
        }
    }

    #[test]
    fn a_body_is_announced_by_its_length_or_chunking() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        assert!(has_body(&headers(&[("content-length", "2")])));
        assert!(!has_body(&headers(&[("content-length", "0")])));
        assert!(has_body(&headers(&[("transfer-encoding", "chunked")])));
        assert!(!has_body(&headers(&[])));
    }
}
