//! `POST /v1/users/{id}/totp`: enrol a user's authenticator app (the use case is
//! [`crate::services::users::totp`]). The secret is answered exactly once (and to retries
//! of that request with its `Idempotency-Key`, whose copy of the answer is stored sealed).

use super::path::Path;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::idempotency;
use super::submit::{respond, retry};
use super::AppState;
use crate::services::users::totp::{self, Enrolled};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/users/{id}/totp", post(enrol_totp).delete(reset_totp))
}

/// The body is empty or `{}`: there is nothing to choose.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpRequest {}

#[derive(Serialize, ToSchema)]
pub struct TotpResponse {
    /// `otpauth://totp/ISSUER:PHONE?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`,
    /// for a QR code.
    otpauth_uri: String,
    /// The same secret in base32, for typing in by hand.
    secret: String,
}

/// Enrol the user in TOTP (RFC 6238: SHA-1, 6 digits, 30 s); answers the secret once.
#[utoipa::path(post, path = "/v1/users/{id}/totp", request_body(content = Option<TotpRequest>),
    params(("id" = String, Path, description = "The user id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = TotpResponse), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_state`: the user is enrolled already")),
    security(("bearer" = [])), tag = "users")]
async fn enrol_totp(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let path = format!("/v1/users/{user_id}/totp");
    let tenant_id = operator.tenant_id();
    let checked = crate::keyed!(idempotency::check_sealed(&app.db, &app.secrets, &headers, tenant_id, &path, &body));
    if !body.iter().all(u8::is_ascii_whitespace) {
        parse_json::<TotpRequest>(&body)?;
    }
    // The answer holds the secret, so its idempotency copy is sealed.
    let sealed = Some(app.secrets.clone());
    let answer = totp::enrol(&app, &operator.actor(), tenant_id, &user_id, retry(checked, to_json, sealed)).await?;
    respond(answer, |enrolled| to_json(&enrolled), Some(&app.secrets))
}

fn to_json(enrolled: &Enrolled) -> String {
    let response = TotpResponse { otpauth_uri: enrolled.otpauth_uri.clone(), secret: enrolled.secret_base32.clone() };
    serde_json::to_string(&response).expect("the answer serializes")
}

/// Reset a user's lost authenticator (admin): the secret is removed, and the user's
/// cash-outs are confirmed by SMS code until they enrol again. Who reset it is recorded.
/// Resetting a user who has none answers the user as they are.
#[utoipa::path(delete, path = "/v1/users/{id}/totp", params(("id" = String, Path, description = "The user id")),
    responses((status = 200, body = super::users::UserResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "users")]
async fn reset_totp(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
) -> Result<Json<super::users::UserResponse>, ApiError> {
    operator.require(WRITERS)?;
    let user = totp::reset(&app, &operator.actor(), operator.tenant_id(), &user_id).await?;
    Ok(Json(super::users::response(user)))
}
