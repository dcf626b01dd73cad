//! The token bucket every limit is made of: a bucket per key (an API key's hash, a person,
//! a client address), refilled at a steady rate up to a burst. Over its limit a key is told
//! how long to wait; what that means to a client (429 `rate_limited` with `Retry-After`) is
//! the door's to say. The API's per-key limit (`rate_limit_per_s` up to `rate_limit_burst`)
//! and the guards against guessing ([`super::Guards`]) use it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most keys tracked at once; the table is emptied (every bucket full again) when full.
const BUCKETS_MAX: usize = 10_000;

pub struct RateLimiter {
    per_s: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// `per_s = 0` turns limits off.
    pub fn new(per_s: u32, burst: u32) -> RateLimiter {
        RateLimiter { per_s: f64::from(per_s), burst: f64::from(burst.max(1)), buckets: Mutex::default() }
    }

    /// `per_min` a minute on average, `burst` at once: for limits slower than one a second
    /// (failed tries at something guessable).
    pub fn per_minute(per_min: u32, burst: u32) -> RateLimiter {
        RateLimiter { per_s: f64::from(per_min) / 60.0, burst: f64::from(burst.max(1)), buckets: Mutex::default() }
    }

    /// Whether `key` has a request left, without taking it: to turn a caller away before
    /// trying something whose failures [`RateLimiter::check`] then counts.
    pub fn peek(&self, key: &str) -> Result<(), Duration> {
        if self.per_s == 0.0 {
            return Ok(());
        }
        let buckets = self.buckets.lock().expect("rate limiter lock");
        let Some(bucket) = buckets.get(key) else { return Ok(()) };
        let tokens = (bucket.tokens + bucket.at.elapsed().as_secs_f64() * self.per_s).min(self.burst);
        if tokens >= 1.0 {
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - tokens) / self.per_s))
        }
    }

    /// Whole requests `key` has left now, without taking one: to tell a person how many
    /// tries they have. `u32::MAX` when limits are off.
    pub fn left(&self, key: &str) -> u32 {
        if self.per_s == 0.0 {
            return u32::MAX;
        }
        let buckets = self.buckets.lock().expect("rate limiter lock");
        let tokens = buckets.get(key).map_or(self.burst, |bucket| {
            (bucket.tokens + bucket.at.elapsed().as_secs_f64() * self.per_s).min(self.burst)
        });
        // Whole tries only; the burst is at most u32::MAX.
        tokens.floor() as u32
    }

    /// Takes one request from `key`'s bucket, or says how long until one is available.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        if self.per_s == 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate limiter lock");
        if !buckets.contains_key(key) {
            if buckets.len() >= BUCKETS_MAX {
                buckets.clear();
            }
            buckets.insert(key.to_string(), Bucket { tokens: self.burst, at: now });
        }
        let bucket = buckets.get_mut(key).expect("inserted above");
        let refilled = now.duration_since(bucket.at).as_secs_f64() * self.per_s;
        bucket.tokens = (bucket.tokens + refilled).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_s))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let limiter = RateLimiter::new(10, 3);
        for _ in 0..3 {
            assert!(limiter.check("k").is_ok());
        }
        let wait = limiter.check("k").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(100), "{wait:?}");
        assert!(limiter.check("other").is_ok(), "keys have separate buckets");
        std::thread::sleep(Duration::from_millis(110));
        assert!(limiter.check("k").is_ok(), "refilled at 10 per second");
        assert!(RateLimiter::new(0, 0).check("k").is_ok(), "0 turns limits off");
    }

    #[test]
    fn peeking_takes_nothing_and_minutes_refill_slowly() {
        let limiter = RateLimiter::per_minute(6, 2);
        assert!(limiter.peek("k").is_ok(), "an unknown key has its whole burst");
        assert!(limiter.check("k").is_ok() && limiter.peek("k").is_ok() && limiter.peek("k").is_ok());
        assert!(limiter.check("k").is_ok());
        let wait = limiter.peek("k").unwrap_err();
        assert!(wait > Duration::from_secs(9) && wait <= Duration::from_secs(10), "one a 10 s: {wait:?}");
        assert!(limiter.check("k").is_err() && limiter.peek("other").is_ok());
    }

    #[test]
    fn what_is_left_is_counted_in_whole_tries() {
        let limiter = RateLimiter::per_minute(1, 5);
        assert_eq!(limiter.left("k"), 5);
        assert!(limiter.check("k").is_ok() && limiter.check("k").is_ok());
        assert_eq!(limiter.left("k"), 3);
        assert_eq!(limiter.left("k"), 3, "counting takes nothing");
        assert_eq!(RateLimiter::new(0, 0).left("k"), u32::MAX);
    }
}
