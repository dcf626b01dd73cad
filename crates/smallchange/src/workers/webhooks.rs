//! The two webhook jobs (see [`crate::webhooks`]): [`FanOut`] turns one event into one
//! delivery job per subscribed endpoint, and [`Deliver`] POSTs the event to one endpoint.
//!
//! A delivery calls the outside world outside any database transaction, with a timeout,
//! following no redirects, and signed with that endpoint's own secret. A 2xx answer is
//! success; anything else (another status, a timeout, a refused connection) is logged in
//! the endpoint's delivery log and retried by the runner with backoff. The event's `id` is
//! the same in every attempt, so a receiver that got it twice can tell.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{json, Value};

use super::jobs::{Handler, JobError};
use crate::config::Settings;
use crate::crypto::Secrets;
use crate::ids;
use crate::public_net::{is_public, PublicOnly};
use crate::signature;
use crate::store::jobs::{self, Job};
use crate::store::webhooks::{self, Delivery, Endpoint, Event, FanOut as FannedOut, Subscriber};
use crate::store::{self, Db};
use crate::unit::Row;
use crate::webhooks::{body, subscribed, DELIVERY_JOB, EVENT_JOB};

/// Longest error kept in the delivery log, in characters.
const DELIVERY_ERROR_LEN_MAX: usize = 300;

/// Follows the events layer (see [`super::events`]): each event of a webhook type becomes
/// a webhook event, with the same id and data, and its fan-out job (a review's event as
/// the webhook of the status it made; see [`crate::webhooks::announced_as`]).
pub struct Announce {
    _db: Db,
}

impl Announce {
    pub fn new(db: Db) -> Announce {
        Announce { _db: db }
    }
}

impl super::events::Subscriber for Announce {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn kinds(&self) -> Vec<&'static str> {
        crate::webhooks::announcing_kinds()
    }

    fn follow<'a>(&'a self, event: &'a crate::store::events::Stored) -> BoxFuture<'a, anyhow::Result<Vec<Row>>> {
        Box::pin(async move {
            let data = event.data();
            let Some(event_type) = crate::webhooks::announced_as(&event.kind, &data) else {
                return Ok(Vec::new());
            };
            let data = crate::webhooks::delivered_data(&event_type, data);
            let announced = Event { id: event.id.clone(), event_type, data, created_at: event.at };
            Ok(crate::webhooks::announcement(&event.tenant_id, &announced))
        })
    }
}

/// Runs `webhook_event` jobs: enqueues the event's deliveries.
pub struct FanOut {
    db: Db,
}

impl FanOut {
    pub fn new(db: Db) -> FanOut {
        FanOut { db }
    }

    async fn fan_out(&self, job: &Job) -> Result<(), JobError> {
        let event_id = payload_text(job, "event_id")?;
        let now = store::now_us();
        let plan =
            |event_type: &str, endpoints: Vec<Subscriber>| delivery_rows(job, event_id, event_type, endpoints, now);
        match webhooks::fan_out(&self.db, &job.tenant_id, event_id, now, plan).await? {
            FannedOut::Enqueued(deliveries) => {
                tracing::debug!(event = event_id, deliveries, "webhook event fanned out");
                Ok(())
            }
            FannedOut::AlreadyDone => Ok(()),
            FannedOut::NoSuchEvent => Err(JobError::Permanent(format!("no webhook event {event_id}"))),
        }
    }
}

impl Handler for FanOut {
    fn kind(&self) -> &'static str {
        EVENT_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.fan_out(job))
    }
}

/// One delivery job per endpoint subscribed to `event_type`.
fn delivery_rows(job: &Job, event_id: &str, event_type: &str, endpoints: Vec<Subscriber>, now: i64) -> Vec<Row> {
    endpoints
        .into_iter()
        .filter(|(_, events)| subscribed(events, event_type))
        .map(|(endpoint_id, _)| {
            let payload = json!({ "event_id": event_id, "endpoint_id": endpoint_id });
            jobs::enqueue_row(&job.tenant_id, DELIVERY_JOB, &payload, now)
        })
        .collect()
}

/// Runs `webhook_delivery` jobs: POSTs one event to one endpoint.
pub struct Deliver {
    db: Db,
    secrets: Arc<Secrets>,
    client: reqwest::Client,
    timeout: Duration,
    /// Whether endpoints on loopback and private networks are called (see `public_net`).
    private_hosts: bool,
}

