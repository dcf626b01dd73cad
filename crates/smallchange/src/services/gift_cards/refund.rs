//! Refunding what is left on a redeemed card, at face value, once the program's rule
//! allows it. The remainder goes where the card's purchase money came from: `cash` only if
//! that was withdrawable; a card bought by carrier billing or card goes back to that pocket.

use std::sync::Arc;

use ledger::{Amount, Currency, Transfer};
use serde_json::json;

use super::super::commit::{self, refused, Answer, Retry};
use super::super::users::freeze::not_frozen;
use super::super::{Actor, Error};
use super::{found, CardView};
use crate::context::Context;
use crate::domain::gift_card::{self, RefundRule};
use crate::domain::pocket::{self, codes, Pocket, Source};
use crate::events::{self, Happened, Kind};
use crate::store::gift_cards::Card;
use crate::store::wallet::{available, pocket_row, NewEntry};
use crate::unit::{linked, transfer, Plan, Refusal, Row, Unit, UnitOutput};

/// A remainder refunded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemainderRefund {
    /// The card, with nothing left on it.
    pub card: CardView,
    /// How much went back.
    pub amount: i64,
    /// Where it went.
    pub pocket: Pocket,
}

/// Refunds the remainder of card `id`, recorded as `gift_card.remainder_refunded` by
/// `actor`; not while the card's holder is frozen (`user_frozen`).
pub async fn refund_remainder(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    id: &str,
    retry: Option<Retry<RemainderRefund>>,
) -> Result<Answer<RemainderRefund>, Error> {
    let card = found(ctx, tenant, id).await?;
    let Some(user) = card.redeemed_by.clone() else {
        return Err(Error::conflict("invalid_state", "the card is not redeemed: there is no remainder to refund"));
    };
    not_frozen(ctx, tenant, &user).await?;
    let destination = refund_pocket(&card)?;
    let currency = Currency::parse(&card.program.currency).map_err(|_| Error::internal("bad stored currency"))?;
    let now = ctx.clock.now_us();
    let refund = Refund {
        tenant: tenant.to_string(),
        user,
        card_id: card.id.clone(),
        destination: destination.clone(),
        currency,
        rule: card.program.refund_rule,
        face_value: card.face_value,
        at: now,
        actor: actor.recorded(),
    };
    let unit = refund.unit();
    let view = CardView { card, remaining: 0, at: now };
    let interpret = Arc::new(move |outcome: &UnitOutput| {
        if let Some(error) = refused(outcome) {
            return Err(error);
        }
        let UnitOutput::Applied { transfers, results } = outcome else { unreachable!("refusals handled above") };
        if !results.iter().all(|r| r.is_ok()) {
            return Err(Error::conflict("invalid_state", "the card's balance changed; try again"));
        }
        let amount = transfers.iter().filter_map(|t| t.amount).map(Amount::minor_units).sum();
        Ok(RemainderRefund { card: view.clone(), amount, pocket: destination.clone() })
    });
    commit::commit(ctx, retry, unit, interpret).await
}

/// Where card `card`'s remainder goes when refunded: the pocket its purchase money would
/// have landed in (`cash` only for a withdrawable source; carrier billing and card stay
/// `carrier` and `card`, never cash).
pub fn refund_pocket(card: &Card) -> Result<Pocket, Error> {
    let purchased_with =
        Source::parse(&card.purchased_with).ok_or_else(|| Error::internal("a stored source is unknown"))?;
    Ok(purchased_with.pocket(None))
}

/// What a refund needs to plan itself against the card's pocket as it is then.
struct Refund {
    tenant: String,
    user: String,
    card_id: String,
    destination: Pocket,
    currency: Currency,
    rule: RefundRule,
    face_value: i64,
    at: i64,
    /// Who asked, recorded.
    actor: String,
}

impl Refund {
    fn unit(self) -> Unit {
        let gift = Pocket::Gift(self.card_id.clone());
        let gift_account = pocket::pocket_account(&self.tenant, &self.user, &gift, self.currency);
        let to_account = pocket::pocket_account(&self.tenant, &self.user, &self.destination, self.currency);
        let pocket_record = pocket_row(&self.tenant, &self.user, &self.destination, &to_account, self.at);
        let (from_id, to_id) = (gift_account.id.clone(), to_account.id.clone());
        Unit {
            open: vec![to_account],
            read: vec![gift_account.id],
            prior: Vec::new(),
            plan: Arc::new(move |book| {
                let left = book.account(&from_id).map_or(0, available);
                if left <= 0 {
                    return Err(Refusal::new("invalid_state", "nothing is left on the card"));
                }
                if !self.rule.allows_refund(self.face_value, left) {
                    let message = format!(
                        "the card's terms allow a refund once {}% of it is used; {}% is",
                        self.rule.threshold_bps(self.face_value) / 100,
                        gift_card::used_bps(self.face_value, left) / 100
                    );
                    return Err(Refusal::new("not_withdrawable", message));
                }
                let value = Amount::new(left).expect("positive");
                let id = format!("{}/{}:remainder:{}", self.tenant, self.card_id, self.at);
                let moved = transfer(id, &from_id, &to_id, value, self.currency, codes::GIFT_CARD_REMAINDER);
                let rows = vec![
                    pocket_record.clone(),
                    self.entry(&Pocket::Gift(self.card_id.clone()), -left, 0),
                    self.entry(&self.destination, left, 1),
                ];
                let transfers = linked(vec![moved]);
                Ok(Plan::new(transfers.clone(), rows).with_event(self.event(left, &transfers)))
            }),
        }
    }

    /// `gift_card.remainder_refunded`: `amount` went back to the destination pocket.
    fn event(&self, amount: i64, transfers: &[Transfer]) -> Happened {
        let data = json!({
            "user_id": self.user,
            "amount": amount,
            "currency": self.currency.code(),
            "pocket": self.destination.name(),
            "transfers": events::transfers_data(&self.tenant, transfers),
        });
        let kind = Kind::GiftCardRemainderRefunded;
        Happened::recorded_by(&self.tenant, self.actor.clone(), &self.card_id, kind, data, self.at)
    }

    /// The `n`th statement line of the refund: `amount` into (or out of) `pocket`.
    fn entry(&self, pocket: &Pocket, amount: i64, n: usize) -> Row {
        NewEntry {
            tenant: &self.tenant,
            user: &self.user,
            currency: self.currency.code(),
            pocket,
            amount,
            kind: "gift_card_remainder",
            reference_id: &self.card_id,
            description: Some("gift card remainder refunded"),
            at: self.at,
        }
        .row(n)
    }
}
