//! The e-wallet rail on both backends, against a partner that is a real HTTP server on
//! loopback and checks our `Smallchange-Signature` on every payout request: a payout the
//! partner accepts is paid by its signed callback (once, however often it calls); a
//! rejected or refused payout fails and releases the hold; a partner failing with 500s is
//! retried until it pays, and pays once; callbacks with a bad, missing or stale signature,
//! or signed by another tenant's secret, change nothing; and an unconfigured rail fails its
//! cash-outs instead of holding them. Signatures go by the real clock on both sides; the
//! server's wallet clock is fixed.

mod support;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::config::Settings;
use smallchange::domain::cashout_policy::CashoutPolicy;
use smallchange::domain::ewallet_partner::EwalletPartner;
use smallchange::rails::e_wallet::PAYOUT_JOB;
use smallchange::signature::{self, TOLERANCE_S};
use smallchange::store::jobs::{self, Status};
use support::{fresh_db, spawn_with_clock, Backend, TestDb, TestServer};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

both_backends!(accepted_then_a_signed_callback_pays_it_once, super::accepted_then_a_signed_callback_pays_it_once);
both_backends!(rejected_or_refused_payouts_release_the_hold, super::rejected_or_refused_payouts_release_the_hold);
both_backends!(server_errors_are_retried_and_it_is_paid_once, super::server_errors_are_retried_and_it_is_paid_once);
both_backends!(a_refusal_after_a_lost_answer_keeps_the_hold, super::a_refusal_after_a_lost_answer_keeps_the_hold);
both_backends!(an_operator_settles_a_stranded_payout, super::an_operator_settles_a_stranded_payout);
both_backends!(callbacks_need_a_fresh_signature, super::callbacks_need_a_fresh_signature);
both_backends!(only_the_tenants_own_secret_settles_it, super::only_the_tenants_own_secret_settles_it);
both_backends!(an_unconfigured_rail_fails_its_cash_outs, super::an_unconfigured_rail_fails_its_cash_outs);
both_backends!(a_callback_with_fields_we_do_not_know_applies, super::a_callback_with_fields_we_do_not_know_applies);

/// 2026-11-10 03:00 UTC: mid-month, so day and month limits are not crossed by accident.
const START_US: i64 = 1_794_279_600_000_000;
const SECRET: &str = "ewsec_test_partner";
const CALLBACK_URL: &str = "https://wallet.example/v1/rails/e-wallet/callbacks";
const CALLBACKS: &str = "/v1/rails/e-wallet/callbacks";
/// Statuses a cash-out never leaves.
const ENDED: [&str; 4] = ["paid", "failed", "canceled", "expired"];
/// How long a test waits for something the workers do before it fails.
const DEADLINE: Duration = Duration::from_secs(60);

/// One payout request as the partner got it.
#[derive(Clone, Debug)]
struct Payout {
    /// Whether our signature checked out under the partner's secret, by the real clock.
    signed: bool,
    idempotency_key: Option<String>,
    body: Value,
}

#[derive(Clone, Default)]
struct Book {
    received: Arc<Mutex<Vec<Payout>>>,
    /// Answers to give, in order; then `accepted` with the reference `ew_<id>`.
    script: Arc<Mutex<VecDeque<(u16, Value)>>>,
}

/// The e-wallet partner: a real HTTP server on a loopback port.
struct Partner {
    url: String,
    book: Book,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Partner {
    async fn start() -> Partner {
        let book = Book::default();
        let app = axum::Router::new().route("/payouts", axum::routing::post(pay_out)).with_state(book.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/payouts", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            axum::serve(listener, app).with_graceful_shutdown(shutdown).await.unwrap();
        });
        Partner { url, book, stop, task }
    }

    /// Gives these answers to the next payout requests.
    fn answer(&self, answers: &[(u16, Value)]) {
        self.book.script.lock().unwrap().extend(answers.iter().cloned());
    }

