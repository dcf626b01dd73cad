//! `/v1/users`: create, read and list a tenant's users, and record their identity checks.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, READERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::idempotency;
use super::paging::{self, PageQuery};
use super::submit::write_rows;
use super::AppState;
use crate::domain::user::{Kyc, KycLevel, Phone};
use crate::store::users::{self, Answer, Creation, User};

/// Longest external id and name accepted.
const EXTERNAL_ID_LEN_MAX: usize = 64;
const NAME_LEN_MAX: usize = 100;
const DOCUMENT_REF_LEN_MAX: usize = 128;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/users", post(create_user).get(list_users))
        .route("/v1/users/{id}", get(get_user))
        .route("/v1/users/{id}/kyc", post(record_kyc))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// The operator's own id for this user, unique in the tenant (1–64 characters).
    external_id: String,
    /// E.164, e.g. `+821012345678`.
    phone: String,
    name: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KycRequest {
    /// `none`, `basic` or `verified`.
    level: String,
    legal_name: String,
    /// `YYYY-MM-DD`.
    birth_date: String,
    /// The operator's reference to the document it checked.
    document_ref: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserResponse {
    id: String,
    external_id: String,
    phone: String,
    name: Option<String>,
    kyc_level: String,
    legal_name: Option<String>,
    created_at: String,
    /// The user has enrolled a TOTP authenticator (`POST /v1/users/{id}/totp`).
    totp_enrolled: bool,
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    data: Vec<UserResponse>,
    has_more: bool,
}

fn response(user: User) -> UserResponse {
    UserResponse {
        created_at: rfc3339(user.created_at),
        id: user.id,
        external_id: user.external_id,
        phone: user.phone,
        name: user.name,
        kyc_level: user.kyc_level,
        legal_name: user.legal_name,
        totp_enrolled: user.totp_enrolled,
    }
}

/// The user as JSON, or a 404 naming the id that was asked for.
fn found(user: Option<User>, id: &str) -> Result<Json<UserResponse>, ApiError> {
    user.map(|u| Json(response(u))).ok_or_else(|| no_user(id))
}

/// The 404 for a user id the tenant does not have.
pub fn no_user(id: &str) -> ApiError {
    ApiError::not_found(format!("no user {id}"))
}

/// The tenant's user `id`, or a 404 naming it.
pub(super) async fn existing(app: &AppState, tenant_id: &str, id: &str) -> Result<User, ApiError> {
    let user = users::get(&app.db, tenant_id, id).await?;
    user.ok_or_else(|| ApiError::not_found(format!("no user {id}")))
}

pub use crate::clock::rfc3339;

/// Create a user.
#[utoipa::path(post, path = "/v1/users", request_body = CreateUserRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = UserResponse), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])), tag = "users")]
async fn create_user(
    State(app): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, operator.tenant_id(), "/v1/users", &body));
    let request: CreateUserRequest = parse_json(&body)?;
    let external_id = request.external_id.trim();
    if external_id.is_empty() || external_id.len() > EXTERNAL_ID_LEN_MAX || external_id.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "invalid_external_id",
            "external_id is 1 to 64 visible characters",
            "external_id",
        ));
    }
    let phone = Phone::parse(&request.phone)
        .ok_or_else(|| ApiError::invalid("invalid_phone", "phone is an E.164 number such as +821012345678", "phone"))?;
    let name = request.name.as_deref().map(str::trim);
    if name.is_some_and(|n| n.is_empty() || n.chars().count() > NAME_LEN_MAX) {
        return Err(ApiError::invalid("invalid_name", "name is 1 to 100 characters", "name"));
    }
    let render = |user: &User| serde_json::to_string(&response(user.clone())).expect("a user serializes");
    let answer = checked.map(|c| {
        let (scoped_key, request_hash) = c.into_parts();
        Answer { scoped_key, request_hash, render: &render }
    });
    match users::create(&app.db, operator.tenant_id(), external_id, &phone, name, answer).await? {
        Creation::Created(user) => Ok(Json(response(user)).into_response()),
        Creation::Answered(first) => Ok(idempotency::replay(first)),
        Creation::ExternalIdTaken => Err(ApiError::conflict("user_exists", "a user with this external_id exists")),
    }
}

/// Read a user.
#[utoipa::path(get, path = "/v1/users/{id}", params(("id" = String, Path, description = "The user id")),
    responses((status = 200, body = UserResponse), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "users")]
async fn get_user(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<UserResponse>, ApiError> {
    operator.require(READERS)?;
    let user = users::get(&app.db, operator.tenant_id(), &id).await?;
    found(user, &id)
}

/// List users, oldest first, a page at a time.
#[utoipa::path(get, path = "/v1/users", params(PageQuery),
    responses((status = 200, body = UserList), (status = 400, body = ErrorBody)),
    security(("bearer" = [])), tag = "users")]
async fn list_users(
    State(app): State<AppState>,
    operator: Operator,
    Query(page): Query<PageQuery>,
) -> Result<Json<UserList>, ApiError> {
    operator.require(READERS)?;
    let limit = page.limit()?;
    let found = users::list(&app.db, operator.tenant_id(), page.starting_after()?, limit + 1).await?;
    let (found, has_more) = paging::page(found, limit);
    Ok(Json(UserList { data: found.into_iter().map(response).collect(), has_more }))
}

/// Record the result of the operator's identity check.
#[utoipa::path(post, path = "/v1/users/{id}/kyc", request_body = KycRequest,
    params(("id" = String, Path, description = "The user id"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = UserResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "users")]
async fn record_kyc(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant_id = operator.tenant_id();
    let path = format!("/v1/users/{id}/kyc");
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, tenant_id, &path, &body));
    let kyc = parse_kyc(parse_json(&body)?)?;
    let user = existing(&app, tenant_id, &id).await?;
    let row = users::kyc_row(tenant_id, &user.id, &kyc);
    let checked_user =
        User { kyc_level: kyc.level.as_str().to_string(), legal_name: Some(kyc.legal_name.clone()), ..user };
    let body = serde_json::to_string(&response(checked_user)).expect("a user serializes");
    write_rows(&app, checked, vec![row], body).await
}

fn parse_kyc(request: KycRequest) -> Result<Kyc, ApiError> {
    let level = KycLevel::parse(&request.level)
        .ok_or_else(|| ApiError::invalid("invalid_kyc_level", "level is none, basic or verified", "level"))?;
    let legal_name = request.legal_name.trim().to_string();
    if legal_name.is_empty() || legal_name.chars().count() > NAME_LEN_MAX {
        return Err(ApiError::invalid("invalid_legal_name", "legal_name is 1 to 100 characters", "legal_name"));
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let born = time::Date::parse(&request.birth_date, &format)
        .ok()
        .filter(|d| *d <= time::OffsetDateTime::now_utc().date())
        .ok_or_else(|| ApiError::invalid("invalid_birth_date", "birth_date is a past date YYYY-MM-DD", "birth_date"))?;
    let document_ref = request.document_ref.trim().to_string();
    if document_ref.is_empty() || document_ref.len() > DOCUMENT_REF_LEN_MAX {
        return Err(ApiError::invalid("invalid_document_ref", "document_ref is 1 to 128 characters", "document_ref"));
    }
    Ok(Kyc { level, legal_name, birth_date: born.to_string(), document_ref })
}
