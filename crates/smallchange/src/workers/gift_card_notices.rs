//! `gift_card.expiring`: a card that still holds value `gift_card_expiry_notice_days`
//! before it expires is announced to the operator once, so it can remind the holder to
//! spend it. Cards issued but not redeemed are included: their buyer may still redeem them.
//! The notice is the event `gift_card.expiring` (whose data is the webhook's), recorded in
//! one unit with the card's mark, conditional on no notice before, so two servers announce
//! a card once between them; the webhook follows from the event.

use std::sync::Arc;

use serde_json::json;

use crate::clock::rfc3339;
use crate::context::Context;
use crate::domain::gift_card::DAY_US;
use crate::events::{Happened, Kind};
use crate::services::commit;
use crate::services::Actor;
use crate::store::gift_cards;
use crate::unit::{Guard, Refusal, Unit, UnitOutput};

/// Most cards one pass looks at.
const PASS_LIMIT: i64 = 200;

/// Announces the cards whose notice is due.
pub async fn pass(app: &Context, now: i64) -> anyhow::Result<()> {
    let settings = &app.settings;
    let longest = std::iter::once(&settings.wallet)
        .chain(settings.wallet_tenants.values())
        .map(|policy| policy.gift_card_expiry_notice_days)
        .max()
        .unwrap_or(0);
    if longest <= 0 {
        return Ok(());
    }
    for (tenant, id) in gift_cards::expiring(&app.db, now, now + longest * DAY_US, PASS_LIMIT).await? {
        crate::rails::carry_on(notice(app, &tenant, &id, now).await, "announcing an expiring gift card", &id);
    }
    Ok(())
}

async fn notice(app: &Context, tenant: &str, id: &str, now: i64) -> anyhow::Result<()> {
    let days = app.settings.wallet_policy(tenant).gift_card_expiry_notice_days;
    let Some(card) = gift_cards::card(&app.db, tenant, id).await? else { return Ok(()) };
    if days <= 0 || card.expires_at > now + days * DAY_US {
        return Ok(()); // This tenant announces later, or never.
    }
    let remaining = gift_cards::remaining(&app.db, tenant, &card).await?;
    let guard = Guard {
        row: gift_cards::expiry_noticed_row(&card.id, now),
        refusal: Refusal::new("already_noticed", "the card's expiry was announced already"),
    };
    let mut unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), Vec::new());
    if remaining > 0 {
        let data = json!({
            "id": card.id,
            "user_id": card.redeemed_by,
            "remaining": remaining,
            "currency": card.program.currency,
            "expires_at": rfc3339(card.expires_at),
        });
        let actor = Actor::System("gift-card-notices");
        unit = unit.with_event(Happened::new(tenant, &actor, &card.id, Kind::GiftCardExpiring, data, now));
    }
    let interpret = Arc::new(|outcome: &UnitOutput| Ok(outcome.succeeded()));
    commit::commit(app, None, unit.with_guard(guard), interpret).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}
