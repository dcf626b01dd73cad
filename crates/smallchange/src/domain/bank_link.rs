//! How smallchange reaches a tenant's bank over HTTP, if it does: `[cashout.bank_link]` (or
//! `[cashout_tenants."<id>".bank_link]`). Unset (`url` empty), the operator carries the
//! files: downloads each pain.001 and uploads the bank's reports through the API.
//!
//! Set, the bank rail `PUT`s every closed batch to `{url}/payment-files/{batch id}` and
//! polls `{url}/reports` for status reports, each with `Authorization: Bearer {token}`.

use serde::{Deserialize, Serialize};

use super::ewallet_partner::{check_url, TIMEOUT_MS_MAX};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BankLink {
    /// The bank's host-to-host base URL: `https://…` (`http://` only to a loopback host).
    pub url: String,
    /// The bearer token the bank gave the operator.
    pub token: String,
    /// How long one call may take, connecting included.
    pub timeout_ms: u64,
    /// How often the bank is asked for new status reports.
    pub reports_poll_s: i64,
}

impl Default for BankLink {
    fn default() -> BankLink {
        BankLink { url: String::new(), token: String::new(), timeout_ms: 30_000, reports_poll_s: 300 }
    }
}

impl BankLink {
    /// Whether the bank is reached over HTTP.
    pub fn configured(&self) -> bool {
        !self.url.is_empty()
    }

    /// `{url}/{path}`, whether or not the base ends in a slash.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}/{path}", self.url.trim_end_matches('/'))
    }

    pub fn check(&self, name: &str) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=TIMEOUT_MS_MAX).contains(&self.timeout_ms),
            "{name}.timeout_ms must be 1 to {TIMEOUT_MS_MAX}"
        );
        anyhow::ensure!(self.reports_poll_s >= 1, "{name}.reports_poll_s must be at least 1");
        if self.url.is_empty() {
            return Ok(());
        }
        anyhow::ensure!(!self.token.is_empty(), "{name}.token must be set when {name}.url is");
        check_url(&self.url).map_err(|why| anyhow::anyhow!("{name}.url {why}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(url: &str, token: &str) -> BankLink {
        BankLink { url: url.into(), token: token.into(), ..BankLink::default() }
    }

    #[test]
    fn a_link_needs_a_safe_url_and_a_token() {
        assert!(!BankLink::default().configured());
        assert!(BankLink::default().check("bank_link").is_ok());
        assert!(link("https://h2h.bank.example/v1/", "t").check("b").is_ok());
        assert!(link("http://127.0.0.1:7000", "t").check("b").is_ok());
        assert!(link("http://h2h.bank.example", "t").check("b").is_err(), "plain http off loopback");
        assert!(link("https://h2h.bank.example", "").check("b").is_err(), "no token");
        assert!(BankLink { reports_poll_s: 0, ..link("https://b.example", "t") }.check("b").is_err());
        assert_eq!(link("https://b.example/h2h/", "t").endpoint("reports"), "https://b.example/h2h/reports");
    }
}