impl Deliver {
    pub fn new(db: Db, secrets: Arc<Secrets>, settings: &Settings) -> anyhow::Result<Deliver> {
        let timeout = Duration::from_millis(settings.webhook_timeout_ms);
        let mut client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("smallchange-webhooks/", env!("CARGO_PKG_VERSION")));
        if !settings.webhook_private_hosts {
            client = client.dns_resolver(Arc::new(PublicOnly));
        }
        let private_hosts = settings.webhook_private_hosts;
        Ok(Deliver { db, secrets, client: client.build()?, timeout, private_hosts })
    }

    async fn deliver(&self, job: &Job) -> Result<(), JobError> {
        let (event_id, endpoint_id) = (payload_text(job, "event_id")?, payload_text(job, "endpoint_id")?);
        let Some(endpoint) = webhooks::endpoint(&self.db, &job.tenant_id, endpoint_id).await? else {
            return Err(JobError::Permanent(format!("no webhook endpoint {endpoint_id}")));
        };
        if endpoint.disabled_at.is_some() {
            return Ok(()); // Disabled since the event: nothing more is sent to it.
        }
        let Some(event) = webhooks::event(&self.db, &job.tenant_id, event_id).await? else {
            return Err(JobError::Permanent(format!("no webhook event {event_id}")));
        };
        let secret = self.secrets.open(&endpoint.secret_sealed).map_err(|e| JobError::Permanent(format!("{e:#}")))?;
        let outcome = self.post(&endpoint, &secret, body(&event)).await;
        let delivery = logged(job, &endpoint, &event, &outcome);
        webhooks::record_delivery(&self.db, &job.tenant_id, &delivery).await?;
        match outcome {
            Outcome::Answered(status) if (200..300).contains(&status) => Ok(()),
            Outcome::Answered(status) => Err(JobError::Retry(format!("the endpoint answered HTTP {status}"))),
            Outcome::Failed(error) => Err(JobError::Retry(error)),
        }
    }

    /// POSTs `body` signed with `secret`, outside any transaction.
    async fn post(&self, endpoint: &Endpoint, secret: &[u8], body: Vec<u8>) -> Outcome {
        // A literal address is not resolved, so the resolver cannot refuse it: check it here.
        let host = reqwest::Url::parse(&endpoint.url).ok().and_then(|u| u.host_str().map(str::to_string));
        let literal = host.as_deref().and_then(|h| h.trim_start_matches('[').trim_end_matches(']').parse().ok());
        if !self.private_hosts && literal.is_some_and(|ip| !is_public(ip)) {
            return Outcome::Failed("the endpoint is not a public address".into());
        }
        let header = signature::sign(secret, store::now_us() / 1_000_000, &body);
        let sent = self
            .client
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(signature::HEADER, header)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) => Outcome::Answered(i64::from(response.status().as_u16())),
            Err(error) if error.is_timeout() => {
                Outcome::Failed(format!("no answer within {} ms", self.timeout.as_millis()))
            }
            Err(error) if error.is_connect() => Outcome::Failed(format!("could not connect: {}", error.without_url())),
            Err(error) => Outcome::Failed(format!("the request failed: {}", error.without_url())),
        }
    }
}

impl Handler for Deliver {
    fn kind(&self) -> &'static str {
        DELIVERY_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.deliver(job))
    }
}

/// What one POST came to.
enum Outcome {
    Answered(i64),
    Failed(String),
}

/// The delivery log's line for this attempt.
fn logged(job: &Job, endpoint: &Endpoint, event: &Event, outcome: &Outcome) -> Delivery {
    let now = store::now_us();
    let (status_code, error) = match outcome {
        Outcome::Answered(status) => (Some(*status), None),
        Outcome::Failed(error) => (None, Some(error.chars().take(DELIVERY_ERROR_LEN_MAX).collect())),
    };
    Delivery {
        id: ids::time_ordered("whd", now),
        endpoint_id: endpoint.id.clone(),
        event_id: event.id.clone(),
        event_type: event.event_type.clone(),
        attempt: job.attempts,
        status_code,
        error,
        created_at: now,
    }
}

/// A text field of the job's payload; a job without it can never succeed.
fn payload_text<'a>(job: &'a Job, field: &str) -> Result<&'a str, JobError> {
    job.payload
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| JobError::Permanent(format!("the job's payload has no {field}")))
}
