//! Webhooks end to end on both backends: endpoints are created, listed and deleted through
//! the API; events reach a real HTTP server on loopback, signed so that `verify` accepts
//! them with the secret shown at creation; a failing endpoint is retried with backoff and
//! every attempt is logged; only the tenant's own endpoints subscribed to the type receive
//! anything; and bad input is refused with its `param` and stores nothing.

mod support;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use smallchange::committer::{Command, Committer, Output, Reply};
use smallchange::metrics::Metrics;
use smallchange::signature::{self, SignatureError, TOLERANCE_S};
use smallchange::store::jobs::{self, Status};
use smallchange::store::tenants::{self, Role};
use smallchange::unit::{Refusal, Unit, UnitOutput};
use smallchange::webhooks::{self, DELIVERY_JOB, EVENT_JOB};
use support::{fresh_db, spawn_with, test_settings, Backend, TestServer};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const ENDPOINTS: &str = "/v1/webhook-endpoints";
/// How long a test waits for a delivery before it fails.
const DEADLINE: Duration = Duration::from_secs(60);

both_backends!(events_reach_subscribed_endpoints_signed, super::events_reach_subscribed_endpoints_signed);
both_backends!(failing_endpoints_are_retried_and_logged, super::failing_endpoints_are_retried_and_logged);
both_backends!(only_the_tenants_subscribed_endpoints_hear, super::only_the_tenants_subscribed_endpoints_hear);
both_backends!(bad_endpoints_are_refused_and_stored_nowhere, super::bad_endpoints_are_refused_and_stored_nowhere);

/// One request as the receiver got it.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    signature: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Clone, Default)]
struct Inbox {
    received: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer, per path, before answering 200.
    script: Arc<Mutex<HashMap<String, VecDeque<u16>>>>,
}

/// A partner's webhook receiver: a real HTTP server on a loopback port.
struct Receiver {
    base: String,
    inbox: Inbox,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Receiver {
        let inbox = Inbox::default();
        let app = Router::new().route("/{*path}", post(receive)).with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            axum::serve(listener, app).with_graceful_shutdown(shutdown).await.unwrap();
        });
        Receiver { base, inbox, stop, task }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Answers `statuses` to the next requests on `path`, then 200.
    fn answer(&self, path: &str, statuses: &[u16]) {
        self.inbox.script.lock().unwrap().insert(path.to_string(), statuses.iter().copied().collect());
    }

    fn on(&self, path: &str) -> Vec<Received> {
        self.inbox.received.lock().unwrap().iter().filter(|r| r.path == path).cloned().collect()
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }
}

async fn receive(State(inbox): State<Inbox>, uri: Uri, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let path = uri.path().to_string();
    let received = Received {
        path: path.clone(),
        signature: header(signature::HEADER),
        content_type: header("content-type"),
        body: body.to_vec(),
    };
    inbox.received.lock().unwrap().push(received);
    let next = inbox.script.lock().unwrap().get_mut(&path).and_then(VecDeque::pop_front);
    StatusCode::from_u16(next.unwrap_or(200)).unwrap()
}

/// A server whose job runner polls and retries fast.
async fn spawn_fast(backend: Backend) -> TestServer {
    spawn_with(fresh_db(backend).await, |settings| {
        settings.jobs_poll_ms = 20;
        settings.jobs_backoff_base_ms = 50;
        settings.jobs_backoff_max_s = 1;
    })
    .await
}

/// Polls `check` until it holds, failing the test after [`DEADLINE`].
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Creates an endpoint with `key`; returns the answer (with its secret).
async fn create_endpoint(server: &TestServer, key: &str, url: &str, events: &[&str]) -> Value {
    let (status, endpoint) = server.post_as(key, ENDPOINTS, json!({"url": url, "events": events}), None).await;
    assert_eq!(status, 200, "{endpoint}");
    endpoint
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}")).to_string()
}

