//! Crash safety: what the server acknowledged survives `kill -9`, and retrying is safe.
//!
//! The real binary takes a load of concurrent single-transfer requests between a handful
//! of accounts, each with its own `Idempotency-Key` and transfer id, and is killed with
//! SIGKILL while requests are in flight; restarted, it gets the unanswered requests again
//! and is killed again, a few times. A last process on the same database is first asked,
//! without changing anything, which transfers it holds: every acknowledged `created` one
//! and no acknowledged failure, with the counters equal to exactly what those add up to.
//! Then every request is retried, acknowledged or not, under its same key and body: each
//! acknowledged one answers as it did the first time (or `exists`), the counters equal
//! exactly the sum of the transfers that ended applied, the database holds each of those
//! once and nothing else, and `smallchange verify` finds every invariant holding. On
//! SQLite and on PostgreSQL.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::stream::{self, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use support::process::{self, Answer, Remote, ServerProcess};
use support::{fresh_db, Backend};
use tokio::sync::Notify;

/// `bank` may go negative; the others may not spend more than they hold.
const ACCOUNTS: [&str; 6] = ["bank", "ann", "bob", "cat", "dan", "eve"];
const FLAGGED: &str = "debits_must_not_exceed_credits";
/// What `bank` gives each other account before the load.
const FUNDING: i64 = 4_000;
/// Largest amount of one transfer in the load.
const AMOUNT_MAX: i64 = 1_000;

/// Requests in the load, at most this many in flight at once.
const REQUESTS: usize = 2_400;
const IN_FLIGHT_MAX: usize = 64;
/// The server is killed once this many requests are acknowledged, after a random delay of
/// at most `KILL_DELAY_MAX_US`; then restarted and the unanswered requests sent again, and
/// so on `CRASHES` times, before every request is retried.
const ACKNOWLEDGED_BEFORE_KILL: usize = 300;
const KILL_DELAY_MAX_US: u64 = 5_000;
const CRASHES: usize = 5;

const TRANSFERS: &str = "/v1/ledger/transfers";

/// One request of the load: a single transfer under its own key.
struct Request {
    id: String,
    key: String,
    body: String,
    debit: usize,
    credit: usize,
    amount: i64,
}

fn load(seed: u64) -> Vec<Request> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..REQUESTS)
        .map(|i| {
            let debit = rng.gen_range(0..ACCOUNTS.len());
            let credit = (debit + rng.gen_range(1..ACCOUNTS.len())) % ACCOUNTS.len();
            let amount = rng.gen_range(1..=AMOUNT_MAX);
            let id = format!("t-{i}");
            let body = json!({"transfers": [{"id": id, "debit_account": ACCOUNTS[debit],
                "credit_account": ACCOUNTS[credit], "amount": amount, "currency": "KRW", "code": 1}]});
            Request { key: format!("key-{i}"), body: body.to_string(), id, debit, credit, amount }
        })
        .collect()
}

/// The result code of a one-transfer answer.
fn result_of(body: &str) -> String {
    let answer: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    answer["results"][0]["result"].as_str().unwrap_or_else(|| panic!("no result in {body}")).to_string()
}

/// Opens the accounts and funds every one but `bank`, before the load.
async fn prepare(to: &Remote) {
    let accounts: Vec<(&str, &[&str])> =
        ACCOUNTS.iter().map(|id| (*id, if *id == "bank" { &[][..] } else { &[FLAGGED][..] })).collect();
    to.open_accounts(&accounts).await;
    let funding = ACCOUNTS[1..]
        .iter()
        .map(|id| {
            json!({"id": format!("fund-{id}"), "debit_account": "bank", "credit_account": id,
                "amount": FUNDING, "currency": "KRW", "code": 1})
        })
        .collect();
    assert!(to.transfers(funding).await.iter().all(|r| r == "created"));
}

