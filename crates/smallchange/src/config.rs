//! Settings: defaults, then a TOML file, then `SMALLCHANGE_*` environment variables, then
//! command-line flags, each overriding the one before.
//!
//! Every limit the server enforces is a named setting here, with its unit last.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::committer::CommitterSettings;
use crate::domain::cashout_policy::CashoutPolicy;
use crate::domain::policy::WalletPolicy;
use crate::store::jobs::{Backoff, RunnerSettings};
use crate::store::DbOptions;

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://PATH` or `postgres://…`.
    pub db: String,
    pub listen: SocketAddr,
    /// SQLite: `synchronous=FULL`, so a commit survives power loss. `false` opts out.
    pub sqlite_durable: bool,
    /// SQLite: the committer's page cache, in MiB.
    pub sqlite_cache_mb: u32,
    pub db_connections_max: u32,
    /// Most accounts + transfers written in one database transaction.
    pub batch_events_max: usize,
    /// Longest a batch waits for more commands before committing, in microseconds.
    pub batch_wait_max_us: u64,
    /// Most commands queued for the committer before submitters wait.
    pub queue_commands_max: usize,
    /// Largest request body accepted.
    pub body_bytes_max: usize,
    /// Largest single amount accepted, in minor units.
    pub amount_max: i64,
    /// Longest timeout a pending transfer may ask for.
    pub pending_timeout_max_s: u32,
    /// How long idempotency keys are kept (at least 24 h).
    pub idempotency_retention_h: u32,
    /// How often the timeout worker looks for expired pending transfers.
    pub expiry_poll_ms: u64,
    /// How often new statement entries and payments are moved into their per-user indexes
    /// in bulk (reads find them before that too).
    pub user_index_every_ms: u64,
    /// How long a verified API key is trusted before it is looked up again.
    pub key_cache_s: u64,
    /// Requests per second one API key may make on average (0: no limit).
    pub rate_limit_per_s: u32,
    /// Requests one API key may make at once before the average applies.
    pub rate_limit_burst: u32,
    /// `text` or `json`.
    pub log_format: String,
    /// The wallet policy of every tenant without one of its own (see docs/WALLET.md).
    pub wallet: WalletPolicy,
    /// Per-tenant wallet policies, by tenant id.
    pub wallet_tenants: BTreeMap<String, WalletPolicy>,
    /// Where one-time codes are sent by SMS: a URL taking `POST {"to", "text"}` (empty: the
    /// development outbox, `GET /v1/dev/sms-outbox`).
    pub sms_gateway_url: String,
    /// Sent as `Authorization: Bearer …` to the SMS gateway when not empty.
    pub sms_gateway_token: String,
    /// How long a call to the SMS gateway may take.
    pub sms_timeout_ms: u64,
    /// How often the cash-out worker moves cash-outs on (expiry, sandbox rail, settlement).
    pub cashout_poll_ms: u64,
    /// The cash-out policy of every tenant without one of its own (see docs/CASHOUT.md).
    pub cashout: CashoutPolicy,
    /// Per-tenant cash-out policies, by tenant id.
    pub cashout_tenants: BTreeMap<String, CashoutPolicy>,
    /// 64 hex characters: the key that seals TOTP secrets and gift-card codes (see
    /// [`crate::crypto`]). Empty: on SQLite a key file beside the database; on PostgreSQL
    /// the server refuses to start.
    pub encryption_key: String,
    /// How often the job runner looks for due jobs when it found none.
    pub jobs_poll_ms: u64,
    /// Most jobs one runner has claimed and running at once.
    pub jobs_batch_max: i64,
    /// How long a claimed job is reserved for its runner; one still running then (its
    /// runner died) is claimed again.
    pub jobs_lease_s: u64,
    /// The wait after a job's first failure; it doubles with every further one.
    pub jobs_backoff_base_ms: u64,
    /// The longest wait between two attempts of a job.
    pub jobs_backoff_max_s: u64,
    /// After this many attempts a failing job is marked dead.
    pub jobs_attempts_max: i64,
    /// How long finished (done or dead) jobs are kept.
    pub jobs_retention_h: u32,
    /// How long one webhook delivery may take, connecting included.
    pub webhook_timeout_ms: u64,
    /// Webhook endpoints may be on loopback and private networks (development and tests
    /// only: otherwise a tenant could make the server call into its own network).
    pub webhook_private_hosts: bool,
    /// The address people reach this server at (`https://wallet.example.com`), for links
    /// they open in a browser (receipt links). Empty: links are paths (`/receipts/…`).
    pub public_base_url: String,
    /// How long a signed receipt link opens the receipt, in seconds.
    pub receipt_link_ttl_s: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            db: "sqlite://smallchange.db".into(),
            listen: "127.0.0.1:8080".parse().expect("a valid address"),
            sqlite_durable: true,
            sqlite_cache_mb: 64,
            db_connections_max: 16,
            batch_events_max: ledger::BATCH_TRANSFERS_MAX,
            batch_wait_max_us: 0,
            queue_commands_max: 65_536,
            body_bytes_max: 4 * 1024 * 1024,
            amount_max: 1_000_000_000_000_000,
            pending_timeout_max_s: 30 * 24 * 3600,
            idempotency_retention_h: 24,
            expiry_poll_ms: 1_000,
            user_index_every_ms: 1_000,
            key_cache_s: 30,
            rate_limit_per_s: 10_000,
            rate_limit_burst: 20_000,
            log_format: "text".into(),
            wallet: WalletPolicy::default(),
            wallet_tenants: BTreeMap::new(),
            sms_gateway_url: String::new(),
            sms_gateway_token: String::new(),
            sms_timeout_ms: 5_000,
            cashout_poll_ms: 500,
            cashout: CashoutPolicy::default(),
            cashout_tenants: BTreeMap::new(),
            encryption_key: String::new(),
            jobs_poll_ms: 200,
            jobs_batch_max: 32,
            jobs_lease_s: 60,
            jobs_backoff_base_ms: 1_000,
            jobs_backoff_max_s: 3_600,
            jobs_attempts_max: 12,
            jobs_retention_h: 7 * 24,
            webhook_timeout_ms: 5_000,
            webhook_private_hosts: false,
            public_base_url: String::new(),
            receipt_link_ttl_s: 30 * 24 * 3600,
        }
    }
}

