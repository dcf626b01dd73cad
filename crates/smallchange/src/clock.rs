//! The wall clock the wallet decides by (calendar months, gift-card expiry), injectable so
//! tests can stand at the end of a month and step over it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The system clock, or a fixed time a test sets and moves.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    fixed_us: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock standing at `us` (microseconds since the epoch) until it is [`Clock::set`].
    pub fn fixed(us: i64) -> Clock {
        Clock { fixed_us: Some(Arc::new(AtomicI64::new(us))) }
    }

    /// Moves a fixed clock (and every clone of it); a system clock ignores this.
    pub fn set(&self, us: i64) {
        if let Some(fixed) = &self.fixed_us {
            fixed.store(us, Ordering::SeqCst);
        }
    }

    /// Microseconds since the Unix epoch.
    pub fn now_us(&self) -> i64 {
        match &self.fixed_us {
            Some(fixed) => fixed.load(Ordering::SeqCst),
            None => crate::store::now_us(),
        }
    }
}

/// Microseconds since the epoch as RFC 3339 UTC, as every time in the API is written.
pub fn rfc3339(us: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
