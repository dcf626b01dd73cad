//! The bank-transfer rail on both backends: confirmed cash-outs gathered into a payout
//! batch, the batch downloaded as pain.001 and validated against the official XSD, status
//! reports (pain.002 and camt.054, built from the fixtures with our ids) applied — paid
//! cash-outs post their holds, rejected ones fail and release them — and applying a report
//! twice changing nothing. Cash-out events reach a webhook endpoint on loopback.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::config::Settings;
use support::bank::{assert_schema_valid, confirmed_cashouts, fixture, status_of, until, upload_report};
use support::{fresh_db, spawn_with_clock, Backend};

both_backends!(batches_reports_and_webhooks, super::batches_reports_and_webhooks_on);

const START_US: i64 = 1_794_279_600_000_000;

/// The types of the events heard, in arrival order.
fn types(heard: &support::Heard) -> Vec<String> {
    heard.lock().unwrap().iter().map(|e| e["type"].as_str().unwrap_or_default().to_string()).collect()
}

async fn batches_reports_and_webhooks_on(backend: Backend) {
    let clock = Clock::fixed(START_US);
    let adjust = |s: &mut Settings| {
        support::fast_workers(s);
        s.cashout.bank.account = "1002-345-678901".into();
        s.cashout.risk.review_new_destination = false;
        s.cashout.risk.velocity_count_max = 10;
    };
    let server = spawn_with_clock(fresh_db(backend).await, adjust, clock.clone()).await;
    let (url, heard) = support::event_receiver().await;
    let endpoint = json!({"url": url, "events": ["cashout.paid", "cashout.failed"]});
    let (status, _) = server.post("/v1/webhook-endpoints", endpoint).await;
    assert_eq!(status, 200);
    let (user, ids) = confirmed_cashouts(&server, &clock, 1, &[20_000, 30_000, 40_000]).await;
    for id in &ids {
        until("the batch", || async { status_of(&server, id).await == "in_transit" }).await;
    }
    // The worker gathers what is waiting on each pass: one batch or several, every payment
    // once, each batch listed once it is closed.
    let listed = || async {
        let (_, batches) = server.get("/v1/payout-batches?rail=bank_transfer").await;
        batches["data"].as_array().unwrap().iter().map(|b| b["count"].as_i64().unwrap()).sum::<i64>()
    };
    until("the batches closed", || async { listed().await == 3 }).await;
    let (status, batches) = server.get("/v1/payout-batches?rail=bank_transfer").await;
    assert_eq!(status, 200, "{batches}");
    let batches = batches["data"].as_array().unwrap().clone();
    let count: i64 = batches.iter().map(|b| b["count"].as_i64().unwrap()).sum();
    let total: i64 = batches.iter().map(|b| b["total"].as_i64().unwrap()).sum();
    assert_eq!((count, total), (3, 19_500 + 29_500 + 39_500), "{batches:?}");
    let (_, cashout) = server.get(&format!("/v1/cashouts/{}", ids[0])).await;
    assert!(batches.iter().any(|b| b["id"] == cashout["rail_reference"]), "{cashout}");
    let mut files = String::new();
    for batch in &batches {
        let response = server
            .client
            .get(format!("{}/v1/payout-batches/{}/pain001", server.base, batch["id"].as_str().unwrap()))
            .bearer_auth(&server.key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-type"], "application/xml");
        let pain001 = response.text().await.unwrap();
        assert_schema_valid("pain.001.001.09.xsd", &pain001);
        files.push_str(&pain001);
    }
    for id in &ids {
        assert_eq!(files.matches(&format!("<EndToEndId>{id}</EndToEndId>")).count(), 1, "{files}");
    }
    assert!(
        files.contains("Kim &amp; Lee &lt;Ltd&gt;") && files.contains("<InstdAmt Ccy=\"KRW\">19500</InstdAmt>"),
        "{files}"
    );
    // The operator's account is written as creditors' are: digits, as banks match them.
    assert!(files.contains("<Id>1002345678901</Id>") && files.contains("<Id>123456789012</Id>"), "{files}");
    assert!(!files.contains("1002-345"), "{files}");

    // pain.002: the first paid, the second rejected (AC01), one reference unknown.
    let report = fixture("derived/pain.002.001.12-batch.xml")
        .replace("po_0lmbq7v2c1k01a4r8tq", &ids[0])
        .replace("po_0lmbq7v2c1k02b7x2mz", &ids[1]);
    assert_schema_valid("pain.002.001.12.xsd", &report);
    let upload = |xml: String| upload_report(&server, xml);
    let (status, applied) = upload(report.clone()).await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["kind"], "pain.002");
    let results: Vec<(String, String, bool)> = applied["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["cashout_id"].as_str().unwrap().into(),
                r["status"].as_str().unwrap().into(),
                r["changed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(results.contains(&(ids[0].clone(), "paid".into(), true)), "{applied}");
    assert!(results.contains(&(ids[1].clone(), "failed".into(), true)), "{applied}");
    assert_eq!((results.len(), applied["unknown"].as_array().unwrap().len()), (2, 0), "{applied}");
    let (_, failed) = server.get(&format!("/v1/cashouts/{}", ids[1])).await;
    assert_eq!(failed["failure_reason"], "bank:AC01");
    let steps = failed["timeline"].as_array().unwrap();
    let actor = steps.last().unwrap()["actor"].as_str().unwrap();
    assert!(actor.starts_with("api_key:key_"), "the key that uploaded the report: {failed}");
    assert_eq!(steps[steps.len() - 2]["actor"], "system:cashout-worker", "batched by the worker: {failed}");
    // The same report again changes nothing.
    let (_, again) = upload(report).await;
    assert!(again["results"].as_array().unwrap().iter().all(|r| r["changed"] == false), "{again}");

    // camt.054: the third booked.
    let camt = fixture("derived/camt.054.001.08-mixed.xml").replace("po_0lmbq7v2c1k06f5g0ur", &ids[2]);
    let (status, applied) = upload(camt).await;
    assert_eq!((status, applied["kind"].as_str()), (200, Some("camt.054")), "{applied}");
    let unknown: Vec<&str> = applied["unknown"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
    assert!(unknown.contains(&"po_0lmbq7v2c1k07g7h2ts"), "references of no cash-out are reported back: {applied}");
    until("the third paid", || async { status_of(&server, &ids[2]).await == "paid" }).await;
    // Money: paid holds posted, the rejected one released back to cash.
    until("the holds to follow", || async {
        let balances = server.balances(&user).await;
        balances["total"] == 500_000 - 20_000 - 40_000 && balances["pending"] == 0
    })
    .await;
    let sent = format!("{}/:payouts:bank_transfer:KRW", server.tenant);
    assert_eq!(server.counters_of(&sent).await[3], 19_500 + 39_500);
    // Bad reports: 400 with a code, nothing changed.
    // The files are the ones written when the batches closed, whatever their payments did since.
    let mut again = String::new();
    for batch in &batches {
        let url = format!("{}/v1/payout-batches/{}/pain001", server.base, batch["id"].as_str().unwrap());
        again.push_str(&server.client.get(url).bearer_auth(&server.key).send().await.unwrap().text().await.unwrap());
    }
    assert_eq!(again, files, "a batch's pain.001 never changes");
    for batch in &batches {
        let stored = smallchange::store::payout_batches::stored_pain001(server.store(), batch["id"].as_str().unwrap());
        assert!(stored.await.unwrap().is_some_and(|file| files.contains(&file)), "kept when the batch closed");
    }
    let (status, bad) = upload("<Document><nope/></Document>".into()).await;
    assert_eq!((status, bad["error"]["code"].as_str()), (400, Some("invalid_report")), "{bad}");
    let (status, _) = server.get("/v1/payout-batches/pb_nothing/pain001").await;
    assert_eq!(status, 404);
    // Webhooks: two paid and one failed, delivered and signed (the signature is checked in tests/webhooks.rs).
    until("the webhook deliveries", || async { heard.lock().unwrap().len() >= 3 }).await;
    let mut types = types(&heard);
    types.sort();
    assert_eq!(types, ["cashout.failed", "cashout.paid", "cashout.paid"]);
    let failed = heard.lock().unwrap().iter().find(|e| e["type"] == "cashout.failed").unwrap()["data"].clone();
    assert_eq!(
        (&failed["id"], &failed["user_id"], &failed["net"], &failed["failure_reason"], &failed["rail"]),
        (&json!(ids[1]), &json!(user), &json!(29_500), &json!("bank:AC01"), &json!("bank_transfer")),
        "{failed}"
    );
    assert!(failed["rail_reference"].as_str().is_some_and(|r| r.starts_with("pb_")), "{failed}");
    server.assert_verified().await;
    server.stop().await;
}

both_backends!(late_payouts_raise_an_alert, super::late_payouts_raise_an_alert_on);

/// A bank payout still not paid a day after submission raises `cashout.sla_breached`, once.
async fn late_payouts_raise_an_alert_on(backend: Backend) {
    let clock = Clock::fixed(START_US);
    let adjust = |s: &mut Settings| {
        support::fast_workers(s);
        s.cashout.risk.review_new_destination = false;
    };
    let server = spawn_with_clock(fresh_db(backend).await, adjust, clock.clone()).await;
    let (url, heard) = support::event_receiver().await;
    let (status, _) =
        server.post("/v1/webhook-endpoints", json!({"url": url, "events": ["cashout.sla_breached"]})).await;
    assert_eq!(status, 200);
    let (_, ids) = confirmed_cashouts(&server, &clock, 1, &[10_000]).await;
    until("the batch", || async { status_of(&server, &ids[0]).await == "in_transit" }).await;
    clock.set(clock.now_us() + 23 * 3_600_000_000);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(heard.lock().unwrap().is_empty(), "not late yet");
    clock.set(clock.now_us() + 2 * 3_600_000_000);
    until("the SLA alert", || async { !heard.lock().unwrap().is_empty() }).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(types(&heard), ["cashout.sla_breached"], "raised once");
    server.stop().await;
}

both_backends!(a_bank_link_carries_the_files, super::a_bank_link_carries_the_files_on);

/// A bank's host-to-host interface on loopback: it takes payment files by PUT (failing the
/// first `unavailable` of them with a 503, refusing all with a 422 while `refusing`), and
/// serves the reports the test gives it, counting each fetch.
#[derive(Clone, Default)]
struct FakeBank {
    files: Arc<Mutex<std::collections::BTreeMap<String, String>>>,
    reports: Arc<Mutex<Vec<(String, String)>>>,
    fetches: Arc<Mutex<Vec<String>>>,
    unavailable: Arc<std::sync::atomic::AtomicUsize>,
    refusing: Arc<std::sync::atomic::AtomicBool>,
}

const BANK_TOKEN: &str = "h2h-token-1";

async fn fake_bank() -> (String, FakeBank) {
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use std::sync::atomic::Ordering;
    fn authorised(headers: &HeaderMap) -> bool {
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {BANK_TOKEN}"))
    }
    let bank = FakeBank::default();
    let app = axum::Router::new()
        .route(
            "/h2h/payment-files/{id}",
            axum::routing::put(
                |State(bank): State<FakeBank>, Path(id): Path<String>, headers: HeaderMap, body: String| async move {
                    if !authorised(&headers) {
                        return StatusCode::UNAUTHORIZED;
                    }
                    if bank.refusing.load(Ordering::SeqCst) {
                        return StatusCode::UNPROCESSABLE_ENTITY;
                    }
                    if bank.unavailable.load(Ordering::SeqCst) > 0 {
                        bank.unavailable.fetch_sub(1, Ordering::SeqCst);
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                    bank.files.lock().unwrap().insert(id, body);
                    StatusCode::CREATED
                },
            ),
        )
        .route(
            "/h2h/reports",
            axum::routing::get(|State(bank): State<FakeBank>, headers: HeaderMap| async move {
                if !authorised(&headers) {
                    return Err(StatusCode::UNAUTHORIZED);
                }
                let ids: Vec<Value> = bank.reports.lock().unwrap().iter().map(|(id, _)| json!({"id": id})).collect();
                Ok(axum::Json(json!({"reports": ids})))
            }),
        )
        .route(
            "/h2h/reports/{id}",
            axum::routing::get(|State(bank): State<FakeBank>, Path(id): Path<String>, headers: HeaderMap| async move {
                if !authorised(&headers) {
                    return Err(StatusCode::UNAUTHORIZED);
                }
                bank.fetches.lock().unwrap().push(id.clone());
                let found = bank.reports.lock().unwrap().iter().find(|(r, _)| *r == id).map(|(_, xml)| xml.clone());
                found.ok_or(StatusCode::NOT_FOUND)
            }),
        )
        .with_state(bank.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/h2h/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, bank)
}

/// With `[cashout.bank_link]`, batches are uploaded (a 503 retried, a 422 recorded on the
/// batch) and reports are fetched on each poll, each applied once; an unreadable report is
/// recorded and not fetched again.
async fn a_bank_link_carries_the_files_on(backend: Backend) {
    use std::sync::atomic::Ordering;
    let clock = Clock::fixed(START_US);
    let (url, bank) = fake_bank().await;
    bank.unavailable.store(1, Ordering::SeqCst);
    let link_url = url.clone();
    let adjust = move |s: &mut Settings| {
        support::fast_workers(s);
        s.cashout.risk.review_new_destination = false;
        s.cashout.risk.velocity_count_max = 10;
        s.cashout.bank_link.url = link_url;
        s.cashout.bank_link.token = BANK_TOKEN.into();
        s.cashout.bank_link.reports_poll_s = 60;
    };
    let server = spawn_with_clock(fresh_db(backend).await, adjust, clock.clone()).await;
    let (user, ids) = confirmed_cashouts(&server, &clock, 1, &[20_000, 30_000]).await;
    // Uploaded (one 503 retried); the worker may have gathered one batch or two.
    let all_files = || bank.files.lock().unwrap().values().cloned().collect::<Vec<_>>().concat();
    until("the uploads", || async { ids.iter().all(|id| all_files().contains(id.as_str())) }).await;
    for file in bank.files.lock().unwrap().values() {
        assert_schema_valid("pain.001.001.09.xsd", file);
    }
    for id in &ids {
        assert_eq!(all_files().matches(&format!("<EndToEndId>{id}</EndToEndId>")).count(), 1);
    }
    until("the uploads to be recorded", || async {
        let (_, batches) = server.get("/v1/payout-batches").await;
        batches["data"].as_array().unwrap().iter().all(|b| b["uploaded_at"].is_string())
    })
    .await;
    let (_, batches) = server.get("/v1/payout-batches").await;
    let listed: Vec<&str> = batches["data"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(listed, bank.files.lock().unwrap().keys().collect::<Vec<_>>(), "each batch uploaded under its id");
    assert_eq!(bank.unavailable.load(Ordering::SeqCst), 0, "the 503 was retried");

    // The bank publishes a pain.002 (first paid, second rejected), junk, and an id we will not use.
    let report = fixture("derived/pain.002.001.12-batch.xml")
        .replace("po_0lmbq7v2c1k01a4r8tq", &ids[0])
        .replace("po_0lmbq7v2c1k02b7x2mz", &ids[1]);
    bank.reports.lock().unwrap().extend([
        ("r-1".to_string(), report),
        ("r-junk".to_string(), "<Document><nope/></Document>".to_string()),
        ("../../etc".to_string(), "<x/>".to_string()),
    ]);
    clock.set(clock.now_us() + 61_000_000);
    until("the report to apply", || async {
        status_of(&server, &ids[0]).await == "paid" && status_of(&server, &ids[1]).await == "failed"
    })
    .await;
    let (_, paid) = server.get(&format!("/v1/cashouts/{}", ids[0])).await;
    let last = paid["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "system:bank-worker", "applied from the bank link: {paid}");
    until("the holds to follow", || async {
        let balances = server.balances(&user).await;
        balances["total"] == 500_000 - 20_000 && balances["pending"] == 0
    })
    .await;
    // Polled again: nothing fetched twice, the implausible id never.
    until("the junk to be recorded", || async { bank.fetches.lock().unwrap().len() == 2 }).await;
    clock.set(clock.now_us() + 61_000_000);
    until("a second poll", || async {
        let done = smallchange::store::jobs::Status::Done;
        smallchange::store::jobs::ids_of(server.store(), "bank_reports", done, 10).await.unwrap().len() >= 2
    })
    .await;
    let mut fetched = bank.fetches.lock().unwrap().clone();
    fetched.sort();
    assert_eq!(fetched, ["r-1", "r-junk"]);

    // A bank that refuses a file: the batch says why, its cash-out stays in transit.
    bank.refusing.store(true, Ordering::SeqCst);
    let (_, more) = confirmed_cashouts(&server, &clock, 2, &[10_000]).await;
    until("the refusal to be recorded", || async {
        let (_, batches) = server.get("/v1/payout-batches").await;
        batches["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["upload_error"].as_str().is_some_and(|e| e.contains("422")))
    })
    .await;
    assert_eq!(status_of(&server, &more[0]).await, "in_transit");
    server.assert_verified().await;
    server.stop().await;
}

both_backends!(payouts_wait_for_the_banks_cut_off, super::payouts_wait_for_the_banks_cut_off_on);

/// With `bank_cutoffs`, confirmed bank payouts wait for the next cut-off (local time), and
/// then go out together in one batch.
async fn payouts_wait_for_the_banks_cut_off_on(backend: Backend) {
    let clock = Clock::fixed(START_US); // 12:00 KST
    let adjust = |s: &mut Settings| {
        s.cashout_poll_ms = 20;
        s.cashout.risk.review_new_destination = false;
        s.cashout.risk.velocity_count_max = 10;
        s.cashout.bank_cutoffs = vec!["09:30".into(), "15:00".into()];
    };
    let server = spawn_with_clock(fresh_db(backend).await, adjust, clock.clone()).await;
    let (_, ids) = confirmed_cashouts(&server, &clock, 1, &[20_000, 30_000]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for id in &ids {
        assert_eq!(status_of(&server, id).await, "processing", "before 15:00 KST nothing is batched");
    }
    clock.set(START_US + 3 * 3_600_000_000); // 15:00 KST
    for id in &ids {
        until("the cut-off batch", || async { status_of(&server, id).await == "in_transit" }).await;
    }
    until("the batch closed", || async {
        let (_, batches) = server.get("/v1/payout-batches").await;
        batches["data"].as_array().unwrap().len() == 1 && batches["data"][0]["count"] == 2
    })
    .await;
    server.stop().await;
}
