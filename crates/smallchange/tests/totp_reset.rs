//! A user's lost authenticator, on both backends: a TOTP code used once is refused as
//! `otp_reused` without taking an attempt, and an operator resets the authenticator
//! (`DELETE /v1/users/{id}/totp`, admin only, recorded with who did it), after which the
//! user's cash-outs are confirmed by SMS until they enrol again.

mod support;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::store::tenants::Role;
use support::{fresh_db, spawn_with_clock, Backend, TestServer};
use totp_rs::{Algorithm, Secret, TOTP};

both_backends!(a_used_code_is_refused_without_an_attempt, super::a_used_code_is_refused_without_an_attempt_on);
both_backends!(an_operator_resets_a_lost_authenticator, super::an_operator_resets_a_lost_authenticator_on);

/// 2026-11-10 03:00 UTC, on a 30 s step boundary.
const START_US: i64 = 1_794_279_600_000_000;

async fn server(backend: Backend) -> (TestServer, Clock) {
    let clock = Clock::fixed(START_US);
    let adjust = |s: &mut smallchange::config::Settings| {
        s.cashout.rails.bank_account = "sandbox".into();
        s.cashout.risk.review_new_destination = false;
    };
    (spawn_with_clock(fresh_db(backend).await, adjust, clock.clone()).await, clock)
}