/// Every setting but the key, which must never reach a log.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut table = toml::Table::try_from(self).map_err(|_| fmt::Error)?;
        for secret in ["encryption_key", "sms_gateway_token"] {
            if table.get(secret).and_then(|v| v.as_str()).is_some_and(|v| !v.is_empty()) {
                table.insert(secret.into(), "[redacted]".into());
            }
        }
        redact_partner_secret(table.get_mut("cashout"));
        if let Some(tenants) = table.get_mut("cashout_tenants").and_then(toml::Value::as_table_mut) {
            tenants.iter_mut().for_each(|(_, policy)| redact_partner_secret(Some(policy)));
        }
        write!(f, "Settings {table:?}")
    }
}

/// Hides the e-wallet partner's secret in a cash-out policy (as a TOML value).
fn redact_partner_secret(policy: Option<&mut toml::Value>) {
    let partner = policy.and_then(|p| p.get_mut("ewallet")).and_then(toml::Value::as_table_mut);
    if let Some(partner) = partner.filter(|p| p.get("secret").and_then(|v| v.as_str()).is_some_and(|v| !v.is_empty())) {
        partner.insert("secret".into(), "[redacted]".into());
    }
}

/// The prefix of every environment variable we read.
const ENV_PREFIX: &str = "SMALLCHANGE_";

