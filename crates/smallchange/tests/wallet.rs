//! Top-ups, payments, refunds, balances and statements, through the HTTP API on both
//! backends: the happy paths, every refusal (with nothing changed after it), the carrier
//! monthly limit across a month boundary, and concurrent payments.

mod support;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use support::{spawn, spawn_with_clock, Backend, TestServer};

both_backends!(every_source_lands_in_its_pocket, super::every_source_lands_in_its_pocket_on);
both_backends!(topup_refusals_change_nothing, super::topup_refusals_change_nothing_on);
both_backends!(carrier_limit_resets_with_the_month, super::carrier_limit_resets_with_the_month_on);
both_backends!(payments_spend_in_order_and_refund_back, super::payments_spend_in_order_and_refund_back_on);
both_backends!(payment_refusals_change_nothing, super::payment_refusals_change_nothing_on);
both_backends!(concurrent_payments_never_overdraw, super::concurrent_payments_never_overdraw_on);
both_backends!(statements_carry_a_running_balance, super::statements_carry_a_running_balance_on);

async fn every_source_lands_in_its_pocket_on(backend: Backend) {
    let server = spawn(backend).await;
    let user = server.create_user(1).await;
    for (source, pocket) in [
        ("bank_transfer", "cash"),
        ("earning", "cash"),
        ("cashback", "cashback"),
        ("promo", "promo"),
        ("carrier_billing", "carrier"),
        ("card", "card"),
    ] {
        let topup = server.topup(&user, source, 1_000).await;
        assert_eq!(topup["pocket"], pocket, "{topup}");
        assert!(topup["id"].as_str().unwrap().starts_with("top_"));
        assert_eq!(topup["reference"], "t");
    }
    // A refund inherits the provenance of what the refunded purchase was paid with.
    for (refund_of, pocket) in [("bank_transfer", "refund"), ("carrier_billing", "carrier"), ("card", "card")] {
        let body =
            json!({"source": "refund", "refund_of": refund_of, "amount": 500, "currency": "KRW", "reference": "r"});
        let (status, topup) = server.post(&format!("/v1/users/{user}/topups"), body).await;
        assert_eq!(status, 200, "{topup}");
        assert_eq!(topup["pocket"], pocket, "{topup}");
        assert_eq!(topup["refund_of"], refund_of);
    }
    let balances = server.balances(&user).await;
    assert_eq!(TestServer::pocket(&balances, "cash"), 2_000);
    assert_eq!(TestServer::pocket(&balances, "refund"), 500);
    assert_eq!(TestServer::pocket(&balances, "carrier"), 1_500);
    assert_eq!(TestServer::pocket(&balances, "card"), 1_500);
    assert_eq!(balances["total"], 2_000 + 500 + 1_000 + 1_000 + 1_500 + 1_500);
    // Withdrawable: cash and refund; cashback is under the ₩10,000 threshold; the rest never.
    assert_eq!(balances["withdrawable"], 2_500, "{balances}");
    let reasons: Vec<(String, i64, String)> = balances["pockets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["pocket"].as_str().unwrap().into(),
                p["withdrawable"].as_i64().unwrap(),
                p["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    let reason = |name: &str| reasons.iter().find(|(p, ..)| p == name).unwrap().clone();
    assert!(reason("carrier").2.contains("출금할 수 없어요"), "Korean by default: {reasons:?}");
    assert!(reason("cashback").2.contains("10,000원"), "{reasons:?}");
    let (_, english) = server.get(&format!("/v1/users/{user}/balances?lang=en")).await;
    let carrier = english["pockets"].as_array().unwrap().iter().find(|p| p["pocket"] == "carrier").unwrap().clone();
    assert!(carrier["reason"].as_str().unwrap().contains("never withdrawn"), "{english}");
    let cashback = english["pockets"].as_array().unwrap().iter().find(|p| p["pocket"] == "cashback").unwrap().clone();
    assert!(cashback["reason"].as_str().unwrap().contains("₩10,000"), "{english}");
    assert_eq!(reason("cashback").1, 0);
    server.topup(&user, "cashback", 9_000).await;
    let balances = server.balances(&user).await;
    assert_eq!(balances["withdrawable"], 2_500 + 10_000, "cashback at the threshold is withdrawable: {balances}");
    server.assert_verified().await;
    server.stop().await;
}

/// Posts a top-up expecting a 4xx with `code` and `param`, and checks that nothing changed.
async fn refused_topup(server: &TestServer, user: &str, body: Value, status: u16, code: &str, param: Option<&str>) {
    let before = server.balances(user).await;
    let (got, answer) = server.post(&format!("/v1/users/{user}/topups"), body.clone()).await;
    assert_eq!(got, status, "{body} → {answer}");
    assert_eq!(answer["error"]["code"], code, "{body} → {answer}");
    if let Some(param) = param {
        assert_eq!(answer["error"]["param"], param, "{body} → {answer}");
    }
    assert_eq!(server.balances(user).await, before, "a refused top-up changed balances: {body}");
}

async fn topup_refusals_change_nothing_on(backend: Backend) {
    let server = spawn(backend).await;
    let user = server.create_user(1).await;
    server.topup(&user, "bank_transfer", 1_000).await;
    let ok = json!({"source": "bank_transfer", "amount": 100, "currency": "KRW", "reference": "x"});
    let with = |key: &str, value: Value| {
        let mut body = ok.clone();
        body[key] = value;
        body
    };
    let cases = [
        (with("source", json!("gift")), "invalid_source", "source"),
        (with("amount", json!(0)), "invalid_amount", "amount"),
        (with("amount", json!(-5)), "invalid_amount", "amount"),
        (with("amount", json!("100")), "invalid_type", "amount"),
        (with("currency", json!("XYZ")), "unknown_currency", "currency"),
        (with("reference", json!("  ")), "invalid_reference", "reference"),
        (with("refund_of", json!("card")), "unexpected_field", "refund_of"),
        (with("source", json!("refund")), "missing_field", "refund_of"),
        (with("extra", json!(1)), "unknown_field", "extra"),
        (with("currency", json!("USD")).tap_source("carrier_billing"), "invalid_currency", "currency"),
    ];
    for (body, code, param) in cases {
        refused_topup(&server, &user, body, 400, code, Some(param)).await;
    }
    let (status, answer) = server.post("/v1/users/usr_nobody/topups", ok.clone()).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (404, Some("resource_missing")), "{answer}");
    let readonly = server.key_for(smallchange::store::tenants::Role::Readonly, false).await;
    let (status, _) = server.post_as(&readonly, &format!("/v1/users/{user}/topups"), ok.clone(), None).await;
    assert_eq!(status, 403);
    let other_tenant = server.key_for(smallchange::store::tenants::Role::Admin, true).await;
    let (status, _) = server.post_as(&other_tenant, &format!("/v1/users/{user}/topups"), ok.clone(), None).await;
    assert_eq!(status, 404, "another tenant's user does not exist for this key");
    // The same Idempotency-Key: the first answer again, and the money moved once.
    let path = format!("/v1/users/{user}/topups");
    let (s1, first) = server.post_as(&server.key, &path, ok.clone(), Some("k-1")).await;
    let (s2, again) = server.post_as(&server.key, &path, ok.clone(), Some("k-1")).await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(first, again);
    let (s3, reused) = server.post_as(&server.key, &path, with("amount", json!(101)), Some("k-1")).await;
    assert_eq!((s3, reused["error"]["code"].as_str()), (409, Some("idempotency_key_reused")));
    assert_eq!(TestServer::pocket(&server.balances(&user).await, "cash"), 1_100);
    server.assert_verified().await;
    server.stop().await;
}

trait TapSource {
    fn tap_source(self, source: &str) -> Value;
}

impl TapSource for Value {
    fn tap_source(mut self, source: &str) -> Value {
        self["source"] = source.into();
        self
    }
}

/// 2026-11-30 23:59:00 KST, one minute before December begins in Korea.
const END_OF_NOVEMBER_KST_US: i64 = 1_796_050_740_000_000;

async fn carrier_limit_resets_with_the_month_on(backend: Backend) {
    let clock = Clock::fixed(END_OF_NOVEMBER_KST_US);
    let server = spawn_with_clock(support::fresh_db(backend).await, |_| {}, clock.clone()).await;
    let user = server.create_user(1).await;
    let carrier =
        |amount: i64| json!({"source": "carrier_billing", "amount": amount, "currency": "KRW", "reference": "c"});
    let path = format!("/v1/users/{user}/topups");
    let (status, _) = server.post(&path, carrier(600_000)).await;
    assert_eq!(status, 200);
    let (status, _) = server.post(&path, carrier(400_000)).await;
    assert_eq!(status, 200, "exactly the ₩1,000,000 cap is allowed");
    let before = server.balances(&user).await;
    let (status, refused) = server.post(&path, carrier(1)).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("carrier_monthly_limit")), "{refused}");
    assert_eq!(server.balances(&user).await, before);
    // Another user has a limit of their own.
    let other = server.create_user(2).await;
    let (status, _) = server.post(&format!("/v1/users/{other}/topups"), carrier(1_000_000)).await;
    assert_eq!(status, 200);
    // Two minutes later it is December in Korea: a new month, a new limit.
    clock.set(END_OF_NOVEMBER_KST_US + 120_000_000);
    let (status, answer) = server.post(&path, carrier(1_000_000)).await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = server.post(&path, carrier(1)).await;
    assert_eq!(status, 409);
    assert_eq!(TestServer::pocket(&server.balances(&user).await, "carrier"), 2_000_000);
    server.assert_verified().await;
    server.stop().await;
}

