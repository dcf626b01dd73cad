//! Bank returns on both backends: a payment the bank reported paid and later gives back —
//! by a camt.054 credit entry with return information, or a pain.002 `RJCT` after `ACSC` —
//! fails, and its whole gross goes back to the pockets it came from, exactly once, however
//! often and in whatever order the reports come. A money step that keeps failing backs off
//! and raises `cashout.stuck` once; `verify` names a cash-out whose money is not where its
//! status says.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::config::Settings;
use smallchange::store::{self, Db};
use smallchange::unit::{Param, Row};
use support::bank::{self, confirmed_cashout, confirmed_cashouts, status_of, until, upload_report, Booking};
use support::{fresh_db, spawn_with_clock, Backend, TestServer};

const START_US: i64 = 1_794_279_600_000_000;

fn settings(s: &mut Settings) {
    support::fast_workers(s);
    s.cashout.risk.review_new_destination = false;
    s.cashout.risk.velocity_count_max = 10;
}

/// Each pocket's `available`, by name.
fn pockets(balances: &Value) -> Vec<(String, i64)> {
    let mut pockets: Vec<(String, i64)> = balances["pockets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["pocket"].as_str().unwrap().to_string(), p["available"].as_i64().unwrap()))
        .collect();
    pockets.sort();
    pockets
}

/// The statuses a cash-out passed through, in order.
async fn timeline(server: &TestServer, id: &str) -> Vec<String> {
    let (_, cashout) = server.get(&format!("/v1/cashouts/{id}")).await;
    cashout["timeline"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap().to_string()).collect()
}

/// The counters of one of the tenant's operator accounts (`fees`, `payouts:bank_transfer` …).
async fn operator(server: &TestServer, name: &str) -> [i64; 4] {
    server.counters_of(&format!("{}/:{name}:KRW", server.tenant)).await
}

async fn in_transit(server: &TestServer, ids: &[String]) {
    for id in ids {
        until("the batch", || async { status_of(server, id).await == "in_transit" }).await;
    }
}

both_backends!(a_camt054_credit_returns_a_paid_payout, super::a_camt054_credit_returns_a_paid_payout_on);

/// Paid (pain.002 `ACSC`), then returned by a camt.054.001.08 credit entry with `MD07`: the
/// cash-out fails with `bank:MD07`, every pocket it drew from is whole again, the fee and
/// the net come back from the operator's accounts, and the same return again changes nothing.
async fn a_camt054_credit_returns_a_paid_payout_on(backend: Backend) {
    let clock = Clock::fixed(START_US);
    let server = spawn_with_clock(fresh_db(backend).await, settings, clock.clone()).await;
    let (user, destination) = bank::bank_user(&server, 1).await;
    server.topup(&user, "refund", 5_000).await;
    let before = pockets(&server.balances(&user).await);
    let id = confirmed_cashout(&server, &clock, &user, &destination, 20_000).await;
    let (_, cashout) = server.get(&format!("/v1/cashouts/{id}")).await;
    assert_eq!(cashout["quote"]["sources"].as_array().unwrap().len(), 2, "drawn from two pockets: {cashout}");
    in_transit(&server, std::slice::from_ref(&id)).await;
    let (status, applied) = upload_report(&server, bank::pain002("S-1", &[(&id, "ACSC", None)])).await;
    assert_eq!((status, applied["results"][0]["status"].as_str()), (200, Some("paid")), "{applied}");
    assert_eq!(operator(&server, "payouts:bank_transfer").await[3], 19_500);
    assert_eq!(server.balances(&user).await["total"], 505_000 - 20_000);

    let returned = bank::camt054("N-1", &[(&id, 19_500, Booking::Returned("MD07"))]);
    bank::assert_schema_valid("camt.054.001.08.xsd", &returned);
    let (status, applied) = upload_report(&server, returned.clone()).await;
    assert_eq!(status, 200, "{applied}");
    let result = &applied["results"][0];
    assert_eq!(
        (result["outcome"].as_str(), result["changed"].as_bool(), result["status"].as_str()),
        (Some("rejected"), Some(true), Some("failed")),
        "{applied}"
    );
    assert!(result.get("error").is_none(), "{applied}");
    assert_eq!(pockets(&server.balances(&user).await), before, "every pocket whole again");
    assert_eq!(server.balances(&user).await["pending"], 0);
    let (_, failed) = server.get(&format!("/v1/cashouts/{id}")).await;
    assert_eq!(failed["failure_reason"], "bank:MD07");
    assert_eq!(timeline(&server, &id).await, ["awaiting_confirmation", "processing", "in_transit", "paid", "failed"]);
    let sent = operator(&server, "payouts:bank_transfer").await;
    assert_eq!(sent[3] - sent[1], 0, "the net came back from the rail's payouts: {sent:?}");
    let fees = operator(&server, "fees").await;
    assert_eq!(fees[3] - fees[1], 0, "the fee came back from the operator's income: {fees:?}");

    // The same return again, and the payment reported paid again: nothing moves.
    let (_, again) = upload_report(&server, returned).await;
    assert_eq!(
        (again["results"][0]["changed"].as_bool(), again["results"][0]["status"].as_str()),
        (Some(false), Some("failed"))
    );
    let (_, stale) = upload_report(&server, bank::pain002("S-2", &[(&id, "ACSC", None)])).await;
    assert_eq!(
        (stale["results"][0]["changed"].as_bool(), stale["results"][0]["status"].as_str()),
        (Some(false), Some("failed"))
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(pockets(&server.balances(&user).await), before);
    server.assert_verified().await;
    server.stop().await;
}

both_backends!(a_rejection_after_acsc_returns_the_payout, super::a_rejection_after_acsc_returns_the_payout_on);

/// A pain.002 `RJCT` after an `ACSC` for the same payment is a return: the money comes back
/// once; an `RJCT` for a payment never paid releases its hold.
async fn a_rejection_after_acsc_returns_the_payout_on(backend: Backend) {
    let clock = Clock::fixed(START_US);
    let server = spawn_with_clock(fresh_db(backend).await, settings, clock.clone()).await;
    let (user, ids) = confirmed_cashouts(&server, &clock, 1, &[20_000, 30_000]).await;
    in_transit(&server, &ids).await;
    upload_report(&server, bank::pain002("S-1", &[(&ids[0], "ACSC", None)])).await;
    let balances = server.balances(&user).await;
    assert_eq!((balances["total"].as_i64(), balances["pending"].as_i64()), (Some(500_000 - 20_000), Some(30_000)));
    let rejected = bank::pain002("S-2", &[(&ids[0], "RJCT", Some("AC04")), (&ids[1], "RJCT", Some("AC01"))]);
    bank::assert_schema_valid("pain.002.001.12.xsd", &rejected);
    for _ in 0..2 {
        let (status, applied) = upload_report(&server, rejected.clone()).await;
        assert_eq!(status, 200, "{applied}");
        let balances = server.balances(&user).await;
        assert_eq!((balances["total"].as_i64(), balances["pending"].as_i64()), (Some(500_000), Some(0)), "{balances}");
    }
    assert_eq!(
        timeline(&server, &ids[0]).await,
        ["awaiting_confirmation", "processing", "in_transit", "paid", "failed"]
    );
    assert_eq!(timeline(&server, &ids[1]).await, ["awaiting_confirmation", "processing", "in_transit", "failed"]);
    let (_, returned) = server.get(&format!("/v1/cashouts/{}", ids[0])).await;
    assert_eq!(returned["failure_reason"], "bank:AC04");
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(a_returned_payment_gives_the_money_back, super::a_returned_payment_gives_the_money_back_on);

/// A payment the bank reported made and later returns (a reversal) fails, and the whole
/// gross — fee included — goes back to the pockets it came from. Within one report the
/// later entry for a payment is the news that counts.
async fn a_returned_payment_gives_the_money_back_on(backend: Backend) {
    let clock = Clock::fixed(START_US);
    let adjust = |s: &mut Settings| {
        s.cashout_poll_ms = 20;
        s.cashout.risk.review_new_destination = false;
        s.cashout.risk.velocity_count_max = 10;
    };
    let server = spawn_with_clock(fresh_db(backend).await, adjust, clock.clone()).await;
    let (user, ids) = confirmed_cashouts(&server, &clock, 1, &[20_000, 30_000]).await;
    for id in &ids {
        until("the batch", || async { status_of(&server, id).await == "in_transit" }).await;
    }
    let upload = |xml: String| upload_report(&server, xml);
    // The fixture's first entry is ACSC, its second RJCT (AC01).
    let fixture = bank::fixture("derived/pain.002.001.12-batch.xml");
    let report = |paid: &str, rejected: &str| {
        fixture.replace("po_0lmbq7v2c1k01a4r8tq", paid).replace("po_0lmbq7v2c1k02b7x2mz", rejected)
    };
    // One report, the second payment booked then returned: only the return counts.
    let (status, applied) = upload(report(&ids[0], &ids[1]).replace(&ids[0], &ids[1])).await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["results"].as_array().unwrap().len(), 1, "{applied}");
    assert_eq!(status_of(&server, &ids[1]).await, "failed");
    // The first paid; then a later report returns it.
    upload(report(&ids[0], "po_unknown_1")).await;
    until("the payout posted", || async {
        let balances = server.balances(&user).await;
        balances["total"] == 500_000 - 20_000 && balances["pending"] == 0
    })
    .await;
    let sent = format!("{}/:payouts:bank_transfer:KRW", server.tenant);
    assert_eq!(server.counters_of(&sent).await[3], 19_500);
    // A dispute upheld meanwhile paid ₩5,000 back; the return then gives the rest, so the
    // user gets back what the cash-out took, once.
    let (_, dispute) = server.post(&format!("/v1/cashouts/{}/disputes", ids[0]), json!({"reason": "late"})).await;
    let resolve = format!("/v1/disputes/{}/resolve", dispute["id"].as_str().unwrap());
    let (status, upheld) = server.post(&resolve, json!({"outcome": "upheld", "adjustment": 5_000})).await;
    assert_eq!(status, 200, "{upheld}");
    until("the adjustment", || async { server.balances(&user).await["total"] == 500_000 - 20_000 + 5_000 }).await;
    let (status, applied) = upload(report("po_unknown_2", &ids[0])).await;
    assert_eq!(status, 200, "{applied}");
    let result = &applied["results"][0];
    assert_eq!((result["changed"].as_bool(), result["status"].as_str()), (Some(true), Some("failed")), "{applied}");
    until("the money back", || async { server.balances(&user).await["total"] == 500_000 }).await;
    let (_, returned) = server.get(&format!("/v1/cashouts/{}", ids[0])).await;
    assert_eq!(returned["failure_reason"], "bank:AC01");
    let statuses: Vec<&str> =
        returned["timeline"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["awaiting_confirmation", "processing", "in_transit", "paid", "failed"]);
    let counters = server.counters_of(&sent).await;
    assert_eq!(counters[3] - counters[1], 0, "the net came back from the rail's payouts: {counters:?}");
    let adjustments = server.counters_of(&format!("{}/:adjustments:KRW", server.tenant)).await;
    assert_eq!(adjustments[3] - adjustments[1], 0, "the adjustment went back to the operator: {adjustments:?}");
    // Nothing more is owed on a returned cash-out.
    let (_, late) = server.post(&format!("/v1/cashouts/{}/disputes", ids[0]), json!({"reason": "still"})).await;
    let resolve = format!("/v1/disputes/{}/resolve", late["id"].as_str().unwrap());
    let (status, refused) = server.post(&resolve, json!({"outcome": "upheld", "adjustment": 1_000})).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("invalid_state")), "{refused}");
    // The return is given once, however often the report comes.
    let (_, again) = upload(report("po_unknown_2", &ids[0])).await;
    assert_eq!(again["results"][0]["changed"], false, "{again}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.balances(&user).await["total"], 500_000);
    server.assert_verified().await;
    server.stop().await;
}

/// What a bank says of one payment in a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum News {
    /// pain.002 `ACSC`.
    Settled,
    /// pain.002 `PDNG`: nothing yet.
    Pending,
    /// pain.002 `RJCT`.
    Rejected,
    /// camt.054 `DBIT` `BOOK`.
    Booked,
    /// camt.054 `CRDT` `BOOK` with return information.
    Returned,
}

