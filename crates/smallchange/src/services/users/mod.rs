//! The users family: a tenant's users (create, read, list), the operator's identity checks
//! and their history ([`kyc`]), a user's TOTP authenticator ([`totp`]), the payout
//! destinations a user's cash-outs may go to ([`destinations`]) and freezing a user
//! ([`freeze`]).

pub mod destinations;
pub mod erase;
pub mod freeze;
pub mod kyc;
pub mod totp;

use std::sync::Arc;

use serde_json::json;

use super::commit::{commit, refused, Answer, Retry};
use super::page::{fetch_limit, Page};
use super::{Actor, Error};
use crate::context::Context;
use crate::domain::user::NewUser;
use crate::events::{Happened, Kind};
use crate::store::users::{self, User};
use crate::unit::{Guard, Refusal, Unit, UnitOutput};

/// Creates a user, once per retry key, recorded as `user.created` by `actor` (the phone
/// and name as personal data). The user, the event and the written-down answer commit in
/// one unit standing on the user's insert, so a retry racing its first attempt gets that
/// attempt's answer, and a taken external id writes nothing.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    tenant_id: &str,
    new: &NewUser,
    retry: Option<Retry<User>>,
) -> Result<Answer<User>, Error> {
    let user = users::new_user(new, crate::store::now_us());
    // Read first only to name the holder in the refusal; the insert decides.
    let holder = users::by_external_id(&ctx.db, tenant_id, &user.external_id).await?.map(|holder| holder.id);
    let guard = Guard { row: users::insert_row(tenant_id, &user), refusal: taken(holder.as_deref()) };
    let data = json!({"external_id": user.external_id, "kyc_level": user.kyc_level});
    let mut event = Happened::new(tenant_id, actor, &user.id, Kind::UserCreated, data, user.created_at).with_personal(
        &user.id,
        "phone",
        &user.phone,
    );
    if let Some(name) = &user.name {
        event = event.with_personal(&user.id, "name", name);
    }
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), Vec::new()).with_event(event).with_guard(guard);
    let interpret = Arc::new(move |outcome: &UnitOutput| match refused(outcome) {
        Some(error) => Err(error.with_param("external_id")),
        None => Ok(user.clone()),
    });
    let answer = commit(ctx, retry, unit, interpret).await;
    match answer {
        Err(error) if error.code() == "user_exists" && holder.is_none() => {
            // Taken between the read and the insert: name the holder now.
            let holder = users::by_external_id(&ctx.db, tenant_id, new.external_id().as_str()).await?;
            Err(taken_error(holder.map(|h| h.id).as_deref()))
        }
        other => other,
    }
}

/// The refusal of a user whose external id `holder` has.
fn taken(holder: Option<&str>) -> Refusal {
    let message = match holder {
        Some(holder) => format!("user {holder} already has this external_id"),
        None => "another user already has this external_id".to_string(),
    };
    Refusal::new("user_exists", message)
}

fn taken_error(holder: Option<&str>) -> Error {
    let refusal = taken(holder);
    Error::conflict(refusal.code, refusal.message).with_param("external_id")
}

/// The tenant's user `id`.
pub async fn get(ctx: &Context, _actor: &Actor, tenant_id: &str, id: &str) -> Result<User, Error> {
    existing(ctx, tenant_id, id).await
}

/// A page of the tenant's users, oldest first, after the user `starting_after`.
pub async fn list(
    ctx: &Context,
    _actor: &Actor,
    tenant_id: &str,
    starting_after: Option<&str>,
    limit: i64,
) -> Result<Page<User>, Error> {
    let found = users::list(&ctx.db, tenant_id, starting_after, fetch_limit(limit)).await?;
    Ok(Page::of(found, limit))
}

/// The tenant's user whose operator's own id is `external_id`, as a page of at most one
/// (a list filtered by `external_id` answers like any list).
pub async fn with_external_id(ctx: &Context, tenant_id: &str, external_id: &str) -> Result<Page<User>, Error> {
    let found = users::by_external_id(&ctx.db, tenant_id, external_id).await?;
    Ok(Page { items: found.into_iter().collect(), has_more: false })
}

/// The tenant's user `id`, or the not-found error naming it: for every use case that acts
/// on a user.
pub async fn existing(ctx: &Context, tenant_id: &str, id: &str) -> Result<User, Error> {
    users::get(&ctx.db, tenant_id, id).await?.ok_or_else(|| no_user(id))
}

/// The not-found error for a user id the tenant does not have.
pub fn no_user(id: &str) -> Error {
    Error::not_found(format!("no user {id}"))
}
