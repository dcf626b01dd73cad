//! Payout destinations: a bank account, e-wallet or cash-pickup network a user's cash-outs
//! may go to. The holder must be the user: the holder name has to match the legal name the
//! operator recorded at KYC, after normalisation. Each records who registered it, and is
//! recorded as `destination.added` with its account number and holder name as personal data.

use serde_json::json;

use super::existing;
use super::freeze::refuse_frozen;
use crate::context::Context;
use crate::domain::destination::{normalized_name, Destination};
use crate::events::{Happened, Kind};
use crate::services::commit::{write_rows_recording, Answer, Retry};
use crate::services::page::{fetch_limit, Page};
use crate::services::{Actor, Error};
use crate::store::destinations::{self, StoredDestination};

/// Registers `destination` (checked, see [`Destination::checked`]) for user `user_id`, once
/// per retry key, recording `actor` as who registered it; none for a frozen user
/// (`user_frozen`).
pub async fn add(
    ctx: &Context,
    actor: &Actor,
    tenant_id: &str,
    user_id: &str,
    destination: &Destination,
    retry: Option<Retry<StoredDestination>>,
) -> Result<Answer<StoredDestination>, Error> {
    let user = existing(ctx, tenant_id, user_id).await?;
    refuse_frozen(&user)?;
    let legal_name = user.legal_name.ok_or_else(|| {
        Error::bad_request("kyc_required", "record the user's identity check (POST /v1/users/{id}/kyc) first")
    })?;
    let holder_name = destination.holder_name().unwrap_or(&legal_name).to_string();
    if normalized_name(&holder_name) != normalized_name(&legal_name) {
        let message = "holder_name does not match the user's legal name";
        return Err(Error::invalid("name_mismatch", message, "holder_name"));
    }
    let verified = user.kyc_level == "verified";
    let (stored, row) = destinations::new_destination(
        &ctx.secrets,
        tenant_id,
        &user.id,
        destination,
        &holder_name,
        verified,
        &actor.recorded(),
    );
    let event = added_event(tenant_id, actor, &user.id, &stored, destination);
    write_rows_recording(ctx, retry, vec![row], event, stored).await
}

/// `destination.added`: whose, of what type and where; the account number (or wallet id)
/// and the holder's name as personal data.
fn added_event(
    tenant_id: &str,
    actor: &Actor,
    user_id: &str,
    stored: &StoredDestination,
    destination: &Destination,
) -> Happened {
    let mut data = json!({"user_id": user_id, "type": stored.type_name, "verified": stored.verified});
    let mut personal = Vec::new();
    match destination {
        Destination::BankAccount { bank_code, account_number, .. } => {
            data["bank_code"] = json!(bank_code);
            personal.push(("account_number", account_number.as_str()));
        }
        Destination::EWallet { provider, wallet_id, .. } => {
            data["provider"] = json!(provider);
            personal.push(("wallet_id", wallet_id.as_str()));
        }
        Destination::CashPickup { network } => data["network"] = json!(network),
    }
    personal.push(("holder_name", stored.holder_name.as_str()));
    let event = Happened::new(tenant_id, actor, &stored.id, Kind::DestinationAdded, data, stored.created_at);
    personal.into_iter().fold(event, |event, (field, value)| event.with_personal(user_id, field, value))
}

/// A page of user `user_id`'s destinations, newest first.
pub async fn of_user(
    ctx: &Context,
    _actor: &Actor,
    tenant_id: &str,
    user_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Page<StoredDestination>, Error> {
    let user = existing(ctx, tenant_id, user_id).await?;
    let found = destinations::of_user(&ctx.db, tenant_id, &user.id, before, fetch_limit(limit)).await?;
    Ok(Page::of(found, limit))
}
