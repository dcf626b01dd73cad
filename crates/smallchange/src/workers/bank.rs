//! The bank link's jobs (see [`crate::rails::bank`] and `[cashout.bank_link]`):
//!
//! - `bank_upload` `PUT`s one closed batch as pain.001 to `{url}/payment-files/{batch id}`.
//!   The batch id names the file, so a repeated upload is the same file: 2xx (or 409, "I
//!   have it") records it as taken; no answer, a 5xx, 408, 425 or 429 is retried with
//!   backoff; any other 4xx is recorded on the batch as `upload_error` and logged, and the
//!   operator sends that file by hand (its cash-outs stay `in_transit` meanwhile).
//! - `bank_reports` asks `GET {url}/reports` for the reports the bank holds
//!   (`{"reports": [{"id": …}]}`), fetches each one not fetched before from
//!   `GET {url}/reports/{id}` and applies it to the cash-outs of the tenants on that link.
//!   A report that cannot be read is recorded with why and logged, not fetched again.
//!
//! Every call carries `Authorization: Bearer {token}`, has the link's timeout, follows no
//! redirect, and is made outside any database transaction.

use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use serde_json::json;

use super::ewallet::read_capped;
use super::jobs::{Handler, JobError};
use crate::context::Context;
use crate::domain::bank_link::BankLink;
use crate::rails::bank::{self, REPORTS_JOB, UPLOAD_JOB};
use crate::services::cashout::bank_reports::{self, Scope};
use crate::services::Actor;
use crate::store::bank_link::{self, Fetched};
use crate::store::jobs::Job;
use crate::store::payout_batches;

/// Who applies the reports fetched from a bank link.
const BANK_WORKER: Actor = Actor::System("bank-worker");

/// Largest report read from a bank.
const REPORT_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Largest list of reports read.
const LIST_BYTES_MAX: usize = 1024 * 1024;

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("smallchange-bank/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Whether an HTTP status asks us to come back later.
fn worth_retrying(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || status >= 500
}

/// Runs `bank_upload` jobs.
pub struct Upload {
    app: Context,
    client: reqwest::Client,
}

impl Upload {
    pub fn new(app: Context) -> anyhow::Result<Upload> {
        Ok(Upload { app, client: client()? })
    }

    async fn upload(&self, job: &Job) -> Result<(), JobError> {
        let (app, tenant) = (&self.app, job.tenant_id.as_str());
        let batch_id = job.payload["batch_id"].as_str().ok_or_else(|| JobError::Permanent("no batch_id".into()))?;
        let link = app.settings.cashout_policy(tenant).bank_link.clone();
        if !link.configured() {
            return Err(JobError::Permanent("the tenant has no bank link any more: send the file by hand".into()));
        }
        let Some(batch) = payout_batches::get(&app.db, tenant, batch_id).await? else {
            return Err(JobError::Permanent(format!("no closed batch {batch_id}")));
        };
        if batch.uploaded_at.is_some() {
            return Ok(());
        }
        let xml = bank::pain001(app, tenant, &batch).await.map_err(|e| JobError::Retry(format!("{e:?}")))?;
        let sent = self
            .client
            .put(link.endpoint(&format!("payment-files/{batch_id}")))
            .timeout(Duration::from_millis(link.timeout_ms))
            .bearer_auth(&link.token)
            .header(CONTENT_TYPE, "application/xml")
            .body(xml)
            .send()
            .await
            .map_err(|e| JobError::Retry(format!("the upload failed: {}", e.without_url())))?;
        let now = app.clock.now_us();
        match sent.status().as_u16() {
            200..=299 | 409 => {
                payout_batches::record_upload(&app.db, batch_id, now, None).await?;
                Ok(())
            }
            status if worth_retrying(status) => Err(JobError::Retry(format!("the bank answered HTTP {status}"))),
            status => {
                let detail = read_capped(sent, 2_000).await.map(|b| String::from_utf8_lossy(&b).into_owned());
                let why = format!("the bank refused the file: HTTP {status} {}", detail.unwrap_or_default());
                tracing::error!(batch = batch_id, tenant, "{why}; send the file by hand");
                payout_batches::record_upload(&app.db, batch_id, now, Some(&why)).await?;
                Err(JobError::Permanent(why))
            }
        }
    }
}

impl Handler for Upload {
    fn kind(&self) -> &'static str {
        UPLOAD_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.upload(job))
    }
}

