//! The committer and store against the pure kernel: random requests (transfers, holds,
//! posts, voids, linked chains, retries) go through the real group committer into SQLite or
//! PostgreSQL and, in parallel, through one in-memory `ledger::Book` that never touches a
//! database. Results, balances and `verify` must agree. Together with the kernel's own
//! property tests against a reference model (crates/ledger/tests/model.rs), this shows the
//! database path loads and writes exactly what the kernel decided.

mod support;

use std::sync::Arc;

use ledger::{Account, AccountFlags, AccountId, Amount, Book, Currency, Transfer, TransferFlags, TransferId};
use proptest::prelude::*;
use smallchange::committer::{Command, Committer, CommitterSettings, Output, Reply};
use smallchange::metrics::Metrics;
use support::Backend;

const ACCOUNTS: usize = 4;

#[derive(Clone, Debug)]
enum Op {
    Single { debit: usize, credit: usize, amount: i64 },
    Hold { debit: usize, credit: usize, amount: i64 },
    Post { earlier: usize, amount: Option<i64> },
    Void { earlier: usize },
    Retry { earlier: usize },
}

fn op() -> impl Strategy<Value = (Op, bool)> {
    let account = 0..ACCOUNTS + 1; // the last one is in USD: currency_mismatch
    let amount = 1i64..400;
    let op = prop_oneof![
        3 => (account.clone(), account.clone(), amount.clone()).prop_map(|(debit, credit, amount)| Op::Single { debit, credit, amount }),
        2 => (account.clone(), account, amount.clone()).prop_map(|(debit, credit, amount)| Op::Hold { debit, credit, amount }),
        2 => (any::<usize>(), proptest::option::of(amount)).prop_map(|(earlier, amount)| Op::Post { earlier, amount }),
        1 => any::<usize>().prop_map(|earlier| Op::Void { earlier }),
        1 => any::<usize>().prop_map(|earlier| Op::Retry { earlier }),
    ];
    (op, proptest::bool::weighted(0.2))
}

fn account_id(run: &str, i: usize) -> AccountId {
    AccountId(format!("{run}/a{i}"))
}

/// Opens the accounts: a funded source without limits, customers with limits, one USD.
fn accounts(run: &str) -> Vec<Account> {
    (0..=ACCOUNTS)
        .map(|i| {
            let flags = match i {
                0 => AccountFlags::default(),
                3 => AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS,
                _ => AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
            };
            let currency = if i == ACCOUNTS { Currency::USD } else { Currency::KRW };
            Account::open(account_id(run, i), currency, 1, flags)
        })
        .collect()
}

/// Turns generated ops into transfers; ids refer back to earlier ones by index.
fn transfers(run: &str, requests: &[Vec<(Op, bool)>]) -> Vec<Vec<Transfer>> {
    let mut made: Vec<Transfer> = Vec::new();
    let mut out = Vec::new();
    for (r, request) in requests.iter().enumerate() {
        let mut batch = Vec::new();
        for (i, (op, linked)) in request.iter().enumerate() {
            let id = TransferId(format!("{run}/r{r}t{i}"));
            let flags = if *linked { TransferFlags::LINKED } else { TransferFlags::default() };
            let plain = |debit: usize, credit: usize, amount: i64, extra: TransferFlags| Transfer {
                id: id.clone(),
                debit_account: Some(account_id(run, debit)),
                credit_account: Some(account_id(run, credit)),
                amount: Amount::new(amount),
                currency: Some(Currency::KRW),
                code: 1,
                flags: flags.union(extra),
                pending_id: None,
                timeout_s: 0,
            };
            let earlier = |n: usize| made.get(n % made.len().max(1)).cloned();
            let transfer = match op {
                Op::Single { debit, credit, amount } => plain(*debit, *credit, *amount, TransferFlags::default()),
                Op::Hold { debit, credit, amount } => plain(*debit, *credit, *amount, TransferFlags::PENDING),
                Op::Post { earlier: n, .. } | Op::Void { earlier: n } if earlier(*n).is_some() => {
                    let post = matches!(op, Op::Post { .. });
                    let amount = if let Op::Post { amount, .. } = op { amount.and_then(Amount::new) } else { None };
                    Transfer {
                        id: id.clone(),
                        debit_account: None,
                        credit_account: None,
                        amount,
                        currency: None,
                        code: 1,
                        flags: flags.union(if post {
                            TransferFlags::POST_PENDING
                        } else {
                            TransferFlags::VOID_PENDING
                        }),
                        pending_id: earlier(*n).map(|t| t.id),
                        timeout_s: 0,
                    }
                }
                Op::Retry { earlier: n } if earlier(*n).is_some() => earlier(*n).unwrap(),
                _ => plain(1, 2, 1, TransferFlags::default()),
            };
            made.push(transfer.clone());
            batch.push(transfer);
        }
        out.push(batch);
    }
    out
}

