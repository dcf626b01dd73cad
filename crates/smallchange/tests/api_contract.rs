//! The public HTTP contract of API.md ("Basics" and "Ledger (low level)"), checked black-box
//! against a real server on SQLite and on PostgreSQL: authentication and tenant isolation,
//! `Idempotency-Key`, the 400s every malformed input must get (with `param` naming the field
//! and nothing changed), the per-transfer results only the kernel can give, and the
//! operational endpoints. Each test ends with `verify`, so no refusal leaves the books broken.

mod support;

use serde_json::{json, Value};
use smallchange::store::tenants::Role;
use support::{fresh_db, spawn, spawn_with, Backend, TestServer};

const ACCOUNTS: &str = "/v1/ledger/accounts";
const TRANSFERS: &str = "/v1/ledger/transfers";

/// A response as the client sees it: status, headers and the exact bytes.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends a request with exactly the `Authorization` and `Idempotency-Key` headers given.
async fn send(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    authorization: Option<&str>,
    idempotency_key: Option<&str>,
    body: Option<String>,
) -> Answer {
    let mut request = server.client.request(method, format!("{}{path}", server.base));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("a body").to_vec();
    Answer { status, headers, bytes }
}

/// Posts `body` with the test's admin key and an optional `Idempotency-Key`.
async fn post_keyed(server: &TestServer, key: &str, path: &str, body: &Value, idempotency_key: Option<&str>) -> Answer {
    let bearer = format!("Bearer {key}");
    send(server, reqwest::Method::POST, path, Some(&bearer), idempotency_key, Some(body.to_string())).await
}

