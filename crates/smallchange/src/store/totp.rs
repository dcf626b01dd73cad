//! Users' TOTP secrets: stored sealed with the server key, set once, and checked against
//! codes. The changes (enrol, set up, prove, reset) are conditional rows a use case's unit
//! stands on, so each commits with its event and idempotency answer.

use super::Db;
use crate::crypto::Secrets;
use crate::domain::totp::TotpSecret;
use crate::on_db;
use crate::unit::Row;

/// Gives the user `sealed` as their secret, enrolled at `at`, if they have none: the guard
/// an enrolment stands on (a second enrolment is refused, never replaces the first).
pub fn enrol_row(tenant_id: &str, user_id: &str, sealed: &str, at: i64) -> Row {
    Row {
        sql: "UPDATE users SET totp_secret = $1, totp_enrolled_at = $2 \
              WHERE tenant_id = $3 AND id = $4 AND totp_secret IS NULL",
        params: vec![sealed.into(), at.into(), tenant_id.into(), user_id.into()],
    }
}

/// When the user's current secret was enrolled; `None` for a user without one.
pub async fn enrolled_at(db: &Db, tenant_id: &str, user_id: &str) -> anyhow::Result<Option<i64>> {
    let row: Option<(Option<String>, Option<i64>)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT totp_secret, totp_enrolled_at FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.and_then(|(secret, at)| secret.and(Some(at.unwrap_or_default()))))
}

/// Removes the user's TOTP secret (and the last step used with it, and any waiting one) if
/// they have one: the guard a reset stands on, so of two racing resets one is recorded.
pub fn reset_row(tenant_id: &str, user_id: &str) -> Row {
    Row {
        sql: "UPDATE users SET totp_secret = NULL, totp_enrolled_at = NULL, totp_last_step = NULL, \
              totp_pending_secret = NULL, totp_pending_at = NULL \
              WHERE tenant_id = $1 AND id = $2 AND totp_secret IS NOT NULL",
        params: vec![tenant_id.into(), user_id.into()],
    }
}

/// The record of a reset by `actor` (stored form) at `at` of a secret enrolled at
/// `enrolled_at`.
pub fn reset_record_row(tenant_id: &str, user_id: &str, enrolled_at: i64, actor: &str, at: i64) -> Row {
    Row {
        sql: "INSERT INTO totp_resets (id, tenant_id, user_id, enrolled_at, actor, created_at) \
              VALUES ($1, $2, $3, $4, $5, $6)",
        params: vec![
            crate::ids::time_ordered("tr", at).into(),
            tenant_id.into(),
            user_id.into(),
            enrolled_at.into(),
            actor.into(),
            at.into(),
        ],
    }
}

/// The user's TOTP secret, opened, and the last step a code was used at; `None` for a user
/// who is not enrolled or does not exist.
async fn secret_of(
    db: &Db,
    secrets: &Secrets,
    tenant_id: &str,
    user_id: &str,
) -> anyhow::Result<Option<(TotpSecret, Option<i64>)>> {
    let row: Option<(Option<String>, Option<i64>)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT totp_secret, totp_last_step FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?
    });
    let Some((Some(sealed), last_step)) = row else { return Ok(None) };
    let bytes = secrets.open(&sealed).map_err(|e| e.context(format!("the TOTP secret of user {user_id}")))?;
    let secret =
        TotpSecret::from_bytes(bytes).ok_or_else(|| anyhow::anyhow!("user {user_id} has a malformed TOTP secret"))?;
    Ok(Some((secret, last_step)))
}

/// Whether `code` is a current TOTP code of the user (this 30 s step or one either side).
/// `false` for a user who is not enrolled or does not exist.
///
/// It does not remember codes: a caller that confirms something with a code must refuse
/// the same code a second time itself (RFC 6238 §5.2).
pub async fn verify_code(
    db: &Db,
    secrets: &Secrets,
    tenant_id: &str,
    user_id: &str,
    code: &str,
    now_unix_s: u64,
) -> anyhow::Result<bool> {
    let Some((secret, _)) = secret_of(db, secrets, tenant_id, user_id).await? else { return Ok(false) };
    Ok(secret.accepts(code, now_unix_s))
}

