//! Signing in to the console: email, password and the authenticator's code, all three every
//! time. The answer to any wrong one is the same, and takes as long, whether or not the
//! email is an operator's.
//!
//! Guessing is held back three ways: five wrong sign-ins for one account from one client
//! address lock that pair for 15 minutes; every wrong sign-in for an account, from anywhere,
//! makes its next try wait longer (so nobody can lock an admin out from elsewhere, only slow
//! them down); and wrong sign-ins from one address count toward its own limit, whatever
//! accounts they were for.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::{password, sessions};
use crate::context::Context;
use crate::domain::operator::Email;
use crate::domain::totp::TotpSecret;
use crate::events::{Happened, Kind};
use crate::limits::client_address;
use crate::services::commit::commit;
use crate::services::{Actor, Error, Kind as ErrorKind};
use crate::store::operators::{self, Operator};
use crate::unit::{Guard, Refusal, Unit, UnitOutput};

/// Wrong sign-ins one account may have from one address before that pair is locked.
pub const LOCK_AFTER: i64 = 5;
/// How long wrong sign-ins are remembered, and a locked pair stays locked.
pub const WINDOW_US: i64 = 15 * 60 * 1_000_000;
/// The wait added before a try for an account with one wrong sign-in; it doubles with each
/// further one, up to [`SLOW_DOWN_MAX`].
const SLOW_DOWN_FIRST: Duration = Duration::from_millis(200);
const SLOW_DOWN_MAX: Duration = Duration::from_secs(5);

/// What a person typed to sign in, and where from.
pub struct Attempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub code: &'a str,
    pub address: &'a str,
    pub user_agent: &'a str,
}

/// Signs in: a new session for the operator, or `sign_in_failed` (nothing says which part
/// was wrong), or `rate_limited`.
pub async fn sign_in(ctx: &Context, attempt: &Attempt<'_>) -> Result<sessions::Opened, Error> {
    let client = client_address(attempt.address);
    ctx.guards
        .console_sign_in_failures
        .admit(client)
        .map_err(|too_many| Error::rate_limited(too_many.wait, "too many wrong sign-ins from this address"))?;
    let email = Email::parse(attempt.email).map_err(|_| failed())?;
    let now = ctx.clock.now_us();
    let (here, everywhere) = operators::failures(&ctx.db, &email.key, attempt.address, now - WINDOW_US).await?;
    if here.count >= LOCK_AFTER {
        let wait = Duration::from_micros((here.last_at + WINDOW_US - now).max(1) as u64);
        return Err(Error::rate_limited(wait, "too many wrong sign-ins for this account from this address"));
    }
    tokio::time::sleep(slow_down(everywhere)).await;
    let operator = operators::by_email(&ctx.db, &email.key).await?;
    let usable = operator.as_ref().filter(|o| o.disabled_at.is_none() && o.is_set_up());
    let password_right = password::matches(attempt.password, usable.and_then(|o| o.password_hash.as_deref())).await;
    let step = match usable {
        Some(operator) if password_right => code_step(ctx, operator, attempt.code, now)?,
        _ => None,
    };
    let (Some(operator), Some(step)) = (usable, step) else {
        operators::count_failure(&ctx.db, &email.key, attempt.address, now, now - WINDOW_US).await?;
        ctx.guards.console_sign_in_failures.failed(client);
        return Err(failed());
    };
    let opened = open_session(ctx, operator, step, attempt, now).await?;
    operators::clear_failures(&ctx.db, &email.key, attempt.address).await?;
    Ok(opened)
}

/// The step of the authenticator's code, if it is one of the current steps and newer than
/// the last code this operator used.
fn code_step(ctx: &Context, operator: &Operator, code: &str, now: i64) -> Result<Option<i64>, Error> {
    let Some(sealed) = &operator.totp_sealed else { return Ok(None) };
    let bytes = ctx.secrets.open(sealed).map_err(Error::internal)?;
    let secret = TotpSecret::from_bytes(bytes).ok_or_else(|| Error::internal("a stored secret is too short"))?;
    let step = secret.step_of(code.trim(), (now / 1_000_000) as u64).map(|s| s as i64);
    Ok(step.filter(|step| operator.totp_last_step.is_none_or(|last| *step > last)))
}

/// The session, with the code's step used up (the guard: a code signs in once).
async fn open_session(
    ctx: &Context,
    operator: &Operator,
    step: i64,
    attempt: &Attempt<'_>,
    now: i64,
) -> Result<sessions::Opened, Error> {
    let (opened, session_row) = sessions::new(ctx, operator, attempt.address, attempt.user_agent);
    let guard = Guard { row: operators::use_step_row(&operator.id, step), refusal: Refusal::new("code_used", "") };
    let actor = Actor::OperatorUser { user_id: operator.id.clone(), role: super::role_of(operator) };
    let data = json!({"session_id": opened.session.id});
    let event = Happened::new(&operator.tenant_id, &actor, &operator.id, Kind::OperatorSignedIn, data, now);
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), vec![session_row]).with_event(event).with_guard(guard);
    let interpret = Arc::new(|outcome: &UnitOutput| Ok(outcome.succeeded()));
    match commit(ctx, None, unit, interpret).await?.done().copied() {
        Some(true) => Ok(opened),
        // The same code was used meanwhile (two tabs): wait for the next one.
        _ => Err(failed()),
    }
}

/// How long a try for an account with `failures` recent wrong sign-ins waits.
fn slow_down(failures: i64) -> Duration {
    if failures <= 0 {
        return Duration::ZERO;
    }
    let doublings = u32::try_from(failures - 1).unwrap_or(u32::MAX).min(16);
    SLOW_DOWN_FIRST.saturating_mul(1 << doublings).min(SLOW_DOWN_MAX)
}

fn failed() -> Error {
    Error::new(ErrorKind::Unauthenticated, "sign_in_failed", "the email, password or authenticator code is not right")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_wrong_sign_in_makes_the_next_wait_longer() {
        let waits: Vec<u128> = [0, 1, 2, 3, 5, 9, 1_000].into_iter().map(|n| slow_down(n).as_millis()).collect();
        assert_eq!(waits, [0, 200, 400, 800, 3_200, 5_000, 5_000]);
    }
}
