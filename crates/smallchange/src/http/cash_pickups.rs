//! The cash-pickup rail over HTTP: operators register the agents who pay vouchers out
//! (each gets a key of its own, shown once), and an agent redeems a voucher with its code
//! and PIN. Agent keys are not operator keys: they reach the redeem route only, and an
//! operator key does not reach it at all. The rules live in [`crate::services::cashout::cash_pickup`].

use super::path::Path;
use super::query::Query;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{self, Operator, READERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::idempotency;
use super::paging::PageQuery;
use super::submit;
use super::users::rfc3339;
use super::AppState;
use crate::domain::text::Text;
use crate::services::cashout::cash_pickup::{self as pickup, NewAgent, Payout};
use crate::store::pickup::{self as store, Agent};
use crate::store::tenants::hash_secret;

const AGENTS_PATH: &str = "/v1/cash-pickup-agents";
/// Longest agent name, in characters.
const AGENT_NAME_LEN_MAX: usize = 100;

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
        if let Some(facts) = parts.extensions.get::<super::request_log::RequestFacts>() {
            facts.set_tenant(&agent.tenant_id);
        }
        app.limiter.check(&hash).map_err(ApiError::key_rate_limited)?;
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
    let name = Text::parse(&request.name, AGENT_NAME_LEN_MAX)
        .ok_or_else(|| ApiError::invalid("invalid_name", "name is 1 to 100 characters", "name"))?;
    let retry = submit::retry(checked, agent_json, Some(app.secrets.clone()));
    let answer = pickup::register_agent(&app, tenant, name, retry).await?;
    submit::respond(answer, |new| agent_json(&new), Some(&app.secrets))
}

fn agent_json(new: &NewAgent) -> String {
    let NewAgent { agent, key } = new;
    let answer = AgentResponse {
        id: agent.id.clone(),
        name: agent.name.clone(),
        key: key.clone(),
        created_at: rfc3339(agent.created_at),
    };
    serde_json::to_string(&answer).expect("an agent serializes")
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
    let (limit, after) = (page.limit()?, page.starting_after()?);
    let (found, has_more) = pickup::agents(&app, operator.tenant_id(), after, limit).await?;
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
    Ok(Json(listed(pickup::revoke_agent(&app, operator.tenant_id(), &id).await?)))
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
    let retry = submit::retry(checked, payout_json, None);
    let answer = pickup::redeem(&app, &agent, &code, &request.pin, retry).await?;
    submit::respond(answer, |payout| payout_json(&payout), None)
}

fn payout_json(payout: &Payout) -> String {
    serde_json::to_string(&redeem_response(payout)).expect("a payout serializes")
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