impl Settings {
    /// Defaults, overridden by `file` (if given) and then by `SMALLCHANGE_*` variables.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut table = toml::Table::try_from(Settings::default())?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let from_file: toml::Table =
                text.parse().with_context(|| format!("{} is not valid TOML", path.display()))?;
            merge(&mut table, from_file);
        }
        for (name, value) in std::env::vars() {
            let Some(key) = name.strip_prefix(ENV_PREFIX) else { continue };
            let key = key.to_ascii_lowercase();
            if table.contains_key(&key) {
                table.insert(key, env_value(&value));
            }
        }
        let settings: Settings = table.try_into().context("bad settings")?;
        settings.check()?;
        Ok(settings)
    }

    /// Refuses settings that cannot work or would cross the lawful line.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=ledger::BATCH_TRANSFERS_MAX).contains(&self.batch_events_max),
            "batch_events_max must be 1..={}",
            ledger::BATCH_TRANSFERS_MAX
        );
        anyhow::ensure!(self.idempotency_retention_h >= 24, "idempotency_retention_h must be at least 24");
        anyhow::ensure!(self.amount_max > 0, "amount_max must be positive");
        anyhow::ensure!(self.db_connections_max >= 2, "db_connections_max must be at least 2");
        anyhow::ensure!(matches!(self.log_format.as_str(), "text" | "json"), "log_format is text or json");
        self.check_jobs()?;
        anyhow::ensure!(
            self.public_base_url.is_empty()
                || self.public_base_url.starts_with("https://")
                || self.public_base_url.starts_with("http://"),
            "public_base_url must be empty or start with https:// (or http://)"
        );
        anyhow::ensure!(self.receipt_link_ttl_s >= 60, "receipt_link_ttl_s must be at least 60");
        self.wallet.check("wallet")?;
        for (tenant, policy) in &self.wallet_tenants {
            policy.check(&format!("wallet_tenants.{tenant}"))?;
        }
        self.cashout.check("cashout")?;
        for (tenant, policy) in &self.cashout_tenants {
            policy.check(&format!("cashout_tenants.{tenant}"))?;
        }
        Ok(())
    }

    /// The cash-out policies with no `business_registration_number`, by their table's name
    /// (`cashout`, `cashout_tenants."ten_…"`): their receipts show the operator's name alone.
    /// `serve` says so once as it starts.
    pub fn unregistered_operators(&self) -> Vec<String> {
        let tenants = self.cashout_tenants.iter().map(|(tenant, p)| (format!("cashout_tenants.\"{tenant}\""), p));
        std::iter::once(("cashout".to_string(), &self.cashout))
            .chain(tenants)
            .filter(|(_, policy)| policy.operator("").registration_number.is_none())
            .map(|(table, _)| table)
            .collect()
    }

    /// The cash-out policy of `tenant`.
    pub fn cashout_policy(&self, tenant: &str) -> &CashoutPolicy {
        self.cashout_tenants.get(tenant).unwrap_or(&self.cashout)
    }

    /// Job and webhook settings that cannot work: a job that could outlive its lease would
    /// be claimed again while it still runs.
    fn check_jobs(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.jobs_poll_ms >= 1, "jobs_poll_ms must be at least 1");
        anyhow::ensure!(self.user_index_every_ms >= 1, "user_index_every_ms must be at least 1");
        anyhow::ensure!(self.jobs_batch_max >= 1, "jobs_batch_max must be at least 1");
        anyhow::ensure!(self.jobs_attempts_max >= 1, "jobs_attempts_max must be at least 1");
        anyhow::ensure!(self.jobs_backoff_base_ms >= 1, "jobs_backoff_base_ms must be at least 1");
        anyhow::ensure!(
            self.jobs_backoff_max_s.saturating_mul(1_000) >= self.jobs_backoff_base_ms,
            "jobs_backoff_max_s must be at least jobs_backoff_base_ms"
        );
        anyhow::ensure!(self.webhook_timeout_ms >= 1, "webhook_timeout_ms must be at least 1");
        anyhow::ensure!(
            self.jobs_lease_s.saturating_mul(1_000) >= self.webhook_timeout_ms.saturating_mul(2),
            "jobs_lease_s must be at least twice webhook_timeout_ms, so a delivery ends within its lease"
        );
        for policy in std::iter::once(&self.cashout).chain(self.cashout_tenants.values()) {
            anyhow::ensure!(
                self.jobs_lease_s.saturating_mul(1_000) >= policy.ewallet.timeout_ms.saturating_mul(2),
                "jobs_lease_s must be at least twice every ewallet.timeout_ms, so a payout call ends within its lease"
            );
            anyhow::ensure!(
                self.jobs_lease_s.saturating_mul(1_000) >= policy.bank_link.timeout_ms.saturating_mul(2),
                "jobs_lease_s must be at least twice every bank_link.timeout_ms, so a bank call ends within its lease"
            );
        }
        Ok(())
    }

    /// The job runner's settings.
    pub fn jobs(&self) -> RunnerSettings {
        RunnerSettings {
            poll: Duration::from_millis(self.jobs_poll_ms),
            batch_max: self.jobs_batch_max,
            lease: Duration::from_secs(self.jobs_lease_s),
            backoff: Backoff {
                base: Duration::from_millis(self.jobs_backoff_base_ms),
                max: Duration::from_secs(self.jobs_backoff_max_s),
                max_attempts: self.jobs_attempts_max,
            },
        }
    }

    /// The wallet policy of `tenant`.
    pub fn wallet_policy(&self, tenant: &str) -> &WalletPolicy {
        self.wallet_tenants.get(tenant).unwrap_or(&self.wallet)
    }

    pub fn db_options(&self) -> DbOptions {
        DbOptions {
            url: self.db.clone(),
            connections_max: self.db_connections_max,
            sqlite_durable: self.sqlite_durable,
        }
    }

    pub fn committer(&self) -> CommitterSettings {
        CommitterSettings {
            batch_events_max: self.batch_events_max,
            batch_wait_max: Duration::from_micros(self.batch_wait_max_us),
            queue_commands_max: self.queue_commands_max,
            sqlite_durable: self.sqlite_durable,
            sqlite_cache_mb: self.sqlite_cache_mb,
        }
    }
}

