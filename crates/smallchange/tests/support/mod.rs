//! Test helpers shared by every integration test: a fresh database per test on each
//! backend, a real server on a loopback port, and a small JSON client.
//!
//! PostgreSQL tests need `SMALLCHANGE_TEST_POSTGRES_URL` pointing at a server the test
//! may create databases on; `scripts/test` starts a throwaway one and sets it. Without it
//! they fail saying so: they never skip silently.

#![allow(dead_code)]

pub mod bank;
pub mod console;
pub mod process;
pub mod wallet;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use smallchange::app::{self, Running};
use smallchange::clock::Clock;
use smallchange::config::Settings;
use smallchange::store::tenants::{self, Role};
use smallchange::store::Db;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an async test body once per backend: `both_backends!(name, body_fn);` makes
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body($crate::support::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $body($crate::support::Backend::Postgres).await
            }
        }
    };
}

/// A database of its own for one test; a SQLite file is removed with the value.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
}

pub const POSTGRES_ENV: &str = "SMALLCHANGE_TEST_POSTGRES_URL";

pub async fn fresh_db(backend: Backend) -> TestDb {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let path: PathBuf = dir.path().join("test.db");
            TestDb { url: format!("sqlite://{}", path.display()), backend, _dir: Some(dir) }
        }
        Backend::Postgres => {
            let admin_url = std::env::var(POSTGRES_ENV).unwrap_or_else(|_| {
                panic!("{POSTGRES_ENV} is not set: run scripts/test, which starts a throwaway PostgreSQL, or point it at one")
            });
            let name = tenants::new_id("t", 16);
            let admin = sqlx::PgPool::connect(&admin_url).await.expect("connecting to the test PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.expect("creating a test database");
            admin.close().await;
            let base = admin_url.rsplit_once('/').map(|(base, _)| base).expect("a URL with a database name");
            TestDb { url: format!("{base}/{name}"), backend, _dir: None }
        }
    }
}

/// Settings for a test server: its own database, a free loopback port, fast workers. On
/// SQLite the server keeps its encryption key in a file beside the database; PostgreSQL
/// needs the setting, see [`encryption_key`].
pub fn test_settings(db: &TestDb) -> Settings {
    Settings {
        db: db.url.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        expiry_poll_ms: 100,
        db_connections_max: 8,
        // The tests' webhook receivers listen on loopback.
        webhook_private_hosts: true,
        encryption_key: encryption_key(&db.url).unwrap_or_default(),
        ..Settings::default()
    }
}

/// Workers that poll every 20 ms and retry failed jobs after 20 ms (at most a second), so
/// tests see the cash-out worker and the job runner move at once.
pub fn fast_workers(settings: &mut Settings) {
    settings.cashout_poll_ms = 20;
    settings.jobs_poll_ms = 20;
    settings.jobs_backoff_base_ms = 20;
    settings.jobs_backoff_max_s = 1;
}

/// The encryption key for a PostgreSQL test database: derived from its URL, whose database
/// name is random, so each test has its own key and every server on that database (in this
/// process or a child) gets the same one. `None` on SQLite.
pub fn encryption_key(db_url: &str) -> Option<String> {
    use sha2::{Digest, Sha256};
    db_url.starts_with("postgres").then(|| hex::encode(Sha256::digest(format!("test key for {db_url}"))))
}

pub async fn open(db: &TestDb) -> Db {
    let opened = Db::connect(&test_settings(db).db_options()).await.expect("opening the test database");
    opened.migrate().await.expect("migrating");
    opened
}

/// A running server with a tenant and an admin key.
pub struct TestServer {
    pub base: String,
    pub key: String,
    pub tenant: String,
    pub db: TestDb,
    pub client: reqwest::Client,
    running: Option<Running>,
}

pub async fn spawn(backend: Backend) -> TestServer {
    spawn_with(fresh_db(backend).await, |_| {}).await
}

pub async fn spawn_with(db: TestDb, adjust: impl FnOnce(&mut Settings)) -> TestServer {
    spawn_with_clock(db, adjust, Clock::system()).await
}

/// A server whose wallet decides by `clock` (a test can move it across a month).
pub async fn spawn_with_clock(db: TestDb, adjust: impl FnOnce(&mut Settings), clock: Clock) -> TestServer {
    let mut settings = test_settings(&db);
    adjust(&mut settings);
    let running = app::start_with_clock(settings, clock).await.expect("the server starts");
    let tenant = tenants::create_tenant(&running.db, "test").await.unwrap();
    let key = tenants::create_key(&running.db, &tenant, Role::Admin).await.unwrap();
    TestServer {
        base: format!("http://{}", running.addr),
        key,
        tenant,
        db,
        client: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap(),
        running: Some(running),
    }
}

impl TestServer {
    pub fn store(&self) -> &Db {
        &self.running.as_ref().expect("running").db
    }

    /// A key of another role (or another tenant's admin key, with `other_tenant`).
    pub async fn key_for(&self, role: Role, other_tenant: bool) -> String {
        let tenant = if other_tenant {
            tenants::create_tenant(self.store(), "other").await.unwrap()
        } else {
            self.tenant.clone()
        };
        tenants::create_key(self.store(), &tenant, role).await.unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.post_as(&self.key, path, body, None).await
    }

