//! On SQLite, statement entries and payments reach their per-user index behind the payment
//! path, in bulk (`store::user_index`, `workers::user_index`). A person never sees the
//! difference: a payment is in the list and the statement the moment it is answered, before
//! the move and after it, and a page that spans rows moved and rows not moved yet is in
//! order, with the running balance unbroken. On PostgreSQL rows are indexed as they are
//! written, and the same reads give the same pages.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::config::Settings;
use smallchange::store::{user_index, Db};
use support::{fresh_db, spawn_with_clock, Backend, TestDb, TestServer};

both_backends!(rows_are_found_before_and_after_their_move, super::rows_are_found_before_and_after_their_move_on);

/// 2026-11-10 03:00 UTC.
const START_US: i64 = 1_794_279_600_000_000;

/// A server whose mover runs only as it starts (then once an hour), so the test decides
/// when rows move: by starting the server again on the same database.
async fn server(db: TestDb, clock: &Clock) -> TestServer {
    let adjust = |s: &mut Settings| s.user_index_every_ms = 3_600_000;
    spawn_with_clock(db, adjust, clock.clone()).await
}

/// Rows waiting for their per-user index, as (statement entries, payments).
async fn waiting(db: &Db) -> (i64, i64) {
    let sql = "SELECT (SELECT COUNT(*) FROM wallet_entries WHERE user_indexed = 0), \
               (SELECT COUNT(*) FROM payments WHERE user_indexed = 0)";
    match db {
        Db::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await.unwrap(),
    }
}

/// Pays `amount` a second after the last thing made, so ids follow the order of payments.
async fn pay(server: &TestServer, clock: &Clock, user: &str, amount: i64) -> String {
    clock.set(clock.now_us() + 1_000_000);
    let body = json!({"merchant": "cafe", "amount": amount, "currency": "KRW"});
    let (status, payment) = server.post(&format!("/v1/users/{user}/payments"), body).await;
    assert_eq!(status, 200, "{payment}");
    payment["id"].as_str().unwrap().to_string()
}

/// Every page of `path` at `limit` a page: the items in order.
async fn all_pages(server: &TestServer, path: &str, limit: usize) -> Vec<Value> {
    let mut items: Vec<Value> = Vec::new();
    loop {
        let after = items.last().map(|c| format!("&starting_after={}", c["id"].as_str().unwrap())).unwrap_or_default();
        let (status, page) = server.get(&format!("{path}?limit={limit}{after}")).await;
        assert_eq!(status, 200, "{path}: {page}");
        let data = page["data"].as_array().unwrap();
        items.extend(data.iter().cloned());
        if page["has_more"] == false {
            return items;
        }
        assert_eq!(data.len(), limit, "a page with more after it is full: {page}");
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|item| item["id"].as_str().unwrap().to_string()).collect()
}

/// Each statement line's amount, and whether its balance is the one before plus it.
fn running_balance_holds(lines: &[Value]) {
    let mut balance = 0;
    for line in lines {
        balance += line["amount"].as_i64().unwrap();
        assert_eq!(line["balance"].as_i64().unwrap(), balance, "{line}");
    }
}

async fn rows_are_found_before_and_after_their_move_on(backend: Backend) {
    let clock = Clock::fixed(START_US);
    let mut server = server(fresh_db(backend).await, &clock).await;
    let user = server.create_user(1).await;
    server.topup(&user, "bank_transfer", 100_000).await;
    let mut paid = Vec::new();
    for amount in [1_000, 2_000, 3_000, 4_000, 5_000, 6_000] {
        paid.push(pay(&server, &clock, &user, amount).await);
    }
    // On SQLite not moved yet: one entry for the top-up and one for each payment, and the
    // payments. PostgreSQL indexes them at once.
    let behind = backend == Backend::Sqlite;
    assert_eq!(waiting(server.store()).await, if behind { (7, 6) } else { (0, 0) });
    let payments_path = format!("/v1/users/{user}/payments");
    let statement_path = format!("/v1/users/{user}/statement");
    let payments_before = all_pages(&server, &payments_path, 4).await;
    let newest_first: Vec<String> = paid.iter().rev().cloned().collect();
    assert_eq!(ids(&payments_before), newest_first);
    let statement_before = all_pages(&server, &statement_path, 3).await;
    assert_eq!(statement_before.len(), 7);
    running_balance_holds(&statement_before);
    assert_eq!(statement_before[6]["balance"], 100_000 - 21_000);

    // A server that starts moves what waits; then the same lists, the same pages.
    let (key, tenant) = (server.key.clone(), server.tenant.clone());
    let db = server.stop_keeping_db().await;
    server = server_again(db, &clock, key, tenant).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while waiting(server.store()).await != (0, 0) {
        assert!(tokio::time::Instant::now() < deadline, "rows were not moved: {:?}", waiting(server.store()).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(user_index::waiting(server.store()).await.unwrap(), 0);
    assert_eq!(all_pages(&server, &payments_path, 4).await, payments_before);
    assert_eq!(all_pages(&server, &statement_path, 3).await, statement_before);

    // Newer payments wait again; pages that span both kinds of rows keep their order.
    for amount in [700, 800, 900] {
        paid.push(pay(&server, &clock, &user, amount).await);
    }
    assert_eq!(waiting(server.store()).await, if behind { (3, 3) } else { (0, 0) });
    let newest_first: Vec<String> = paid.iter().rev().cloned().collect();
    for limit in [1, 2, 4, 9, 20] {
        assert_eq!(ids(&all_pages(&server, &payments_path, limit).await), newest_first, "limit {limit}");
        let statement = all_pages(&server, &statement_path, limit).await;
        assert_eq!(statement.len(), 10, "limit {limit}");
        assert_eq!(statement[..7], statement_before[..], "limit {limit}");
        running_balance_holds(&statement);
    }
    // The balance the statement ends on is the wallet's.
    let statement = all_pages(&server, &statement_path, 20).await;
    let balances = server.balances(&user).await;
    assert_eq!(statement[9]["balance"], balances["total"], "{balances}");
    assert_eq!(statement[9]["balance"], 100_000 - 21_000 - 2_400);
    server.assert_verified().await;
    server.stop().await;
}

/// The server started again on `db`, acting with the first server's key and tenant.
async fn server_again(db: TestDb, clock: &Clock, key: String, tenant: String) -> TestServer {
    let mut server = server(db, clock).await;
    server.key = key;
    server.tenant = tenant;
    server
}