impl News {
    fn in_camt054(self) -> bool {
        matches!(self, News::Booked | News::Returned)
    }
}

/// A cash-out as the bank's news leaves it, by the rules of the bank rail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Model {
    InTransit,
    Paid,
    Failed,
}

impl Model {
    fn hears(self, news: News) -> Model {
        match (self, news) {
            (Model::InTransit, News::Settled | News::Booked) => Model::Paid,
            (Model::InTransit | Model::Paid, News::Rejected | News::Returned) => Model::Failed,
            (state, _) => state,
        }
    }

    fn status(self) -> &'static str {
        match self {
            Model::InTransit => "in_transit",
            Model::Paid => "paid",
            Model::Failed => "failed",
        }
    }
}

/// The report carrying `entries` (payment index, news), all of one kind.
fn report_of(number: usize, ids: &[String], entries: &[(usize, News)]) -> String {
    if entries[0].1.in_camt054() {
        let booked: Vec<(&str, i64, Booking<'_>)> = entries
            .iter()
            .map(|(n, news)| {
                let booking = if *news == News::Booked { Booking::Paid } else { Booking::Returned("AC04") };
                (ids[*n].as_str(), 1_000, booking)
            })
            .collect();
        bank::camt054(&format!("N-{number}"), &booked)
    } else {
        let statuses: Vec<(&str, &str, Option<&str>)> = entries
            .iter()
            .map(|(n, news)| match news {
                News::Settled => (ids[*n].as_str(), "ACSC", None),
                News::Pending => (ids[*n].as_str(), "PDNG", None),
                _ => (ids[*n].as_str(), "RJCT", Some("AC01")),
            })
            .collect();
        bank::pain002(&format!("S-{number}"), &statuses)
    }
}

const GROSS: [i64; 3] = [20_000, 30_000, 40_000];

/// Uploads each report (twice where it says so) to three users' payouts and checks after
/// every upload that each cash-out and each user's balance is what the model says, and
/// that `verify` is clean.
async fn reports_in_any_order_on(backend: Backend, reports: Vec<(Vec<(usize, News)>, bool)>) {
    let clock = Clock::fixed(START_US);
    let server = spawn_with_clock(fresh_db(backend).await, settings, clock.clone()).await;
    let mut users = Vec::new();
    let mut ids = Vec::new();
    for (n, gross) in GROSS.iter().enumerate() {
        let (user, id) = confirmed_cashouts(&server, &clock, n as u32 + 1, &[*gross]).await;
        users.push(user);
        ids.extend(id);
    }
    in_transit(&server, &ids).await;
    let mut model = [Model::InTransit; 3];
    for (number, (entries, twice)) in reports.iter().enumerate() {
        // Within one report the later entry for a payment is the news that counts.
        let mut latest: Vec<(usize, News)> = Vec::new();
        for (n, news) in entries {
            latest.retain(|(m, _)| m != n);
            latest.push((*n, *news));
        }
        for (n, news) in latest {
            model[n] = model[n].hears(news);
        }
        let xml = report_of(number, &ids, entries);
        for _ in 0..if *twice { 2 } else { 1 } {
            let (status, applied) = upload_report(&server, xml.clone()).await;
            assert_eq!(status, 200, "{applied}");
            for n in 0..3 {
                let context = format!("after report {number} of {reports:?}");
                assert_eq!(status_of(&server, &ids[n]).await, model[n].status(), "{context}");
                let balances = server.balances(&users[n]).await;
                let (posted, held) = match model[n] {
                    Model::InTransit => (0, GROSS[n]),
                    Model::Paid => (GROSS[n], 0),
                    Model::Failed => (0, 0),
                };
                let expected = (Some(500_000 - posted), Some(held));
                assert_eq!((balances["total"].as_i64(), balances["pending"].as_i64()), expected, "{context}");
            }
            server.assert_verified().await;
        }
    }
    server.stop().await;
}

fn news() -> impl proptest::strategy::Strategy<Value = News> {
    proptest::prop_oneof![
        proptest::strategy::Just(News::Settled),
        proptest::strategy::Just(News::Pending),
        proptest::strategy::Just(News::Rejected),
        proptest::strategy::Just(News::Booked),
        proptest::strategy::Just(News::Returned),
    ]
}

/// Reports of one to three entries each, pain.002 or camt.054 by their first entry's news.
fn reports() -> impl proptest::strategy::Strategy<Value = Vec<(Vec<(usize, News)>, bool)>> {
    use proptest::prelude::*;
    let entry = (0..3usize, news());
    let report = (prop::collection::vec(entry, 1..4), any::<bool>()).prop_map(|(mut entries, twice)| {
        let camt = entries[0].1.in_camt054();
        entries.retain(|(_, news)| news.in_camt054() == camt);
        (entries, twice)
    });
    prop::collection::vec(report, 1..7)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 6, failure_persistence: None, ..Default::default() })]

    /// Paid, pending, rejected and returned news in any order and repeated, on SQLite.
    #[test]
    fn reports_in_any_order_sqlite(reports in reports()) {
        runtime().block_on(reports_in_any_order_on(Backend::Sqlite, reports));
    }

    /// The same on PostgreSQL.
    #[test]
    fn reports_in_any_order_postgres(reports in reports()) {
        runtime().block_on(reports_in_any_order_on(Backend::Postgres, reports));
    }
}

