//! A graceful stop (SIGTERM, Ctrl-C, or `Running::stop`) finishes the requests and the batch
//! in flight: every request answered `created` is in the database, and nothing that was
//! not answered was applied.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use support::{spawn, Backend};

async fn stopping_finishes_what_is_in_flight(backend: Backend) {
    let server = spawn(backend).await;
    server.open_accounts(&[("bank", &[]), ("alice", &[])]).await;
    let (base, key, client) = (server.base.clone(), server.key.clone(), server.client.clone());
    let answered = Arc::new(AtomicUsize::new(0));
    let requests: Vec<_> = (0..500)
        .map(|i| {
            let (base, key, client, answered) = (base.clone(), key.clone(), client.clone(), answered.clone());
            tokio::spawn(async move {
                let body = json!({"transfers": [{"id": format!("t{i}"), "debit_account": "bank",
                    "credit_account": "alice", "amount": 1, "currency": "KRW", "code": 1}]});
                let sent = client.post(format!("{base}/v1/ledger/transfers")).bearer_auth(&key).json(&body).send();
                match sent.await {
                    Ok(response) if response.status() == 200 => {
                        let answer: serde_json::Value = response.json().await.unwrap();
                        assert_eq!(answer["results"][0]["result"], "created", "{answer}");
                        answered.fetch_add(1, Ordering::SeqCst);
                        true
                    }
                    Ok(response) => panic!("a request in flight was answered {}", response.status()),
                    // Sent after the listener closed: refused, never seen by the server.
                    Err(_) => false,
                }
            })
        })
        .collect();
    // Stop once the load is under way, with most requests still to come or in flight.
    for _ in 0..10_000 {
        if answered.load(Ordering::SeqCst) >= 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let db = server.stop_keeping_db().await;
    let mut acknowledged = 0;
    for request in requests {
        acknowledged += i64::from(request.await.unwrap());
    }

    eprintln!("{acknowledged} of 500 requests acknowledged before the stop closed the listener");
    let store = support::open(&db).await;
    let alice = smallchange::store::ledger::get_account(&store, &format!("{}/alice", tenant_of(&store).await))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice.credits_posted.minor_units(), acknowledged, "applied transfers == acknowledged ones");
    assert!(acknowledged > 0, "the stop came after some requests were answered");
    let report = smallchange::store::verify::run(&store).await.unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.transfers, acknowledged as u64);
    store.close().await;
}
both_backends!(stopping_finishes_what_is_in_flight, super::stopping_finishes_what_is_in_flight);

/// The one tenant the test server created.
async fn tenant_of(store: &smallchange::store::Db) -> String {
    let (id,): (String,) = smallchange::on_db!(store, |pool, _d| {
        sqlx::query_as("SELECT id FROM tenants").fetch_one(pool).await.unwrap()
    });
    id
}
