//! A webhook endpoint as a tenant asks for it: where to POST (a URL smallchange may call)
//! and which event types to send there, each checked once when it is parsed.
//!
//! URLs must be `https://`, except `http://` to a loopback host, for development and tests;
//! they hold no credentials (receivers check the signature instead) and, unless private
//! hosts are allowed, name a public host (see [`crate::public_net`]).

use std::net::IpAddr;

use super::Invalid;

/// Every event type an endpoint may subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "cashout.paid",
    "cashout.failed",
    "cashout.in_review",
    "cashout.canceled",
    "cashout.expired",
    "cashout.sla_breached",
    "cashout.stuck",
    "balance.threshold_reached",
    "gift_card.expiring",
];
/// The subscription to every type, present and future.
pub const ALL_EVENTS: &str = "*";

/// Longest URL accepted, and most entries in `events`.
const URL_LEN_MAX: usize = 2_048;
const EVENTS_MAX: usize = 32;

/// Where a tenant wants its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEndpoint {
    url: String,
    events: Vec<String>,
}

impl NewEndpoint {
    /// Checks the URL (see [`parse_url`]), then the event types (see [`parse_events`]).
    pub fn parse(url: &str, events: Vec<String>, private_hosts: bool) -> Result<NewEndpoint, Invalid> {
        Ok(NewEndpoint { url: parse_url(url, private_hosts)?, events: parse_events(events)? })
    }

    /// The URL as written back by the URL parser (normalised).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Known event types or `*`, sorted, each once.
    pub fn events(&self) -> &[String] {
        &self.events
    }
}

/// An endpoint URL: https (plain http to loopback only), no credentials, and a public host
/// unless `private_hosts` allows loopback and private networks.
fn parse_url(text: &str, private_hosts: bool) -> Result<String, Invalid> {
    let invalid = |message: &str| Invalid::new("invalid_url", message, "url");
    if text.len() > URL_LEN_MAX {
        return Err(invalid("url is at most 2048 characters"));
    }
    let url = reqwest::Url::parse(text.trim()).map_err(|_| invalid("url is an absolute URL such as https://…"))?;
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| invalid("url names a host"))?;
    if !private_hosts && !is_public_host(host) {
        return Err(invalid("url must name a public host: loopback and private networks are not allowed"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => return Err(invalid("url must use https (plain http is accepted for loopback hosts only)")),
        _ => return Err(invalid("url is an https:// URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("url must not hold credentials: receivers check the signature instead"));
    }
    Ok(url.to_string())
}

/// A name (checked again when it resolves, see [`crate::public_net`]) or a public address.
fn is_public_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => crate::public_net::is_public(ip),
        Err(_) => !host.eq_ignore_ascii_case("localhost") && !host.to_ascii_lowercase().ends_with(".localhost"),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Known event types or `*`, at least one; sorted, each once.
fn parse_events(events: Vec<String>) -> Result<Vec<String>, Invalid> {
    if events.is_empty() || events.len() > EVENTS_MAX {
        let message = "events lists 1 to 32 event types, or \"*\" for all";
        return Err(Invalid::new("invalid_events", message, "events"));
    }
    for (n, event) in events.iter().enumerate() {
        if event != ALL_EVENTS && !EVENT_TYPES.contains(&event.as_str()) {
            let message = format!("{event:?} is not an event type; known: {}, or \"*\"", EVENT_TYPES.join(", "));
            return Err(Invalid::new("unknown_event", message, format!("events[{n}]")));
        }
    }
    let mut events = events;
    events.sort_unstable();
    events.dedup();
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_or_loopback_http() {
        for good in [
            "https://example.com/hooks",
            "https://10.0.0.5:8443/h",
            "http://127.0.0.1:9000/h",
            "http://localhost/h",
            "http://[::1]:80/h",
        ] {
            assert!(parse_url(good, true).is_ok(), "{good}");
        }
        for bad in [
            "",
            "example.com/hooks",
            "http://example.com/hooks",
            "http://10.0.0.5/h",
            "ftp://example.com/h",
            "https://user:pw@example.com/h",
            "https://",
            "file:///etc/passwd",
        ] {
            let error = parse_url(bad, true).unwrap_err();
            assert_eq!(error.code, "invalid_url", "{bad}");
        }
        assert!(parse_url(&format!("https://example.com/{}", "a".repeat(URL_LEN_MAX)), true).is_err());
    }

    #[test]
    fn without_private_hosts_only_public_ones_are_endpoints() {
        assert!(parse_url("https://hooks.example.com/h", false).is_ok());
        assert!(parse_url("https://93.184.216.34/h", false).is_ok());
        for private in [
            "http://127.0.0.1:9000/h",
            "http://localhost/h",
            "https://10.0.0.5:8443/h",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00::1]/h",
            "https://admin.localhost/h",
        ] {
            assert_eq!(parse_url(private, false).unwrap_err().code, "invalid_url", "{private}");
        }
    }

    #[test]
    fn events_are_known_types_or_everything() {
        let parsed = parse_events(vec!["cashout.paid".into(), "*".into(), "cashout.paid".into()]).unwrap();
        assert_eq!(parsed, vec!["*".to_string(), "cashout.paid".to_string()]);
        assert_eq!(parse_events(vec![]).unwrap_err().code, "invalid_events");
        let unknown = parse_events(vec!["cashout.paid".into(), "nope".into()]).unwrap_err();
        assert_eq!((unknown.code, unknown.param.as_str()), ("unknown_event", "events[1]"));
    }

    #[test]
    fn the_url_is_checked_before_the_events() {
        let both_bad = NewEndpoint::parse("ftp://example.com", vec![], true).unwrap_err();
        assert_eq!(both_bad.param, "url");
    }
}
