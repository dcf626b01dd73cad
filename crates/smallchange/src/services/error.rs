//! The error every use case answers with when it cannot do what was asked: what kind of
//! failure it is, a stable machine-readable `code` (`insufficient_funds`, `otp_locked` …),
//! a message in words, and the input field at fault. No HTTP in it: `status.rs` maps each
//! kind to a status in one table, which the API (`http/error.rs`) and the pages share, and
//! a page or the CLI may show it its own way.
//!
//! Callers' mistakes carry their code; anything else is `internal`, logged with its cause
//! chain where it is made and never shown.

use crate::committer::CommitError;
use crate::domain::Invalid;
use crate::limits::TooMany;

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The input is wrong (a field, or the request as a whole).
    Invalid,
    /// Who asked could not be told apart.
    Unauthenticated,
    /// Who asked may not do this.
    Forbidden,
    NotFound,
    /// The thing is not in a state that allows it (already used, already paid …).
    Conflict,
    /// The door does not take this method (HTTP only).
    MethodNotAllowed,
    /// The input is larger than accepted.
    TooLarge,
    /// The input is not in a format the door reads (HTTP only: a body that is not JSON).
    UnsupportedMediaType,
    /// Too many attempts: wait, then try again.
    RateLimited,
    /// Not now (shutting down, a dependency away): try again later.
    Unavailable,
    /// A bug or an outage; the cause was logged.
    Internal,
}

#[derive(Clone, Debug)]
pub struct Error {
    pub(crate) kind: Kind,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) param: Option<String>,
    /// Seconds to wait before trying again ([`Kind::RateLimited`] only).
    pub(crate) retry_after_s: Option<u64>,
}

impl Error {
    pub(crate) fn new(kind: Kind, code: &'static str, message: impl Into<String>) -> Error {
        Error { kind, code, message: message.into(), param: None, retry_after_s: None }
    }

    /// Wrong input in one field.
    pub fn invalid(code: &'static str, message: impl Into<String>, param: impl Into<String>) -> Error {
        Error { param: Some(param.into()), ..Error::new(Kind::Invalid, code, message) }
    }

    /// Wrong input as a whole.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Error {
        Error::new(Kind::Invalid, code, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Error {
        Error::new(Kind::Forbidden, "permission_denied", message)
    }

    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(Kind::NotFound, "resource_missing", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Error {
        Error::new(Kind::Conflict, code, message)
    }

    /// The same error, said in other words.
    pub fn with_message(self, message: impl Into<String>) -> Error {
        Error { message: message.into(), ..self }
    }

    /// The same error, naming the input field it is about.
    pub fn with_param(self, param: impl Into<String>) -> Error {
        Error { param: Some(param.into()), ..self }
    }

    /// Too many tries of `what`: wait `wait`, rounded up to whole seconds (one at least),
    /// before trying again.
    pub fn rate_limited(wait: std::time::Duration, what: &str) -> Error {
        let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let message = format!("{what}: retry after {seconds} s");
        Error { retry_after_s: Some(seconds), ..Error::new(Kind::RateLimited, "rate_limited", message) }
    }

    pub fn unavailable(message: impl Into<String>) -> Error {
        Error::new(Kind::Unavailable, "unavailable", message)
    }

    /// Logs the cause and answers an error that reveals nothing of it.
    pub fn internal(cause: impl std::fmt::Display) -> Error {
        tracing::error!(error = %cause, "internal error");
        Error::new(Kind::Internal, "internal_error", "something went wrong on our side")
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn param(&self) -> Option<&str> {
        self.param.as_deref()
    }

    /// Seconds to wait before trying again, when rate limited.
    pub fn retry_after_s(&self) -> Option<u64> {
        self.retry_after_s
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<anyhow::Error> for Error {
    fn from(error: anyhow::Error) -> Error {
        Error::internal(format!("{error:#}"))
    }
}

/// A value that did not parse is the caller's mistake in that field.
impl From<Invalid> for Error {
    fn from(invalid: Invalid) -> Error {
        Error::invalid(invalid.code, invalid.message, invalid.param)
    }
}

/// A guard against guessing turned the try away: wait, then try again.
impl From<TooMany> for Error {
    fn from(refused: TooMany) -> Error {
        Error::rate_limited(refused.wait, refused.what)
    }
}

impl From<CommitError> for Error {
    fn from(error: CommitError) -> Error {
        match error {
            CommitError::Stopped => Error::unavailable("the server is shutting down"),
            CommitError::Failed(cause) => Error::internal(cause),
        }
    }
}
