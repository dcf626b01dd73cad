//! The users family: a tenant's users (create, read, list), the operator's identity checks
//! and their history ([`kyc`]), a user's TOTP authenticator ([`totp`]) and the payout
//! destinations a user's cash-outs may go to ([`destinations`]).

pub mod destinations;
pub mod kyc;
pub mod totp;

use super::commit::{key_reused, Answer, Retry};
use super::page::{fetch_limit, Page};
use super::{Actor, Error};
use crate::context::Context;
use crate::domain::user::NewUser;
use crate::store::users::{self, Creation, User};

/// Creates a user, once per retry key. The user and the written-down answer commit in one
/// transaction, so a retry racing its first attempt gets that attempt's answer. Who asked
/// is not recorded: a user's history starts with its identity checks.
pub async fn create(
    ctx: &Context,
    _actor: &Actor,
    tenant_id: &str,
    new: &NewUser,
    retry: Option<Retry<User>>,
) -> Result<Answer<User>, Error> {
    // The store calls it only when there is a key to keep the answer under.
    let write_down = retry.as_ref().map(|retry| retry.write_down.clone());
    let render = move |user: &User| write_down.as_ref().map(|write_down| write_down(Ok(user))).unwrap_or_default();
    let request_hash = retry.as_ref().map(|retry| retry.request_hash.clone());
    let answer = retry.map(|retry| users::Answer {
        scoped_key: retry.scoped_key,
        request_hash: retry.request_hash,
        render: &render,
    });
    match users::create(&ctx.db, tenant_id, new, answer).await? {
        Creation::Created(user) => Ok(Answer::Done(user)),
        Creation::Answered(first) if Some(&first.request_hash) == request_hash.as_ref() => Ok(Answer::Again(first)),
        Creation::Answered(_) => Err(key_reused()),
        Creation::ExternalIdTaken(holder) => {
            let message = format!("user {holder} already has this external_id");
            Err(Error::conflict("user_exists", message).with_param("external_id"))
        }
    }
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
