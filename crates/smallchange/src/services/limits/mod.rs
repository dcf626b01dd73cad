//! Limits on guessing, kept below every door so that none can go around them: the JSON API,
//! the web wallet's pages and anything later reach the same use cases, and the use cases
//! apply these guards themselves through the shared [`Context`](crate::context::Context).
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
//! Turned away is [`Error::rate_limited`]: kind `RateLimited`, code `rate_limited`, and how
//! long to wait; each door says it its own way (the API: 429 with `Retry-After`).

mod bucket;

pub use bucket::RateLimiter;

use std::net::IpAddr;

use super::{Actor, Error};

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

/// Every guard, built once with the [`Context`](crate::context::Context) and shared by all
/// its clones, whichever door they serve.
#[derive(Default)]
pub struct Guards {
    pub code_guesses: CodeGuesses,
    pub link_failures: LinkFailures,
    /// Wallet-link tokens that no link has (`/wallet/link/{token}`), opened or only looked at.
    pub wallet_link_failures: LinkFailures,
    /// Web wallet sign-in codes asked for and guessed.
    pub sign_in: crate::services::wallet_access::sign_in::Limits,
    /// Wrong codes typed while setting up an authenticator.
    pub totp_proofs: TotpProofs,
}

/// Whose tries a gift-card code counts against: `actor` in `tenant`. A user redeeming into
/// their own wallet and an operator redeeming into it for them are the same person,
/// [`Actor::EndUser`] of that wallet.
pub fn person(tenant: &str, actor: &Actor) -> String {
    format!("{tenant}/{actor}")
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
    pub fn admit(&self, person: &str, client: IpAddr) -> Result<(), Error> {
        let wait = match (self.by_person.peek(person), self.by_address.peek(&client.to_string())) {
            (Ok(()), Ok(())) => return Ok(()),
            (Err(a), Err(b)) => a.max(b),
            (Err(wait), Ok(())) | (Ok(()), Err(wait)) => wait,
        };
        Err(Error::rate_limited(wait, "too many gift-card codes that matched no card"))
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
    pub fn admit(&self, client: IpAddr) -> Result<(), Error> {
        let wait = self.0.peek(&client.to_string());
        wait.map_err(|wait| Error::rate_limited(wait, "too many links that were not genuine"))
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
    pub fn admit(&self, person: &str) -> Result<(), Error> {
        let wait = self.0.peek(person);
        wait.map_err(|wait| Error::rate_limited(wait, "too many wrong authenticator codes"))
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

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::sync::Arc;

    use super::*;
    use crate::clock::Clock;
    use crate::committer::Committer;
    use crate::config::Settings;
    use crate::context::Context;
    use crate::crypto::Secrets;
    use crate::domain::gift_card::Presented;
    use crate::metrics::Metrics;
    use crate::services::cashout::receipt_link::{self, Refused};
    use crate::services::{gift_cards, Kind};
    use crate::store::Db;

    /// A context on a fresh SQLite database, as a second door (a page, a worker) has it.
    async fn context(dir: &tempfile::TempDir) -> Context {
        let url = format!("sqlite://{}", dir.path().join("limits.db").display());
        let settings = Settings { db: url, ..Settings::default() };
        let db = Db::connect(&settings.db_options()).await.unwrap();
        db.migrate().await.unwrap();
        let metrics = Arc::new(Metrics::default());
        let (committer, _task) = Committer::start(db.clone(), settings.committer(), metrics.clone()).unwrap();
        let secrets = Arc::new(Secrets::from_key([7; 32]));
        let settings = Arc::new(settings);
        let guards = Arc::default();
        Context { db, committer, settings, metrics, clock: Clock::system(), secrets, guards }
    }

    fn wrong(n: usize) -> Presented {
        Presented::new("BookPass".into(), &format!("9999-0000-0000-{n:04}"), None)
    }

    fn assert_limited(error: &Error) {
        assert_eq!((error.kind(), error.code()), (Kind::RateLimited, "rate_limited"), "{error}");
        assert!(error.retry_after_s().is_some_and(|s| s >= 1), "{error:?}");
    }

    #[tokio::test]
    async fn a_second_door_is_held_to_the_same_limits() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(&dir).await;
        let (tenant, key) = ("ten_1", Actor::ApiKey { key_id: "key_1".into() });
        let (api, web) = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));

        // Through one door, a key checks ten codes that match no card…
        for n in 0..CODE_GUESSES_PERSON_BURST as usize {
            let found = gift_cards::check(&ctx, &key, api, tenant, &wrong(n)).await.unwrap();
            assert!(found.reasons.contains(&"card_not_found"), "{:?}", found.reasons);
        }
        // …and through another, from another address, it is turned away before any lookup.
        assert_limited(&gift_cards::check(&ctx, &key, web, tenant, &wrong(99)).await.unwrap_err());

        // A user of the web wallet checks ten wrong codes; redeeming into that wallet through
        // the API is then turned away too: the same person, whoever's key asks.
        let user = Actor::EndUser { user_id: "usr_1".into() };
        for n in 0..CODE_GUESSES_PERSON_BURST as usize {
            gift_cards::check(&ctx, &user, web, tenant, &wrong(n)).await.unwrap();
        }
        let Err(error) = gift_cards::redeem(&ctx, &key, api, tenant, "usr_1", &wrong(0), None).await else {
            panic!("a redemption into a wallet out of tries was let through");
        };
        assert_limited(&error);

        // Receipt links: ten forgeries from one address, then that address is turned away
        // however the link is opened, genuine or not; another address is not.
        let forged = |ctx: &Context, client| {
            let ctx = ctx.clone();
            async move { receipt_link::open(&ctx, client, "co_1", "1800000000", &"0".repeat(64)).await }
        };
        for _ in 0..LINK_FAILURES_BURST {
            assert_eq!(forged(&ctx, api).await.unwrap().err(), Some(Refused::Invalid));
        }
        let Err(error) = forged(&ctx, api).await else { panic!("a link from an address out of tries was opened") };
        assert_limited(&error);
        assert_eq!(forged(&ctx, web).await.unwrap().err(), Some(Refused::Invalid));
    }
}