/// The endpoint's delivery log, read with `key`.
async fn deliveries(server: &TestServer, key: &str, endpoint: &Value) -> Vec<Value> {
    let (status, log) = server.get_as(key, &format!("{ENDPOINTS}/{}/deliveries", text(&endpoint["id"]))).await;
    assert_eq!(status, 200, "{log}");
    log["data"].as_array().unwrap().clone()
}

fn now_s() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Waits until no delivery or fan-out job is left to run.
async fn settled(server: &TestServer) {
    eventually("every webhook job has run", || async {
        let fan_outs = jobs::ids_of(server.store(), EVENT_JOB, Status::Queued, 10).await.unwrap();
        let deliveries = jobs::ids_of(server.store(), DELIVERY_JOB, Status::Queued, 10).await.unwrap();
        fan_outs.is_empty() && deliveries.is_empty()
    })
    .await;
}

/// Submits `unit` through a committer of the test's own, as a service's request would.
async fn submit(server: &TestServer, unit: Unit) -> UnitOutput {
    let metrics = Arc::new(Metrics::default());
    let (committer, task) = Committer::start(server.store().clone(), test_settings(&server.db).committer(), metrics)
        .expect("a committer starts");
    let reply = committer.submit(Command::Unit(unit), None).await.unwrap();
    drop(committer);
    task.await.unwrap();
    match reply {
        Reply::Applied(Output::Unit(output)) => output,
        other => panic!("a unit answered {other:?}"),
    }
}

async fn events_reach_subscribed_endpoints_signed(backend: Backend) {
    let server = spawn_fast(backend).await;
    let hooks = Receiver::start().await;
    let request = json!({"url": hooks.url("/paid"), "events": ["cashout.paid"]});
    let (status, endpoint) = server.post_as(&server.key, ENDPOINTS, request.clone(), Some("we-1")).await;
    assert_eq!(status, 200, "{endpoint}");
    assert!(text(&endpoint["id"]).starts_with("we_"), "{endpoint}");
    assert_eq!(
        (endpoint["url"].clone(), endpoint["events"].clone()),
        (request["url"].clone(), json!(["cashout.paid"]))
    );
    assert_eq!(endpoint["status"], "enabled");
    let secret = text(&endpoint["secret"]);
    assert!(secret.starts_with("whsec_") && secret.len() > 30, "{secret}");
    // The same key and body: the first answer, secret included; another body: 409.
    let (status, again) = server.post_as(&server.key, ENDPOINTS, request.clone(), Some("we-1")).await;
    assert_eq!((status, &again), (200, &endpoint));
    let other = json!({"url": hooks.url("/other"), "events": ["*"]});
    let (status, reused) = server.post_as(&server.key, ENDPOINTS, other, Some("we-1")).await;
    assert_eq!((status, reused["error"]["code"].as_str()), (409, Some("idempotency_key_reused")));
    // Secrets are never shown again.
    let (_, list) = server.get(ENDPOINTS).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    assert!(list["data"][0].get("secret").is_none() && list["has_more"] == false, "{list}");
    let (status, one) = server.get(&format!("{ENDPOINTS}/{}", text(&endpoint["id"]))).await;
    assert!(status == 200 && one.get("secret").is_none(), "{one}");

    let data = json!({"cashout_id": "po_123", "amount": 5000, "currency": "KRW"});
    let event_id = webhooks::emit(server.store(), &server.tenant, "cashout.paid", &data).await.unwrap();
    eventually("the event is delivered", || async { !hooks.on("/paid").is_empty() }).await;
    let got = hooks.on("/paid")[0].clone();
    assert_eq!(got.content_type.as_deref(), Some("application/json"));
    let header = got.signature.clone().expect("a signature header");
    assert_eq!(signature::verify(secret.as_bytes(), &header, &got.body, now_s(), TOLERANCE_S), Ok(()));
    let forged = signature::verify(b"whsec_someone_else", &header, &got.body, now_s(), TOLERANCE_S);
    assert_eq!(forged, Err(SignatureError::Mismatch));
    let body = got.json();
    assert_eq!(
        (text(&body["id"]), text(&body["type"]), body["data"].clone()),
        (event_id.clone(), "cashout.paid".into(), data)
    );
    let created_at = text(&body["created_at"]);
    assert!(time::OffsetDateTime::parse(&created_at, &time::format_description::well_known::Rfc3339).is_ok());
    eventually("the attempt is logged", || async { deliveries(&server, &server.key, &endpoint).await.len() == 1 })
        .await;
    let logged = deliveries(&server, &server.key, &endpoint).await;
    assert_eq!(
        (&logged[0]["event_id"], &logged[0]["type"], &logged[0]["attempt"], &logged[0]["status_code"]),
        (&json!(event_id), &json!("cashout.paid"), &json!(1), &json!(200))
    );
    assert_eq!((&logged[0]["delivered"], &logged[0]["error"]), (&json!(true), &Value::Null));

    // From a service: the event is a row of the unit that makes the change.
    let refused_rows = webhooks::event_rows(&server.tenant, "cashout.paid", &json!({"n": "refused"}), 0);
    let refusing = Unit {
        open: vec![],
        read: vec![],
        prior: vec![],
        plan: Arc::new(move |_| {
            let _never_written = &refused_rows;
            Err(Refusal::new("invalid_state", "refused for the test"))
        }),
    };
    assert!(matches!(submit(&server, refusing).await, UnitOutput::Refused(_)));
    let rows = webhooks::event_rows(&server.tenant, "cashout.paid", &json!({"n": "committed"}), 1);
    assert!(matches!(submit(&server, Unit::fixed(vec![], vec![], vec![], rows)).await, UnitOutput::Applied { .. }));
    eventually("the unit's event is delivered", || async { hooks.on("/paid").len() == 2 }).await;
    assert_eq!(hooks.on("/paid")[1].json()["data"], json!({"n": "committed"}));
    settled(&server).await;
    let fan_outs = jobs::ids_of(server.store(), EVENT_JOB, Status::Done, 10).await.unwrap();
    assert_eq!(fan_outs.len(), 2, "the refused unit's event never existed");
    assert_eq!(hooks.on("/paid").len(), 2);
    server.stop().await;
    hooks.stop().await;
}

