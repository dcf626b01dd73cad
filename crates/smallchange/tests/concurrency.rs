//! Concurrency: money cannot be spent twice however the requests race. A thousand debits
//! fired at once against a balance that covers exactly one admit exactly one, on SQLite and
//! PostgreSQL behind one server, and on PostgreSQL behind two server processes sharing the
//! database (the committer's account locks are what keep them apart). Two processes racing
//! to post and void the same pending transfers resolve each exactly once, and
//! `smallchange verify` finds every invariant holding afterwards.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::join_all;
use serde_json::json;
use support::process::{self, Remote, ServerProcess};
use support::{fresh_db, spawn, Backend};

/// Debits fired at once; the balance covers exactly one of them.
const DEBITS: usize = 1_000;
const DEBIT_AMOUNT: i64 = 700;

/// Transfers that two processes make at once between the same few accounts.
const SHUFFLES: usize = 600;
const SHUFFLED: [&str; 3] = ["x", "y", "z"];

/// Pending transfers that two processes race to post and to void.
const HOLDS: usize = 200;
const HOLD_AMOUNT: i64 = 30;

/// How many of each result code.
fn tally(results: &[String]) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for result in results {
        *counts.entry(result.as_str()).or_default() += 1;
    }
    counts
}

fn assert_exactly_one_fits(results: &[String]) {
    let counts = tally(results);
    let expected = BTreeMap::from([("created", 1), ("exceeds_credits", DEBITS - 1)]);
    assert_eq!(counts, expected, "{DEBITS} debits against a balance that covers one");
}

async fn one_of_a_thousand_debits_fits(backend: Backend) {
    let server = spawn(backend).await;
    server.open_accounts(&[("bank", &[]), ("alice", &["debits_must_not_exceed_credits"])]).await;
    assert_eq!(server.transfer("fund", "bank", "alice", DEBIT_AMOUNT).await, "created");

    let shared = &server;
    let debits =
        (0..DEBITS).map(|i| async move { shared.transfer(&format!("debit-{i}"), "alice", "bank", DEBIT_AMOUNT).await });
    let results = join_all(debits).await;

    assert_exactly_one_fits(&results);
    assert_eq!(server.counters("alice").await, [0, DEBIT_AMOUNT, 0, DEBIT_AMOUNT]);
    assert_eq!(server.counters("bank").await, [0, DEBIT_AMOUNT, 0, DEBIT_AMOUNT]);
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(one_of_a_thousand_debits_fits, super::one_of_a_thousand_debits_fits);

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap()
}