async fn check_against_kernel(backend: Backend, requests: Vec<Vec<(Op, bool)>>, case: usize) {
    let db = support::fresh_db(backend).await;
    let store = support::open(&db).await;
    let settings = CommitterSettings {
        batch_events_max: ledger::BATCH_TRANSFERS_MAX,
        batch_wait_max: std::time::Duration::from_millis(2),
        queue_commands_max: 1024,
        sqlite_durable: true,
        sqlite_cache_mb: 64,
    };
    let (committer, task) = Committer::start(store.clone(), settings, Arc::new(Metrics::default())).unwrap();
    let run = format!("case{case}");
    let mut book = Book::new(smallchange::store::now_us());
    let opened = accounts(&run);
    for account in &opened {
        book.create_account(account.clone());
    }
    committer.submit(Command::CreateAccounts(opened.clone()), None).await.unwrap();
    let fund = Transfer {
        id: TransferId(format!("{run}/fund")),
        debit_account: Some(account_id(&run, 0)),
        credit_account: Some(account_id(&run, 1)),
        amount: Amount::new(1_000),
        currency: Some(Currency::KRW),
        code: 1,
        flags: TransferFlags::default(),
        pending_id: None,
        timeout_s: 0,
    };
    let all = transfers(&run, &requests);
    let expected_fund = book.apply(std::slice::from_ref(&fund));
    let reply = committer.submit(Command::Transfers(vec![fund]), None).await.unwrap();
    assert!(matches!(reply, Reply::Applied(Output::Transfers(ref got)) if *got == expected_fund), "{reply:?}");
    // All requests are queued at once (join_all first polls them in order, so they enter
    // the queue in order): the committer packs several into each batch, as under load.
    let expected: Vec<_> = all.iter().map(|request| book.apply(request)).collect();
    let replies = futures::future::join_all(
        all.iter().map(|request| committer.submit(Command::Transfers(request.clone()), None)),
    )
    .await;
    for ((request, expected), reply) in all.iter().zip(expected).zip(replies) {
        let reply = reply.unwrap();
        let Reply::Applied(Output::Transfers(got)) = reply else { panic!("unexpected reply {reply:?}") };
        assert_eq!(got, expected, "request {request:?}");
    }
    drop(committer);
    task.await.unwrap();
    for account in &opened {
        let stored = smallchange::store::ledger::get_account(&store, &account.id.0).await.unwrap().unwrap();
        assert_eq!(&stored, book.account(&account.id).unwrap(), "balances of {}", account.id.0);
    }
    let report = smallchange::store::verify::run(&store).await.unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    store.close().await;
}

fn run_cases(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let case = std::sync::atomic::AtomicUsize::new(0);
    let config = ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(requests in proptest::collection::vec(proptest::collection::vec(op(), 1..6), 1..25))| {
        let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        runtime.block_on(check_against_kernel(backend, requests, n));
    });
}

#[test]
fn committer_matches_kernel_on_sqlite() {
    run_cases(Backend::Sqlite);
}

#[test]
fn committer_matches_kernel_on_postgres() {
    run_cases(Backend::Postgres);
}
