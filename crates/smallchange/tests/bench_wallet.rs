//! `bench wallet` on both backends, small: it creates and funds its users, pays, sends the
//! single-transfer ledger requests, makes a history, checks `verify` and reports. Here only
//! that all of that happened and the figures are there, never how fast.

mod support;

use serde_json::Value;
use smallchange::cli::bench::wallet::{wallet_bench, WalletArgs};
use support::{fresh_db, Backend};

both_backends!(the_wallet_benchmark_pays_and_transfers, super::the_wallet_benchmark_pays_and_transfers_on);

const USERS: u64 = 6;
const PAYMENTS: u64 = 48;
const HISTORY: u64 = 40;
const HISTORY_WINDOW: u64 = 10;

/// The benchmark is given a fresh database of the test's (`cli::bench::db`, which picks it on
/// the command line, is tested in tests/cli.rs).
async fn the_wallet_benchmark_pays_and_transfers_on(backend: Backend) {
    let db = fresh_db(backend).await;
    let settings = support::test_settings(&db);
    let args = WalletArgs {
        db: Default::default(),
        users: USERS,
        payments: PAYMENTS,
        connections: 4,
        accounts: 20,
        history: Some(HISTORY),
        history_window: HISTORY_WINDOW,
    };
    let line = wallet_bench(args, settings).await.expect("the benchmark runs and verify is clean");
    let count = |name: &str| line[name].as_u64().unwrap_or_else(|| panic!("{name} in {line}"));
    assert_eq!((line["bench"].as_str(), count("payments"), count("users")), (Some("wallet"), PAYMENTS, USERS));
    let expected_backend = if backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    assert_eq!(line["backend"].as_str(), Some(expected_backend), "{line}");
    for name in ["payments_per_s", "payments_p50_ms", "payments_p99_ms", "transfers_per_s", "transfers_p50_ms"] {
        assert_positive(&line, name);
    }
    for name in ["ratio", "first_window_per_s", "last_window_per_s", "history_ratio", "payments_per_batch"] {
        assert_positive(&line, name);
    }
    for name in ["first_window_per_batch", "last_window_per_batch", "last_window_commit_ms_mean"] {
        assert_positive(&line, name);
    }
    // SQLite tells how many pages each commit wrote; PostgreSQL does not, and says 0.
    for name in ["payments_pages_written", "transfers_pages_written", "last_window_pages_written"] {
        match backend {
            Backend::Sqlite => assert_positive(&line, name),
            Backend::Postgres => assert_eq!(line[name].as_f64(), Some(0.0), "{name} in {line}"),
        }
    }
    assert_eq!(count("history"), HISTORY, "{line}");
    // Each user spends its promo, then its cashback, then its cash: some payments span two.
    assert!(line["payments_legs_mean"].as_f64().is_some_and(|legs| legs >= 1.0), "{line}");
    assert!(count("payments_split") >= 1, "no payment drew on two pockets: {line}");
    // Every payment and transfer is in the ledger verify checked: the history and the
    // measured payments (at least one leg each), and the measured transfers.
    assert!(count("verified_transfers") >= HISTORY + 2 * PAYMENTS, "{line}");
}

fn assert_positive(line: &Value, name: &str) {
    assert!(line[name].as_f64().is_some_and(|value| value > 0.0), "{name} is not positive in {line}");
}