/// Fires the requests numbered `which`, and kills the server (after `delay`, so that the
/// kill lands anywhere in a commit cycle) once `ACKNOWLEDGED_BEFORE_KILL` are acknowledged.
/// Returns each request's answer, `None` where no complete answer came back.
async fn load_until_killed(
    server: &mut ServerProcess,
    to: &Remote,
    requests: &[Request],
    which: &[usize],
    delay: Duration,
) -> Vec<(usize, Option<Answer>)> {
    let acknowledged = AtomicUsize::new(0);
    let kill_now = Notify::new();
    let load = stream::iter(which.iter().copied())
        .map(|i| {
            let (acknowledged, kill_now, request) = (&acknowledged, &kill_now, &requests[i]);
            async move {
                let answer = to.try_post(TRANSFERS, &request.body, Some(&request.key)).await.ok();
                if let Some(answer) = &answer {
                    assert_eq!(answer.status, 200, "{} before the kill: {}", request.id, answer.body);
                    if acknowledged.fetch_add(1, Ordering::SeqCst) + 1 == ACKNOWLEDGED_BEFORE_KILL {
                        kill_now.notify_one();
                    }
                }
                (i, answer)
            }
        })
        .buffer_unordered(IN_FLIGHT_MAX)
        .collect::<Vec<_>>();
    let answers = async {
        let answers = load.await;
        // Too few acknowledged (the caller's check fails): the killer must not wait forever.
        kill_now.notify_one();
        answers
    };
    let killer = async {
        kill_now.notified().await;
        // Blocking on purpose: the server goes on committing while the client stands still.
        std::thread::sleep(delay);
        server.kill();
    };
    let (answers, ()) = futures::join!(answers, killer);
    answers
}

/// Sends every request again, under its same key and body; returns each answer.
async fn retry_all(to: &Remote, requests: &[Request]) -> Vec<Answer> {
    let answers = stream::iter(requests.iter().enumerate())
        .map(|(i, request)| async move {
            let answer = to
                .try_post(TRANSFERS, &request.body, Some(&request.key))
                .await
                .unwrap_or_else(|e| panic!("retrying {}: {e}", request.id));
            assert_eq!(answer.status, 200, "retrying {}: {}", request.id, answer.body);
            (i, answer)
        })
        .buffer_unordered(IN_FLIGHT_MAX)
        .collect::<Vec<_>>()
        .await;
    let mut retried = vec![None; requests.len()];
    for (i, answer) in answers {
        retried[i] = Some(answer);
    }
    retried.into_iter().map(|a| a.expect("every request retried")).collect()
}

/// Which requests' transfers the database holds, asked without changing anything: the
/// same id with an account that does not exist answers `exists_with_different_fields` if
/// the transfer is stored and `account_not_found` if it is not (the id is checked first).
async fn stored(to: &Remote, requests: &[Request]) -> Vec<bool> {
    let probes = requests
        .iter()
        .map(|r| {
            json!({"id": r.id, "debit_account": "nobody", "credit_account": "bank", "amount": 1,
                "currency": "KRW", "code": 1})
        })
        .collect();
    let results = to.transfers(probes).await;
    results
        .iter()
        .zip(requests)
        .map(|(result, request)| match result.as_str() {
            "exists_with_different_fields" => true,
            "account_not_found" => false,
            other => panic!("probing {}: {other}", request.id),
        })
        .collect()
}

/// Each account's counters `[debits_pending, debits_posted, credits_pending, credits_posted]`
/// if exactly the funding and the `applied` transfers happened.
fn expected_counters(requests: &[Request], applied: &[bool]) -> Vec<[i64; 4]> {
    let mut counters = vec![[0i64; 4]; ACCOUNTS.len()];
    for account in 1..ACCOUNTS.len() {
        counters[0][1] += FUNDING;
        counters[account][3] += FUNDING;
    }
    for request in requests.iter().zip(applied).filter(|(_, applied)| **applied).map(|(r, _)| r) {
        counters[request.debit][1] += request.amount;
        counters[request.credit][3] += request.amount;
    }
    counters
}

async fn assert_counters(to: &Remote, requests: &[Request], applied: &[bool], when: &str) {
    let expected = expected_counters(requests, applied);
    for (account, expected) in ACCOUNTS.iter().zip(&expected) {
        assert_eq!(to.counters(account).await, *expected, "the counters of {account} {when}");
    }
}

/// Runs the load through `CRASHES` processes, each killed with SIGKILL mid-load; returns
/// the first complete answer each request got, `None` if it never got one.
async fn crash_repeatedly(db_url: &str, key: &str, requests: &[Request]) -> Vec<Option<Answer>> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    let mut first: Vec<Option<Answer>> = vec![None; requests.len()];
    for crash in 0..CRASHES {
        let mut server = ServerProcess::start(db_url).await;
        let to = Remote::new(&server, key, &client);
        if crash == 0 {
            prepare(&to).await;
        }
        let unanswered: Vec<usize> = (0..requests.len()).filter(|i| first[*i].is_none()).collect();
        let delay = Duration::from_micros(rng.gen_range(0..=KILL_DELAY_MAX_US));
        let answers = load_until_killed(&mut server, &to, requests, &unanswered, delay).await;
        let acknowledged = answers.iter().filter(|(_, a)| a.is_some()).count();
        assert!(acknowledged >= ACKNOWLEDGED_BEFORE_KILL, "crash {crash}: only {acknowledged} acknowledged");
        assert!(acknowledged < unanswered.len(), "crash {crash}: the whole load was answered before the kill");
        for (i, answer) in answers {
            first[i] = answer;
        }
    }
    first
}

