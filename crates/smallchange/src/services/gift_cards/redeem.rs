//! Checking a code and redeeming it into a user's wallet, as a pocket of its own. The
//! redemption is planned in the committer with the card's account locked: of any number of
//! racing redemptions, one takes the value and the others find it gone.
//!
//! Both are guarded against guessing here, below every door: a code that matches no card
//! counts against the person and the client address, and past either limit a code is turned
//! away before it is looked up ([`crate::limits::CodeGuesses`]).

use std::net::IpAddr;
use std::sync::Arc;

use ledger::{Amount, Currency};
use serde_json::json;

use super::super::commit::{self, refused, Answer, Retry};
use super::super::limits::person;
use super::super::users::freeze::refuse_frozen;
use super::super::{users, Actor, Error};
use super::{code_lookup, CardView};
use crate::clock::rfc3339;
use crate::context::Context;
use crate::domain::gift_card::Presented;
use crate::domain::pocket::{self, codes, Pocket};
use crate::events::{self, Happened, Kind};
use crate::store::gift_cards::{self, Card};
use crate::store::wallet::{available, pocket_row, NewEntry};
use crate::unit::{transfer, Plan, Refusal, Unit, UnitOutput};

/// Whether a presented card can be redeemed, with every reason it cannot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eligibility {
    /// `card_brand_unsupported`, `card_not_found`, `card_expired`, `card_region_locked`,
    /// `card_already_redeemed`; empty if the card can be redeemed.
    pub reasons: Vec<&'static str>,
    /// What the card holds, unless it was not found under the brand named.
    pub shown: Option<Shown>,
}

/// What a check shows of a card found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub face_value: i64,
    pub remaining: i64,
    pub expires_at: i64,
}

/// Why a card cannot be redeemed by `brand` in `region` now; empty if it can.
fn reasons(card: &Card, brand: &str, region: Option<&str>, now: i64) -> Vec<&'static str> {
    let mut reasons = Vec::new();
    if card.expires_at <= now {
        reasons.push("card_expired");
    }
    if region.is_some_and(|r| r != card.program.region) {
        reasons.push("card_region_locked");
    }
    if card.redeemed_by.is_some() {
        reasons.push("card_already_redeemed");
    }
    if card.program.brand != brand {
        reasons.clear();
        reasons.push("card_not_found");
    }
    reasons
}

/// Whether `presented` can be redeemed now, asked by `actor` from `client`. Checking records
/// nothing but a code that matches no card, which counts against `actor` and `client`.
pub async fn check(
    ctx: &Context,
    actor: &Actor,
    client: IpAddr,
    tenant: &str,
    presented: &Presented,
) -> Result<Eligibility, Error> {
    let person = person(tenant, actor);
    ctx.guards.code_guesses.admit(&person, client)?;
    let found = eligibility(ctx, tenant, presented).await?;
    if found.reasons.contains(&"card_not_found") {
        ctx.guards.code_guesses.wrong(&person, client);
    }
    Ok(found)
}

async fn eligibility(ctx: &Context, tenant: &str, presented: &Presented) -> Result<Eligibility, Error> {
    let now = ctx.clock.now_us();
    let mut found_reasons = Vec::new();
    if !gift_cards::brand_supported(&ctx.db, tenant, presented.brand()).await? {
        found_reasons.push("card_brand_unsupported");
    }
    let lookup = code_lookup(ctx, tenant, presented.code());
    let Some(card) = gift_cards::card_by_code(&ctx.db, tenant, &lookup).await? else {
        found_reasons.push("card_not_found");
        return Ok(Eligibility { reasons: found_reasons, shown: None });
    };
    if found_reasons.is_empty() {
        found_reasons = reasons(&card, presented.brand(), presented.region(), now);
    }
    let remaining = gift_cards::remaining(&ctx.db, tenant, &card).await?;
    let shown = found_reasons.iter().all(|r| *r != "card_not_found").then_some(Shown {
        face_value: card.face_value,
        remaining,
        expires_at: card.expires_at,
    });
    Ok(Eligibility { reasons: found_reasons, shown })
}

/// Redeems `presented` into `user_id`'s wallet, asked by `actor` from `client` and recording
/// `actor` as who redeemed it; not into a frozen user's (`user_frozen`). A code that matches
/// no card counts against the wallet's user (whoever asks for them) and `client`.
pub async fn redeem(
    ctx: &Context,
    actor: &Actor,
    client: IpAddr,
    tenant: &str,
    user_id: &str,
    presented: &Presented,
    retry: Option<Retry<CardView>>,
) -> Result<Answer<CardView>, Error> {
    let person = person(tenant, &Actor::EndUser { user_id: user_id.to_string() });
    ctx.guards.code_guesses.admit(&person, client)?;
    let answer = redeem_admitted(ctx, actor, tenant, user_id, presented, retry).await;
    if answer.as_ref().is_err_and(|error| error.code() == "card_not_found") {
        ctx.guards.code_guesses.wrong(&person, client);
    }
    answer
}

