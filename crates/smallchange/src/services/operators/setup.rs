//! An operator's set-up link, used once within 15 minutes: it asks for a password, then
//! enrols an authenticator (a QR code and its secret), and the code from the authenticator
//! ends the set-up signed in. The password and the new secret wait on the link (the secret
//! sealed) until the code proves the authenticator was set up; only then do they become
//! the operator's, in one unit with the session and the event. Opening the link (a GET)
//! changes nothing, so a messenger's preview leaves it working.

use std::sync::Arc;

use serde_json::json;

use super::{password, sessions, LINK_PURPOSE};
use crate::context::Context;
use crate::domain::operator::{check_password, Email};
use crate::domain::totp::TotpSecret;
use crate::events::{Happened, Kind};
use crate::limits::client_address;
use crate::services::commit::commit;
use crate::services::tokens::plausible_token;
use crate::services::{Actor, Error};
use crate::store::operators::{self, Operator, SetupLink};
use crate::unit::{Guard, Refusal, Unit, UnitOutput};

/// Where a live set-up link stands.
#[derive(Debug)]
pub enum Step {
    /// A password is to be chosen.
    Password,
    /// The authenticator is to be set up: its secret (base32 in groups of four, to type
    /// in) and the `otpauth://` URI its QR code carries.
    Authenticator { secret: String, otpauth_uri: String },
}

/// A live link: whose it is and its step.
#[derive(Debug)]
pub struct Setup {
    pub email: String,
    pub tenant_id: String,
    pub step: Step,
}

/// The live link `token`, as opened from `address`; `None` when there is none (unknown,
/// used, revoked or expired: the person is told the same for each).
pub async fn open(ctx: &Context, token: &str, address: &str) -> Result<Option<Setup>, Error> {
    let Some((link, operator)) = live(ctx, token, address).await? else { return Ok(None) };
    let step = match &link.totp_sealed {
        None => Step::Password,
        Some(sealed) => {
            let secret = unseal(ctx, sealed)?;
            let issuer = crate::services::operator::of(ctx, &operator.tenant_id).await?.name;
            let uri = secret.otpauth_uri(&format!("{issuer} console"), &operator.email);
            Step::Authenticator { secret: in_fours(&secret.base32()), otpauth_uri: uri }
        }
    };
    Ok(Some(Setup { email: operator.email, tenant_id: operator.tenant_id, step }))
}

/// Whether link `token` was used up (the set-up it began is finished), as opposed to
/// unknown, expired or replaced: a second press of the last step's button (a double-click)
/// lands on a page that says so rather than that the link is bad. Counts nothing: it is
/// asked only after [`open`] found no live link.
pub async fn was_used(ctx: &Context, token: &str) -> Result<bool, Error> {
    if !plausible_token(token) {
        return Ok(false);
    }
    let link = operators::link_with_token(&ctx.db, &ctx.secrets.lookup_hash(LINK_PURPOSE, token)).await?;
    Ok(link.is_some_and(|link| link.used_at.is_some()))
}

/// Chooses the password (typed twice): it is checked, hashed and kept on the link with a
/// new authenticator secret. Choosing again on the same link replaces both.
pub async fn choose_password(
    ctx: &Context,
    token: &str,
    address: &str,
    password: &str,
    again: &str,
) -> Result<(), Error> {
    let Some((link, operator)) = live(ctx, token, address).await? else { return Err(gone()) };
    check_password(password, &Email::parse(&operator.email)?)?;
    if password != again {
        return Err(Error::invalid("passwords_differ", "the two passwords differ", "password_again"));
    }
    let hash = password::hash(password).await?;
    let sealed = ctx.secrets.seal(TotpSecret::generate().as_bytes());
    if !operators::keep_on_link(&ctx.db, &link.id, &hash, &sealed, ctx.clock.now_us()).await? {
        return Err(gone());
    }
    Ok(())
}

/// Proves the authenticator with `code`: the operator gets the password and secret and a
/// session opens, all at once, and the link is used up. A wrong code counts against the
/// operator's tries ([`crate::limits::TotpProofs`]).
pub async fn prove(
    ctx: &Context,
    token: &str,
    address: &str,
    user_agent: &str,
    code: &str,
) -> Result<sessions::Opened, Error> {
    let Some((link, operator)) = live(ctx, token, address).await? else { return Err(gone()) };
    let (Some(hash), Some(sealed)) = (&link.password_hash, &link.totp_sealed) else {
        return Err(Error::conflict("password_not_chosen", "choose a password first"));
    };
    let person = format!("operator:{}", operator.id);
    ctx.guards.totp_proofs.admit(&person)?;
    let now = ctx.clock.now_us();
    let Some(step) = unseal(ctx, sealed)?.step_of(code.trim(), (now / 1_000_000) as u64) else {
        ctx.guards.totp_proofs.wrong(&person);
        return Err(Error::invalid("setup_code_invalid", "that code is not the authenticator's", "code"));
    };
    let (opened, session_row) = sessions::new(ctx, &operator, address, user_agent);
    let rows =
        vec![operators::set_credentials_row(&operator.tenant_id, &operator.id, hash, sealed, step as i64), session_row];
    // Using the link is the guard: of two tabs racing, one ends the set-up.
    let guard = Guard { row: operators::use_link_row(&link.id, now), refusal: Refusal::new("link_used", GONE) };
    let actor = Actor::OperatorUser { user_id: operator.id.clone(), role: super::role_of(&operator) };
    let data = json!({"link_id": link.id, "session_id": opened.session.id});
    let event = Happened::new(&operator.tenant_id, &actor, &operator.id, Kind::OperatorSetUp, data, now);
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), rows).with_event(event).with_guard(guard);
    let interpret = Arc::new(|outcome: &UnitOutput| Ok(outcome.succeeded()));
    if !commit(ctx, None, unit, interpret).await?.done().copied().unwrap_or(false) {
        return Err(gone());
    }
    Ok(opened)
}

/// The live link `token` and its operator, once `address` may try a token; a token no
/// link has counts against the address ([`crate::limits::LinkFailures`]).
async fn live(ctx: &Context, token: &str, address: &str) -> Result<Option<(SetupLink, Operator)>, Error> {
    let client = client_address(address);
    ctx.guards.console_link_failures.admit(client)?;
    let found = match plausible_token(token) {
        true => operators::link_with_token(&ctx.db, &ctx.secrets.lookup_hash(LINK_PURPOSE, token)).await?,
        false => None,
    };
    let Some(link) = found else {
        ctx.guards.console_link_failures.failed(client);
        return Ok(None);
    };
    let now = ctx.clock.now_us();
    if link.used_at.is_some() || link.revoked_at.is_some() || link.expires_at <= now {
        return Ok(None);
    }
    let operator = operators::by_id(&ctx.db, &link.tenant_id, &link.operator_id).await?;
    Ok(operator.filter(|o| o.disabled_at.is_none()).map(|operator| (link, operator)))
}

/// A secret to type, in groups of four (authenticator apps ignore the spaces).
fn in_fours(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars.chunks(4).map(|group| group.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

fn unseal(ctx: &Context, sealed: &str) -> Result<TotpSecret, Error> {
    let bytes = ctx.secrets.open(sealed).map_err(Error::internal)?;
    TotpSecret::from_bytes(bytes).ok_or_else(|| Error::internal("a stored authenticator secret is too short"))
}

const GONE: &str = "this set-up link is used, expired or unknown: ask an admin for a new one";

fn gone() -> Error {
    Error::conflict("link_gone", GONE)
}
