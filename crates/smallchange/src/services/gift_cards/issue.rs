//! Issuing a card the operator has sold: a new code, kept sealed and found by its keyed
//! hash, and the card's value moved from the gift-card float into an account of its own.

use std::sync::Arc;

use ledger::{Amount, Currency};
use serde_json::json;

use super::super::commit::{self, Answer, Retry};
use super::super::{Actor, Error};
use super::{code_lookup, CardView};
use crate::context::Context;
use crate::domain::gift_card::{self, CardOrder, DAY_US};
use crate::domain::pocket::{self, codes};
use crate::events::{self, Happened, Kind};
use crate::people::{money, Lang};
use crate::store::gift_cards::{self, Card, NewCard};
use crate::unit::{transfer, Unit, UnitOutput};

/// A card just issued, with its code: the one answer that shows it in full. (No `Debug`:
/// the code must not reach a log.)
#[derive(Clone)]
pub struct IssuedCard {
    pub view: CardView,
    pub code: String,
}

/// Issues the card `order` asks for, recording `actor` as its issuer. The answer holds the
/// code: a door that keeps it for retries keeps it sealed.
pub async fn issue(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    order: CardOrder,
    retry: Option<Retry<IssuedCard>>,
) -> Result<Answer<IssuedCard>, Error> {
    let program = gift_cards::program(&ctx.db, tenant, order.program_id())
        .await?
        .ok_or_else(|| Error::invalid("unknown_program", "no such gift-card program", "program_id"))?;
    if !program.face_values.contains(&order.face_value()) {
        let values: Vec<String> = program.face_values.iter().map(|v| money(*v, &program.currency, Lang::En)).collect();
        let message = format!("face_value is one of the program's: {}", values.join(", "));
        return Err(Error::invalid("invalid_face_value", message, "face_value"));
    }
    let currency = Currency::parse(&program.currency).map_err(|_| Error::internal("a stored currency is unknown"))?;
    let issued_at = ctx.clock.now_us();
    let code = gift_card::new_code();
    let normalized = gift_card::normalize_code(&code);
    let card = Card {
        id: crate::ids::time_ordered("gc", issued_at),
        face_value: order.face_value(),
        purchased_with: order.purchased_with().as_str().to_string(),
        purchaser_ref: order.purchaser_ref().to_string(),
        code_last4: gift_card::last4(&normalized),
        issued_at,
        expires_at: issued_at + program.validity_days * DAY_US,
        redeemed_by: None,
        redeemed_at: None,
        issued_actor: Some(actor.recorded()),
        redeemed_actor: None,
        program,
    };
    let new_card = NewCard {
        id: &card.id,
        program_id: &card.program.id,
        face_value: card.face_value,
        currency: currency.code(),
        purchased_with: &card.purchased_with,
        purchaser_ref: &card.purchaser_ref,
        code_sealed: ctx.secrets.seal(code.as_bytes()),
        code_lookup: code_lookup(ctx, tenant, &normalized),
        code_last4: &card.code_last4,
        issued_at,
        expires_at: card.expires_at,
        issued_actor: card.issued_actor.as_deref(),
    };
    let card_account = pocket::gift_card_account(tenant, &card.id, currency);
    let float = pocket::gift_card_float(tenant, currency);
    let value = Amount::new(card.face_value).expect("checked positive");
    let issue = transfer(
        format!("{tenant}/{}:issue", card.id),
        &float.id,
        &card_account.id,
        value,
        currency,
        codes::GIFT_CARD_ISSUE,
    );
    let data = json!({
        "program_id": card.program.id,
        "face_value": card.face_value,
        "currency": currency.code(),
        "purchased_with": card.purchased_with,
        "code_last4": card.code_last4,
        "expires_at": crate::clock::rfc3339(card.expires_at),
        "transfers": events::transfers_data(tenant, std::slice::from_ref(&issue)),
    });
    let event = Happened::new(tenant, actor, &card.id, Kind::GiftCardIssued, data, issued_at);
    let unit =
        Unit::fixed(vec![card_account, float], Vec::new(), vec![issue], vec![new_card.row(tenant)]).with_event(event);
    let issued = IssuedCard { view: CardView { remaining: card.face_value, at: issued_at, card }, code };
    let interpret = Arc::new(move |outcome: &UnitOutput| match outcome {
        UnitOutput::Applied { results, .. } if results.iter().all(|r| r.is_ok()) => Ok(issued.clone()),
        other => Err(Error::internal(format!("issuing a card failed: {other:?}"))),
    });
    commit::commit(ctx, retry, unit, interpret).await
}
