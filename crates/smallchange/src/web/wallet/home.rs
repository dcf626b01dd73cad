//! The home page (`/wallet/`): what the person holds, what of it they may withdraw and why
//! each pocket can or cannot be cashed out (in the catalogs' words, never the API's
//! `reason`), what is held for cash-outs in progress (those still waiting for their code
//! too, each a link to its page), and the next gift card to expire if it expires soon
//! ([`gift_card::EXPIRING_SOON_DAYS`]); for a frozen user, in general words, that cash-outs
//! are paused and whom to ask. Someone not signed in gets the front door instead.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use minijinja::context;
use serde::Serialize;

use super::enter::front_door;
use crate::domain::gift_card;
use crate::domain::pocket::Pocket;
use crate::domain::policy::Why;
use crate::people::cashout::UNPAID_ENDINGS;
use crate::services::users::freeze;
use crate::services::{balances, cashout, gift_cards, Error};
use crate::web::page;
use crate::web::visitor::{Signed, Visitor};
use crate::web::Ui;

pub fn router() -> Router<Ui> {
    Router::new().route("/wallet/", get(home))
}

/// Cards and cash-outs read for the home page: enough for anyone's recent history.
const RECENT: i64 = 50;

#[derive(Serialize)]
struct PocketShown {
    /// The catalog message naming it (`pocket-carrier`), or the gift card's brand.
    label_id: Option<String>,
    brand: Option<String>,
    available: i64,
    pending: i64,
    withdrawable: i64,
    why: WhyShown,
}

/// Why a pocket can or cannot be withdrawn, for `pocket_why.html`: the catalog message
/// `pocket-why-<code>` and every value such a message names (0 where it names none).
#[derive(Serialize)]
pub struct WhyShown {
    code: &'static str,
    amount: i64,
    minimum: i64,
    used_bps: i64,
    threshold_bps: i64,
    at: i64,
}

/// The page's words for `why`, never the API's `reason`.
pub fn why_shown(why: &Why) -> WhyShown {
    let mut shown = WhyShown { code: why.code(), amount: 0, minimum: 0, used_bps: 0, threshold_bps: 0, at: 0 };
    match *why {
        Why::CashbackEnough { minimum, held } => (shown.amount, shown.minimum) = (held, minimum),
        Why::CashbackTooLittle { minimum, held } => (shown.amount, shown.minimum) = (minimum - held, minimum),
        Why::GiftRefundable { used_bps, left } => (shown.amount, shown.used_bps) = (left, used_bps),
        Why::GiftSpendMore { used_bps, threshold_bps, to_spend } => {
            (shown.amount, shown.used_bps, shown.threshold_bps) = (to_spend, used_bps, threshold_bps)
        }
        Why::GiftExpired { at_us } => shown.at = at_us,
        _ => {}
    }
    shown
}

#[derive(Serialize)]
struct OnTheWay {
    id: String,
    net: i64,
    status: String,
    destination: String,
}

#[derive(Serialize)]
struct Expiring {
    brand: String,
    remaining: i64,
    expires_at: i64,
}

async fn home(State(ui): State<Ui>, visitor: Visitor) -> Response {
    let fallback = visitor.clone();
    match visitor.signed(&ui).await {
        Ok(Some(signed)) => match shown(&ui, &signed).await {
            Ok(response) => response,
            Err(error) => page::failure(&ui, &signed.visitor, error),
        },
        Ok(None) => front_door(&ui, &fallback).await,
        Err(error) => page::failure(&ui, &fallback, error),
    }
}

async fn shown(ui: &Ui, signed: &Signed) -> Result<Response, Error> {
    let actor = signed.actor();
    let lang = signed.visitor.lang;
    let held = balances::balances(ui, &actor, signed.tenant(), signed.user_id(), None, lang).await?;
    let cards = gift_cards::of_user(ui, &actor, signed.tenant(), signed.user_id(), None, RECENT).await?.items;
    let brand_of = |id: &str| cards.iter().find(|c| c.card.id == id).map(|c| c.card.program.brand.clone());
    let pockets: Vec<PocketShown> = held
        .pockets
        .iter()
        .filter(|p| p.available != 0 || p.pending != 0)
        .map(|p| PocketShown {
            label_id: match &p.pocket {
                Pocket::Gift(_) => None,
                fixed => Some(format!("pocket-{}", fixed.name())),
            },
            brand: match &p.pocket {
                Pocket::Gift(card) => Some(brand_of(card).unwrap_or_default()),
                _ => None,
            },
            available: p.available,
            pending: p.pending,
            withdrawable: p.withdrawable,
            why: why_shown(&p.why),
        })
        .collect();
    let now = ui.clock.now_us();
    let next_to_expire = cards
        .iter()
        .filter(|c| c.status() == "redeemed" && gift_card::expires_soon(c.remaining, c.card.expires_at, now))
        .min_by_key(|c| c.card.expires_at)
        .map(|c| Expiring {
            brand: c.card.program.brand.clone(),
            remaining: c.remaining,
            expires_at: c.card.expires_at,
        });
    let (recent, _) = cashout::view::of_user(ui, signed.tenant(), signed.user_id(), None, RECENT).await?;
    let on_the_way: Vec<OnTheWay> = recent
        .into_iter()
        .filter(|d| d.cashout.status != "paid" && !UNPAID_ENDINGS.contains(&d.cashout.status.as_str()))
        .map(|d| OnTheWay {
            id: d.cashout.id.clone(),
            net: d.cashout.quote.net,
            status: d.cashout.status.clone(),
            destination: d.destination.masked.clone(),
        })
        .collect();
    let paused = freeze::paused(ui, &actor, signed.tenant(), signed.user_id()).await?;
    let values = context! {
        paused => super::paused_shown(paused),
        total => held.available() + held.pending(),
        available => held.available(),
        withdrawable => held.withdrawable(),
        pending => held.pending(),
        pockets,
        on_the_way,
        next_to_expire,
        nav => "home",
    };
    Ok(page::show_signed(ui, signed, StatusCode::OK, "home.html", values))
}
