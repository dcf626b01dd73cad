//! Cash pickup's use cases: operators register the agents who pay vouchers out (each with
//! a key of its own, shown once) and revoke them, and an agent pays a voucher out (see
//! [`crate::rails::cash_pickup`] for how vouchers are issued and expire). Every change of a voucher is written in the
//! same transaction as its cash-out's status change, conditional on the cash-out's state: of
//! two agents (or an agent and the expiry sweep) racing for one voucher, exactly one moves
//! it on.

use super::flow::{self, Recorded};
use super::outcome;
use crate::clock::rfc3339;
use crate::context::Context;
use crate::domain::text::Text;
use crate::events::Kind;
use crate::rails::cash_pickup::{self, closing, Closing};
use crate::services::commit::{self, Answer, Retry};
use crate::services::{Actor, Error};
use crate::store::cashouts::Transition;
use crate::store::idempotency::{self, NewRecord, StoredResponse};
use crate::store::pickup::{self, Agent, Listed, Voucher};
use crate::store::tenants::{hash_secret, new_id};

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

/// An agent pays a voucher out: the right PIN marks it redeemed and the cash-out `paid`
/// (its hold posted). Each PIN typed takes an attempt first, and only a PIN with an
/// attempt is compared: of any number of racing agents at most `pin_attempts_max` PINs are
/// ever looked at. A wrong PIN at the last attempt locks the voucher.
///
/// With a `retry` (the agent's `Idempotency-Key`, scoped to its tenant and itself), the
/// answer is written down in the transaction that pays the voucher out, so a retry finds
/// it exactly when the voucher is paid; a retry that fails because its first attempt paid
/// the voucher meanwhile gets that attempt's answer.
pub async fn redeem(
    app: &Context,
    agent: &Agent,
    code: &str,
    pin: &str,
    retry: Option<Retry<Payout>>,
) -> Result<Answer<Payout>, Error> {
    let key = retry.as_ref().map(|r| (r.scoped_key.clone(), r.request_hash.clone()));
    match try_redeem(app, agent, code, pin, retry).await {
        Ok(payout) => Ok(Answer::Done(payout)),
        Err(error) => match key {
            Some((scoped_key, request_hash)) => match idempotency::find(&app.db, &scoped_key).await? {
                Some(first) if first.request_hash == request_hash => Ok(Answer::Again(first)),
                Some(_) => Err(commit::key_reused()),
                None => Err(error),
            },
            None => Err(error),
        },
    }
}

async fn try_redeem(
    app: &Context,
    agent: &Agent,
    code: &str,
    pin: &str,
    retry: Option<Retry<Payout>>,
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
        outcome::apply(app, &agent_actor(agent), &closing(&voucher, Closing::Expired, now)).await?;
        return Err(not_redeemable(&reload(app, &voucher).await?));
    }
    let allowed = app.settings.cashout_policy(tenant).pickup.pin_attempts_max;
    let Some(attempt) = pickup::take_pin_attempt(&app.db, tenant, &voucher.id, allowed).await? else {
        return Err(no_attempt_left(&reload(app, &voucher).await?));
    };
    if !cash_pickup::pin_matches(app, &voucher, pin) {
        return Err(wrong_pin(app, agent, &voucher, attempt, allowed, now).await?);
    }
    pay_out(app, agent, &voucher, retry, now).await
}

/// Marks the voucher redeemed and its cash-out `paid`, with the key's answer if any.
async fn pay_out(
    app: &Context,
    agent: &Agent,
    voucher: &Voucher,
    retry: Option<Retry<Payout>>,
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
    if let Some(retry) = retry {
        let (status, body) = (retry.write_down)(Ok(&payout));
        let response = StoredResponse { request_hash: retry.request_hash, status, body };
        rows.push(idempotency::record_row(&NewRecord { scoped_key: retry.scoped_key, response }, now));
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
    let mut extra = serde_json::Map::new();
    extra.insert("voucher_id".into(), voucher.id.as_str().into());
    extra.insert("agent_id".into(), agent.id.as_str().into());
    let recorded = Recorded { kind: Kind::VoucherRedeemed, extra };
    if !flow::change_recorded(app, &agent_actor(agent), t, recorded).await? {
        return Err(not_redeemable(&reload(app, voucher).await?));
    }
    Ok(payout)
}

/// The agent as the one who moved a cash-out on.
fn agent_actor(agent: &Agent) -> Actor {
    Actor::Agent { agent_id: agent.id.clone() }
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
async fn wrong_pin(
    app: &Context,
    agent: &Agent,
    voucher: &Voucher,
    attempt: i64,
    allowed: i64,
    now: i64,
) -> Result<Error, Error> {
    if attempt < allowed {
        let message = format!("the PIN is wrong; {} attempt(s) left", allowed - attempt);
        return Ok(Error::invalid("pin_invalid", message, "pin"));
    }
    outcome::apply(app, &agent_actor(agent), &closing(voucher, Closing::Locked, now)).await?;
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

/// Random characters in an agent key after `cpk_`: 36⁴⁰ ≈ 2²⁰⁶.
const AGENT_KEY_CHARS: usize = 40;

/// A newly registered agent, with its key: shown once, kept only as a hash.
#[derive(Clone, Debug)]
pub struct NewAgent {
    pub agent: Agent,
    pub key: String,
}

/// Registers an agent called `name`, once per `retry` key (whose answer, holding the key,
/// the door keeps sealed).
pub async fn register_agent(
    ctx: &Context,
    tenant: &str,
    name: Text,
    retry: Option<Retry<NewAgent>>,
) -> Result<Answer<NewAgent>, Error> {
    let created_at = ctx.clock.now_us();
    let agent = Agent {
        id: crate::ids::time_ordered("cpa", created_at),
        tenant_id: tenant.to_string(),
        name: name.into_string(),
        created_at,
    };
    let key = new_id("cpk", AGENT_KEY_CHARS);
    let row = pickup::agent_row(&agent, &hash_secret(&key));
    commit::write_rows(ctx, retry, vec![row], NewAgent { agent, key }).await
}

/// The tenant's agents after `after`, oldest first: at most `limit`, and whether more follow.
pub async fn agents(
    ctx: &Context,
    tenant: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<Listed>, bool), Error> {
    let found = pickup::agents(&ctx.db, tenant, after, limit + 1).await?;
    Ok(super::page(found, limit))
}

/// Revokes an agent's key: it is refused from now on.
pub async fn revoke_agent(ctx: &Context, tenant: &str, id: &str) -> Result<Listed, Error> {
    let found = pickup::revoke(&ctx.db, tenant, id, ctx.clock.now_us()).await?;
    found.ok_or_else(|| Error::not_found(format!("no cash-pickup agent {id}")))
}