/// The error body has the documented shape, with this status, type and code.
#[track_caller]
fn assert_error(status: u16, body: &Value, want_status: u16, want_type: &str, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["type"], want_type, "{body}");
    assert_eq!(body["error"]["code"], want_code, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

fn results(body: &Value) -> Vec<String> {
    let results = body["results"].as_array().unwrap_or_else(|| panic!("no results: {body}"));
    results.iter().map(|r| r["result"].as_str().unwrap().to_string()).collect()
}

/// A valid single-phase KRW transfer.
fn transfer(id: &str, debit: &str, credit: &str, amount: i64) -> Value {
    json!({"id": id, "debit_account": debit, "credit_account": credit, "amount": amount, "currency": "KRW", "code": 1})
}

/// `transfer` with one field replaced (or removed, with `Value::Null`).
fn transfer_with(field: &str, value: Value) -> Value {
    let mut t = transfer("x1", "bank", "alice", 10);
    let object = t.as_object_mut().unwrap();
    if value.is_null() {
        object.remove(field);
    } else {
        object.insert(field.to_string(), value);
    }
    t
}

fn account(id: &str, currency: &str) -> Value {
    json!({"id": id, "currency": currency, "code": 1})
}

fn account_with(field: &str, value: Value) -> Value {
    let mut a = account("newbie", "KRW");
    a.as_object_mut().unwrap().insert(field.to_string(), value);
    a
}

/// The counters of every named account, to compare before and after a refusal.
async fn snapshot(server: &TestServer, ids: &[&str]) -> Vec<[i64; 4]> {
    let mut all = Vec::with_capacity(ids.len());
    for id in ids {
        all.push(server.counters(id).await);
    }
    all
}

async fn assert_missing(server: &TestServer, id: &str) {
    let (status, body) = server.get(&format!("{ACCOUNTS}/{id}")).await;
    assert_error(status, &body, 404, "not_found", "resource_missing");
}

/// Posts `body` (raw text) and expects a 400 with `code` and, if given, `param`; the
/// counters of bank and alice must be untouched and no account `newbie` may appear.
async fn assert_refused(server: &TestServer, path: &str, body: &str, code: &str, param: Option<&str>) {
    let before = snapshot(server, &["bank", "alice"]).await;
    let (status, answer) = server.post_raw(path, body).await;
    assert_error(status, &answer, 400, "invalid_request", code);
    match param {
        Some(param) => assert_eq!(answer["error"]["param"], param, "body {body} → {answer}"),
        None => assert!(answer["error"]["param"].is_null(), "body {body} → {answer}"),
    }
    assert_eq!(snapshot(server, &["bank", "alice"]).await, before, "{body} changed something");
    assert_missing(server, "newbie").await;
}

/// A server with `bank` and `alice` (KRW) and 1,000 moved from bank to alice.
async fn funded(server: &TestServer) {
    server.open_accounts(&[("bank", &[]), ("alice", &[])]).await;
    assert_eq!(server.transfer("fund", "bank", "alice", 1_000).await, "created");
}

async fn authentication_is_required_and_checked(backend: Backend) {
    let server = spawn(backend).await;
    funded(&server).await;
    let create = json!({"accounts": [account("newbie", "KRW")]}).to_string();
    let get = |auth: Option<&str>| {
        let auth = auth.map(str::to_string);
        let server = &server;
        async move { send(server, reqwest::Method::GET, &format!("{ACCOUNTS}/alice"), auth.as_deref(), None, None).await }
    };
    let post = |auth: Option<&str>| {
        let auth = auth.map(str::to_string);
        let (server, create) = (&server, create.clone());
        async move { send(server, reqwest::Method::POST, ACCOUNTS, auth.as_deref(), None, Some(create)).await }
    };

    for answer in [get(None).await, post(None).await] {
        assert_error(answer.status, &answer.json(), 401, "authentication", "missing_api_key");
    }
    for bad in ["Bearer sk_not_a_real_key", &format!("Bearer {}x", server.key)] {
        for answer in [get(Some(bad)).await, post(Some(bad)).await] {
            assert_error(answer.status, &answer.json(), 401, "authentication", "invalid_api_key");
        }
    }
    for malformed in [server.key.clone(), format!("Basic {}", server.key), "Bearer ".into(), "Bearer    ".into()] {
        for answer in [get(Some(&malformed)).await, post(Some(&malformed)).await] {
            assert_eq!(answer.status, 401, "{malformed:?}");
            assert_eq!(answer.json()["error"]["type"], "authentication", "{malformed:?}");
        }
    }
    let ok = get(Some(&format!("Bearer {}", server.key))).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["credits_posted"], 1_000);
    assert_missing(&server, "newbie").await;
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(authentication_is_required_and_checked, super::authentication_is_required_and_checked);

async fn tenants_never_see_each_other(backend: Backend) {
    let server = spawn(backend).await;
    funded(&server).await;
    let ours = snapshot(&server, &["bank", "alice"]).await;
    let theirs = server.key_for(Role::Admin, true).await;

    // Our accounts do not exist for them, exactly like an account nobody has.
    for id in ["alice", "bank"] {
        let (status, body) = server.get_as(&theirs, &format!("{ACCOUNTS}/{id}")).await;
        assert_error(status, &body, 404, "not_found", "resource_missing");
    }
    // Nor can they move our money by naming our ids.
    let (status, body) =
        server.post_as(&theirs, TRANSFERS, json!({"transfers": [transfer("steal", "alice", "bank", 1)]}), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(results(&body), ["account_not_found"]);

    // The same ids (accounts and transfers) are theirs to use, independently of ours.
    let accounts = json!({"accounts": [account("alice", "USD"), account("bank", "USD")]});
    let (status, body) = server.post_as(&theirs, ACCOUNTS, accounts, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(results(&body), ["created", "created"]);
    let fund = json!({"transfers": [{"id": "fund", "debit_account": "bank", "credit_account": "alice",
        "amount": 7, "currency": "USD", "code": 1}]});
    let (status, body) = server.post_as(&theirs, TRANSFERS, fund, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(results(&body), ["created"]);
    let (status, body) = server.get_as(&theirs, &format!("{ACCOUNTS}/alice")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["currency"].as_str(), body["credits_posted"].as_i64()), (Some("USD"), Some(7)));

    let (_, body) = server.get(&format!("{ACCOUNTS}/alice")).await;
    assert_eq!(body["currency"], "KRW");
    assert_eq!(snapshot(&server, &["bank", "alice"]).await, ours);
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(tenants_never_see_each_other, super::tenants_never_see_each_other);

async fn read_only_roles_read_but_never_write(backend: Backend) {
    let server = spawn(backend).await;
    funded(&server).await;
    let before = snapshot(&server, &["bank", "alice"]).await;
    for role in [Role::Readonly, Role::Reviewer] {
        let key = server.key_for(role, false).await;
        let (status, body) = server.get_as(&key, &format!("{ACCOUNTS}/alice")).await;
        assert_eq!(status, 200, "{role:?}: {body}");
        assert_eq!(body["credits_posted"], 1_000);
        let (status, body) =
            server.post_as(&key, ACCOUNTS, json!({"accounts": [account("newbie", "KRW")]}), None).await;
        assert_error(status, &body, 403, "permission", "permission_denied");
        let (status, body) =
            server.post_as(&key, TRANSFERS, json!({"transfers": [transfer("t9", "bank", "alice", 5)]}), None).await;
        assert_error(status, &body, 403, "permission", "permission_denied");
        // With an Idempotency-Key too: the role is checked before anything is recorded.
        let (status, body) = server
            .post_as(&key, TRANSFERS, json!({"transfers": [transfer("t9", "bank", "alice", 5)]}), Some("k"))
            .await;
        assert_error(status, &body, 403, "permission", "permission_denied");
    }
    assert_eq!(snapshot(&server, &["bank", "alice"]).await, before);
    assert_missing(&server, "newbie").await;
    // The admin's later request with the key the readonly key tried is not a replay.
    let answer = post_keyed(
        &server,
        &server.key,
        TRANSFERS,
        &json!({"transfers": [transfer("t9", "bank", "alice", 5)]}),
        Some("k"),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(results(&answer.json()), ["created"]);
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(read_only_roles_read_but_never_write, super::read_only_roles_read_but_never_write);

async fn idempotency_keys_replay_and_refuse_reuse(backend: Backend) {
    let server = spawn(backend).await;
    funded(&server).await;
    let key = server.key.clone();
    let body = json!({"transfers": [transfer("t1", "bank", "alice", 100)]});

    let first = post_keyed(&server, &key, TRANSFERS, &body, Some("k-1")).await;
    assert_eq!(first.status, 200);
    assert_eq!(results(&first.json()), ["created"]);
    assert_ne!(first.header("idempotent-replayed"), Some("true"));
    for _ in 0..2 {
        let again = post_keyed(&server, &key, TRANSFERS, &body, Some("k-1")).await;
        assert_eq!(again.status, first.status);
        assert_eq!(again.bytes, first.bytes, "a replay is byte-identical");
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.header("content-type"), Some("application/json"));
    }
    // Without the key, the same body is a new request: the ledger itself says `exists`.
    let (_, plain) = server.post(TRANSFERS, body.clone()).await;
    assert_eq!(results(&plain), ["exists"]);
    assert_eq!(server.counters("alice").await, [0, 0, 0, 1_100]);

    // Same key, different body (or another endpoint): 409 and nothing moves.
    let before = snapshot(&server, &["bank", "alice"]).await;
    let other = json!({"transfers": [transfer("t2", "bank", "alice", 200)]});
    let answer = post_keyed(&server, &key, TRANSFERS, &other, Some("k-1")).await;
    assert_error(answer.status, &answer.json(), 409, "conflict", "idempotency_key_reused");
    let answer =
        post_keyed(&server, &key, ACCOUNTS, &json!({"accounts": [account("newbie", "KRW")]}), Some("k-1")).await;
    assert_error(answer.status, &answer.json(), 409, "conflict", "idempotency_key_reused");
    assert_eq!(snapshot(&server, &["bank", "alice"]).await, before);
    assert_missing(&server, "newbie").await;
    let (_, r) = server.post(TRANSFERS, other).await;
    assert_eq!(results(&r), ["created"], "the refused t2 was never applied");

    // A replayed account creation answers `created` again, not `exists`.
    let open = json!({"accounts": [account("carol", "KRW")]});
    let first = post_keyed(&server, &key, ACCOUNTS, &open, Some("k-acc")).await;
    let again = post_keyed(&server, &key, ACCOUNTS, &open, Some("k-acc")).await;
    assert_eq!((first.status, again.status), (200, 200));
    assert_eq!(results(&again.json()), ["created"]);
    assert_eq!(again.bytes, first.bytes);
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(idempotency_keys_replay_and_refuse_reuse, super::idempotency_keys_replay_and_refuse_reuse);

async fn idempotency_keys_are_checked_and_scoped_to_the_tenant(backend: Backend) {
    let server = spawn(backend).await;
    funded(&server).await;
    let before = snapshot(&server, &["bank", "alice"]).await;
    let body = json!({"transfers": [transfer("t1", "bank", "alice", 100)]});
    for bad in ["k".repeat(300), "has space".into(), String::new(), "tab\there".into()] {
        let answer = post_keyed(&server, &server.key, TRANSFERS, &body, Some(&bad)).await;
        let json = answer.json();
        assert_error(answer.status, &json, 400, "invalid_request", "invalid_idempotency_key");
        assert_eq!(json["error"]["param"], "Idempotency-Key");
    }
    let longest = "k".repeat(255);
    assert_eq!(snapshot(&server, &["bank", "alice"]).await, before);

    // Another tenant using the same key string gets its own answer, not ours.
    let ours = post_keyed(&server, &server.key, TRANSFERS, &body, Some(&longest)).await;
    assert_eq!(results(&ours.json()), ["created"]);
    let theirs_key = server.key_for(Role::Admin, true).await;
    let (status, r) = server
        .post_as(&theirs_key, ACCOUNTS, json!({"accounts": [account("bank", "KRW"), account("alice", "KRW")]}), None)
        .await;
    assert_eq!((status, results(&r)), (200, vec!["created".to_string(), "created".into()]));
    let theirs = post_keyed(&server, &theirs_key, TRANSFERS, &body, Some(&longest)).await;
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.header("idempotent-replayed"), None);
    assert_eq!(results(&theirs.json()), ["created"]);
    let other = json!({"transfers": [transfer("t2", "bank", "alice", 1)]});
    let theirs = post_keyed(&server, &theirs_key, TRANSFERS, &other, Some("k-ours-only")).await;
    assert_eq!(theirs.status, 200, "a key only we used is new to them");
    let (_, alice) = server.get_as(&theirs_key, &format!("{ACCOUNTS}/alice")).await;
    assert_eq!(alice["credits_posted"], 101);
    assert_eq!(server.counters("alice").await, [0, 0, 0, 1_100]);

    // Concurrent retries with one key move the money once and all get the same answer.
    let race = json!({"transfers": [transfer("t3", "bank", "alice", 50)]});
    let answers =
        futures::future::join_all((0..4).map(|_| post_keyed(&server, &server.key, TRANSFERS, &race, Some("k-race"))))
            .await;
    for answer in &answers {
        assert_eq!(answer.status, 200);
        assert_eq!(answer.bytes, answers[0].bytes);
    }
    assert_eq!(results(&answers[0].json()), ["created"]);
    assert_eq!(server.counters("alice").await, [0, 0, 0, 1_150]);
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(
    idempotency_keys_are_checked_and_scoped_to_the_tenant,
    super::idempotency_keys_are_checked_and_scoped_to_the_tenant
);

async fn malformed_transfers_are_refused_with_their_param(backend: Backend) {
    let server = spawn(backend).await;
    funded(&server).await;
    let one = |t: Value| json!({"transfers": [t]}).to_string();
    let cases: Vec<(String, &str, Option<&str>)> = vec![
        ("{".into(), "invalid_json", None),
        ("".into(), "invalid_json", None),
        ("not json".into(), "invalid_json", None),
        (format!("{} {{}}", one(transfer("x1", "bank", "alice", 10))), "invalid_json", None),
        (
            json!({"transfers": [transfer("x1", "bank", "alice", 10)], "bogus": 1}).to_string(),
            "unknown_field",
            Some("bogus"),
        ),
        (one(transfer_with("bogus", json!(1))), "unknown_field", Some("transfers[0].bogus")),
        (json!({}).to_string(), "missing_field", Some("transfers")),
        (json!({"transfers": "x"}).to_string(), "invalid_type", Some("transfers")),
        (json!({"transfers": [1]}).to_string(), "invalid_type", Some("transfers[0]")),
        (one(transfer_with("amount", json!("10"))), "invalid_type", Some("transfers[0].amount")),
        (one(transfer_with("amount", json!(1.5))), "invalid_type", Some("transfers[0].amount")),
        (one(transfer_with("amount", json!(u64::MAX))), "invalid_type", Some("transfers[0].amount")),
        (one(transfer_with("amount", json!(-5))), "invalid_amount", Some("transfers[0].amount")),
        (one(transfer_with("amount", json!(0))), "invalid_amount", Some("transfers[0].amount")),
        (
            one(transfer_with("amount", json!(1_000_000_000_000_001i64))),
            "amount_too_large",
            Some("transfers[0].amount"),
        ),
        (one(transfer_with("amount", Value::Null)), "missing_field", Some("transfers[0].amount")),
        (one(transfer_with("currency", json!("XXX"))), "unknown_currency", Some("transfers[0].currency")),
        (one(transfer_with("currency", json!("krw"))), "invalid_currency", Some("transfers[0].currency")),
        (one(transfer_with("currency", json!("KRWX"))), "invalid_currency", Some("transfers[0].currency")),
        (one(transfer_with("currency", json!(410))), "invalid_type", Some("transfers[0].currency")),
        (one(transfer_with("currency", Value::Null)), "missing_field", Some("transfers[0].currency")),
        (one(transfer_with("id", json!("x".repeat(36)))), "invalid_id", Some("transfers[0].id")),
        (one(transfer_with("id", json!("a/b"))), "invalid_id", Some("transfers[0].id")),
        (one(transfer_with("id", json!("a b"))), "invalid_id", Some("transfers[0].id")),
        (one(transfer_with("id", json!(""))), "invalid_id", Some("transfers[0].id")),
        (one(transfer_with("id", json!("é"))), "invalid_id", Some("transfers[0].id")),
        (one(transfer_with("id", Value::Null)), "missing_field", Some("transfers[0].id")),
        (one(transfer_with("debit_account", json!("a/b"))), "invalid_id", Some("transfers[0].debit_account")),
        (
            one(transfer_with("credit_account", json!("x".repeat(36)))),
            "invalid_id",
            Some("transfers[0].credit_account"),
        ),
        (one(transfer_with("debit_account", Value::Null)), "missing_field", Some("transfers[0].debit_account")),
        (one(transfer_with("credit_account", Value::Null)), "missing_field", Some("transfers[0].credit_account")),
        (one(transfer_with("pending_id", json!("a b"))), "invalid_id", Some("transfers[0].pending_id")),
        (one(transfer_with("code", json!(0))), "invalid_code", Some("transfers[0].code")),
        (one(transfer_with("code", json!(70_000))), "invalid_code", Some("transfers[0].code")),
        (one(transfer_with("code", json!(-1))), "invalid_code", Some("transfers[0].code")),
        (one(transfer_with("code", json!("1"))), "invalid_type", Some("transfers[0].code")),
        (one(transfer_with("flags", json!(["bogus"]))), "unknown_flag", Some("transfers[0].flags")),
        (one(transfer_with("flags", json!("linked"))), "invalid_type", Some("transfers[0].flags")),
        (one(transfer_with("timeout_s", json!(-1))), "invalid_timeout", Some("transfers[0].timeout_s")),
        (one(transfer_with("timeout_s", json!(u32::MAX))), "invalid_timeout", Some("transfers[0].timeout_s")),
        (json!({"transfers": []}).to_string(), "empty_batch", Some("transfers")),
    ];
    for (body, code, param) in &cases {
        assert_refused(&server, TRANSFERS, body, code, *param).await;
    }

    // One item over the batch limit refuses the whole request; at the limit it is fine.
    let many = |n: usize| {
        let transfers: Vec<Value> = (0..n).map(|i| transfer(&format!("b{i}"), "bank", "alice", 1)).collect();
        json!({ "transfers": transfers }).to_string()
    };
    assert_refused(&server, TRANSFERS, &many(8_191), "batch_too_large", Some("transfers")).await;
    let (status, body) = server.post_raw(TRANSFERS, &many(8_190)).await;
    assert_eq!(status, 200);
    assert!(results(&body).iter().all(|r| r == "created"));
    assert_eq!(server.counters("alice").await, [0, 0, 0, 1_000 + 8_190]);
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(
    malformed_transfers_are_refused_with_their_param,
    super::malformed_transfers_are_refused_with_their_param
);

async fn one_bad_item_refuses_the_whole_batch(backend: Backend) {
    let server = spawn(backend).await;
    funded(&server).await;
    let good = |id: &str| transfer(id, "bank", "alice", 10);
    for (bad, param) in [
        (transfer_with("amount", json!(-5)), "transfers[2].amount"),
        (transfer_with("currency", json!("XXX")), "transfers[2].currency"),
        (transfer_with("bogus", json!(true)), "transfers[2].bogus"),
    ] {
        let body = json!({"transfers": [good("g0"), good("g1"), bad, good("g3")]}).to_string();
        let code = if param.ends_with("bogus") {
            "unknown_field"
        } else if param.ends_with("amount") {
            "invalid_amount"
        } else {
            "unknown_currency"
        };
        assert_refused(&server, TRANSFERS, &body, code, Some(param)).await;
    }
    let (_, r) = server.post(TRANSFERS, json!({"transfers": [good("g0"), good("g1"), good("g3")]})).await;
    assert_eq!(results(&r), ["created", "created", "created"], "none of the valid items had been applied");

    let accounts = json!({"accounts": [account("newbie", "KRW"), account("new2", "XXX"), account("new3", "KRW")]});
    assert_refused(&server, ACCOUNTS, &accounts.to_string(), "unknown_currency", Some("accounts[1].currency")).await;
    assert_missing(&server, "new3").await;
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(one_bad_item_refuses_the_whole_batch, super::one_bad_item_refuses_the_whole_batch);

async fn malformed_accounts_are_refused_with_their_param(backend: Backend) {
    let server = spawn(backend).await;
    funded(&server).await;
    let one = |a: Value| json!({"accounts": [a]}).to_string();
    let cases: Vec<(String, &str, Option<&str>)> = vec![
        ("{\"accounts\": [".into(), "invalid_json", None),
        (json!({"accounts": [account("newbie", "KRW")], "bogus": 1}).to_string(), "unknown_field", Some("bogus")),
        (one(account_with("bogus", json!(1))), "unknown_field", Some("accounts[0].bogus")),
        (json!({}).to_string(), "missing_field", Some("accounts")),
        (json!({"accounts": [{"id": "newbie", "code": 1}]}).to_string(), "missing_field", Some("accounts[0].currency")),
        (one(account_with("currency", json!("XXX"))), "unknown_currency", Some("accounts[0].currency")),
        (one(account_with("currency", json!("krw"))), "invalid_currency", Some("accounts[0].currency")),
        (one(account("x".repeat(36).as_str(), "KRW")), "invalid_id", Some("accounts[0].id")),
        (one(account("a/b", "KRW")), "invalid_id", Some("accounts[0].id")),
        (one(account("a b", "KRW")), "invalid_id", Some("accounts[0].id")),
        (one(account("", "KRW")), "invalid_id", Some("accounts[0].id")),
        (one(account_with("id", json!(7))), "invalid_type", Some("accounts[0].id")),
        (one(account_with("code", json!(0))), "invalid_code", Some("accounts[0].code")),
        (one(account_with("code", json!(70_000))), "invalid_code", Some("accounts[0].code")),
        (one(account_with("code", json!("1"))), "invalid_type", Some("accounts[0].code")),
        (one(account_with("flags", json!(["bogus"]))), "unknown_flag", Some("accounts[0].flags")),
        (
            one(account_with("flags", json!(["debits_must_not_exceed_credits", "credits_must_not_exceed_debits"]))),
            "flags_are_mutually_exclusive",
            Some("accounts[0].flags"),
        ),
        (json!({"accounts": []}).to_string(), "empty_batch", Some("accounts")),
    ];
    for (body, code, param) in &cases {
        assert_refused(&server, ACCOUNTS, body, code, *param).await;
    }
    // An id of exactly 35 characters is fine; a bad id in a GET is simply not found.
    let longest = "x".repeat(35);
    let (status, r) = server.post(ACCOUNTS, json!({"accounts": [account(&longest, "KRW")]})).await;
    assert_eq!((status, results(&r)), (200, vec!["created".to_string()]));
    for path in ["a%2Fb", "a%20b", &"x".repeat(36)] {
        let (status, body) = server.get(&format!("{ACCOUNTS}/{path}")).await;
        assert_error(status, &body, 404, "not_found", "resource_missing");
    }
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(malformed_accounts_are_refused_with_their_param, super::malformed_accounts_are_refused_with_their_param);

async fn configured_limits_are_enforced(backend: Backend) {
    let server = spawn_with(fresh_db(backend).await, |s| {
        s.amount_max = 1_000;
        s.body_bytes_max = 4_096;
    })
    .await;
    server.open_accounts(&[("bank", &[]), ("alice", &[])]).await;
    let one = |amount: i64| json!({"transfers": [transfer("x1", "bank", "alice", amount)]}).to_string();
    assert_refused(&server, TRANSFERS, &one(1_001), "amount_too_large", Some("transfers[0].amount")).await;
    assert_eq!(server.transfer("x1", "bank", "alice", 1_000).await, "created");

    // A body over the limit is a JSON 413, before anything is parsed or applied.
    let before = snapshot(&server, &["bank", "alice"]).await;
    let transfers: Vec<Value> = (0..100).map(|i| transfer(&format!("big{i}"), "bank", "alice", 1)).collect();
    let big = json!({ "transfers": transfers });
    assert!(big.to_string().len() > 4_096);
    for key in [None, Some("k-big")] {
        let answer = post_keyed(&server, &server.key, TRANSFERS, &big, key).await;
        assert_eq!(answer.status, 413, "{}", String::from_utf8_lossy(&answer.bytes));
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_error(answer.status, &answer.json(), 413, "invalid_request", "body_too_large");
    }
    let (status, body) =
        server.post(ACCOUNTS, json!({"accounts": [{"id": "x".repeat(5_000), "currency": "KRW", "code": 1}]})).await;
    assert_error(status, &body, 413, "invalid_request", "body_too_large");
    assert_eq!(snapshot(&server, &["bank", "alice"]).await, before);
    let (_, r) = server.post(TRANSFERS, json!({"transfers": [transfer("big0", "bank", "alice", 1)]})).await;
    assert_eq!(results(&r), ["created"], "the refused batch was never applied");
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(configured_limits_are_enforced, super::configured_limits_are_enforced);

async fn the_kernel_answers_per_transfer(backend: Backend) {
    let server = spawn(backend).await;
    funded(&server).await;
    let (_, r) = server.post(ACCOUNTS, json!({"accounts": [account("dollars", "USD")]})).await;
    assert_eq!(results(&r), ["created"]);
    let (_, r) = server
        .post(
            TRANSFERS,
            json!({"transfers": [{"id": "hold", "debit_account": "alice", "credit_account": "bank",
            "amount": 100, "currency": "KRW", "code": 1, "flags": ["pending"]}]}),
        )
        .await;
    assert_eq!(results(&r), ["created"]);
    let before = snapshot(&server, &["bank", "alice", "dollars"]).await;

    let mut usd = transfer("e3", "bank", "alice", 10);
    usd["currency"] = json!("USD");
    let body = json!({"transfers": [
        transfer("e1", "ghost", "alice", 10),
        transfer("e2", "bank", "dollars", 10),
        usd,
        transfer("e4", "alice", "alice", 10),
        {"id": "e5", "pending_id": "nope", "code": 1, "flags": ["post_pending"]},
        {"id": "e6", "pending_id": "hold", "amount": 101, "code": 1, "flags": ["post_pending"]},
        {"id": "e7", "debit_account": "bank", "credit_account": "alice", "amount": 10, "currency": "KRW", "code": 1,
            "flags": ["pending", "post_pending"], "pending_id": "hold"},
        {"id": "e8", "pending_id": "hold", "code": 1, "flags": ["post_pending", "void_pending"]},
        {"id": "e9", "debit_account": "bank", "credit_account": "alice", "amount": 10, "currency": "KRW", "code": 1,
            "timeout_s": 5},
        {"id": "e10", "debit_account": "bank", "credit_account": "alice", "amount": 10, "currency": "KRW", "code": 1,
            "flags": ["linked"]},
        {"id": "e11", "debit_account": "bank", "credit_account": "alice", "amount": 10, "currency": "KRW", "code": 1,
            "flags": ["linked"]}
    ]});
    let (status, r) = server.post(TRANSFERS, body).await;
    assert_eq!(status, 200, "{r}");
    let ids: Vec<&str> = r["results"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9", "e10", "e11"],
        "request order, caller's ids"
    );
    assert_eq!(
        results(&r),
        [
            "account_not_found",
            "currency_mismatch",
            "currency_mismatch",
            "accounts_must_be_different",
            "pending_not_found",
            "exceeds_pending_amount",
            "flags_are_mutually_exclusive",
            "flags_are_mutually_exclusive",
            "timeout_reserved_for_pending_transfer",
            "linked_event_failed",
            "linked_event_chain_open",
        ]
    );
    assert_eq!(snapshot(&server, &["bank", "alice", "dollars"]).await, before);

    // A request that is only an open chain.
    let (_, r) = server
        .post(
            TRANSFERS,
            json!({"transfers": [{"id": "e12", "debit_account": "bank", "credit_account": "alice",
            "amount": 10, "currency": "KRW", "code": 1, "flags": ["linked"]}]}),
        )
        .await;
    assert_eq!(results(&r), ["linked_event_chain_open"]);
    // None of the failed ids was taken: the hold still posts in full.
    let (_, r) = server
        .post(
            TRANSFERS,
            json!({"transfers": [{"id": "e6", "pending_id": "hold", "code": 1, "flags": ["post_pending"]}]}),
        )
        .await;
    assert_eq!(results(&r), ["created"]);
    assert_eq!(server.counters("alice").await, [0, 100, 0, 1_000]);
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(the_kernel_answers_per_transfer, super::the_kernel_answers_per_transfer);

async fn operational_endpoints_and_the_spec(backend: Backend) {
    let server = spawn(backend).await;
    let get = |path: &'static str| send(&server, reqwest::Method::GET, path, None, None, None);
    let text = |a: &Answer| String::from_utf8_lossy(&a.bytes).to_string();
    assert_eq!(get("/healthz").await.status, 200);
    assert_eq!(get("/readyz").await.status, 200);
    let metrics = get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(text(&metrics).contains("smallchange_commit_batches_total"), "{}", text(&metrics));

    let spec = get("/openapi.json").await;
    assert_eq!(spec.status, 200);
    let spec = spec.json();
    assert!(spec["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", spec["openapi"]);
    let paths = spec["paths"].as_object().expect("paths");
    for (path, method) in [(ACCOUNTS, "post"), (TRANSFERS, "post"), ("/v1/ledger/accounts/{id}", "get")] {
        let item = paths.get(path).unwrap_or_else(|| panic!("{path} missing from the spec"));
        assert!(item.get(method).is_some(), "{path} has no {method}");
        let methods: Vec<&String> = item.as_object().unwrap().keys().filter(|k| *k != "parameters").collect();
        assert_eq!(methods, [method], "{path}");
    }
    // What a cash-out's creation answers links to the operations that take its id, in the
    // spelling clients read (`operationId`).
    let links = &spec["paths"]["/v1/cashouts"]["post"]["responses"]["200"]["links"];
    assert_eq!(links["get_cashout"]["operationId"], "get_cashout", "{links}");
    assert_eq!(links["confirm_cashout"]["parameters"]["id"], "$response.body#/id", "{links}");
    assert!(links["get_cashout"].get("operation_id").is_none(), "{links}");
    let destination = &spec["components"]["schemas"]["DestinationRequest"]["oneOf"];
    let kinds: Vec<&Value> =
        destination.as_array().unwrap().iter().map(|b| &b["properties"]["type"]["enum"][0]).collect();
    assert_eq!(kinds, ["bank_account", "e_wallet", "cash_pickup"], "each branch names its own type");

    let docs = get("/docs/").await;
    assert_eq!(docs.status, 200);
    assert!(docs.header("content-type").is_some_and(|t| t.starts_with("text/html")));
    assert!(text(&docs).to_lowercase().contains("<html"));

    for path in ["/nope", "/v1/ledger/nope", "/v1/ledger/accounts/a/b"] {
        let answer = get(path).await;
        assert_error(answer.status, &answer.json(), 404, "not_found", "resource_missing");
    }
    server.assert_verified().await;
    server.stop().await;
}
both_backends!(operational_endpoints_and_the_spec, super::operational_endpoints_and_the_spec);
