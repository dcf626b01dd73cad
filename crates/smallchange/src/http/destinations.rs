//! `POST /v1/users/{id}/payout-destinations`: a bank account, e-wallet or cash-pickup
//! network a user's cash-outs may go to (the use case is
//! [`crate::services::users::destinations`]). The holder must be the user: the holder name
//! has to match the legal name the operator recorded at KYC, after normalisation.

use super::path::Path;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Json;
use axum::Router;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, READERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::paging::PageQuery;
use super::query::Query;
use super::submit::{respond, retry};
use super::{idempotency, AppState};
use crate::domain::destination::Destination;
use crate::services::users::destinations;
use crate::store::destinations::StoredDestination;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/users/{id}/payout-destinations", post(create_destination).get(list_destinations))
}

/// One of three kinds of destination, told apart by `type`. Its schema is written out by
/// hand (see [`destination_schema`]): each branch names its own `type`, so exactly one
/// branch fits any body.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DestinationRequest {
    BankAccount(BankAccountInput),
    EWallet(EWalletInput),
    CashPickup(CashPickupInput),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankAccountInput {
    bank_code: String,
    account_number: String,
    holder_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EWalletInput {
    provider: String,
    wallet_id: String,
    holder_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CashPickupInput {
    network: String,
}

impl utoipa::PartialSchema for DestinationRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        destination_schema()
    }
}

impl ToSchema for DestinationRequest {}

/// `oneOf` the three kinds, each an object whose `type` is its own constant and which
/// takes no other fields than its own.
fn destination_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let text = |description: &str| serde_json::json!({"type": "string", "description": description});
    let branch = |kind: &str, fields: serde_json::Value| {
        let mut properties = serde_json::json!({"type": {"type": "string", "enum": [kind]}});
        let mut required = vec![serde_json::json!("type")];
        for (name, schema) in fields.as_object().expect("an object of fields") {
            properties[name] = schema.clone();
            required.push(name.as_str().into());
        }
        serde_json::json!({"type": "object", "required": required, "properties": properties, "additionalProperties": false})
    };
    let schema = serde_json::json!({"oneOf": [
        branch("bank_account", serde_json::json!({
            "bank_code": text("The bank's code (e.g. `004`) or BIC: 2 to 11 letters or digits."),
            "account_number": text("6 to 20 digits; dashes and spaces are allowed and dropped."),
            "holder_name": text("The account holder: must match the user's KYC legal name."),
        })),
        branch("e_wallet", serde_json::json!({
            "provider": text("The e-wallet provider: 1 to 32 of a-z, 0-9, _ and -."),
            "wallet_id": text("The user's id at the provider."),
            "holder_name": text("The wallet holder: must match the user's KYC legal name."),
        })),
        branch("cash_pickup", serde_json::json!({
            "network": text("The cash-pickup network the voucher is collected from."),
        })),
    ]});
    serde_json::from_value(schema).expect("the destination schema is a schema")
}

#[derive(Serialize, ToSchema)]
pub struct DestinationResponse {
    id: String,
    #[serde(rename = "type")]
    type_name: &'static str,
    /// The account or wallet number with all but its last four characters hidden.
    masked: String,
    holder_name: String,
    /// The holder name matched a `verified` KYC record.
    verified: bool,
    /// Who registered it: `api_key:key_…` for an operator's API key, `operator:opu_…` for a
    /// console user; empty for one registered before this was recorded.
    created_by: String,
    created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct DestinationList {
    data: Vec<DestinationResponse>,
    has_more: bool,
}

impl DestinationRequest {
    /// The destination as asked for, not yet checked.
    fn into_destination(self) -> Destination {
        match self {
            DestinationRequest::BankAccount(b) => Destination::BankAccount {
                bank_code: b.bank_code,
                account_number: b.account_number,
                holder_name: b.holder_name,
            },
            DestinationRequest::EWallet(w) => {
                Destination::EWallet { provider: w.provider, wallet_id: w.wallet_id, holder_name: w.holder_name }
            }
            DestinationRequest::CashPickup(c) => Destination::CashPickup { network: c.network },
        }
    }
}

fn response(stored: &StoredDestination) -> DestinationResponse {
    DestinationResponse {
        id: stored.id.clone(),
        type_name: stored.type_name,
        masked: stored.masked.clone(),
        holder_name: stored.holder_name.clone(),
        verified: stored.verified,
        created_by: stored.created_actor.clone(),
        created_at: super::users::rfc3339(stored.created_at),
    }
}

fn to_json(stored: &StoredDestination) -> String {
    serde_json::to_string(&response(stored)).expect("a destination serializes")
}

/// List a user's payout destinations, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/users/{id}/payout-destinations",
    params(("id" = String, Path, description = "The user id"), PageQuery),
    responses((status = 200, body = DestinationList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "users")]
async fn list_destinations(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<DestinationList>, ApiError> {
    operator.require(READERS)?;
    let (limit, before) = (page.limit()?, page.starting_after()?);
    let found = destinations::of_user(&app, &operator.actor(), operator.tenant_id(), &user_id, before, limit).await?;
    Ok(Json(DestinationList { data: found.items.iter().map(response).collect(), has_more: found.has_more }))
}

/// Register a payout destination for a user.
#[utoipa::path(post, path = "/v1/users/{id}/payout-destinations", request_body = DestinationRequest,
    params(("id" = String, Path, description = "The user id"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = DestinationResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`user_frozen`")),
    security(("bearer" = [])), tag = "users")]
async fn create_destination(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let path = format!("/v1/users/{user_id}/payout-destinations");
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, operator.tenant_id(), &path, &body));
    // A body that is not a JSON object is answered as such before its type is looked at.
    let shape: serde_json::Value = parse_json(&body)?;
    if !matches!(shape["type"].as_str(), Some("bank_account" | "e_wallet" | "cash_pickup")) {
        let message = "type is bank_account, e_wallet or cash_pickup";
        return Err(ApiError::invalid("invalid_destination_type", message, "type"));
    }
    let destination = parse_json::<DestinationRequest>(&body)?.into_destination().checked()?;
    let retry = retry(checked, to_json, None);
    let answer =
        destinations::add(&app, &operator.actor(), operator.tenant_id(), &user_id, &destination, retry).await?;
    respond(answer, |stored| to_json(&stored), None)
}