/// Checks that nothing acknowledged was lost and no acknowledged failure applied, and
/// returns which requests' transfers the database holds before any retry.
async fn check_after_crashes(to: &Remote, requests: &[Request], first: &[Option<Answer>]) -> Vec<bool> {
    let held = stored(to, requests).await;
    for ((request, answer), held) in requests.iter().zip(first).zip(&held) {
        if let Some(answer) = answer {
            let created = result_of(&answer.body) == "created";
            assert_eq!(*held, created, "{} was answered {} but is stored: {held}", request.id, answer.body);
        }
    }
    assert_counters(to, requests, &held, "after the crashes").await;
    held
}

/// Checks each retry against the first answer and what was stored; returns which requests'
/// transfers ended applied.
fn check_retries(requests: &[Request], first: &[Option<Answer>], held: &[bool], retried: &[Answer]) -> Vec<bool> {
    let mut applied = vec![false; requests.len()];
    for (i, request) in requests.iter().enumerate() {
        let retry = &retried[i].body;
        let result = result_of(retry);
        if let Some(first) = &first[i] {
            let same = *retry == first.body || (result == "exists" && result_of(&first.body) == "created");
            assert!(same, "{} was answered {} but its retry {retry}", request.id, first.body);
        }
        applied[i] = match result.as_str() {
            "created" | "exists" => true,
            "exceeds_credits" => false,
            other => panic!("{}: unexpected result {other}", request.id),
        };
        assert!(applied[i] || !held[i], "{} was stored before its retry, which answered {retry}", request.id);
    }
    applied
}

async fn acknowledged_transfers_survive_kill_9(backend: Backend) {
    let db = fresh_db(backend).await;
    let (_tenant, key) = process::create_tenant_and_key(&db.url).await;
    let requests = load(7);
    let first = crash_repeatedly(&db.url, &key, &requests).await;

    let server = ServerProcess::start(&db.url).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let to = Remote::new(&server, &key, &client);
    let held = check_after_crashes(&to, &requests, &first).await;
    let retried = retry_all(&to, &requests).await;
    let applied = check_retries(&requests, &first, &held, &retried);
    assert_counters(&to, &requests, &applied, "after the retries").await;

    let acknowledged = first.iter().filter(|a| a.is_some()).count();
    // Stored, but never answered by the process that stored it.
    let unanswered =
        first.iter().zip(&held).filter(|(a, held)| **held && a.as_ref().is_none_or(|a| a.replayed)).count();
    let applied = applied.iter().filter(|a| **a).count();
    eprintln!(
        "{backend:?}: {acknowledged} of {REQUESTS} acknowledged over {CRASHES} kill -9s; {unanswered} committed \
         by a process killed before it answered; {applied} applied in the end"
    );
    // The funding and each applied transfer, once: nothing lost, nothing doubled.
    let transfers = process::assert_verified(&db.url).await;
    assert_eq!(transfers, (ACCOUNTS.len() - 1 + applied) as u64, "transfers stored");
}
both_backends!(acknowledged_transfers_survive_kill_9, super::acknowledged_transfers_survive_kill_9);