/// A verified user with ₩100,000 and a bank destination: its id and the destination's.
async fn customer(server: &TestServer) -> (String, String) {
    let user = server.create_user(1).await;
    let kyc = json!({"level": "verified", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    let (status, answer) = server.post(&format!("/v1/users/{user}/kyc"), kyc).await;
    assert_eq!(status, 200, "{answer}");
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-789012", "holder_name": "김민지"});
    let (status, destination) = server.post(&format!("/v1/users/{user}/payout-destinations"), bank).await;
    assert_eq!(status, 200, "{destination}");
    server.topup(&user, "bank_transfer", 100_000).await;
    (user, destination["id"].as_str().unwrap().to_string())
}

async fn enrol(server: &TestServer, user: &str) -> TOTP {
    let (status, enrolled) = server.post(&format!("/v1/users/{user}/totp"), json!({})).await;
    assert_eq!(status, 200, "{enrolled}");
    let bytes = Secret::Encoded(enrolled["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    TOTP::new(Algorithm::SHA1, 6, 0, 30, bytes, None, "user".into()).unwrap()
}

/// A new cash-out of ₩10,000 awaiting its code.
async fn awaiting(server: &TestServer, user: &str, destination: &str) -> Value {
    let body = json!({"amount": 10_000, "currency": "KRW", "destination_id": destination});
    let (status, quote) = server.post(&format!("/v1/users/{user}/cashout-quotes"), body).await;
    assert_eq!(status, 200, "{quote}");
    let (status, cashout) = server.post("/v1/cashouts", json!({"quote_id": quote["id"]})).await;
    assert_eq!(status, 200, "{cashout}");
    cashout
}

async fn confirm(server: &TestServer, id: &Value, otp: &str) -> (u16, Value) {
    server.post(&format!("/v1/cashouts/{}/confirm", id.as_str().unwrap()), json!({"otp": otp})).await
}

fn code_at(totp: &TOTP, clock: &Clock) -> String {
    totp.generate((clock.now_us() / 1_000_000) as u64)
}

async fn a_used_code_is_refused_without_an_attempt_on(backend: Backend) {
    let (server, clock) = server(backend).await;
    let (user, destination) = customer(&server).await;
    let totp = enrol(&server, &user).await;
    let first = awaiting(&server, &user, &destination).await;
    let code = code_at(&totp, &clock);
    let (status, confirmed) = confirm(&server, &first["id"], &code).await;
    assert_eq!((status, confirmed["status"].as_str()), (200, Some("processing")), "{confirmed}");

    // The same code, still current, for a second cash-out: refused as reused, more times
    // than the five attempts a cash-out has, and none of them counts.
    clock.set(clock.now_us() + 5_000_000);
    let second = awaiting(&server, &user, &destination).await;
    for _ in 0..7 {
        let (status, error) = confirm(&server, &second["id"], &code).await;
        assert_eq!((status, error["error"]["code"].as_str()), (400, Some("otp_reused")), "{error}");
        assert_eq!(error["error"]["message"], "this code was used already; wait for the next one");
        assert_eq!(error["error"]["param"], "otp");
    }
    let stored = smallchange::store::cashouts::get(server.store(), &server.tenant, second["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.status.as_str(), stored.otp_attempts), ("awaiting_confirmation", 0));

    // A wrong code still takes an attempt and says how many are left.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, error) = confirm(&server, &second["id"], wrong).await;
    assert_eq!((status, error["error"]["code"].as_str()), (400, Some("otp_invalid")), "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("4 attempt(s) left"), "{error}");

    // The next step's code confirms it.
    clock.set(clock.now_us() + 30_000_000);
    let (status, confirmed) = confirm(&server, &second["id"], &code_at(&totp, &clock)).await;
    assert_eq!((status, confirmed["status"].as_str()), (200, Some("processing")), "{confirmed}");
    server.assert_verified().await;
    server.stop().await;
}

async fn resets(server: &TestServer, user: &str) -> Vec<(String, Option<i64>)> {
    use smallchange::store::Db;
    let sql = "SELECT actor, enrolled_at FROM totp_resets WHERE tenant_id = $1 AND user_id = $2 ORDER BY id";
    match server.store() {
        Db::Sqlite(pool) => sqlx::query_as(sql).bind(&server.tenant).bind(user).fetch_all(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_as(sql).bind(&server.tenant).bind(user).fetch_all(pool).await.unwrap(),
    }
}

async fn an_operator_resets_a_lost_authenticator_on(backend: Backend) {
    let (server, clock) = server(backend).await;
    let (user, destination) = customer(&server).await;
    let old = enrol(&server, &user).await;
    let path = format!("/v1/users/{user}/totp");
    let delete = |key: String, path: String| {
        let request = server.client.delete(format!("{}{path}", server.base)).bearer_auth(key);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };

    // Only an admin may reset, only the tenant's own users, and a refusal changes nothing.
    let reviewer = server.key_for(Role::Reviewer, false).await;
    let (status, error) = delete(reviewer, path.clone()).await;
    assert_eq!((status, error["error"]["code"].as_str()), (403, Some("permission_denied")), "{error}");
    let other_tenant = server.key_for(Role::Admin, true).await;
    assert_eq!(delete(other_tenant, path.clone()).await.0, 404);
    assert_eq!(delete(server.key.clone(), "/v1/users/usr_nobody/totp".into()).await.0, 404);
    let (_, shown) = server.get(&format!("/v1/users/{user}")).await;
    assert_eq!(shown["totp_enrolled"], true);
    assert!(resets(&server, &user).await.is_empty());

    // The reset: the user is shown without an authenticator, and who did it is recorded.
    clock.set(clock.now_us() + 60_000_000);
    let (status, reset) = delete(server.key.clone(), path.clone()).await;
    assert_eq!(status, 200, "{reset}");
    assert_eq!((reset["id"].as_str(), reset["totp_enrolled"].as_bool()), (Some(user.as_str()), Some(false)));
    let hash = smallchange::store::tenants::hash_secret(&server.key);
    let owner = smallchange::store::tenants::find_key(server.store(), &hash).await.unwrap().unwrap();
    let recorded = resets(&server, &user).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].0, format!("api_key:{}", owner.key_id));
    assert!(recorded[0].1.is_some(), "the removed enrolment's time is kept");

    // Resetting again answers the same and records nothing more.
    let (status, again) = delete(server.key.clone(), path.clone()).await;
    assert_eq!((status, again["totp_enrolled"].as_bool()), (200, Some(false)));
    assert_eq!(resets(&server, &user).await.len(), 1);

    // The old authenticator's codes confirm nothing now: the cash-out asks for an SMS code.
    let cashout = awaiting(&server, &user, &destination).await;
    let (status, error) = confirm(&server, &cashout["id"], &code_at(&old, &clock)).await;
    assert_eq!((status, error["error"]["code"].as_str()), (400, Some("otp_invalid")), "{error}");
    let (_, outbox) = server.get("/v1/dev/sms-outbox").await;
    let sms = outbox[0]["text"].as_str().unwrap();
    let code: String = sms.chars().filter(char::is_ascii_digit).collect::<String>();
    let code = &code[code.len() - 6..];
    let (status, confirmed) = confirm(&server, &cashout["id"], code).await;
    assert_eq!((status, confirmed["status"].as_str()), (200, Some("processing")), "{confirmed}");

    // The user enrols again, with a new secret, and confirms with it.
    let new = enrol(&server, &user).await;
    assert_ne!(new.get_secret_base32(), old.get_secret_base32());
    let next = awaiting(&server, &user, &destination).await;
    let (status, confirmed) = confirm(&server, &next["id"], &code_at(&new, &clock)).await;
    assert_eq!((status, confirmed["status"].as_str()), (200, Some("processing")), "{confirmed}");
    server.assert_verified().await;
    server.stop().await;
}