    fn received(&self) -> Vec<Payout> {
        self.book.received.lock().unwrap().clone()
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }
}

async fn pay_out(State(book): State<Book>, headers: HeaderMap, body: Bytes) -> (StatusCode, Json<Value>) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let signed = header(signature::HEADER)
        .is_some_and(|h| signature::verify(SECRET.as_bytes(), &h, &body, now_s(), TOLERANCE_S).is_ok());
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = parsed["id"].as_str().unwrap_or_default().to_string();
    book.received.lock().unwrap().push(Payout { signed, idempotency_key: header("idempotency-key"), body: parsed });
    if !signed {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad signature"})));
    }
    let (status, answer) = book
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| (200, json!({"status": "accepted", "reference": format!("ew_{id}")})));
    (StatusCode::from_u16(status).unwrap(), Json(answer))
}

fn now_s() -> i64 {
    smallchange::store::now_us() / 1_000_000
}

/// Fast workers and retries, no review for new destinations, and the partner at `url`.
fn settings(url: &str) -> impl FnOnce(&mut Settings) {
    let url = url.to_string();
    move |s: &mut Settings| {
        support::fast_workers(s);
        s.cashout.risk.review_new_destination = false;
        s.cashout.risk.velocity_count_max = 10;
        s.cashout.ewallet = partner_settings(&url, SECRET);
    }
}

fn partner_settings(url: &str, secret: &str) -> EwalletPartner {
    EwalletPartner { url: url.into(), secret: secret.into(), timeout_ms: 5_000, callback_url: CALLBACK_URL.into() }
}

async fn server_on(db: TestDb, adjust: impl FnOnce(&mut Settings)) -> (TestServer, Clock) {
    let clock = Clock::fixed(START_US);
    let server = spawn_with_clock(db, adjust, clock.clone()).await;
    (server, clock)
}

