//! Limits on guessing gift-card codes: a code that matches no card counts against the person
//! who tried it (the user redeeming, or the key checking) and against the client address it
//! came from. Once either has no tries left, every code from it is turned away with 429
//! before it is looked up, right or wrong, until the bucket refills. A person gets few
//! tries; an address more, because an operator's backend sends every user's codes from one.

use std::time::Duration;

use super::error::ApiError;
use super::rate_limit::RateLimiter;

/// Wrong codes a person may try at once, and how many more each minute after that.
const PERSON_BURST: u32 = 10;
const PERSON_PER_MIN: u32 = 1;
/// Wrong codes one client address may send at once, and each minute after that.
const ADDRESS_BURST: u32 = 100;
const ADDRESS_PER_MIN: u32 = 60;

pub struct CodeGuesses {
    by_person: RateLimiter,
    by_address: RateLimiter,
}

impl Default for CodeGuesses {
    fn default() -> CodeGuesses {
        CodeGuesses {
            by_person: RateLimiter::per_minute(PERSON_PER_MIN, PERSON_BURST),
            by_address: RateLimiter::per_minute(ADDRESS_PER_MIN, ADDRESS_BURST),
        }
    }
}

impl CodeGuesses {
    /// Turns `person` at `address` away if either has no wrong tries left.
    pub fn admit(&self, person: &str, address: &str) -> Result<(), ApiError> {
        let wait = match (self.by_person.peek(person), self.by_address.peek(address)) {
            (Ok(()), Ok(())) => return Ok(()),
            (Err(a), Err(b)) => a.max(b),
            (Err(wait), Ok(())) | (Ok(()), Err(wait)) => wait,
        };
        Err(too_many(wait))
    }

    /// Counts a code that matched no card.
    pub fn wrong(&self, person: &str, address: &str) {
        let _ = self.by_person.check(person);
        let _ = self.by_address.check(address);
    }
}

fn too_many(wait: Duration) -> ApiError {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::rate_limited(wait)
        .with_message(format!("too many gift-card codes that matched no card: retry after {} s", seconds.max(1)))
}
