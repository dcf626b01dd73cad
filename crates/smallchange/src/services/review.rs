//! The review queue and its decisions: a cash-out the risk rules held for review is
//! approved (it goes to its rail) or rejected (it is canceled and its hold released) by an
//! operator of a role in [`MAY_REVIEW`], asked here whichever door (API key or console).
//!
//! A reviewer may first claim a cash-out ([`claim`]) so that others see it is being looked
//! at. A claimed cash-out is decided by its claimer or by an admin only (`review_claimed`,
//! 409, for anyone else); an admin may also take a claim over. An unclaimed one is decided
//! by anyone allowed, as before claims existed (an API key never claims).

use std::sync::Arc;

use serde_json::json;

use crate::context::Context;
use crate::domain::operator::Role;
use crate::events::{Happened, Kind};
use crate::services::cashout::flow::{change_once, load, shown_after, transition, Answers, Recorded};
use crate::services::cashout::page;
use crate::services::cashout::view::{self, Detailed};
use crate::services::commit::{commit, refused, Answer, Retry};
use crate::services::users::freeze::not_frozen;
use crate::services::{Actor, Error};
use crate::store::cashouts;
use crate::store::review::{self as store, Claim, Earlier, Recent};
use crate::unit::{Guard, Refusal, Unit, UnitOutput};

/// Longest reason a reviewer gives, in characters.
pub const REASON_LEN_MAX: usize = 500;

/// The roles that may claim, approve and reject cash-outs in review.
pub const MAY_REVIEW: &[Role] = &[Role::Admin, Role::Reviewer];

/// Whether `actor` may work the review queue: an operator of a role in [`MAY_REVIEW`], else
/// `permission_denied`. [`review`] and [`claim`] ask it first; a door may ask it before it
/// does anything else (the API, before it claims an `Idempotency-Key`).
pub fn allowed(actor: &Actor) -> Result<(), Error> {
    actor.may(MAY_REVIEW, "approve, reject or claim a cash-out in review")
}

/// Cash-outs waiting for a reviewer after `after`, oldest first: at most `limit`, and
/// whether more follow.
pub async fn queue(
    ctx: &Context,
    tenant: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<Detailed>, bool), Error> {
    let found = cashouts::in_review(&ctx.db, tenant, after, limit + 1).await?;
    let (found, has_more) = page(found, limit);
    Ok((view::all_detailed(ctx, tenant, found).await?, has_more))
}

/// An operator's review: approve sends it to the rail (not while its user is frozen:
/// `user_frozen`), reject cancels it (its hold released). The reason, if any, is kept in
/// the timeline. Recorded as one event of the review's kind, `cashout.approved` or
/// `cashout.rejected`, carrying the status change and `review: {decision, reason}`; a
/// rejection's event is announced as the `cashout.canceled` webhook. Once per `retry` key:
/// the answer is written down with the change.
pub async fn review(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    id: &str,
    approve: bool,
    reason: Option<&str>,
    retry: Option<Retry<Detailed>>,
) -> Result<Answer<Detailed>, Error> {
    allowed(actor)?;
    let note = reason.unwrap_or_default();
    if note.chars().count() > REASON_LEN_MAX {
        return Err(Error::invalid("invalid_reason", "reason is at most 500 characters", "reason"));
    }
    let before = load(ctx, tenant, id).await?;
    let now = ctx.clock.now_us();
    let (mut t, kind, decision) = if approve {
        let t = transition(tenant, id, &["in_review"], "processing", format!("approved: {note}"), now);
        (t, Kind::CashoutApproved, "approved")
    } else {
        let t = transition(tenant, id, &["in_review"], "canceled", format!("rejected: {note}"), now);
        (t, Kind::CashoutRejected, "rejected")
    };
    let mut after = before.clone();
    if !approve {
        t.set = vec![("failure_reason", "rejected".into())];
        after.failure_reason = Some("rejected".into());
    }
    let refused = |status: &str| Error::conflict("invalid_state", format!("the cash-out is {status}, not in review"));
    if before.status != "in_review" {
        return Err(refused(&before.status));
    }
    may_decide(ctx, actor, tenant, id).await?;
    if approve {
        // Still waiting, so it goes nowhere while its user is frozen; a rejection may.
        not_frozen(ctx, tenant, &before.quote.user_id).await?;
    }
    let shown = shown_after(ctx, tenant, after, &t, actor).await?;
    let mut extra = serde_json::Map::new();
    extra.insert("review".into(), serde_json::json!({"decision": decision, "reason": reason}));
    let recorded = Recorded { kind, extra };
    let moved_on = Error::conflict("invalid_state", "the cash-out is no longer in review");
    change_once(ctx, actor, &before, (t, recorded), retry, Answers { made: Ok(shown), moved_on }).await
}

/// Refuses with `review_claimed` (409) a decision on a cash-out someone else claimed, unless
/// `actor` is an admin.
async fn may_decide(ctx: &Context, actor: &Actor, tenant: &str, id: &str) -> Result<(), Error> {
    let Some(claim) = store::claim(&ctx.db, tenant, id).await? else { return Ok(()) };
    if claim.claimed_by == actor.recorded() || actor.operator_role() == Some(Role::Admin) {
        return Ok(());
    }
    Err(Error::conflict("review_claimed", format!("cash-out {id} is claimed by {}", claim.claimed_by)))
}

