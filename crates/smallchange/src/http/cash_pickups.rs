//! The cash-pickup rail over HTTP: operators register the agents who pay vouchers out
//! (each gets a key of its own, shown once), and an agent redeems a voucher with its code
//! and PIN. Agent keys are not operator keys: they reach the redeem route only, and an
//! operator key does not reach it at all. The rules live in [`crate::services::cashout::cash_pickup`].

use axum::extract::Query;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{self, Operator, READERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::idempotency::{self, Checked};
use super::paging::{self, PageQuery};
use super::submit::write_rows_sealed;
use super::users::rfc3339;
use super::AppState;
use crate::services::cashout::cash_pickup::{self as pickup, Keyed, Payout};
use crate::store::pickup::{self as store, Agent};
use crate::store::tenants::{hash_secret, new_id};

const AGENTS_PATH: &str = "/v1/cash-pickup-agents";
/// Longest agent name, in characters.
const AGENT_NAME_LEN_MAX: usize = 100;
/// Random characters in an agent key after `cpk_`: 36⁴⁰ ≈ 2²⁰⁶.
const AGENT_KEY_CHARS: usize = 40;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(AGENTS_PATH, post(create_agent).get(list_agents))
        .route("/v1/cash-pickup-agents/{id}", delete(revoke_agent))
        .route("/v1/cash-pickups/{code}/redeem", post(redeem))
}

/// The agent whose key is in `Authorization: Bearer <agent key>`.
pub struct AgentKey(pub Agent);

