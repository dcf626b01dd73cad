//! A user's lists and lookups on both backends: payout destinations, gift cards, payments,
//! top-ups, disputes and cash-outs, newest first and paged; a user found by `external_id`; a
//! duplicate `external_id` naming who has it; and query parameters an endpoint does not
//! take refused with `unknown_parameter`.

mod support;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::store::tenants::Role;
use support::bank::confirmed_cashouts;
use support::{fresh_db, spawn_with_clock, Backend, TestServer};

both_backends!(every_list_pages_newest_first, super::every_list_pages_newest_first_on);
both_backends!(a_list_shows_only_its_own_user, super::a_list_shows_only_its_own_user_on);
both_backends!(users_are_found_by_external_id, super::users_are_found_by_external_id_on);
both_backends!(unknown_query_parameters_are_refused, super::unknown_query_parameters_are_refused_on);

/// 2026-11-10 03:00 UTC.
const START_US: i64 = 1_794_279_600_000_000;

async fn server(backend: Backend) -> (TestServer, Clock) {
    let clock = Clock::fixed(START_US);
    let adjust = |s: &mut smallchange::config::Settings| {
        s.cashout.rails.bank_account = "sandbox".into();
        s.cashout.risk.review_new_destination = false;
    };
    (spawn_with_clock(fresh_db(backend).await, adjust, clock.clone()).await, clock)
}

/// Every page of `path` at `limit` a page, followed by `starting_after`: the ids in order.
async fn all_pages(server: &TestServer, path: &str, limit: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let after = cursor.as_ref().map(|c| format!("&starting_after={c}")).unwrap_or_default();
        let (status, page) = server.get(&format!("{path}?limit={limit}{after}")).await;
        assert_eq!(status, 200, "{path}: {page}");
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= limit, "{page}");
        ids.extend(data.iter().map(|item| item["id"].as_str().unwrap().to_string()));
        if page["has_more"] == false {
            return ids;
        }
        assert_eq!(data.len(), limit, "a page with more after it is full: {page}");
        cursor = ids.last().cloned();
    }
}

fn reversed(mut ids: Vec<String>) -> Vec<String> {
    ids.reverse();
    ids
}

/// Moves the clock on a second, so what is made next is newer.
fn tick(clock: &Clock) {
    clock.set(clock.now_us() + 1_000_000);
}

