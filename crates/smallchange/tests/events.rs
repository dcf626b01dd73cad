//! One fact per change, seen from outside: each use case that changes something leaves
//! exactly one event in its tenant's log, with the right kind, subject, actor and amounts; a
//! refused change and a replayed request leave none. Read straight from the events table
//! (there is no read API for events yet), on both backends.

mod support;

use serde_json::{json, Value};
use smallchange::store::events::{self, Stored};
use smallchange::store::tenants;
use support::{spawn, Backend, TestServer};

both_backends!(a_payment_and_a_top_up_each_leave_one_event, super::a_payment_and_a_top_up_each_leave_one_event_on);
both_backends!(refusals_and_replays_leave_no_event, super::refusals_and_replays_leave_no_event_on);
both_backends!(a_ledger_request_is_one_event, super::a_ledger_request_is_one_event_on);

/// Every event of the server's tenant, oldest first.
async fn all_events(server: &TestServer) -> Vec<Stored> {
    events::from_index(server.store(), &server.tenant, 0, 10_000).await.unwrap()
}

async fn about(server: &TestServer, subject: &str) -> Vec<Stored> {
    events::of_subject(server.store(), &server.tenant, subject).await.unwrap()
}

fn of_kind<'a>(events: &'a [Stored], kind: &str) -> Vec<&'a Stored> {
    events.iter().filter(|e| e.kind == kind).collect()
}

/// The recorded actor of the server's admin key: `api_key:key_…`.
async fn admin_actor(server: &TestServer) -> String {
    let owner = tenants::find_key(server.store(), &tenants::hash_secret(&server.key)).await.unwrap();
    format!("api_key:{}", owner.expect("the admin key is stored").key_id)
}

/// The sum of an event's `transfers` amounts.
fn moved(data: &Value) -> i64 {
    data["transfers"].as_array().expect("transfers").iter().map(|t| t["amount"].as_i64().unwrap()).sum()
}

async fn a_payment_and_a_top_up_each_leave_one_event_on(backend: Backend) {
    let server = spawn(backend).await;
    let actor = admin_actor(&server).await;
    let user = server.create_user(1).await;
    let topup = server.topup(&user, "bank_transfer", 5_000).await;
    let topup_id = topup["id"].as_str().unwrap();
    let found = about(&server, topup_id).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let event = &found[0];
    assert_eq!((event.kind.as_str(), event.actor.as_str()), ("topup.received", actor.as_str()));
    let data = event.data();
    assert_eq!((data["amount"].as_i64(), data["currency"].as_str()), (Some(5_000), Some("KRW")));
    assert_eq!((data["user_id"].as_str(), data["pocket"].as_str()), (Some(user.as_str()), Some("cash")));
    assert_eq!(data["source"], "bank_transfer");
    assert_eq!(data["transfers"], json!([{"id": topup_id, "amount": 5_000}]));

    let body = json!({"merchant": "shop-1", "amount": 2_000, "currency": "KRW", "description": "coffee"});
    let (status, payment) = server.post(&format!("/v1/users/{user}/payments"), body).await;
    assert_eq!(status, 200, "{payment}");
    let payment_id = payment["id"].as_str().unwrap();
    let found = about(&server, payment_id).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let event = &found[0];
    assert_eq!((event.kind.as_str(), event.actor.as_str()), ("payment.made", actor.as_str()));
    let data = event.data();
    assert_eq!((data["amount"].as_i64(), data["currency"].as_str()), (Some(2_000), Some("KRW")));
    assert_eq!((data["user_id"].as_str(), data["merchant"].as_str()), (Some(user.as_str()), Some("shop-1")));
    assert_eq!(data["description"], "coffee");
    assert_eq!(moved(&data), 2_000);
    assert_eq!(data["transfers"][0]["id"], format!("{payment_id}:0"));

    let (status, refund) = server.post(&format!("/v1/payments/{payment_id}/refund"), json!({"amount": 500})).await;
    assert_eq!(status, 200, "{refund}");
    let found = about(&server, payment_id).await;
    let refunds = of_kind(&found, "payment.refunded");
    assert_eq!((found.len(), refunds.len()), (2, 1), "{found:?}");
    let data = refunds[0].data();
    assert_eq!((data["amount"].as_i64(), data["refund_id"].as_str()), (Some(500), refund["id"].as_str()));
    assert_eq!(refunds[0].actor, actor);
    // The event is the next entry of the tenant's log: indexes run 0, 1, 2, … without gaps.
    let log = all_events(&server).await;
    assert!(log.iter().enumerate().all(|(n, e)| e.index == n as u64), "{log:?}");
    server.stop().await;
}

async fn refusals_and_replays_leave_no_event_on(backend: Backend) {
    let server = spawn(backend).await;
    let user = server.create_user(1).await;
    server.topup(&user, "bank_transfer", 1_000).await;
    let before = all_events(&server).await.len();
    let path = format!("/v1/users/{user}/payments");
    let too_much = json!({"merchant": "shop-1", "amount": 1_001, "currency": "KRW"});
    let (status, answer) = server.post(&path, too_much).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("insufficient_funds")), "{answer}");
    assert_eq!(all_events(&server).await.len(), before, "a refused payment records nothing");

    let coffee = json!({"merchant": "shop-1", "amount": 300, "currency": "KRW"});
    let (status, first) = server.post_as(&server.key, &path, coffee.clone(), Some("pay-once")).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = server.post_as(&server.key, &path, coffee, Some("pay-once")).await;
    assert_eq!((status, &again["id"]), (200, &first["id"]), "{again}");
    let topups = format!("/v1/users/{user}/topups");
    let topup = json!({"source": "bank_transfer", "amount": 700, "currency": "KRW", "reference": "t"});
    for _ in 0..2 {
        let (status, answer) = server.post_as(&server.key, &topups, topup.clone(), Some("topup-once")).await;
        assert_eq!(status, 200, "{answer}");
    }
    let after = all_events(&server).await;
    assert_eq!(after.len(), before + 2, "one payment and one top-up, each once: {after:?}");
    assert_eq!(of_kind(&after[before..], "payment.made").len(), 1);
    assert_eq!(of_kind(&after[before..], "topup.received").len(), 1);
    server.stop().await;
}

async fn a_ledger_request_is_one_event_on(backend: Backend) {
    let server = spawn(backend).await;
    server.open_accounts(&[("bank", &[]), ("alice", &[])]).await;
    let before = all_events(&server).await.len();
    let transfers: Vec<Value> = (0..5)
        .map(|n| {
            json!({"id": format!("t{n}"), "debit_account": "bank", "credit_account": "alice",
                "amount": 100 + n, "currency": "KRW", "code": 1})
        })
        .collect();
    let (status, answer) = server.post("/v1/ledger/transfers", json!({ "transfers": transfers })).await;
    assert_eq!(status, 200, "{answer}");
    let after = all_events(&server).await;
    assert_eq!(after.len(), before + 1, "{after:?}");
    let event = &after[before];
    assert_eq!((event.kind.as_str(), event.subject.as_str()), ("ledger.transfers_created", "t0"));
    let listed: Vec<(String, i64)> = event.data()["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap().to_string(), t["amount"].as_i64().unwrap()))
        .collect();
    let expected: Vec<(String, i64)> = (0..5).map(|n| (format!("t{n}"), 100 + n)).collect();
    assert_eq!(listed, expected);
    server.stop().await;
}
