//! Where a tenant's e-wallet payouts go: the partner's payout URL, the secret both sides
//! sign with, how long a call may take, and the callback URL we tell the partner. Read from
//! `[cashout.ewallet]` (or `[cashout_tenants."<id>".ewallet]`).
//!
//! It is settings rather than data because the partner is the operator's contract, not a
//! user's choice. An empty `url` means the rail is not configured: e-wallet cash-outs then
//! fail (their holds released) instead of waiting for a partner that does not exist.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Longest a call to the partner may be allowed to take: it must end well within a job's
/// lease (see `jobs_lease_s`), which `Settings::check` (config.rs) also enforces.
pub const TIMEOUT_MS_MAX: u64 = 120_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EwalletPartner {
    /// The partner's payout endpoint: `https://…` (`http://` only to a loopback host).
    /// Empty: the rail is not configured.
    pub url: String,
    /// The shared secret: it signs our payout requests and checks the partner's callbacks.
    pub secret: String,
    /// How long one payout call may take, connecting included.
    pub timeout_ms: u64,
    /// Sent to the partner as `callback_url` (where it reports the outcome); empty: not sent.
    pub callback_url: String,
}

impl Default for EwalletPartner {
    fn default() -> EwalletPartner {
        EwalletPartner { url: String::new(), secret: String::new(), timeout_ms: 10_000, callback_url: String::new() }
    }
}

impl EwalletPartner {
    /// Whether payouts can be sent: a URL to send them to and a secret to sign them with.
    pub fn configured(&self) -> bool {
        !self.url.is_empty() && !self.secret.is_empty()
    }

    pub fn check(&self, name: &str) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=TIMEOUT_MS_MAX).contains(&self.timeout_ms),
            "{name}.timeout_ms must be 1 to {TIMEOUT_MS_MAX}"
        );
        if self.url.is_empty() {
            return Ok(());
        }
        anyhow::ensure!(!self.secret.is_empty(), "{name}.secret must be set when {name}.url is");
        check_url(&self.url).map_err(|why| anyhow::anyhow!("{name}.url {why}"))?;
        if !self.callback_url.is_empty() {
            let scheme = reqwest::Url::parse(&self.callback_url).map(|u| u.scheme().to_string());
            anyhow::ensure!(
                matches!(scheme.as_deref(), Ok("https" | "http")),
                "{name}.callback_url is an absolute http(s) URL"
            );
        }
        Ok(())
    }
}

/// An absolute `https://` URL without credentials, or `http://` to a loopback host (for
/// development and tests): the signature, not the URL, authenticates.
pub(crate) fn check_url(text: &str) -> Result<(), &'static str> {
    let url = reqwest::Url::parse(text).map_err(|_| "is not an absolute URL")?;
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or("names no host")?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("must use https (plain http only to a loopback host)"),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not hold credentials");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partner(url: &str, secret: &str) -> EwalletPartner {
        EwalletPartner { url: url.into(), secret: secret.into(), ..EwalletPartner::default() }
    }

    #[test]
    fn the_default_is_an_unconfigured_rail() {
        let default = EwalletPartner::default();
        assert!(!default.configured());
        assert!(default.check("ewallet").is_ok());
    }

    #[test]
    fn urls_are_https_or_loopback_http_and_need_a_secret() {
        for good in ["https://partner.example.com/payouts", "http://127.0.0.1:9000/p", "http://localhost/p"] {
            assert!(partner(good, "s").check("e").is_ok(), "{good}");
            assert!(partner(good, "s").configured());
        }
        for bad in ["http://partner.example.com/p", "ftp://x/p", "payouts", "https://u:p@example.com/p"] {
            assert!(partner(bad, "s").check("e").is_err(), "{bad}");
        }
        assert!(partner("https://partner.example.com/p", "").check("e").is_err(), "a URL needs a secret");
        let slow = EwalletPartner { timeout_ms: TIMEOUT_MS_MAX + 1, ..partner("https://p.example/p", "s") };
        assert!(slow.check("e").is_err());
        let callback = EwalletPartner { callback_url: "/v1/rails".into(), ..partner("https://p.example", "s") };
        assert!(callback.check("e").is_err(), "the callback URL is absolute");
    }
}
