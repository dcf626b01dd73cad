//! Gift cards through the HTTP API on both backends: programs, issue (code shown once,
//! stored sealed), check with every failing reason, redemption into a per-card pocket
//! (once, even under 50 concurrent attempts), and remainder refunds under the Korean
//! standard terms, to `cash` only for cards bought from a withdrawable source. Who created
//! a program, issued a card and redeemed it is recorded and shown.

mod support;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::store::tenants::Role;
use support::{spawn, spawn_with_clock, Backend, TestServer};

both_backends!(cards_are_issued_checked_and_redeemed, super::cards_are_issued_checked_and_redeemed_on);
both_backends!(remainders_follow_the_purchase_money, super::remainders_follow_the_purchase_money_on);
both_backends!(a_code_redeems_once_under_a_race, super::a_code_redeems_once_under_a_race_on);
both_backends!(program_and_issue_refusals, super::program_and_issue_refusals_on);
both_backends!(expiring_cards_are_announced_once, super::expiring_cards_are_announced_once_on);
both_backends!(who_created_issued_and_redeemed_is_shown, super::who_created_issued_and_redeemed_is_shown_on);

/// 2026-11-01 00:00 UTC.
const NOV_1_US: i64 = 1_793_491_200_000_000;
const DAY_US: i64 = 86_400_000_000;

async fn program(server: &TestServer, brand: &str, validity_days: i64) -> String {
    let body = json!({"brand": brand, "currency": "KRW", "region": "KR", "face_values": [5_000, 10_000, 50_000],
        "validity_days": validity_days});
    let (status, program) = server.post("/v1/gift-card-programs", body).await;
    assert_eq!(status, 200, "{program}");
    assert_eq!(
        program["refund_rule"],
        json!({"threshold_bps_over": 6000, "threshold_bps_small": 8000, "small_face_max": 10000})
    );
    program["id"].as_str().unwrap().to_string()
}

async fn issue(server: &TestServer, program: &str, face_value: i64, purchased_with: &str) -> Value {
    let body = json!({"program_id": program, "face_value": face_value, "purchased_with": purchased_with, "purchaser_ref": "order-1"});
    let (status, card) = server.post("/v1/gift-cards", body).await;
    assert_eq!(status, 200, "{card}");
    card
}

async fn redeem(server: &TestServer, user: &str, brand: &str, code: &str) -> (u16, Value) {
    server.post(&format!("/v1/users/{user}/gift-cards"), json!({"brand": brand, "code": code})).await
}

