//! Auto-cash-out: when what a user may withdraw reaches the threshold they set, a cash-out
//! of everything withdrawable (within their limits) to their saved destination is created.
//! It still needs its one-time code — unless the tenant enables standing authorisation, in
//! which case the user's consent given when they turned auto-cash-out on confirms it.
//! Either way it meets the same risk rules as any cash-out. A frozen user's is skipped
//! until the user is unfrozen (the setting is kept).

use crate::context::Context;
use crate::domain::destination::closed_by;
use crate::events::{Happened, Kind};
use crate::people::{self, Lang};
use crate::services::users::destinations as user_destinations;
use crate::services::{Actor, Error};
use crate::store::cashouts::{self, AutoCashout};
use crate::store::destinations::StoredDestination;
use crate::store::{destinations, users};

use super::quote::{self, QuoteInput, Wanted};
use super::{existing_user, flow, money, otp};

/// Who creates auto-cash-outs, and confirms them on a standing authorisation.
const AUTO_CASHOUT: Actor = Actor::System("auto-cashout");

/// Most destinations offered for auto-cash-out: enough for anyone.
const OFFERED_MAX: i64 = 50;

/// Most auto-cash-out settings one pass looks at.
const PASS_LIMIT: i64 = 500;

/// Creates the auto-cash-outs that are due.
pub async fn pass(app: &Context) -> anyhow::Result<()> {
    for (tenant, auto) in cashouts::autos_enabled(&app.db, PASS_LIMIT).await? {
        if let Err(error) = consider(app, &tenant, &auto).await {
            tracing::warn!(user = %auto.user_id, error = %format!("{error:#}"), "auto-cash-out failed; trying again later");
        }
    }
    Ok(())
}

async fn consider(app: &Context, tenant: &str, auto: &AutoCashout) -> anyhow::Result<()> {
    // One cash-out at a time: a new one waits until the last one is paid or ended.
    if cashouts::has_open(&app.db, tenant, &auto.user_id).await? {
        return Ok(());
    }
    let Some(user) = users::get(&app.db, tenant, &auto.user_id).await? else { return Ok(()) };
    // A frozen user's setting waits, untouched, until the user is unfrozen.
    if user.frozen.is_some() {
        return Ok(());
    }
    let Some(destination) = destinations::get(&app.db, tenant, &auto.destination_id).await? else { return Ok(()) };
    let wallet = app.settings.wallet_policy(tenant);
    let now = app.clock.now_us();
    let input = QuoteInput {
        tenant,
        user: &user,
        destination: &destination,
        wanted: Wanted::Max,
        currency: wallet.currency(),
        speed: "standard",
        now,
    };
    let policy = app.settings.cashout_policy(tenant);
    let Ok(quote) = quote::build(&app.db, policy, wallet, input).await? else { return Ok(()) };
    if quote.gross < auto.threshold {
        return Ok(());
    }
    cashouts::insert_quote(&app.db, tenant, &quote).await?;
    let (cashout, code) = flow::new_cashout(app, tenant, quote, &user, now);
    // What set it off is recorded with the cash-out it made (`cashout.created`), in the same
    // unit: the operator hears of both, or of neither.
    let data = serde_json::json!({"user_id": user.id, "threshold": auto.threshold, "withdrawable": cashout.quote.gross,
        "cashout_id": cashout.id});
    let reached = Happened::new(tenant, &AUTO_CASHOUT, &user.id, Kind::BalanceThresholdReached, data, now);
    let unit = money::hold_unit(tenant, &cashout, &AUTO_CASHOUT, Vec::new())?.with_event(reached);
    if !app.committer.apply_unit(unit).await? {
        // The balance moved since the quote: next pass.
        return Ok(());
    }
    tracing::info!(cashout = %cashout.id, user = %user.id, gross = cashout.quote.gross, "auto-cash-out created");
    if policy.auto_standing_authorisation {
        let how = "confirmed by the user's standing auto-cash-out authorisation";
        if let Err(error) = flow::proceed(app, &AUTO_CASHOUT, tenant, &cashout, how, now).await {
            tracing::info!(cashout = %cashout.id, error = ?error, "auto-cash-out refused by the risk rules");
        }
    } else if let Some(code) = code {
        otp::send_code(app, tenant, &cashout, &user.phone, &code).await;
    }
    Ok(())
}

