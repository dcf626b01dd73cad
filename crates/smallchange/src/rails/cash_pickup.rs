//! The cash-pickup rail: a `processing` cash-out gets a voucher — a 12-digit code and a
//! 6-digit PIN sent to the user by SMS — and an agent of the operator pays the net out in
//! cash to whoever shows both, before the voucher expires (the redemption is a use case:
//! [`crate::services::cashout::cash_pickup`]).
//!
//! Neither the code nor the PIN is kept: the code as a keyed hash (so the code an agent
//! types finds its voucher) and its last four digits, the PIN as a keyed hash bound to its
//! voucher. The SMS carrying them is kept sealed on the voucher until the SMS subscriber
//! follows the `cash_pickup.voucher_issued` event and queues the `sms` job, which sends it
//! and retries with backoff while the gateway fails; one that never arrives leaves the
//! voucher to expire and its hold to be released. Every change of a voucher is an outcome
//! written with its cash-out's status change, conditional on the cash-out's state.

use rand::Rng;
use serde_json::json;

use super::{carry_on, Moved, Outcome, Outcomes, Rail, Waiting};
use crate::clock::rfc3339;
use crate::context::Context;
use crate::events::Kind;
use crate::people::{sms as texts, Lang};
use crate::store::cashouts::Cashout;
use crate::store::pickup::{self, Voucher, VoucherSms};
use crate::store::{destinations, users};

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
    fn submit<'a>(&'a self, app: &'a Context, waiting: Waiting, now: i64) -> Outcomes<'a> {
        Box::pin(async move {
            let mut issued = Vec::new();
            for (tenant, cashout) in &waiting {
                match issue(app, tenant, cashout, now).await {
                    Ok(outcome) => issued.push(outcome),
                    Err(error) => carry_on::<()>(Err(error), "issuing a voucher", &cashout.id),
                }
            }
            Ok(issued)
        })
    }

    /// Closes the vouchers whose time ran out.
    fn advance<'a>(&'a self, app: &'a Context, now: i64) -> Outcomes<'a> {
        Box::pin(async move {
            let due = pickup::due(&app.db, now, EXPIRE_LIMIT).await?;
            Ok(due.iter().map(|voucher| closing(voucher, Closing::Expired, now)).collect())
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

/// What a voucher code as typed is looked up by; `None` if it is no code.
pub fn lookup(app: &Context, tenant: &str, typed: &str) -> Option<String> {
    normalized(typed).map(|code| code_lookup(app, tenant, &code))
}

/// Whether `pin` is the voucher's; compares in constant time.
pub fn pin_matches(app: &Context, voucher: &Voucher, pin: &str) -> bool {
    app.secrets.lookup_matches(PIN_PURPOSE, &pin_input(&voucher.id, pin), &voucher.pin_hash)
}

fn pin_input(voucher_id: &str, pin: &str) -> String {
    format!("{voucher_id}:{}", pin.trim())
}

/// Issues the voucher: the cash-out goes `in_transit` with the voucher written beside it,
/// recorded as `cash_pickup.voucher_issued` (never the code). The SMS with the code and PIN
/// is kept sealed on the voucher; the SMS subscriber queues it once the change commits, and
/// the `sms` job sends (and retries) it.
async fn issue(app: &Context, tenant: &str, cashout: &Cashout, now: i64) -> anyhow::Result<Outcome> {
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
    let sms = VoucherSms { to: user.phone.clone(), text }.sealed(&app.secrets);
    let note = format!("cash-pickup voucher {} issued (code ending {})", voucher.id, voucher.code_last4);
    let moved = Moved::Taken { reference: Some(voucher.id.clone()) };
    let mut outcome = Outcome::new(tenant, &cashout.id, moved, note, now);
    outcome.rows = vec![voucher.insert_row(&sms)];
    let issued = json!({"voucher_id": voucher.id, "expires_at": rfc3339(voucher.expires_at)});
    outcome.recorded_as = Some((Kind::VoucherIssued, issued.as_object().cloned().unwrap_or_default()));
    Ok(outcome)
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
    let code = grouped(code);
    // The operator's one name, as every message signs with (`services::operator`).
    let operator = crate::services::operator::of(app, tenant).await.map_err(|error| anyhow::anyhow!("{error}"))?;
    let words = texts::Voucher {
        operator: &operator.name,
        net: q.net,
        currency: &q.currency,
        network: network.as_deref(),
        code: &code,
        pin,
        expires_at_us: voucher.expires_at,
        utc_offset_minutes: app.settings.wallet_policy(tenant).month_utc_offset_minutes,
    };
    // In the tenant's language: Korean (no per-user language is kept yet).
    Ok(texts::pickup_voucher(&words, Lang::default()))
}

/// How an issued voucher ends unpaid; its cash-out fails and its hold is released.
#[derive(Clone, Copy)]
pub enum Closing {
    Locked,
    Expired,
}

/// What closing an issued voucher unpaid comes to: its cash-out fails (its hold released),
/// the voucher closed with it.
pub fn closing(voucher: &Voucher, how: Closing, now: i64) -> Outcome {
    let (status, reason, note) = match how {
        Closing::Locked => ("locked", "voucher_locked", "too many wrong PINs at the pickup point"),
        Closing::Expired => ("expired", "voucher_expired", "the cash-pickup voucher was not collected in time"),
    };
    let moved = Moved::Failed { reason: reason.into(), reference: None };
    let mut outcome = Outcome::new(&voucher.tenant_id, &voucher.cashout_id, moved, note, now);
    outcome.rows = vec![pickup::closed_row(&voucher.id, status)];
    outcome
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