async fn check(server: &TestServer, brand: &str, code: &str, region: &str) -> Value {
    let (status, answer) =
        server.post("/v1/gift-cards/check", json!({"brand": brand, "code": code, "region": region})).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn cards_are_issued_checked_and_redeemed_on(backend: Backend) {
    let clock = Clock::fixed(NOV_1_US);
    let server = spawn_with_clock(support::fresh_db(backend).await, |_| {}, clock.clone()).await;
    let short = program(&server, "CultureLand", 10).await;
    let long = program(&server, "HappyMoney", 365).await;
    let card = issue(&server, &short, 10_000, "bank_transfer").await;
    let code = card["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 19, "{card}");
    assert!(card["masked_code"].as_str().unwrap().ends_with(&code[15..]));
    assert_eq!((card["status"].as_str(), card["remaining"].as_i64()), (Some("issued"), Some(10_000)));
    // Shown once: reading the card shows it masked only; the database holds it sealed.
    let id = card["id"].as_str().unwrap();
    let (_, read) = server.get(&format!("/v1/gift-cards/{id}")).await;
    assert!(read.get("code").is_none(), "{read}");
    let stored: String = match server.store() {
        smallchange::store::Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT code_sealed FROM gift_cards").fetch_one(pool).await.unwrap()
        }
        smallchange::store::Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT code_sealed FROM gift_cards").fetch_one(pool).await.unwrap()
        }
    };
    assert!(!stored.contains(&code) && !stored.contains(&code.replace('-', "")), "the code is stored in plain text");

    let answer = check(&server, "CultureLand", &code, "KR").await;
    assert_eq!(
        answer,
        json!({"eligible": true, "reasons": [], "face_value": 10_000, "remaining": 10_000,
        "expires_at": card["expires_at"]})
    );
    assert_eq!(check(&server, "Nope", &code, "KR").await["reasons"], json!(["card_brand_unsupported"]));
    assert_eq!(check(&server, "CultureLand", "0000-0000-0000-0000", "KR").await["reasons"], json!(["card_not_found"]));
    assert_eq!(check(&server, "HappyMoney", &code, "KR").await["reasons"], json!(["card_not_found"]));
    assert_eq!(check(&server, "CultureLand", &code, "JP").await["reasons"], json!(["card_region_locked"]));

    let user = server.create_user(1).await;
    server.topup(&user, "bank_transfer", 3_000).await;
    let far = issue(&server, &long, 5_000, "bank_transfer").await;
    let (status, redeemed) = redeem(&server, &user, "HappyMoney", far["code"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{redeemed}");
    // Typed with spaces instead of dashes: the same code.
    let (status, redeemed) = redeem(&server, &user, "CultureLand", &code.replace('-', " ")).await;
    assert_eq!(status, 200, "{redeemed}");
    assert_eq!((redeemed["status"].as_str(), redeemed["used_bps"].as_i64()), (Some("redeemed"), Some(0)));
    assert_eq!(redeemed["refundable"], false);
    let balances = server.balances(&user).await;
    assert_eq!(TestServer::pocket(&balances, &format!("gift:{id}")), 10_000);
    assert_eq!(balances["withdrawable"], 3_000, "gift-card value is not withdrawable: {balances}");
    // Spent nearest expiry first: the 10-day card before the one-year card, cash last.
    let pay = json!({"merchant": "m", "amount": 12_000, "currency": "KRW"});
    let (status, payment) = server.post(&format!("/v1/users/{user}/payments"), pay).await;
    assert_eq!(status, 200, "{payment}");
    let far_id = far["id"].as_str().unwrap();
    assert_eq!(
        payment["legs"],
        json!([{"pocket": format!("gift:{id}"), "amount": 10_000},
        {"pocket": format!("gift:{far_id}"), "amount": 2_000}])
    );

    // Every failing reason is listed: redeemed, and (eleven days on) expired.
    clock.set(NOV_1_US + 11 * DAY_US);
    let answer = check(&server, "CultureLand", &code, "JP").await;
    assert_eq!(answer["reasons"], json!(["card_expired", "card_region_locked", "card_already_redeemed"]));
    assert_eq!(answer["eligible"], false);
    let (status, again) = redeem(&server, &user, "CultureLand", &code).await;
    assert_eq!((status, again["error"]["code"].as_str()), (409, Some("card_expired")));
    let (_, balances) = server.get(&format!("/v1/users/{user}/balances?lang=en")).await;
    let expired = balances["pockets"].as_array().unwrap().iter().find(|p| p["pocket"] == format!("gift:{id}")).unwrap();
    assert!(expired["reason"].as_str().unwrap().contains("expired"), "{expired}");
    let unused = issue(&server, &short, 5_000, "bank_transfer").await;
    clock.set(NOV_1_US + 22 * DAY_US);
    let before = server.balances(&user).await;
    let (status, expired) = redeem(&server, &user, "CultureLand", unused["code"].as_str().unwrap()).await;
    assert_eq!((status, expired["error"]["code"].as_str()), (409, Some("card_expired")));
    let (status, unknown) = redeem(&server, &user, "CultureLand", "1111-2222-3333-4444").await;
    assert_eq!(
        (status, unknown["error"]["code"].as_str(), unknown["error"]["param"].as_str()),
        (400, Some("card_not_found"), Some("code"))
    );
    let (status, brand) = redeem(&server, &user, "Nope", &code).await;
    assert_eq!((status, brand["error"]["code"].as_str()), (400, Some("card_brand_unsupported")));
    let body = json!({"brand": "HappyMoney", "code": far["code"], "region": "KR"});
    let (status, taken) = server.post(&format!("/v1/users/{user}/gift-cards"), body).await;
    assert_eq!((status, taken["error"]["code"].as_str()), (409, Some("card_already_redeemed")));
    assert_eq!(server.balances(&user).await, before, "refused redemptions changed nothing");
    server.assert_verified().await;
    server.stop().await;
}

async fn spend(server: &TestServer, user: &str, amount: i64) {
    let body = json!({"merchant": "m", "amount": amount, "currency": "KRW"});
    let (status, answer) = server.post(&format!("/v1/users/{user}/payments"), body).await;
    assert_eq!(status, 200, "{answer}");
}

async fn refund_remainder(server: &TestServer, card: &Value) -> (u16, Value) {
    let id = card["id"].as_str().unwrap();
    server.post(&format!("/v1/gift-cards/{id}/refund-remainder"), json!({})).await
}

async fn remainders_follow_the_purchase_money_on(backend: Backend) {
    let server = spawn(backend).await;
    let brand = program(&server, "CultureLand", 365).await;
    for (purchased_with, destination, withdrawable) in
        [("bank_transfer", "cash", 20_000), ("carrier_billing", "carrier", 0), ("card", "card", 0)]
    {
        let user = server.create_user(purchased_with.len() as u32).await;
        let card = issue(&server, &brand, 50_000, purchased_with).await;
        let (status, _) = refund_remainder(&server, &card).await;
        assert_eq!(status, 409, "an unredeemed card has no remainder to refund");
        let (status, _) = redeem(&server, &user, "CultureLand", card["code"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        // 59.998 % used: not yet.
        spend(&server, &user, 29_999).await;
        let before = server.balances(&user).await;
        let (status, refused) = refund_remainder(&server, &card).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("not_withdrawable")), "{refused}");
        assert_eq!(server.balances(&user).await, before);
        // 60 % used: the remainder is refunded at face value, where the purchase money came from.
        spend(&server, &user, 1).await;
        let (_, card_now) = server.get(&format!("/v1/gift-cards/{}", card["id"].as_str().unwrap())).await;
        assert_eq!((card_now["used_bps"].as_i64(), card_now["refundable"].as_bool()), (Some(6_000), Some(true)));
        let (status, refund) = refund_remainder(&server, &card).await;
        assert_eq!(status, 200, "{refund}");
        assert_eq!((refund["amount"].as_i64(), refund["pocket"].as_str()), (Some(20_000), Some(destination)));
        let balances = server.balances(&user).await;
        assert_eq!(TestServer::pocket(&balances, destination), 20_000);
        assert_eq!(balances["withdrawable"], withdrawable, "{purchased_with}: {balances}");
        let (status, again) = refund_remainder(&server, &card).await;
        assert_eq!((status, again["error"]["code"].as_str()), (409, Some("invalid_state")));
    }
    // A ₩10,000 card needs 80 % used.
    let user = server.create_user(99).await;
    let small = issue(&server, &brand, 10_000, "earning").await;
    redeem(&server, &user, "CultureLand", small["code"].as_str().unwrap()).await;
    spend(&server, &user, 7_999).await;
    assert_eq!(refund_remainder(&server, &small).await.0, 409);
    spend(&server, &user, 1).await;
    let (status, refund) = refund_remainder(&server, &small).await;
    assert_eq!((status, refund["amount"].as_i64(), refund["pocket"].as_str()), (200, Some(2_000), Some("cash")));
    server.assert_verified().await;
    server.stop().await;
}

async fn a_code_redeems_once_under_a_race_on(backend: Backend) {
    let server = spawn(backend).await;
    let brand = program(&server, "CultureLand", 365).await;
    let card = issue(&server, &brand, 50_000, "bank_transfer").await;
    let code = card["code"].as_str().unwrap().to_string();
    let mut users = Vec::new();
    for n in 0..50 {
        users.push(server.create_user(n).await);
    }
    let server = std::sync::Arc::new(server);
    let attempts = users.iter().map(|user| {
        let (server, user, code) = (server.clone(), user.clone(), code.clone());
        tokio::spawn(async move { redeem(&server, &user, "CultureLand", &code).await })
    });
    let mut won = 0;
    for attempt in futures::future::join_all(attempts).await {
        let (status, answer) = attempt.unwrap();
        match status {
            200 => won += 1,
            409 => assert_eq!(answer["error"]["code"], "card_already_redeemed", "{answer}"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert_eq!(won, 1, "a code redeems exactly once");
    let mut holding = 0;
    for user in &users {
        holding += server.balances(user).await["total"].as_i64().unwrap();
    }
    assert_eq!(holding, 50_000, "the card's value exists once");
    server.assert_verified().await;
}

async fn program_and_issue_refusals_on(backend: Backend) {
    let server = spawn(backend).await;
    let ok = json!({"brand": "B", "currency": "KRW", "region": "KR", "face_values": [1_000], "validity_days": 30});
    let with = |key: &str, value: Value| {
        let mut body = ok.clone();
        body[key] = value;
        body
    };
    for (body, code, param) in [
        (with("brand", json!("")), "invalid_brand", "brand"),
        (with("region", json!("kr")), "invalid_region", "region"),
        (with("face_values", json!([])), "invalid_face_values", "face_values"),
        (with("face_values", json!([1_000, -1])), "invalid_amount", "face_values[1]"),
        (with("validity_days", json!(0)), "invalid_validity", "validity_days"),
        (with("currency", json!("QQQ")), "unknown_currency", "currency"),
        (
            with("refund_rule", json!({"threshold_bps_over": 10_001, "threshold_bps_small": 0, "small_face_max": 0})),
            "invalid_refund_rule",
            "refund_rule.threshold_bps_over",
        ),
    ] {
        let (status, answer) = server.post("/v1/gift-card-programs", body.clone()).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str(), answer["error"]["param"].as_str()),
            (400, Some(code), Some(param)),
            "{body}"
        );
    }
    let (status, program) = server.post_as(&server.key, "/v1/gift-card-programs", ok.clone(), Some("p-1")).await;
    assert_eq!(status, 200);
    let (_, replayed) = server.post_as(&server.key, "/v1/gift-card-programs", ok.clone(), Some("p-1")).await;
    assert_eq!(replayed, program, "a retried program is the same program");
    let id = program["id"].as_str().unwrap();
    let issue_body = json!({"program_id": id, "face_value": 1_000, "purchased_with": "card", "purchaser_ref": "o"});
    let with = |key: &str, value: Value| {
        let mut body = issue_body.clone();
        body[key] = value;
        body
    };
    for (body, code) in [
        (with("face_value", json!(999)), "invalid_face_value"),
        (with("program_id", json!("gcp_nope")), "unknown_program"),
        (with("purchased_with", json!("cash")), "invalid_source"),
        (with("purchaser_ref", json!("")), "invalid_reference"),
    ] {
        let (status, answer) = server.post("/v1/gift-cards", body.clone()).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (400, Some(code)), "{body}");
    }
    // An issue retried with its Idempotency-Key answers the same card and code again.
    let (s1, first) = server.post_as(&server.key, "/v1/gift-cards", issue_body.clone(), Some("sale-1")).await;
    let (s2, again) = server.post_as(&server.key, "/v1/gift-cards", issue_body.clone(), Some("sale-1")).await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(first, again, "the replay shows the same card and code");
    assert!(first["code"].is_string());
    // Nothing was issued by the refusals: one card's value is in the books.
    let float: [i64; 4] = server.counters_of(&format!("{}/:source:gift_cards:KRW", server.tenant)).await;
    assert_eq!(float[1], 1_000);
    let (status, _) = server.get("/v1/gift-cards/gc_nothing").await;
    assert_eq!(status, 404);
    server.assert_verified().await;
    server.stop().await;
}

/// Thirty days before it expires, a card with value left is announced once
/// (`gift_card.expiring`), redeemed or not; a spent card is not.
async fn expiring_cards_are_announced_once_on(backend: Backend) {
    let clock = Clock::fixed(NOV_1_US);
    let adjust = |s: &mut smallchange::config::Settings| {
        support::fast_workers(s);
    };
    let server = spawn_with_clock(support::fresh_db(backend).await, adjust, clock.clone()).await;
    let (url, heard) = support::event_receiver().await;
    let (status, _) = server.post("/v1/webhook-endpoints", json!({"url": url, "events": ["gift_card.expiring"]})).await;
    assert_eq!(status, 200);
    let cards = program(&server, "CultureLand", 40).await;
    let later = program(&server, "HappyMoney", 365).await;
    let (kept, spent, unredeemed) = (
        issue(&server, &cards, 10_000, "bank_transfer").await,
        issue(&server, &cards, 5_000, "bank_transfer").await,
        issue(&server, &cards, 50_000, "card").await,
    );
    issue(&server, &later, 10_000, "bank_transfer").await;
    let (holder, spender) = (server.create_user(1).await, server.create_user(2).await);
    assert_eq!(redeem(&server, &holder, "CultureLand", kept["code"].as_str().unwrap()).await.0, 200);
    assert_eq!(redeem(&server, &spender, "CultureLand", spent["code"].as_str().unwrap()).await.0, 200);
    let coffee = json!({"merchant": "shop-1", "amount": 5_000, "currency": "KRW", "description": "coffee"});
    assert_eq!(server.post(&format!("/v1/users/{spender}/payments"), coffee).await.0, 200);
    // Forty days out: nothing yet.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(heard.lock().unwrap().is_empty());
    // Eleven days later the cards are 29 days from expiry.
    clock.set(NOV_1_US + 11 * DAY_US);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while heard.lock().unwrap().len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "never announced: {:?}", heard.lock().unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    clock.set(NOV_1_US + 12 * DAY_US);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut announced: Vec<(String, Value, i64)> = heard
        .lock()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["type"], "gift_card.expiring");
            let data = &e["data"];
            (data["id"].as_str().unwrap().to_string(), data["user_id"].clone(), data["remaining"].as_i64().unwrap())
        })
        .collect();
    announced.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected = vec![
        (kept["id"].as_str().unwrap().to_string(), json!(holder), 10_000),
        (unredeemed["id"].as_str().unwrap().to_string(), Value::Null, 50_000),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(announced, expected, "once each; the spent card and the far one not at all");
    server.stop().await;
}