/// Cash-outs each with its status change (a confirmation, a cancel) under an
/// `Idempotency-Key`, sent to a server killed with SIGKILL — right after it answered, or
/// while the request is in flight — and restarted on the same database: the same request
/// with the same key then answers what the first one did (status and body), never
/// `request_in_progress` or `invalid_state` for a change that committed, and the change is
/// made once. The answer commits with the change, so there is no window between the two. A
/// request killed before its change committed holds its key only until its server is seen
/// gone (a few seconds); then the retry makes the change, once.
async fn keyed_status_changes_answer_again_after_kill_9(backend: Backend) {
    const CASHOUTS: usize = 8;
    let db = fresh_db(backend).await;
    let (_tenant, key) = process::create_tenant_and_key(&db.url).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let mut server = ServerProcess::start(&db.url).await;
    let mut to = Remote::new(&server, &key, &client);
    let mut waiting = Vec::new();
    for n in 0..CASHOUTS {
        waiting.push(cashout_awaiting_its_code(&to, n).await);
    }
    let mut rng = StdRng::seed_from_u64(5);
    for (n, (id, code)) in waiting.iter().enumerate() {
        let (path, body) = if n % 2 == 0 {
            (format!("/v1/cashouts/{id}/confirm"), json!({ "otp": code }).to_string())
        } else {
            (format!("/v1/cashouts/{id}/cancel"), "{}".to_string())
        };
        let idempotency_key = format!("change-{n}");
        let sending = {
            let (to, path, body, idempotency_key) = (to.clone(), path.clone(), body.clone(), idempotency_key.clone());
            tokio::spawn(async move { to.try_post(&path, &body, Some(&idempotency_key)).await.ok() })
        };
        // Half are killed once answered, half while the request may still be at work.
        let first = if n < CASHOUTS / 2 {
            let first = sending.await.unwrap().expect("an answer before the kill");
            server.kill();
            Some(first)
        } else {
            tokio::time::sleep(Duration::from_micros(rng.gen_range(0..=4_000))).await;
            server.kill();
            sending.await.unwrap()
        };
        server = ServerProcess::start(&db.url).await;
        to = Remote::new(&server, &key, &client);
        let (status, stored) = to.get(&format!("/v1/cashouts/{id}")).await;
        assert_eq!(status, 200, "{stored}");
        let changed = stored["status"] != "awaiting_confirmation";
        let started = std::time::Instant::now();
        let again = loop {
            let again = to.try_post(&path, &body, Some(&idempotency_key)).await.expect("the retry is answered");
            // Killed before the change committed: nothing was done, and the key's claim
            // answers 409 `request_in_progress` only until the killed server is seen gone
            // (`store::boots::GONE_AFTER_US`); then the retry does the change.
            let code = serde_json::from_str::<Value>(&again.body).ok().map(|a| a["error"]["code"].clone());
            let waiting = again.status == 409 && code == Some(json!("request_in_progress"));
            if !waiting {
                break again;
            }
            assert!(!changed && first.is_none(), "{path}: a change that committed is answered, not claimed");
            assert!(started.elapsed() < Duration::from_secs(12), "{path}: still claimed after 12 s");
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        if let Some(first) = &first {
            assert_eq!((again.status, &again.body), (first.status, &first.body), "{path}: the first answer again");
            assert!(again.replayed, "{path}: answered from its record");
        }
        assert_eq!(again.status, 200, "{path}: {}", again.body);
        let answer: Value = serde_json::from_str(&again.body).unwrap();
        let made = answer["status"].as_str().unwrap().to_string();
        assert!(["processing", "in_review", "canceled"].contains(&made.as_str()), "{path}: {answer}");
        let (_, now) = to.get(&format!("/v1/cashouts/{id}")).await;
        let steps = now["timeline"].as_array().unwrap().iter().filter(|s| s["status"] == made.as_str()).count();
        assert_eq!(steps, 1, "{path}: changed once: {now}");
    }
    drop(server);
    process::assert_verified(&db.url).await;
}
both_backends!(keyed_status_changes_answer_again_after_kill_9, super::keyed_status_changes_answer_again_after_kill_9);

/// A user with a bank destination and money, and a new cash-out of theirs awaiting its SMS
/// code: `(cash-out id, code)`.
async fn cashout_awaiting_its_code(to: &Remote, n: usize) -> (String, String) {
    let (status, user) =
        to.post("/v1/users", &json!({"external_id": format!("ext-{n}"), "phone": format!("+8210{n:08}")})).await;
    assert_eq!(status, 200, "{user}");
    let user = user["id"].as_str().unwrap().to_string();
    let kyc = json!({"level": "basic", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    let (status, answer) = to.post(&format!("/v1/users/{user}/kyc"), &kyc).await;
    assert_eq!(status, 200, "{answer}");
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-789012", "holder_name": "김민지"});
    let (status, destination) = to.post(&format!("/v1/users/{user}/payout-destinations"), &bank).await;
    assert_eq!(status, 200, "{destination}");
    let topup = json!({"source": "bank_transfer", "amount": 100_000, "currency": "KRW", "reference": "t"});
    let (status, answer) = to.post(&format!("/v1/users/{user}/topups"), &topup).await;
    assert_eq!(status, 200, "{answer}");
    let ask = json!({"amount": 20_000, "currency": "KRW", "destination_id": destination["id"]});
    let (status, quote) = to.post(&format!("/v1/users/{user}/cashout-quotes"), &ask).await;
    assert_eq!(status, 200, "{quote}");
    let (status, cashout) = to.post("/v1/cashouts", &json!({"quote_id": quote["id"]})).await;
    assert_eq!((status, cashout["otp_channel"].as_str()), (200, Some("sms")), "{cashout}");
    let (status, outbox) = to.get("/v1/dev/sms-outbox").await;
    assert_eq!(status, 200, "{outbox}");
    let text = outbox[0]["text"].as_str().unwrap();
    let code: String = text.split(": ").nth(1).unwrap().chars().take(6).collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{text}");
    (cashout["id"].as_str().unwrap().to_string(), code)
}
