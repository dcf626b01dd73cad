//! Freezing a user through the API, on both backends: while frozen, every way value could
//! leave the wallet (a quote, a cash-out from an earlier quote, the confirmation of one
//! waiting for its code, the approval of one in review, a new destination, a gift-card
//! redemption, a remainder refund) answers 409 `user_frozen` and changes nothing — balances,
//! cash-outs, destinations, cards and the event log as they were — while payments still
//! work and a cash-out already on the rail still reaches `paid`; unfrozen, each works again.
//! Who may freeze (403 for readonly and reviewer keys, recording nothing, not even under
//! their `Idempotency-Key`), what a reason must be (400), freezing twice or unfreezing a
//! user who is not frozen (409 `invalid_state`), the user's `frozen` as `GET` shows it, the
//! two events, and auto-cash-out waiting for a frozen user instead of failing over and over.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::config::Settings;
use smallchange::store::events;
use smallchange::store::tenants::{self, Role};
use support::{fresh_db, spawn_with_clock, Backend, TestServer};
use totp_rs::{Algorithm, Secret, TOTP};

both_backends!(a_frozen_user_keeps_their_money_where_it_is, super::a_frozen_user_keeps_their_money_where_it_is_on);
both_backends!(
    only_an_allowed_operator_freezes_with_a_reason,
    super::only_an_allowed_operator_freezes_with_a_reason_on
);
both_backends!(auto_cash_out_waits_while_frozen, super::auto_cash_out_waits_while_frozen_on);

/// 2026-11-10 03:00 UTC: mid-month, so day and month limits are not crossed by accident.
const START_US: i64 = 1_794_279_600_000_000;

const REASON: &str = "chargeback report under review (case 118)";

/// Sandbox payouts, a fast worker, and every first cash-out to a destination in review.
fn settings(s: &mut Settings) {
    s.cashout_poll_ms = 20;
    s.cashout.rails.bank_account = "sandbox".into();
    s.cashout.risk.review_new_destination = true;
    s.cashout.sandbox_settle_s = 2;
}

