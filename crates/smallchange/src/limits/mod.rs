//! Limits on guessing, kept below every door so that none can go around them: the JSON API,
//! the web wallet's pages and anything later reach the same use cases, and the use cases
//! apply these guards themselves through the shared [`Context`](crate::context::Context).
//! They sit below the context that carries them (and below `services`, which counts who a
//! try is against, `services::limits::person`), so the context names no use case.
//!
//! - **Gift-card codes** ([`CodeGuesses`]): a code that matches no card counts against the
//!   person who tried it and against the client address it came from. Once either has no
//!   tries left, every code from it is turned away before it is looked up, right or wrong,
//!   until the bucket refills. A person gets few tries; an address more, because an
//!   operator's backend sends every user's codes from one.
//! - **Receipt links and wallet links** ([`LinkFailures`], one count for each kind): a link
//!   that is not genuine (a receipt link's signature that does not match, a wallet link's
//!   token that no link has) counts against the client address; past the limit every link
//!   of that kind from there is turned away, genuine or not, so they cannot be guessed at
//!   speed.
//!
//! - **Authenticator set-up codes** ([`TotpProofs`]): a code that does not prove the scan of
//!   a new authenticator counts against the person; with no tries left every code is turned
//!   away, right or wrong, until the bucket refills.
//!
//! - **Wallet sign-in codes** ([`SignIn`]): codes sent to one phone number, codes asked for
//!   from one client address, and wrong codes from one address.
//!
//! Turned away is [`TooMany`], which a use case answers as `services::Error::rate_limited`:
//! kind `RateLimited`, code `rate_limited`, and how long to wait; each door says it its own
//! way (the API: 429 with `Retry-After`).

mod bucket;

pub use bucket::RateLimiter;

use std::net::IpAddr;
use std::time::Duration;

/// Gift-card codes that matched no card a person may try at once, and how many more each
/// minute after that.
pub const CODE_GUESSES_PERSON_BURST: u32 = 10;
pub const CODE_GUESSES_PERSON_PER_MIN: u32 = 1;
/// Codes that matched no card one client address may send at once, and each minute after.
pub const CODE_GUESSES_ADDRESS_BURST: u32 = 100;
pub const CODE_GUESSES_ADDRESS_PER_MIN: u32 = 60;
/// Receipt links that are not genuine one client address may open at once, and each minute
/// after that.
pub const LINK_FAILURES_BURST: u32 = 10;
pub const LINK_FAILURES_PER_MIN: u32 = 10;
/// Wrong codes a person may type at once while setting up an authenticator, then each minute.
pub const TOTP_PROOFS_BURST: u32 = 5;
pub const TOTP_PROOFS_PER_MIN: u32 = 1;

/// Codes one phone number may be sent at once, then each minute.
const SIGN_IN_PHONE_BURST: u32 = 3;
const SIGN_IN_PHONE_PER_MIN: u32 = 1;
/// Codes one client address may ask for at once, then each minute.
const SIGN_IN_ADDRESS_BURST: u32 = 20;
const SIGN_IN_ADDRESS_PER_MIN: u32 = 5;
/// Wrong codes one client address may send at once, then each minute.
const SIGN_IN_WRONG_BURST: u32 = 30;
const SIGN_IN_WRONG_PER_MIN: u32 = 10;

/// A client's address as the limits count it; one that does not parse (none is known)
/// counts as the unspecified address.
pub fn client_address(address: &str) -> IpAddr {
    address.parse().unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// A try turned away: wait `wait` before trying `what` again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooMany {
    pub wait: Duration,
    pub what: &'static str,
}

/// Every guard, built once with the [`Context`](crate::context::Context) and shared by all
/// its clones, whichever door they serve.
#[derive(Default)]
pub struct Guards {
    pub code_guesses: CodeGuesses,
    pub link_failures: LinkFailures,
    /// Wallet-link tokens that no link has (`/wallet/link/{token}`), opened or only looked at.
    pub wallet_link_failures: LinkFailures,
    /// Web wallet sign-in codes asked for and guessed.
    pub sign_in: SignIn,
    /// Wrong codes typed while setting up an authenticator.
    pub totp_proofs: TotpProofs,
    /// Console set-up link tokens that no link has (`/console/setup/{token}`).
    pub console_link_failures: LinkFailures,
    /// Wrong console sign-ins from one client address, whichever account they were for.
    pub console_sign_in_failures: LinkFailures,
}

