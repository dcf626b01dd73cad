//! The e-wallet partner's callback, `POST /v1/rails/e-wallet/callbacks`: how a payout the
//! partner accepted ended. The partner is no operator and sends no API key; the
//! `Smallchange-Signature` over the body, under the secret shared with that cash-out's
//! tenant, is what authenticates it. The rules are in [`crate::services::cashout::e_wallet`].

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};

use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::rails::e_wallet::partner::Callback;
use crate::services::cashout::e_wallet::{self as ewallet, CallbackApplied};
use crate::signature;

/// Largest callback accepted: a few fields. It bounds the work done (one HMAC per partner
/// secret, at most) before anything is known about the sender.
const CALLBACK_BYTES_MAX: usize = 16 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/rails/e-wallet/callbacks", post(ewallet_callback))
}

/// The e-wallet partner reports a payout `paid` or `failed` (signed, no API key).
///
/// Applying the same callback again changes nothing and answers `changed: false`.
#[utoipa::path(post, path = "/v1/rails/e-wallet/callbacks", request_body = Callback,
    params(("Smallchange-Signature" = String, Header,
        description = "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">` with the tenant's partner secret")),
    responses((status = 200, body = CallbackApplied),
        (status = 400, body = ErrorBody, description = "a malformed body"),
        (status = 401, body = ErrorBody, description = "`invalid_signature`, `signature_expired`"),
        (status = 404, body = ErrorBody, description = "no e-wallet cash-out has this id (said only to a signed request)"),
        (status = 413, body = ErrorBody, description = "more than 16 KiB")),
    tag = "rails")]
async fn ewallet_callback(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<CallbackApplied>, ApiError> {
    if body.len() > CALLBACK_BYTES_MAX {
        return Err(ApiError::too_large(format!("a callback is at most {CALLBACK_BYTES_MAX} bytes")));
    }
    let callback: Callback = parse_json(&body)?;
    let signature = headers.get(signature::HEADER).and_then(|value| value.to_str().ok());
    Ok(Json(ewallet::receive_callback(&app, signature, &body, &callback).await?))
}
