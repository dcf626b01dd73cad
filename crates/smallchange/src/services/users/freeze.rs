//! Freezing a user: an operator (`admin` or `support`) stops, while a concern is looked
//! into, everything that would take value out of the wallet or open a new way to: cash-out
//! quotes, cash-outs made from quotes, confirmations and approvals of cash-outs still
//! waiting, new payout destinations, gift-card redemptions, remainder refunds and
//! auto-cash-outs. Payments still work, and a cash-out already sent on its way (confirmed,
//! or approved) goes on to its end: stopping money mid-rail would leave it nowhere.
//!
//! Each of those use cases asks [`refuse_frozen`] (or [`not_frozen`]) once, so the API and
//! the wallet refuse alike, with `user_frozen` (409). The operator's reason may concern a
//! report the user must not learn of: it is shown to operators only, and the wallet is told
//! no more than [`paused`] says.
//!
//! Freezing a frozen user, or unfreezing one that is not, is refused with `invalid_state`
//! and changes nothing: the freeze on record (who, when, why) is never silently replaced.

use std::sync::Arc;

use serde_json::json;

use super::existing;
use crate::context::Context;
use crate::domain::text::Text;
use crate::events::{Happened, Kind};
use crate::services::commit::{commit, refused, Answer, Retry};
use crate::services::{operator, Actor, Error};
use crate::store::tenants::Role;
use crate::store::users::{self, Frozen, User};
use crate::unit::{Guard, Refusal, Unit, UnitOutput};

/// Longest reason an operator gives for freezing or unfreezing, in characters.
pub const REASON_LEN_MAX: usize = 500;

/// The roles that may freeze and unfreeze users.
const MAY_FREEZE: &[Role] = &[Role::Admin, Role::Support];

/// Freezes user `user_id` for `reason` (see [`reason_of`]), asked by `actor`: an operator
/// of a role in [`MAY_FREEZE`] (anyone else is refused first, `permission_denied`).
/// Recorded as `user.frozen`, once per retry key: the freeze and its event commit in one
/// unit standing on the user not being frozen. Answers the user, frozen.
pub async fn freeze(
    ctx: &Context,
    actor: &Actor,
    tenant_id: &str,
    user_id: &str,
    reason: &str,
    retry: Option<Retry<User>>,
) -> Result<Answer<User>, Error> {
    allowed(actor)?;
    let reason = reason_of(reason)?;
    let user = existing(ctx, tenant_id, user_id).await?;
    if user.frozen.is_some() {
        return Err(Error::conflict("invalid_state", format!("user {} is frozen already", user.id)));
    }
    let at = ctx.clock.now_us();
    let frozen = Frozen { at, by: actor.recorded(), reason: reason.as_str().to_string() };
    let guard = Guard {
        row: users::freeze_row(tenant_id, &user.id, &frozen),
        refusal: Refusal::new("invalid_state", format!("user {} is frozen already", user.id)),
    };
    let data = json!({ "reason": reason.as_str() });
    let event = Happened::new(tenant_id, actor, &user.id, Kind::UserFrozen, data, at);
    let after = User { frozen: Some(frozen), ..user };
    standing_on(ctx, retry, guard, event, after).await
}

/// Lifts the freeze of user `user_id`, saying why, asked by `actor` (as for [`freeze`]),
/// recorded as `user.unfrozen`, once per retry key. Answers the user, no longer frozen.
pub async fn unfreeze(
    ctx: &Context,
    actor: &Actor,
    tenant_id: &str,
    user_id: &str,
    reason: &str,
    retry: Option<Retry<User>>,
) -> Result<Answer<User>, Error> {
    allowed(actor)?;
    let reason = reason_of(reason)?;
    let user = existing(ctx, tenant_id, user_id).await?;
    if user.frozen.is_none() {
        return Err(Error::conflict("invalid_state", format!("user {} is not frozen", user.id)));
    }
    let guard = Guard {
        row: users::unfreeze_row(tenant_id, &user.id),
        refusal: Refusal::new("invalid_state", format!("user {} is not frozen", user.id)),
    };
    let data = json!({ "reason": reason.as_str() });
    let event = Happened::new(tenant_id, actor, &user.id, Kind::UserUnfrozen, data, ctx.clock.now_us());
    let after = User { frozen: None, ..user };
    standing_on(ctx, retry, guard, event, after).await
}

/// Whether `actor` may freeze and unfreeze users: an operator of a role in [`MAY_FREEZE`],
/// else `permission_denied`. [`freeze`] and [`unfreeze`] ask it first; a door may ask it
/// before it does anything else (the API, before it claims an `Idempotency-Key`).
pub fn allowed(actor: &Actor) -> Result<(), Error> {
    actor.may(MAY_FREEZE, "freeze or unfreeze a user")
}

/// The reason as given: trimmed, 1 to [`REASON_LEN_MAX`] characters, else `invalid_reason`.
fn reason_of(given: &str) -> Result<Text, Error> {
    Text::parse(given, REASON_LEN_MAX).ok_or_else(|| {
        Error::invalid("invalid_reason", format!("reason is 1 to {REASON_LEN_MAX} characters"), "reason")
    })
}

/// Commits the change `guard` makes with its `event`, answering `after`; of two racing
/// changes one wins, and the other hears the guard's refusal.
async fn standing_on(
    ctx: &Context,
    retry: Option<Retry<User>>,
    guard: Guard,
    event: Happened,
    after: User,
) -> Result<Answer<User>, Error> {
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), Vec::new()).with_event(event).with_guard(guard);
    let interpret = Arc::new(move |outcome: &UnitOutput| match refused(outcome) {
        Some(error) => Err(error),
        None => Ok(after.clone()),
    });
    commit(ctx, retry, unit, interpret).await
}

/// Refuses with `user_frozen` (409) what a frozen user may not do; never says why.
pub fn refuse_frozen(user: &User) -> Result<(), Error> {
    match user.frozen {
        None => Ok(()),
        Some(_) => Err(Error::conflict(
            "user_frozen",
            format!(
                "user {} is frozen: cash-outs, new payout destinations and gift-card redemptions and refunds \
                 are paused until an operator unfreezes the user",
                user.id
            ),
        )),
    }
}

/// The tenant's user `user_id` if it is not frozen: `not_found`, or `user_frozen`, else.
pub async fn not_frozen(ctx: &Context, tenant_id: &str, user_id: &str) -> Result<User, Error> {
    let user = existing(ctx, tenant_id, user_id).await?;
    refuse_frozen(&user)?;
    Ok(user)
}

/// What the wallet is told of a freeze: that cash-outs are paused, and whose customer
/// support to ask. Never who froze the user, when, or why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paused {
    /// The operator's name, as every page of the wallet writes it.
    pub operator: String,
}

/// [`Paused`] when user `user_id` is frozen, `None` when not: for the wallet's pages.
pub async fn paused(ctx: &Context, _actor: &Actor, tenant_id: &str, user_id: &str) -> Result<Option<Paused>, Error> {
    let user = existing(ctx, tenant_id, user_id).await?;
    paused_of(ctx, tenant_id, &user).await
}

/// [`paused`] for a user already read.
pub async fn paused_of(ctx: &Context, tenant_id: &str, user: &User) -> Result<Option<Paused>, Error> {
    if user.frozen.is_none() {
        return Ok(None);
    }
    let operator = operator::of(ctx, tenant_id).await?;
    Ok(Some(Paused { operator: operator.name }))
}