async fn every_list_pages_newest_first_on(backend: Backend) {
    let (server, clock) = server(backend).await;
    // A verified user with ₩500,000, a bank destination and two confirmed cash-outs.
    let (user, cashouts) = confirmed_cashouts(&server, &clock, 1, &[10_000, 20_000]).await;

    // Destinations: the bank one, then two more.
    let mut destinations = all_pages(&server, &format!("/v1/users/{user}/payout-destinations"), 10).await;
    assert_eq!(destinations.len(), 1);
    for wallet_id in ["w-1", "w-2"] {
        tick(&clock);
        let body = json!({"type": "e_wallet", "provider": "kakaopay", "wallet_id": wallet_id, "holder_name": "Kim & Lee <Ltd>"});
        let (status, made) = server.post(&format!("/v1/users/{user}/payout-destinations"), body).await;
        assert_eq!(status, 200, "{made}");
        destinations.push(made["id"].as_str().unwrap().to_string());
    }
    let (_, first) = server.get(&format!("/v1/users/{user}/payout-destinations?limit=1")).await;
    let shown = &first["data"][0];
    assert_eq!(shown["type"], "e_wallet");
    assert!(shown["masked"].as_str().unwrap().ends_with("w-2"), "{shown}");
    assert!(shown["created_by"].as_str().unwrap().starts_with("api_key:"), "{shown}");
    assert!(shown["created_at"].as_str().unwrap().ends_with('Z'), "{shown}");
    assert!(shown.get("account_number").is_none() && shown.get("details").is_none(), "{shown}");
    for limit in [1, 2, 3] {
        let listed = all_pages(&server, &format!("/v1/users/{user}/payout-destinations"), limit).await;
        assert_eq!(listed, reversed(destinations.clone()), "limit {limit}");
    }

    // Top-ups: the ₩500,000 the helper made, then three more from other sources.
    let mut topups = all_pages(&server, &format!("/v1/users/{user}/topups"), 100).await;
    assert_eq!(topups.len(), 1);
    for (source, amount) in [("cashback", 1_000), ("carrier_billing", 2_000), ("promo", 3_000)] {
        tick(&clock);
        topups.push(server.topup(&user, source, amount).await["id"].as_str().unwrap().to_string());
    }
    assert_eq!(all_pages(&server, &format!("/v1/users/{user}/topups"), 2).await, reversed(topups.clone()));
    let (_, newest) = server.get(&format!("/v1/users/{user}/topups?limit=1")).await;
    let promo = &newest["data"][0];
    assert_eq!((promo["source"].as_str(), promo["pocket"].as_str()), (Some("promo"), Some("promo")), "{promo}");
    assert_eq!((promo["amount"].as_i64(), promo["currency"].as_str()), (Some(3_000), Some("KRW")), "{promo}");

    // Payments, one partly refunded.
    let mut payments = Vec::new();
    for amount in [100, 200, 300, 400, 500] {
        tick(&clock);
        let body = json!({"merchant": "cafe", "amount": amount, "currency": "KRW"});
        let (status, paid) = server.post(&format!("/v1/users/{user}/payments"), body).await;
        assert_eq!(status, 200, "{paid}");
        payments.push(paid["id"].as_str().unwrap().to_string());
    }
    let (status, _) = server.post(&format!("/v1/payments/{}/refund", payments[1]), json!({"amount": 50})).await;
    assert_eq!(status, 200);
    assert_eq!(all_pages(&server, &format!("/v1/users/{user}/payments"), 2).await, reversed(payments.clone()));
    let (_, page) = server.get(&format!("/v1/users/{user}/payments?limit=5")).await;
    let refunded: Vec<i64> = page["data"].as_array().unwrap().iter().map(|p| p["refunded"].as_i64().unwrap()).collect();
    assert_eq!(refunded, [0, 0, 0, 50, 0]);
    assert_eq!(page["data"][0]["amount"], 500);

    // Gift cards redeemed into the wallet.
    let body = json!({"brand": "HappyMoney", "currency": "KRW", "region": "KR", "face_values": [5_000, 10_000],
        "validity_days": 365});
    let (_, program) = server.post("/v1/gift-card-programs", body).await;
    let mut cards = Vec::new();
    for face_value in [5_000, 10_000] {
        tick(&clock);
        let body = json!({"program_id": program["id"], "face_value": face_value, "purchased_with": "bank_transfer",
            "purchaser_ref": "order"});
        let (status, card) = server.post("/v1/gift-cards", body).await;
        assert_eq!(status, 200, "{card}");
        let redeem = json!({"brand": "HappyMoney", "code": card["code"]});
        let (status, redeemed) = server.post(&format!("/v1/users/{user}/gift-cards"), redeem).await;
        assert_eq!(status, 200, "{redeemed}");
        cards.push(card["id"].as_str().unwrap().to_string());
    }
    assert_eq!(all_pages(&server, &format!("/v1/users/{user}/gift-cards"), 1).await, reversed(cards.clone()));
    let (_, page) = server.get(&format!("/v1/users/{user}/gift-cards")).await;
    let newest = &page["data"][0];
    assert_eq!(
        (newest["face_value"].as_i64(), newest["status"].as_str()),
        (Some(10_000), Some("redeemed")),
        "{newest}"
    );
    assert!(newest.get("code").is_none(), "a listed card never shows its code: {newest}");

    // Disputes about both cash-outs; cash-outs newest first too.
    let mut disputes = Vec::new();
    for cashout in &cashouts {
        tick(&clock);
        let (status, dispute) =
            server.post(&format!("/v1/cashouts/{cashout}/disputes"), json!({"reason": "late"})).await;
        assert_eq!(status, 200, "{dispute}");
        disputes.push(dispute["id"].as_str().unwrap().to_string());
    }
    assert_eq!(all_pages(&server, &format!("/v1/users/{user}/disputes"), 1).await, reversed(disputes.clone()));
    assert_eq!(all_pages(&server, &format!("/v1/users/{user}/cashouts"), 1).await, reversed(cashouts.clone()));

    // An empty list, and a cursor past the end.
    let other = server.create_user(2).await;
    for list in ["payout-destinations", "gift-cards", "payments", "topups", "disputes", "cashouts"] {
        let (status, page) = server.get(&format!("/v1/users/{other}/{list}")).await;
        assert_eq!(
            (status, page["data"].as_array().map(Vec::len), page["has_more"].as_bool()),
            (200, Some(0), Some(false))
        );
        let oldest = match list {
            "payments" => &payments[0],
            "topups" => &topups[0],
            _ => continue,
        };
        let (status, page) = server.get(&format!("/v1/users/{user}/{list}?starting_after={oldest}")).await;
        assert_eq!((status, page["data"].as_array().map(Vec::len)), (200, Some(0)), "{page}");
    }
    server.assert_verified().await;
    server.stop().await;
}

