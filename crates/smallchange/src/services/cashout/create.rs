//! Creating a cash-out from a quote: the amount is held at once (exactly the quote's
//! sources, or nothing) and the user is sent the code that confirms it — unless they use
//! an authenticator app. And sending that code again.

use std::sync::Arc;

use super::view::{self, Detailed};
use super::{existing_user, flow, money, otp};
use crate::context::Context;
use crate::services::commit::{self, Answer, Retry};
use crate::services::users::freeze::refuse_frozen;
use crate::services::{Actor, Error};
use crate::store::cashouts::{self, Event};
use crate::unit::UnitOutput;

/// Creates a cash-out from quote `quote_id` and places its hold, once per `retry` key; an
/// SMS code goes out once the hold is placed. `actor` is recorded as its creator. A quote
/// of a user frozen since is refused (`user_frozen`), nothing held.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    quote_id: &str,
    retry: Option<Retry<Detailed>>,
) -> Result<Answer<Detailed>, Error> {
    let quote = cashouts::quote(&ctx.db, tenant, quote_id)
        .await?
        .ok_or_else(|| Error::invalid("unknown_quote", "no such quote", "quote_id"))?;
    let user = existing_user(ctx, tenant, &quote.user_id).await?;
    refuse_frozen(&user)?;
    let now = ctx.clock.now_us();
    if now >= quote.expires_at {
        return Err(Error::conflict("quote_expired", "the quote has expired: ask for a new one"));
    }
    let (cashout, code) = flow::new_cashout(ctx, tenant, quote, &user, now);
    let unit = money::hold_unit(tenant, &cashout, actor, Vec::new())?;
    // What the answer shows is known before the commit: the timeline is its first step.
    let destination = view::destination_of(ctx, tenant, &cashout).await?;
    let first = Event {
        status: cashout.status.clone(),
        note: Some(money::HOLD_PLACED.into()),
        at: cashout.created_at,
        actor: Some(actor.recorded()),
    };
    let shown = Detailed { cashout, destination, timeline: vec![first] };
    let answer = shown.clone();
    let interpret = Arc::new(move |outcome: &UnitOutput| {
        if let Some(error) = commit::refused(outcome) {
            return Err(error);
        }
        if outcome.succeeded() {
            Ok(answer.clone())
        } else {
            Err(Error::conflict("insufficient_funds", "the quote's sources no longer hold enough"))
        }
    });
    let (answer, outcome) = commit::commit_with_outcome(ctx, retry, unit, interpret).await?;
    let placed = outcome.as_ref().is_some_and(UnitOutput::succeeded);
    if let (true, Some(code)) = (placed, code) {
        otp::send_code(ctx, tenant, &shown.cashout, &user.phone, &code).await;
    }
    Ok(answer)
}

/// Sends a new SMS code for a cash-out awaiting one; the old code stops working.
pub async fn resend_code(ctx: &Context, tenant: &str, id: &str) -> Result<Detailed, Error> {
    let cashout = flow::load(ctx, tenant, id).await?;
    let code = otp::new_code();
    let stored = otp::hash(&ctx.secrets, &cashout.id, &code);
    if !cashouts::replace_code(&ctx.db, tenant, id, &stored, ctx.clock.now_us()).await? {
        return Err(Error::conflict("invalid_state", "the cash-out is not waiting for an SMS code"));
    }
    let user = existing_user(ctx, tenant, &cashout.quote.user_id).await?;
    otp::send_code(ctx, tenant, &cashout, &user.phone, &code).await;
    view::detailed(ctx, tenant, cashout).await
}