/// Gift-card codes that matched no card, per person and per client address.
pub struct CodeGuesses {
    by_person: RateLimiter,
    by_address: RateLimiter,
}

impl Default for CodeGuesses {
    fn default() -> CodeGuesses {
        CodeGuesses {
            by_person: RateLimiter::per_minute(CODE_GUESSES_PERSON_PER_MIN, CODE_GUESSES_PERSON_BURST),
            by_address: RateLimiter::per_minute(CODE_GUESSES_ADDRESS_PER_MIN, CODE_GUESSES_ADDRESS_BURST),
        }
    }
}

impl CodeGuesses {
    /// Turns `person` at `client` away if either has no wrong tries left.
    pub fn admit(&self, person: &str, client: IpAddr) -> Result<(), TooMany> {
        let wait = match (self.by_person.peek(person), self.by_address.peek(&client.to_string())) {
            (Ok(()), Ok(())) => return Ok(()),
            (Err(a), Err(b)) => a.max(b),
            (Err(wait), Ok(())) | (Ok(()), Err(wait)) => wait,
        };
        Err(TooMany { wait, what: "too many gift-card codes that matched no card" })
    }

    /// Counts a code that matched no card.
    pub fn wrong(&self, person: &str, client: IpAddr) {
        let _ = self.by_person.check(person);
        let _ = self.by_address.check(&client.to_string());
    }
}

/// Links that were not genuine, per client address.
pub struct LinkFailures(RateLimiter);

impl Default for LinkFailures {
    fn default() -> LinkFailures {
        LinkFailures(RateLimiter::per_minute(LINK_FAILURES_PER_MIN, LINK_FAILURES_BURST))
    }
}

impl LinkFailures {
    /// Turns `client` away if it has no failed tries left.
    pub fn admit(&self, client: IpAddr) -> Result<(), TooMany> {
        let wait = self.0.peek(&client.to_string());
        wait.map_err(|wait| TooMany { wait, what: "too many links that were not genuine" })
    }

    /// Counts a link that was not genuine; the next try from `client` is turned away first.
    pub fn failed(&self, client: IpAddr) {
        let _ = self.0.check(&client.to_string());
    }
}

/// Wrong codes typed to prove a new authenticator, per person.
pub struct TotpProofs(RateLimiter);

impl Default for TotpProofs {
    fn default() -> TotpProofs {
        TotpProofs(RateLimiter::per_minute(TOTP_PROOFS_PER_MIN, TOTP_PROOFS_BURST))
    }
}

impl TotpProofs {
    /// Turns `person` away if they have no wrong tries left.
    pub fn admit(&self, person: &str) -> Result<(), TooMany> {
        let wait = self.0.peek(person);
        wait.map_err(|wait| TooMany { wait, what: "too many wrong authenticator codes" })
    }

    /// Counts a wrong code.
    pub fn wrong(&self, person: &str) {
        let _ = self.0.check(person);
    }

    /// Wrong tries `person` has left.
    pub fn left(&self, person: &str) -> u32 {
        self.0.left(person)
    }
}

/// The limits on asking for and guessing wallet sign-in codes; one per server
/// (`services::wallet_access::sign_in` applies them).
pub struct SignIn {
    pub by_phone: RateLimiter,
    pub by_address: RateLimiter,
    pub wrong_by_address: RateLimiter,
}

impl Default for SignIn {
    fn default() -> SignIn {
        SignIn {
            by_phone: RateLimiter::per_minute(SIGN_IN_PHONE_PER_MIN, SIGN_IN_PHONE_BURST),
            by_address: RateLimiter::per_minute(SIGN_IN_ADDRESS_PER_MIN, SIGN_IN_ADDRESS_BURST),
            wrong_by_address: RateLimiter::per_minute(SIGN_IN_WRONG_PER_MIN, SIGN_IN_WRONG_BURST),
        }
    }
}