/// Runs `sql` on the server's database (a row written before actors were recorded).
async fn execute(server: &TestServer, sql: &str) {
    match server.store() {
        smallchange::store::Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()).unwrap(),
        smallchange::store::Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()).unwrap(),
    }
}

fn by_key(actor: &Value) -> &str {
    let actor = actor.as_str().unwrap_or_else(|| panic!("no actor: {actor}"));
    assert!(actor.starts_with("api_key:key_"), "{actor}");
    actor
}

/// A program shows who created it, a card who issued it and who redeemed it (a key each);
/// refused requests record nothing, and rows from before actors were recorded show null.
async fn who_created_issued_and_redeemed_is_shown_on(backend: Backend) {
    let server = spawn(backend).await;
    let body = json!({"brand": "CultureLand", "currency": "KRW", "region": "KR", "face_values": [10_000],
        "validity_days": 30});
    let (status, created) = server.post("/v1/gift-card-programs", body).await;
    assert_eq!(status, 200, "{created}");
    let creator = by_key(&created["created_by"]).to_string();
    let program = created["id"].as_str().unwrap();
    let (_, read) = server.get(&format!("/v1/gift-card-programs/{program}")).await;
    assert_eq!(read["created_by"], creator.as_str());

    let card = issue(&server, program, 10_000, "bank_transfer").await;
    assert_eq!(by_key(&card["issued_by"]), creator, "the same key created the program and issued the card");
    assert_eq!(card["redeemed_via"], Value::Null, "{card}");
    let id = card["id"].as_str().unwrap();
    let code = card["code"].as_str().unwrap();
    // A refused redemption records no one.
    let user = server.create_user(1).await;
    let clerk = server.key_for(Role::Admin, false).await;
    let path = format!("/v1/users/{user}/gift-cards");
    let abroad = json!({"brand": "CultureLand", "code": code, "region": "JP"});
    let (status, refused) = server.post_as(&clerk, &path, abroad, None).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("card_region_locked")));
    let (_, read) = server.get(&format!("/v1/gift-cards/{id}")).await;
    assert_eq!((read["issued_by"].as_str(), &read["redeemed_via"]), (Some(creator.as_str()), &Value::Null));
    // Redeemed with another key: that key is shown, in the answer and when read.
    let (status, redeemed) = server.post_as(&clerk, &path, json!({"brand": "CultureLand", "code": code}), None).await;
    assert_eq!(status, 200, "{redeemed}");
    let redeemer = by_key(&redeemed["redeemed_via"]).to_string();
    assert_ne!(redeemer, creator, "two keys, two actors");
    assert_eq!(redeemed["issued_by"], creator.as_str());
    let (_, read) = server.get(&format!("/v1/gift-cards/{id}")).await;
    assert_eq!((read["issued_by"].as_str(), read["redeemed_via"].as_str()), (Some(creator.as_str()), Some(&*redeemer)));
    // A second redemption is refused and leaves the first redeemer.
    let other = server.create_user(2).await;
    let (status, _) = redeem(&server, &other, "CultureLand", code).await;
    assert_eq!(status, 409);
    let (_, read) = server.get(&format!("/v1/gift-cards/{id}")).await;
    assert_eq!(read["redeemed_via"], redeemer.as_str());

    // Rows written before actors were recorded.
    execute(&server, "UPDATE gift_card_programs SET created_actor = NULL").await;
    execute(&server, "UPDATE gift_cards SET issued_actor = NULL, redeemed_actor = NULL").await;
    let (_, read) = server.get(&format!("/v1/gift-card-programs/{program}")).await;
    assert_eq!(read["created_by"], Value::Null, "{read}");
    let (_, read) = server.get(&format!("/v1/gift-cards/{id}")).await;
    assert_eq!((&read["issued_by"], &read["redeemed_via"]), (&Value::Null, &Value::Null), "{read}");
    server.assert_verified().await;
    server.stop().await;
}

