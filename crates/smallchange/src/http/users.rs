//! `/v1/users`: create, read and list a tenant's users, record their identity checks and
//! list them, freeze and unfreeze them (the use cases are in [`crate::services::users`]).

use super::path::Path;
use super::query::Query;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Operator, READERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::idempotency::{self, Checked, Once};
use super::paging::PageQuery;
use super::submit::{respond, retry};
use super::AppState;
use crate::domain::user::{Kyc, NewUser};
use crate::services::users::{self, freeze, kyc};
use crate::store::users::{Frozen, KycCheck, User};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/users", post(create_user).get(list_users))
        .route("/v1/users/{id}", get(get_user))
        .route("/v1/users/{id}/kyc", post(record_kyc))
        .route("/v1/users/{id}/kyc-checks", get(list_kyc_checks))
        .route("/v1/users/{id}/freeze", post(freeze_user))
        .route("/v1/users/{id}/unfreeze", post(unfreeze_user))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// The operator's own id for this user, unique in the tenant: 1 to 64 bytes, no control
    /// characters, spaces around it trimmed. The pattern is the ASCII form every operator
    /// can rely on.
    #[schema(pattern = "^[!-~]([ -~]{0,62}[!-~])?$", example = "u-1001")]
    external_id: String,
    /// E.164, e.g. `+821012345678`.
    #[schema(pattern = "^\\+[1-9][0-9]{7,14}$", example = "+821012345678")]
    phone: String,
    /// The person's name as written, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100, example = "김민지")]
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
    /// Set while the user is frozen (`POST /v1/users/{id}/freeze`); `null` otherwise.
    frozen: Option<FrozenResponse>,
}

/// A freeze: when, by whom and why. For operators only: the user is never shown it.
#[derive(Serialize, ToSchema)]
pub struct FrozenResponse {
    at: String,
    /// Who froze the user: `api_key:key_…`, or `operator:opu_…` for a console user.
    by: String,
    /// The operator's words.
    reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreezeRequest {
    /// Why, for the operators' record (never shown to the user): 1 to 500 characters,
    /// spaces around it trimmed.
    #[schema(min_length = 1, max_length = 500, example = "chargeback report under review")]
    reason: String,
}

#[derive(Deserialize, IntoParams)]
pub struct UserListQuery {
    /// 1–100, default 20.
    limit: Option<String>,
    /// The id of the last user of the previous page.
    starting_after: Option<String>,
    /// Only the user with this operator's own id (a page of one, or none).
    external_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    data: Vec<UserResponse>,
    has_more: bool,
}

pub fn response(user: User) -> UserResponse {
    UserResponse {
        created_at: rfc3339(user.created_at),
        id: user.id,
        external_id: user.external_id,
        phone: user.phone,
        name: user.name,
        kyc_level: user.kyc_level,
        legal_name: user.legal_name,
        totp_enrolled: user.totp_enrolled,
        frozen: user.frozen.map(frozen_response),
    }
}

fn frozen_response(frozen: Frozen) -> FrozenResponse {
    FrozenResponse { at: rfc3339(frozen.at), by: frozen.by, reason: frozen.reason }
}

fn user_json(user: &User) -> String {
    serde_json::to_string(&response(user.clone())).expect("a user serializes")
}

/// The tenant's user `id`, or a 404 naming it.
pub use crate::services::users::existing;

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
    let new = NewUser::parse(&request.external_id, &request.phone, request.name.as_deref())?;
    let retry = retry(checked, user_json, None);
    let answer = users::create(&app, &operator.actor(), operator.tenant_id(), &new, retry).await?;
    respond(answer, |user| user_json(&user), None)
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
    let user = users::get(&app, &operator.actor(), operator.tenant_id(), &id).await?;
    Ok(Json(response(user)))
}

/// List users, oldest first, a page at a time; or find one by `external_id`.
#[utoipa::path(get, path = "/v1/users", params(UserListQuery),
    responses((status = 200, body = UserList), (status = 400, body = ErrorBody)),
    security(("bearer" = [])), tag = "users")]
async fn list_users(
    State(app): State<AppState>,
    operator: Operator,
    Query(query): Query<UserListQuery>,
) -> Result<Json<UserList>, ApiError> {
    operator.require(READERS)?;
    let UserListQuery { limit, starting_after, external_id } = query;
    let page = PageQuery { limit, starting_after };
    let (limit, after) = (page.limit()?, page.starting_after()?);
    let found = match external_id {
        Some(external_id) => users::with_external_id(&app, operator.tenant_id(), &external_id).await?,
        None => users::list(&app, &operator.actor(), operator.tenant_id(), after, limit).await?,
    };
    Ok(Json(UserList { data: found.items.into_iter().map(response).collect(), has_more: found.has_more }))
}

