//! The cash-pickup rail on both backends: a confirmed cash-out gets a voucher whose code and
//! PIN reach the user by SMS; an agent with its own key pays it out (the cash-out `paid`,
//! its hold posted, exactly the quoted net sent); wrong PINs lock the voucher and an
//! uncollected one expires, both failing the cash-out and releasing its hold; only the
//! key's own agent may redeem; ten agents racing for one voucher pay it once; however many
//! PINs race, at most five are compared; a redeem retried with its `Idempotency-Key` gets
//! its first answer; and neither the code nor the PIN is stored.

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::config::Settings;
use smallchange::store::tenants::Role;
use support::{fresh_db, spawn_with_clock, Backend, TestServer};

both_backends!(a_voucher_is_paid_out_in_cash, super::a_voucher_is_paid_out_in_cash_on);
both_backends!(wrong_pins_lock_the_voucher, super::wrong_pins_lock_the_voucher_on);
both_backends!(an_uncollected_voucher_expires, super::an_uncollected_voucher_expires_on);
both_backends!(only_the_keys_own_agent_redeems, super::only_the_keys_own_agent_redeems_on);
both_backends!(racing_agents_pay_a_voucher_once, super::racing_agents_pay_a_voucher_once_on);
both_backends!(a_voucher_sms_outlasts_a_failing_gateway, super::a_voucher_sms_outlasts_a_failing_gateway_on);
both_backends!(racing_wrong_pins_are_compared_at_most_five, super::racing_wrong_pins_are_compared_at_most_five_on);
both_backends!(
    a_right_pin_racing_wrong_ones_needs_an_attempt,
    super::a_right_pin_racing_wrong_ones_needs_an_attempt_on
);
both_backends!(a_redeem_retried_with_its_key_answers_again, super::a_redeem_retried_with_its_key_answers_again_on);

/// 2026-11-10 03:00 UTC: mid-month, so day and month limits are not crossed by accident.
const START_US: i64 = 1_794_279_600_000_000;
const SECOND_US: i64 = 1_000_000;
const TOPUP: i64 = 100_000;
/// ₩50,000 on cash pickup: 2 % + ₩1,000 = ₩2,000 fee, ₩48,000 in cash.
const GROSS: i64 = 50_000;
const FEE: i64 = 2_000;
const NET: i64 = 48_000;

async fn server_at(backend: Backend) -> (TestServer, Clock) {
    let clock = Clock::fixed(START_US);
    let adjust = |s: &mut Settings| {
        s.cashout_poll_ms = 20;
        s.cashout.risk.review_new_destination = false;
        s.cashout.risk.velocity_count_max = 20;
    };
    let server = spawn_with_clock(fresh_db(backend).await, adjust, clock.clone()).await;
    (server, clock)
}

/// A user with a KYC record, a cash-pickup destination and ₩100,000 of cash.
struct Customer {
    id: String,
    destination: String,
}

