//! Counters for `GET /metrics`, in the Prometheus text format.
//!
//! A handful of atomics written on the hot path and read when scraped; no registry crate.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the commit-latency histogram, in seconds.
const COMMIT_BUCKETS_S: [f64; 8] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

#[derive(Default)]
pub struct Metrics {
    http_responses_2xx: AtomicU64,
    http_responses_4xx: AtomicU64,
    http_responses_5xx: AtomicU64,
    batches: AtomicU64,
    batch_events: AtomicU64,
    commit_us_sum: AtomicU64,
    commit_pages_written: AtomicU64,
    commit_buckets: [AtomicU64; COMMIT_BUCKETS_S.len()],
}

impl Metrics {
    pub fn observe_response(&self, status: u16) {
        let counter = match status {
            500.. => &self.http_responses_5xx,
            400.. => &self.http_responses_4xx,
            _ => &self.http_responses_2xx,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn observe_batch(&self, events: usize, took: Duration, pages_written: u64) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.commit_pages_written.fetch_add(pages_written, Ordering::Relaxed);
        self.batch_events.fetch_add(events as u64, Ordering::Relaxed);
        self.commit_us_sum.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        let seconds = took.as_secs_f64();
        for (bound, bucket) in COMMIT_BUCKETS_S.iter().zip(&self.commit_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        out.push_str("# HELP smallchange_http_responses_total HTTP responses by status class.\n");
        out.push_str("# TYPE smallchange_http_responses_total counter\n");
        for (class, counter) in
            [("2xx", &self.http_responses_2xx), ("4xx", &self.http_responses_4xx), ("5xx", &self.http_responses_5xx)]
        {
            let _ = writeln!(out, "smallchange_http_responses_total{{class=\"{class}\"}} {}", get(counter));
        }
        out.push_str("# HELP smallchange_commit_batches_total Batches the group committer wrote.\n");
        out.push_str("# TYPE smallchange_commit_batches_total counter\n");
        let _ = writeln!(out, "smallchange_commit_batches_total {}", get(&self.batches));
        out.push_str("# HELP smallchange_commit_events_total Accounts and transfers in those batches.\n");
        out.push_str("# TYPE smallchange_commit_events_total counter\n");
        let _ = writeln!(out, "smallchange_commit_events_total {}", get(&self.batch_events));
        out.push_str("# HELP smallchange_commit_seconds Time to load, apply and commit one batch.\n");
        out.push_str("# TYPE smallchange_commit_seconds histogram\n");
        for (bound, bucket) in COMMIT_BUCKETS_S.iter().zip(&self.commit_buckets) {
            let _ = writeln!(out, "smallchange_commit_seconds_bucket{{le=\"{bound}\"}} {}", get(bucket));
        }
        let _ = writeln!(out, "smallchange_commit_seconds_bucket{{le=\"+Inf\"}} {}", get(&self.batches));
        let _ = writeln!(out, "smallchange_commit_seconds_sum {}", get(&self.commit_us_sum) as f64 / 1e6);
        let _ = writeln!(out, "smallchange_commit_seconds_count {}", get(&self.batches));
        out.push_str(
            "# HELP smallchange_commit_pages_written_total Database pages the committer's commits wrote (SQLite).\n",
        );
        out.push_str("# TYPE smallchange_commit_pages_written_total counter\n");
        let _ = writeln!(out, "smallchange_commit_pages_written_total {}", get(&self.commit_pages_written));
        out
    }
}