async fn pay(server: &TestServer, user: &str, amount: i64) -> (u16, Value) {
    let body = json!({"merchant": "shop-1", "amount": amount, "currency": "KRW", "description": "coffee"});
    server.post(&format!("/v1/users/{user}/payments"), body).await
}

fn legs(payment: &Value) -> Vec<(String, i64)> {
    payment["legs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["pocket"].as_str().unwrap().into(), l["amount"].as_i64().unwrap()))
        .collect()
}

async fn payments_spend_in_order_and_refund_back_on(backend: Backend) {
    let server = spawn(backend).await;
    let user = server.create_user(1).await;
    server.topup(&user, "bank_transfer", 5_000).await;
    server.topup(&user, "carrier_billing", 1_000).await;
    server.topup(&user, "promo", 500).await;
    server.topup(&user, "refund", 700).await;
    let (status, payment) = pay(&server, &user, 2_000).await;
    assert_eq!(status, 200, "{payment}");
    assert_eq!(legs(&payment), [("carrier".into(), 1_000), ("promo".into(), 500), ("refund".into(), 500)]);
    assert!(payment["id"].as_str().unwrap().starts_with("pay_"));
    let (status, payment2) = pay(&server, &user, 1_000).await;
    assert_eq!(status, 200);
    assert_eq!(legs(&payment2), [("refund".into(), 200), ("cash".into(), 800)], "cash is spent last");
    // A partial refund goes back to the last pocket that paid; the next ones walk back.
    let id = payment["id"].as_str().unwrap();
    let (status, refund) = server.post(&format!("/v1/payments/{id}/refund"), json!({"amount": 600})).await;
    assert_eq!(status, 200, "{refund}");
    assert_eq!(legs(&refund), [("promo".into(), 100), ("refund".into(), 500)]);
    let (status, rest) = server.post(&format!("/v1/payments/{id}/refund"), json!({})).await;
    assert_eq!(status, 200, "{rest}");
    assert_eq!(rest["amount"], 1_400);
    assert_eq!(legs(&rest), [("carrier".into(), 1_000), ("promo".into(), 400)]);
    let balances = server.balances(&user).await;
    assert_eq!(TestServer::pocket(&balances, "carrier"), 1_000, "carrier value came back to carrier, not cash");
    assert_eq!(TestServer::pocket(&balances, "cash"), 4_200);
    assert_eq!(balances["withdrawable"], 4_200 + 500);
    let (status, read) = server.get(&format!("/v1/payments/{id}")).await;
    assert_eq!((status, read["refunded"].as_i64()), (200, Some(2_000)));
    let (status, again) = server.post(&format!("/v1/payments/{id}/refund"), json!({})).await;
    assert_eq!((status, again["error"]["code"].as_str()), (409, Some("invalid_state")));
    server.assert_verified().await;
    server.stop().await;
}

async fn payment_refusals_change_nothing_on(backend: Backend) {
    let server = spawn(backend).await;
    let user = server.create_user(1).await;
    server.topup(&user, "bank_transfer", 1_000).await;
    let before = server.balances(&user).await;
    let path = format!("/v1/users/{user}/payments");
    let ok = json!({"merchant": "shop-1", "amount": 100, "currency": "KRW"});
    let with = |key: &str, value: Value| {
        let mut body = ok.clone();
        body[key] = value;
        body
    };
    for (body, status, code) in [
        (with("amount", json!(1_001)), 409, "insufficient_funds"),
        (with("amount", json!(0)), 400, "invalid_amount"),
        (with("merchant", json!("")), 400, "invalid_merchant"),
        (with("merchant", json!("shop one")), 400, "invalid_merchant"),
        (with("currency", json!("usd")), 400, "invalid_currency"),
        (with("description", json!("x".repeat(201))), 400, "invalid_description"),
        (with("tip", json!(1)), 400, "unknown_field"),
    ] {
        let (got, answer) = server.post(&path, body.clone()).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{body} → {answer}");
        assert_eq!(server.balances(&user).await, before);
    }
    // A payment in a currency the user has nothing in.
    let (got, answer) = server.post(&path, with("currency", json!("USD"))).await;
    assert_eq!((got, answer["error"]["code"].as_str()), (409, Some("insufficient_funds")));
    // A user with no pockets at all, and one the tenant does not have (again with the same
    // key: the same answer, and nothing paid).
    let empty = server.create_user(2).await;
    let (got, answer) = server.post(&format!("/v1/users/{empty}/payments"), ok.clone()).await;
    assert_eq!((got, answer["error"]["code"].as_str()), (409, Some("insufficient_funds")), "{answer}");
    for _ in 0..2 {
        let (got, answer) =
            server.post_as(&server.key, "/v1/users/usr_nobody/payments", ok.clone(), Some("k-nobody")).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (404, Some("resource_missing")), "{answer}");
    }
    let (status, payment) = pay(&server, &user, 400).await;
    assert_eq!(status, 200);
    let id = payment["id"].as_str().unwrap();
    let refund_path = format!("/v1/payments/{id}/refund");
    let refund = |amount: Value| server.post(&refund_path, json!({"amount": amount}));
    let (status, answer) = refund(json!(401)).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("refund_exceeds_payment")), "{answer}");
    let (status, answer) = refund(json!(0)).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (400, Some("invalid_amount")));
    let (status, _) = server.post("/v1/payments/pay_nothing/refund", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(TestServer::pocket(&server.balances(&user).await, "cash"), 600);
    server.assert_verified().await;
    server.stop().await;
}

