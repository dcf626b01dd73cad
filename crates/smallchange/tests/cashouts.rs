//! Cash-out through the HTTP API on both backends: quotes and their refusals, the hold, TOTP
//! and SMS confirmation with lockout (at most five codes compared, however many race),
//! review, cancellation, expiry, the sandbox rail to `paid`, receipts that pay exactly the
//! quoted net, and 100 racing cash-outs.

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::config::Settings;
use support::{fresh_db, spawn_with_clock, Backend, TestServer};
use totp_rs::{Algorithm, Secret, TOTP};

both_backends!(a_cash_out_goes_from_quote_to_paid, super::a_cash_out_goes_from_quote_to_paid_on);
both_backends!(the_sandbox_rejects_a_closed_account, super::the_sandbox_rejects_a_closed_account_on);
both_backends!(sms_codes_and_the_lockout, super::sms_codes_and_the_lockout_on);
both_backends!(quotes_refuse_what_they_must, super::quotes_refuse_what_they_must_on);
both_backends!(cancel_expiry_and_a_used_quote, super::cancel_expiry_and_a_used_quote_on);
both_backends!(review_holds_the_money_until_decided, super::review_holds_the_money_until_decided_on);
both_backends!(racing_cash_outs_hold_only_what_is_there, super::racing_cash_outs_hold_only_what_is_there_on);
both_backends!(receipts_pay_the_quoted_net_under_random_fees, super::receipts_pay_the_quoted_net_under_random_fees_on);
both_backends!(racing_wrong_codes_are_compared_at_most_five, super::racing_wrong_codes_are_compared_at_most_five_on);
both_backends!(
    a_right_code_racing_wrong_ones_needs_an_attempt,
    super::a_right_code_racing_wrong_ones_needs_an_attempt_on
);

/// 2026-11-10 03:00 UTC: mid-month, so day and month limits are not crossed by accident.
const START_US: i64 = 1_794_279_600_000_000;

/// Sandbox payouts, a fast worker, and no review for new destinations unless asked.
fn settings(review_new_destination: bool) -> impl FnOnce(&mut Settings) {
    move |s: &mut Settings| {
        s.cashout_poll_ms = 20;
        s.cashout.rails.bank_account = "sandbox".into();
        s.cashout.risk.review_new_destination = review_new_destination;
        s.cashout.sandbox_settle_s = 2;
    }
}

