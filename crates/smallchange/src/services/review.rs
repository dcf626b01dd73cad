//! The review queue and its decisions: a cash-out the risk rules held for review is
//! approved (it goes to its rail) or rejected (it is canceled and its hold released) by an
//! operator.

use crate::context::Context;
use crate::events::Kind;
use crate::services::cashout::flow::{change_once, load, shown_after, transition, Answers, Recorded};
use crate::services::cashout::page;
use crate::services::cashout::view::{self, Detailed};
use crate::services::commit::{Answer, Retry};
use crate::services::users::freeze::not_frozen;
use crate::services::{Actor, Error};
use crate::store::cashouts;

/// Longest reason a reviewer gives, in characters.
const REASON_LEN_MAX: usize = 500;

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