async fn concurrent_payments_never_overdraw_on(backend: Backend) {
    let server = spawn(backend).await;
    let user = server.create_user(1).await;
    server.topup(&user, "bank_transfer", 5_000).await;
    server.topup(&user, "carrier_billing", 2_000).await;
    let server = std::sync::Arc::new(server);
    let attempts = (0..20).map(|_| {
        let server = server.clone();
        let user = user.clone();
        tokio::spawn(async move { pay(&server, &user, 500).await })
    });
    let mut paid = 0;
    for attempt in futures::future::join_all(attempts).await {
        let (status, answer) = attempt.unwrap();
        match status {
            200 => paid += 1,
            409 => assert_eq!(answer["error"]["code"], "insufficient_funds", "{answer}"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert_eq!(paid, 14, "7,000 pays for exactly fourteen payments of 500");
    let balances = server.balances(&user).await;
    assert_eq!(balances["total"], 0, "{balances}");
    for pocket in balances["pockets"].as_array().unwrap() {
        assert!(pocket["available"].as_i64().unwrap() >= 0, "{balances}");
    }
    server.assert_verified().await;
}

async fn statements_carry_a_running_balance_on(backend: Backend) {
    let server = spawn(backend).await;
    let user = server.create_user(1).await;
    server.topup(&user, "bank_transfer", 1_000).await;
    server.topup(&user, "carrier_billing", 300).await;
    let (_, payment) = pay(&server, &user, 500).await;
    let id = payment["id"].as_str().unwrap();
    server.post(&format!("/v1/payments/{id}/refund"), json!({"amount": 100})).await;
    let (status, statement) = server.get(&format!("/v1/users/{user}/statement")).await;
    assert_eq!(status, 200, "{statement}");
    let lines: Vec<(String, String, i64, i64)> = statement["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().into(),
                l["pocket"].as_str().unwrap().into(),
                l["amount"].as_i64().unwrap(),
                l["balance"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("topup", "cash", 1_000, 1_000),
        ("topup", "carrier", 300, 1_300),
        ("payment", "carrier", -300, 1_000),
        ("payment", "cash", -200, 800),
        ("payment_refund", "cash", 100, 900),
    ];
    let expected: Vec<(String, String, i64, i64)> =
        expected.iter().map(|(k, p, a, b)| (k.to_string(), p.to_string(), *a, *b)).collect();
    assert_eq!(lines, expected);
    assert_eq!(statement["has_more"], false);
    // Paged: the running balance continues across pages.
    let (_, first) = server.get(&format!("/v1/users/{user}/statement?limit=2")).await;
    assert_eq!(first["has_more"], true);
    let last = first["data"][1]["id"].as_str().unwrap();
    let (_, second) = server.get(&format!("/v1/users/{user}/statement?limit=2&starting_after={last}")).await;
    assert_eq!(second["data"][0]["balance"], 1_000);
    // CSV: the same lines.
    let response = server
        .client
        .get(format!("{}/v1/users/{user}/statement?format=csv", server.base))
        .bearer_auth(&server.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = response.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "id,created_at,kind,pocket,amount,balance,reference_id,description");
    assert_eq!(rows.len(), 6);
    assert!(rows[3].contains(",payment,carrier,-300,1000,"), "{csv}");
    // A window that ends before anything happened is empty.
    let (_, empty) = server.get(&format!("/v1/users/{user}/statement?to=2000-01-01T00:00:00Z")).await;
    assert_eq!(empty["data"].as_array().unwrap().len(), 0);
    for (query, code) in
        [("format=xml", "invalid_format"), ("from=yesterday", "invalid_time"), ("limit=0", "invalid_limit")]
    {
        let (status, answer) = server.get(&format!("/v1/users/{user}/statement?{query}")).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (400, Some(code)), "{query}");
    }
    server.stop().await;
}

both_backends!(balances_refuse_what_they_cannot_answer, super::balances_refuse_what_they_cannot_answer_on);
both_backends!(the_spec_lists_the_wallet_endpoints, super::the_spec_lists_the_wallet_endpoints_on);

async fn balances_refuse_what_they_cannot_answer_on(backend: Backend) {
    let server = spawn(backend).await;
    let user = server.create_user(1).await;
    let balances = server.balances(&user).await;
    assert_eq!((balances["currency"].as_str(), balances["total"].as_i64()), (Some("KRW"), Some(0)));
    let pockets: Vec<&str> =
        balances["pockets"].as_array().unwrap().iter().map(|p| p["pocket"].as_str().unwrap()).collect();
    assert_eq!(
        pockets,
        ["cash", "refund", "cashback", "promo", "carrier", "card"],
        "every pocket is shown, even empty"
    );
    let (status, usd) = server.get(&format!("/v1/users/{user}/balances?currency=USD")).await;
    assert_eq!((status, usd["currency"].as_str()), (200, Some("USD")));
    for (path, status, code) in [
        (format!("/v1/users/{user}/balances?currency=KRWX"), 400, "invalid_currency"),
        ("/v1/users/usr_nobody/balances".to_string(), 404, "resource_missing"),
        ("/v1/users/usr_nobody/statement".to_string(), 404, "resource_missing"),
        ("/v1/payments/pay_nothing".to_string(), 404, "resource_missing"),
    ] {
        let (got, answer) = server.get(&path).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{path}");
    }
    let other_tenant = server.key_for(smallchange::store::tenants::Role::Admin, true).await;
    let (status, _) = server.get_as(&other_tenant, &format!("/v1/users/{user}/balances")).await;
    assert_eq!(status, 404);
    server.stop().await;
}

/// The generated OpenAPI document lists every wallet endpoint of API.md with its method.
async fn the_spec_lists_the_wallet_endpoints_on(backend: Backend) {
    let server = spawn(backend).await;
    let (status, spec) = server.get("/openapi.json").await;
    assert_eq!(status, 200);
    for (path, method) in [
        ("/v1/users/{id}/totp", "post"),
        ("/v1/users/{id}/topups", "post"),
        ("/v1/users/{id}/payments", "post"),
        ("/v1/payments/{id}", "get"),
        ("/v1/payments/{id}/refund", "post"),
        ("/v1/users/{id}/balances", "get"),
        ("/v1/users/{id}/statement", "get"),
        ("/v1/gift-card-programs", "post"),
        ("/v1/gift-cards", "post"),
        ("/v1/gift-cards/check", "post"),
        ("/v1/gift-cards/{id}", "get"),
        ("/v1/users/{id}/gift-cards", "post"),
        ("/v1/gift-cards/{id}/refund-remainder", "post"),
    ] {
        assert!(spec["paths"][path][method].is_object(), "{method} {path} missing from the spec");
    }
    server.stop().await;
}
