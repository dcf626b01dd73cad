//! What every request meets before and after its handler: bodies refused in plain words
//! with the field at fault, 415 for a body that is not labelled JSON, `X-Request-Id` on
//! every answer, and one log line per request that carries no secret.

mod support;

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{json, Value};
use smallchange::store::tenants::Role;
use support::process::{self, ServerProcess};
use support::{fresh_db, spawn, spawn_with, Backend, TestServer};

/// A raw POST: `body` byte for byte, with `content_type` (none when `None`).
async fn post_labelled(
    server: &TestServer,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> (u16, HeaderMap, Value) {
    let mut request = server.client.post(format!("{}{path}", server.base)).bearer_auth(&server.key);
    if let Some(label) = content_type {
        request = request.header("content-type", label);
    }
    let response = request.body(body.to_string()).send().await.expect("the server answers");
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let text = response.text().await.expect("a body");
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn user_count(server: &TestServer) -> usize {
    let (status, page) = server.get("/v1/users").await;
    assert_eq!(status, 200, "{page}");
    page["data"].as_array().expect("a list").len()
}

/// (code, message, param) of an error answer.
fn error_of(answer: &Value) -> (String, String, Option<String>) {
    let error = &answer["error"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (text(&error["code"]), text(&error["message"]), error["param"].as_str().map(str::to_string))
}

async fn body_errors_are_in_plain_words(backend: Backend) {
    let server = spawn(backend).await;
    let (_, user) = server.post("/v1/users", json!({"external_id": "ext-1", "phone": "+821012345678"})).await;
    let user = user["id"].as_str().expect("a user id").to_string();
    let topups = format!("/v1/users/{user}/topups");
    let destinations = format!("/v1/users/{user}/payout-destinations");
    let topup = |amount: Value| {
        json!({"source": "bank_transfer", "amount": amount, "currency": "KRW", "reference": "r-1"}).to_string()
    };
    let money = "amount must be an integer number of minor units (KRW has none: 20000 means ₩20,000)";
    let cases: Vec<(&str, String, &str, &str, Option<&str>)> = vec![
        (topups.as_str(), topup(json!("20000")), "invalid_type", money, Some("amount")),
        (topups.as_str(), topup(json!(200.5)), "invalid_type", money, Some("amount")),
        ("/v1/users", json!({"phone": "+821012345678"}).to_string(), "missing_field", "external_id is required", Some("external_id")),
        (
            "/v1/users",
            json!({"external_id": "e", "phone": "+821012345678", "role": "x"}).to_string(),
            "unknown_field",
            "role is not a field of this request",
            Some("role"),
        ),
        ("/v1/users", json!({"external_id": 7, "phone": "+8210"}).to_string(), "invalid_type", "external_id must be a string", Some("external_id")),
        (
            "/v1/webhook-endpoints",
            json!({"url": "https://x.example", "events": "cashout.paid"}).to_string(),
            "invalid_type",
            "events must be a list",
            Some("events"),
        ),
        (
            "/v1/ledger/transfers",
            json!({"transfers": [{"id": "t", "amount": 1, "code": "1"}]}).to_string(),
            "invalid_type",
            "transfers[0].code must be a whole number",
            Some("transfers[0].code"),
        ),
        (
            "/v1/ledger/transfers",
            json!({"transfers": [{"id": "t", "code": 1, "debit_account": "a", "credit_account": "b", "currency": "KRW"}]})
                .to_string(),
            "missing_field",
            "transfers[0].amount is required",
            Some("transfers[0].amount"),
        ),
        // An unknown value of an enum the body names: the e-wallet callback's status (its
        // body is read before its signature is checked).
        (
            "/v1/rails/e-wallet/callbacks",
            json!({"id": "po_1", "status": "lost", "reference": "r"}).to_string(),
            "invalid_type",
            "status must be one of paid, failed",
            Some("status"),
        ),
        (destinations.as_str(), "{\"type\": ".into(), "invalid_json", "the body is not valid JSON (at line 1, column 9)", None),
        ("/v1/users", "[1, 2]".into(), "invalid_type", "the body must be a JSON object", None),
        ("/v1/users", "".into(), "invalid_json", "the request body is empty: this endpoint takes a JSON object", None),
        ("/v1/users", "{\"external_id\": ".into(), "invalid_json", "the body is not valid JSON (at line 1, column 16)", None),
        ("/v1/users", "{'a': 1}".into(), "invalid_json", "the body is not valid JSON (at line 1, column 2)", None),
    ];
    for (path, body, code, message, param) in cases {
        let (status, _, answer) = post_labelled(&server, path, Some("application/json"), &body).await;
        assert_eq!(status, 400, "{path} {body} → {answer}");
        let expected = (code.to_string(), message.to_string(), param.map(str::to_string));
        assert_eq!(error_of(&answer), expected, "{path} {body}");
        assert_eq!(answer["error"]["type"], "invalid_request");
        for serde_word in ["`", "invalid type", "expected", "i64", "line 1 column", "variant"] {
            assert!(!answer["error"]["message"].as_str().unwrap().contains(serde_word), "{answer}");
        }
    }
    assert_eq!(user_count(&server).await, 1, "refused bodies created nothing");
    let (_, balances) = server.get(&format!("/v1/users/{user}/balances")).await;
    assert_eq!(balances["total"], 0, "{balances}");
    server.stop().await;
}
both_backends!(body_errors_are_in_plain_words, super::body_errors_are_in_plain_words);

async fn a_body_not_labelled_json_is_refused_with_415(backend: Backend) {
    let server = spawn(backend).await;
    let user = |n: u32| json!({"external_id": format!("ext-{n}"), "phone": "+821012345678"}).to_string();
    // What curl -d sends, and other non-JSON labels: 415, nothing created.
    for label in
        ["application/x-www-form-urlencoded", "text/plain", "application/xml", "multipart/form-data; boundary=x"]
    {
        let (status, headers, answer) = post_labelled(&server, "/v1/users", Some(label), &user(1)).await;
        assert_eq!(status, 415, "{label} → {answer}");
        assert_eq!(answer["error"]["code"], "unsupported_media_type", "{answer}");
        assert_eq!(answer["error"]["type"], "invalid_request", "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains("Content-Type: application/json"), "{message}");
        assert_eq!(headers["content-type"], "application/json", "the 415 is itself JSON");
    }
    assert_eq!(user_count(&server).await, 0, "a 415 creates nothing");

    // JSON with parameters, the +json family, and (leniently) no label at all: accepted.
    for (n, label) in [(1, Some("application/json; charset=utf-8")), (2, Some("application/vnd.api+json")), (3, None)] {
        let (status, _, answer) = post_labelled(&server, "/v1/users", label, &user(n)).await;
        assert_eq!(status, 200, "{label:?} → {answer}");
    }
    assert_eq!(user_count(&server).await, 3);

    // An empty body is no body, whatever its label: the body parser answers.
    let (status, _, answer) = post_labelled(&server, "/v1/users", Some("application/x-www-form-urlencoded"), "").await;
    assert_eq!((status, answer["error"]["code"].as_str()), (400, Some("invalid_json")), "{answer}");
    // An unknown path stays a 404.
    let (status, _, _) = post_labelled(&server, "/v1/nothing-here", Some("text/plain"), "x").await;
    assert_eq!(status, 404);

    // Bodies that are not JSON by design are not refused for their label: the bank's XML
    // status reports, and the e-wallet partner's signed callbacks.
    let report = "<Document>not a report</Document>";
    let (status, _, answer) =
        post_labelled(&server, "/v1/payout-batches/status-reports", Some("application/xml"), report).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (400, Some("invalid_report")), "{answer}");
    let callback = json!({"id": "po_1", "status": "paid", "reference": "r"}).to_string();
    let (status, _, answer) =
        post_labelled(&server, "/v1/rails/e-wallet/callbacks", Some("text/plain"), &callback).await;
    assert_eq!(status, 401, "unsigned, not unsupported: {answer}");

    // The OpenAPI document says 415 where a JSON body is taken, and only there.
    let (_, document) = server.get("/openapi.json").await;
    let answers = |path: &str| document["paths"][path]["post"]["responses"].clone();
    assert_eq!(answers("/v1/users")["415"]["$ref"], "#/components/responses/UnsupportedMediaType");
    assert_eq!(answers("/v1/ledger/transfers")["415"]["$ref"], "#/components/responses/UnsupportedMediaType");
    assert!(answers("/v1/payout-batches/status-reports").get("415").is_none(), "XML is not refused");
    assert!(document["components"]["responses"]["UnsupportedMediaType"]["content"]["application/json"].is_object());
    // … and that every answer carries X-Request-Id.
    for answer in [
        &answers("/v1/users")["200"],
        &answers("/v1/users")["400"],
        &document["components"]["responses"]["UnsupportedMediaType"],
    ] {
        assert!(answer["headers"]["X-Request-Id"]["schema"].is_object(), "{answer}");
    }
    server.stop().await;
}
both_backends!(a_body_not_labelled_json_is_refused_with_415, super::a_body_not_labelled_json_is_refused_with_415);

/// Sends `method path` with `X-Request-Id: sent` (none when `None`); returns the status and
/// the id answered.
async fn id_answered(server: &TestServer, key: &str, method: &str, path: &str, sent: Option<&[u8]>) -> (u16, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = server.client.request(method, format!("{}{path}", server.base)).bearer_auth(key);
    if let Some(id) = sent {
        request = request.header("x-request-id", HeaderValue::from_bytes(id).expect("a header value"));
    }
    let request = request.header("content-type", "text/plain").body("{}");
    let response = request.send().await.expect("the server answers");
    let id = response.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_string());
    (response.status().as_u16(), id.unwrap_or_else(|| panic!("no X-Request-Id on {response:?}")))
}

fn is_generated(id: &str) -> bool {
    id.len() == 28 && id.starts_with("req_") && id[4..].bytes().all(|b| b.is_ascii_hexdigit())
}

async fn every_answer_carries_a_request_id(backend: Backend) {
    let server = spawn_with(fresh_db(backend).await, |s| {
        s.rate_limit_per_s = 1;
        s.rate_limit_burst = 30;
    })
    .await;
    let key = server.key.clone();
    // Echoed when sane, on successes and on every kind of error answer.
    let mine: &[u8] = b"0b6f7c2e-9d1a-4b5e-8f00-123456789abc";
    for (method, path, status) in [
        ("GET", "/healthz", 200),
        ("GET", "/v1/users", 200),
        ("GET", "/v1/users/usr_nope", 404),
        ("GET", "/v1/no-such-endpoint", 404),
        ("POST", "/v1/users", 415),
        ("DELETE", "/v1/users", 405),
    ] {
        assert_eq!(
            id_answered(&server, &key, method, path, Some(mine)).await,
            (status, String::from_utf8(mine.to_vec()).unwrap()),
            "{method} {path}"
        );
    }
    let (status, id) = id_answered(&server, "sk_wrong", "GET", "/v1/users", Some(mine)).await;
    assert_eq!((status, id.as_bytes()), (401, mine));
    let (status, answer) = server.post_raw("/v1/users", "{").await;
    assert_eq!(status, 400, "{answer}");

    // Generated, fresh each time, when none was sent or the one sent was not sane.
    let (status, first) = id_answered(&server, &key, "GET", "/v1/users", None).await;
    let (_, second) = id_answered(&server, &key, "GET", "/v1/users", None).await;
    assert!(status == 200 && is_generated(&first) && is_generated(&second) && first != second, "{first} {second}");
    let too_long = "x".repeat(65);
    for bad in [too_long.as_bytes(), b"a\tb", b"a b", "é".as_bytes(), b"<script>", b""] {
        let (_, id) = id_answered(&server, &key, "GET", "/v1/users", Some(bad)).await;
        assert!(is_generated(&id), "{:?} → {id}", String::from_utf8_lossy(bad));
    }
    let longest = "x".repeat(64);
    let (_, id) = id_answered(&server, &key, "GET", "/v1/users", Some(longest.as_bytes())).await;
    assert_eq!(id, longest, "64 characters are kept");

    // A 429 carries one too (another key, over its burst).
    let other = server.key_for(Role::Admin, false).await;
    let mut last = (0, String::new());
    for _ in 0..40 {
        last = id_answered(&server, &other, "GET", "/v1/users", Some(mine)).await;
        if last.0 == 429 {
            break;
        }
    }
    assert_eq!((last.0, last.1.as_bytes()), (429, mine));
    server.stop().await;
}
both_backends!(every_answer_carries_a_request_id, super::every_answer_carries_a_request_id);

/// The request lines (target `smallchange::request`) in a JSON log, as their fields.
fn request_lines(log: &str) -> Vec<Value> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "smallchange::request")
        .map(|line| line["fields"].clone())
        .collect()
}

