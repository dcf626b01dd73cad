//! The operator's identity checks of a user: each is recorded with who made it, the user
//! keeps the latest, and the history lists them all.

use super::existing;
use crate::context::Context;
use crate::domain::user::Kyc;
use crate::services::commit::{write_rows, Answer, Retry};
use crate::services::page::{fetch_limit, Page};
use crate::services::{Actor, Error};
use crate::store::users::{self, KycCheck, User};

/// Records an identity check of user `user_id` made by `actor`: the user's latest record
/// and the check appended to its history, in one unit, once per retry key. Answers the
/// user as it is after the check.
pub async fn record(
    ctx: &Context,
    actor: &Actor,
    tenant_id: &str,
    user_id: &str,
    kyc: &Kyc,
    retry: Option<Retry<User>>,
) -> Result<Answer<User>, Error> {
    let user = existing(ctx, tenant_id, user_id).await?;
    let latest = users::kyc_row(tenant_id, &user.id, kyc);
    let check = users::kyc_check_row(tenant_id, &user.id, kyc, &actor.recorded(), crate::store::now_us());
    let checked = User {
        kyc_level: kyc.level().as_str().to_string(),
        legal_name: Some(kyc.legal_name().as_str().to_string()),
        ..user
    };
    write_rows(ctx, retry, vec![latest, check], checked).await
}

/// A page of user `user_id`'s identity checks, oldest first, after the check
/// `starting_after`.
pub async fn checks(
    ctx: &Context,
    _actor: &Actor,
    tenant_id: &str,
    user_id: &str,
    starting_after: Option<&str>,
    limit: i64,
) -> Result<Page<KycCheck>, Error> {
    let user = existing(ctx, tenant_id, user_id).await?;
    let found = users::kyc_checks(&ctx.db, tenant_id, &user.id, starting_after, fetch_limit(limit)).await?;
    Ok(Page::of(found, limit))
}