async fn a_list_shows_only_its_own_user_on(backend: Backend) {
    let (server, _clock) = server(backend).await;
    let (a, b) = (server.create_user(1).await, server.create_user(2).await);
    server.topup(&a, "bank_transfer", 1_000).await;
    server.topup(&b, "bank_transfer", 2_000).await;
    let (_, page) = server.get(&format!("/v1/users/{b}/topups")).await;
    let amounts: Vec<i64> = page["data"].as_array().unwrap().iter().map(|t| t["amount"].as_i64().unwrap()).collect();
    assert_eq!(amounts, [2_000]);

    // Unknown users, another tenant's key, bad paging, and a reader's key that may list.
    let other_tenant = server.key_for(Role::Admin, true).await;
    let reader = server.key_for(Role::Readonly, false).await;
    for list in ["payout-destinations", "gift-cards", "payments", "topups", "disputes", "cashouts"] {
        let (status, error) = server.get(&format!("/v1/users/usr_nobody/{list}")).await;
        assert_eq!((status, error["error"]["code"].as_str()), (404, Some("resource_missing")), "{list}: {error}");
        let (status, _) = server.get_as(&other_tenant, &format!("/v1/users/{a}/{list}")).await;
        assert_eq!(status, 404, "{list}: another tenant's user does not exist for this key");
        let (status, error) = server.get(&format!("/v1/users/{a}/{list}?limit=0")).await;
        assert_eq!((status, error["error"]["code"].as_str()), (400, Some("invalid_limit")), "{list}: {error}");
        let (status, error) = server.get(&format!("/v1/users/{a}/{list}?limit=101")).await;
        assert_eq!((status, error["error"]["param"].as_str()), (400, Some("limit")), "{list}: {error}");
        let (status, _) = server.get_as(&reader, &format!("/v1/users/{a}/{list}")).await;
        assert_eq!(status, 200, "{list}: a readonly key may read");
    }
    server.stop().await;
}

async fn users_are_found_by_external_id_on(backend: Backend) {
    let (server, _clock) = server(backend).await;
    let first = server.create_user(1).await;
    server.create_user(2).await;
    let (status, found) = server.get("/v1/users?external_id=ext-1").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["has_more"], false);
    let ids: Vec<&str> = found["data"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first.as_str()]);
    let (status, none) = server.get("/v1/users?external_id=ext-404").await;
    assert_eq!((status, none["data"].as_array().map(Vec::len)), (200, Some(0)));
    // Another tenant's user of the same external id is not found.
    let other_tenant = server.key_for(Role::Admin, true).await;
    let (_, theirs) = server.get_as(&other_tenant, "/v1/users?external_id=ext-1").await;
    assert_eq!(theirs["data"].as_array().map(Vec::len), Some(0));

    // A duplicate says which user has the external id, and creates nothing.
    let (status, error) = server.post("/v1/users", json!({"external_id": "ext-1", "phone": "+821099998888"})).await;
    assert_eq!((status, error["error"]["code"].as_str()), (409, Some("user_exists")), "{error}");
    assert_eq!(error["error"]["param"], "external_id");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains(&first), "the message names the user: {message}");
    let (_, all) = server.get("/v1/users").await;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(2));
    server.stop().await;
}

async fn unknown_query_parameters_are_refused_on(backend: Backend) {
    let (server, _clock) = server(backend).await;
    let user = server.create_user(1).await;
    let refused = |path: String, param: &'static str| {
        let server = &server;
        async move {
            let (status, error) = server.get(&path).await;
            assert_eq!(status, 400, "{path}: {error}");
            assert_eq!(error["error"]["code"], "unknown_parameter", "{path}: {error}");
            assert_eq!(error["error"]["param"], param, "{path}: {error}");
            error["error"]["message"].as_str().unwrap().to_string()
        }
    };
    let message = refused("/v1/users?limt=5".into(), "limt").await;
    assert_eq!(message, "unknown query parameter limt: this endpoint takes external_id, limit, starting_after");
    refused(format!("/v1/users/{user}?expand=all"), "expand").await;
    refused(format!("/v1/users/{user}/balances?currency=KRW&format=csv"), "format").await;
    refused(format!("/v1/users/{user}/payments?limit=5&sort=asc"), "sort").await;

    // A parameter given twice is refused too; known ones pass.
    let (status, error) = server.get("/v1/users?limit=1&limit=2").await;
    assert_eq!((status, error["error"]["code"].as_str()), (400, Some("duplicate_parameter")), "{error}");
    let (status, _) = server.get(&format!("/v1/users/{user}/statement?format=csv&limit=5")).await;
    assert_eq!(status, 200);

    // A POST takes no query parameters, and the refused request changed nothing.
    let path = format!("/v1/users/{user}/topups?dry_run=true");
    let body = json!({"source": "bank_transfer", "amount": 1_000, "currency": "KRW", "reference": "t"});
    let (status, error) = server.post(&path, body).await;
    assert_eq!((status, error["error"]["code"].as_str()), (400, Some("unknown_parameter")), "{error}");
    let (_, topups) = server.get(&format!("/v1/users/{user}/topups")).await;
    assert_eq!(topups["data"].as_array().map(Vec::len), Some(0));
    let balances: Value = server.balances(&user).await;
    assert_eq!(balances["total"], 0);
    server.stop().await;
}
