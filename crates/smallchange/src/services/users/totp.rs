//! Enrolling a user's authenticator app (TOTP, RFC 6238). The secret is answered exactly
//! once (and to retries of that request); it is stored sealed with the server key, and a
//! second enrolment is refused rather than replacing it, so a leaked operator key cannot
//! silently take over a user's second factor.

use std::sync::Arc;

use serde_json::json;

use super::existing;
use crate::clock::rfc3339;
use crate::context::Context;
use crate::domain::totp::{self, TotpSecret};
use crate::events::{Happened, Kind};
use crate::services::commit::{commit, refused, Answer, Retry};
use crate::services::{limits, Actor, Error};
use crate::store;
use crate::store::users::User;
use crate::unit::{Guard, GuardedUnit, Refusal, Row, Unit, UnitOutput};

/// A new enrolment: the secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolled {
    /// `otpauth://totp/ISSUER:PHONE?secret=…`, for a QR code.
    pub otpauth_uri: String,
    /// The same secret in base32, for typing in by hand.
    pub secret_base32: String,
}

/// Enrols user `user_id` in TOTP (SHA-1, 6 digits, 30 s), once per retry key, recorded as
/// `user.totp_enrolled` by `actor`. The door writes the answer down sealed: it holds the
/// secret.
pub async fn enrol(
    ctx: &Context,
    actor: &Actor,
    tenant_id: &str,
    user_id: &str,
    retry: Option<Retry<Enrolled>>,
) -> Result<Answer<Enrolled>, Error> {
    // An enrolled user is refused by the unit's guard, in the transaction that would enrol:
    // a retry racing its first attempt then gets the first answer, not a conflict.
    let user = existing(ctx, tenant_id, user_id).await?;
    // The authenticator app lists the code under the operator's one name.
    let operator = crate::services::operator::of(ctx, tenant_id).await?;
    let issuer = totp::issuer(Some(&operator.name));
    let secret = TotpSecret::generate();
    let enrolled = Enrolled { otpauth_uri: secret.otpauth_uri(&issuer, &user.phone), secret_base32: secret.base32() };
    let sealed_secret = ctx.secrets.seal(secret.as_bytes());
    let at = store::now_us();
    let guard = store::totp::enrol_row(tenant_id, &user.id, &sealed_secret, at);
    let event = Happened::new(tenant_id, actor, &user.id, Kind::TotpEnrolled, json!({"via": "api"}), at);
    let unit = standing_on(guard, already_enrolled_refusal(), Vec::new(), event);
    let interpret = Arc::new(move |outcome: &UnitOutput| match refused(outcome) {
        Some(error) => Err(error),
        None => Ok(enrolled.clone()),
    });
    commit(ctx, retry, unit, interpret).await
}

/// A unit of no money, writing `rows` and recording `event`, standing on `row` (see
/// [`Guard`]).
fn standing_on(row: Row, refusal: Refusal, rows: Vec<Row>, event: Happened) -> GuardedUnit {
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), rows).with_event(event);
    GuardedUnit { unit, guard: Guard { row, refusal } }
}

/// Commits `unit` (no key): whether its guard changed its row and it was written.
async fn committed(ctx: &Context, unit: GuardedUnit) -> Result<bool, Error> {
    let interpret = Arc::new(|outcome: &UnitOutput| Ok(outcome.succeeded()));
    Ok(commit(ctx, None, unit, interpret).await?.done().copied().unwrap_or(false))
}

fn already_enrolled_refusal() -> Refusal {
    let error = already_enrolled();
    Refusal::new(error.code(), error.message().to_string())
}

fn already_enrolled() -> Error {
    Error::conflict("invalid_state", "the user is enrolled in TOTP already; the secret is never shown again")
}

/// Resets user `user_id`'s lost authenticator, recording `actor` as who did it: the secret
/// is removed, the user's cash-outs are confirmed by SMS code until they enrol again. A
/// user without one is answered as they are, and nothing is recorded.
pub async fn reset(ctx: &Context, actor: &Actor, tenant_id: &str, user_id: &str) -> Result<User, Error> {
    let user = existing(ctx, tenant_id, user_id).await?;
    let Some(enrolled_at) = store::totp::enrolled_at(&ctx.db, tenant_id, &user.id).await? else {
        return Ok(user);
    };
    let at = ctx.clock.now_us();
    let record = store::totp::reset_record_row(tenant_id, &user.id, enrolled_at, &actor.recorded(), at);
    let data = json!({"enrolled_at": rfc3339(enrolled_at)});
    let event = Happened::new(tenant_id, actor, &user.id, Kind::TotpReset, data, at);
    let not_enrolled = Refusal::new("invalid_state", "the user has no authenticator");
    let unit = standing_on(store::totp::reset_row(tenant_id, &user.id), not_enrolled, vec![record], event);
    // Refused when a concurrent reset removed it first (and recorded itself).
    committed(ctx, unit).await?;
    existing(ctx, tenant_id, user_id).await
}