/// A fresh PostgreSQL database with a tenant and admin key made by the command line, and
/// two server processes on it.
async fn two_servers() -> (support::TestDb, ServerProcess, ServerProcess, Remote, Remote) {
    let db = fresh_db(Backend::Postgres).await;
    let (_tenant, key) = process::create_tenant_and_key(&db.url).await;
    let a = ServerProcess::start(&db.url).await;
    let b = ServerProcess::start(&db.url).await;
    let client = client();
    let (to_a, to_b) = (Remote::new(&a, &key, &client), Remote::new(&b, &key, &client));
    (db, a, b, to_a, to_b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_admit_one_of_a_thousand_debits() {
    let (db, _a, _b, to_a, to_b) = two_servers().await;
    to_a.open_accounts(&[("bank", &[]), ("alice", &["debits_must_not_exceed_credits"])]).await;
    assert_eq!(to_b.transfer("fund", "bank", "alice", DEBIT_AMOUNT).await, "created");

    let (to_a, to_b) = (&to_a, &to_b);
    let debits = (0..DEBITS).map(|i| async move {
        let via = if i % 2 == 0 { to_a } else { to_b };
        via.transfer(&format!("debit-{i}"), "alice", "bank", DEBIT_AMOUNT).await
    });
    let results = join_all(debits).await;

    assert_exactly_one_fits(&results);
    for via in [to_a, to_b] {
        assert_eq!(via.counters("alice").await, [0, DEBIT_AMOUNT, 0, DEBIT_AMOUNT]);
        assert_eq!(via.counters("bank").await, [0, DEBIT_AMOUNT, 0, DEBIT_AMOUNT]);
    }
    assert_eq!(process::assert_verified(&db.url).await, 1 + 1);
}

/// The other side of the same lock: with both processes writing the same accounts all the
/// time, no counter update may be lost (a single debit race has one window; this has many).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_lose_no_update() {
    let (db, _a, _b, to_a, to_b) = two_servers().await;
    let accounts: Vec<(&str, &[&str])> = SHUFFLED.iter().map(|id| (*id, &[][..])).collect();
    to_a.open_accounts(&accounts).await;

    let (to_a, to_b) = (&to_a, &to_b);
    let pair = |i: usize| (i % 3, (i % 3 + 1 + i / 3 % 2) % 3);
    let shuffles = (0..SHUFFLES).map(|i| async move {
        let via = if i % 2 == 0 { to_a } else { to_b };
        let (debit, credit) = pair(i);
        via.transfer(&format!("shuffle-{i}"), SHUFFLED[debit], SHUFFLED[credit], i as i64 + 1).await
    });
    let results = join_all(shuffles).await;

    assert!(results.iter().all(|r| r == "created"), "{:?}", tally(&results));
    let mut expected = [[0i64; 4]; 3];
    for i in 0..SHUFFLES {
        let (debit, credit) = pair(i);
        expected[debit][1] += i as i64 + 1;
        expected[credit][3] += i as i64 + 1;
    }
    for (id, expected) in SHUFFLED.iter().zip(expected) {
        assert_eq!(to_b.counters(id).await, expected, "the counters of {id}");
    }
    assert_eq!(process::assert_verified(&db.url).await, SHUFFLES as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_resolve_each_pending_once() {
    let (db, _a, _b, to_a, to_b) = two_servers().await;
    to_a.open_accounts(&[("bank", &[]), ("payer", &["debits_must_not_exceed_credits"]), ("shop", &[])]).await;
    let funds = HOLD_AMOUNT * HOLDS as i64;
    assert_eq!(to_b.transfer("fund", "bank", "payer", funds).await, "created");
    let holds = (0..HOLDS)
        .map(|i| {
            json!({"id": format!("hold-{i}"), "debit_account": "payer", "credit_account": "shop",
                "amount": HOLD_AMOUNT, "currency": "KRW", "code": 1, "flags": ["pending"]})
        })
        .collect();
    assert!(to_a.transfers(holds).await.iter().all(|r| r == "created"));
    assert_eq!(to_b.counters("payer").await, [funds, 0, 0, funds]);

    // Each hold is posted through one process and voided through the other, all at once;
    // which process posts alternates so that neither is always first in line.
    let (to_a, to_b) = (&to_a, &to_b);
    let races = (0..HOLDS).map(|i| async move {
        let (poster, voider) = if i % 2 == 0 { (to_a, to_b) } else { (to_b, to_a) };
        let resolve = |id: String, flag: &str| {
            vec![json!({"id": id, "pending_id": format!("hold-{i}"), "code": 1, "flags": [flag]})]
        };
        let post = poster.transfers(resolve(format!("post-{i}"), "post_pending"));
        let void = voider.transfers(resolve(format!("void-{i}"), "void_pending"));
        let (mut post, mut void) = futures::join!(post, void);
        (post.remove(0), void.remove(0))
    });
    let outcomes = join_all(races).await;

    let mut posted = 0;
    for (i, outcome) in outcomes.iter().enumerate() {
        match (outcome.0.as_str(), outcome.1.as_str()) {
            ("created", "pending_already_posted") => posted += 1,
            ("pending_already_voided", "created") => {}
            _ => panic!("hold-{i} was not resolved exactly once: post {}, void {}", outcome.0, outcome.1),
        }
    }
    eprintln!("{posted} of {HOLDS} holds posted, {} voided", HOLDS - posted);
    let moved = HOLD_AMOUNT * posted as i64;
    for via in [to_a, to_b] {
        assert_eq!(via.counters("payer").await, [0, moved, 0, funds]);
        assert_eq!(via.counters("shop").await, [0, 0, 0, moved]);
    }
    // The funding, the holds and one resolution of each.
    assert_eq!(process::assert_verified(&db.url).await, (1 + 2 * HOLDS) as u64);
}