async fn server_at(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> (TestServer, Clock) {
    let clock = Clock::fixed(START_US);
    let server = spawn_with_clock(fresh_db(backend).await, adjust, clock.clone()).await;
    (server, clock)
}

/// A user whose identity was checked (김민지), with TOTP.
struct Customer {
    id: String,
    totp: TOTP,
}

async fn customer(server: &TestServer, n: u32) -> Customer {
    let id = server.create_user(n).await;
    let kyc = json!({"level": "verified", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    let (status, answer) = server.post(&format!("/v1/users/{id}/kyc"), kyc).await;
    assert_eq!(status, 200, "{answer}");
    let (status, enrolled) = server.post(&format!("/v1/users/{id}/totp"), json!({})).await;
    assert_eq!(status, 200, "{enrolled}");
    let bytes = Secret::Encoded(enrolled["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    Customer { id, totp: TOTP::new(Algorithm::SHA1, 6, 0, 30, bytes, None, "user".into()).unwrap() }
}

/// Adds a bank account ending in `account` to `c`: the answer.
async fn add_destination(server: &TestServer, c: &Customer, account: &str) -> (u16, Value) {
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": account, "holder_name": "김민지"});
    server.post(&format!("/v1/users/{}/payout-destinations", c.id), bank).await
}

async fn quote(server: &TestServer, c: &Customer, destination: &str, amount: i64) -> (u16, Value) {
    let body = json!({"amount": amount, "currency": "KRW", "destination_id": destination});
    server.post(&format!("/v1/users/{}/cashout-quotes", c.id), body).await
}

/// A cash-out of `amount` to `destination`, created (held) and not yet confirmed: its id.
async fn created(server: &TestServer, c: &Customer, destination: &str, amount: i64) -> String {
    let (status, q) = quote(server, c, destination, amount).await;
    assert_eq!(status, 200, "{q}");
    let (status, cashout) = server.post("/v1/cashouts", json!({"quote_id": q["id"]})).await;
    assert_eq!(status, 200, "{cashout}");
    cashout["id"].as_str().unwrap().to_string()
}

async fn confirm(server: &TestServer, c: &Customer, clock: &Clock, id: &str) -> (u16, Value) {
    let otp = c.totp.generate((clock.now_us() / 1_000_000) as u64);
    server.post(&format!("/v1/cashouts/{id}/confirm"), json!({"otp": otp})).await
}

async fn freeze(
    server: &TestServer,
    key: &str,
    user: &str,
    body: Value,
    idempotency_key: Option<&str>,
) -> (u16, Value) {
    server.post_as(key, &format!("/v1/users/{user}/freeze"), body, idempotency_key).await
}

async fn unfreeze(server: &TestServer, key: &str, user: &str, body: Value) -> (u16, Value) {
    server.post_as(key, &format!("/v1/users/{user}/unfreeze"), body, None).await
}

fn assert_error(answer: &(u16, Value), status: u16, code: &str) {
    assert_eq!((answer.0, answer.1["error"]["code"].as_str()), (status, Some(code)), "{}", answer.1);
}

/// The recorded actor of the key with `secret`: `api_key:key_…`.
async fn key_actor(server: &TestServer, secret: &str) -> String {
    let owner = tenants::find_key(server.store(), &tenants::hash_secret(secret)).await.unwrap();
    format!("api_key:{}", owner.expect("the key is stored").key_id)
}

/// Every event of the server's tenant, as (kind, subject), oldest first.
async fn event_log(server: &TestServer) -> Vec<(String, String)> {
    let found = events::from_index(server.store(), &server.tenant, 0, 10_000).await.unwrap();
    found.into_iter().map(|e| (e.kind, e.subject)).collect()
}

/// A gift-card program (₩10,000 cards, 80 % to use before a refund) and two cards bought
/// by bank transfer: their ids and codes.
async fn two_cards(server: &TestServer) -> [(String, String); 2] {
    let body =
        json!({"brand": "Cafe", "currency": "KRW", "region": "KR", "face_values": [10_000], "validity_days": 90});
    let (status, program) = server.post("/v1/gift-card-programs", body).await;
    assert_eq!(status, 200, "{program}");
    let issue = |n: u32| {
        let body = json!({"program_id": program["id"], "face_value": 10_000, "purchased_with": "bank_transfer",
            "purchaser_ref": format!("order-{n}")});
        async move {
            let (status, card) = server.post("/v1/gift-cards", body).await;
            assert_eq!(status, 200, "{card}");
            (card["id"].as_str().unwrap().to_string(), card["code"].as_str().unwrap().to_string())
        }
    };
    [issue(1).await, issue(2).await]
}

async fn redeem(server: &TestServer, c: &Customer, code: &str) -> (u16, Value) {
    server.post(&format!("/v1/users/{}/gift-cards", c.id), json!({"brand": "Cafe", "code": code})).await
}

async fn pay(server: &TestServer, c: &Customer, amount: i64) -> (u16, Value) {
    let body = json!({"merchant": "shop-1", "amount": amount, "currency": "KRW"});
    server.post(&format!("/v1/users/{}/payments", c.id), body).await
}

/// What a refusal must leave as it was: the balances, every cash-out of the user, their
/// destinations, both cards, and the event log.
async fn state(server: &TestServer, c: &Customer, cards: &[(String, String); 2]) -> Vec<Value> {
    let mut seen = vec![server.balances(&c.id).await];
    for path in [format!("/v1/users/{}/cashouts", c.id), format!("/v1/users/{}/payout-destinations", c.id)] {
        let (status, list) = server.get(&path).await;
        assert_eq!(status, 200, "{list}");
        seen.push(list);
    }
    for (card, _) in cards {
        seen.push(server.get(&format!("/v1/gift-cards/{card}")).await.1);
    }
    seen.push(json!(event_log(server).await));
    seen
}

async fn a_frozen_user_keeps_their_money_where_it_is_on(backend: Backend) {
    let (server, clock) = server_at(backend, settings).await;
    let admin = key_actor(&server, &server.key).await;
    let c = customer(&server, 1).await;
    let (_, first) = add_destination(&server, &c, "123-456-789012").await;
    let (_, second) = add_destination(&server, &c, "987-654-321098").await;
    let (first, second) = (first["id"].as_str().unwrap().to_string(), second["id"].as_str().unwrap().to_string());
    server.topup(&c.id, "bank_transfer", 200_000).await;
    let [(card_a, code_a), (card_b, code_b)] = two_cards(&server).await;
    let cards = [(card_a.clone(), code_a.clone()), (card_b.clone(), code_b.clone())];
    assert_eq!(redeem(&server, &c, &code_a).await.0, 200);
    // Gift cards pay first: ₩8,000 of card A is used, so its remainder may be refunded.
    assert_eq!(pay(&server, &c, 8_000).await.0, 200);

    // Waiting in review (a new destination), confirmed at the start.
    let in_review = created(&server, &c, &second, 10_000).await;
    let answer = confirm(&server, &c, &clock, &in_review).await;
    assert_eq!((answer.0, answer.1["status"].as_str()), (200, Some("in_review")), "{}", answer.1);
    // Sent to the rail: reviewed, approved, on its way (a code of the next 30-second step).
    clock.set(START_US + 30_000_000);
    let on_its_way = created(&server, &c, &first, 30_000).await;
    assert_eq!(confirm(&server, &c, &clock, &on_its_way).await.1["status"], "in_review");
    let (status, approved) = server.post(&format!("/v1/cashouts/{on_its_way}/approve"), json!({})).await;
    assert_eq!((status, approved["status"].as_str()), (200, Some("processing")), "{approved}");
    server.wait_for_cashout(&on_its_way, "in_transit").await;
    // Waiting for its code; and a quote not used yet.
    let waiting = created(&server, &c, &first, 5_000).await;
    let (_, unused_quote) = quote(&server, &c, &first, 7_000).await;

    // Frozen, once per key: the retry answers the first answer.
    let body = json!({"reason": REASON});
    let (status, frozen) = freeze(&server, &server.key, &c.id, body.clone(), Some("freeze-1")).await;
    assert_eq!(status, 200, "{frozen}");
    assert_eq!(frozen["id"], c.id.as_str());
    assert_eq!(frozen["frozen"]["by"], admin.as_str());
    assert_eq!(frozen["frozen"]["reason"], REASON);
    assert_eq!(frozen["frozen"]["at"], "2026-11-10T03:00:30Z");
    assert_eq!(freeze(&server, &server.key, &c.id, body.clone(), Some("freeze-1")).await, (200, frozen.clone()));
    let (status, shown) = server.get(&format!("/v1/users/{}", c.id)).await;
    assert_eq!((status, &shown["frozen"]), (200, &frozen["frozen"]), "{shown}");
    // Frozen already: refused, and the freeze on record stays as it was.
    let again = freeze(&server, &server.key, &c.id, json!({"reason": "another"}), None).await;
    assert_error(&again, 409, "invalid_state");
    assert_eq!(server.get(&format!("/v1/users/{}", c.id)).await.1["frozen"], frozen["frozen"]);

    // Everything that would take value out is refused, and nothing changes.
    let before = state(&server, &c, &cards).await;
    assert_error(&quote(&server, &c, &first, 10_000).await, 409, "user_frozen");
    assert_error(&server.post("/v1/cashouts", json!({"quote_id": unused_quote["id"]})).await, 409, "user_frozen");
    assert_error(&confirm(&server, &c, &clock, &waiting).await, 409, "user_frozen");
    assert_error(&server.post(&format!("/v1/cashouts/{in_review}/approve"), json!({})).await, 409, "user_frozen");
    assert_error(&add_destination(&server, &c, "555-555-555555").await, 409, "user_frozen");
    assert_error(&redeem(&server, &c, &code_b).await, 409, "user_frozen");
    let refund = format!("/v1/gift-cards/{card_a}/refund-remainder");
    assert_error(&server.post(&refund, json!({})).await, 409, "user_frozen");
    assert_eq!(state(&server, &c, &cards).await, before, "a refusal changes nothing");
    let stored = smallchange::store::cashouts::get(server.store(), &server.tenant, &waiting).await.unwrap().unwrap();
    assert_eq!(stored.otp_attempts, 0, "no code was looked at, so no attempt was spent");
    let refusal = quote(&server, &c, &first, 10_000).await.1;
    assert!(!refusal.to_string().contains("chargeback"), "the reason is never in a refusal: {refusal}");

    // Spending still works (from card A first), and the cash-out already on the rail
    // reaches paid.
    let (status, payment) = pay(&server, &c, 1_000).await;
    assert_eq!((status, &payment["legs"]), (200, &json!([{"pocket": format!("gift:{card_a}"), "amount": 1_000}])));
    clock.set(START_US + 60_000_000);
    server.wait_for_cashout(&on_its_way, "paid").await;

    // Unfrozen: each works again.
    let (status, unfrozen) = unfreeze(&server, &server.key, &c.id, json!({"reason": "report withdrawn"})).await;
    assert_eq!((status, &unfrozen["frozen"]), (200, &Value::Null), "{unfrozen}");
    assert_eq!(server.get(&format!("/v1/users/{}", c.id)).await.1["frozen"], Value::Null);
    assert_error(&unfreeze(&server, &server.key, &c.id, json!({"reason": "again"})).await, 409, "invalid_state");
    let (status, confirmed) = confirm(&server, &c, &clock, &waiting).await;
    assert_eq!(status, 200, "{confirmed}");
    let (status, approved) = server.post(&format!("/v1/cashouts/{in_review}/approve"), json!({})).await;
    assert_eq!((status, approved["status"].as_str()), (200, Some("processing")), "{approved}");
    assert_eq!(server.post("/v1/cashouts", json!({"quote_id": unused_quote["id"]})).await.0, 200);
    assert_eq!(quote(&server, &c, &first, 10_000).await.0, 200);
    assert_eq!(add_destination(&server, &c, "555-555-555555").await.0, 200);
    assert_eq!(redeem(&server, &c, &code_b).await.0, 200);
    let (status, refunded) = server.post(&refund, json!({})).await;
    assert_eq!((status, refunded["amount"].as_i64()), (200, Some(1_000)), "{refunded}");

    // One event each, by the admin key, with the operator's words.
    let about: Vec<(String, String, Value)> = events::of_subject(server.store(), &server.tenant, &c.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.starts_with("user.") && e.kind.ends_with("frozen"))
        .map(|e| (e.kind.clone(), e.actor.clone(), e.data()))
        .collect();
    assert_eq!(
        about,
        [
            ("user.frozen".into(), admin.clone(), json!({"reason": REASON})),
            ("user.unfrozen".into(), admin.clone(), json!({"reason": "report withdrawn"})),
        ]
    );
    server.assert_verified().await;
    server.stop().await;
}

async fn only_an_allowed_operator_freezes_with_a_reason_on(backend: Backend) {
    let (server, _) = server_at(backend, settings).await;
    let c = customer(&server, 1).await;
    let user = format!("/v1/users/{}", c.id);
    let events_before = event_log(&server).await;
    for role in [Role::Readonly, Role::Reviewer] {
        let key = server.key_for(role, false).await;
        let refused = freeze(&server, &key, &c.id, json!({"reason": REASON}), Some("by-the-wrong-key")).await;
        assert_error(&refused, 403, "permission_denied");
        assert_error(&unfreeze(&server, &key, &c.id, json!({"reason": REASON})).await, 403, "permission_denied");
    }
    // Another tenant's admin does not find the user.
    let theirs = server.key_for(Role::Admin, true).await;
    assert_error(&freeze(&server, &theirs, &c.id, json!({"reason": REASON}), None).await, 404, "resource_missing");
    // A reason is 1 to 500 characters, spaces around it not counted.
    for (body, code) in [
        (json!({"reason": ""}), "invalid_reason"),
        (json!({"reason": "   "}), "invalid_reason"),
        (json!({"reason": "x".repeat(501)}), "invalid_reason"),
        (json!({}), "missing_field"),
        (json!({"reason": REASON, "notify": true}), "unknown_field"),
    ] {
        let refused = freeze(&server, &server.key, &c.id, body, None).await;
        assert_error(&refused, 400, code);
        let expected = if code == "unknown_field" { "notify" } else { "reason" };
        assert_eq!(refused.1["error"]["param"], expected, "{}", refused.1);
    }
    assert_eq!(server.get(&user).await.1["frozen"], Value::Null, "nothing was frozen");
    assert_eq!(event_log(&server).await, events_before, "nothing was recorded");

    // The key the readonly key tried was not used up: the admin's request with it is no replay.
    let reason = format!("  {}  ", "가".repeat(500));
    let (status, frozen) =
        freeze(&server, &server.key, &c.id, json!({"reason": reason}), Some("by-the-wrong-key")).await;
    assert_eq!((status, frozen["frozen"]["reason"].as_str()), (200, Some("가".repeat(500).as_str())), "{frozen}");
    server.stop().await;
}

async fn cashouts_of(server: &TestServer, user: &str) -> Vec<Value> {
    let (status, list) = server.get(&format!("/v1/users/{user}/cashouts")).await;
    assert_eq!(status, 200, "{list}");
    list["data"].as_array().unwrap().clone()
}

async fn auto_cash_out_waits_while_frozen_on(backend: Backend) {
    let (server, _) = server_at(backend, |s: &mut Settings| {
        settings(s);
        s.cashout.risk.review_new_destination = false;
    })
    .await;
    let c = customer(&server, 1).await;
    let (_, destination) = add_destination(&server, &c, "123-456-789012").await;
    let path = format!("{}/v1/users/{}/auto-cashout", server.base, c.id);
    let body = json!({"enabled": true, "threshold": 30_000, "destination_id": destination["id"]});
    let set = server.client.put(&path).bearer_auth(&server.key).json(&body).send().await.unwrap();
    assert_eq!(set.status(), 200);
    assert_eq!(freeze(&server, &server.key, &c.id, json!({"reason": REASON}), None).await.0, 200);
    server.topup(&c.id, "bank_transfer", 50_000).await;
    // Several passes of the worker (every 20 ms): none makes a cash-out, none fails.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(cashouts_of(&server, &c.id).await.is_empty(), "no auto-cash-out for a frozen user");
    assert_eq!(server.balances(&c.id).await["withdrawable"], 50_000);

    assert_eq!(unfreeze(&server, &server.key, &c.id, json!({"reason": "cleared"})).await.0, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while cashouts_of(&server, &c.id).await.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no auto-cash-out once unfrozen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(cashouts_of(&server, &c.id).await[0]["quote"]["gross"], 50_000);
    server.assert_verified().await;
    server.stop().await;
}
