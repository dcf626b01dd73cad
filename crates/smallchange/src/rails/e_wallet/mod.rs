//! The e-wallet rail: a confirmed cash-out is handed to the operator's e-wallet partner by a
//! durable job that POSTs a signed payout request ([`crate::workers::ewallet`]), and the
//! partner's answer — or its signed callback later — pays the cash-out (hold posted) or
//! fails it (hold released): see [`crate::services::cashout::e_wallet`]. Here: the hand-over,
//! the request, and who may sign a callback. The partner's language is [`partner`].
//!
//! The hand-over is one transaction: the cash-out goes `in_transit` and the `ewallet_payout`
//! job is enqueued with it, so a payout is requested iff the cash-out left `processing`.
//! The call itself happens in the job, outside any transaction; the cash-out id is the
//! partner's idempotency key, so the job may repeat it after a timeout or a 5xx. Every
//! status change is conditional on `in_transit`, so the answer and a callback racing it,
//! or a callback sent twice, change the cash-out once. Callbacks name the cash-out only;
//! its id is unique across tenants, so it finds the tenant, and only that tenant's secret
//! may sign for it.

use serde_json::json;

use super::{Moved, Outcome, Outcomes, Rail, Waiting};
use crate::context::Context;
use crate::domain::ewallet_partner::EwalletPartner;
use crate::services::Error;
use crate::signature::{self, SignatureError, TOLERANCE_S};
use crate::store::cashouts::{self, Cashout};
use crate::store::{self, destinations, jobs};
use partner::PayoutRequest;

pub mod partner;

pub const RAIL: &str = "e_wallet";
/// The job that sends one cash-out's payout request.
pub const PAYOUT_JOB: &str = "ewallet_payout";

pub struct Ewallet;

impl Rail for Ewallet {
    fn name(&self) -> &'static str {
        RAIL
    }

    /// Hands each cash-out to the partner: `in_transit`, with its payout job enqueued in the
    /// same transaction.
    fn submit<'a>(&'a self, _app: &'a Context, waiting: Waiting, now: i64) -> Outcomes<'a> {
        Box::pin(async move {
            let handed = waiting.iter().map(|(tenant, cashout)| {
                let payload = json!({"tenant": tenant, "cashout_id": cashout.id});
                let moved = Moved::Taken { reference: None };
                let mut outcome = Outcome::new(tenant, &cashout.id, moved, "sent to e-wallet partner", now);
                outcome.rows = vec![jobs::enqueue_row(tenant, PAYOUT_JOB, &payload, store::now_us())];
                outcome
            });
            Ok(handed.collect())
        })
    }

    /// Nothing: the payout job and the partner's callbacks move its cash-outs on.
    fn advance<'a>(&'a self, _app: &'a Context, _now: i64) -> Outcomes<'a> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// A payout ready to send, or why this cash-out can never be sent.
pub enum Prepared {
    Ready {
        partner: EwalletPartner,
        body: Vec<u8>,
    },
    /// `reason` becomes the failure reason `ewallet:<reason>`.
    Unpayable {
        reason: &'static str,
        why: String,
    },
}

/// The tenant's partner and the payout request of `cashout`: its net, to the wallet in the
/// destination's sealed details.
pub async fn prepare(app: &Context, tenant: &str, cashout: &Cashout) -> anyhow::Result<Prepared> {
    let partner = app.settings.cashout_policy(tenant).ewallet.clone();
    if !partner.configured() {
        let why = "no e-wallet partner is configured (cashout.ewallet.url and secret)".into();
        return Ok(Prepared::Unpayable { reason: "not_configured", why });
    }
    let destination_id = &cashout.quote.destination_id;
    let destination = destinations::get(&app.db, tenant, destination_id).await?;
    let Some(destination) = destination.filter(|d| d.type_name == "e_wallet") else {
        let why = format!("destination {destination_id} is not an e-wallet");
        return Ok(Prepared::Unpayable { reason: "destination_unsupported", why });
    };
    let details = destinations::details_of(&app.db, &app.secrets, tenant, destination_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("destination {destination_id} has no details"))?;
    let field = |name: &str| details[name].as_str().unwrap_or_default().to_string();
    let (provider, wallet_id) = (field("provider"), field("wallet_id"));
    let request = PayoutRequest {
        id: &cashout.id,
        amount: cashout.quote.net,
        currency: &cashout.quote.currency,
        provider: &provider,
        wallet_id: &wallet_id,
        holder_name: &destination.holder_name,
        callback_url: Some(partner.callback_url.as_str()).filter(|url| !url.is_empty()),
    };
    let body = request.body();
    Ok(Prepared::Ready { partner, body })
}

/// The tenant and e-wallet cash-out a callback names, once its signature checks under that
/// tenant's partner secret (by the real clock, as the partner signs by it).
pub async fn authenticate(app: &Context, signature: &str, body: &[u8], id: &str) -> Result<(String, Cashout), Error> {
    let now_s = store::now_us() / 1_000_000;
    let check = |secret: &str| signature::verify(secret.as_bytes(), signature, body, now_s, TOLERANCE_S);
    let found = match cashouts::tenant_of(&app.db, id).await? {
        Some(tenant) => {
            cashouts::get(&app.db, &tenant, id).await?.filter(|c| c.quote.rail == RAIL).map(|c| (tenant, c))
        }
        None => None,
    };
    let Some((tenant, cashout)) = found else {
        // "Unknown" is said only to a caller holding a partner's secret: anyone else gets
        // the same 401 as for an id that exists, so the answer is no way to probe for ids.
        let mut verdict = Err(SignatureError::Mismatch);
        for secret in partner_secrets(app) {
            verdict = verdict.or_else(|earlier| check(secret).map_err(|now| more_telling(earlier, now)));
        }
        verdict.map_err(refused)?;
        return Err(Error::not_found(format!("no e-wallet cash-out {id}")));
    };
    let secret = &app.settings.cashout_policy(&tenant).ewallet.secret;
    if secret.is_empty() {
        return Err(refused(SignatureError::Mismatch));
    }
    check(secret).map_err(refused)?;
    Ok((tenant, cashout))
}

/// Every partner secret configured, each once.
fn partner_secrets(app: &Context) -> Vec<&str> {
    let settings = &app.settings;
    let mut secrets: Vec<&str> = std::iter::once(&settings.cashout)
        .chain(settings.cashout_tenants.values())
        .map(|policy| policy.ewallet.secret.as_str())
        .filter(|secret| !secret.is_empty())
        .collect();
    secrets.sort_unstable();
    secrets.dedup();
    secrets
}

/// Of two refusals, the one that says more: a timestamp error means the signature matched.
fn more_telling(earlier: SignatureError, now: SignatureError) -> SignatureError {
    match now {
        SignatureError::TooOld | SignatureError::InFuture => now,
        _ => earlier,
    }
}

/// The 401 for a callback without a signature.
pub fn unsigned() -> Error {
    refused(SignatureError::Malformed)
}

/// A 401: `signature_expired` for a matching signature out of the tolerance, else
/// `invalid_signature`.
fn refused(error: SignatureError) -> Error {
    match error {
        SignatureError::TooOld | SignatureError::InFuture => Error::unauthenticated(
            "signature_expired",
            format!("the signature's timestamp is more than {TOLERANCE_S} s from our clock: sign it again now"),
        ),
        SignatureError::Malformed | SignatureError::Mismatch => Error::unauthenticated(
            "invalid_signature",
            "send Smallchange-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\"> with the partner secret",
        ),
    }
}