async fn failing_endpoints_are_retried_and_logged(backend: Backend) {
    let server = spawn_fast(backend).await;
    let hooks = Receiver::start().await;
    hooks.answer("/flaky", &[500, 500]);
    let flaky = create_endpoint(&server, &server.key, &hooks.url("/flaky"), &["*"]).await;
    let secret = text(&flaky["secret"]);
    // Nothing listens on this port: there is no answer at all.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let down = create_endpoint(&server, &server.key, &format!("http://{closed}/down"), &["gift_card.expiring"]).await;

    let event_id =
        webhooks::emit(server.store(), &server.tenant, "gift_card.expiring", &json!({"card": "gc_1"})).await.unwrap();
    eventually("three attempts are logged", || async { deliveries(&server, &server.key, &flaky).await.len() == 3 })
        .await;
    let logged = deliveries(&server, &server.key, &flaky).await;
    let summary: Vec<(i64, i64, bool)> = logged
        .iter()
        .map(|d| {
            (d["attempt"].as_i64().unwrap(), d["status_code"].as_i64().unwrap(), d["delivered"].as_bool().unwrap())
        })
        .collect();
    assert_eq!(summary, vec![(1, 500, false), (2, 500, false), (3, 200, true)]);
    let got = hooks.on("/flaky");
    assert_eq!(got.len(), 3);
    for request in &got {
        assert_eq!(text(&request.json()["id"]), event_id, "every attempt carries the same event id");
        let header = request.signature.as_deref().unwrap();
        assert_eq!(signature::verify(secret.as_bytes(), header, &request.body, now_s(), TOLERANCE_S), Ok(()));
    }

    eventually("the closed port's attempt is logged", || async {
        !deliveries(&server, &server.key, &down).await.is_empty()
    })
    .await;
    let first = deliveries(&server, &server.key, &down).await[0].clone();
    assert_eq!((&first["status_code"], &first["delivered"]), (&Value::Null, &json!(false)), "{first}");
    assert!(text(&first["error"]).contains("connect"), "{first}");
    // Deleting the endpoint ends its retries; the flaky one's job is done.
    let (status, deleted) = delete(&server, &server.key, &format!("{ENDPOINTS}/{}", text(&down["id"]))).await;
    assert_eq!(status, 200, "{deleted}");
    settled(&server).await;
    assert_eq!(hooks.on("/flaky").len(), 3, "delivered once, never again");
    server.stop().await;
    hooks.stop().await;
}