async fn each_request_is_logged_once_without_secrets(backend: Backend) {
    let db = fresh_db(backend).await;
    let (tenant, key) = process::create_tenant_and_key(&db.url).await;
    let server =
        ServerProcess::start_with_env(&db.url, &[("RUST_LOG", "info"), ("SMALLCHANGE_LOG_FORMAT", "json")]).await;
    let client = reqwest::Client::new();
    let otp = "918273";
    let gift_code = "GIFT-5150-7777-0042";
    let send = |method: reqwest::Method, path: &str, id: &str, body: Option<Value>| {
        let mut request =
            client.request(method, format!("{}{path}", server.base)).bearer_auth(&key).header("x-request-id", id);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };
    let created =
        send(reqwest::Method::POST, "/v1/users", "log-1", Some(json!({"external_id": "e1", "phone": "+821012345678"})));
    let created: Value = created.await.unwrap().json().await.unwrap();
    let user = created["id"].as_str().expect("a user").to_string();
    let read = send(reqwest::Method::GET, &format!("/v1/users/{user}/payments?limit=5"), "log-2", None).await.unwrap();
    assert_eq!(read.status(), 200);
    let confirm = send(reqwest::Method::POST, "/v1/cashouts/po_missing/confirm", "log-3", Some(json!({"otp": otp})));
    assert_eq!(confirm.await.unwrap().status(), 404);
    let check = json!({"brand": "BookPass", "code": gift_code, "region": "KR"});
    let _ = send(reqwest::Method::POST, "/v1/gift-cards/check", "log-4", Some(check)).await.unwrap();
    let lost = send(reqwest::Method::GET, "/v1/no-such-endpoint", "log-5", None).await.unwrap();
    assert_eq!(lost.status(), 404);

    // Lines are written after their answers: wait for the last one.
    let mut lines = Vec::new();
    for _ in 0..100 {
        lines = request_lines(&server.logs());
        if lines.iter().any(|l| l["request_id"] == "log-5") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let line = |id: &str| {
        let found: Vec<&Value> = lines.iter().filter(|l| l["request_id"] == id).collect();
        assert_eq!(found.len(), 1, "one line for {id} in {lines:?}");
        found[0].clone()
    };
    let read = line("log-2");
    assert_eq!(
        (&read["message"], &read["method"], &read["route"], &read["status"], &read["tenant_id"]),
        (&json!("request"), &json!("GET"), &json!("/v1/users/{id}/payments"), &json!(200), &json!(tenant))
    );
    assert!(read["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{read}");
    let posted = line("log-1");
    assert_eq!(
        (&posted["method"], &posted["route"], &posted["status"]),
        (&json!("POST"), &json!("/v1/users"), &json!(200))
    );
    let confirmed = line("log-3");
    assert_eq!((&confirmed["route"], &confirmed["status"]), (&json!("/v1/cashouts/{id}/confirm"), &json!(404)));
    assert_eq!(line("log-4")["route"], "/v1/gift-cards/check");
    let lost = line("log-5");
    assert_eq!((&lost["route"], &lost["status"]), (&json!("(no route)"), &json!(404)));
    assert!(lost.get("tenant_id").is_none(), "no key was looked at: {lost}");

    let log = server.logs();
    for secret in [key.as_str(), otp, gift_code, user.as_str(), "limit=5", "po_missing", "+821012345678"] {
        assert!(!log.contains(secret), "{secret} is in the log:\n{log}");
    }
}
both_backends!(each_request_is_logged_once_without_secrets, super::each_request_is_logged_once_without_secrets);

/// A path segment that is not percent-encoded UTF-8 is refused in the API's words (JSON, a
/// code), as every other bad input is.
async fn a_path_that_is_not_text_is_refused_in_words(backend: Backend) {
    let server = spawn(backend).await;
    for path in ["/v1/users/%FF", "/v1/payments/%C3%28", "/v1/users/%FF/payments"] {
        let (status, error) = server.get(path).await;
        assert_eq!(status, 400, "{path}: {error}");
        assert_eq!(error["error"]["code"], "invalid_path", "{path}: {error}");
        assert_eq!(error["error"]["message"], "the path holds characters that are not valid text");
    }
    // A valid id that names nothing is still a 404.
    let (status, error) = server.get("/v1/users/%E2%82%A9").await;
    assert_eq!((status, error["error"]["code"].as_str()), (404, Some("resource_missing")), "{error}");
    server.stop().await;
}

both_backends!(a_path_that_is_not_text_is_refused_in_words, super::a_path_that_is_not_text_is_refused_in_words);
