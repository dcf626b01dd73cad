//! The low-level ledger API end to end, on SQLite and on PostgreSQL.

mod support;

use serde_json::json;
use support::{spawn, Backend};

async fn transfers_move_money_and_conserve_it(backend: Backend) {
    let server = spawn(backend).await;
    server.open_accounts(&[("bank", &[]), ("alice", &["debits_must_not_exceed_credits"])]).await;
    assert_eq!(server.transfer("t1", "bank", "alice", 1_000).await, "created");
    assert_eq!(server.transfer("t2", "alice", "bank", 1_001).await, "exceeds_credits");
    assert_eq!(server.transfer("t1", "bank", "alice", 1_000).await, "exists");
    assert_eq!(server.transfer("t1", "bank", "alice", 999).await, "exists_with_different_fields");
    assert_eq!(server.counters("alice").await, [0, 0, 0, 1_000]);
    assert_eq!(server.counters("bank").await, [0, 1_000, 0, 0]);
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(transfers_move_money_and_conserve_it, super::transfers_move_money_and_conserve_it);

async fn pending_transfers_post_void_and_expire(backend: Backend) {
    let server = spawn(backend).await;
    server.open_accounts(&[("bank", &[]), ("alice", &["debits_must_not_exceed_credits"]), ("shop", &[])]).await;
    assert_eq!(server.transfer("fund", "bank", "alice", 10_000).await, "created");
    let hold = |id: &str, amount: i64, timeout_s: i64| {
        json!({"transfers": [{"id": id, "debit_account": "alice", "credit_account": "shop", "amount": amount,
            "currency": "KRW", "code": 1, "flags": ["pending"], "timeout_s": timeout_s}]})
    };
    let resolve = |id: &str, pending: &str, flag: &str| json!({"transfers": [{"id": id, "pending_id": pending, "code": 1, "flags": [flag]}]});
    let (_, r) = server.post("/v1/ledger/transfers", hold("h1", 4_000, 0)).await;
    assert_eq!(r["results"][0]["result"], "created");
    assert_eq!(server.counters("alice").await, [4_000, 0, 0, 10_000]);
    // Held money cannot be spent twice.
    assert_eq!(server.transfer("spend", "alice", "shop", 6_001).await, "exceeds_credits");
    let (_, r) = server.post("/v1/ledger/transfers", resolve("p1", "h1", "post_pending")).await;
    assert_eq!(r["results"][0]["result"], "created");
    let (_, r) = server.post("/v1/ledger/transfers", resolve("v1", "h1", "void_pending")).await;
    assert_eq!(r["results"][0]["result"], "pending_already_posted");
    assert_eq!(server.counters("alice").await, [0, 4_000, 0, 10_000]);

    let (_, r) = server.post("/v1/ledger/transfers", hold("h2", 1_000, 0)).await;
    assert_eq!(r["results"][0]["result"], "created");
    let (_, r) = server.post("/v1/ledger/transfers", resolve("v2", "h2", "void_pending")).await;
    assert_eq!(r["results"][0]["result"], "created");
    assert_eq!(server.counters("alice").await, [0, 4_000, 0, 10_000]);

    // A hold with a one-second timeout voids itself; a late post is refused.
    let (_, r) = server.post("/v1/ledger/transfers", hold("h3", 2_000, 1)).await;
    assert_eq!(r["results"][0]["result"], "created");
    let mut released = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if server.counters("alice").await == [0, 4_000, 0, 10_000] {
            released = true;
            break;
        }
    }
    assert!(released, "the expired hold was not released");
    let (_, r) = server.post("/v1/ledger/transfers", resolve("p3", "h3", "post_pending")).await;
    assert_eq!(r["results"][0]["result"], "pending_expired");
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(pending_transfers_post_void_and_expire, super::pending_transfers_post_void_and_expire);

async fn linked_chains_are_all_or_nothing(backend: Backend) {
    let server = spawn(backend).await;
    server.open_accounts(&[("bank", &[]), ("alice", &["debits_must_not_exceed_credits"]), ("bob", &[])]).await;
    let body = json!({"transfers": [
        {"id": "l1", "debit_account": "bank", "credit_account": "alice", "amount": 100, "currency": "KRW", "code": 1, "flags": ["linked"]},
        {"id": "l2", "debit_account": "alice", "credit_account": "bob", "amount": 101, "currency": "KRW", "code": 1},
        {"id": "l3", "debit_account": "bank", "credit_account": "bob", "amount": 5, "currency": "KRW", "code": 1}
    ]});
    let (status, r) = server.post("/v1/ledger/transfers", body).await;
    assert_eq!(status, 200);
    let results: Vec<&str> = r["results"].as_array().unwrap().iter().map(|x| x["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["linked_event_failed", "exceeds_credits", "created"]);
    assert_eq!(server.counters("alice").await, [0, 0, 0, 0]);
    assert_eq!(server.counters("bob").await, [0, 0, 0, 5]);
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(linked_chains_are_all_or_nothing, super::linked_chains_are_all_or_nothing);