/// A user's auto-cash-out setting, as shown.
#[derive(Clone, Debug)]
pub struct Setting {
    pub auto: AutoCashout,
    /// Whether auto-cash-outs go ahead without a code (a tenant setting).
    pub standing_authorisation: bool,
}

fn shown(ctx: &Context, tenant: &str, auto: AutoCashout) -> Setting {
    Setting { auto, standing_authorisation: ctx.settings.cashout_policy(tenant).auto_standing_authorisation }
}

/// What an operator sets for a user.
pub struct Choice {
    pub enabled: bool,
    /// Withdrawable amount at which a cash-out is created (at least the minimum).
    pub threshold: i64,
    /// One of the user's destinations.
    pub destination_id: String,
}

/// Turns a user's auto-cash-out on or off, with its threshold and destination, recorded as
/// `auto_cashout.set` by `actor`.
pub async fn set(ctx: &Context, actor: &Actor, tenant: &str, user_id: &str, choice: Choice) -> Result<Setting, Error> {
    let minimum = ctx.settings.cashout_policy(tenant).minimum;
    if choice.threshold < minimum || choice.threshold > ctx.settings.amount_max {
        let currency = &ctx.settings.wallet_policy(tenant).currency;
        let message =
            format!("threshold is at least the cash-out minimum, {}", people::money(minimum, currency, Lang::En));
        return Err(Error::invalid("invalid_threshold", message, "threshold"));
    }
    let user = existing_user(ctx, tenant, user_id).await?;
    destinations::get(&ctx.db, tenant, &choice.destination_id)
        .await?
        .filter(|d| d.user_id == user.id)
        .ok_or_else(|| Error::invalid("unknown_destination", "no such destination of this user", "destination_id"))?;
    let auto = AutoCashout {
        user_id: user.id,
        enabled: choice.enabled,
        threshold: choice.threshold,
        destination_id: choice.destination_id,
        updated_at: ctx.clock.now_us(),
    };
    let data = serde_json::json!({
        "enabled": auto.enabled,
        "threshold": auto.threshold,
        "destination_id": auto.destination_id,
    });
    let event = Happened::new(tenant, actor, &auto.user_id, Kind::AutoCashoutSet, data, auto.updated_at);
    let row = cashouts::set_auto_row(tenant, &auto);
    crate::services::commit::write_rows_recording(ctx, None, vec![row], event, ()).await?;
    Ok(shown(ctx, tenant, auto))
}

/// The destinations auto-cash-out offers a user, and the one it offers first.
pub struct Offered {
    /// The user's destinations, newest first, but for any a payout found closed (the newest
    /// cash-out to it failed so): money sent there by itself would only come back.
    pub destinations: Vec<StoredDestination>,
    /// Where the user's last paid cash-out went, else the newest offered.
    pub usual: Option<String>,
}

/// What auto-cash-out may pay for `user_id`: see [`Offered`].
pub async fn offered(ctx: &Context, actor: &Actor, tenant: &str, user_id: &str) -> Result<Offered, Error> {
    let user = existing_user(ctx, tenant, user_id).await?;
    let endings = cashouts::last_endings(&ctx.db, tenant, &user.id).await?;
    let closed = |id: &str| {
        endings.iter().any(|(destination, status, reason)| {
            destination == id && status == "failed" && reason.as_deref().is_some_and(closed_by)
        })
    };
    let all = user_destinations::of_user(ctx, actor, tenant, &user.id, None, OFFERED_MAX).await?.items;
    let destinations: Vec<StoredDestination> = all.into_iter().filter(|d| !closed(&d.id)).collect();
    let last_paid = endings.iter().find(|(_, status, _)| status == "paid").map(|(destination, _, _)| destination);
    let usual = match last_paid {
        Some(paid) if destinations.iter().any(|d| &d.id == paid) => Some(paid.clone()),
        _ => destinations.first().map(|d| d.id.clone()),
    };
    Ok(Offered { destinations, usual })
}

/// A user's auto-cash-out setting; `not_found` if it was never set.
pub async fn get(ctx: &Context, tenant: &str, user_id: &str) -> Result<Setting, Error> {
    let user = existing_user(ctx, tenant, user_id).await?;
    let auto = cashouts::auto(&ctx.db, tenant, &user.id)
        .await?
        .ok_or_else(|| Error::not_found("auto-cash-out was never set for this user"))?;
    Ok(shown(ctx, tenant, auto))
}
