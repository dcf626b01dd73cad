//! `POST /v1/users/{id}/wallet-links`: a one-time link that opens the web wallet for one
//! user (the use case is [`crate::services::wallet_access::links`]). The answer holds the
//! link's secret, so its idempotency copy is stored sealed.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::idempotency;
use super::path::Path;
use super::submit::{respond, retry};
use super::AppState;
use crate::clock::rfc3339;
use crate::services::wallet_access::links::{self, Link};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/users/{id}/wallet-links", post(create_link))
}

/// The body is empty or `{}`: there is nothing to choose.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalletLinkRequest {}

#[derive(Serialize, ToSchema)]
pub struct WalletLinkResponse {
    /// Opens the web wallet signed in as the user: once, within five minutes. Send the user
    /// straight to it; never show it to anyone else or keep it.
    url: String,
    /// When it stops opening (RFC 3339, UTC).
    expires_at: String,
}

/// A link that signs the user in to the web wallet (`/wallet/`): valid 5 minutes, usable
/// once. Absolute when the server's `public_base_url` is set, else a path.
#[utoipa::path(post, path = "/v1/users/{id}/wallet-links", request_body(content = Option<WalletLinkRequest>),
    params(("id" = String, Path, description = "The user id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = WalletLinkResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "users")]
async fn create_link(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let path = format!("/v1/users/{user_id}/wallet-links");
    let tenant_id = operator.tenant_id();
    let checked = crate::keyed!(idempotency::check_sealed(&app.db, &app.secrets, &headers, tenant_id, &path, &body));
    if !body.iter().all(u8::is_ascii_whitespace) {
        parse_json::<WalletLinkRequest>(&body)?;
    }
    let sealed = Some(app.secrets.clone());
    let answer = links::create(&app, &operator.actor(), tenant_id, &user_id, retry(checked, to_json, sealed)).await?;
    respond(answer, |link| to_json(&link), Some(&app.secrets))
}

fn to_json(link: &Link) -> String {
    let response = WalletLinkResponse { url: link.url.clone(), expires_at: rfc3339(link.expires_at) };
    serde_json::to_string(&response).expect("the answer serializes")
}
