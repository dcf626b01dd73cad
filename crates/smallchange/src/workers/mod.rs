//! Background work that happens after a request: pending-transfer timeouts, the clean-up of
//! old records, cash-outs moving on, and durable jobs (the outbox: see [`jobs`]) such as
//! webhook deliveries. Each worker stops when told to, between rounds.
//!
//! Every job handler is registered in [`handlers`], in one place: a new kind of job is a
//! [`jobs::Handler`] and one line there.

pub mod bank;
pub mod boots;
pub mod cashouts;
pub mod checkpoints;
pub mod events;
pub mod ewallet;
pub mod expiry;
pub mod gift_card_notices;
pub mod jobs;
pub mod purge;
pub mod sms;
pub mod stuck;
pub mod user_index;
pub mod webhooks;

use std::sync::Arc;

use crate::committer::Committer;
use crate::config::Settings;
use crate::context::Context;
use crate::crypto::Secrets;
use crate::store::Db;
use jobs::Handler;

/// What job handlers may use.
#[derive(Clone)]
pub struct Deps {
    pub db: Db,
    pub committer: Committer,
    pub settings: Arc<Settings>,
    pub secrets: Arc<Secrets>,
    /// The server's state, for handlers that move cash-outs on (see [`crate::services::cashout::flow`]).
    pub app: Context,
}

/// Every consumer of events the server runs (see [`events`]).
pub fn subscribers(deps: &Deps) -> Vec<Arc<dyn events::Subscriber>> {
    vec![
        Arc::new(webhooks::Announce::new(deps.db.clone())),
        Arc::new(sms::VoucherSms::new(deps.db.clone(), deps.secrets.clone())),
    ]
}

/// Every job handler the server runs.
pub fn handlers(deps: &Deps) -> anyhow::Result<Vec<Arc<dyn Handler>>> {
    Ok(vec![
        Arc::new(webhooks::FanOut::new(deps.db.clone())),
        Arc::new(webhooks::Deliver::new(deps.db.clone(), deps.secrets.clone(), &deps.settings)?),
        Arc::new(ewallet::Payout::new(deps.app.clone())?),
        Arc::new(sms::Send::new(deps.app.clone())),
        Arc::new(bank::Upload::new(deps.app.clone())?),
        Arc::new(bank::Reports::new(deps.app.clone())?),
    ])
}