async fn redeem_admitted(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    user_id: &str,
    presented: &Presented,
    retry: Option<Retry<CardView>>,
) -> Result<Answer<CardView>, Error> {
    let user = users::existing(ctx, tenant, user_id).await?;
    refuse_frozen(&user)?;
    if !gift_cards::brand_supported(&ctx.db, tenant, presented.brand()).await? {
        return Err(Error::invalid("card_brand_unsupported", "no gift-card program of this brand", "brand"));
    }
    let lookup = code_lookup(ctx, tenant, presented.code());
    let not_found = || Error::invalid("card_not_found", "no card of this brand has this code", "code");
    let card = gift_cards::card_by_code(&ctx.db, tenant, &lookup).await?.ok_or_else(not_found)?;
    let now = ctx.clock.now_us();
    if let Some(reason) = reasons(&card, presented.brand(), presented.region(), now).first() {
        return Err(match *reason {
            "card_not_found" => not_found(),
            "card_expired" => {
                Error::conflict("card_expired", format!("the card expired at {}", rfc3339(card.expires_at)))
            }
            "card_region_locked" => {
                Error::conflict("card_region_locked", format!("the card can be used in {} only", card.program.region))
            }
            _ => Error::conflict("card_already_redeemed", "the card has been redeemed"),
        });
    }
    let recorded = actor.recorded();
    let unit = redeem_unit(tenant, &user.id, &card, &recorded, now)?;
    let redeemed = CardView {
        remaining: card.face_value,
        card: Card { redeemed_by: Some(user.id), redeemed_at: Some(now), redeemed_actor: Some(recorded), ..card },
        at: now,
    };
    let interpret = Arc::new(move |outcome: &UnitOutput| {
        if let Some(error) = refused(outcome) {
            return Err(error);
        }
        match outcome {
            UnitOutput::Applied { results, .. } if results.iter().all(|r| r.is_ok()) => Ok(redeemed.clone()),
            _ => Err(Error::conflict("card_already_redeemed", "the card has been redeemed")),
        }
    });
    commit::commit(ctx, retry, unit, interpret).await
}

/// Moves all of the card's value to the user's `gift:<card id>` pocket, if it is still
/// on the card when the committer plans it.
fn redeem_unit(tenant: &str, user: &str, card: &Card, actor: &str, now: i64) -> Result<Unit, Error> {
    let currency = Currency::parse(&card.program.currency).map_err(|_| Error::internal("bad stored currency"))?;
    let card_account = pocket::gift_card_account(tenant, &card.id, currency);
    let gift = Pocket::Gift(card.id.clone());
    let pocket_account = pocket::pocket_account(tenant, user, &gift, currency);
    let value = Amount::new(card.face_value).expect("positive");
    let id = format!("{tenant}/{}:redeem", card.id);
    let redeem = transfer(id, &card_account.id, &pocket_account.id, value, currency, codes::GIFT_CARD_REDEEM);
    let entry = NewEntry {
        tenant,
        user,
        currency: currency.code(),
        pocket: &gift,
        amount: card.face_value,
        kind: "gift_card_redeem",
        reference_id: &card.id,
        description: Some(&card.program.brand),
        at: now,
    };
    let rows = vec![
        pocket_row(tenant, user, &gift, &pocket_account, now),
        gift_cards::redeemed_row(&card.id, user, actor, now),
        entry.row(0),
    ];
    let card_id = card_account.id.clone();
    let data = json!({
        "user_id": user,
        "program_id": card.program.id,
        "amount": card.face_value,
        "currency": currency.code(),
        "pocket": gift.name(),
        "transfers": events::transfers_data(tenant, std::slice::from_ref(&redeem)),
    });
    let event = Happened::recorded_by(tenant, actor.to_string(), &card.id, Kind::GiftCardRedeemed, data, now);
    Ok(Unit {
        open: vec![pocket_account],
        read: vec![card_account.id],
        prior: Vec::new(),
        plan: Arc::new(move |book| {
            // The card's account holds its value until the one redemption that takes it all.
            if book.account(&card_id).map_or(0, available) < value.minor_units() {
                return Err(Refusal::new("card_already_redeemed", "the card has been redeemed"));
            }
            Ok(Plan::new(vec![redeem.clone()], rows.clone()).with_event(event.clone()))
        }),
    })
}
