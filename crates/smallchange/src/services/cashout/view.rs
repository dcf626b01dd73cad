//! Reading cash-outs as they are shown: each with its destination and its timeline, one by
//! id, a user's, and the receipt of a confirmed one.

use std::collections::HashMap;

use crate::context::Context;
use crate::domain::cashout_policy::Operator;
use crate::services::Error;
use crate::store::cashouts::{self, Cashout, Event};
use crate::store::destinations::{self, DestinationRecord};

/// A cash-out with what is shown beside it.
#[derive(Clone, Debug)]
pub struct Detailed {
    pub cashout: Cashout,
    pub destination: DestinationRecord,
    /// Its steps, oldest first.
    pub timeline: Vec<Event>,
}

/// `cashout` with its destination and timeline, read now.
pub async fn detailed(ctx: &Context, tenant: &str, cashout: Cashout) -> Result<Detailed, Error> {
    let destination = destination_of(ctx, tenant, &cashout).await?;
    let timeline = cashouts::timeline(&ctx.db, &cashout.id).await?;
    Ok(Detailed { cashout, destination, timeline })
}

/// The destination a cash-out pays.
pub async fn destination_of(ctx: &Context, tenant: &str, cashout: &Cashout) -> Result<DestinationRecord, Error> {
    let found = destinations::get(&ctx.db, tenant, &cashout.quote.destination_id).await?;
    found.ok_or_else(|| Error::internal(format!("cash-out {} has no destination", cashout.id)))
}

/// A cash-out by id.
pub async fn get(ctx: &Context, tenant: &str, id: &str) -> Result<Detailed, Error> {
    let cashout = super::flow::load(ctx, tenant, id).await?;
    detailed(ctx, tenant, cashout).await
}

/// Each of `found`, detailed.
pub async fn all_detailed(ctx: &Context, tenant: &str, found: Vec<Cashout>) -> Result<Vec<Detailed>, Error> {
    let mut data = Vec::with_capacity(found.len());
    for cashout in found {
        data.push(detailed(ctx, tenant, cashout).await?);
    }
    Ok(data)
}

/// A user's cash-outs, newest first, created before `before`: at most `limit`, and whether more follow.
pub async fn of_user(
    ctx: &Context,
    tenant: &str,
    user_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<(Vec<Detailed>, bool), Error> {
    let user = super::existing_user(ctx, tenant, user_id).await?;
    let found = cashouts::for_user(&ctx.db, tenant, &user.id, before, limit + 1).await?;
    let (found, has_more) = super::page(found, limit);
    Ok((all_detailed(ctx, tenant, found).await?, has_more))
}

/// The status of each of `user_id`'s cash-outs `ids` (how it ended: `failed`, `canceled` …),
/// by id; an id that is not one of theirs is left out.
pub async fn statuses(
    ctx: &Context,
    tenant: &str,
    user_id: &str,
    ids: &[&str],
) -> Result<HashMap<String, String>, Error> {
    let mut found = HashMap::new();
    for id in ids {
        if let Some(cashout) = cashouts::get(&ctx.db, tenant, id).await?.filter(|c| c.quote.user_id == user_id) {
            found.insert(cashout.id, cashout.status);
        }
    }
    Ok(found)
}

/// What a receipt shows: the cash-out, where it went, and who paid it out.
#[derive(Clone, Debug)]
pub struct Receipt {
    pub cashout: Cashout,
    pub confirmed_at: i64,
    /// The destination as shown (masked); empty if it is gone.
    pub destination: String,
    /// Who paid it out, as every page and SMS names them ([`crate::services::operator`]).
    pub operator: Operator,
    /// Its steps, oldest first: when it ended, if it did.
    pub timeline: Vec<Event>,
    /// The tenant's zone (the wallet policy's `month_utc_offset_minutes`), for showing times.
    pub utc_offset_minutes: i32,
}

/// The receipt of a cash-out, from its confirmation on.
pub async fn receipt(ctx: &Context, tenant: &str, id: &str) -> Result<Receipt, Error> {
    let cashout = super::flow::load(ctx, tenant, id).await?;
    let Some(confirmed_at) = cashout.confirmed_at else {
        return Err(Error::conflict("invalid_state", "a receipt exists once the cash-out is confirmed"));
    };
    let operator = crate::services::operator::of(ctx, tenant).await?;
    let destination =
        destinations::get(&ctx.db, tenant, &cashout.quote.destination_id).await?.map(|d| d.masked).unwrap_or_default();
    let timeline = cashouts::timeline(&ctx.db, &cashout.id).await?;
    Ok(Receipt {
        cashout,
        confirmed_at,
        destination,
        operator,
        timeline,
        utc_offset_minutes: ctx.settings.wallet_policy(tenant).month_utc_offset_minutes,
    })
}
