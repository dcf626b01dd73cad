//! Enrolling a user's authenticator app (TOTP, RFC 6238). The secret is answered exactly
//! once (and to retries of that request); it is stored sealed with the server key, and a
//! second enrolment is refused rather than replacing it, so a leaked operator key cannot
//! silently take over a user's second factor.

use super::{existing, no_user};
use crate::context::Context;
use crate::domain::totp::{self, TotpSecret};
use crate::services::commit::{key_reused, Answer, Retry};
use crate::services::{Actor, Error};
use crate::store;
use crate::store::idempotency::{NewRecord, StoredResponse};
use crate::store::totp::{Enrolment, Reset};
use crate::store::users::User;

/// A new enrolment: the secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolled {
    /// `otpauth://totp/ISSUER:PHONE?secret=…`, for a QR code.
    pub otpauth_uri: String,
    /// The same secret in base32, for typing in by hand.
    pub secret_base32: String,
}

/// Enrols user `user_id` in TOTP (SHA-1, 6 digits, 30 s), once per retry key. The door
/// writes the answer down sealed: it holds the secret.
pub async fn enrol(
    ctx: &Context,
    _actor: &Actor,
    tenant_id: &str,
    user_id: &str,
    retry: Option<Retry<Enrolled>>,
) -> Result<Answer<Enrolled>, Error> {
    // An enrolled user is refused by the store, in the transaction that would enrol: a
    // retry racing its first attempt then gets the first answer, not a conflict.
    let user = existing(ctx, tenant_id, user_id).await?;
    // The authenticator app lists the code under the operator's one name.
    let operator = crate::services::operator::of(ctx, tenant_id).await?;
    let issuer = totp::issuer(Some(&operator.name));
    let secret = TotpSecret::generate();
    let enrolled = Enrolled { otpauth_uri: secret.otpauth_uri(&issuer, &user.phone), secret_base32: secret.base32() };
    let request_hash = retry.as_ref().map(|retry| retry.request_hash.clone());
    let record = retry.map(|retry| {
        let (status, body) = (retry.write_down)(Ok(&enrolled));
        NewRecord {
            scoped_key: retry.scoped_key,
            response: StoredResponse { request_hash: retry.request_hash, status, body },
        }
    });
    let sealed_secret = ctx.secrets.seal(secret.as_bytes());
    match store::totp::enrol(&ctx.db, tenant_id, user_id, &sealed_secret, record).await? {
        Enrolment::Enrolled => Ok(Answer::Done(enrolled)),
        Enrolment::AlreadyEnrolled => Err(already_enrolled()),
        Enrolment::NoUser => Err(no_user(user_id)),
        Enrolment::Answered(first) if Some(&first.request_hash) == request_hash.as_ref() => Ok(Answer::Again(first)),
        Enrolment::Answered(_) => Err(key_reused()),
    }
}

fn already_enrolled() -> Error {
    Error::conflict("invalid_state", "the user is enrolled in TOTP already; the secret is never shown again")
}

/// Resets user `user_id`'s lost authenticator, recording `actor` as who did it: the secret
/// is removed, the user's cash-outs are confirmed by SMS code until they enrol again. A
/// user without one is answered as they are, and nothing is recorded.
pub async fn reset(ctx: &Context, actor: &Actor, tenant_id: &str, user_id: &str) -> Result<User, Error> {
    let at = ctx.clock.now_us();
    match store::totp::reset(&ctx.db, tenant_id, user_id, &actor.recorded(), at).await? {
        Reset::Reset | Reset::NotEnrolled => existing(ctx, tenant_id, user_id).await,
        Reset::NoUser => Err(no_user(user_id)),
    }
}