// ------------------------------------------------- setting up from the web wallet

/// Starts setting up user `user_id`'s authenticator from the web wallet: a new secret waits,
/// not yet theirs, until [`prove`] gets a current code of it (so a person who never scanned
/// it is not locked out of their cash-outs); a secret already waiting is kept, for a person
/// who scanned it and came back. Answers the waiting secret, for its QR code. A user with
/// an authenticator is refused, as [`enrol`] refuses them.
pub async fn start_setup(ctx: &Context, actor: &Actor, tenant_id: &str, user_id: &str) -> Result<Enrolled, Error> {
    let user = existing(ctx, tenant_id, user_id).await?;
    if user.totp_enrolled {
        return Err(already_enrolled());
    }
    let sealed = ctx.secrets.seal(TotpSecret::generate().as_bytes());
    let at = ctx.clock.now_us();
    let guard = store::totp::set_pending_row(tenant_id, &user.id, &sealed, at);
    let event = Happened::new(tenant_id, actor, &user.id, Kind::TotpSetupStarted, json!({}), at);
    if !committed(ctx, standing_on(guard, already_enrolled_refusal(), Vec::new(), event)).await? {
        return Err(already_enrolled());
    }
    pending(ctx, actor, tenant_id, user_id).await?.ok_or_else(already_enrolled)
}

/// The secret waiting for user `user_id`'s proof, as [`start_setup`] answered it; `None`
/// when nothing waits (never started, proven, or an authenticator is set up already).
pub async fn pending(ctx: &Context, _actor: &Actor, tenant_id: &str, user_id: &str) -> Result<Option<Enrolled>, Error> {
    let user = existing(ctx, tenant_id, user_id).await?;
    let Some(waiting) = store::totp::pending_of(&ctx.db, &ctx.secrets, tenant_id, &user.id).await? else {
        return Ok(None);
    };
    let operator = crate::services::operator::of(ctx, tenant_id).await?;
    let issuer = totp::issuer(Some(&operator.name));
    let secret = waiting.secret;
    Ok(Some(Enrolled { otpauth_uri: secret.otpauth_uri(&issuer, &user.phone), secret_base32: secret.base32() }))
}

/// Wrong set-up codes `actor` may still type before they must wait.
pub fn tries_left(ctx: &Context, actor: &Actor, tenant_id: &str) -> u32 {
    ctx.guards.totp_proofs.left(&limits::person(tenant_id, actor))
}

/// Makes the waiting secret user `user_id`'s when `code` is a current code of it: the scan
/// is proven. The code is used up (it cannot confirm a cash-out too).
///
/// Errors: `invalid_code` for anything but six digits (no try spent); `totp_invalid` for a
/// wrong code (a try spent, see [`tries_left`]); `rate_limited` with no tries left;
/// `totp_not_started` when nothing waits; `invalid_state` when the user has an
/// authenticator already.
pub async fn prove(ctx: &Context, actor: &Actor, tenant_id: &str, user_id: &str, code: &str) -> Result<(), Error> {
    let code = code.trim();
    if code.len() != totp::DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid("invalid_code", "the code is the 6 digits the app shows", "code"));
    }
    let person = limits::person(tenant_id, actor);
    ctx.guards.totp_proofs.admit(&person)?;
    let user = existing(ctx, tenant_id, user_id).await?;
    let Some(waiting) = store::totp::pending_of(&ctx.db, &ctx.secrets, tenant_id, &user.id).await? else {
        return Err(if user.totp_enrolled { already_enrolled() } else { not_started() });
    };
    let now_s = u64::try_from(ctx.clock.now_us() / 1_000_000).unwrap_or_default();
    let Some(step) = waiting.secret.step_of(code, now_s) else {
        ctx.guards.totp_proofs.wrong(&person);
        let left = ctx.guards.totp_proofs.left(&person);
        return Err(Error::invalid("totp_invalid", format!("that is not the app's code: {left} tries left"), "code"));
    };
    let step = i64::try_from(step).map_err(|_| Error::internal("a TOTP step out of range"))?;
    let at = ctx.clock.now_us();
    let guard = store::totp::adopt_pending_row(tenant_id, &user.id, &waiting.sealed, step, at);
    let event = Happened::new(tenant_id, actor, &user.id, Kind::TotpEnrolled, json!({"via": "wallet_setup"}), at);
    if committed(ctx, standing_on(guard, not_started_refusal(), Vec::new(), event)).await? {
        return Ok(());
    }
    // Another tab proved it, or the API enrolled the user, meanwhile.
    let user = existing(ctx, tenant_id, user_id).await?;
    Err(if user.totp_enrolled { already_enrolled() } else { not_started() })
}

fn not_started_refusal() -> Refusal {
    let error = not_started();
    Refusal::new(error.code(), error.message().to_string())
}

fn not_started() -> Error {
    Error::conflict("totp_not_started", "no authenticator is being set up: start again")
}
