//! The `sms` job: one text message to a user, through the SMS gateway (or the development
//! outbox), retried with backoff while the gateway fails. Used where a message must not be
//! lost and cannot be made again, like a cash-pickup voucher's code and PIN: the job holds
//! the number and text sealed, so they are readable only by this server's key. And the
//! subscriber that queues a voucher's SMS when its `cash_pickup.voucher_issued` event
//! commits ([`VoucherSms`]).

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::jobs::{Handler, JobError};
use crate::context::Context;
use crate::crypto::Secrets;
use crate::events::Kind;
use crate::services::cashout::otp::{self, Gateway};
use crate::store::events::Stored;
use crate::store::jobs::{self, Job};
use crate::store::{pickup, Db};
use crate::unit::Row;
use std::sync::Arc;

pub const SMS_JOB: &str = "sms";

#[derive(Serialize, Deserialize)]
struct Message {
    to: String,
    text: String,
}

/// The row that queues `text` to `phone`, sealed; write it with the change that calls for it.
pub fn job_row(secrets: &Secrets, tenant: &str, phone: &str, text: &str) -> Row {
    let message = serde_json::to_vec(&Message { to: phone.into(), text: text.into() }).expect("a message serializes");
    jobs::enqueue_row(tenant, SMS_JOB, &json!({ "sealed": secrets.seal(&message) }), crate::store::now_us())
}

/// Follows the events layer (see [`super::events`]): for each cash-pickup voucher issued,
/// the voucher's SMS (its code and PIN, kept sealed on the voucher, never in the event)
/// becomes an `sms` job, and the voucher forgets it, in the transaction that moves the
/// cursor: the message is queued once.
pub struct VoucherSms {
    db: Db,
    secrets: Arc<Secrets>,
}

impl VoucherSms {
    pub fn new(db: Db, secrets: Arc<Secrets>) -> VoucherSms {
        VoucherSms { db, secrets }
    }

    async fn rows(&self, event: &Stored) -> anyhow::Result<Vec<Row>> {
        if event.kind != Kind::VoucherIssued.as_str() {
            return Ok(Vec::new());
        }
        let data = event.data();
        let voucher =
            data["voucher_id"].as_str().ok_or_else(|| anyhow::anyhow!("event {} names no voucher", event.id))?;
        let Some(sealed) = pickup::sms_sealed(&self.db, &event.tenant_id, voucher).await? else {
            tracing::warn!(voucher, event = %event.id, "a voucher issued has no SMS to queue");
            return Ok(Vec::new());
        };
        let sms = pickup::VoucherSms::open(&sealed, &self.secrets)?;
        Ok(vec![job_row(&self.secrets, &event.tenant_id, &sms.to, &sms.text), pickup::sms_queued_row(voucher)])
    }
}

impl super::events::Subscriber for VoucherSms {
    fn name(&self) -> &'static str {
        "sms"
    }

    fn kinds(&self) -> Vec<&'static str> {
        vec![Kind::VoucherIssued.as_str()]
    }

    fn follow<'a>(&'a self, event: &'a Stored) -> BoxFuture<'a, anyhow::Result<Vec<Row>>> {
        Box::pin(self.rows(event))
    }
}

/// Runs `sms` jobs.
pub struct Send {
    app: Context,
}

impl Send {
    pub fn new(app: Context) -> Send {
        Send { app }
    }

    async fn send(&self, job: &Job) -> Result<(), JobError> {
        let sealed = job.payload["sealed"].as_str().ok_or_else(|| JobError::Permanent("no sealed message".into()))?;
        let opened = self.app.secrets.open(sealed).map_err(|e| JobError::Permanent(format!("{e:#}")))?;
        let message: Message =
            serde_json::from_slice(&opened).map_err(|e| JobError::Permanent(format!("not a message: {e}")))?;
        let gateway = Gateway::of(&self.app.settings);
        let at = self.app.clock.now_us();
        otp::send(&self.app.db, &gateway, &job.tenant_id, &message.to, &message.text, at).await?;
        Ok(())
    }
}

impl Handler for Send {
    fn kind(&self) -> &'static str {
        SMS_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.send(job))
    }
}
