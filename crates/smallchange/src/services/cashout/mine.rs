//! A person's own cash-outs, as the web wallet reaches them: what they may withdraw and
//! where to, their quotes, creating, confirming, canceling and reading their cash-outs, the
//! receipt, and reporting a problem. Each function takes the signed-in user's id and answers
//! `not_found` for a quote or cash-out of anyone else, exactly as for one that does not
//! exist; then it calls the same use case the JSON API calls.

use crate::context::Context;
use crate::domain::destination::Destination;
use crate::domain::text::Text;
use crate::people::Lang;
use crate::services::balances::{self, Balances};
use crate::services::commit::Answer;
use crate::services::users::destinations as user_destinations;
use crate::services::{disputes, Actor, Error};
use crate::store::cashouts::{self, Quote};
use crate::store::destinations::{self, DestinationRecord, StoredDestination};
use crate::store::disputes::Dispute;

use super::quote::{self, Ask};
use super::view::{self, Detailed, Receipt};
use super::{existing_user, flow};

/// Destinations and disputes read for one page: more than anyone keeps.
const LIST_MAX: i64 = 100;

/// What the cash-out form starts from.
pub struct Start {
    pub balances: Balances,
    /// The user's destinations, newest first.
    pub destinations: Vec<StoredDestination>,
    /// The destination the form offers first: where the user's last paid cash-out went, or
    /// their only destination. None when neither says, so that nobody cashes out to a
    /// destination they did not choose (the newest may be one that failed).
    pub usual_destination: Option<String>,
    /// The legal name of the user's identity check, if there is one.
    pub legal_name: Option<String>,
}

/// What `user_id` may withdraw (each pocket with why), where to, and their legal name.
pub async fn start(ctx: &Context, actor: &Actor, tenant: &str, user_id: &str, lang: Lang) -> Result<Start, Error> {
    let user = existing_user(ctx, tenant, user_id).await?;
    let balances = balances::balances(ctx, actor, tenant, &user.id, None, lang).await?;
    let destinations = user_destinations::of_user(ctx, actor, tenant, &user.id, None, LIST_MAX).await?.items;
    let last_paid = cashouts::last_paid_destination(&ctx.db, tenant, &user.id).await?;
    let usual_destination = match (last_paid, destinations.as_slice()) {
        (Some(paid), listed) if listed.iter().any(|d| d.id == paid) => Some(paid),
        (_, [only]) => Some(only.id.clone()),
        _ => None,
    };
    Ok(Start { balances, destinations, usual_destination, legal_name: user.legal_name })
}

/// Registers a destination of `user_id`'s own (the holder must be them), recorded as `actor`'s.
pub async fn add_destination(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    user_id: &str,
    destination: Destination,
) -> Result<StoredDestination, Error> {
    let destination = destination.checked()?;
    match user_destinations::add(ctx, actor, tenant, user_id, &destination, None).await? {
        Answer::Done(stored) => Ok(stored),
        Answer::Again(_) => Err(Error::internal("a destination without a retry key was answered as a retry")),
    }
}

/// Quotes a cash-out of `user_id` to one of their destinations; the quote binds until it expires.
pub async fn ask_quote(ctx: &Context, tenant: &str, user_id: &str, ask: Ask) -> Result<Quote, Error> {
    quote::ask(ctx, tenant, user_id, ask).await
}

/// A quote with the destination it pays.
pub struct QuoteShown {
    pub quote: Quote,
    pub destination: DestinationRecord,
}

/// `user_id`'s quote `id`.
pub async fn quote(ctx: &Context, tenant: &str, user_id: &str, id: &str) -> Result<QuoteShown, Error> {
    let quote = cashouts::quote(&ctx.db, tenant, id)
        .await?
        .filter(|q| q.user_id == user_id)
        .ok_or_else(|| Error::not_found(format!("no quote {id}")))?;
    let destination = destinations::get(&ctx.db, tenant, &quote.destination_id)
        .await?
        .ok_or_else(|| Error::internal(format!("quote {id} has no destination")))?;
    Ok(QuoteShown { quote, destination })
}

/// Creates the cash-out of `user_id`'s quote `quote_id`: the hold is placed, a code sent.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    user_id: &str,
    quote_id: &str,
) -> Result<Detailed, Error> {
    let shown = quote(ctx, tenant, user_id, quote_id).await?;
    match super::create(ctx, actor, tenant, &shown.quote.id, None).await? {
        Answer::Done(detailed) => Ok(detailed),
        Answer::Again(_) => Err(Error::internal("a cash-out without a retry key was answered as a retry")),
    }
}

/// One of `user_id`'s cash-outs, with the disputes opened about it (newest first).
pub struct Mine {
    pub detailed: Detailed,
    pub disputes: Vec<Dispute>,
    /// Code attempts left, while it awaits its code.
    pub attempts_left: i64,
}

/// `user_id`'s cash-out `id`; `not_found` for anyone else's.
pub async fn get(ctx: &Context, actor: &Actor, tenant: &str, user_id: &str, id: &str) -> Result<Mine, Error> {
    let detailed = owned(ctx, tenant, user_id, id).await?;
    let all = disputes::of_user(ctx, actor, tenant, user_id, None, LIST_MAX).await?.items;
    let disputes = all.into_iter().filter(|d| d.cashout_id == detailed.cashout.id).collect();
    let allowed = ctx.settings.cashout_policy(tenant).otp_attempts_max;
    let attempts_left = (allowed - detailed.cashout.otp_attempts).max(0);
    Ok(Mine { detailed, disputes, attempts_left })
}

async fn owned(ctx: &Context, tenant: &str, user_id: &str, id: &str) -> Result<Detailed, Error> {
    let detailed = view::get(ctx, tenant, id).await?;
    if detailed.cashout.quote.user_id != user_id {
        return Err(Error::not_found(format!("no cash-out {id}")));
    }
    Ok(detailed)
}

/// Confirms `user_id`'s cash-out `id` with their one-time code.
pub async fn confirm(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    user_id: &str,
    id: &str,
    code: &str,
) -> Result<Detailed, Error> {
    owned(ctx, tenant, user_id, id).await?;
    flow::confirm(ctx, actor, tenant, id, code).await
}

/// Sends a new SMS code for `user_id`'s cash-out `id`.
pub async fn resend_code(ctx: &Context, tenant: &str, user_id: &str, id: &str) -> Result<Detailed, Error> {
    owned(ctx, tenant, user_id, id).await?;
    super::resend_code(ctx, tenant, id).await
}

/// Calls off `user_id`'s cash-out `id` before it reaches a rail.
pub async fn cancel(ctx: &Context, actor: &Actor, tenant: &str, user_id: &str, id: &str) -> Result<Detailed, Error> {
    owned(ctx, tenant, user_id, id).await?;
    flow::cancel(ctx, actor, tenant, id, "canceled by the user").await
}

/// The receipt of `user_id`'s cash-out `id`, from its confirmation on.
pub async fn receipt(ctx: &Context, tenant: &str, user_id: &str, id: &str) -> Result<Receipt, Error> {
    owned(ctx, tenant, user_id, id).await?;
    view::receipt(ctx, tenant, id).await
}

/// Opens a dispute about `user_id`'s cash-out `id`, on their own word (`actor`).
pub async fn dispute(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    user_id: &str,
    id: &str,
    reason: Text,
) -> Result<Dispute, Error> {
    owned(ctx, tenant, user_id, id).await?;
    disputes::open(ctx, actor, tenant, id, reason).await
}