async fn customer(server: &TestServer) -> Customer {
    let id = server.create_user(1).await;
    let kyc = json!({"level": "basic", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    let (status, answer) = server.post(&format!("/v1/users/{id}/kyc"), kyc).await;
    assert_eq!(status, 200, "{answer}");
    let pickup = json!({"type": "cash_pickup", "network": "gs25"});
    let (status, destination) = server.post(&format!("/v1/users/{id}/payout-destinations"), pickup).await;
    assert_eq!(status, 200, "{destination}");
    server.topup(&id, "bank_transfer", TOPUP).await;
    Customer { id, destination: destination["id"].as_str().unwrap().to_string() }
}

/// An agent registered by the operator: its id and key.
async fn agent(server: &TestServer, key: &str, name: &str) -> (String, String) {
    let (status, agent) = server.post_as(key, "/v1/cash-pickup-agents", json!({"name": name}), None).await;
    assert_eq!(status, 200, "{agent}");
    let id = agent["id"].as_str().unwrap().to_string();
    let secret = agent["key"].as_str().unwrap().to_string();
    assert!(id.starts_with("cpa_") && secret.starts_with("cpk_"), "{agent}");
    (id, secret)
}

/// The newest SMS in the development outbox that contains `marker`, once there is one: the
/// voucher's SMS goes out after the cash-out is `in_transit`.
async fn newest_sms(server: &TestServer, marker: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, outbox) = server.get("/v1/dev/sms-outbox").await;
        assert_eq!(status, 200, "{outbox}");
        let texts = outbox.as_array().unwrap().iter().filter_map(|m| m["text"].as_str());
        if let Some(text) = texts.into_iter().find(|text| text.contains(marker)) {
            return text.to_string();
        }
        assert!(tokio::time::Instant::now() < deadline, "no SMS with {marker:?}: {outbox}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The `len` characters after `label` in `text`.
fn after(text: &str, label: &str, len: usize) -> String {
    let start = text.find(label).unwrap_or_else(|| panic!("no {label:?} in {text:?}")) + label.len();
    text[start..].chars().take(len).collect()
}

/// Polls the user's balances until `(total, pending)` are as expected.
async fn wait_for_balance(server: &TestServer, user: &str, total: i64, pending: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let balances = server.balances(user).await;
        if balances["total"] == total && balances["pending"] == pending {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "never ({total}, {pending}): {balances}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A cash-out quoted, created and confirmed with its SMS code, its voucher issued: the
/// quote, the cash-out id, and the voucher's code and PIN as texted to the user.
struct Issued {
    quote: Value,
    cashout: String,
    code: String,
    pin: String,
}

async fn issued(server: &TestServer, clock: &Clock, c: &Customer) -> Issued {
    clock.set(clock.now_us() + SECOND_US);
    let body = json!({"amount": GROSS, "currency": "KRW", "destination_id": c.destination});
    let (status, quote) = server.post(&format!("/v1/users/{}/cashout-quotes", c.id), body).await;
    assert_eq!(status, 200, "{quote}");
    assert_eq!((quote["rail"].as_str(), quote["net"].as_i64()), (Some("cash_pickup"), Some(NET)), "{quote}");
    let (status, cashout) = server.post("/v1/cashouts", json!({"quote_id": quote["id"]})).await;
    assert_eq!((status, cashout["otp_channel"].as_str()), (200, Some("sms")), "{cashout}");
    let id = cashout["id"].as_str().unwrap().to_string();
    let otp = after(&newest_sms(server, "출금 확인 코드").await, "48,000원 출금 확인 코드: ", 6);
    // A second later, so the voucher's SMS is newer than the code's.
    clock.set(clock.now_us() + SECOND_US);
    let (status, confirmed) = server.post(&format!("/v1/cashouts/{id}/confirm"), json!({"otp": otp})).await;
    assert_eq!((status, confirmed["status"].as_str()), (200, Some("processing")), "{confirmed}");
    let in_transit = server.wait_for_cashout(&id, "in_transit").await;
    assert!(in_transit["rail_reference"].as_str().unwrap().starts_with("cpv_"), "{in_transit}");
    let text = newest_sms(server, "교환 코드").await;
    assert!(text.contains("현금 48,000원") && text.contains("gs25") && text.contains("KST까지"), "{text}");
    let (code, pin) = (after(&text, "교환 코드 ", 14), after(&text, "PIN ", 6));
    let shape: Vec<usize> = code.split('-').map(|group| group.len()).collect();
    assert!(shape == [4, 4, 4] && code.replace('-', "").bytes().all(|b| b.is_ascii_digit()), "{text}");
    assert!(pin.bytes().all(|b| b.is_ascii_digit()), "{text}");
    Issued { quote, cashout: id, code, pin }
}

async fn redeem(server: &TestServer, key: &str, code: &str, pin: &str, agent_id: &str) -> (u16, Value) {
    redeem_keyed(server, key, code, pin, agent_id, None).await
}

async fn redeem_keyed(
    server: &TestServer,
    key: &str,
    code: &str,
    pin: &str,
    agent_id: &str,
    idempotency_key: Option<&str>,
) -> (u16, Value) {
    let body = json!({"pin": pin, "agent_id": agent_id});
    server.post_as(key, &format!("/v1/cash-pickups/{code}/redeem"), body, idempotency_key).await
}

/// A PIN that is not `pin`.
fn wrong_pin(pin: &str) -> &'static str {
    if pin == "000000" {
        "111111"
    } else {
        "000000"
    }
}

/// The voucher as stored, found by its cash-out's rail reference.
async fn stored_voucher(server: &TestServer, cashout: &str) -> smallchange::store::pickup::Voucher {
    let (_, read) = server.get(&format!("/v1/cashouts/{cashout}")).await;
    let voucher_id = read["rail_reference"].as_str().unwrap();
    smallchange::store::pickup::get(server.store(), &server.tenant, voucher_id).await.unwrap().unwrap()
}

/// Sends each `(pin, agent)` redeem at once; the answers in the same order.
async fn all_at_once(
    server: &Arc<TestServer>,
    code: &str,
    tries: Vec<(String, (String, String))>,
) -> Vec<(u16, Value)> {
    let tries = tries.into_iter().map(|(pin, (id, key))| {
        let (server, code) = (server.clone(), code.to_string());
        tokio::spawn(async move { redeem(&server, &key, &code, &pin, &id).await })
    });
    futures::future::join_all(tries).await.into_iter().map(|answer| answer.unwrap()).collect()
}

fn error_code(answer: &Value) -> Option<&str> {
    answer["error"]["code"].as_str()
}

async fn a_voucher_is_paid_out_in_cash_on(backend: Backend) {
    let (server, clock) = server_at(backend).await;
    let c = customer(&server).await;
    let (agent_id, agent_key) = agent(&server, &server.key, "GS25 Yeoksam").await;
    let v = issued(&server, &clock, &c).await;
    wait_for_balance(&server, &c.id, TOPUP, GROSS).await;

    let (status, paid) = redeem(&server, &agent_key, &v.code, &v.pin, &agent_id).await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(
        (paid["cashout_id"].as_str(), paid["amount"].as_i64(), paid["currency"].as_str(), paid["status"].as_str()),
        (Some(v.cashout.as_str()), Some(NET), Some("KRW"), Some("paid")),
        "{paid}"
    );
    let cashout = server.wait_for_cashout(&v.cashout, "paid").await;
    let statuses: Vec<&str> =
        cashout["timeline"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["awaiting_confirmation", "processing", "in_transit", "paid"]);
    let actors: Vec<&str> =
        cashout["timeline"].as_array().unwrap().iter().map(|e| e["actor"].as_str().unwrap()).collect();
    assert_eq!(actors[2..], ["system:cashout-worker", format!("agent:{agent_id}").as_str()], "the agent paid it out");
    let (status, receipt) = server.get(&format!("/v1/cashouts/{}/receipt", v.cashout)).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!((receipt["net"].clone(), receipt["gross"].clone()), (v.quote["net"].clone(), v.quote["gross"].clone()));
    assert_eq!(receipt["rail_reference"], paid["voucher_id"]);
    assert!(receipt["paid_at"].is_string(), "{receipt}");
    // The hold is posted: the fee is the operator's, exactly the net left in cash.
    wait_for_balance(&server, &c.id, TOPUP - GROSS, 0).await;
    let tenant = &server.tenant;
    assert_eq!(server.counters_of(&format!("{tenant}/:payouts:cash_pickup:KRW")).await[3], NET);
    assert_eq!(server.counters_of(&format!("{tenant}/:fees:KRW")).await[3], FEE);
    // Once only; and dashes are optional.
    let (status, again) = redeem(&server, &agent_key, &v.code.replace('-', ""), &v.pin, &agent_id).await;
    assert_eq!((status, error_code(&again)), (409, Some("invalid_state")), "{again}");

    // Neither the code nor the PIN is stored: only keyed hashes and the code's last four.
    let voucher_id = paid["voucher_id"].as_str().unwrap();
    let stored = smallchange::store::pickup::get(server.store(), tenant, voucher_id).await.unwrap().unwrap();
    let digits = v.code.replace('-', "");
    assert_eq!((stored.status.as_str(), stored.redeemed_by.as_deref()), ("redeemed", Some(agent_id.as_str())));
    assert_eq!(stored.code_last4, digits[8..]);
    for hash in [&stored.pin_hash, &stored.code_lookup] {
        assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()), "{stored:?}");
        assert!(!hash.contains(&v.pin) && !hash.contains(&digits), "{stored:?}");
    }

    // Both routes are in the machine-readable spec.
    let (_, spec) = server.get("/openapi.json").await;
    for path in ["/v1/cash-pickup-agents", "/v1/cash-pickups/{code}/redeem"] {
        assert!(spec["paths"][path]["post"].is_object(), "POST {path} missing from the spec");
    }
    server.assert_verified().await;
    server.stop().await;
}

async fn wrong_pins_lock_the_voucher_on(backend: Backend) {
    let (server, clock) = server_at(backend).await;
    let c = customer(&server).await;
    let (agent_id, agent_key) = agent(&server, &server.key, "CU Samseong").await;
    let v = issued(&server, &clock, &c).await;
    let wrong = if v.pin == "000000" { "111111" } else { "000000" };
    for left in (1..=4).rev() {
        let (status, answer) = redeem(&server, &agent_key, &v.code, wrong, &agent_id).await;
        assert_eq!((status, error_code(&answer)), (400, Some("pin_invalid")), "{answer}");
        assert_eq!(answer["error"]["param"], "pin");
        assert!(answer["error"]["message"].as_str().unwrap().contains(&format!("{left} attempt")), "{answer}");
    }
    let (status, locked) = redeem(&server, &agent_key, &v.code, wrong, &agent_id).await;
    assert_eq!((status, error_code(&locked)), (409, Some("voucher_locked")), "{locked}");
    let (status, after) = redeem(&server, &agent_key, &v.code, &v.pin, &agent_id).await;
    assert_eq!((status, error_code(&after)), (409, Some("voucher_locked")), "no PIN is accepted after that: {after}");
    let failed = server.wait_for_cashout(&v.cashout, "failed").await;
    assert_eq!(failed["failure_reason"], "voucher_locked");
    let last = failed["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], format!("agent:{agent_id}"), "locked by the agent's last wrong PIN: {last}");
    wait_for_balance(&server, &c.id, TOPUP, 0).await;
    assert_eq!(TestServer::pocket(&server.balances(&c.id).await, "cash"), TOPUP, "the hold is released");
    server.assert_verified().await;
    server.stop().await;
}

async fn an_uncollected_voucher_expires_on(backend: Backend) {
    let (server, clock) = server_at(backend).await;
    let c = customer(&server).await;
    let (agent_id, agent_key) = agent(&server, &server.key, "7-Eleven Gangnam").await;
    let v = issued(&server, &clock, &c).await;
    // Still good just before the 72 hours are up (a wrong PIN is only counted).
    clock.set(clock.now_us() + 72 * 3_600 * SECOND_US - 60 * SECOND_US);
    let wrong = if v.pin == "000000" { "111111" } else { "000000" };
    let (status, answer) = redeem(&server, &agent_key, &v.code, wrong, &agent_id).await;
    assert_eq!((status, error_code(&answer)), (400, Some("pin_invalid")), "{answer}");
    assert_eq!(server.wait_for_cashout(&v.cashout, "in_transit").await["status"], "in_transit");
    clock.set(clock.now_us() + 61 * SECOND_US);
    let failed = server.wait_for_cashout(&v.cashout, "failed").await;
    assert_eq!(failed["failure_reason"], "voucher_expired");
    let last = failed["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "system:cashout-worker", "expired by the worker: {last}");
    wait_for_balance(&server, &c.id, TOPUP, 0).await;
    let (status, late) = redeem(&server, &agent_key, &v.code, &v.pin, &agent_id).await;
    assert_eq!((status, error_code(&late)), (409, Some("voucher_expired")), "{late}");
    server.assert_verified().await;
    server.stop().await;
}

async fn only_the_keys_own_agent_redeems_on(backend: Backend) {
    let (server, clock) = server_at(backend).await;
    let c = customer(&server).await;
    let (agent_id, agent_key) = agent(&server, &server.key, "GS25 Yeoksam").await;
    let (other_id, other_key) = agent(&server, &server.key, "CU Samseong").await;
    let v = issued(&server, &clock, &c).await;
    // Another agent's id with this key, or this agent's id with another's key: 403.
    let (status, answer) = redeem(&server, &other_key, &v.code, &v.pin, &agent_id).await;
    assert_eq!((status, error_code(&answer)), (403, Some("permission_denied")), "{answer}");
    let (status, _) = redeem(&server, &agent_key, &v.code, &v.pin, &other_id).await;
    assert_eq!(status, 403);
    // An operator's key (even an admin's), a made-up key, or none: 401.
    for key in [server.key.as_str(), "cpk_nothing"] {
        let (status, answer) = redeem(&server, key, &v.code, &v.pin, &agent_id).await;
        assert_eq!((status, error_code(&answer)), (401, Some("invalid_agent_key")), "{answer}");
    }
    let path = format!("{}/v1/cash-pickups/{}/redeem", server.base, v.code);
    let bare = server.client.post(path).json(&json!({"pin": v.pin, "agent_id": agent_id})).send().await.unwrap();
    assert_eq!(bare.status().as_u16(), 401);
    // Another tenant's agent does not find this tenant's voucher; unknown codes are 404.
    let elsewhere = server.key_for(Role::Admin, true).await;
    let (foreign_id, foreign_key) = agent(&server, &elsewhere, "Elsewhere").await;
    for (key, code, id) in [
        (foreign_key.as_str(), v.code.as_str(), foreign_id.as_str()),
        (agent_key.as_str(), "0000-0000-0000", agent_id.as_str()),
        (agent_key.as_str(), "not-a-code", agent_id.as_str()),
    ] {
        let (status, answer) = redeem(&server, key, code, &v.pin, id).await;
        assert_eq!(status, 404, "{code}: {answer}");
    }
    // Registering agents is for admin keys, and takes a name.
    let readonly = server.key_for(Role::Readonly, false).await;
    let (status, _) = server.post_as(&readonly, "/v1/cash-pickup-agents", json!({"name": "x"}), None).await;
    assert_eq!(status, 403);
    let (status, answer) = server.post("/v1/cash-pickup-agents", json!({"name": "  "})).await;
    assert_eq!(
        (status, error_code(&answer), answer["error"]["param"].as_str()),
        (400, Some("invalid_name"), Some("name"))
    );
    // The operator lists its agents (never their keys) and revokes one: its key is refused
    // at once; revoking is for writers, and another tenant's agent is not found.
    let (status, listed) = server.get_as(&readonly, "/v1/cash-pickup-agents").await;
    assert_eq!(status, 200, "{listed}");
    let mut names: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["CU Samseong", "GS25 Yeoksam"], "{listed}");
    assert!(listed["data"].as_array().unwrap().iter().all(|a| a.get("key").is_none() && a["revoked_at"].is_null()));
    let revoke = |key: String, id: String| {
        let request = server.client.delete(format!("{}/v1/cash-pickup-agents/{id}", server.base)).bearer_auth(key);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(revoke(readonly.clone(), other_id.clone()).await.0, 403);
    assert_eq!(revoke(server.key.clone(), foreign_id.clone()).await.0, 404);
    let (status, revoked) = revoke(server.key.clone(), other_id.clone()).await;
    assert_eq!((status, revoked["revoked_at"].is_string()), (200, true), "{revoked}");
    let (status, answer) = redeem(&server, &other_key, &v.code, &v.pin, &other_id).await;
    assert_eq!((status, error_code(&answer)), (401, Some("invalid_agent_key")), "{answer}");
    let (status, answer) = redeem(&server, &agent_key, &v.code, &v.pin, &agent_id).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("paid")),
        "none of that counted as a wrong PIN: {answer}"
    );
    server.assert_verified().await;
    server.stop().await;
}

async fn racing_agents_pay_a_voucher_once_on(backend: Backend) {
    let (server, clock) = server_at(backend).await;
    let c = customer(&server).await;
    let (agent_id, agent_key) = agent(&server, &server.key, "GS25 Yeoksam").await;
    let v = issued(&server, &clock, &c).await;
    let server = Arc::new(server);
    let tries = (0..10).map(|_| {
        let (server, key, code, pin, id) =
            (server.clone(), agent_key.clone(), v.code.clone(), v.pin.clone(), agent_id.clone());
        tokio::spawn(async move { redeem(&server, &key, &code, &pin, &id).await })
    });
    let mut paid = 0;
    for attempt in futures::future::join_all(tries).await {
        let (status, answer) = attempt.unwrap();
        match status {
            200 => paid += 1,
            // Each PIN takes one of the five attempts first: a try that finds none left
            // while the winner is still paying it out is told so.
            409 => assert!(matches!(error_code(&answer), Some("invalid_state" | "voucher_locked")), "{answer}"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert_eq!(paid, 1, "exactly one agent pays the voucher out");
    wait_for_balance(&server, &c.id, TOPUP - GROSS, 0).await;
    assert_eq!(server.counters_of(&format!("{}/:payouts:cash_pickup:KRW", server.tenant)).await[3], NET);
    server.assert_verified().await;
    Arc::into_inner(server).expect("every try has finished").stop().await;
}

/// An SMS gateway on loopback that keeps every text it accepts and answers 503 to the
/// first `failures` voucher messages.
async fn flaky_gateway(failures: usize) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    let accepted: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let keep = accepted.clone();
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |axum::Json(message): axum::Json<Value>| {
            let (keep, refused) = (keep.clone(), refused.clone());
            async move {
                let text = message["text"].as_str().unwrap_or_default().to_string();
                let voucher = text.contains("교환 코드");
                if voucher && refused.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < failures {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                keep.lock().unwrap().push(text);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, accepted)
}

/// The voucher's code and PIN exist only in its SMS, so a gateway failing is retried until
/// the message goes out; the code and PIN it carries then pay the voucher out.
async fn a_voucher_sms_outlasts_a_failing_gateway_on(backend: Backend) {
    let (url, accepted) = flaky_gateway(2).await;
    let clock = Clock::fixed(START_US);
    let adjust = move |s: &mut Settings| {
        support::fast_workers(s);
        s.sms_gateway_url = url;
        s.cashout.risk.review_new_destination = false;
    };
    let server = spawn_with_clock(fresh_db(backend).await, adjust, clock.clone()).await;
    let c = customer(&server).await;
    let (agent_id, agent_key) = agent(&server, &server.key, "GS25 Yeoksam").await;
    let body = json!({"amount": GROSS, "currency": "KRW", "destination_id": c.destination});
    let (_, quote) = server.post(&format!("/v1/users/{}/cashout-quotes", c.id), body).await;
    let (_, cashout) = server.post("/v1/cashouts", json!({"quote_id": quote["id"]})).await;
    let id = cashout["id"].as_str().unwrap().to_string();
    let code_text = accepted.lock().unwrap().last().cloned().expect("the code went out");
    let otp = after(&code_text, "48,000원 출금 확인 코드: ", 6);
    let (status, _) = server.post(&format!("/v1/cashouts/{id}/confirm"), json!({"otp": otp})).await;
    assert_eq!(status, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let text = loop {
        if let Some(text) = accepted.lock().unwrap().iter().find(|t| t.contains("교환 코드")) {
            break text.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "the voucher SMS never went out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (code, pin) = (after(&text, "교환 코드 ", 14), after(&text, "PIN ", 6));
    let (status, paid) = redeem(&server, &agent_key, &code, &pin, &agent_id).await;
    assert_eq!((status, paid["status"].as_str()), (200, Some("paid")), "{paid}");
    assert_eq!(accepted.lock().unwrap().iter().filter(|t| t.contains("교환 코드")).count(), 1, "sent once");
    wait_for_balance(&server, &c.id, TOPUP - GROSS, 0).await;
    server.assert_verified().await;
    server.stop().await;
}

/// Thirty wrong PINs at once: each takes an attempt before its PIN is compared, so only five
/// are compared (four `pin_invalid`, the fifth locks it); the rest find none left. The
/// voucher is locked once, and the right PIN after that is refused.
async fn racing_wrong_pins_are_compared_at_most_five_on(backend: Backend) {
    let (server, clock) = server_at(backend).await;
    let c = customer(&server).await;
    let agent = agent(&server, &server.key, "GS25 Yeoksam").await;
    let v = issued(&server, &clock, &c).await;
    let server = Arc::new(server);
    let wrong = wrong_pin(&v.pin).to_string();
    let answers = all_at_once(&server, &v.code, vec![(wrong, agent.clone()); 30]).await;
    let mut invalid = 0;
    for (status, answer) in &answers {
        match (status, error_code(answer)) {
            (400, Some("pin_invalid")) => invalid += 1,
            (409, Some("voucher_locked")) => {}
            other => panic!("unexpected {other:?}: {answer}"),
        }
    }
    assert_eq!(invalid, 4, "attempts 1 to 4 are told the PIN is wrong: {answers:?}");
    let stored = stored_voucher(&server, &v.cashout).await;
    assert_eq!((stored.status.as_str(), stored.pin_attempts), ("locked", 5), "never more than five compared");
    let failed = server.wait_for_cashout(&v.cashout, "failed").await;
    assert_eq!(failed["failure_reason"], "voucher_locked");
    let statuses: Vec<&str> =
        failed["timeline"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["awaiting_confirmation", "processing", "in_transit", "failed"], "locked once");
    let (status, after) = redeem(&server, &agent.1, &v.code, &v.pin, &agent.0).await;
    assert_eq!((status, error_code(&after)), (409, Some("voucher_locked")), "{after}");
    assert_eq!(stored_voucher(&server, &v.cashout).await.pin_attempts, 5);
    wait_for_balance(&server, &c.id, TOPUP, 0).await;
    server.assert_verified().await;
    Arc::into_inner(server).expect("every try has finished").stop().await;
}

/// Twenty wrong PINs and the right one at once: the right one pays only if it got one of
/// the five attempts (and no wrong PIN at the fifth locked the voucher first); either way
/// at most five PINs are compared and the money goes one way, once.
async fn a_right_pin_racing_wrong_ones_needs_an_attempt_on(backend: Backend) {
    let (server, clock) = server_at(backend).await;
    let c = customer(&server).await;
    let agent = agent(&server, &server.key, "GS25 Yeoksam").await;
    let v = issued(&server, &clock, &c).await;
    let server = Arc::new(server);
    let mut tries = vec![(wrong_pin(&v.pin).to_string(), agent.clone()); 20];
    tries.insert(10, (v.pin.clone(), agent.clone()));
    let mut answers = all_at_once(&server, &v.code, tries).await;
    let (status, right) = answers.remove(10);
    let mut invalid = 0;
    for (status, answer) in &answers {
        match (status, error_code(answer)) {
            (400, Some("pin_invalid")) => invalid += 1,
            (409, Some("voucher_locked" | "invalid_state")) => {}
            other => panic!("unexpected {other:?}: {answer}"),
        }
    }
    assert!(invalid <= 4, "at most four wrong PINs are told so: {answers:?}");
    let stored = stored_voucher(&server, &v.cashout).await;
    assert!(stored.pin_attempts <= 5, "never more than five compared: {stored:?}");
    if status == 200 {
        assert_eq!((right["status"].as_str(), stored.status.as_str()), (Some("paid"), "redeemed"), "{right}");
        server.wait_for_cashout(&v.cashout, "paid").await;
        wait_for_balance(&server, &c.id, TOPUP - GROSS, 0).await;
        assert_eq!(server.counters_of(&format!("{}/:payouts:cash_pickup:KRW", server.tenant)).await[3], NET);
    } else {
        assert_eq!((status, error_code(&right)), (409, Some("voucher_locked")), "{right}");
        assert_eq!((stored.status.as_str(), stored.pin_attempts), ("locked", 5));
        let failed = server.wait_for_cashout(&v.cashout, "failed").await;
        assert_eq!(failed["failure_reason"], "voucher_locked");
        wait_for_balance(&server, &c.id, TOPUP, 0).await;
    }
    server.assert_verified().await;
    Arc::into_inner(server).expect("every try has finished").stop().await;
}

/// An agent whose 200 was lost asks again with the same `Idempotency-Key` and gets the
/// same answer, the voucher paid once; the same key with another body is refused; the key
/// is the agent's own, so another agent using it is answered on its own.
async fn a_redeem_retried_with_its_key_answers_again_on(backend: Backend) {
    let (server, clock) = server_at(backend).await;
    let c = customer(&server).await;
    let (agent_id, agent_key) = agent(&server, &server.key, "GS25 Yeoksam").await;
    let (other_id, other_key) = agent(&server, &server.key, "CU Samseong").await;
    let v = issued(&server, &clock, &c).await;
    let key = Some("redeem-2026-11-10-0001");
    // Three at once (a retry racing its first attempt): one pays, all get its answer.
    let server = Arc::new(server);
    let tries = (0..3).map(|_| {
        let (server, agent_key, code, pin, agent_id) =
            (server.clone(), agent_key.clone(), v.code.clone(), v.pin.clone(), agent_id.clone());
        tokio::spawn(async move { redeem_keyed(&server, &agent_key, &code, &pin, &agent_id, key).await })
    });
    let answers: Vec<(u16, Value)> = futures::future::join_all(tries).await.into_iter().map(|a| a.unwrap()).collect();
    let (status, first) = answers[0].clone();
    assert_eq!((status, first["status"].as_str()), (200, Some("paid")), "{first}");
    for answer in &answers {
        assert_eq!(answer, &(200, first.clone()), "the same answer to every copy");
    }
    // Later, the same request again: the first answer, nothing paid twice.
    let (status, again) = redeem_keyed(&server, &agent_key, &v.code, &v.pin, &agent_id, key).await;
    assert_eq!((status, &again), (200, &first));
    // The same key with another body, or on another code: 409 idempotency_key_reused.
    let (status, reused) = redeem_keyed(&server, &agent_key, &v.code, wrong_pin(&v.pin), &agent_id, key).await;
    assert_eq!((status, error_code(&reused)), (409, Some("idempotency_key_reused")), "{reused}");
    let (status, reused) = redeem_keyed(&server, &agent_key, "0000-0000-0000", &v.pin, &agent_id, key).await;
    assert_eq!((status, error_code(&reused)), (409, Some("idempotency_key_reused")), "{reused}");
    // Another agent's key: its own answer (paid out already), never this agent's.
    let (status, elsewhere) = redeem_keyed(&server, &other_key, &v.code, &v.pin, &other_id, key).await;
    assert_eq!((status, error_code(&elsewhere)), (409, Some("invalid_state")), "{elsewhere}");
    // Without a key it is a second redeem: refused.
    let (status, unkeyed) = redeem(&server, &agent_key, &v.code, &v.pin, &agent_id).await;
    assert_eq!((status, error_code(&unkeyed)), (409, Some("invalid_state")), "{unkeyed}");
    let paid = server.wait_for_cashout(&v.cashout, "paid").await;
    let statuses: Vec<&str> =
        paid["timeline"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["awaiting_confirmation", "processing", "in_transit", "paid"], "paid once");
    wait_for_balance(&server, &c.id, TOPUP - GROSS, 0).await;
    assert_eq!(server.counters_of(&format!("{}/:payouts:cash_pickup:KRW", server.tenant)).await[3], NET);
    server.assert_verified().await;
    Arc::into_inner(server).expect("every try has finished").stop().await;
}
