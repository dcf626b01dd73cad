//! The cash-pickup rail: a `processing` cash-out gets a voucher — a 12-digit code and a
//! 6-digit PIN sent to the user by SMS — and an agent of the operator pays the net out in
//! cash to whoever shows both, before the voucher expires.
//!
//! Neither the code nor the PIN is kept: the code as a keyed hash (so the code an agent
//! types finds its voucher) and its last four digits, the PIN as a keyed hash bound to its
//! voucher. The SMS carrying them is a job, sealed, retried with backoff while the gateway
//! fails; one that never arrives leaves the voucher to expire and its hold to be released. Every change of a voucher is written in the same transaction as
//! its cash-out's status change, conditional on the cash-out's state: of two agents (or an
//! agent and the expiry sweep) racing for one voucher, exactly one moves it on.

use futures::future::BoxFuture;
use rand::Rng;

use super::flow;
use super::rail::{carry_on, Rail, Waiting};
use crate::clock::rfc3339;
use crate::context::Context;
use crate::services::Error;
use crate::store::cashouts::{Cashout, Transition};
use crate::store::idempotency::{self, NewRecord, StoredResponse};
use crate::store::pickup::{self, Agent, Voucher};
use crate::store::{destinations, users};
use crate::unit::Param;
use crate::workers::sms;

pub const RAIL: &str = "cash_pickup";
/// What the keyed hashes of codes and PINs are for.
const CODE_PURPOSE: &str = "cash_pickup_code";
const PIN_PURPOSE: &str = "cash_pickup_pin";
/// Digits in a voucher code (10¹² codes), shown in groups of four; and in a PIN.
const CODE_DIGITS: usize = 12;
const PIN_DIGITS: usize = 6;
/// Most expired vouchers one pass closes.
const EXPIRE_LIMIT: i64 = 200;
const HOUR_US: i64 = 3_600 * 1_000_000;

pub struct Pickup;

impl Rail for Pickup {
    fn name(&self) -> &'static str {
        RAIL
    }

    /// Issues a voucher for each cash-out.
    fn submit<'a>(&'a self, app: &'a Context, waiting: Waiting, now: i64) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            for (tenant, cashout) in &waiting {
                carry_on(issue(app, tenant, cashout, now).await, "issuing a voucher", &cashout.id);
            }
            Ok(())
        })
    }

    /// Closes the vouchers whose time ran out.
    fn advance<'a>(&'a self, app: &'a Context, now: i64) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            for voucher in pickup::due(&app.db, now, EXPIRE_LIMIT).await? {
                carry_on(close(app, &voucher, Closing::Expired, now).await, "expiring a voucher", &voucher.id);
            }
            Ok(())
        })
    }

    fn waits_on_user(&self) -> bool {
        true
    }
}

