//! An agent of the operator pays a cash-pickup voucher out (see [`crate::rails::cash_pickup`]
//! for how vouchers are issued and expire). Every change of a voucher is written in the
//! same transaction as its cash-out's status change, conditional on the cash-out's state: of
//! two agents (or an agent and the expiry sweep) racing for one voucher, exactly one moves
//! it on.

use super::flow;
use crate::clock::rfc3339;
use crate::context::Context;
use crate::rails::cash_pickup::{self, close, Closing};
use crate::services::Error;
use crate::store::cashouts::Transition;
use crate::store::idempotency::{self, NewRecord, StoredResponse};
use crate::store::pickup::{self, Agent, Voucher};

/// A voucher paid out: what the agent hands over, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payout {
    pub cashout_id: String,
    pub voucher_id: String,
    /// The quote's net, in minor units.
    pub amount: i64,
    pub currency: String,
    pub redeemed_at: i64,
}

/// The agent's `Idempotency-Key` (scoped to its tenant and itself) and how to render the
/// answer kept under it, written in the transaction that pays the voucher out: a retry
/// finds the answer exactly when the voucher is paid.
pub struct Keyed<'a> {
    pub scoped_key: String,
    pub request_hash: String,
    pub render: &'a (dyn Fn(&Payout) -> String + Sync),
}

/// An agent pays a voucher out: the right PIN marks it redeemed and the cash-out `paid`
/// (its hold posted). Each PIN typed takes an attempt first, and only a PIN with an
/// attempt is compared: of any number of racing agents at most `pin_attempts_max` PINs are
/// ever looked at. A wrong PIN at the last attempt locks the voucher.
pub async fn redeem(
    app: &Context,
    agent: &Agent,
    code: &str,
    pin: &str,
    keyed: Option<Keyed<'_>>,
) -> Result<Payout, Error> {
    let tenant = agent.tenant_id.as_str();
    let not_found = || Error::not_found("no cash-pickup voucher has this code");
    let lookup = cash_pickup::lookup(app, tenant, code).ok_or_else(not_found)?;
    let voucher = pickup::by_code(&app.db, tenant, &lookup).await?.ok_or_else(not_found)?;
    let now = app.clock.now_us();
    if voucher.status != "issued" {
        return Err(not_redeemable(&voucher));
    }
    if now >= voucher.expires_at {
        close(app, &voucher, Closing::Expired, now).await?;
        return Err(not_redeemable(&reload(app, &voucher).await?));
    }
    let allowed = app.settings.cashout_policy(tenant).pickup.pin_attempts_max;
    let Some(attempt) = pickup::take_pin_attempt(&app.db, tenant, &voucher.id, allowed).await? else {
        return Err(no_attempt_left(&reload(app, &voucher).await?));
    };
    if !cash_pickup::pin_matches(app, &voucher, pin) {
        return Err(wrong_pin(app, &voucher, attempt, allowed, now).await?);
    }
    pay_out(app, agent, &voucher, keyed, now).await
}

/// Marks the voucher redeemed and its cash-out `paid`, with the key's answer if any.
async fn pay_out(
    app: &Context,
    agent: &Agent,
    voucher: &Voucher,
    keyed: Option<Keyed<'_>>,
    now: i64,
) -> Result<Payout, Error> {
    let cashout = flow::load(app, &voucher.tenant_id, &voucher.cashout_id).await?;
    let payout = Payout {
        cashout_id: cashout.id.clone(),
        voucher_id: voucher.id.clone(),
        amount: cashout.quote.net,
        currency: cashout.quote.currency.clone(),
        redeemed_at: now,
    };
    let mut rows = vec![pickup::redeemed_row(&voucher.id, &agent.id, now)];
    if let Some(k) = keyed {
        let response = StoredResponse { request_hash: k.request_hash, status: 200, body: (k.render)(&payout) };
        rows.push(idempotency::record_row(&NewRecord { scoped_key: k.scoped_key, response }, now));
    }
    let t = Transition {
        tenant: &voucher.tenant_id,
        id: &voucher.cashout_id,
        from: &["in_transit"],
        to: "paid",
        note: format!("paid out in cash by agent {} ({})", agent.id, agent.name),
        at: now,
        set: vec![("paid_at", now.into())],
        rows,
    };
    if !flow::change(app, t).await? {
        return Err(not_redeemable(&reload(app, voucher).await?));
    }
    Ok(payout)
}

async fn reload(app: &Context, voucher: &Voucher) -> Result<Voucher, Error> {
    let found = pickup::get(&app.db, &voucher.tenant_id, &voucher.id).await?;
    found.ok_or_else(|| Error::internal(format!("voucher {} vanished", voucher.id)))
}

/// The error for a PIN that got no attempt. A voucher still `issued` has every attempt
/// taken by redeems under way: the last of them, if wrong, locks it.
fn no_attempt_left(voucher: &Voucher) -> Error {
    if voucher.status == "issued" {
        Error::conflict("voucher_locked", "too many PINs were tried: no attempt is left for this voucher")
    } else {
        not_redeemable(voucher)
    }
}

/// A wrong PIN at attempt `attempt` of `allowed`: `pin_invalid` with the attempts left,
/// or, at the last one, the voucher locked (its cash-out failed, the hold released) and
/// `voucher_locked`.
async fn wrong_pin(app: &Context, voucher: &Voucher, attempt: i64, allowed: i64, now: i64) -> Result<Error, Error> {
    if attempt < allowed {
        let message = format!("the PIN is wrong; {} attempt(s) left", allowed - attempt);
        return Ok(Error::invalid("pin_invalid", message, "pin"));
    }
    close(app, voucher, Closing::Locked, now).await?;
    Ok(not_redeemable(&reload(app, voucher).await?))
}

/// The error for a voucher that can no longer be paid out.
fn not_redeemable(voucher: &Voucher) -> Error {
    match voucher.status.as_str() {
        "locked" => Error::conflict(
            "voucher_locked",
            "too many wrong PINs: the voucher is locked, and the cash-out failed with its hold released",
        ),
        "expired" => Error::conflict(
            "voucher_expired",
            "the voucher expired unredeemed: the cash-out failed and its hold is released",
        ),
        "redeemed" => {
            let by = voucher.redeemed_by.as_deref().unwrap_or_default();
            let at = voucher.redeemed_at.map(rfc3339).unwrap_or_default();
            Error::conflict("invalid_state", format!("the voucher was paid out already, by agent {by} at {at}"))
        }
        other => Error::conflict("invalid_state", format!("the voucher is {other}")),
    }
}
