//! The real `smallchange` binary as a child process, for tests that need what one process
//! cannot show: several servers sharing a database, or a server killed with SIGKILL.
//!
//! [`ServerProcess`] starts `smallchange serve` on a loopback port and learns the port from
//! the line it prints; dropping it kills the child, so a failing assertion never leaks a
//! server, and its stderr is shown when the test fails. [`cli`] runs one-shot commands
//! (`tenants create`, `keys create`, `verify`), and [`Remote`] is a small JSON client for a
//! server in another process.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value};

/// The binary Cargo built for this package.
pub const BIN: &str = env!("CARGO_BIN_EXE_smallchange");

/// Longest a server may take to print its address.
const STARTUP_WAIT_MAX: Duration = Duration::from_secs(30);

/// Longest a one-shot command may run.
const CLI_WAIT_MAX: Duration = Duration::from_secs(60);

/// What `serve` prints on stdout once it listens.
const LISTENING_PREFIX: &str = "smallchange listening on ";

/// A running `smallchange serve`; killed (SIGKILL) and reaped when dropped.
pub struct ServerProcess {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    child: Option<Child>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl ServerProcess {
    /// Starts `smallchange serve --db <db_url> --listen 127.0.0.1:0` and waits until it
    /// says where it listens.
    pub async fn start(db_url: &str) -> ServerProcess {
        ServerProcess::start_with_env(db_url, &[]).await
    }

    /// As [`ServerProcess::start`], with environment variables set (they win over the
    /// defaults here, e.g. `RUST_LOG`).
    pub async fn start_with_env(db_url: &str, env: &[(&str, &str)]) -> ServerProcess {
        let mut command = Command::new(BIN);
        if let Some(key) = super::encryption_key(db_url) {
            command.env("SMALLCHANGE_ENCRYPTION_KEY", key);
        }
        let mut child = command
            .args(["serve", "--db", db_url, "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the smallchange binary");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (address, readers) = watch_output(&mut child, stderr.clone());
        let mut server = ServerProcess { base: String::new(), child: Some(child), stderr, readers };
        let waited = tokio::task::spawn_blocking(move || address.recv_timeout(STARTUP_WAIT_MAX))
            .await
            .expect("waiting for the address");
        match waited {
            Ok(base) => server.base = base,
            Err(_) => {
                server.kill();
                // Dropping `server` while panicking shows its stderr.
                panic!("smallchange serve --db {db_url} did not say where it listens");
            }
        }
        server
    }

    /// Kills the server at once (SIGKILL: no shutdown, no flush) and reaps it. Killing a
    /// killed server does nothing.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            // The pipes close with the process: the readers end and the log is complete.
            for reader in self.readers.drain(..) {
                let _ = reader.join();
            }
        }
    }

    /// What the server wrote on stderr so far.
    pub fn logs(&self) -> String {
        self.stderr.lock().expect("stderr lock").clone()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let at = if self.base.is_empty() { "(never listening)" } else { self.base.as_str() };
            eprintln!("--- stderr of smallchange serve {at} ---\n{}", self.logs());
        }
    }
}

/// Reads the child's stdout until the address line (sent on the channel; stdout is then
/// drained so the child never blocks on it) and collects its stderr.
fn watch_output(child: &mut Child, stderr: Arc<Mutex<String>>) -> (mpsc::Receiver<String>, Vec<JoinHandle<()>>) {
    let (sender, receiver) = mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    let out = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(base) = line.trim().strip_prefix(LISTENING_PREFIX) {
                let _ = sender.send(base.to_string());
            }
        }
    });
    let mut pipe = child.stderr.take().expect("piped stderr");
    let err = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 {
                break;
            }
            stderr.lock().expect("stderr lock").push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    (receiver, vec![out, err])
}

