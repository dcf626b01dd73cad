//! A person's own cash-outs, as the web wallet reaches them: what they may withdraw and
//! where to, their quotes, creating, confirming, canceling and reading their cash-outs, the
//! receipt, and reporting a problem. Each function takes the signed-in user's id and answers
//! `not_found` for a quote or cash-out of anyone else, exactly as for one that does not
//! exist; then it calls the same use case the JSON API calls.

use crate::context::Context;
use crate::domain::cashout_policy::Speed;
use crate::domain::destination::Destination;
use crate::domain::text::Text;
use crate::people::Lang;
use crate::services::balances::{self, Balances};
use crate::services::commit::Answer;
use crate::services::users::destinations as user_destinations;
use crate::services::users::freeze::{self, Paused};
use crate::services::{disputes, Actor, Error};
use crate::store::cashouts::{self, Quote};
use crate::store::destinations::{self, DestinationRecord, StoredDestination};
use crate::store::disputes::Dispute;

use super::flow::RELEASING;
use super::quote::{self, Ask, Wanted};
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
    /// Set while the user is frozen: cash-outs and new destinations are refused.
    pub paused: Option<Paused>,
}

/// What `user_id` may withdraw (each pocket with why), where to, their legal name, and
/// whether their cash-outs are paused.
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
    let paused = freeze::paused_of(ctx, tenant, &user).await?;
    Ok(Start { balances, destinations, usual_destination, legal_name: user.legal_name, paused })
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

/// A quote with the destination it pays, and the cash-out made from it, if one was.
pub struct QuoteShown {
    pub quote: Quote,
    pub destination: DestinationRecord,
    /// The id of the cash-out this quote made: it is used, and binds nothing any more.
    pub cashout_id: Option<String>,
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
    let cashout_id = cashouts::for_quote(&ctx.db, tenant, id).await?.map(|c| c.id);
    Ok(QuoteShown { quote, destination, cashout_id })
}

/// A new quote at today's fees for what `user_id`'s quote `id` asked: the same destination,
/// amount and speed (for a quote that expired before it was used).
pub async fn quote_again(ctx: &Context, tenant: &str, user_id: &str, id: &str) -> Result<Quote, Error> {
    let old = quote(ctx, tenant, user_id, id).await?.quote;
    let speed =
        Speed::parse(&old.speed).ok_or_else(|| Error::internal(format!("quote {id} has speed {}", old.speed)))?;
    let currency = ctx.settings.wallet_policy(tenant).currency();
    let ask = Ask { wanted: Wanted::Amount(old.gross), currency, speed, destination_id: old.destination_id };
    quote::ask(ctx, tenant, user_id, ask).await
}

/// Creates the cash-out of `user_id`'s quote `quote_id`: the hold is placed, a code sent.
/// A quote used already (a second press, a second tab) answers the cash-out it made.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    user_id: &str,
    quote_id: &str,
) -> Result<Detailed, Error> {
    let shown = quote(ctx, tenant, user_id, quote_id).await?;
    if let Some(made) = &shown.cashout_id {
        return owned(ctx, tenant, user_id, made).await;
    }
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

/// A person's cash-outs as their list shows them, each part newest first.
pub struct Listed {
    /// Waiting for their one-time code: the person has something to do.
    pub waiting: Vec<Detailed>,
    /// Confirmed and not yet ended: in review, or on their way.
    pub under_way: Vec<Detailed>,
    /// Paid, or ended unpaid with the money back.
    pub done: Vec<Detailed>,
    /// Older cash-outs than these exist.
    pub more: bool,
}

/// `user_id`'s latest cash-outs (at most `LIST_MAX`), those waiting for a code first,
/// then those under way, then those done.
pub async fn list(ctx: &Context, tenant: &str, user_id: &str) -> Result<Listed, Error> {
    let (all, more) = view::of_user(ctx, tenant, user_id, None, LIST_MAX).await?;
    let mut listed = Listed { waiting: Vec::new(), under_way: Vec::new(), done: Vec::new(), more };
    for detailed in all {
        let status = detailed.cashout.status.as_str();
        let part = if status == "awaiting_confirmation" {
            &mut listed.waiting
        } else if status == "paid" || RELEASING.contains(&status) {
            &mut listed.done
        } else {
            &mut listed.under_way
        };
        part.push(detailed);
    }
    Ok(listed)
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
    let code = typed_code(code)?;
    owned(ctx, tenant, user_id, id).await?;
    flow::confirm(ctx, actor, tenant, id, &code).await
}

/// Digits in a one-time code: an SMS code and an authenticator's code are both this long.
pub const CODE_DIGITS: usize = 6;

/// A code as typed (`123 456`, ` 123456 `) made its digits; anything but six digits is
/// refused as `otp_format` before it can take one of the cash-out's attempts.
pub fn typed_code(typed: &str) -> Result<String, Error> {
    let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(Error::invalid("otp_format", "the code is 6 digits", "otp"))
    }
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