/// Sends `DELETE path` with `key`; returns the status and body.
async fn delete(server: &TestServer, key: &str, path: &str) -> (u16, Value) {
    let response = server.client.delete(format!("{}{path}", server.base)).bearer_auth(key).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn only_the_tenants_subscribed_endpoints_hear(backend: Backend) {
    let server = spawn_fast(backend).await;
    let hooks = Receiver::start().await;
    let paid = create_endpoint(&server, &server.key, &hooks.url("/paid"), &["cashout.paid"]).await;
    let failed = create_endpoint(&server, &server.key, &hooks.url("/failed"), &["cashout.failed"]).await;
    let all = create_endpoint(&server, &server.key, &hooks.url("/all"), &["*"]).await;
    let gone = create_endpoint(&server, &server.key, &hooks.url("/gone"), &["*"]).await;
    let gone_path = format!("{ENDPOINTS}/{}", text(&gone["id"]));
    let (status, deleted) = delete(&server, &server.key, &gone_path).await;
    assert_eq!((status, text(&deleted["status"])), (200, "disabled".to_string()), "{deleted}");
    assert!(deleted["disabled_at"].is_string() && deleted.get("secret").is_none(), "{deleted}");
    assert_eq!(delete(&server, &server.key, &gone_path).await.1, deleted, "deleting again answers the same");
    let other_tenant = tenants::create_tenant(server.store(), "other").await.unwrap();
    let other_key = tenants::create_key(server.store(), &other_tenant, Role::Admin).await.unwrap();
    let theirs = create_endpoint(&server, &other_key, &hooks.url("/theirs"), &["*"]).await;

    webhooks::emit(server.store(), &server.tenant, "cashout.paid", &json!({"cashout_id": "po_1"})).await.unwrap();
    settled(&server).await;
    assert_eq!((hooks.on("/paid").len(), hooks.on("/all").len()), (1, 1));
    for (path, endpoint, key) in
        [("/failed", &failed, &server.key), ("/gone", &gone, &server.key), ("/theirs", &theirs, &other_key)]
    {
        assert!(hooks.on(path).is_empty(), "{path} heard of an event it must not");
        assert!(deliveries(&server, key, endpoint).await.is_empty(), "{path}");
    }
    assert_eq!(deliveries(&server, &server.key, &paid).await.len(), 1);

    // The other tenant's event reaches only its own endpoint.
    webhooks::emit(server.store(), &other_tenant, "cashout.failed", &json!({"cashout_id": "po_2"})).await.unwrap();
    settled(&server).await;
    assert_eq!(hooks.on("/theirs").len(), 1);
    assert_eq!((hooks.on("/all").len(), hooks.on("/failed").len()), (1, 0));
    // Neither tenant sees, deletes or reads the log of the other's endpoints.
    let mine = format!("{ENDPOINTS}/{}", text(&all["id"]));
    assert_eq!(server.get_as(&other_key, &mine).await.0, 404);
    assert_eq!(server.get_as(&other_key, &format!("{mine}/deliveries")).await.0, 404);
    assert_eq!(delete(&server, &other_key, &mine).await.0, 404);
    let (_, listed) = server.get_as(&other_key, ENDPOINTS).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
    let (_, listed) = server.get(&format!("{ENDPOINTS}?limit=2")).await;
    assert_eq!((listed["data"].as_array().unwrap().len(), &listed["has_more"]), (2, &json!(true)), "{listed}");
    server.stop().await;
    hooks.stop().await;
}

async fn bad_endpoints_are_refused_and_stored_nowhere(backend: Backend) {
    let server = spawn_fast(backend).await;
    let ok = "https://hooks.example.com/smallchange";
    let cases = [
        (json!({"url": "http://hooks.example.com/h", "events": ["*"]}), "invalid_url", "url"),
        (json!({"url": "ftp://hooks.example.com/h", "events": ["*"]}), "invalid_url", "url"),
        (json!({"url": "not a url", "events": ["*"]}), "invalid_url", "url"),
        (json!({"url": "https://user:pw@hooks.example.com/h", "events": ["*"]}), "invalid_url", "url"),
        (json!({"url": 5, "events": ["*"]}), "invalid_type", "url"),
        (json!({"url": ok, "events": []}), "invalid_events", "events"),
        (json!({"url": ok, "events": ["cashout.paid", "cashout.nope"]}), "unknown_event", "events[1]"),
        (json!({"url": ok, "events": "cashout.paid"}), "invalid_type", "events"),
        (json!({"url": ok}), "missing_field", "events"),
        (json!({"url": ok, "events": ["*"], "secret": "mine"}), "unknown_field", "secret"),
    ];
    for (body, code, param) in cases {
        let (status, answer) = server.post(ENDPOINTS, body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!((answer["error"]["code"].as_str(), answer["error"]["param"].as_str()), (Some(code), Some(param)));
    }
    let (status, answer) = server.post_raw(ENDPOINTS, "{\"url\": ").await;
    assert_eq!((status, answer["error"]["code"].as_str()), (400, Some("invalid_json")));
    let good = json!({"url": ok, "events": ["*"]});
    for role in [Role::Readonly, Role::Reviewer] {
        let key = server.key_for(role, false).await;
        assert_eq!(server.post_as(&key, ENDPOINTS, good.clone(), None).await.0, 403);
        assert_eq!(server.get_as(&key, ENDPOINTS).await.0, 200, "readers may list");
    }
    let (_, listed) = server.get(ENDPOINTS).await;
    assert_eq!(listed["data"], json!([]), "nothing was stored: {listed}");
    assert_eq!(server.get(&format!("{ENDPOINTS}/we_nothing")).await.0, 404);
    assert_eq!(delete(&server, &server.key, &format!("{ENDPOINTS}/we_nothing")).await.0, 404);
    let readonly = server.key_for(Role::Readonly, false).await;
    let endpoint = create_endpoint(&server, &server.key, ok, &["cashout.paid", "*"]).await;
    assert_eq!(endpoint["events"], json!(["*", "cashout.paid"]), "sorted, each once");
    assert_eq!(delete(&server, &readonly, &format!("{ENDPOINTS}/{}", text(&endpoint["id"]))).await.0, 403);

    // The machine-readable spec has every route.
    let spec: Value =
        server.client.get(format!("{}/openapi.json", server.base)).send().await.unwrap().json().await.unwrap();
    for (path, methods) in [
        (ENDPOINTS, &["get", "post"][..]),
        ("/v1/webhook-endpoints/{id}", &["delete", "get"][..]),
        ("/v1/webhook-endpoints/{id}/deliveries", &["get"][..]),
    ] {
        let item = spec["paths"][path].as_object().unwrap_or_else(|| panic!("{path} missing from the spec"));
        let mut listed: Vec<&str> = item.keys().map(String::as_str).filter(|k| *k != "parameters").collect();
        listed.sort_unstable();
        assert_eq!(listed, methods, "{path}");
    }
    server.stop().await;
}
