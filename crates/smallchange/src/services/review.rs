//! The review queue's decision: a cash-out the risk rules held for review is approved (it
//! goes to its rail) or rejected (it is canceled and its hold released) by an operator.

use crate::context::Context;
use crate::services::cashout::flow::{change, load, transition};
use crate::services::Error;
use crate::store::cashouts::Cashout;

/// An operator's review: approve sends it to the rail, reject cancels it.
pub async fn review(app: &Context, tenant: &str, id: &str, approve: bool, note: &str) -> Result<Cashout, Error> {
    let now = app.clock.now_us();
    let mut t = if approve {
        transition(tenant, id, &["in_review"], "processing", format!("approved: {note}"), now)
    } else {
        transition(tenant, id, &["in_review"], "canceled", format!("rejected: {note}"), now)
    };
    if !approve {
        t.set = vec![("failure_reason", "rejected".into())];
    }
    if !change(app, t).await? {
        let cashout = load(app, tenant, id).await?;
        return Err(Error::conflict("invalid_state", format!("the cash-out is {}, not in review", cashout.status)));
    }
    load(app, tenant, id).await
}