    pub async fn post_as(&self, key: &str, path: &str, body: Value, idempotency_key: Option<&str>) -> (u16, Value) {
        let mut request = self.client.post(format!("{}{path}", self.base)).bearer_auth(key).json(&body);
        if let Some(k) = idempotency_key {
            request = request.header("Idempotency-Key", k);
        }
        answer(request.send().await.expect("the server answers")).await
    }

    /// Posts raw bytes as they are (for malformed-JSON tests).
    pub async fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body(body.to_string());
        answer(request.send().await.expect("the server answers")).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.get_as(&self.key, path).await
    }

    pub async fn get_as(&self, key: &str, path: &str) -> (u16, Value) {
        let request = self.client.get(format!("{}{path}", self.base)).bearer_auth(key);
        answer(request.send().await.expect("the server answers")).await
    }

    /// Opens accounts (all KRW): `(id, flags)`.
    pub async fn open_accounts(&self, accounts: &[(&str, &[&str])]) {
        let accounts: Vec<Value> = accounts
            .iter()
            .map(|(id, flags)| serde_json::json!({"id": id, "currency": "KRW", "code": 1, "flags": flags}))
            .collect();
        let (status, body) = self.post("/v1/ledger/accounts", serde_json::json!({ "accounts": accounts })).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["results"].as_array().unwrap().iter().all(|r| r["result"] == "created"), "{body}");
    }

    /// One transfer; returns its result code.
    pub async fn transfer(&self, id: &str, debit: &str, credit: &str, amount: i64) -> String {
        let body = serde_json::json!({"transfers": [{"id": id, "debit_account": debit, "credit_account": credit,
            "amount": amount, "currency": "KRW", "code": 1}]});
        let (status, answer) = self.post("/v1/ledger/transfers", body).await;
        assert_eq!(status, 200, "{answer}");
        answer["results"][0]["result"].as_str().unwrap().to_string()
    }

    /// The four counters of an account.
    pub async fn counters(&self, id: &str) -> [i64; 4] {
        let (status, a) = self.get(&format!("/v1/ledger/accounts/{id}")).await;
        assert_eq!(status, 200, "{a}");
        ["debits_pending", "debits_posted", "credits_pending", "credits_posted"].map(|k| a[k].as_i64().unwrap())
    }

    /// A new user with a phone number made from `n`; returns its id.
    pub async fn create_user(&self, n: u32) -> String {
        let body = serde_json::json!({"external_id": format!("ext-{n}"), "phone": format!("+8210{n:08}")});
        let (status, user) = self.post("/v1/users", body).await;
        assert_eq!(status, 200, "{user}");
        user["id"].as_str().unwrap().to_string()
    }

    /// Tops `user` up from `source` (KRW); panics unless it succeeds. Returns the top-up.
    pub async fn topup(&self, user: &str, source: &str, amount: i64) -> Value {
        let mut body = serde_json::json!({"source": source, "amount": amount, "currency": "KRW", "reference": "t"});
        if source == "refund" {
            body["refund_of"] = "bank_transfer".into();
        }
        let (status, topup) = self.post(&format!("/v1/users/{user}/topups"), body).await;
        assert_eq!(status, 200, "{topup}");
        topup
    }

    /// The user's KRW balances.
    pub async fn balances(&self, user: &str) -> Value {
        let (status, balances) = self.get(&format!("/v1/users/{user}/balances")).await;
        assert_eq!(status, 200, "{balances}");
        balances
    }

    /// One pocket's `available` from a balances answer.
    pub fn pocket(balances: &Value, pocket: &str) -> i64 {
        balances["pockets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["pocket"] == pocket)
            .map_or(0, |p| p["available"].as_i64().unwrap())
    }

    /// The four counters of a ledger account by its full (tenant-scoped) id.
    pub async fn counters_of(&self, full_id: &str) -> [i64; 4] {
        let account = smallchange::store::ledger::get_account(self.store(), full_id).await.unwrap();
        let a = account.unwrap_or_else(|| panic!("no account {full_id}"));
        [a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted].map(|c| c.minor_units())
    }

    /// `smallchange verify` must find every invariant holding.
    /// Polls cash-out `id` until it reaches `status` (the worker moves it on its own time):
    /// the cash-out then. Fails after 30 seconds.
    pub async fn wait_for_cashout(&self, id: &str, status: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (_, cashout) = self.get(&format!("/v1/cashouts/{id}")).await;
            if cashout["status"] == status {
                return cashout;
            }
            assert!(tokio::time::Instant::now() < deadline, "{id} never became {status}: {cashout}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn assert_verified(&self) {
        let report = smallchange::store::verify::run(self.store()).await.expect("verify runs");
        assert!(report.failures.is_empty(), "verify failed: {:?}", report.failures);
    }

    pub async fn stop(self) {
        self.stop_keeping_db().await;
    }

    /// Stops the server and hands back its database, to look at what it left behind.
    pub async fn stop_keeping_db(mut self) -> TestDb {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("a clean stop");
        }
        self.db
    }
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// The events a webhook receiver on loopback has heard, in arrival order.
pub type Heard = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;

/// A webhook receiver on loopback that answers 200 and keeps every event: its URL, and
/// what it heard.
pub async fn event_receiver() -> (String, Heard) {
    let heard = Heard::default();
    let keep = heard.clone();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |axum::Json(event): axum::Json<Value>| {
            let keep = keep.clone();
            async move {
                keep.lock().unwrap().push(event);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, heard)
}
