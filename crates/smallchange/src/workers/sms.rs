//! The `sms` job: one text message to a user, through the SMS gateway (or the development
//! outbox), retried with backoff while the gateway fails. Used where a message must not be
//! lost and cannot be made again, like a cash-pickup voucher's code and PIN: the job holds
//! the number and text sealed, so they are readable only by this server's key.

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::jobs::{Handler, JobError};
use crate::context::Context;
use crate::crypto::Secrets;
use crate::services::cashout::otp::{self, Gateway};
use crate::store::jobs::{self, Job};
use crate::unit::Row;

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