/// Record the result of the operator's identity check; the user keeps the latest, and every
/// check is listed with who recorded it at `GET /v1/users/{id}/kyc-checks`.
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
    let request: KycRequest = parse_json(&body)?;
    let today = time::OffsetDateTime::now_utc().date();
    let kyc = Kyc::parse(&request.level, &request.legal_name, &request.birth_date, &request.document_ref, today)?;
    let answer = kyc::record(&app, &operator.actor(), tenant_id, &id, &kyc, retry(checked, user_json, None)).await?;
    respond(answer, |user| user_json(&user), None)
}

#[derive(Serialize, ToSchema)]
pub struct KycCheckResponse {
    /// `kyc_…`, in the order the checks were recorded.
    id: String,
    /// `none`, `basic` or `verified`.
    level: String,
    legal_name: String,
    /// The operator's reference to the document it checked.
    document_ref: String,
    /// Who recorded the check: `api_key:key_…` for an operator's API key, `operator:opu_…`
    /// for a console user.
    actor: String,
    created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct KycCheckList {
    data: Vec<KycCheckResponse>,
    has_more: bool,
}

fn check_response(check: KycCheck) -> KycCheckResponse {
    KycCheckResponse {
        id: check.id,
        level: check.level,
        legal_name: check.legal_name,
        document_ref: check.document_ref,
        actor: check.actor,
        created_at: rfc3339(check.at),
    }
}

/// List a user's identity checks, oldest first, a page at a time, each with who recorded
/// it (the birth date checked is not shown).
#[utoipa::path(get, path = "/v1/users/{id}/kyc-checks",
    params(("id" = String, Path, description = "The user id"), PageQuery),
    responses((status = 200, body = KycCheckList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "users")]
async fn list_kyc_checks(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<KycCheckList>, ApiError> {
    operator.require(READERS)?;
    let (limit, after) = (page.limit()?, page.starting_after()?);
    let found = kyc::checks(&app, &operator.actor(), operator.tenant_id(), &id, after, limit).await?;
    Ok(Json(KycCheckList { data: found.items.into_iter().map(check_response).collect(), has_more: found.has_more }))
}

/// Freeze a user (`admin`; the console's `support` too): their cash-out quotes, cash-outs,
/// confirmations and approvals of cash-outs still waiting, new payout destinations, gift-card
/// redemptions, remainder refunds and auto-cash-outs answer 409 `user_frozen` until they
/// are unfrozen; payments still work, and cash-outs already on their way go on. A user
/// frozen already answers 409 `invalid_state`, and the freeze on record stays as it was.
#[utoipa::path(post, path = "/v1/users/{id}/freeze", request_body = FreezeRequest,
    params(("id" = String, Path, description = "The user id"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = UserResponse), (status = 400, body = ErrorBody, description = "`invalid_reason`"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_state`: frozen already")),
    security(("bearer" = [])), tag = "users")]
async fn freeze_user(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    request: Once,
) -> Response {
    freezing(&app, &operator, &id, request, FREEZE).await
}

/// Lift a user's freeze (`admin`; the console's `support` too), saying why. A user not
/// frozen answers 409 `invalid_state`.
#[utoipa::path(post, path = "/v1/users/{id}/unfreeze", request_body = FreezeRequest,
    params(("id" = String, Path, description = "The user id"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = UserResponse), (status = 400, body = ErrorBody, description = "`invalid_reason`"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`invalid_state`: not frozen")),
    security(("bearer" = [])), tag = "users")]
async fn unfreeze_user(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    request: Once,
) -> Response {
    freezing(&app, &operator, &id, request, UNFREEZE).await
}

/// Freezes (`to_frozen`) or unfreezes user `id` once per key. The role is checked before the
/// key is claimed, so the key's later use by an allowed key is no replay.
async fn freezing(app: &AppState, operator: &Operator, id: &str, request: Once, to_frozen: bool) -> Response {
    if let Err(refused) = freeze::allowed(&operator.actor()) {
        return refused.into_response();
    }
    request
        .run_committed(&app.db, operator.tenant_id(), |body, checked| {
            change(app, operator, id, body, checked, to_frozen)
        })
        .await
}

const FREEZE: bool = true;
const UNFREEZE: bool = false;

/// Freezes ([`FREEZE`]) or unfreezes user `id`. Who may, and what a reason must be, is the
/// use case's to say, as it will be for the console.
async fn change(
    app: &AppState,
    operator: &Operator,
    id: &str,
    body: axum::body::Bytes,
    checked: Option<Checked>,
    to_frozen: bool,
) -> Result<Response, ApiError> {
    let request: FreezeRequest = parse_json(&body)?;
    let (actor, tenant_id, retry) = (operator.actor(), operator.tenant_id(), retry(checked, user_json, None));
    let answer = if to_frozen {
        freeze::freeze(app, &actor, tenant_id, id, &request.reason, retry).await?
    } else {
        freeze::unfreeze(app, &actor, tenant_id, id, &request.reason, retry).await?
    };
    respond(answer, |user| user_json(&user), None)
}
