//! What every use case runs with, whichever door it is reached through (an HTTP request, a
//! page, a worker, a CLI command): the database, the committer that writes money and rows
//! together, the settings, the clock the wallet decides by, the keys that seal secrets, the
//! metrics, and the guards against guessing (so every door is held to the same limits). It
//! knows nothing of HTTP; the API's own state wraps it.

use std::sync::Arc;

use crate::clock::Clock;
use crate::committer::Committer;
use crate::config::Settings;
use crate::crypto::Secrets;
use crate::limits::Guards;
use crate::metrics::Metrics;
use crate::store::Db;

/// The shared context of services and workers; cheap to clone.
#[derive(Clone)]
pub struct Context {
    pub db: Db,
    pub committer: Committer,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
    pub secrets: Arc<Secrets>,
    /// Gift-card codes that matched no card and receipt links that were not genuine, counted
    /// once for every door ([`crate::limits`]).
    pub guards: Arc<Guards>,
}
