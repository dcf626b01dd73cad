//! The operator's identity checks of a user: each is recorded with who made it (and as
//! `user.kyc_recorded`, its name, birth date and document as personal data), the user keeps
//! the latest, and the history lists them all.

use serde_json::json;

use super::existing;
use crate::context::Context;
use crate::domain::user::Kyc;
use crate::events::{Happened, Kind};
use crate::services::commit::{write_rows_recording, Answer, Retry};
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
    let at = crate::store::now_us();
    let check_id = crate::ids::time_ordered("kyc", at);
    let check = users::kyc_check_row(tenant_id, &user.id, kyc, &actor.recorded(), &check_id, at);
    let data = json!({"level": kyc.level().as_str(), "check_id": check_id});
    let event = Happened::new(tenant_id, actor, &user.id, Kind::KycRecorded, data, at)
        .with_personal(&user.id, "legal_name", kyc.legal_name().as_str())
        .with_personal(&user.id, "birth_date", &kyc.birth_date())
        .with_personal(&user.id, "document_ref", kyc.document_ref());
    let checked = User {
        kyc_level: kyc.level().as_str().to_string(),
        legal_name: Some(kyc.legal_name().as_str().to_string()),
        ..user
    };
    write_rows_recording(ctx, retry, vec![latest, check], event, checked).await
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