/// What a code is to a user's authenticator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// Not a current code (or the user is not enrolled).
    Wrong,
    /// A current code whose step was used already. Refused as reused without counting as a
    /// wrong guess: guessing it is as hard as guessing a fresh code, and it confirms nothing.
    Used,
    /// A current code of a step not used yet: [`use_step`] uses it up.
    Fresh(i64),
}

/// What `code` is to the user's authenticator now (this 30 s step or one either side): one
/// read of the secret and the last step used.
pub async fn classify(
    db: &Db,
    secrets: &Secrets,
    tenant_id: &str,
    user_id: &str,
    code: &str,
    now_unix_s: u64,
) -> anyhow::Result<Code> {
    let Some((secret, last_step)) = secret_of(db, secrets, tenant_id, user_id).await? else { return Ok(Code::Wrong) };
    let Some(step) = secret.step_of(code, now_unix_s) else { return Ok(Code::Wrong) };
    let step = i64::try_from(step)?;
    Ok(if last_step.is_some_and(|last| step <= last) { Code::Used } else { Code::Fresh(step) })
}

/// Uses up `step` (from [`Code::Fresh`]); `false` if it, or a later one, was used meanwhile.
/// A conditional update: of two requests racing with one code only one succeeds.
pub async fn use_step(db: &Db, tenant_id: &str, user_id: &str, step: i64) -> anyhow::Result<bool> {
    let used = on_db!(db, |pool, _d| {
        sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE tenant_id = $2 AND id = $3 \
             AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(tenant_id)
        .bind(user_id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(used == 1)
}

/// A secret waiting to become the user's (set up from the web wallet, not yet proven with a
/// code from the app): the secret opened, and the secret as stored, to adopt exactly it.
pub struct Pending {
    pub secret: TotpSecret,
    pub sealed: String,
}

/// Keeps `sealed` as the user's pending secret unless they have one pending already (a
/// person who scanned it and came back keeps the one their app has). Changes no row if the
/// user has a secret of their own already: the guard a set-up stands on.
pub fn set_pending_row(tenant_id: &str, user_id: &str, sealed: &str, at: i64) -> Row {
    Row {
        sql: "UPDATE users SET totp_pending_secret = COALESCE(totp_pending_secret, $1), \
              totp_pending_at = COALESCE(totp_pending_at, $2) \
              WHERE tenant_id = $3 AND id = $4 AND totp_secret IS NULL",
        params: vec![sealed.into(), at.into(), tenant_id.into(), user_id.into()],
    }
}

/// The user's pending secret; `None` when nothing is pending or they have a secret already.
pub async fn pending_of(db: &Db, secrets: &Secrets, tenant_id: &str, user_id: &str) -> anyhow::Result<Option<Pending>> {
    let row: Option<(Option<String>, Option<String>)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT totp_secret, totp_pending_secret FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?
    });
    let Some((None, Some(sealed))) = row else { return Ok(None) };
    let bytes = secrets.open(&sealed).map_err(|e| e.context(format!("the pending TOTP secret of user {user_id}")))?;
    let secret = TotpSecret::from_bytes(bytes)
        .ok_or_else(|| anyhow::anyhow!("user {user_id} has a malformed pending TOTP secret"))?;
    Ok(Some(Pending { secret, sealed }))
}

/// Makes the pending secret `sealed` the user's, with `step` (the code that proved it) used
/// up; changes no row if it is no longer pending, or the user got a secret meanwhile: the
/// guard a proof stands on.
pub fn adopt_pending_row(tenant_id: &str, user_id: &str, sealed: &str, step: i64, at: i64) -> Row {
    Row {
        sql: "UPDATE users SET totp_secret = totp_pending_secret, totp_enrolled_at = $1, totp_last_step = $2, \
              totp_pending_secret = NULL, totp_pending_at = NULL \
              WHERE tenant_id = $3 AND id = $4 AND totp_secret IS NULL AND totp_pending_secret = $5",
        params: vec![at.into(), step.into(), tenant_id.into(), user_id.into(), sealed.into()],
    }
}