async fn server_at(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> (TestServer, Clock) {
    let clock = Clock::fixed(START_US);
    let server = spawn_with_clock(fresh_db(backend).await, adjust, clock.clone()).await;
    (server, clock)
}

/// A user with a KYC record at `level`, a bank destination, and (optionally) TOTP.
struct Customer {
    id: String,
    destination: String,
    totp: Option<TOTP>,
}

async fn customer(server: &TestServer, n: u32, level: &str, with_totp: bool) -> Customer {
    let id = server.create_user(n).await;
    let kyc = json!({"level": level, "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    let (status, answer) = server.post(&format!("/v1/users/{id}/kyc"), kyc).await;
    assert_eq!(status, 200, "{answer}");
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-789012", "holder_name": "김민지"});
    let (status, destination) = server.post(&format!("/v1/users/{id}/payout-destinations"), bank).await;
    assert_eq!(status, 200, "{destination}");
    let totp = if with_totp {
        let (status, enrolled) = server.post(&format!("/v1/users/{id}/totp"), json!({})).await;
        assert_eq!(status, 200, "{enrolled}");
        let bytes = Secret::Encoded(enrolled["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
        Some(TOTP::new(Algorithm::SHA1, 6, 0, 30, bytes, None, "user".into()).unwrap())
    } else {
        None
    };
    Customer { id, destination: destination["id"].as_str().unwrap().to_string(), totp }
}

async fn quote(server: &TestServer, c: &Customer, amount: Value) -> (u16, Value) {
    let body = json!({"amount": amount, "currency": "KRW", "destination_id": c.destination});
    server.post(&format!("/v1/users/{}/cashout-quotes", c.id), body).await
}

async fn create(server: &TestServer, quote_id: &str) -> (u16, Value) {
    server.post("/v1/cashouts", json!({"quote_id": quote_id})).await
}

async fn confirm(server: &TestServer, id: &str, otp: &str) -> (u16, Value) {
    server.post(&format!("/v1/cashouts/{id}/confirm"), json!({"otp": otp})).await
}

fn code_at(c: &Customer, clock: &Clock) -> String {
    c.totp.as_ref().unwrap().generate((clock.now_us() / 1_000_000) as u64)
}

fn pocket(balances: &Value, name: &str) -> (i64, i64) {
    let p = balances["pockets"].as_array().unwrap().iter().find(|p| p["pocket"] == name).unwrap();
    (p["available"].as_i64().unwrap(), p["pending"].as_i64().unwrap())
}

async fn a_cash_out_goes_from_quote_to_paid_on(backend: Backend) {
    let (server, clock) = server_at(backend, settings(false)).await;
    let c = customer(&server, 1, "basic", true).await;
    server.topup(&c.id, "bank_transfer", 100_000).await;
    server.topup(&c.id, "carrier_billing", 50_000).await;
    let (status, q) = quote(&server, &c, json!(20_000)).await;
    assert_eq!(status, 200, "{q}");
    assert_eq!((q["gross"].as_i64(), q["fee"].as_i64(), q["net"].as_i64()), (Some(20_000), Some(500), Some(19_500)));
    assert_eq!(q["fees"], json!([{"kind": "fixed", "amount": 500}]));
    assert_eq!(q["sources"], json!([{"pocket": "cash", "amount": 20_000}]));
    assert_eq!(q["rail"], "sandbox");
    let (status, cashout) = create(&server, q["id"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{cashout}");
    assert_eq!(
        (cashout["status"].as_str(), cashout["otp_channel"].as_str()),
        (Some("awaiting_confirmation"), Some("totp"))
    );
    let id = cashout["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("po_"));
    // Held at once: available drops, pending shows the hold.
    let balances = server.balances(&c.id).await;
    assert_eq!(pocket(&balances, "cash"), (80_000, 20_000));
    assert_eq!(balances["withdrawable"], 80_000);
    // No receipt before confirmation.
    let (status, _) = server.get(&format!("/v1/cashouts/{id}/receipt")).await;
    assert_eq!(status, 409);
    let (status, confirmed) = confirm(&server, &id, &code_at(&c, &clock)).await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(confirmed["risk"]["decision"], "allow");
    let in_transit = server.wait_for_cashout(&id, "in_transit").await;
    assert!(in_transit["rail_reference"].as_str().unwrap().starts_with("sbx_"));
    clock.set(START_US + 3_000_000);
    let paid = server.wait_for_cashout(&id, "paid").await;
    let statuses: Vec<&str> =
        paid["timeline"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["awaiting_confirmation", "processing", "in_transit", "paid"]);
    // The key created and confirmed it; the worker's sandbox rail carried and paid it.
    let operator = key_actor(&server, &server.key).await;
    assert!(operator.starts_with("api_key:key_"), "{operator}");
    assert_eq!(actors(&cashout), [operator.as_str()], "the creation answer names its maker");
    assert_eq!(actors(&paid), [operator.as_str(), operator.as_str(), "system:cashout-worker", "system:cashout-worker"]);
    // Paid out: the hold is posted, the fee is the operator's, the net left through the rail.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let balances = server.balances(&c.id).await;
        if pocket(&balances, "cash") == (80_000, 0) {
            assert_eq!(balances["total"], 80_000 + 50_000);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the hold was never paid out: {balances}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let tenant = &server.tenant;
    assert_eq!(server.counters_of(&format!("{tenant}/:payouts:sandbox:KRW")).await[3], 19_500);
    assert_eq!(server.counters_of(&format!("{tenant}/:fees:KRW")).await[3], 500);
    let (status, receipt) = server.get(&format!("/v1/cashouts/{id}/receipt")).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!((receipt["net"].as_i64(), receipt["gross"].as_i64()), (Some(19_500), Some(20_000)));
    assert!(receipt["paid_at"].is_string() && receipt["operator_name"].is_string(), "{receipt}");
    let html = server
        .client
        .get(format!("{}/v1/cashouts/{id}/receipt", server.base))
        .bearer_auth(&server.key)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("19,500원") && html.contains("<table>"), "{html}");
    // The same TOTP code cannot confirm a second cash-out: it was used (issue 11: answered
    // `otp_reused`, no longer `otp_invalid`).
    let (_, q2) = quote(&server, &c, json!(10_000)).await;
    let (_, second) = create(&server, q2["id"].as_str().unwrap()).await;
    let (status, reused) = confirm(&server, second["id"].as_str().unwrap(), &code_at(&c, &clock)).await;
    assert_eq!((status, reused["error"]["code"].as_str()), (400, Some("otp_reused")), "{reused}");
    server.assert_verified().await;
    server.stop().await;
}

/// The sandbox's failure path: a destination ending in 0000 is a closed account, so the
/// cash-out fails and the money goes back to the pockets it was held from.
async fn the_sandbox_rejects_a_closed_account_on(backend: Backend) {
    let (server, clock) = server_at(backend, settings(false)).await;
    let mut c = customer(&server, 1, "verified", true).await;
    server.topup(&c.id, "bank_transfer", 30_000).await;
    server.topup(&c.id, "cashback", 20_000).await;
    let closed = json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-780000", "holder_name": "김민지"});
    let (status, destination) = server.post(&format!("/v1/users/{}/payout-destinations", c.id), closed).await;
    assert_eq!(status, 200, "{destination}");
    c.destination = destination["id"].as_str().unwrap().to_string();
    let before = server.balances(&c.id).await;
    let (_, q) = quote(&server, &c, json!(45_000)).await;
    assert_eq!(q["sources"].as_array().unwrap().len(), 2, "drawn from cash and cashback: {q}");
    let (_, cashout) = create(&server, q["id"].as_str().unwrap()).await;
    let id = cashout["id"].as_str().unwrap().to_string();
    let (status, _) = confirm(&server, &id, &code_at(&c, &clock)).await;
    assert_eq!(status, 200);
    server.wait_for_cashout(&id, "in_transit").await;
    clock.set(START_US + 3_000_000);
    let failed = server.wait_for_cashout(&id, "failed").await;
    assert_eq!(failed["failure_reason"], "sandbox:AC04", "{failed}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while server.balances(&c.id).await["pending"] != 0 {
        assert!(tokio::time::Instant::now() < deadline, "the hold was never released");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after = server.balances(&c.id).await;
    assert_eq!(pocket(&after, "cash"), pocket(&before, "cash"));
    assert_eq!(pocket(&after, "cashback"), pocket(&before, "cashback"));
    assert_eq!(after["withdrawable"], before["withdrawable"]);
    server.assert_verified().await;
    server.stop().await;
}

async fn sms_codes_and_the_lockout_on(backend: Backend) {
    let (server, clock) = server_at(backend, settings(false)).await;
    let c = customer(&server, 1, "verified", false).await;
    server.topup(&c.id, "earning", 60_000).await;
    let (_, q) = quote(&server, &c, json!("max")).await;
    assert_eq!(q["gross"], 60_000, "max is everything withdrawable: {q}");
    let (status, cashout) = create(&server, q["id"].as_str().unwrap()).await;
    assert_eq!((status, cashout["otp_channel"].as_str()), (200, Some("sms")), "{cashout}");
    let id = cashout["id"].as_str().unwrap().to_string();
    let (status, outbox) = server.get("/v1/dev/sms-outbox").await;
    assert_eq!(status, 200);
    let text = outbox[0]["text"].as_str().unwrap();
    let code: String = text.split(": ").nth(1).unwrap().chars().take(6).collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{text}");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (1..=4).rev() {
        let (status, answer) = confirm(&server, &id, wrong).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (400, Some("otp_invalid")), "{answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains(&format!("{left} attempt")), "{answer}");
    }
    let (status, locked) = confirm(&server, &id, wrong).await;
    assert_eq!((status, locked["error"]["code"].as_str()), (409, Some("otp_locked")));
    let (status, after) = confirm(&server, &id, &code).await;
    assert_eq!((status, after["error"]["code"].as_str()), (409, Some("otp_locked")), "no code is accepted after that");
    let (_, canceled) = server.get(&format!("/v1/cashouts/{id}")).await;
    assert_eq!(
        (canceled["status"].as_str(), canceled["failure_reason"].as_str()),
        (Some("canceled"), Some("otp_locked"))
    );
    assert_eq!(pocket(&server.balances(&c.id).await, "cash"), (60_000, 0), "the hold is released");
    // A fresh cash-out (a minute later) confirmed with its SMS code goes through.
    clock.set(START_US + 60_000_000);
    let (_, q) = quote(&server, &c, json!(10_000)).await;
    let (_, cashout) = create(&server, q["id"].as_str().unwrap()).await;
    let (_, outbox) = server.get("/v1/dev/sms-outbox").await;
    let code: String = outbox[0]["text"].as_str().unwrap().split(": ").nth(1).unwrap().chars().take(6).collect();
    let (status, confirmed) = confirm(&server, cashout["id"].as_str().unwrap(), &code).await;
    assert_eq!((status, confirmed["status"].as_str()), (200, Some("processing")), "{confirmed}");
    server.assert_verified().await;
    server.stop().await;
}

async fn quotes_refuse_what_they_must_on(backend: Backend) {
    let (server, _clock) = server_at(backend, settings(false)).await;
    let c = customer(&server, 1, "basic", false).await;
    server.topup(&c.id, "carrier_billing", 100_000).await;
    server.topup(&c.id, "promo", 30_000).await;
    server.topup(&c.id, "cashback", 9_000).await;
    let refused = |answer: &Value| answer["error"]["code"].as_str().map(str::to_string);
    let (status, answer) = quote(&server, &c, json!(10_000)).await;
    assert_eq!(
        (status, refused(&answer).as_deref()),
        (409, Some("not_withdrawable")),
        "carrier, promo and cashback under its threshold"
    );
    let (status, answer) = quote(&server, &c, json!("max")).await;
    assert_eq!((status, refused(&answer).as_deref()), (409, Some("not_withdrawable")));
    server.topup(&c.id, "bank_transfer", 600_000).await;
    let (status, answer) = quote(&server, &c, json!(4_999)).await;
    assert_eq!(
        (status, refused(&answer).as_deref(), answer["error"]["param"].as_str()),
        (400, Some("below_minimum"), Some("amount"))
    );
    let (status, answer) = quote(&server, &c, json!(500_001)).await;
    assert_eq!((status, refused(&answer).as_deref()), (409, Some("limit_exceeded")), "basic KYC: ₩500,000 at once");
    let (status, max) = quote(&server, &c, json!("max")).await;
    assert_eq!((status, max["gross"].as_i64()), (200, Some(500_000)), "max stops at the limit: {max}");
    for (body, code, param) in [
        (json!({"amount": -1, "currency": "KRW", "destination_id": c.destination}), "invalid_amount", "amount"),
        (json!({"amount": "all", "currency": "KRW", "destination_id": c.destination}), "invalid_amount", "amount"),
        (
            json!({"amount": 10_000, "currency": "KRW", "destination_id": "dst_nope"}),
            "unknown_destination",
            "destination_id",
        ),
        (
            json!({"amount": 10_000, "currency": "KRW", "destination_id": c.destination, "speed": "warp"}),
            "invalid_speed",
            "speed",
        ),
    ] {
        let (status, answer) = server.post(&format!("/v1/users/{}/cashout-quotes", c.id), body.clone()).await;
        assert_eq!(
            (status, refused(&answer).as_deref(), answer["error"]["param"].as_str()),
            (400, Some(code), Some(param)),
            "{body}"
        );
    }
    // Another user's destination is not this user's.
    let other = customer(&server, 2, "basic", false).await;
    let body = json!({"amount": 10_000, "currency": "KRW", "destination_id": other.destination});
    let (status, _) = server.post(&format!("/v1/users/{}/cashout-quotes", c.id), body).await;
    assert_eq!(status, 400);
    // No KYC: kyc_required.
    let unchecked = server.create_user(3).await;
    server.topup(&unchecked, "bank_transfer", 50_000).await;
    let nobody = Customer { id: unchecked, destination: c.destination.clone(), totp: None };
    let (status, answer) = quote(&server, &nobody, json!(10_000)).await;
    assert_eq!(status, 400, "{answer}");
    server.stop().await;
}

async fn cancel_expiry_and_a_used_quote_on(backend: Backend) {
    let (server, clock) = server_at(backend, settings(false)).await;
    let c = customer(&server, 1, "basic", true).await;
    server.topup(&c.id, "bank_transfer", 100_000).await;
    // A quote binds for ten minutes.
    let (_, q) = quote(&server, &c, json!(10_000)).await;
    clock.set(START_US + 601_000_000);
    let (status, answer) = create(&server, q["id"].as_str().unwrap()).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("quote_expired")));
    // One quote, one cash-out.
    let (_, q) = quote(&server, &c, json!(10_000)).await;
    let (status, first) = create(&server, q["id"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let (status, again) = create(&server, q["id"].as_str().unwrap()).await;
    assert_eq!((status, again["error"]["code"].as_str()), (409, Some("invalid_state")), "{again}");
    assert_eq!(pocket(&server.balances(&c.id).await, "cash"), (90_000, 10_000));
    // Canceled before confirmation: released.
    let id = first["id"].as_str().unwrap();
    let (status, canceled) = server.post(&format!("/v1/cashouts/{id}/cancel"), json!({})).await;
    assert_eq!((status, canceled["status"].as_str()), (200, Some("canceled")));
    let operator = key_actor(&server, &server.key).await;
    assert_eq!(actors(&canceled), [operator.as_str(), operator.as_str()], "canceled by the key that asked");
    assert_eq!(pocket(&server.balances(&c.id).await, "cash"), (100_000, 0));
    let (status, twice) = server.post(&format!("/v1/cashouts/{id}/cancel"), json!({})).await;
    assert_eq!((status, twice["error"]["code"].as_str()), (409, Some("invalid_state")));
    // Unconfirmed past its deadline: expired by the worker, released.
    let (_, q) = quote(&server, &c, json!(10_000)).await;
    let (_, late) = create(&server, q["id"].as_str().unwrap()).await;
    let late = late["id"].as_str().unwrap().to_string();
    clock.set(clock.now_us() + 901_000_000);
    let expired = server.wait_for_cashout(&late, "expired").await;
    assert_eq!(actors(&expired), [operator.as_str(), "system:cashout-worker"], "expired by the worker");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while pocket(&server.balances(&c.id).await, "cash") != (100_000, 0) {
        assert!(tokio::time::Instant::now() < deadline, "the expired hold was never released");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, answer) = confirm(&server, &late, &code_at(&c, &clock)).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("invalid_state")));
    // Processing is past the point of canceling.
    let (_, q) = quote(&server, &c, json!(10_000)).await;
    let (_, going) = create(&server, q["id"].as_str().unwrap()).await;
    let going = going["id"].as_str().unwrap().to_string();
    confirm(&server, &going, &code_at(&c, &clock)).await;
    let (status, answer) = server.post(&format!("/v1/cashouts/{going}/cancel"), json!({})).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("invalid_state")), "{answer}");
    let (status, _) = server.get("/v1/cashouts/po_nothing").await;
    assert_eq!(status, 404);
    server.assert_verified().await;
    server.stop().await;
}

async fn review_holds_the_money_until_decided_on(backend: Backend) {
    let (server, clock) = server_at(backend, settings(true)).await;
    let c = customer(&server, 1, "basic", true).await;
    server.topup(&c.id, "bank_transfer", 100_000).await;
    let (_, q) = quote(&server, &c, json!(30_000)).await;
    let (_, cashout) = create(&server, q["id"].as_str().unwrap()).await;
    let id = cashout["id"].as_str().unwrap().to_string();
    let (status, reviewed) = confirm(&server, &id, &code_at(&c, &clock)).await;
    assert_eq!((status, reviewed["status"].as_str()), (200, Some("in_review")), "{reviewed}");
    assert_eq!(reviewed["risk"], json!({"decision": "review", "reasons": ["new_destination"]}));
    let (status, queue) = server.get("/v1/review-queue").await;
    assert_eq!((status, queue["data"][0]["id"].as_str()), (200, Some(id.as_str())));
    let readonly = server.key_for(smallchange::store::tenants::Role::Readonly, false).await;
    let (status, _) = server.post_as(&readonly, &format!("/v1/cashouts/{id}/approve"), json!({}), None).await;
    assert_eq!(status, 403);
    let (_, unchanged) = server.get(&format!("/v1/cashouts/{id}")).await;
    let operator = key_actor(&server, &server.key).await;
    assert_eq!(actors(&unchanged), [operator.as_str(), operator.as_str()], "a refused approval records nothing");
    assert_eq!(pocket(&server.balances(&c.id).await, "cash"), (70_000, 30_000), "held while in review");
    let reviewer = server.key_for(smallchange::store::tenants::Role::Reviewer, false).await;
    let (status, approved) = server
        .post_as(&reviewer, &format!("/v1/cashouts/{id}/approve"), json!({"reason": "known customer"}), None)
        .await;
    assert_eq!((status, approved["status"].as_str()), (200, Some("processing")), "{approved}");
    server.wait_for_cashout(&id, "in_transit").await;
    clock.set(START_US + 10_000_000);
    let paid = server.wait_for_cashout(&id, "paid").await;
    // Created and confirmed with the admin key, reviewed with the reviewer's, paid by the worker.
    let reviewer_actor = key_actor(&server, &reviewer).await;
    assert!(reviewer_actor.starts_with("api_key:key_") && reviewer_actor != operator, "{reviewer_actor}");
    assert_eq!(
        actors(&paid),
        [
            operator.as_str(),
            operator.as_str(),
            reviewer_actor.as_str(),
            "system:cashout-worker",
            "system:cashout-worker"
        ],
        "{paid}"
    );
    // A second one, rejected: canceled and released.
    clock.set(START_US + 60_000_000);
    let (_, q) = quote(&server, &c, json!(10_000)).await;
    let (_, cashout) = create(&server, q["id"].as_str().unwrap()).await;
    let second = cashout["id"].as_str().unwrap().to_string();
    // Paid before to this destination, but the velocity rule still allows it: approve anyway.
    let (status, confirmed) = confirm(&server, &second, &code_at(&c, &clock)).await;
    assert_eq!(status, 200, "{confirmed}");
    if confirmed["status"] == "in_review" {
        let (status, rejected) =
            server.post_as(&reviewer, &format!("/v1/cashouts/{second}/reject"), json!({"reason": "odd"}), None).await;
        assert_eq!((status, rejected["status"].as_str()), (200, Some("canceled")));
    } else {
        assert_eq!(confirmed["status"], "processing", "a known destination needs no review");
        let (status, answer) =
            server.post_as(&reviewer, &format!("/v1/cashouts/{second}/reject"), json!({}), None).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("invalid_state")));
    }
    server.assert_verified().await;
    server.stop().await;
}

async fn racing_cash_outs_hold_only_what_is_there_on(backend: Backend) {
    let (server, _clock) = server_at(backend, settings(false)).await;
    let c = customer(&server, 1, "verified", false).await;
    server.topup(&c.id, "bank_transfer", 16_000).await;
    let mut quotes = Vec::new();
    for _ in 0..100 {
        let (status, q) = quote(&server, &c, json!(5_000)).await;
        assert_eq!(status, 200, "{q}");
        quotes.push(q["id"].as_str().unwrap().to_string());
    }
    let server = Arc::new(server);
    let attempts = quotes.into_iter().map(|q| {
        let server = server.clone();
        tokio::spawn(async move { create(&server, &q).await })
    });
    let mut held = 0;
    for attempt in futures::future::join_all(attempts).await {
        let (status, answer) = attempt.unwrap();
        match status {
            200 => held += 1,
            409 => assert_eq!(answer["error"]["code"], "insufficient_funds", "{answer}"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert_eq!(held, 3, "₩16,000 covers three holds of ₩5,000");
    assert_eq!(pocket(&server.balances(&c.id).await, "cash"), (1_000, 15_000));
    server.assert_verified().await;
}

/// A cash-out of ₩10,000 awaiting its SMS code, a second after the last: `(id, code)`.
async fn awaiting_sms_code(server: &TestServer, clock: &Clock, c: &Customer) -> (String, String) {
    clock.set(clock.now_us() + 1_000_000);
    let (status, q) = quote(server, c, json!(10_000)).await;
    assert_eq!(status, 200, "{q}");
    let (status, cashout) = create(server, q["id"].as_str().unwrap()).await;
    assert_eq!((status, cashout["otp_channel"].as_str()), (200, Some("sms")), "{cashout}");
    let (_, outbox) = server.get("/v1/dev/sms-outbox").await;
    let code: String = outbox[0]["text"].as_str().unwrap().split(": ").nth(1).unwrap().chars().take(6).collect();
    (cashout["id"].as_str().unwrap().to_string(), code)
}

/// Sends each code to `id` at once; the answers in the same order.
async fn confirm_all_at_once(server: &Arc<TestServer>, id: &str, codes: Vec<String>) -> Vec<(u16, Value)> {
    let tries = codes.into_iter().map(|code| {
        let (server, id) = (server.clone(), id.to_string());
        tokio::spawn(async move { confirm(&server, &id, &code).await })
    });
    futures::future::join_all(tries).await.into_iter().map(|answer| answer.unwrap()).collect()
}

async fn stored_cashout(server: &TestServer, id: &str) -> smallchange::store::cashouts::Cashout {
    smallchange::store::cashouts::get(server.store(), &server.tenant, id).await.unwrap().unwrap()
}

/// Who made each step of a cash-out's timeline (null as "").
fn actors(cashout: &Value) -> Vec<String> {
    cashout["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// How the key with `secret` is recorded as the actor of what it does.
async fn key_actor(server: &TestServer, secret: &str) -> String {
    let hash = smallchange::store::tenants::hash_secret(secret);
    let owner = smallchange::store::tenants::find_key(server.store(), &hash).await.unwrap().unwrap();
    format!("api_key:{}", owner.key_id)
}

fn timeline(cashout: &Value) -> Vec<String> {
    cashout["timeline"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap().to_string()).collect()
}

/// Thirty wrong codes at once: each takes an attempt before its code is compared, so only
/// five are compared (four `otp_invalid`, the fifth cancels); the rest find none left. The
/// cash-out is canceled once, its hold released, and the right code after that is refused.
async fn racing_wrong_codes_are_compared_at_most_five_on(backend: Backend) {
    let (server, clock) = server_at(backend, settings(false)).await;
    let c = customer(&server, 1, "verified", false).await;
    server.topup(&c.id, "earning", 60_000).await;
    let (id, code) = awaiting_sms_code(&server, &clock, &c).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let server = Arc::new(server);
    let answers = confirm_all_at_once(&server, &id, vec![wrong.to_string(); 30]).await;
    let mut invalid = 0;
    for (status, answer) in &answers {
        match (status, answer["error"]["code"].as_str()) {
            (400, Some("otp_invalid")) => invalid += 1,
            (409, Some("otp_locked")) => {}
            other => panic!("unexpected {other:?}: {answer}"),
        }
    }
    assert_eq!(invalid, 4, "attempts 1 to 4 are told the code is wrong: {answers:?}");
    let stored = stored_cashout(&server, &id).await;
    assert_eq!(stored.otp_attempts, 5, "never more than five compared");
    let (_, canceled) = server.get(&format!("/v1/cashouts/{id}")).await;
    assert_eq!(
        (canceled["status"].as_str(), canceled["failure_reason"].as_str()),
        (Some("canceled"), Some("otp_locked"))
    );
    assert_eq!(timeline(&canceled), ["awaiting_confirmation", "canceled"], "canceled once");
    let operator = key_actor(&server, &server.key).await;
    assert_eq!(actors(&canceled), [operator.as_str(), operator.as_str()], "the key whose last wrong code canceled it");
    let (status, after) = confirm(&server, &id, &code).await;
    assert_eq!((status, after["error"]["code"].as_str()), (409, Some("otp_locked")), "{after}");
    assert_eq!(stored_cashout(&server, &id).await.otp_attempts, 5);
    assert_eq!(pocket(&server.balances(&c.id).await, "cash"), (60_000, 0), "the hold is released");
    server.assert_verified().await;
}

/// Twenty wrong codes and the right one at once: the right one confirms only if it got one
/// of the five attempts (and no wrong code at the fifth canceled first); either way at most
/// five codes are compared and the hold goes one way.
async fn a_right_code_racing_wrong_ones_needs_an_attempt_on(backend: Backend) {
    let (server, clock) = server_at(backend, settings(false)).await;
    let c = customer(&server, 1, "verified", false).await;
    server.topup(&c.id, "earning", 60_000).await;
    let (id, code) = awaiting_sms_code(&server, &clock, &c).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut codes = vec![wrong.to_string(); 20];
    codes.insert(10, code.clone());
    let server = Arc::new(server);
    let mut answers = confirm_all_at_once(&server, &id, codes).await;
    let (status, right) = answers.remove(10);
    let mut invalid = 0;
    for (status, answer) in &answers {
        match (status, answer["error"]["code"].as_str()) {
            (400, Some("otp_invalid")) => invalid += 1,
            (409, Some("otp_locked" | "invalid_state")) => {}
            other => panic!("unexpected {other:?}: {answer}"),
        }
    }
    assert!(invalid <= 4, "at most four wrong codes are told so: {answers:?}");
    let stored = stored_cashout(&server, &id).await;
    assert!(stored.otp_attempts <= 5, "never more than five compared: {}", stored.otp_attempts);
    if status == 200 {
        assert!(["processing", "in_review"].contains(&right["status"].as_str().unwrap()), "{right}");
        assert_ne!(stored.status, "canceled");
        assert_eq!(pocket(&server.balances(&c.id).await, "cash"), (50_000, 10_000), "still held");
    } else {
        assert_eq!((status, right["error"]["code"].as_str()), (409, Some("otp_locked")), "{right}");
        assert_eq!((stored.status.as_str(), stored.failure_reason.as_deref()), ("canceled", Some("otp_locked")));
        assert_eq!(stored.otp_attempts, 5);
        assert_eq!(pocket(&server.balances(&c.id).await, "cash"), (60_000, 0), "the hold is released");
    }
    server.assert_verified().await;
}

/// xorshift64*, so a failing case can be replayed from its seed.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed >> 12;
    *seed ^= *seed << 25;
    *seed ^= *seed >> 27;
    seed.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

async fn receipts_pay_the_quoted_net_under_random_fees_on(backend: Backend) {
    let mut seed = 0xfee5_u64;
    for case in 0..6 {
        let bps = (next(&mut seed) % 1_000) as i64;
        let fixed = (next(&mut seed) % 2_000) as i64;
        let min = (next(&mut seed) % 1_500) as i64;
        let max = min + (next(&mut seed) % 10_000) as i64;
        let gross = 5_000 + (next(&mut seed) % 200_000) as i64;
        let schedule = smallchange::domain::fees::FeeSchedule { bps, fixed, min, max };
        let (server, clock) = server_at(backend, |s: &mut Settings| {
            settings(false)(s);
            s.cashout.fees.get_mut("sandbox").unwrap().insert("standard".into(), schedule);
        })
        .await;
        let c = customer(&server, 1, "verified", true).await;
        server.topup(&c.id, "bank_transfer", 300_000).await;
        let context = format!("case {case}: {schedule:?}, gross {gross}");
        let (status, q) = quote(&server, &c, json!(gross)).await;
        if status != 200 {
            assert_eq!(q["error"]["code"], "below_minimum", "{context}: {q}");
            assert!(schedule.lines(gross).iter().map(|l| l.amount).sum::<i64>() >= gross, "{context}");
            server.stop().await;
            continue;
        }
        let fee_lines: i64 = q["fees"].as_array().unwrap().iter().map(|l| l["amount"].as_i64().unwrap()).sum();
        let (fee, net) = (q["fee"].as_i64().unwrap(), q["net"].as_i64().unwrap());
        assert!(fee >= 0 && fee == fee_lines && net == gross - fee, "{context}: {q}");
        // Rounded in the user's favour: never more than the exact percentage plus the fixed part, unless raised to the minimum.
        assert!(
            i128::from(fee) * 10_000 <= i128::from(gross) * i128::from(bps) + i128::from(fixed) * 10_000 || fee == min,
            "{context}"
        );
        let (_, cashout) = create(&server, q["id"].as_str().unwrap()).await;
        let id = cashout["id"].as_str().unwrap().to_string();
        let (status, _) = confirm(&server, &id, &code_at(&c, &clock)).await;
        assert_eq!(status, 200, "{context}");
        server.wait_for_cashout(&id, "in_transit").await;
        clock.set(START_US + 10_000_000);
        server.wait_for_cashout(&id, "paid").await;
        let (_, receipt) = server.get(&format!("/v1/cashouts/{id}/receipt")).await;
        assert_eq!((receipt["net"].as_i64(), receipt["fee"].as_i64()), (Some(net), Some(fee)), "{context}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let sent = format!("{}/:payouts:sandbox:KRW", server.tenant);
        loop {
            if smallchange::store::ledger::get_account(server.store(), &sent).await.unwrap().is_some() {
                assert_eq!(server.counters_of(&sent).await[3], net, "{context}: the rail sent exactly the quoted net");
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{context}: never paid out");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.assert_verified().await;
        server.stop().await;
    }
}

both_backends!(codes_go_through_the_sms_gateway, super::codes_go_through_the_sms_gateway_on);

/// An SMS gateway on loopback that keeps what it is sent, or fails while told to.
struct Gateway {
    url: String,
    sent: Arc<std::sync::Mutex<Vec<Value>>>,
    failing: Arc<std::sync::atomic::AtomicBool>,
    server: tokio::task::JoinHandle<()>,
}

async fn gateway() -> Gateway {
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    type Shared = (Arc<std::sync::Mutex<Vec<Value>>>, Arc<std::sync::atomic::AtomicBool>);
    async fn receive(
        State((sent, failing)): State<Shared>,
        headers: HeaderMap,
        axum::Json(body): axum::Json<Value>,
    ) -> StatusCode {
        if failing.load(std::sync::atomic::Ordering::SeqCst) {
            return StatusCode::SERVICE_UNAVAILABLE;
        }
        assert_eq!(headers.get("authorization").and_then(|h| h.to_str().ok()), Some("Bearer gw-token"));
        sent.lock().unwrap().push(body);
        StatusCode::OK
    }
    let shared: Shared = Default::default();
    let app = axum::Router::new().route("/sms", axum::routing::post(receive)).with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Gateway { url, sent: shared.0, failing: shared.1, server }
}

async fn codes_go_through_the_sms_gateway_on(backend: Backend) {
    let gateway = gateway().await;
    let url = gateway.url.clone();
    let (server, clock) = server_at(backend, move |s: &mut Settings| {
        settings(false)(s);
        s.sms_gateway_url = url;
        s.sms_gateway_token = "gw-token".into();
    })
    .await;
    let c = customer(&server, 1, "basic", false).await;
    server.topup(&c.id, "bank_transfer", 50_000).await;
    // The gateway is down: the cash-out stands, and a new code can be asked for.
    gateway.failing.store(true, std::sync::atomic::Ordering::SeqCst);
    let (_, q) = quote(&server, &c, json!(10_000)).await;
    let (status, cashout) = create(&server, q["id"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{cashout}");
    let id = cashout["id"].as_str().unwrap().to_string();
    assert!(gateway.sent.lock().unwrap().is_empty());
    let (status, _) = server.get("/v1/dev/sms-outbox").await;
    assert_eq!(status, 404, "with a gateway there is no outbox");
    gateway.failing.store(false, std::sync::atomic::Ordering::SeqCst);
    let (status, _) = server.post(&format!("/v1/cashouts/{id}/resend-code"), json!({})).await;
    assert_eq!(status, 200);
    let message = gateway.sent.lock().unwrap()[0].clone();
    assert_eq!(message["to"], "+821000000001");
    let code: String = message["text"].as_str().unwrap().split(": ").nth(1).unwrap().chars().take(6).collect();
    let (status, confirmed) = confirm(&server, &id, &code).await;
    assert_eq!((status, confirmed["status"].as_str()), (200, Some("processing")), "{confirmed}");
    server.wait_for_cashout(&id, "in_transit").await;
    clock.set(START_US + 5_000_000);
    server.wait_for_cashout(&id, "paid").await;
    let (status, again) = server.post(&format!("/v1/cashouts/{id}/resend-code"), json!({})).await;
    assert_eq!((status, again["error"]["code"].as_str()), (409, Some("invalid_state")));
    server.stop().await;
    gateway.server.abort();
}

both_backends!(auto_cash_out_at_the_threshold, super::auto_cash_out_at_the_threshold_on);

async fn cashouts_of(server: &TestServer, user: &str) -> Vec<Value> {
    let (status, list) = server.get(&format!("/v1/users/{user}/cashouts")).await;
    assert_eq!(status, 200, "{list}");
    list["data"].as_array().unwrap().clone()
}

async fn auto_cash_out_at_the_threshold_on(backend: Backend) {
    for standing in [false, true] {
        let (server, clock) = server_at(backend, move |s: &mut Settings| {
            settings(false)(s);
            s.cashout.auto_standing_authorisation = standing;
        })
        .await;
        let c = customer(&server, 1, "basic", false).await;
        let path = format!("/v1/users/{}/auto-cashout", c.id);
        let put = |body: Value| {
            let request = server.client.put(format!("{}{path}", server.base)).bearer_auth(&server.key).json(&body);
            async move {
                let response = request.send().await.unwrap();
                (response.status().as_u16(), response.json::<Value>().await.unwrap())
            }
        };
        let (status, refused) =
            put(json!({"enabled": true, "threshold": 4_999, "destination_id": c.destination})).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (400, Some("invalid_threshold")));
        let (status, refused) = put(json!({"enabled": true, "threshold": 30_000, "destination_id": "dst_nope"})).await;
        assert_eq!((status, refused["error"]["param"].as_str()), (400, Some("destination_id")));
        let (status, set) = put(json!({"enabled": true, "threshold": 30_000, "destination_id": c.destination})).await;
        assert_eq!((status, set["standing_authorisation"].as_bool()), (200, Some(standing)), "{set}");
        server.topup(&c.id, "bank_transfer", 20_000).await;
        server.topup(&c.id, "carrier_billing", 50_000).await;
        // Withdrawable is ₩20,000 (carrier value never counts): under the threshold, nothing happens.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(cashouts_of(&server, &c.id).await.is_empty());
        server.topup(&c.id, "earning", 15_000).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let cashout = loop {
            if let Some(first) = cashouts_of(&server, &c.id).await.first() {
                break first.clone();
            }
            assert!(tokio::time::Instant::now() < deadline, "no auto-cash-out was created");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(cashout["quote"]["gross"], 35_000, "everything withdrawable: {cashout}");
        let id = cashout["id"].as_str().unwrap().to_string();
        if standing {
            server.wait_for_cashout(&id, "in_transit").await;
            clock.set(START_US + 10_000_000);
            let paid = server.wait_for_cashout(&id, "paid").await;
            assert!(paid["timeline"].to_string().contains("standing auto-cash-out authorisation"), "{paid}");
        } else {
            assert_eq!(cashout["status"], "awaiting_confirmation");
            // The code is sent just after the hold commits: wait for it, as a phone would.
            let mut outbox = server.get("/v1/dev/sms-outbox").await.1;
            while outbox.as_array().is_none_or(|sent| sent.is_empty()) {
                assert!(tokio::time::Instant::now() < deadline, "no code was sent");
                tokio::time::sleep(Duration::from_millis(20)).await;
                outbox = server.get("/v1/dev/sms-outbox").await.1;
            }
            let code: String =
                outbox[0]["text"].as_str().unwrap().split(": ").nth(1).unwrap().chars().take(6).collect();
            let (status, confirmed) = confirm(&server, &id, &code).await;
            assert_eq!((status, confirmed["status"].as_str()), (200, Some("processing")), "{confirmed}");
        }
        // One at a time: no second auto-cash-out while this one is open.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(cashouts_of(&server, &c.id).await.len(), 1);
        server.assert_verified().await;
        server.stop().await;
    }
}

both_backends!(disputes_are_resolved_once, super::disputes_are_resolved_once_on);

async fn disputes_are_resolved_once_on(backend: Backend) {
    let (server, clock) = server_at(backend, settings(false)).await;
    let c = customer(&server, 1, "basic", true).await;
    server.topup(&c.id, "bank_transfer", 50_000).await;
    server.topup(&c.id, "refund", 10_000).await;
    let (_, q) = quote(&server, &c, json!(30_000)).await;
    assert_eq!(q["sources"], json!([{"pocket": "refund", "amount": 10_000}, {"pocket": "cash", "amount": 20_000}]));
    let (_, cashout) = create(&server, q["id"].as_str().unwrap()).await;
    let id = cashout["id"].as_str().unwrap().to_string();
    let path = format!("/v1/cashouts/{id}/disputes");
    let (status, early) = server.post(&path, json!({"reason": "not confirmed yet"})).await;
    assert_eq!((status, early["error"]["code"].as_str()), (409, Some("invalid_state")));
    confirm(&server, &id, &code_at(&c, &clock)).await;
    server.wait_for_cashout(&id, "in_transit").await;
    clock.set(START_US + 10_000_000);
    server.wait_for_cashout(&id, "paid").await;
    let (status, dispute) = server.post(&path, json!({"reason": "the money never arrived"})).await;
    assert_eq!((status, dispute["status"].as_str()), (200, Some("open")), "{dispute}");
    let operator = key_actor(&server, &server.key).await;
    assert!(operator.starts_with("api_key:key_"), "{operator}");
    assert_eq!((dispute["opened_by"].as_str(), dispute["resolved_by"].as_str()), (Some(operator.as_str()), None));
    let (status, second) = server.post(&path, json!({"reason": "again"})).await;
    assert_eq!((status, second["error"]["code"].as_str()), (409, Some("invalid_state")), "one open dispute at a time");
    let resolve = format!("/v1/disputes/{}/resolve", dispute["id"].as_str().unwrap());
    let readonly = server.key_for(smallchange::store::tenants::Role::Readonly, false).await;
    let (status, _) = server.post_as(&readonly, &resolve, json!({"outcome": "rejected"}), None).await;
    assert_eq!(status, 403);
    let (_, still_open) = server.get(&format!("/v1/disputes/{}", dispute["id"].as_str().unwrap())).await;
    assert_eq!((still_open["status"].as_str(), still_open["resolved_by"].as_str()), (Some("open"), None));
    for (body, code) in [
        (json!({"outcome": "upheld", "adjustment": 30_001}), "invalid_adjustment"),
        (json!({"outcome": "upheld", "adjustment": 0}), "invalid_adjustment"),
        (json!({"outcome": "rejected", "adjustment": 100}), "invalid_adjustment"),
        (json!({"outcome": "maybe"}), "invalid_outcome"),
    ] {
        let (status, answer) = server.post(&resolve, body.clone()).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (400, Some(code)), "{body}");
    }
    let before = server.balances(&c.id).await;
    // Upheld with ₩25,000 back: the last source (cash, 20,000) first, then refund (5,000).
    let (status, upheld) =
        server.post(&resolve, json!({"outcome": "upheld", "adjustment": 25_000, "note": "bank confirmed"})).await;
    assert_eq!(
        (status, upheld["status"].as_str(), upheld["adjustment"].as_i64()),
        (200, Some("upheld"), Some(25_000)),
        "{upheld}"
    );
    let after = server.balances(&c.id).await;
    assert_eq!(pocket(&after, "cash").0 - pocket(&before, "cash").0, 20_000);
    assert_eq!(pocket(&after, "refund").0 - pocket(&before, "refund").0, 5_000);
    let (status, twice) = server.post(&resolve, json!({"outcome": "rejected"})).await;
    assert_eq!((status, twice["error"]["code"].as_str()), (409, Some("invalid_state")));
    // A second dispute can pay back at most what is left (₩5,000), and a rejection pays nothing.
    let (_, another) = server.post(&path, json!({"reason": "fee dispute"})).await;
    let resolve = format!("/v1/disputes/{}/resolve", another["id"].as_str().unwrap());
    let (status, _) = server.post(&resolve, json!({"outcome": "upheld", "adjustment": 5_001})).await;
    assert_eq!(status, 400);
    let reviewer = server.key_for(smallchange::store::tenants::Role::Reviewer, false).await;
    let (status, rejected) =
        server.post_as(&reviewer, &resolve, json!({"outcome": "rejected", "note": "fee was quoted"}), None).await;
    assert_eq!((status, rejected["status"].as_str()), (200, Some("rejected")));
    let reviewer_actor = key_actor(&server, &reviewer).await;
    assert_eq!(
        (rejected["opened_by"].as_str(), rejected["resolved_by"].as_str()),
        (Some(operator.as_str()), Some(reviewer_actor.as_str())),
        "{rejected}"
    );
    let (_, read) = server.get(&format!("/v1/disputes/{}", upheld["id"].as_str().unwrap())).await;
    assert_eq!(
        (read["opened_by"].as_str(), read["resolved_by"].as_str()),
        (Some(operator.as_str()), Some(operator.as_str()))
    );
    assert_eq!(server.balances(&c.id).await, after);
    server.assert_verified().await;
    server.stop().await;
}

both_backends!(status_changes_honour_idempotency_keys, super::status_changes_honour_idempotency_keys_on);
both_backends!(
    a_claim_of_a_gone_server_is_taken_over_at_once,
    super::a_claim_of_a_gone_server_is_taken_over_at_once_on
);

/// A status change whose server was killed while it worked leaves its key claimed. A retry
/// waits (409 `request_in_progress`) while that server may still be alive, and takes the
/// claim over at once when it is gone — stopped, or silent for longer than
/// `GONE_AFTER_US` — and makes the change once.
async fn a_claim_of_a_gone_server_is_taken_over_at_once_on(backend: Backend) {
    use smallchange::store::{boots, idempotency, now_us};
    let (server, _clock) = server_at(backend, settings(false)).await;
    let c = customer(&server, 1, "verified", true).await;
    server.topup(&c.id, "bank_transfer", 100_000).await;
    let (_, q) = quote(&server, &c, json!(20_000)).await;
    let (_, cashout) = create(&server, q["id"].as_str().unwrap()).await;
    let path = format!("/v1/cashouts/{}/cancel", cashout["id"].as_str().unwrap());
    let body = json!({});
    let request_hash = smallchange::http::idempotency::request_hash(&path, &serde_json::to_vec(&body).unwrap().into());
    let db = server.store();
    // Another server, alive a moment ago, claimed the key and has not answered yet.
    boots::register(db, "boot_other", now_us()).await.unwrap();
    let scoped = format!("{}/cancel-1", server.tenant);
    assert!(idempotency::claim(db, &scoped, &request_hash, "boot_other", now_us()).await.unwrap());
    let (status, answer) = server.post_as(&server.key, &path, body.clone(), Some("cancel-1")).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("request_in_progress")), "{answer}");
    // It falls silent for longer than a live server ever does: the retry does the work.
    boots::beat(db, "boot_other", now_us() - boots::GONE_AFTER_US - 1_000_000).await.unwrap();
    let (status, answer) = server.post_as(&server.key, &path, body.clone(), Some("cancel-1")).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("canceled")), "{answer}");
    let (status, again) = server.post_as(&server.key, &path, body.clone(), Some("cancel-1")).await;
    assert_eq!((status, &again), (200, &answer), "the first answer again");

    // A claim of a server that stopped (it left `server_boots`) is free at once.
    let (_, q) = quote(&server, &c, json!(10_000)).await;
    let (_, cashout) = create(&server, q["id"].as_str().unwrap()).await;
    let path = format!("/v1/cashouts/{}/cancel", cashout["id"].as_str().unwrap());
    let request_hash = smallchange::http::idempotency::request_hash(&path, &serde_json::to_vec(&body).unwrap().into());
    let scoped = format!("{}/cancel-2", server.tenant);
    assert!(idempotency::claim(db, &scoped, &request_hash, "boot_other", now_us()).await.unwrap());
    boots::leave(db, "boot_other").await.unwrap();
    let (status, answer) = server.post_as(&server.key, &path, body, Some("cancel-2")).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("canceled")), "{answer}");
    server.assert_verified().await;
}

/// A confirmation retried with its key after its answer was lost gets the first answer, not
/// `invalid_state`; copies racing it do no work (no code compared, no attempt taken); the
/// same key on another request is refused.
async fn status_changes_honour_idempotency_keys_on(backend: Backend) {
    let (server, clock) = server_at(backend, settings(false)).await;
    let c = customer(&server, 1, "verified", true).await;
    server.topup(&c.id, "bank_transfer", 100_000).await;
    let (_, q) = quote(&server, &c, json!(20_000)).await;
    let (_, cashout) = create(&server, q["id"].as_str().unwrap()).await;
    let id = cashout["id"].as_str().unwrap().to_string();
    let path = format!("/v1/cashouts/{id}/confirm");
    let body = json!({"otp": code_at(&c, &clock)});
    let server = Arc::new(server);
    let tries = (0..4).map(|_| {
        let (server, path, body) = (server.clone(), path.clone(), body.clone());
        tokio::spawn(async move { server.post_as(&server.key, &path, body, Some("confirm-1")).await })
    });
    let answers: Vec<(u16, Value)> = futures::future::join_all(tries).await.into_iter().map(Result::unwrap).collect();
    let confirmed: Vec<&Value> = answers.iter().filter(|(status, _)| *status == 200).map(|(_, a)| a).collect();
    assert!(!confirmed.is_empty(), "{answers:?}");
    for (status, answer) in &answers {
        // A racing copy does no work: it hears the first answer, or that it is still coming.
        let in_progress = (*status, answer["error"]["code"].as_str()) == (409, Some("request_in_progress"));
        assert!(*status == 200 || in_progress, "{answer}");
    }
    let stored = smallchange::store::cashouts::get(server.store(), &server.tenant, &id).await.unwrap().unwrap();
    assert!(stored.confirmed_at.is_some(), "confirmed: {}", stored.status);
    assert_eq!(stored.otp_attempts, 1, "one code compared");
    // Retried afterwards: the first answer again.
    let (status, again) = server.post_as(&server.key, &path, body.clone(), Some("confirm-1")).await;
    assert_eq!((status, &again["id"], &again["status"]), (200, &json!(id), &json!("processing")), "{again}");
    // The same key on a different request is refused; a cancel after confirmation is a 409.
    let (status, reused) = server.post_as(&server.key, &path, json!({"otp": "000000"}), Some("confirm-1")).await;
    assert_eq!((status, reused["error"]["code"].as_str()), (409, Some("idempotency_key_reused")), "{reused}");
    let cancel = format!("/v1/cashouts/{id}/cancel");
    let (status, _) = server.post_as(&server.key, &cancel, json!({}), Some("cancel-1")).await;
    assert_eq!(status, 409);
    server.assert_verified().await;
}

both_backends!(the_cash_out_benchmark_runs_the_whole_path, super::the_cash_out_benchmark_runs_the_whole_path_on);

/// `bench cashout` drives quote → hold → confirm → paid for every user and checks the
/// ledger; here only that it finishes and reports, not how fast.
async fn the_cash_out_benchmark_runs_the_whole_path_on(backend: Backend) {
    let db = fresh_db(backend).await;
    let settings = support::test_settings(&db);
    let args = smallchange::cli::bench::cashout::CashoutArgs { db: Default::default(), cashouts: 12, connections: 4 };
    let line = smallchange::cli::bench::cashout::cashout_bench(args, settings).await.expect("the benchmark runs");
    assert_eq!((line["bench"].as_str(), line["cashouts"].as_u64()), (Some("cashout"), Some(12)), "{line}");
    assert!(line["cashouts_per_s"].as_f64().is_some_and(|rate| rate > 0.0), "{line}");
    assert!(line["all_paid_s"].as_f64().is_some(), "{line}");
}
