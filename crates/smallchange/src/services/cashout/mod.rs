//! Cash-out use cases: binding quotes, the hold, confirmation with a one-time code, the risk
//! decision, cancellation, and what the rails' partners report, with the money following
//! every step. The rails themselves (how a payout travels) are in [`crate::rails`].
//!
//! See docs/CASHOUT.md for the states and the rules.

pub mod auto;
pub mod bank_reports;
pub mod batches;
pub mod cash_pickup;
pub mod create;
pub mod e_wallet;
pub mod flow;
pub mod mine;
pub mod money;
pub mod otp;
pub mod outcome;
pub mod quote;
pub mod receipt_link;
pub mod sla;
pub mod view;

pub use create::{create, resend_code};
pub use view::Detailed;

use crate::context::Context;
use crate::services::Error;
use crate::store::users::{self, User};

/// The user `id` of `tenant`, or `not_found`.
pub async fn existing_user(ctx: &Context, tenant: &str, id: &str) -> Result<User, Error> {
    let user = users::get(&ctx.db, tenant, id).await?;
    user.ok_or_else(|| Error::not_found(format!("no user {id}")))
}

/// The first `limit` of `items` (fetched one more than a page), and whether more follow.
pub fn page<T>(mut items: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let has_more = items.len() as i64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(0));
    (items, has_more)
}
