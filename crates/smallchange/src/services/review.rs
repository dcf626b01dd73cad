//! The review queue and its decisions: a cash-out the risk rules held for review is
//! approved (it goes to its rail) or rejected (it is canceled and its hold released) by an
//! operator.

use crate::context::Context;
use crate::services::cashout::flow::{change, load, transition};
use crate::services::cashout::page;
use crate::services::cashout::view::{self, Detailed};
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

/// An operator's review: approve sends it to the rail, reject cancels it. The reason, if
/// any, is kept in the timeline.
pub async fn review(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    id: &str,
    approve: bool,
    reason: Option<&str>,
) -> Result<Detailed, Error> {
    let note = reason.unwrap_or_default();
    if note.chars().count() > REASON_LEN_MAX {
        return Err(Error::invalid("invalid_reason", "reason is at most 500 characters", "reason"));
    }
    let now = ctx.clock.now_us();
    let mut t = if approve {
        transition(tenant, id, &["in_review"], "processing", format!("approved: {note}"), now)
    } else {
        transition(tenant, id, &["in_review"], "canceled", format!("rejected: {note}"), now)
    };
    if !approve {
        t.set = vec![("failure_reason", "rejected".into())];
    }
    if !change(ctx, actor, t).await? {
        let cashout = load(ctx, tenant, id).await?;
        return Err(Error::conflict("invalid_state", format!("the cash-out is {}, not in review", cashout.status)));
    }
    view::get(ctx, tenant, id).await
}
