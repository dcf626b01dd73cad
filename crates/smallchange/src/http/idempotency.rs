//! The `Idempotency-Key` header: the same key with the same request answers the first
//! response again; with a different request it is a 409 `idempotency_key_reused`.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::committer::Idempotency;
use crate::store::idempotency::StoredResponse;
use crate::store::{self, Db};

/// Longest key accepted.
const KEY_LEN_MAX: usize = 255;

/// The key of this request, scoped to the tenant, if it sent one.
pub fn key(headers: &HeaderMap, tenant_id: &str) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value
        .to_str()
        .ok()
        .filter(|k| (1..=KEY_LEN_MAX).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::invalid(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
                "Idempotency-Key",
            )
        })?;
    Ok(Some(format!("{tenant_id}/{key}")))
}

/// What identifies "the same request": the path and the exact body.
pub fn request_hash(path: &str, body: &Bytes) -> String {
    let mut hasher = Sha256::new();
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// A request's key and fingerprint, checked against earlier answers.
pub struct Checked {
    scoped_key: String,
    request_hash: String,
}

impl Checked {
    /// The scoped key and the request's fingerprint.
    pub fn into_parts(self) -> (String, String) {
        (self.scoped_key, self.request_hash)
    }

    /// What the committer needs to record the answer together with the effect.
    pub fn with_render(self, render: crate::committer::Render) -> Idempotency {
        Idempotency { scoped_key: self.scoped_key, request_hash: self.request_hash, render }
    }
}

/// Checks the key (if any) before the body is even parsed: `Err` carries the earlier answer
/// (or the 409) to send instead of doing the work again.
pub async fn check(
    db: &Db,
    headers: &HeaderMap,
    tenant_id: &str,
    path: &str,
    body: &Bytes,
) -> Result<Option<Checked>, Result<Response, ApiError>> {
    check_stored(db, headers, tenant_id, path, body).await.map_err(|earlier| earlier.map(replay))
}

/// As [`check`], handing back the stored earlier answer itself.
pub async fn check_stored(
    db: &Db,
    headers: &HeaderMap,
    tenant_id: &str,
    path: &str,
    body: &Bytes,
) -> Result<Option<Checked>, Result<StoredResponse, ApiError>> {
    let Some(scoped_key) = key(headers, tenant_id).map_err(Err)? else { return Ok(None) };
    let request_hash = request_hash(path, body);
    match store::idempotency::find(db, &scoped_key).await {
        Ok(None) => Ok(Some(Checked { scoped_key, request_hash })),
        Ok(Some(first)) if first.request_hash == request_hash => Err(Ok(first)),
        Ok(Some(_)) => Err(Err(reused())),
        Err(error) => Err(Err(error.into())),
    }
}

pub fn reused() -> ApiError {
    ApiError::conflict("idempotency_key_reused", "this Idempotency-Key was used with a different request")
}

/// The stored first answer, marked as a replay.
pub fn replay(first: StoredResponse) -> Response {
    let status = StatusCode::from_u16(first.status).unwrap_or(StatusCode::OK);
    let mut response = (status, first.body).into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
