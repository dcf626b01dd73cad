//! A key over its rate limit gets 429 `rate_limited` with `Retry-After`, changes nothing,
//! and other keys are not slowed down.

mod support;

use std::time::Duration;

use smallchange::store::tenants::Role;
use support::{fresh_db, spawn_with, Backend};

async fn a_key_over_its_limit_waits(backend: Backend) {
    let server = spawn_with(fresh_db(backend).await, |s| {
        s.rate_limit_per_s = 2;
        s.rate_limit_burst = 3;
    })
    .await;
    let other = server.key_for(Role::Admin, false).await;
    server.open_accounts(&[("bank", &[]), ("alice", &[])]).await; // 1 of the burst of 3
    assert_eq!(server.transfer("t1", "bank", "alice", 10).await, "created"); // 2
    assert_eq!(server.counters("alice").await, [0, 0, 0, 10]); // 3

    let limited = server
        .client
        .post(format!("{}/v1/ledger/transfers", server.base))
        .bearer_auth(&server.key)
        .json(&serde_json::json!({"transfers": [{"id": "t2", "debit_account": "bank", "credit_account": "alice",
            "amount": 5, "currency": "KRW", "code": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after}");
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["type"], "rate_limited");
    assert_eq!(body["error"]["code"], "rate_limited");

    // Another key has its own bucket, and the refused transfer was not applied.
    let (status, alice) = server.get_as(&other, "/v1/ledger/accounts/alice").await;
    assert_eq!((status, alice["credits_posted"].as_i64()), (200, Some(10)));

    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(server.transfer("t2", "bank", "alice", 5).await, "created", "allowed again after waiting");
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(a_key_over_its_limit_waits, super::a_key_over_its_limit_waits);
