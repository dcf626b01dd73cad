//! Signing in to the web wallet with a phone number: the person gives their number, a
//! six-digit code goes to it by SMS, and the right code opens a session. The answer is the
//! same whether or not a user has that number (a code row is kept either way, and only a
//! known number gets a message), so the form cannot be used to find out who is a user.
//!
//! Guessing is bounded three ways: a code takes 5 tries and then no more; codes sent to one
//! number and codes asked for from one client address are rate-limited (sending a code
//! again counts as asking for one); and wrong codes from one address are too (the limits
//! are [`crate::limits::SignIn`]). Something that is not six digits is refused before it
//! costs a try.
//!
//! Each code made, each try that fails and each sign-in is recorded (`wallet.sign_in_started`,
//! `wallet.sign_in_failed`, `wallet.signed_in`) in the unit that writes it; the number is
//! personal data, kept only for a number a user has.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::sessions::{self, Opened};
use crate::clock::rfc3339;
use crate::context::Context;
use crate::domain::user::Phone;
use crate::events::{Happened, Kind};
use crate::services::cashout::otp::{self, Gateway};
use crate::services::commit::commit;
use crate::services::{Actor, Error};
use crate::store::tenants::new_id;
use crate::store::wallet_access::{self, NewCode, StoredCode};
use crate::unit::{Guard, GuardedUnit, Refusal, Unit, UnitOutput};

/// Tries a code takes before it is dead.
pub const ATTEMPTS_MAX: i64 = 5;
/// How long a code can be used.
pub const CODE_TTL_US: i64 = 5 * 60 * 1_000_000;
/// What codes are hashed for.
const PURPOSE: &str = "wallet-sign-in";

/// Where a person stands after asking for a code: the attempt to type the code into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Started {
    pub attempt_id: String,
}

/// Sends a sign-in code to `phone` for tenant `tenant_id`'s user with that number (if there
/// is one), asked from `address`. The SMS is in `lang`, signed with the operator's name.
pub async fn start(
    ctx: &Context,
    tenant_id: &str,
    phone: &str,
    address: &str,
    lang: crate::people::Lang,
) -> Result<Started, Error> {
    let phone = Phone::parse(phone)
        .ok_or_else(|| Error::invalid("invalid_phone", "phone is a number such as +821012345678", "phone"))?;
    let operator = crate::services::operator::of(ctx, tenant_id).await?;
    send_code(ctx, tenant_id, &phone, &operator.name, address, lang).await
}

/// Sends a new code to the number attempt `attempt_id` was for ("send it again"), within the
/// same limits as the first: a new attempt, with tries of its own. `not_found` for an
/// attempt there is not.
pub async fn resend(
    ctx: &Context,
    attempt_id: &str,
    address: &str,
    lang: crate::people::Lang,
) -> Result<Started, Error> {
    let Some(earlier) = wallet_access::code(&ctx.db, attempt_id).await? else {
        return Err(Error::not_found("no such sign-in code"));
    };
    let phone = Phone::parse(&earlier.phone).ok_or_else(|| Error::internal("a stored phone number does not parse"))?;
    let operator = crate::services::operator::of(ctx, &earlier.tenant_id).await?;
    send_code(ctx, &earlier.tenant_id, &phone, &operator.name, address, lang).await
}

/// A new code for `phone`, once the address and the number may ask for one; sent by SMS
/// only when a user has the number.
async fn send_code(
    ctx: &Context,
    tenant_id: &str,
    phone: &Phone,
    operator: &str,
    address: &str,
    lang: crate::people::Lang,
) -> Result<Started, Error> {
    let limits = &ctx.guards.sign_in;
    limits.by_address.check(address).map_err(too_many)?;
    limits.by_phone.check(phone.as_str()).map_err(too_many)?;
    let user_id = wallet_access::user_with_phone(&ctx.db, tenant_id, phone.as_str()).await?;
    let code = otp::new_code();
    let now = ctx.clock.now_us();
    let attempt_id = new_id("wsc", 20);
    let code_hash = ctx.secrets.lookup_hash(PURPOSE, &format!("{attempt_id}.{code}"));
    let row = NewCode {
        id: &attempt_id,
        tenant_id,
        phone: phone.as_str(),
        user_id: user_id.as_deref(),
        code_hash: &code_hash,
        created_at: now,
        expires_at: now + CODE_TTL_US,
    };
    let data = json!({"attempt_id": attempt_id, "user_id": user_id, "expires_at": rfc3339(now + CODE_TTL_US)});
    let subject = user_id.as_deref().unwrap_or(&attempt_id);
    let mut event = Happened::new(tenant_id, &VISITOR, subject, Kind::WalletSignInStarted, data, now);
    if let Some(user) = &user_id {
        event = event.with_personal(user, "phone", phone.as_str());
    }
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), vec![wallet_access::code_row(&row)]).with_event(event);
    commit(ctx, None, unit, Arc::new(|_: &UnitOutput| Ok(()))).await?;
    if user_id.is_some() {
        let text = crate::people::sms::sign_in_code(operator, &code, lang);
        // A message that did not go out is not the person's fault to hear about here: they
        // may ask again, and the log says why.
        if let Err(error) = otp::send(&ctx.db, &Gateway::of(&ctx.settings), tenant_id, phone.as_str(), &text, now).await
        {
            tracing::warn!(attempt = %attempt_id, error = %format!("{error:#}"), "the sign-in code could not be sent");
        }
    }
    Ok(Started { attempt_id })
}