/// Runs one statement on the test's database, as an operator with a SQL prompt would.
async fn by_hand(db: &Db, sql: &'static str, params: Vec<Param>) {
    let mut tx = db.begin().await.unwrap();
    store::execute_rows(&mut tx, &[Row { sql, params }]).await.unwrap();
    tx.commit().await.unwrap();
}

async fn verify_failures(server: &TestServer) -> Vec<String> {
    store::verify::run(server.store()).await.unwrap().failures
}

/// Rewrites the sources of a cash-out's quote.
const SET_SOURCES: &str =
    "UPDATE cashout_quotes SET sources = $1 WHERE id = (SELECT quote_id FROM cashouts WHERE id = $2)";

both_backends!(a_stuck_return_is_reported_once, super::a_stuck_return_is_reported_once_on);

/// A return whose money cannot move (its cash-out names a pocket that no longer parses)
/// leaves the cash-out `failed` with the money out: `verify` names it, the worker backs
/// off instead of trying every pass and raises `cashout.stuck` once; once the record is
/// mended the money comes back and the step is forgotten. A hold released in the record
/// but not in the ledger is named by `verify` too.
async fn a_stuck_return_is_reported_once_on(backend: Backend) {
    let clock = Clock::fixed(START_US);
    let server = spawn_with_clock(fresh_db(backend).await, settings, clock.clone()).await;
    let (url, heard) = support::event_receiver().await;
    let (status, _) = server.post("/v1/webhook-endpoints", json!({"url": url, "events": ["cashout.stuck"]})).await;
    assert_eq!(status, 200);
    let (user, ids) = confirmed_cashouts(&server, &clock, 1, &[20_000, 30_000]).await;
    in_transit(&server, &ids).await;
    upload_report(&server, bank::pain002("S-1", &[(&ids[0], "ACSC", None)])).await;
    assert!(verify_failures(&server).await.is_empty());

    let mended = r#"[{"pocket":"cash","amount":20000}]"#;
    let (_, cashout) = server.get(&format!("/v1/cashouts/{}", ids[0])).await;
    assert_eq!(cashout["quote"]["sources"], serde_json::from_str::<Value>(mended).unwrap());
    let broken = r#"[{"pocket":"gift:","amount":20000}]"#;
    by_hand(server.store(), SET_SOURCES, vec![broken.into(), ids[0].as_str().into()]).await;
    let (status, applied) = upload_report(&server, bank::pain002("S-2", &[(&ids[0], "RJCT", Some("AC04"))])).await;
    assert_eq!((status, applied["results"][0]["status"].as_str()), (200, Some("failed")), "{applied}");
    let failures = verify_failures(&server).await;
    assert!(
        failures.iter().any(|f| f.contains(&ids[0]) && f.contains("never given back")),
        "verify names the cash-out: {failures:?}"
    );
    until("cashout.stuck", || async { !heard.lock().unwrap().is_empty() }).await;
    let stuck = heard.lock().unwrap()[0].clone();
    assert_eq!((stuck["type"].as_str(), stuck["data"]["id"].as_str()), (Some("cashout.stuck"), Some(ids[0].as_str())));
    assert_eq!(stuck["data"]["step"], "move_money", "{stuck}");
    let failing = store::stuck_steps::list(server.store(), 10).await.unwrap();
    assert_eq!(failing.len(), 1, "{failing:?}");
    // Backing off: the worker passes every 20 ms, the step waits up to a second.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let failing = store::stuck_steps::list(server.store(), 10).await.unwrap();
    assert!(failing[0].failures < 12, "tried {} times in about two seconds", failing[0].failures);
    assert_eq!(heard.lock().unwrap().len(), 1, "reported once");

    by_hand(server.store(), SET_SOURCES, vec![mended.into(), ids[0].as_str().into()]).await;
    until("the money back", || async { server.balances(&user).await["total"] == 500_000 }).await;
    until("the step forgotten", || async { store::stuck_steps::list(server.store(), 10).await.unwrap().is_empty() })
        .await;
    assert!(verify_failures(&server).await.is_empty());

    // A hold the record says is released while the ledger still holds it.
    let hand_made = "UPDATE cashouts SET status = 'failed', hold_state = 'released' WHERE id = $1";
    by_hand(server.store(), hand_made, vec![ids[1].as_str().into()]).await;
    let failures = verify_failures(&server).await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains(&ids[1]) && failures[0].contains("still held"), "{failures:?}");
    server.stop().await;
}

