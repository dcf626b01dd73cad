//! How the command line reports a failure: `error: <what>` on stderr, then `  hint: <fix>`
//! when there is one. Errors nobody gave words for are shown by their own messages, cut
//! before the first database-driver error, whose wording is the library's.

use std::fmt;

/// A failure worded for a person, with the fix when there is one.
#[derive(Debug)]
pub struct Failure {
    pub what: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(what: impl Into<String>) -> Failure {
        Failure { what: what.into(), hint: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl std::error::Error for Failure {}

/// The lines to print on stderr for `error`.
pub fn report(error: &anyhow::Error) -> String {
    if let Some(failure) = error.downcast_ref::<Failure>() {
        return match &failure.hint {
            Some(hint) => format!("error: {}\n  hint: {hint}", failure.what),
            None => format!("error: {}", failure.what),
        };
    }
    let words: Vec<String> = error
        .chain()
        .take_while(|cause| cause.downcast_ref::<sqlx::Error>().is_none())
        .map(|c| c.to_string())
        .collect();
    if words.is_empty() {
        "error: the database refused the request; run again with RUST_LOG=debug for its answer".to_string()
    } else {
        format!("error: {}", words.join(": "))
    }
}

/// The database URL as it may be shown: without its password.
pub fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let Some((user_info, host)) = authority.rsplit_once('@') else { return url.to_string() };
    let user = user_info.split_once(':').map_or(user_info, |(user, _password)| user);
    let slash = if rest.contains('/') { "/" } else { "" };
    format!("{scheme}://{user}@{host}{slash}{path}")
}

/// Why the database could not be opened, in the database's or the system's words.
pub fn open_reason(error: &anyhow::Error) -> Option<String> {
    error.chain().find_map(|cause| match cause.downcast_ref::<sqlx::Error>()? {
        sqlx::Error::Database(db) => Some(db.message().to_string()),
        sqlx::Error::Io(io) => Some(io.to_string()),
        sqlx::Error::PoolTimedOut => Some("no answer in time".to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shown_url_has_no_password() {
        assert_eq!(shown_url("postgres://app:s3cret@db.example:5432/money"), "postgres://app@db.example:5432/money");
        assert_eq!(shown_url("postgres://app@db/money"), "postgres://app@db/money");
        assert_eq!(shown_url("postgres://a:b@db"), "postgres://a@db");
        assert_eq!(shown_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
        assert_eq!(shown_url("sqlite://smallchange.db"), "sqlite://smallchange.db");
    }

    #[test]
    fn a_failure_prints_its_hint_on_its_own_line() {
        let error = anyhow::Error::new(Failure::new("no tenant ten_x").hint("list tenants"));
        assert_eq!(report(&error), "error: no tenant ten_x\n  hint: list tenants");
    }

    #[test]
    fn a_driver_error_is_cut_from_the_chain() {
        let error = anyhow::Error::new(sqlx::Error::RowNotFound).context("reading the tenants");
        assert_eq!(report(&error), "error: reading the tenants");
    }
}