/// A verified user with 100,000 KRW of cash and a KakaoPay wallet; `(user, destination)`.
async fn customer(server: &TestServer) -> (String, String) {
    let user = server.create_user(1).await;
    let kyc = json!({"level": "verified", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    assert_eq!(server.post(&format!("/v1/users/{user}/kyc"), kyc).await.0, 200);
    let wallet =
        json!({"type": "e_wallet", "provider": "kakaopay", "wallet_id": "010-1234-5678", "holder_name": "김민지"});
    let (status, destination) = server.post(&format!("/v1/users/{user}/payout-destinations"), wallet).await;
    assert_eq!(status, 200, "{destination}");
    server.topup(&user, "bank_transfer", 100_000).await;
    (user, destination["id"].as_str().unwrap().to_string())
}

/// A quote for `amount` to the wallet, created and confirmed by SMS code; `(id, quote)`.
async fn confirmed(server: &TestServer, clock: &Clock, customer: &(String, String), amount: i64) -> (String, Value) {
    // A second apart, so the newest code is first in the outbox.
    clock.set(clock.now_us() + 1_000_000);
    let body = json!({"amount": amount, "currency": "KRW", "destination_id": customer.1});
    let (status, quote) = server.post(&format!("/v1/users/{}/cashout-quotes", customer.0), body).await;
    assert_eq!(status, 200, "{quote}");
    let (status, cashout) = server.post("/v1/cashouts", json!({"quote_id": quote["id"]})).await;
    assert_eq!(status, 200, "{cashout}");
    let id = cashout["id"].as_str().unwrap().to_string();
    let (_, outbox) = server.get("/v1/dev/sms-outbox").await;
    let code: String = outbox[0]["text"].as_str().unwrap().split(": ").nth(1).unwrap().chars().take(6).collect();
    let (status, answer) = server.post(&format!("/v1/cashouts/{id}/confirm"), json!({"otp": code})).await;
    assert_eq!(status, 200, "{answer}");
    // The worker may have handed it to the rail already.
    assert!(["processing", "in_transit"].contains(&answer["status"].as_str().unwrap()), "{answer}");
    (id, quote)
}

/// Polls the cash-out until `done` holds; returns it.
async fn until(server: &TestServer, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let (_, cashout) = server.get(&format!("/v1/cashouts/{id}")).await;
        if done(&cashout) {
            return cashout;
        }
        assert!(tokio::time::Instant::now() < deadline, "{id}: timed out waiting for {what}: {cashout}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls until `check` holds: for what follows a worker's status change (the hold, the job).
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls until the cash-out is `status`; fails at once if it ended otherwise.
async fn until_status(server: &TestServer, id: &str, status: &str) -> Value {
    let cashout =
        until(server, id, status, |c| c["status"] == status || ENDED.contains(&c["status"].as_str().unwrap())).await;
    assert_eq!(cashout["status"], status, "{cashout}");
    cashout
}

/// POSTs a callback with this signature header (none if `None`), as the partner would.
async fn post_callback(server: &TestServer, body: &[u8], header: Option<String>) -> (u16, Value) {
    let mut request =
        server.client.post(format!("{}{CALLBACKS}", server.base)).header("content-type", "application/json");
    if let Some(header) = header {
        request = request.header(signature::HEADER, header);
    }
    let response = request.body(body.to_vec()).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// A callback signed with `secret`, its timestamp `age_s` seconds in the past.
async fn callback(server: &TestServer, body: &Value, secret: &str, age_s: i64) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let header = signature::sign(secret.as_bytes(), now_s() - age_s, &bytes);
    post_callback(server, &bytes, Some(header)).await
}

/// The user's `(total, pending)` in KRW.
async fn money(server: &TestServer, user: &str) -> (i64, i64) {
    let balances = server.balances(user).await;
    let pending = balances["pockets"].as_array().unwrap().iter().map(|p| p["pending"].as_i64().unwrap()).sum();
    (balances["total"].as_i64().unwrap(), pending)
}

fn statuses(cashout: &Value) -> Vec<String> {
    cashout["timeline"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap().to_string()).collect()
}

/// Who made a cash-out's last step.
fn last_actor(cashout: &Value) -> String {
    let last = cashout["timeline"].as_array().unwrap().last().unwrap();
    last["actor"].as_str().unwrap_or_default().to_string()
}

async fn job_states(server: &TestServer, status: Status) -> Vec<jobs::JobState> {
    let mut states = Vec::new();
    for id in jobs::ids_of(server.store(), PAYOUT_JOB, status, 100).await.unwrap() {
        states.push(jobs::state(server.store(), &id).await.unwrap().unwrap());
    }
    states
}

async fn accepted_then_a_signed_callback_pays_it_once(backend: Backend) {
    let partner = Partner::start().await;
    let (server, clock) = server_on(fresh_db(backend).await, settings(&partner.url)).await;
    let who = customer(&server).await;
    let (id, quote) = confirmed(&server, &clock, &who, 20_001).await;
    // The default e-wallet schedule: 0.5 % (100.005 rounded down), raised to the ₩300 minimum.
    let schedule = CashoutPolicy::default().fee_schedule("e_wallet", "standard").unwrap();
    assert_eq!(serde_json::to_value(schedule.lines(20_001)).unwrap(), quote["fees"]);
    assert_eq!(quote["fees"], json!([{"kind": "percentage", "amount": 100}, {"kind": "minimum_fee", "amount": 200}]));
    assert_eq!(
        (quote["rail"].as_str(), quote["fee"].as_i64(), quote["net"].as_i64()),
        (Some("e_wallet"), Some(300), Some(19_701))
    );

    let reference = format!("ew_{id}");
    let accepted = until(&server, &id, "the partner's reference", |c| c["rail_reference"] == reference.as_str()).await;
    assert_eq!(accepted["status"], "in_transit", "accepted: it waits for the callback");
    let received = partner.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(received[0].signed, "the partner checks our signature");
    assert_eq!(received[0].idempotency_key.as_deref(), Some(id.as_str()));
    let expected = json!({"id": id, "amount": 19_701, "currency": "KRW", "provider": "kakaopay",
        "wallet_id": "010-1234-5678", "holder_name": "김민지", "callback_url": CALLBACK_URL});
    assert_eq!(received[0].body, expected, "exactly the quote's net, to the unmasked wallet");
    assert_eq!(money(&server, &who.0).await, (100_000, 20_001), "still held");

    let paid = json!({"id": id, "status": "paid", "reference": reference});
    let (status, answer) = callback(&server, &paid, SECRET, 0).await;
    assert_eq!((status, answer.clone()), (200, json!({"id": id, "status": "paid", "changed": true})));
    assert_eq!(money(&server, &who.0).await, (100_000 - 20_001, 0), "the hold is posted");
    let tenant = &server.tenant;
    assert_eq!(server.counters_of(&format!("{tenant}/:payouts:e_wallet:KRW")).await[3], 19_701);
    assert_eq!(server.counters_of(&format!("{tenant}/:fees:KRW")).await[3], 300);
    let (status, receipt) = server.get(&format!("/v1/cashouts/{id}/receipt")).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(
        (receipt["fees"].clone(), receipt["fee"].as_i64(), receipt["net"].as_i64()),
        (quote["fees"].clone(), Some(300), Some(19_701))
    );
    assert_eq!(
        (receipt["rail"].as_str(), receipt["rail_reference"].as_str()),
        (Some("e_wallet"), Some(reference.as_str()))
    );
    assert!(receipt["paid_at"].is_string() && receipt["submitted_at"].is_string(), "{receipt}");

    // The same callback again, and a contradicting one: nothing changes.
    let (status, again) = callback(&server, &paid, SECRET, 0).await;
    assert_eq!((status, again), (200, json!({"id": id, "status": "paid", "changed": false})));
    let failed = json!({"id": id, "status": "failed", "reference": reference, "reason": "late"});
    let (status, late) = callback(&server, &failed, SECRET, 0).await;
    assert_eq!((status, late["changed"].as_bool(), late["status"].as_str()), (200, Some(false), Some("paid")));
    assert_eq!(money(&server, &who.0).await, (100_000 - 20_001, 0));
    assert_eq!(server.counters_of(&format!("{tenant}/:payouts:e_wallet:KRW")).await[3], 19_701, "paid once");
    let (_, cashout) = server.get(&format!("/v1/cashouts/{id}")).await;
    assert_eq!(statuses(&cashout), ["awaiting_confirmation", "processing", "in_transit", "paid"]);
    assert_eq!(last_actor(&cashout), "system:ewallet-callback", "paid on the partner's signed callback");
    let stored = smallchange::store::ewallet::of_cashout(server.store(), tenant, &id).await.unwrap();
    let changed: Vec<Option<bool>> = stored.iter().map(|(changed, _)| *changed).collect();
    assert_eq!(changed, [Some(true), Some(false), Some(false)], "every signed callback is kept");
    assert_eq!(partner.received().len(), 1, "one payout request");
    server.assert_verified().await;
    server.stop().await;
    partner.stop().await;
}

async fn rejected_or_refused_payouts_release_the_hold(backend: Backend) {
    let partner = Partner::start().await;
    partner.answer(&[
        (200, json!({"status": "rejected", "reference": "ew_r1", "reason": "wallet_closed"})),
        (422, json!({"error": "no such wallet"})),
    ]);
    let (server, clock) = server_on(fresh_db(backend).await, settings(&partner.url)).await;
    let who = customer(&server).await;
    let (rejected, _) = confirmed(&server, &clock, &who, 30_000).await;
    let failed = until_status(&server, &rejected, "failed").await;
    assert_eq!(
        (failed["failure_reason"].as_str(), failed["rail_reference"].as_str()),
        (Some("ewallet:wallet_closed"), Some("ew_r1"))
    );
    eventually("the hold released", || async { money(&server, &who.0).await == (100_000, 0) }).await;
    let (refused, _) = confirmed(&server, &clock, &who, 40_000).await;
    let failed = until_status(&server, &refused, "failed").await;
    assert_eq!(failed["failure_reason"], "ewallet:http_422");
    assert_eq!(statuses(&failed), ["awaiting_confirmation", "processing", "in_transit", "failed"]);
    eventually("the hold released", || async { money(&server, &who.0).await == (100_000, 0) }).await;
    let cash = TestServer::pocket(&server.balances(&who.0).await, "cash");
    assert_eq!(cash, 100_000, "back in the pocket it came from");
    // A refusal is final: that job is dead, the rejection's job done; each sent once.
    eventually("one job done, one dead", || async {
        (job_states(&server, Status::Done).await.len(), job_states(&server, Status::Dead).await.len()) == (1, 1)
    })
    .await;
    let dead = job_states(&server, Status::Dead).await;
    assert_eq!((dead.len(), dead[0].attempts), (1, 1), "{dead:?}");
    assert_eq!(partner.received().len(), 2);
    // A callback for a failed cash-out changes nothing.
    let paid = json!({"id": refused, "status": "paid", "reference": "ew_late"});
    let (status, answer) = callback(&server, &paid, SECRET, 0).await;
    assert_eq!((status, answer["changed"].as_bool(), answer["status"].as_str()), (200, Some(false), Some("failed")));
    assert_eq!(money(&server, &who.0).await, (100_000, 0));
    server.assert_verified().await;
    server.stop().await;
    partner.stop().await;
}

async fn server_errors_are_retried_and_it_is_paid_once(backend: Backend) {
    let partner = Partner::start().await;
    partner.answer(&[
        (500, json!({"error": "try later"})),
        (503, json!({"error": "try later"})),
        (200, json!({"status": "paid", "reference": "ew_paid_1"})),
    ]);
    let (server, clock) = server_on(fresh_db(backend).await, settings(&partner.url)).await;
    let who = customer(&server).await;
    let (id, quote) = confirmed(&server, &clock, &who, 50_000).await;
    let paid = until_status(&server, &id, "paid").await;
    assert_eq!(paid["rail_reference"], "ew_paid_1");
    assert_eq!(statuses(&paid), ["awaiting_confirmation", "processing", "in_transit", "paid"]);
    assert_eq!(last_actor(&paid), "system:ewallet-worker", "paid on the answer to the worker's request");
    let received = partner.received();
    assert_eq!(received.len(), 3, "two failures, then paid: {received:?}");
    for payout in &received {
        assert!(payout.signed);
        assert_eq!(payout.idempotency_key.as_deref(), Some(id.as_str()), "one idempotency key for every attempt");
        assert_eq!(payout.body, received[0].body);
    }
    assert_eq!(received[0].body["amount"], quote["net"]);
    eventually("the job done", || async { !job_states(&server, Status::Done).await.is_empty() }).await;
    let done = job_states(&server, Status::Done).await;
    assert_eq!((done.len(), done[0].attempts), (1, 3), "{done:?}");
    let net = quote["net"].as_i64().unwrap();
    assert_eq!(net, 50_000 - 300, "0.5 % of 50,000 is 250: raised to the minimum");
    eventually("the hold paid out", || async { money(&server, &who.0).await == (100_000 - 50_000, 0) }).await;
    assert_eq!(server.counters_of(&format!("{}/:payouts:e_wallet:KRW", server.tenant)).await[3], net, "paid once");
    server.assert_verified().await;
    server.stop().await;
    partner.stop().await;
}

/// A ₩50,000 payout left open by its partner: a 503 (it may have paid), then a 404 on the
/// retry, and the job dead. The partner, server, user and cash-out id.
async fn stranded(backend: Backend) -> (Partner, TestServer, (String, String), String) {
    let partner = Partner::start().await;
    partner.answer(&[(503, json!({"error": "try later"})), (404, json!({"error": "no such route"}))]);
    let (server, clock) = server_on(fresh_db(backend).await, settings(&partner.url)).await;
    let who = customer(&server).await;
    let (id, _) = confirmed(&server, &clock, &who, 50_000).await;
    eventually("the job dead", || async { !job_states(&server, Status::Dead).await.is_empty() }).await;
    (partner, server, who, id)
}

/// A 503 may hide a payout the partner made; a 404 on the retry then proves nothing, so the
/// money stays held, in transit, until the partner's callback says what happened.
async fn a_refusal_after_a_lost_answer_keeps_the_hold(backend: Backend) {
    let (partner, server, who, id) = stranded(backend).await;
    let (_, cashout) = server.get(&format!("/v1/cashouts/{id}")).await;
    assert_eq!(cashout["status"], "in_transit", "{cashout}");
    assert_eq!(money(&server, &who.0).await, (100_000, 50_000), "still held");
    let paid = json!({"id": id, "status": "paid", "reference": "ew_late_1"});
    let (status, applied) = callback(&server, &paid, SECRET, 0).await;
    assert_eq!((status, applied["changed"].as_bool()), (200, Some(true)), "{applied}");
    eventually("the hold paid out", || async { money(&server, &who.0).await == (50_000, 0) }).await;
    server.assert_verified().await;
    server.stop().await;
    partner.stop().await;
}

/// A payout its partner left open is settled by hand: an admin, having asked the partner,
/// marks it failed (hold released); a late callback then changes nothing.
async fn an_operator_settles_a_stranded_payout(backend: Backend) {
    let (partner, server, who, id) = stranded(backend).await;
    let settle = format!("/v1/cashouts/{id}/settle");
    let readonly = server.key_for(smallchange::store::tenants::Role::Readonly, false).await;
    let body = json!({"outcome": "failed", "reason": "partner confirms it never paid (ticket 4411)"});
    assert_eq!(server.post_as(&readonly, &settle, body.clone(), None).await.0, 403);
    let (status, bad) = server.post(&settle, json!({"outcome": "maybe", "reason": "x"})).await;
    assert_eq!((status, bad["error"]["code"].as_str()), (400, Some("invalid_outcome")), "{bad}");
    let (status, failed) = server.post(&settle, body.clone()).await;
    assert_eq!((status, failed["status"].as_str()), (200, Some("failed")), "{failed}");
    assert!(statuses(&failed).ends_with(&["in_transit".to_string(), "failed".to_string()]), "{failed}");
    eventually("the hold released", || async { money(&server, &who.0).await == (100_000, 0) }).await;
    let (status, again) = server.post(&settle, json!({"outcome": "paid", "reason": "oops"})).await;
    assert_eq!((status, again["error"]["code"].as_str()), (409, Some("invalid_state")), "{again}");
    let late = json!({"id": id, "status": "paid", "reference": "ew_late_2"});
    let (status, applied) = callback(&server, &late, SECRET, 0).await;
    assert_eq!((status, applied["changed"].as_bool()), (200, Some(false)), "{applied}");
    server.assert_verified().await;
    server.stop().await;
    partner.stop().await;
}

async fn callbacks_need_a_fresh_signature(backend: Backend) {
    let partner = Partner::start().await;
    let (server, clock) = server_on(fresh_db(backend).await, settings(&partner.url)).await;
    let who = customer(&server).await;
    let (id, _) = confirmed(&server, &clock, &who, 25_000).await;
    let reference = format!("ew_{id}");
    until(&server, &id, "the partner's reference", |c| c["rail_reference"] == reference.as_str()).await;
    let failed = json!({"id": id, "status": "failed", "reference": reference, "reason": "wallet_frozen"});
    let bytes = serde_json::to_vec(&failed).unwrap();
    let other = serde_json::to_vec(&json!({"id": id, "status": "paid", "reference": reference})).unwrap();
    let refusals: Vec<(Option<String>, &[u8], &str)> = vec![
        (Some(signature::sign(b"ewsec_wrong", now_s(), &bytes)), &bytes, "invalid_signature"),
        (None, &bytes, "invalid_signature"),
        (Some("t=1,v1=zz".into()), &bytes, "invalid_signature"),
        (Some(signature::sign(SECRET.as_bytes(), now_s(), &other)), &bytes, "invalid_signature"),
        (Some(signature::sign(SECRET.as_bytes(), now_s() - TOLERANCE_S - 1, &bytes)), &bytes, "signature_expired"),
        (Some(signature::sign(SECRET.as_bytes(), now_s() + TOLERANCE_S + 60, &bytes)), &bytes, "signature_expired"),
    ];
    for (header, body, code) in refusals {
        let (status, answer) = post_callback(&server, body, header.clone()).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (401, Some(code)), "{header:?}: {answer}");
        let (_, cashout) = server.get(&format!("/v1/cashouts/{id}")).await;
        assert_eq!(cashout["status"], "in_transit", "nothing changed: {cashout}");
        assert_eq!(money(&server, &who.0).await, (100_000, 25_000));
    }
    let stored = smallchange::store::ewallet::of_cashout(server.store(), &server.tenant, &id).await.unwrap();
    assert!(stored.is_empty(), "refused callbacks are not kept: {stored:?}");
    // Unknown ids: 404 to the partner, the same 401 as any other to anyone else.
    let unknown = json!({"id": "po_0000000000000nothing", "status": "paid", "reference": "x"});
    assert_eq!(callback(&server, &unknown, SECRET, 0).await.0, 404);
    let (status, answer) = callback(&server, &unknown, "ewsec_wrong", 0).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (401, Some("invalid_signature")));
    // A malformed body is a 400 naming the field.
    let (status, answer) = callback(&server, &json!({"id": id, "status": "sent", "reference": "r"}), SECRET, 0).await;
    assert_eq!((status, answer["error"]["param"].as_str()), (400, Some("status")), "{answer}");
    // Within the tolerance it applies: failed, the hold released; twice changes nothing.
    let (status, answer) = callback(&server, &failed, SECRET, TOLERANCE_S - 5).await;
    assert_eq!((status, answer), (200, json!({"id": id, "status": "failed", "changed": true})));
    assert_eq!(money(&server, &who.0).await, (100_000, 0));
    let (_, cashout) = server.get(&format!("/v1/cashouts/{id}")).await;
    assert_eq!(cashout["failure_reason"], "ewallet:wallet_frozen");
    let (status, answer) = callback(&server, &failed, SECRET, 0).await;
    assert_eq!((status, answer["changed"].as_bool()), (200, Some(false)));
    assert_eq!(money(&server, &who.0).await, (100_000, 0));
    server.assert_verified().await;
    server.stop().await;
    partner.stop().await;
}

async fn only_the_tenants_own_secret_settles_it(backend: Backend) {
    let partner = Partner::start().await;
    let (first, clock) = server_on(fresh_db(backend).await, settings(&partner.url)).await;
    let who = customer(&first).await;
    let (id, _) = confirmed(&first, &clock, &who, 20_000).await;
    let reference = format!("ew_{id}");
    until(&first, &id, "the partner's reference", |c| c["rail_reference"] == reference.as_str()).await;
    let (tenant, key) = (first.tenant.clone(), first.key.clone());
    // The same database again, now with a secret of the tenant's own; the default secret
    // (still the old one's) belongs to every other tenant.
    let db = first.stop_keeping_db().await;
    let url = partner.url.clone();
    let (second, _) = server_on(db, move |s: &mut Settings| {
        settings(&url)(s);
        s.cashout.ewallet.secret = "ewsec_everyone_else".into();
        let mut own = s.cashout.clone();
        own.ewallet = partner_settings(&url, "ewsec_tenant_own");
        s.cashout_tenants.insert(tenant.clone(), own);
    })
    .await;
    let paid = json!({"id": id, "status": "paid", "reference": reference});
    for secret in ["ewsec_everyone_else", SECRET] {
        let (status, answer) = callback(&second, &paid, secret, 0).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (401, Some("invalid_signature")), "{secret}");
    }
    let (_, cashout) = second.get_as(&key, &format!("/v1/cashouts/{id}")).await;
    assert_eq!(cashout["status"], "in_transit");
    let (status, answer) = callback(&second, &paid, "ewsec_tenant_own", 0).await;
    assert_eq!((status, answer["changed"].as_bool(), answer["status"].as_str()), (200, Some(true), Some("paid")));
    second.assert_verified().await;
    second.stop().await;
    partner.stop().await;
}

/// A partner that adds fields to its callback (an event id, the amount) is still heard:
/// the signature covers the whole body, which is stored exactly as received.
async fn a_callback_with_fields_we_do_not_know_applies(backend: Backend) {
    let partner = Partner::start().await;
    let (server, clock) = server_on(fresh_db(backend).await, settings(&partner.url)).await;
    let who = customer(&server).await;
    let (id, quote) = confirmed(&server, &clock, &who, 20_000).await;
    let reference = format!("ew_{id}");
    until(&server, &id, "the partner's reference", |c| c["rail_reference"] == reference.as_str()).await;
    let paid = json!({"id": id, "status": "paid", "reference": reference, "event_id": "evt_7781",
        "amount": quote["net"], "extra": {"nested": [1, 2]}});
    let (status, answer) = callback(&server, &paid, SECRET, 0).await;
    assert_eq!((status, answer), (200, json!({"id": id, "status": "paid", "changed": true})));
    assert_eq!(money(&server, &who.0).await, (100_000 - 20_000, 0), "the hold is posted");
    let stored = smallchange::store::ewallet::of_cashout(server.store(), &server.tenant, &id).await.unwrap();
    assert_eq!(stored.len(), 1, "{stored:?}");
    let kept: Value = serde_json::from_str(&stored[0].1).unwrap();
    assert_eq!(kept["event_id"], "evt_7781", "stored as received: {kept}");
    server.assert_verified().await;
    server.stop().await;
    partner.stop().await;
}

async fn an_unconfigured_rail_fails_its_cash_outs(backend: Backend) {
    let (server, clock) = server_on(fresh_db(backend).await, |s: &mut Settings| {
        settings("")(s);
        s.cashout.ewallet = EwalletPartner::default();
    })
    .await;
    let who = customer(&server).await;
    let (id, _) = confirmed(&server, &clock, &who, 10_000).await;
    let failed = until_status(&server, &id, "failed").await;
    assert_eq!(failed["failure_reason"], "ewallet:not_configured");
    eventually("the hold released", || async { money(&server, &who.0).await == (100_000, 0) }).await;
    eventually("the payout job to fail for good", || async { job_states(&server, Status::Dead).await.len() == 1 })
        .await;
    // Without a partner secret no callback can be checked, so none is taken.
    let (status, _) = callback(&server, &json!({"id": id, "status": "paid", "reference": "x"}), "", 0).await;
    assert_eq!(status, 401);
    // The callback is in the machine-readable spec, with no API key.
    let (_, spec) = server.get("/openapi.json").await;
    let operation = &spec["paths"][CALLBACKS]["post"];
    assert!(operation.is_object() && operation.get("security").is_none(), "{operation}");
    server.assert_verified().await;
    server.stop().await;
}
