//! Receipt links a person opens in a browser without an API key:
//! `/receipts/{id}?exp=<unix seconds>&sig=<hex>`, where `sig` is an HMAC of the cash-out id
//! and the expiry under a key derived for this purpose alone ([`crate::crypto::Secrets::sign`]).
//! A link opens the receipt as it is when opened (its current status) until `exp`; a link
//! whose signature does not match its id and expiry opens nothing. Cash-out ids are unique
//! across tenants, so the id alone finds the tenant. Links that are not genuine are counted
//! per client address, whichever door opens them, so signatures cannot be guessed at speed.

use std::net::IpAddr;

use super::view::{self, Receipt};
use crate::context::Context;
use crate::services::Error;
use crate::store::cashouts;

/// What the signing key is derived for.
const PURPOSE: &str = "receipt-link";
/// Longest `sig` and `exp` read: a signature is 64 hex characters, a time at most 20 digits.
const SIG_LEN: usize = 64;
const EXP_LEN_MAX: usize = 20;

/// Why a link opens nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Missing, malformed, tampered with, or for a cash-out that is not there.
    Invalid,
    /// Genuine, but past its expiry.
    Expired,
}

/// The signed path and query of `cashout_id`'s receipt page, valid for the server's
/// `receipt_link_ttl_s` from `now_us`; absolute when `public_base_url` is set.
pub fn mint(ctx: &Context, cashout_id: &str, now_us: i64) -> String {
    let ttl_s = i64::try_from(ctx.settings.receipt_link_ttl_s).unwrap_or(i64::MAX / 2);
    let exp = now_us / 1_000_000 + ttl_s;
    let sig = ctx.secrets.sign(PURPOSE, &message(cashout_id, exp));
    let base = ctx.settings.public_base_url.trim_end_matches('/');
    format!("{base}/receipts/{cashout_id}?exp={exp}&sig={sig}")
}

/// The receipt a link opens for `client`: turns the client away first if too many of its
/// links were not genuine ([`crate::limits::LinkFailures`]), and counts this one
/// if it is not.
pub async fn open(
    ctx: &Context,
    client: IpAddr,
    cashout_id: &str,
    exp: &str,
    sig: &str,
) -> Result<Result<Receipt, Refused>, Error> {
    ctx.guards.link_failures.admit(client)?;
    let opened = open_admitted(ctx, cashout_id, exp, sig).await?;
    if matches!(opened, Err(Refused::Invalid)) {
        ctx.guards.link_failures.failed(client);
    }
    Ok(opened)
}

/// Checks the signature first (so nothing is looked up for a forgery), then the expiry,
/// then reads the cash-out as it is now.
async fn open_admitted(
    ctx: &Context,
    cashout_id: &str,
    exp: &str,
    sig: &str,
) -> Result<Result<Receipt, Refused>, Error> {
    let well_formed = exp.len() <= EXP_LEN_MAX && sig.len() == SIG_LEN;
    let Some(exp_s) = exp.parse::<i64>().ok().filter(|_| well_formed) else { return Ok(Err(Refused::Invalid)) };
    if !ctx.secrets.signature_matches(PURPOSE, &message(cashout_id, exp_s), &sig.to_ascii_lowercase()) {
        return Ok(Err(Refused::Invalid));
    }
    if ctx.clock.now_us() / 1_000_000 >= exp_s {
        return Ok(Err(Refused::Expired));
    }
    let Some(tenant) = cashouts::tenant_of(&ctx.db, cashout_id).await? else { return Ok(Err(Refused::Invalid)) };
    Ok(Ok(view::receipt(ctx, &tenant, cashout_id).await?))
}

/// What is signed: the id and the expiry, so neither can be changed on its own.
fn message(cashout_id: &str, exp_s: i64) -> String {
    format!("{cashout_id}.{exp_s}")
}
