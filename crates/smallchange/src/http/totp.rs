//! `POST /v1/users/{id}/totp`: enrol a user's authenticator app. The secret is answered
//! exactly once (and to retries of that request with its `Idempotency-Key`); it is stored
//! sealed with the server key, and a second enrolment is refused rather than replacing it,
//! so a leaked operator key cannot silently take over a user's second factor.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::idempotency;
use super::users::no_user;
use super::AppState;
use crate::domain::totp::{self, TotpSecret};
use crate::store::idempotency::{NewRecord, StoredResponse};
use crate::store::totp::Enrolment;
use crate::store::{self, tenants, users};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/users/{id}/totp", post(enrol_totp))
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
    // An enrolled user is refused by the store, in the transaction that would enrol: a
    // retry racing its first attempt then gets the first answer, not a 409.
    let user = users::get(&app.db, tenant_id, &user_id).await?.ok_or_else(|| no_user(&user_id))?;
    let issuer = totp::issuer(tenants::tenant_name(&app.db, tenant_id).await?.as_deref());
    let secret = TotpSecret::generate();
    let answer = TotpResponse { otpauth_uri: secret.otpauth_uri(&issuer, &user.phone), secret: secret.base32() };
    // The answer holds the secret, so its idempotency copy is sealed too.
    let record = checked.map(|c| {
        let (scoped_key, request_hash) = c.into_parts();
        let body = serde_json::to_string(&answer).expect("the answer serializes");
        let response = StoredResponse { request_hash, status: 200, body: app.secrets.seal(body.as_bytes()) };
        NewRecord { scoped_key, response }
    });
    let request_hash = record.as_ref().map(|r| r.response.request_hash.clone());
    let sealed_secret = app.secrets.seal(secret.as_bytes());
    match store::totp::enrol(&app.db, tenant_id, &user_id, &sealed_secret, record).await? {
        Enrolment::Enrolled => Ok(Json(answer).into_response()),
        Enrolment::AlreadyEnrolled => Err(already_enrolled()),
        Enrolment::NoUser => Err(no_user(&user_id)),
        Enrolment::Answered(first) if Some(&first.request_hash) == request_hash.as_ref() => {
            idempotency::replay_sealed(first, &app.secrets)
        }
        Enrolment::Answered(_) => Err(idempotency::reused()),
    }
}

fn already_enrolled() -> ApiError {
    ApiError::conflict("invalid_state", "the user is enrolled in TOTP already; the secret is never shown again")
}