/// `actor` claims cash-out `id`, waiting in review: recorded as `cashout.review_claimed`.
/// Claiming one's own claim again changes nothing; another's claim is taken over by an admin
/// only (`review_claimed` for anyone else). Of two racing claims one wins. Answers the claim.
pub async fn claim(ctx: &Context, actor: &Actor, tenant: &str, id: &str) -> Result<Claim, Error> {
    allowed(actor)?;
    let cashout = load(ctx, tenant, id).await?;
    if cashout.status != "in_review" {
        return Err(Error::conflict("invalid_state", format!("the cash-out is {}, not in review", cashout.status)));
    }
    let by = actor.recorded();
    let seen = store::claim(&ctx.db, tenant, id).await?;
    match &seen {
        Some(held) if held.claimed_by == by => return Ok(held.clone()),
        Some(held) if actor.operator_role() != Some(Role::Admin) => {
            return Err(Error::conflict("review_claimed", format!("cash-out {id} is claimed by {}", held.claimed_by)))
        }
        _ => {}
    }
    let at = ctx.clock.now_us();
    let taken_from = seen.as_ref().map(|held| held.claimed_by.clone());
    let guard = Guard {
        row: store::claim_row(tenant, id, &by, at, taken_from.as_deref()),
        refusal: Refusal::new("review_claimed", format!("cash-out {id} was claimed or decided meanwhile")),
    };
    let event = Happened::new(tenant, actor, id, Kind::CashoutReviewClaimed, json!({"taken_from": taken_from}), at);
    let made = Claim { cashout_id: id.to_string(), claimed_by: by, claimed_at: at };
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), Vec::new()).with_event(event).with_guard(guard);
    let interpret = Arc::new(move |outcome: &UnitOutput| match refused(outcome) {
        Some(error) => Err(error),
        None => Ok(made.clone()),
    });
    match commit(ctx, None, unit, interpret).await? {
        Answer::Done(claim) => Ok(claim),
        Answer::Again(_) => Err(Error::internal("a claim has no retry key")),
    }
}

/// Cash-outs looked back on for a user's recent money, in days.
pub const RECENT_DAYS: i64 = 30;
/// Earlier cash-outs to the same destination shown beside one in review.
const EARLIER_SHOWN_MAX: i64 = 10;
const HOUR_US: i64 = 3_600_000_000;

/// A cash-out waiting in review as the queue shows it.
#[derive(Clone, Debug)]
pub struct Waiting {
    pub detailed: Detailed,
    pub claim: Option<Claim>,
    /// Who holds the claim, as people know them: an operator's email, else the recorded actor.
    pub claimer: Option<String>,
    /// When it went into review (its confirmation).
    pub since: i64,
    /// When the review is due, by the tenant's `[cashout] review_hours`.
    pub due_at: i64,
}

/// Cash-outs waiting for a reviewer after `after`, oldest first, each with its claim and
/// when its review is due: at most `limit`, and whether more follow.
pub async fn waiting(
    ctx: &Context,
    tenant: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<Waiting>, bool), Error> {
    let (found, has_more) = queue(ctx, tenant, after, limit).await?;
    let mut shown = Vec::with_capacity(found.len());
    for detailed in found {
        shown.push(waiting_of(ctx, tenant, detailed).await?);
    }
    Ok((shown, has_more))
}

async fn waiting_of(ctx: &Context, tenant: &str, detailed: Detailed) -> Result<Waiting, Error> {
    let claim = store::claim(&ctx.db, tenant, &detailed.cashout.id).await?;
    let claimer = match &claim {
        Some(claim) => Some(name_of(ctx, tenant, &claim.claimed_by).await?),
        None => None,
    };
    let since = detailed.cashout.confirmed_at.unwrap_or(detailed.cashout.created_at);
    let due_at = since.saturating_add(ctx.settings.cashout_policy(tenant).review_hours.saturating_mul(HOUR_US));
    Ok(Waiting { detailed, claim, claimer, since, due_at })
}

/// A recorded actor as people know it: a console operator's email, else as recorded.
async fn name_of(ctx: &Context, tenant: &str, recorded: &str) -> Result<String, Error> {
    let Some(id) = recorded.strip_prefix("operator:") else { return Ok(recorded.to_string()) };
    let found = crate::store::operators::by_id(&ctx.db, tenant, id).await?;
    Ok(found.map_or_else(|| recorded.to_string(), |operator| operator.email))
}

/// One cash-out as a reviewer opens it: what the queue shows, and where the money goes
/// (when the destination was added, earlier cash-outs to it) and the user's last
/// [`RECENT_DAYS`] days.
#[derive(Clone, Debug)]
pub struct Case {
    pub waiting: Waiting,
    pub destination_added_at: Option<i64>,
    pub earlier: Vec<Earlier>,
    pub recent: Recent,
}

/// The tenant's cash-out `id`, in whatever status, as a reviewer reads it; `not_found` for
/// another tenant's.
pub async fn case(ctx: &Context, tenant: &str, id: &str) -> Result<Case, Error> {
    let detailed = view::get(ctx, tenant, id).await?;
    let cashout = &detailed.cashout;
    let destination = cashout.quote.destination_id.clone();
    let destination_added_at = store::destination_added_at(&ctx.db, tenant, &destination).await?;
    let earlier = store::earlier_to(&ctx.db, tenant, &destination, &cashout.id, EARLIER_SHOWN_MAX).await?;
    let since = ctx.clock.now_us().saturating_sub(RECENT_DAYS * 24 * HOUR_US);
    let recent = store::recent(&ctx.db, tenant, &cashout.quote.user_id, since).await?;
    let waiting = waiting_of(ctx, tenant, detailed).await?;
    Ok(Case { waiting, destination_added_at, earlier, recent })
}
