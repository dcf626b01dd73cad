//! Gift cards: programs, issuing a card the operator sold, checking a code, redeeming it
//! into a per-card pocket, and refunding a remainder where the program's rule allows.
//!
//! A card's value sits in a ledger account of its own from issue until redemption. The
//! redemption moves all of it to the user's `gift:<card id>` pocket, planned in the
//! committer with the card's account locked: a code redeems once, whoever races for it.
//! Codes are kept sealed (AES-256-GCM) and found by a keyed hash; they are shown in full
//! only in the answer that issues them. Who created a program, issued a card and redeemed
//! it is recorded with it.

mod issue;
mod own;
mod programs;
mod redeem;
mod refund;

pub use issue::{issue, IssuedCard};
pub use own::{brands, own_card, own_cards, redeem_own, refund_own, OwnCard, OwnCards, Redeemed};
pub use programs::{create_program, program};
pub use redeem::{check, redeem, Eligibility, Shown};
pub use refund::{refund_pocket, refund_remainder, RemainderRefund};

use super::page::{fetch_limit, Page};
use super::{Actor, Error};
use crate::context::Context;
use crate::domain::gift_card;
use crate::store::gift_cards::{self, Card};

/// What a code hash is keyed for: codes are unique per tenant.
const CODE_LOOKUP_PURPOSE: &str = "gift_card_code";

/// A card as it stands at `at`, with what is left on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardView {
    pub card: Card,
    /// What is left to spend: the face value until redeemed, then the pocket's balance.
    pub remaining: i64,
    pub at: i64,
}

impl CardView {
    /// `issued`, `redeemed` or `expired`.
    pub fn status(&self) -> &'static str {
        match (&self.card.redeemed_by, self.card.expires_at <= self.at) {
            (Some(_), _) => "redeemed",
            (None, true) => "expired",
            (None, false) => "issued",
        }
    }

    /// How much is used, in basis points of the face value.
    pub fn used_bps(&self) -> i64 {
        gift_card::used_bps(self.card.face_value, self.remaining)
    }

    /// Whether the remainder may be refunded now.
    pub fn refundable(&self) -> bool {
        self.card.redeemed_by.is_some()
            && self.card.program.refund_rule.allows_refund(self.card.face_value, self.remaining)
    }

    /// The share that must be used before the remainder is refundable, in basis points.
    pub fn refund_threshold_bps(&self) -> i64 {
        self.card.program.refund_rule.threshold_bps(self.card.face_value)
    }

    /// How much more must be spent before the remainder is refundable (0 once it is).
    pub fn still_to_spend(&self) -> i64 {
        self.card.program.refund_rule.still_to_spend(self.card.face_value, self.remaining)
    }
}

/// The card `id` as it stands now. Reading records nothing: `_actor` is taken as every use
/// case takes it.
pub async fn card(ctx: &Context, _actor: &Actor, tenant: &str, id: &str) -> Result<CardView, Error> {
    let card = found(ctx, tenant, id).await?;
    let remaining = gift_cards::remaining(&ctx.db, tenant, &card).await?;
    Ok(CardView { card, remaining, at: ctx.clock.now_us() })
}

/// A page of the cards user `user_id` redeemed, newest first, each as it stands now.
pub async fn of_user(
    ctx: &Context,
    _actor: &Actor,
    tenant: &str,
    user_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Page<CardView>, Error> {
    let user = super::users::existing(ctx, tenant, user_id).await?;
    let found = gift_cards::of_user(&ctx.db, tenant, &user.id, before, fetch_limit(limit)).await?;
    let Page { items, has_more } = Page::of(found, limit);
    let at = ctx.clock.now_us();
    let mut views = Vec::with_capacity(items.len());
    for card in items {
        let remaining = gift_cards::remaining(&ctx.db, tenant, &card).await?;
        views.push(CardView { card, remaining, at });
    }
    Ok(Page { items: views, has_more })
}

/// The keyed hash a card is found by from its normalised code.
fn code_lookup(ctx: &Context, tenant: &str, normalized: &str) -> String {
    ctx.secrets.lookup_hash(CODE_LOOKUP_PURPOSE, &format!("{tenant}/{normalized}"))
}

async fn found(ctx: &Context, tenant: &str, id: &str) -> Result<Card, Error> {
    let card = gift_cards::card(&ctx.db, tenant, id).await?;
    card.ok_or_else(|| Error::not_found(format!("no gift card {id}")))
}
