//! Request bodies: read whole up to `body_bytes_max` (a larger one is a JSON 413, like
//! every other error), then JSON parsed strictly (unknown fields refused), with the path of
//! the offending field reported as `param`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::AppState;

/// The raw request body. Use it instead of [`Bytes`], whose rejections are plain text.
pub struct RawBody(pub Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, app: &AppState) -> Result<RawBody, ApiError> {
        match Bytes::from_request(request, app).await {
            Ok(bytes) => Ok(RawBody(bytes)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                let message = format!("the request body may be at most {} bytes", app.settings.body_bytes_max);
                Err(ApiError::too_large(message))
            }
            Err(rejection) => Err(ApiError::bad_request("invalid_body", rejection.body_text())),
        }
    }
}

pub fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.inner();
        let message = inner.to_string();
        let code = match inner.classify() {
            serde_json::error::Category::Data if message.starts_with("unknown field") => "unknown_field",
            serde_json::error::Category::Data if message.starts_with("missing field") => "missing_field",
            serde_json::error::Category::Data => "invalid_type",
            _ => "invalid_json",
        };
        match code {
            "invalid_json" => ApiError::bad_request(code, format!("the body is not valid JSON: {message}")),
            "missing_field" | "unknown_field" => {
                let param = named_field_path(&path, &message);
                ApiError::invalid(code, message, param)
            }
            _ if path == "." => ApiError::bad_request(code, format!("the body has the wrong shape: {message}")),
            _ => ApiError::invalid(code, message, path),
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {e}")))?;
    Ok(parsed)
}

/// serde reports a missing field at its parent's path, and so does an unknown one inside
/// an internally tagged enum: name the field itself.
fn named_field_path(path: &str, message: &str) -> String {
    let rest = message.strip_prefix("missing field `").or_else(|| message.strip_prefix("unknown field `"));
    let Some(rest) = rest else { return path.to_string() };
    let field = rest.split('`').next().unwrap_or_default();
    if path == "." {
        field.to_string()
    } else if path == field || path.ends_with(&format!(".{field}")) {
        path.to_string()
    } else {
        format!("{path}.{field}")
    }
}
