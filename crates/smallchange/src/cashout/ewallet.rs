//! The e-wallet rail: a confirmed cash-out is handed to the operator's e-wallet partner by a
//! durable job that POSTs a signed payout request, and the partner's answer — or its signed
//! callback later — pays the cash-out (hold posted) or fails it (hold released).
//!
//! The hand-over is one transaction: the cash-out goes `in_transit` and the `ewallet_payout`
//! job is enqueued with it, so a payout is requested iff the cash-out left `processing`.
//! The call itself happens in the job, outside any transaction; the cash-out id is the
//! partner's idempotency key, so the job may repeat it after a timeout or a 5xx. Every
//! status change is conditional on `in_transit`, so the answer and a callback racing it,
//! or a callback sent twice, change the cash-out once. Callbacks name the cash-out only;
//! its id is unique across tenants, so it finds the tenant, and only that tenant's secret
//! may sign for it.

use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::json;

use super::flow;
use super::rail::{carry_on, Rail, Waiting};
use crate::context::Context;
use crate::domain::ewallet_partner::EwalletPartner;
use crate::rails::ewallet::{Answer, Callback, CallbackStatus, PayoutRequest};
use crate::services::Error;
use crate::signature::{self, SignatureError, TOLERANCE_S};
use crate::store::cashouts::{self, Cashout, Transition};
use crate::store::{self, destinations, jobs};
use crate::unit::Param;

pub const RAIL: &str = "e_wallet";
/// The job that sends one cash-out's payout request.
pub const PAYOUT_JOB: &str = "ewallet_payout";
const IN_TRANSIT: [&str; 1] = ["in_transit"];

pub struct Ewallet;

impl Rail for Ewallet {
    fn name(&self) -> &'static str {
        RAIL
    }

    /// Hands each cash-out to the partner: `in_transit`, with its payout job enqueued in the
    /// same transaction.
    fn submit<'a>(&'a self, app: &'a Context, waiting: Waiting, now: i64) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            for (tenant, cashout) in &waiting {
                let payload = json!({"tenant": tenant, "cashout_id": cashout.id});
                let t = Transition {
                    tenant,
                    id: &cashout.id,
                    from: &["processing"],
                    to: "in_transit",
                    note: "sent to e-wallet partner".into(),
                    at: now,
                    set: vec![("submitted_at", now.into())],
                    rows: vec![jobs::enqueue_row(tenant, PAYOUT_JOB, &payload, store::now_us())],
                };
                carry_on(flow::change(app, t).await, "handing to the e-wallet partner", &cashout.id);
            }
            Ok(())
        })
    }

    /// Nothing: the payout job and the partner's callbacks move its cash-outs on.
    fn advance<'a>(&'a self, _app: &'a Context, _now: i64) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
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

/// Applies the partner's answer to a payout request; whether it changed the cash-out.
pub async fn apply_answer(app: &Context, tenant: &str, id: &str, answer: &Answer) -> anyhow::Result<bool> {
    match answer {
        Answer::Accepted { reference } => {
            cashouts::note_reference(&app.db, tenant, id, reference, app.clock.now_us()).await
        }
        Answer::Paid { reference } => pay(app, tenant, id, reference, "the e-wallet partner paid it").await,
        Answer::Rejected { reference, reason } => {
            let note = format!("the e-wallet partner rejected it: {reason}");
            fail(app, tenant, id, reason, reference.as_deref(), note).await
        }
    }
}

/// `in_transit` → `paid`: the hold is posted.
async fn pay(app: &Context, tenant: &str, id: &str, reference: &str, note: &str) -> anyhow::Result<bool> {
    let now = app.clock.now_us();
    let t = Transition {
        tenant,
        id,
        from: &IN_TRANSIT,
        to: "paid",
        note: format!("{note} ({reference})"),
        at: now,
        set: vec![("paid_at", now.into()), ("rail_reference", reference.into())],
        rows: Vec::new(),
    };
    flow::change(app, t).await
}

/// `in_transit` → `failed` with the failure reason `ewallet:<reason>`: the hold is released.
pub async fn fail(
    app: &Context,
    tenant: &str,
    id: &str,
    reason: &str,
    reference: Option<&str>,
    note: String,
) -> anyhow::Result<bool> {
    let mut set = vec![("failure_reason", Param::from(format!("ewallet:{reason}")))];
    if let Some(reference) = reference {
        set.push(("rail_reference", reference.into()));
    }
    let t =
        Transition { tenant, id, from: &IN_TRANSIT, to: "failed", note, at: app.clock.now_us(), set, rows: Vec::new() };
    flow::change(app, t).await
}

/// What a callback did.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = EwalletCallbackApplied)]
pub struct CallbackApplied {
    /// The cash-out.
    pub id: String,
    /// Its status now.
    pub status: String,
    /// Whether this callback changed it (false when it was applied before, or the payout
    /// had ended already).
    pub changed: bool,
}

/// Checks a partner's callback (`signature` is its `Smallchange-Signature` header, `body`
/// the bytes it signed), stores it, and applies it to its cash-out.
pub async fn receive_callback(
    app: &Context,
    signature: Option<&str>,
    body: &[u8],
    callback: &Callback,
) -> Result<CallbackApplied, Error> {
    let signature = signature.ok_or_else(|| refused(SignatureError::Malformed))?;
    let reference =
        callback.checked_reference().map_err(|(code, message, param)| Error::invalid(code, message, param))?;
    let (tenant, cashout) = authenticate(app, signature, body, &callback.id).await?;
    let stored = crate::ids::time_ordered("ewc", store::now_us());
    let text = std::str::from_utf8(body).map_err(|_| Error::bad_request("invalid_json", "the body is not UTF-8"))?;
    let received = store::ewallet::Received {
        id: &stored,
        tenant: &tenant,
        cashout_id: &cashout.id,
        body: text,
        signature,
        at: store::now_us(),
    };
    store::ewallet::record(&app.db, &received).await?;
    let changed = match callback.status {
        CallbackStatus::Paid => {
            pay(app, &tenant, &cashout.id, &reference, "the e-wallet partner reports it paid").await?
        }
        CallbackStatus::Failed => {
            let reason = callback.reason();
            let note = format!("the e-wallet partner reports it failed: {reason}");
            fail(app, &tenant, &cashout.id, &reason, Some(&reference), note).await?
        }
    };
    store::ewallet::mark_applied(&app.db, &stored, changed).await?;
    let status = flow::load(app, &tenant, &cashout.id).await?.status;
    Ok(CallbackApplied { id: cashout.id, status, changed })
}

/// The tenant and e-wallet cash-out a callback names, once its signature checks under that
/// tenant's partner secret (by the real clock, as the partner signs by it).
async fn authenticate(app: &Context, signature: &str, body: &[u8], id: &str) -> Result<(String, Cashout), Error> {
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