impl FromRequestParts<AppState> for AgentKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<AgentKey, ApiError> {
        let hash = hash_secret(auth::bearer(parts)?);
        let agent = store::agent_by_key(&app.db, &hash).await?.ok_or_else(|| {
            ApiError::unauthenticated("invalid_agent_key", "this is not the key of a cash-pickup agent")
        })?;
        app.limiter.check(&hash).map_err(ApiError::rate_limited)?;
        Ok(AgentKey(agent))
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentRequest {
    /// Who the agent is, e.g. the shop: 1 to 100 characters.
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct AgentResponse {
    /// `cpa_…`: the agent names itself with it when redeeming.
    id: String,
    name: String,
    /// The agent's key (`cpk_…`), shown only in this answer; kept only as a hash.
    key: String,
    created_at: String,
}

/// Register a cash-pickup agent; the answer shows its key, once.
#[utoipa::path(post, path = "/v1/cash-pickup-agents", request_body = AgentRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = AgentResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash pickup")]
async fn create_agent(
    State(app): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id();
    let checked = crate::keyed!(idempotency::check_sealed(&app.db, &app.secrets, &headers, tenant, AGENTS_PATH, &body));
    let request: AgentRequest = parse_json(&body)?;
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > AGENT_NAME_LEN_MAX {
        return Err(ApiError::invalid("invalid_name", "name is 1 to 100 characters", "name"));
    }
    let created_at = app.clock.now_us();
    let agent = Agent {
        id: crate::ids::time_ordered("cpa", created_at),
        tenant_id: tenant.to_string(),
        name: name.to_string(),
        created_at,
    };
    let key = new_id("cpk", AGENT_KEY_CHARS);
    let row = store::agent_row(&agent, &hash_secret(&key));
    let answer = AgentResponse { id: agent.id, name: agent.name, key, created_at: rfc3339(created_at) };
    let body = serde_json::to_string(&answer).expect("an agent serializes");
    write_rows_sealed(&app, checked, vec![row], body).await
}

/// An agent as listed: never its key.
#[derive(Serialize, ToSchema)]
pub struct ListedAgent {
    id: String,
    name: String,
    created_at: String,
    /// When its key was revoked; from then on the key is refused.
    revoked_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AgentList {
    data: Vec<ListedAgent>,
    has_more: bool,
}

fn listed(found: store::Listed) -> ListedAgent {
    ListedAgent {
        id: found.agent.id,
        name: found.agent.name,
        created_at: rfc3339(found.agent.created_at),
        revoked_at: found.revoked_at.map(rfc3339),
    }
}

/// The tenant's cash-pickup agents, oldest first.
#[utoipa::path(get, path = "/v1/cash-pickup-agents", params(PageQuery),
    responses((status = 200, body = AgentList), (status = 400, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash pickup")]
async fn list_agents(
    State(app): State<AppState>,
    operator: Operator,
    Query(page): Query<PageQuery>,
) -> Result<Json<AgentList>, ApiError> {
    operator.require(READERS)?;
    let limit = page.limit()?;
    let found = store::agents(&app.db, operator.tenant_id(), page.starting_after()?, limit + 1).await?;
    let (found, has_more) = paging::page(found, limit);
    Ok(Json(AgentList { data: found.into_iter().map(listed).collect(), has_more }))
}

/// Revoke an agent's key: it is refused from now on (a lost or leaked key, a closed shop).
#[utoipa::path(delete, path = "/v1/cash-pickup-agents/{id}", params(("id" = String, Path, description = "The agent id")),
    responses((status = 200, body = ListedAgent), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "cash pickup")]
async fn revoke_agent(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<ListedAgent>, ApiError> {
    operator.require(WRITERS)?;
    let found = store::revoke(&app.db, operator.tenant_id(), &id, app.clock.now_us()).await?;
    let found = found.ok_or_else(|| ApiError::not_found(format!("no cash-pickup agent {id}")))?;
    Ok(Json(listed(found)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    /// The six-digit PIN the user was sent with the code.
    pin: String,
    /// The agent paying out: the agent of the key.
    agent_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct RedeemResponse {
    cashout_id: String,
    voucher_id: String,
    /// What to hand over in cash: the quote's net, in minor units.
    amount: i64,
    currency: String,
    /// `paid`.
    status: String,
    redeemed_at: String,
}

/// Pay a cash-pickup voucher out (agent key): the right PIN marks the cash-out paid.
///
/// With an `Idempotency-Key` (scoped to the agent), a retry whose first answer was lost gets
/// that answer again; the answer is kept in the transaction that pays the voucher out.
#[utoipa::path(post, path = "/v1/cash-pickups/{code}/redeem", request_body = RedeemRequest,
    params(("code" = String, Path, description = "The voucher code, e.g. 1234-5678-9012 (dashes optional)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key, scoped to the agent")),
    responses((status = 200, body = RedeemResponse), (status = 400, body = ErrorBody, description = "`pin_invalid`, with the attempts left"),
        (status = 401, body = ErrorBody, description = "not an agent's key"), (status = 403, body = ErrorBody, description = "`agent_id` is not the key's agent"),
        (status = 404, body = ErrorBody, description = "no voucher has this code"),
        (status = 409, body = ErrorBody, description = "`voucher_locked`, `voucher_expired`, `invalid_state` (paid out already), `idempotency_key_reused`")),
    security(("bearer" = [])), tag = "cash pickup")]
async fn redeem(
    State(app): State<AppState>,
    AgentKey(agent): AgentKey,
    Path(code): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let path = format!("/v1/cash-pickups/{code}/redeem");
    let scope = idempotency::agent_scope(&agent.tenant_id, &agent.id);
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, &scope, &path, &body));
    let request: RedeemRequest = parse_json(&body)?;
    if request.agent_id != agent.id {
        return Err(ApiError::forbidden("agent_id is not the agent this key belongs to"));
    }
    let render = |payout: &Payout| serde_json::to_string(&redeem_response(payout)).expect("a payout serializes");
    let key = checked.map(Checked::into_parts);
    let keyed = key.clone().map(|(scoped_key, request_hash)| Keyed { scoped_key, request_hash, render: &render });
    match pickup::redeem(&app, &agent, &code, &request.pin, keyed).await {
        Ok(payout) => Ok(Json(redeem_response(&payout)).into_response()),
        // A request under the same key may have paid the voucher while this one ran (a
        // retry racing its first attempt): its answer, or the 409 if it was another request.
        Err(error) => match key {
            Some((scoped_key, request_hash)) => {
                idempotency::earlier_answer(&app.db, &scoped_key, &request_hash, None).await?.ok_or(error)
            }
            None => Err(error),
        },
    }
}

fn redeem_response(payout: &Payout) -> RedeemResponse {
    RedeemResponse {
        cashout_id: payout.cashout_id.clone(),
        voucher_id: payout.voucher_id.clone(),
        amount: payout.amount,
        currency: payout.currency.clone(),
        status: "paid".into(),
        redeemed_at: rfc3339(payout.redeemed_at),
    }
}
