//! The `ewallet_payout` job (see [`crate::rails::e_wallet`]): POSTs one cash-out's payout
//! request to the tenant's e-wallet partner and applies the answer.
//!
//! The call is made outside any database transaction, signed, with the cash-out id as its
//! `Idempotency-Key`, a timeout, and no redirects followed. The answer decides:
//!
//! - 2xx `accepted` / `paid` / `rejected`: the cash-out waits for the callback, is paid, or
//!   fails with its hold released;
//! - no answer, a 5xx, or 408 / 409 / 425 / 429 (the partner asks us to come back): retried
//!   with backoff — the partner may have paid, so the money stays held; if every attempt
//!   fails the cash-out stays `in_transit` for an operator (the SLA alert finds it);
//! - any other 4xx: the partner refused the request for good. On the first attempt the
//!   cash-out fails and its hold is released (likewise when no partner is configured); on a
//!   later one an earlier attempt may have been paid unheard, so the money stays held for
//!   the partner's callback or an operator.

use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;

use super::jobs::{Handler, JobError};
use crate::context::Context;
use crate::domain::ewallet_partner::EwalletPartner;
use crate::rails::e_wallet::partner::{parse_answer, Answer};
use crate::rails::e_wallet::{self, Prepared, PAYOUT_JOB};
use crate::services::cashout::e_wallet as ewallet;
use crate::services::Actor;
use crate::signature;
use crate::store::jobs::Job;
use crate::store::{self, cashouts};

/// Who sends payouts to the partner and applies its answers.
const EWALLET_WORKER: Actor = Actor::System("ewallet-worker");

/// Largest answer read from the partner; a longer one is not understood (and retried).
const ANSWER_BYTES_MAX: usize = 64 * 1024;

/// Runs `ewallet_payout` jobs.
pub struct Payout {
    app: Context,
    client: reqwest::Client,
}

/// How one payout call ended.
enum Sent {
    Answered(Answer),
    /// A 4xx that retrying cannot change.
    Refused(u16),
    Retry(String),
}

impl Payout {
    pub fn new(app: Context) -> anyhow::Result<Payout> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("smallchange-ewallet/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Payout { app, client })
    }

    async fn pay(&self, job: &Job) -> Result<(), JobError> {
        let (app, tenant) = (&self.app, job.tenant_id.as_str());
        let id = job
            .payload
            .get("cashout_id")
            .and_then(Value::as_str)
            .ok_or_else(|| JobError::Permanent("the job's payload has no cashout_id".into()))?;
        let Some(cashout) = cashouts::get(&app.db, tenant, id).await? else {
            return Err(JobError::Permanent(format!("no cash-out {id}")));
        };
        if cashout.status != "in_transit" {
            return Ok(()); // It ended already: a callback came first, or this job ran before.
        }
        let (partner, body) = match e_wallet::prepare(app, tenant, &cashout).await? {
            Prepared::Ready { partner, body } => (partner, body),
            Prepared::Unpayable { reason, why } => return Err(refused(app, job, id, reason, why).await?),
        };
        match self.post(&partner, id, body).await {
            Sent::Answered(answer) => {
                ewallet::apply_answer(app, &EWALLET_WORKER, tenant, id, &answer).await?;
                Ok(())
            }
            Sent::Refused(status) => {
                let why = format!("the e-wallet partner refused the payout: HTTP {status}");
                Err(refused(app, job, id, &format!("http_{status}"), why).await?)
            }
            Sent::Retry(why) => Err(JobError::Retry(why)),
        }
    }

    /// POSTs `body`, signed with the partner's secret by the real clock.
    async fn post(&self, partner: &EwalletPartner, id: &str, body: Vec<u8>) -> Sent {
        let header = signature::sign(partner.secret.as_bytes(), store::now_us() / 1_000_000, &body);
        let sent = self
            .client
            .post(&partner.url)
            .timeout(Duration::from_millis(partner.timeout_ms))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(signature::HEADER, header)
            .header("Idempotency-Key", id)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) if error.is_timeout() => {
                return Sent::Retry(format!("no answer within {} ms", partner.timeout_ms));
            }
            Err(error) => return Sent::Retry(format!("the request failed: {}", error.without_url())),
        };
        match response.status().as_u16() {
            200..=299 => match read_capped(response, ANSWER_BYTES_MAX).await {
                Ok(bytes) => parse_answer(&bytes).map_or_else(Sent::Retry, Sent::Answered),
                Err(why) => Sent::Retry(why),
            },
            status @ (408 | 409 | 425 | 429) => Sent::Retry(format!("the partner answered HTTP {status}")),
            status @ 400..=499 => Sent::Refused(status),
            status => Sent::Retry(format!("the partner answered HTTP {status}")),
        }
    }
}

/// A payout that cannot be sent. On the first attempt nothing reached the partner, so the
/// cash-out fails and its hold is released. On a later one an earlier attempt may have been
/// paid without our hearing the answer: the money stays held and the cash-out `in_transit`
/// until the partner's callback settles it or an operator does (the SLA alert says so).
async fn refused(app: &Context, job: &Job, id: &str, reason: &str, why: String) -> anyhow::Result<JobError> {
    if job.attempts <= 1 {
        ewallet::fail(app, &EWALLET_WORKER, &job.tenant_id, id, reason, None, why.clone()).await?;
    } else {
        tracing::error!(
            cashout = id,
            attempt = job.attempts,
            "{why}; an earlier attempt may have been paid, so the hold stays until the partner's callback settles it"
        );
    }
    Ok(JobError::Permanent(why))
}

/// An answer's body, up to `cap` bytes.
pub(crate) async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("reading the answer failed: {e}"))? {
        if body.len() + chunk.len() > cap {
            return Err(format!("the answer is longer than {cap} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl Handler for Payout {
    fn kind(&self) -> &'static str {
        PAYOUT_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.pay(job))
    }
}