/// Lays `over` onto `base`, table by table, so a file that sets one fee keeps the others.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(value)) => merge(inner, value),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// An environment value as TOML where it parses (numbers, booleans), else as a string.
fn env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_settings_that_cannot_work_are_refused() {
        assert!(Settings::default().check().is_ok());
        let refused = [
            Settings { jobs_batch_max: 0, ..Settings::default() },
            Settings { jobs_attempts_max: 0, ..Settings::default() },
            Settings { jobs_poll_ms: 0, ..Settings::default() },
            Settings { jobs_backoff_base_ms: 5_000, jobs_backoff_max_s: 4, ..Settings::default() },
            Settings { jobs_lease_s: 9, webhook_timeout_ms: 5_000, ..Settings::default() },
        ];
        for settings in refused {
            assert!(settings.check().is_err(), "{settings:?}");
        }
        let jobs = Settings::default().jobs();
        assert_eq!((jobs.poll, jobs.batch_max, jobs.lease), (Duration::from_millis(200), 32, Duration::from_secs(60)));
        assert_eq!((jobs.backoff.base, jobs.backoff.max_attempts), (Duration::from_secs(1), 12));
    }

    #[test]
    fn partner_secrets_stay_out_of_debug_output() {
        let mut settings = Settings::default();
        settings.cashout.ewallet.secret = "ewsec_default".into();
        let mut tenant = settings.cashout.clone();
        tenant.ewallet.secret = "ewsec_tenant".into();
        settings.cashout_tenants.insert("ten_1".into(), tenant);
        let shown = format!("{settings:?}");
        assert!(!shown.contains("ewsec_") && shown.contains("[redacted]"), "{shown}");
    }
}