/// Runs `bank_reports` jobs.
pub struct Reports {
    app: Context,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Listing {
    reports: Vec<Listed>,
}

#[derive(Deserialize)]
struct Listed {
    id: String,
}

/// A report id we are willing to put in a URL and a table.
fn plausible(id: &str) -> bool {
    (1..=100).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

impl Reports {
    pub fn new(app: Context) -> anyhow::Result<Reports> {
        Ok(Reports { app, client: client()? })
    }

    async fn get(&self, link: &BankLink, path: &str, cap: usize) -> Result<Vec<u8>, JobError> {
        let answer = self
            .client
            .get(link.endpoint(path))
            .timeout(Duration::from_millis(link.timeout_ms))
            .bearer_auth(&link.token)
            .send()
            .await
            .map_err(|e| JobError::Retry(format!("GET {path} failed: {}", e.without_url())))?;
        let status = answer.status().as_u16();
        if !(200..=299).contains(&status) {
            return Err(JobError::Retry(format!("GET {path}: the bank answered HTTP {status}")));
        }
        read_capped(answer, cap).await.map_err(JobError::Retry)
    }

    async fn fetch(&self, job: &Job) -> Result<(), JobError> {
        let url = job.payload["link"].as_str().unwrap_or_default();
        let Some(link) = bank::links(&self.app.settings).into_iter().find(|l| l.url == url) else {
            return Err(JobError::Permanent(format!("no bank link {url} is configured any more")));
        };
        let listing: Listing = serde_json::from_slice(&self.get(&link, "reports", LIST_BYTES_MAX).await?)
            .map_err(|e| JobError::Retry(format!("the list of reports is not understood: {e}")))?;
        // Each call may take the link's timeout; starting none after one timeout has passed
        // keeps the job within twice that, and so within its lease. The rest waits for the
        // next poll.
        let started = std::time::Instant::now();
        for listed in listing.reports {
            if started.elapsed() >= Duration::from_millis(link.timeout_ms) {
                break;
            }
            if !plausible(&listed.id) {
                tracing::warn!(link = url, id = %listed.id.escape_debug(), "the bank lists a report id we will not use");
                continue;
            }
            if bank_link::fetched(&self.app.db, url, &listed.id).await? {
                continue;
            }
            let bytes = self.get(&link, &format!("reports/{}", listed.id), REPORT_BYTES_MAX).await?;
            self.apply(url, &listed.id, &bytes).await?;
        }
        Ok(())
    }

    /// Applies one fetched report and records what it did.
    async fn apply(&self, url: &str, report_id: &str, bytes: &[u8]) -> Result<(), JobError> {
        let app = &self.app;
        let parsed = std::str::from_utf8(bytes)
            .map_err(|_| "the report is not UTF-8 text".to_string())
            .and_then(|xml| iso20022::parse_report(xml).map_err(|e| e.to_string()));
        let mut fetched = Fetched {
            link: url,
            report_id,
            kind: None,
            message_id: None,
            outcome: String::new(),
            at: app.clock.now_us(),
        };
        let (kind, message_id);
        match parsed {
            Ok(report) => {
                let applied = bank_reports::apply(app, &BANK_WORKER, Scope::Link(url), report).await?;
                (kind, message_id) = (applied.kind, applied.message_id.clone());
                (fetched.kind, fetched.message_id) = (Some(kind), Some(message_id.as_str()));
                fetched.outcome = serde_json::to_string(&applied).expect("an outcome serializes");
                if !applied.unknown.is_empty() {
                    tracing::warn!(link = url, report = report_id, unknown = ?applied.unknown, "the bank reports payments we do not know");
                }
            }
            Err(why) => {
                tracing::error!(link = url, report = report_id, "a bank report could not be read: {why}");
                fetched.outcome = json!({ "error": why }).to_string();
            }
        }
        bank_link::record(&app.db, &fetched).await?;
        Ok(())
    }
}

impl Handler for Reports {
    fn kind(&self) -> &'static str {
        REPORTS_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.fetch(job))
    }
}