/// `n` random decimal digits.
fn digits(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

/// A code as printed: `1234-5678-9012`.
fn grouped(code: &str) -> String {
    code.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// The digits of a code as typed (groups, spaces and dashes are ignored), if it is one.
fn normalized(typed: &str) -> Option<String> {
    let code: String = typed.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    (code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

fn code_lookup(app: &Context, tenant: &str, code: &str) -> String {
    app.secrets.lookup_hash(CODE_PURPOSE, &format!("{tenant}/{code}"))
}

fn pin_input(voucher_id: &str, pin: &str) -> String {
    format!("{voucher_id}:{}", pin.trim())
}

/// Issues the voucher, moves the cash-out `in_transit` and queues the SMS that texts the
/// code and PIN to the user, in one transaction: the message is sent (and retried) by the
/// `sms` job, sealed until then.
async fn issue(app: &Context, tenant: &str, cashout: &Cashout, now: i64) -> anyhow::Result<()> {
    let policy = app.settings.cashout_policy(tenant).pickup;
    let (code, pin) = (digits(CODE_DIGITS), digits(PIN_DIGITS));
    let id = crate::ids::time_ordered("cpv", now);
    let voucher = Voucher {
        code_lookup: code_lookup(app, tenant, &code),
        code_last4: code[CODE_DIGITS - 4..].to_string(),
        pin_hash: app.secrets.lookup_hash(PIN_PURPOSE, &pin_input(&id, &pin)),
        pin_attempts: 0,
        status: "issued".into(),
        expires_at: now + policy.voucher_ttl_h * HOUR_US,
        redeemed_by: None,
        redeemed_at: None,
        created_at: now,
        tenant_id: tenant.to_string(),
        cashout_id: cashout.id.clone(),
        id,
    };
    let user = users::get(&app.db, tenant, &cashout.quote.user_id).await?;
    let user = user.ok_or_else(|| anyhow::anyhow!("cash-out {} has no user", cashout.id))?;
    let text = voucher_text(app, tenant, cashout, &voucher, &code, &pin).await?;
    let t = Transition {
        tenant,
        id: &cashout.id,
        from: &["processing"],
        to: "in_transit",
        note: format!("cash-pickup voucher {} issued (code ending {})", voucher.id, voucher.code_last4),
        at: now,
        set: vec![("rail_reference", Param::from(voucher.id.clone())), ("submitted_at", now.into())],
        rows: vec![voucher.insert_row(), sms::job_row(&app.secrets, tenant, &user.phone, &text)],
    };
    flow::change(app, t).await?;
    Ok(())
}

/// The SMS that gives the user the code and PIN.
async fn voucher_text(
    app: &Context,
    tenant: &str,
    cashout: &Cashout,
    voucher: &Voucher,
    code: &str,
    pin: &str,
) -> anyhow::Result<String> {
    let network = destinations::get(&app.db, tenant, &cashout.quote.destination_id).await?.map(|d| d.masked);
    let q = &cashout.quote;
    Ok(format!(
        "[{}] Collect {} {} in cash at {}: voucher code {}, PIN {pin}, until {}. Show them only to the agent.",
        app.settings.cashout_policy(tenant).business_name,
        q.net,
        q.currency,
        network.as_deref().unwrap_or("a pickup point"),
        grouped(code),
        rfc3339(voucher.expires_at),
    ))
}

/// How an issued voucher ends unpaid; its cash-out fails and its hold is released.
#[derive(Clone, Copy)]
enum Closing {
    Locked,
    Expired,
}

async fn close(app: &Context, voucher: &Voucher, how: Closing, now: i64) -> anyhow::Result<bool> {
    let (status, reason, note) = match how {
        Closing::Locked => ("locked", "voucher_locked", "too many wrong PINs at the pickup point"),
        Closing::Expired => ("expired", "voucher_expired", "the cash-pickup voucher was not collected in time"),
    };
    let t = Transition {
        tenant: &voucher.tenant_id,
        id: &voucher.cashout_id,
        from: &["in_transit"],
        to: "failed",
        note: note.into(),
        at: now,
        set: vec![("failure_reason", reason.into())],
        rows: vec![pickup::closed_row(&voucher.id, status)],
    };
    flow::change(app, t).await
}

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
    let lookup = normalized(code).map(|code| code_lookup(app, tenant, &code)).ok_or_else(not_found)?;
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
    if !app.secrets.lookup_matches(PIN_PURPOSE, &pin_input(&voucher.id, pin), &voucher.pin_hash) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_twelve_digits_typed_with_or_without_groups() {
        let code = digits(CODE_DIGITS);
        assert_eq!(code.len(), 12);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(grouped("123456789012"), "1234-5678-9012");
        for typed in ["1234-5678-9012", "123456789012", " 1234 5678 9012 "] {
            assert_eq!(normalized(typed).as_deref(), Some("123456789012"), "{typed:?}");
        }
        for typed in ["1234-5678-901", "1234-5678-901x", "", "1234567890123"] {
            assert_eq!(normalized(typed), None, "{typed:?}");
        }
        assert_eq!(digits(PIN_DIGITS).len(), 6);
    }
}