/// The outcome of a one-shot command.
#[derive(Debug)]
pub struct CliOutput {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `smallchange <args>` to completion.
pub async fn cli(args: &[&str]) -> CliOutput {
    cli_with_env(args, &[]).await
}

/// As [`cli`], with environment variables set (`SMALLCHANGE_ENCRYPTION_KEY` on PostgreSQL).
pub async fn cli_with_env(args: &[&str], env: &[(&str, &str)]) -> CliOutput {
    let mut command = tokio::process::Command::new(BIN);
    command.args(args).env("RUST_LOG", "warn").stdin(Stdio::null()).kill_on_drop(true);
    command.envs(env.iter().copied());
    let output = tokio::time::timeout(CLI_WAIT_MAX, command.output())
        .await
        .unwrap_or_else(|_| panic!("smallchange {args:?} took longer than {CLI_WAIT_MAX:?}"))
        .expect("running the smallchange binary");
    CliOutput {
        success: output.status.success(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs a command that must succeed and returns its last non-empty stdout line.
async fn cli_line(args: &[&str]) -> String {
    let output = cli(args).await;
    assert!(output.success, "smallchange {args:?} failed: {output:?}");
    let line = output.stdout.lines().map(str::trim).rfind(|l| !l.is_empty());
    line.unwrap_or_else(|| panic!("smallchange {args:?} printed nothing")).to_string()
}

/// Creates a tenant and an admin key with the command line; returns `(tenant id, secret)`.
pub async fn create_tenant_and_key(db_url: &str) -> (String, String) {
    let tenant = cli_line(&["tenants", "create", "test", "--db", db_url]).await;
    let key = cli_line(&["keys", "create", "--tenant", &tenant, "--role", "admin", "--db", db_url]).await;
    assert!(!key.contains(char::is_whitespace), "the secret is alone on its line: {key:?}");
    (tenant, key)
}

/// Runs `smallchange verify`, requires exit 0 and "every invariant holds", and returns the
/// number of transfers it checked.
pub async fn assert_verified(db_url: &str) -> u64 {
    let output = cli(&["verify", "--db", db_url]).await;
    assert!(output.success, "smallchange verify failed: {output:?}");
    assert!(output.stdout.contains("every invariant holds"), "{output:?}");
    // "checked 6 accounts, 2370 transfers and 0 cash-outs"
    let checked = output.stdout.lines().find_map(|l| l.strip_prefix("checked "));
    let transfers = checked.and_then(|l| l.split(", ").nth(1)).and_then(|l| l.split(' ').next());
    transfers.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no transfer count in {output:?}"))
}

/// A complete HTTP answer.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// The server answered from its idempotency record (`Idempotent-Replayed: true`).
    pub replayed: bool,
}

/// A JSON client for a server in another process, with one tenant's admin key.
#[derive(Clone)]
pub struct Remote {
    pub base: String,
    pub key: String,
    pub client: reqwest::Client,
}

impl Remote {
    pub fn new(server: &ServerProcess, key: &str, client: &reqwest::Client) -> Remote {
        Remote { base: server.base.clone(), key: key.to_string(), client: client.clone() }
    }

    /// Posts `body` byte for byte; `Err` when no complete answer came back (the server
    /// died, or never listened).
    pub async fn try_post(
        &self,
        path: &str,
        body: &str,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, reqwest::Error> {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let replayed = response.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
        Ok(Answer { status, body: response.text().await?, replayed })
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let answer = self.try_post(path, &body.to_string(), None).await.expect("the server answers");
        (answer.status, serde_json::from_str(&answer.body).unwrap_or(Value::String(answer.body)))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let request = self.client.get(format!("{}{path}", self.base)).bearer_auth(&self.key);
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Opens accounts (all KRW): `(id, flags)`.
    pub async fn open_accounts(&self, accounts: &[(&str, &[&str])]) {
        let accounts: Vec<Value> = accounts
            .iter()
            .map(|(id, flags)| json!({"id": id, "currency": "KRW", "code": 1, "flags": flags}))
            .collect();
        let (status, body) = self.post("/v1/ledger/accounts", &json!({ "accounts": accounts })).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["results"].as_array().unwrap().iter().all(|r| r["result"] == "created"), "{body}");
    }

    /// Posts one request of transfers; returns each one's result code.
    pub async fn transfers(&self, transfers: Vec<Value>) -> Vec<String> {
        let (status, answer) = self.post("/v1/ledger/transfers", &json!({ "transfers": transfers })).await;
        assert_eq!(status, 200, "{answer}");
        answer["results"].as_array().unwrap().iter().map(|r| r["result"].as_str().unwrap().to_string()).collect()
    }

    /// One single-phase KRW transfer; returns its result code.
    pub async fn transfer(&self, id: &str, debit: &str, credit: &str, amount: i64) -> String {
        let transfer = json!({"id": id, "debit_account": debit, "credit_account": credit,
            "amount": amount, "currency": "KRW", "code": 1});
        self.transfers(vec![transfer]).await.remove(0)
    }

    /// The four counters of an account.
    pub async fn counters(&self, id: &str) -> [i64; 4] {
        let (status, a) = self.get(&format!("/v1/ledger/accounts/{id}")).await;
        assert_eq!(status, 200, "{a}");
        ["debits_pending", "debits_posted", "credits_pending", "credits_posted"].map(|k| a[k].as_i64().unwrap())
    }
}