both_backends!(stale_stuck_steps_are_forgotten, super::stale_stuck_steps_are_forgotten_on);

/// A failing step counts its failures in a row, reports once past the threshold, and is
/// forgotten by the purge once it has not been tried since the cut-off.
async fn stale_stuck_steps_are_forgotten_on(backend: Backend) {
    use smallchange::store::stuck_steps::{self, Failure};
    let test_db = fresh_db(backend).await;
    let db = support::open(&test_db).await;
    let failure = Failure { step: "move_money", subject_id: "po_1", tenant_id: "ten_1", error: "broken", at: 1_000 };
    let mut reported = 0;
    for expected in 1..=3 {
        let (failures, alerted) =
            stuck_steps::record_failure(&db, &failure, |n| n * 10, |n| (n >= 2).then(Vec::new)).await.unwrap();
        assert_eq!(failures, expected);
        reported += usize::from(alerted);
    }
    assert_eq!(reported, 1, "reported once, at the second failure");
    let kept = stuck_steps::list(&db, 10).await.unwrap();
    assert_eq!((kept.len(), kept[0].retry_at, kept[0].alerted_at), (1, 1_030, Some(1_000)));
    assert_eq!(stuck_steps::purge(&db, 1_030).await.unwrap(), 0, "tried at the cut-off: kept");
    assert_eq!(stuck_steps::purge(&db, 1_031).await.unwrap(), 1);
    assert!(stuck_steps::list(&db, 10).await.unwrap().is_empty());
}