both_backends!(guessing_codes_is_limited, super::guessing_codes_is_limited_on);

/// Codes that match no card are limited per person (10 at once, then one a minute) and per
/// client address (100 at once): past the limit every code is turned away with 429 before
/// it is looked up, even a right one, and nothing changes.
async fn guessing_codes_is_limited_on(backend: Backend) {
    let server = support::spawn(backend).await;
    let program = program(&server, "BookPass", 365).await;
    let card = issue(&server, &program, 10_000, "bank_transfer").await;
    let code = card["code"].as_str().unwrap().to_string();
    let user = server.create_user(1).await;
    let wrong = |n: usize| format!("9999-0000-0000-{n:04}");
    for n in 0..10 {
        let (status, error) = redeem(&server, &user, "BookPass", &wrong(n)).await;
        assert_eq!((status, error["error"]["code"].as_str()), (400, Some("card_not_found")), "{error}");
    }
    // The user has no wrong tries left: the right code is turned away too, uncounted.
    let (status, error) = redeem(&server, &user, "BookPass", &code).await;
    assert_eq!((status, error["error"]["code"].as_str()), (429, Some("rate_limited")), "{error}");
    assert!(error["error"]["message"].as_str().unwrap().starts_with("too many gift-card codes"), "{error}");
    assert_eq!(server.balances(&user).await["total"], 0);
    let (_, listed) = server.get(&format!("/v1/users/{user}/gift-cards")).await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(0));

    // Another user from the same address still may: the right code redeems.
    let other = server.create_user(2).await;
    let (status, redeemed) = redeem(&server, &other, "BookPass", &code).await;
    assert_eq!(status, 200, "{redeemed}");

    // The address: wrong codes from ever more users, each within its own ten, until the
    // address is turned away — after its 100 (plus what refills meanwhile, one a second),
    // never before.
    let mut failures = 10;
    let mut turned_away = None;
    'users: for n in 3..30 {
        let user = server.create_user(n).await;
        for m in 0..10 {
            let (status, error) = redeem(&server, &user, "BookPass", &wrong(m)).await;
            if status == 429 {
                turned_away = Some(error);
                break 'users;
            }
            assert_eq!(status, 400, "{error}");
            failures += 1;
        }
    }
    let error = turned_away.expect("the address was never turned away");
    assert_eq!(error["error"]["code"], "rate_limited", "{error}");
    assert!((100..130).contains(&failures), "turned away after {failures} wrong codes");

    // Checking codes counts against the key and the address alike.
    let (status, error) =
        server.post("/v1/gift-cards/check", json!({"brand": "BookPass", "code": wrong(1), "region": "KR"})).await;
    assert_eq!((status, error["error"]["code"].as_str()), (429, Some("rate_limited")), "{error}");
    server.assert_verified().await;
    server.stop().await;
}
