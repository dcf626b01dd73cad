//! A wallet user's own gift cards, as the web wallet shows them: only the cards they
//! redeemed (another's card is "not found", never "forbidden", so ids cannot be probed),
//! redeeming a code with every reason it cannot be, and refunding a remainder with where
//! the money will go said before it goes.

use std::collections::HashMap;
use std::net::IpAddr;

use super::super::commit::Answer;
use super::super::page::Page;
use super::super::users::freeze::not_frozen;
use super::super::{Actor, Error};
use super::refund::refund_pocket;
use super::{card, check, of_user, redeem, refund_remainder, CardView, RemainderRefund};
use crate::context::Context;
use crate::domain::gift_card::Presented;
use crate::domain::pocket::Pocket;
use crate::people::Lang;
use crate::store::{gift_cards, wallet};

/// The cards a user redeemed, each with where its remainder would go.
#[derive(Clone, Debug)]
pub struct OwnCards {
    pub cards: Vec<OwnCard>,
    pub has_more: bool,
}

/// Up to `limit` of `user_id`'s cards, newest first.
pub async fn own_cards(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    user_id: &str,
    limit: i64,
) -> Result<OwnCards, Error> {
    let Page { items, has_more } = of_user(ctx, actor, tenant, user_id, None, limit).await?;
    let refunded = refunded(ctx, tenant, user_id, &items).await?;
    let cards = items
        .into_iter()
        .map(|view| {
            let back = refunded.get(&Pocket::Gift(view.card.id.clone()).name()).copied().unwrap_or(0);
            with_refund(ctx, tenant, view, back)
        })
        .collect::<Result<_, _>>()?;
    Ok(OwnCards { cards, has_more })
}

/// What went back as refunded remainders from each of `user_id`'s `cards`, by pocket name.
async fn refunded(
    ctx: &Context,
    tenant: &str,
    user_id: &str,
    cards: &[CardView],
) -> Result<HashMap<String, i64>, Error> {
    let mut found = HashMap::new();
    let mut currencies: Vec<&str> = cards.iter().map(|c| c.card.program.currency.as_str()).collect();
    currencies.sort_unstable();
    currencies.dedup();
    for currency in currencies {
        let of_currency = cards.iter().filter(|c| c.card.program.currency == currency);
        let Some(since) = of_currency.filter_map(|c| c.card.redeemed_at).min() else { continue };
        found.extend(wallet::remainders_refunded(&ctx.db, tenant, user_id, currency, since).await?);
    }
    Ok(found)
}

/// The brands of the tenant's programs, in order: what its users may redeem.
pub async fn brands(ctx: &Context, tenant: &str) -> Result<Vec<String>, Error> {
    Ok(gift_cards::brands(&ctx.db, tenant).await?)
}

/// A card of the user's, with where its remainder would go if refunded.
#[derive(Clone, Debug)]
pub struct OwnCard {
    pub view: CardView,
    /// Where a refunded remainder goes.
    pub refund_to: Pocket,
    /// Whether that pocket may be withdrawn from under the tenant's policy.
    pub refund_withdrawable: bool,
    /// What went back from the card as refunded remainders (0 if nothing did).
    pub refunded: i64,
}

/// Card `id` if `user_id` redeemed it; not found otherwise.
pub async fn own_card(ctx: &Context, actor: &Actor, tenant: &str, user_id: &str, id: &str) -> Result<OwnCard, Error> {
    let view = card(ctx, actor, tenant, id).await?;
    if view.card.redeemed_by.as_deref() != Some(user_id) {
        return Err(Error::not_found(format!("no gift card {id}")));
    }
    let refunded = refunded(ctx, tenant, user_id, std::slice::from_ref(&view)).await?;
    let back = refunded.get(&Pocket::Gift(view.card.id.clone()).name()).copied().unwrap_or(0);
    with_refund(ctx, tenant, view, back)
}

fn with_refund(ctx: &Context, tenant: &str, view: CardView, refunded: i64) -> Result<OwnCard, Error> {
    let refund_to = refund_pocket(&view.card)?;
    let verdict = ctx.settings.wallet_policy(tenant).verdict(&refund_to, view.remaining, Lang::default());
    Ok(OwnCard { view, refund_to, refund_withdrawable: verdict.withdrawable, refunded })
}

/// Refunds the remainder of `user_id`'s card `id`. A second refund finds nothing left
/// (`invalid_state`); one before the card's terms allow it is `not_withdrawable`.
pub async fn refund_own(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    user_id: &str,
    id: &str,
) -> Result<RemainderRefund, Error> {
    own_card(ctx, actor, tenant, user_id, id).await?;
    match refund_remainder(ctx, actor, tenant, id, None).await? {
        Answer::Done(refund) => Ok(refund),
        Answer::Again(_) => Err(Error::internal("a refund without a retry key was answered as a retry")),
    }
}

/// What became of a code the user presented.
#[derive(Clone, Debug)]
pub enum Redeemed {
    /// The card is in the wallet now.
    Done(Box<CardView>),
    /// It was not redeemed, for these reasons (`card_not_found`, `card_expired`, …).
    Refused(Vec<&'static str>),
}

/// Redeems `presented` into `user_id`'s wallet, asked by `actor` (the user) from `client`:
/// checked first, so that every reason it cannot be redeemed is told at once. A code that
/// matches no card counts once against the user and the address.
pub async fn redeem_own(
    ctx: &Context,
    actor: &Actor,
    client: IpAddr,
    tenant: &str,
    user_id: &str,
    presented: &Presented,
) -> Result<Redeemed, Error> {
    // Paused before anything is checked: a frozen wallet spends no tries on codes.
    not_frozen(ctx, tenant, user_id).await?;
    let checked = check(ctx, actor, client, tenant, presented).await?;
    if !checked.reasons.is_empty() {
        return Ok(Redeemed::Refused(checked.reasons));
    }
    match redeem(ctx, actor, client, tenant, user_id, presented, None).await {
        Ok(Answer::Done(view)) => Ok(Redeemed::Done(Box::new(view))),
        Ok(Answer::Again(_)) => Err(Error::internal("a redemption without a retry key was answered as a retry")),
        // Taken or expired between the check and the redemption.
        Err(error) if error.code().starts_with("card_") => Ok(Redeemed::Refused(vec![error.code()])),
        Err(error) => Err(error),
    }
}