/// Where a sign-in attempt stands, as its page shows it; reading it changes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// No such attempt.
    Unknown,
    /// The code may still be typed: `tries_left` of [`ATTEMPTS_MAX`]; `wrong` when a wrong
    /// code was typed already.
    Open { tenant_id: String, tries_left: i64, wrong: bool },
    /// The code cannot be used any more: `otp_locked` (no tries left, or used) or
    /// `otp_expired`.
    Over { tenant_id: String, why: &'static str },
}

/// Attempt `attempt_id` as it stands now.
pub async fn attempt(ctx: &Context, attempt_id: &str) -> Result<Attempt, Error> {
    let Some(code) = wallet_access::code(&ctx.db, attempt_id).await? else { return Ok(Attempt::Unknown) };
    let tenant_id = code.tenant_id;
    let tries_left = ATTEMPTS_MAX - code.attempts;
    Ok(if code.used || tries_left <= 0 {
        Attempt::Over { tenant_id, why: "otp_locked" }
    } else if ctx.clock.now_us() >= code.expires_at {
        Attempt::Over { tenant_id, why: "otp_expired" }
    } else {
        Attempt::Open { tenant_id, tries_left, wrong: code.attempts > 0 }
    })
}

/// Opens a session when `code` is attempt `attempt_id`'s code, typed from `address`.
/// Errors: `otp_invalid` (tries left), `otp_locked` (no tries left, or used), `otp_expired`.
pub async fn finish(
    ctx: &Context,
    attempt_id: &str,
    code: &str,
    address: &str,
    user_agent: &str,
) -> Result<Opened, Error> {
    let limits = &ctx.guards.sign_in;
    limits.wrong_by_address.peek(address).map_err(too_many)?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid("invalid_code", "the code is the 6 digits in the message", "code"));
    }
    let Some(stored) = wallet_access::code(&ctx.db, attempt_id).await? else { return Err(locked()) };
    if stored.used || stored.attempts >= ATTEMPTS_MAX {
        return Err(locked());
    }
    let now = ctx.clock.now_us();
    let expired = now >= stored.expires_at;
    let right = ctx.secrets.lookup_matches(PURPOSE, &format!("{attempt_id}.{code}"), &stored.code_hash);
    match stored.user_id.clone().filter(|_| right && !expired) {
        Some(user_id) => signed_in(ctx, attempt_id, &stored, &user_id, user_agent).await,
        None => {
            let why = if expired { "expired" } else { "wrong_code" };
            if !failed_try(ctx, attempt_id, &stored, why).await? {
                return Err(locked());
            }
            if expired {
                return Err(Error::conflict("otp_expired", "this code has expired: ask for a new one"));
            }
            let _ = limits.wrong_by_address.check(address);
            let left = ATTEMPTS_MAX - (stored.attempts + 1);
            if left <= 0 {
                return Err(locked());
            }
            Err(Error::invalid("otp_invalid", format!("that is not the code: {left} tries left"), "code"))
        }
    }
}

/// Who asks for and types sign-in codes: a visitor not signed in yet.
const VISITOR: Actor = Actor::System("wallet-sign-in");

/// Uses the code up with this try and opens a session for `user_id`, recorded as
/// `wallet.signed_in`; `otp_locked` when the code was used or ran out of tries meanwhile.
async fn signed_in(
    ctx: &Context,
    attempt_id: &str,
    stored: &StoredCode,
    user_id: &str,
    user_agent: &str,
) -> Result<Opened, Error> {
    let now = ctx.clock.now_us();
    let (opened, session_row) = sessions::new(ctx, &stored.tenant_id, user_id, "phone", user_agent);
    let guard =
        Guard { row: wallet_access::try_code_row(attempt_id, ATTEMPTS_MAX, Some(now)), refusal: locked_refusal() };
    let actor = Actor::EndUser { user_id: user_id.to_string() };
    let data = json!({"session_id": opened.session.id, "how": "phone", "attempt_id": attempt_id});
    let event = Happened::new(&stored.tenant_id, &actor, user_id, Kind::WalletSignedIn, data, now);
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), vec![session_row]).with_event(event).with_guard(guard);
    if !committed(ctx, unit).await? {
        return Err(locked());
    }
    Ok(opened)
}

/// Counts a try that let no one in (`why`: `wrong_code` or `expired`), recorded as
/// `wallet.sign_in_failed`; `false` when no try was left to count.
async fn failed_try(ctx: &Context, attempt_id: &str, stored: &StoredCode, why: &str) -> Result<bool, Error> {
    let now = ctx.clock.now_us();
    let guard = Guard { row: wallet_access::try_code_row(attempt_id, ATTEMPTS_MAX, None), refusal: locked_refusal() };
    let tries_left = (ATTEMPTS_MAX - (stored.attempts + 1)).max(0);
    let data = json!({"attempt_id": attempt_id, "user_id": stored.user_id, "tries_left": tries_left, "why": why});
    let subject = stored.user_id.as_deref().unwrap_or(attempt_id);
    let event = Happened::new(&stored.tenant_id, &VISITOR, subject, Kind::WalletSignInFailed, data, now);
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), Vec::new()).with_event(event).with_guard(guard);
    committed(ctx, unit).await
}

/// Commits `unit` (no key): whether its guard changed its row and it was written.
async fn committed(ctx: &Context, unit: GuardedUnit) -> Result<bool, Error> {
    let interpret = Arc::new(|outcome: &UnitOutput| Ok(outcome.succeeded()));
    Ok(commit(ctx, None, unit, interpret).await?.done().copied().unwrap_or(false))
}

fn locked_refusal() -> Refusal {
    Refusal::new("otp_locked", "this code can no longer be used: ask for a new one")
}

fn locked() -> Error {
    Error::conflict("otp_locked", "this code can no longer be used: ask for a new one")
}

fn too_many(wait: Duration) -> Error {
    Error::rate_limited(wait, "too many sign-in tries")
}
