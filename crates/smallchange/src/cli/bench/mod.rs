//! `smallchange bench`: throughput and latency of the ledger, measured in-process against a
//! real database, plus the plain-SQL baseline it is compared with and an HTTP load run.
//!
//! Each run prints, last, one JSON line with at least `transfers_per_s`, `p50_ms`, `p99_ms`.
//! The cash-out path (`cashout`) and the wallet's payments (`wallet`) are measured in
//! modules of their own; `db` picks the database every benchmark writes to.

pub mod cashout;
pub mod db;
pub mod wallet;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use ledger::{Account, AccountFlags, AccountId, Amount, Currency, Transfer, TransferFlags, TransferId};
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::app;
use crate::committer::{Command, Committer, Output, Reply};
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::store::tenants::{self, Role};
use crate::store::{self, Db};

use self::cashout::{cashout_bench, CashoutArgs};
use self::db::BenchDbArgs;
use self::wallet::{wallet_bench, WalletArgs};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// The ledger through the group committer, durable, as the server runs it.
    Ledger(LedgerArgs),
    /// The baseline: the same row writes as a plain loop, committing every K transfers.
    Plain(PlainArgs),
    /// HTTP `POST /v1/ledger/transfers`, one transfer per request, against a server
    /// started in this process on a loopback port.
    Http(HttpArgs),
    /// The cash-out path over HTTP: quote, hold, TOTP confirmation, paid by the sandbox.
    Cashout(CashoutArgs),
    /// Micropayments over HTTP (`POST /v1/users/{id}/payments`) against single-transfer
    /// ledger requests, on the same server in the same run.
    Wallet(WalletArgs),
}

impl BenchCommand {
    /// Where this run is to write (see [`db`]).
    pub fn db(&self) -> &BenchDbArgs {
        match self {
            BenchCommand::Ledger(a) => &a.db,
            BenchCommand::Plain(a) => &a.db,
            BenchCommand::Http(a) => &a.db,
            BenchCommand::Cashout(a) => &a.db,
            BenchCommand::Wallet(a) => &a.db,
        }
    }
}

#[derive(Args)]
pub struct LedgerArgs {
    #[command(flatten)]
    db: BenchDbArgs,
    /// Transfers measured.
    #[arg(long, default_value_t = 1_000_000)]
    transfers: u64,
    /// Accounts the transfers move money between, opened and funded first.
    #[arg(long, default_value_t = 10_000)]
    accounts: u64,
    /// Transfers per command (per request).
    #[arg(long, default_value_t = 8_190)]
    batch: u64,
    /// Concurrent clients submitting commands.
    #[arg(long, default_value_t = 1)]
    clients: u64,
    /// Record each command as one audit log entry, as `POST /v1/ledger/transfers` does:
    /// with `--batch 1` and many clients, how many entries a second the log takes.
    #[arg(long)]
    record: bool,
}

#[derive(Args)]
pub struct PlainArgs {
    #[command(flatten)]
    db: BenchDbArgs,
    /// Transfers measured.
    #[arg(long, default_value_t = 100_000)]
    transfers: u64,
    /// Accounts the transfers move money between, opened and funded first.
    #[arg(long, default_value_t = 10_000)]
    accounts: u64,
    /// Transfers per commit: 1 is one commit per transfer.
    #[arg(long, default_value_t = 1)]
    commit_every: u64,
    /// Concurrent clients, each committing its own transactions.
    #[arg(long, default_value_t = 1)]
    clients: u64,
}

#[derive(Args)]
pub struct HttpArgs {
    #[command(flatten)]
    db: BenchDbArgs,
    /// Requests measured, one transfer each (built-in client only).
    #[arg(long, default_value_t = 200_000)]
    requests: u64,
    /// Accounts the transfers move money between, opened and funded first.
    #[arg(long, default_value_t = 10_000)]
    accounts: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: u64,
    /// Drive the load with `wrk` (a separate, lighter process) for this many seconds
    /// instead of the built-in client; `--requests` is then ignored.
    #[arg(long)]
    wrk_seconds: Option<u64>,
}

/// The wrk script: one transfer per request, each with a unique id; counts failures.
const WRK_SCRIPT: &str = include_str!("../../../../../scripts/http-load.lua");

/// Runs one benchmark on its own database (see [`db`]) and prints its JSON line.
pub async fn run(command: BenchCommand, mut settings: Settings) -> anyhow::Result<()> {
    // Dropped after the run: a temporary database is removed then.
    let _db = db::choose(command.db(), &mut settings).await?;
    let line = match command {
        BenchCommand::Ledger(args) => ledger_bench(args, settings).await?,
        BenchCommand::Plain(args) => plain_bench(args, settings).await?,
        BenchCommand::Http(args) => http_bench(args, settings).await?,
        BenchCommand::Cashout(args) => cashout_bench(args, settings).await?,
        BenchCommand::Wallet(args) => wallet_bench(args, settings).await?,
    };
    println!("{line}");
    Ok(())
}

/// Latencies and the time each unit of work finished, relative to the start.
#[derive(Default)]
pub(crate) struct Samples {
    pub latencies: Vec<Duration>,
    pub finished_at: Vec<(Duration, u64)>,
}

impl Samples {
    /// The samples of every worker together, once all have finished.
    pub async fn of_all(workers: Vec<tokio::task::JoinHandle<anyhow::Result<Samples>>>) -> anyhow::Result<Samples> {
        let mut samples = Samples::default();
        for worker in workers {
            samples.merge(worker.await??);
        }
        Ok(samples)
    }

    pub fn merge(&mut self, other: Samples) {
        self.latencies.extend(other.latencies);
        self.finished_at.extend(other.finished_at);
    }

    /// Overall rate plus the rates of the first and last tenth of the work, which show
    /// whether the cost per transfer grows with the history.
    pub fn summary(mut self, total: u64, elapsed: Duration) -> serde_json::Value {
        self.latencies.sort();
        self.finished_at.sort();
        let pct = |p: f64| {
            let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
            self.latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
        };
        let window = |from: f64, to: f64| {
            let (mut done, mut start, mut end) = (0u64, None, Duration::ZERO);
            let (lo, hi) = ((total as f64 * from) as u64, (total as f64 * to) as u64);
            let mut cumulative = 0;
            let mut previous_end = Duration::ZERO;
            for (at, count) in &self.finished_at {
                cumulative += count;
                if cumulative > lo && cumulative <= hi {
                    start.get_or_insert(previous_end);
                    done += count;
                    end = *at;
                }
                previous_end = *at;
            }
            let took = end.saturating_sub(start.unwrap_or_default()).as_secs_f64();
            if took > 0.0 {
                done as f64 / took
            } else {
                0.0
            }
        };
        json!({
            "transfers_per_s": (total as f64 / elapsed.as_secs_f64()).round(),
            "p50_ms": round3(pct(0.50)),
            "p99_ms": round3(pct(0.99)),
            "first_tenth_per_s": window(0.0, 0.1).round(),
            "last_tenth_per_s": window(0.9, 1.0).round(),
            "elapsed_s": round3(elapsed.as_secs_f64()),
            "peak_rss_mb": peak_rss_mb(),
        })
    }
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The process's peak resident set size, from /proc (Linux).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0).round())
}

pub(crate) fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let template = format!("{what} {{bar:40}} {{pos}}/{{len}} {{per_sec}} eta {{eta}}");
    bar.set_style(ProgressStyle::with_template(&template).expect("a valid template"));
    bar
}

pub(crate) fn backend(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "sqlite",
        Db::Postgres(_) => "postgres",
    }
}

async fn open(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.db_options()).await?;
    db.migrate().await?;
    Ok(db)
}

/// A transfer of 1 between two different random accounts.
fn random_transfer(run: &str, n: u64, accounts: u64, rng: &mut impl Rng) -> Transfer {
    let debit = rng.gen_range(0..accounts);
    let credit = (debit + rng.gen_range(1..accounts)) % accounts;
    Transfer {
        id: TransferId(format!("{run}/t{n:012}")),
        debit_account: Some(AccountId(format!("{run}/a{debit}"))),
        credit_account: Some(AccountId(format!("{run}/a{credit}"))),
        amount: Amount::new(1),
        currency: Some(Currency::KRW),
        code: 1,
        flags: TransferFlags::default(),
        pending_id: None,
        timeout_s: 0,
    }
}

/// Opens `accounts` customer accounts (debits limited by credits) and funds each from an
/// unlimited `mint` account, so every benchmark transfer passes the balance check. Built a
/// chunk at a time, so the benchmark's own memory stays small next to what it measures.
async fn open_funded_accounts(committer: &Committer, run: &str, accounts: u64) -> anyhow::Result<()> {
    let id = |name: String| AccountId(format!("{run}/{name}"));
    let mint = Account::open(id("mint".into()), Currency::KRW, 1, AccountFlags::default());
    expect_ok(committer.submit(Command::CreateAccounts(vec![mint]), None).await?)?;
    let bar = progress(accounts * 2, "opening and funding accounts");
    let chunk_len = ledger::BATCH_TRANSFERS_MAX as u64;
    for start in (0..accounts).step_by(chunk_len as usize) {
        let range = start..(start + chunk_len).min(accounts);
        let opened = range
            .clone()
            .map(|i| Account::open(id(format!("a{i}")), Currency::KRW, 2, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS))
            .collect();
        expect_ok(committer.submit(Command::CreateAccounts(opened), None).await?)?;
        let funding = range
            .map(|i| Transfer {
                id: TransferId(format!("{run}/fund{i}")),
                debit_account: Some(id("mint".into())),
                credit_account: Some(id(format!("a{i}"))),
                amount: Amount::new(1_000_000_000),
                currency: Some(Currency::KRW),
                code: 1,
                flags: TransferFlags::default(),
                pending_id: None,
                timeout_s: 0,
            })
            .collect::<Vec<_>>();
        bar.inc(funding.len() as u64 * 2);
        expect_ok(committer.submit(Command::Transfers(funding), None).await?)?;
    }
    bar.finish_and_clear();
    Ok(())
}

fn expect_ok(reply: Reply) -> anyhow::Result<()> {
    // The result codes that are not success, as the API would name them.
    let mut failed: Vec<&str> = match &reply {
        Reply::Applied(Output::Accounts(results)) => {
            results.iter().map(|r| r.code()).filter(|code| *code != "created").collect()
        }
        Reply::Applied(Output::Transfers(results)) => results.iter().filter(|r| !r.is_ok()).map(|r| r.code()).collect(),
        Reply::Applied(Output::Unit(_)) => vec!["an unexpected answer"],
        Reply::Replayed(_) | Reply::KeyReused => vec!["an idempotent replay"],
    };
    failed.dedup();
    anyhow::ensure!(failed.is_empty(), "the benchmark's setup failed: {}", failed.join(", "));
    Ok(())
}

async fn ledger_bench(args: LedgerArgs, settings: Settings) -> anyhow::Result<serde_json::Value> {
    anyhow::ensure!(
        args.accounts >= 2 && args.batch >= 1 && args.clients >= 1,
        "need 2+ accounts, batch and clients of 1+"
    );
    anyhow::ensure!(args.batch as usize <= ledger::BATCH_TRANSFERS_MAX, "--batch is at most 8190");
    let db = open(&settings).await?;
    let run = tenants::new_id("bench", 8);
    let (committer, task) = Committer::start(db.clone(), settings.committer(), Arc::new(Metrics::default()))?;
    open_funded_accounts(&committer, &run, args.accounts).await?;
    let submitter = committer.clone();
    let (record, tenant) = (args.record, run.clone());
    let submit = move |transfers: Vec<Transfer>| {
        let committer = submitter.clone();
        let command = match record {
            true => recorded(&tenant, transfers),
            false => Command::Transfers(transfers),
        };
        async move { expect_ok(committer.submit(command, None).await?) }
    };
    let load = Load { run: &run, transfers: args.transfers, accounts: args.accounts, clients: args.clients };
    let (samples, elapsed) = load.drive(args.batch, "transfers", submit).await?;
    drop(committer);
    task.await?;
    let mut line = samples.summary(args.transfers, elapsed);
    line["bench"] = json!("ledger");
    line["backend"] = json!(backend(&db));
    line["transfers"] = json!(args.transfers);
    line["accounts"] = json!(args.accounts);
    line["batch"] = json!(args.batch);
    line["clients"] = json!(args.clients);
    if args.record {
        let entries = store::events::tree_sizes(&db).await?.into_iter().find(|(t, _)| *t == run).map_or(0, |(_, n)| n);
        line["audit_entries"] = json!(entries);
        line["audit_entries_per_s"] = json!((entries as f64 / elapsed.as_secs_f64()).round());
    }
    Ok(line)
}

/// `transfers` as the ledger API submits them: one command, one event listing them.
fn recorded(tenant: &str, transfers: Vec<Transfer>) -> Command {
    let ids: Vec<&str> = transfers.iter().map(|t| t.id.0.as_str()).collect();
    let subject = ids.first().copied().unwrap_or_default();
    let event = crate::events::Happened::recorded_by(
        tenant,
        "system:bench".into(),
        subject,
        crate::events::Kind::LedgerTransfersCreated,
        json!({ "ids": ids }),
        store::now_us(),
    );
    Command::Recorded(Box::new(Command::Transfers(transfers)), event)
}

async fn plain_bench(args: PlainArgs, settings: Settings) -> anyhow::Result<serde_json::Value> {
    anyhow::ensure!(args.accounts >= 2 && args.commit_every >= 1 && args.clients >= 1, "need 2+ accounts");
    let db = open(&settings).await?;
    let run = tenants::new_id("plain", 8);
    let (committer, task) = Committer::start(db.clone(), settings.committer(), Arc::new(Metrics::default()))?;
    open_funded_accounts(&committer, &run, args.accounts).await?;
    drop(committer);
    task.await?;
    let pool = db.clone();
    let write = move |transfers: Vec<Transfer>| {
        let db = pool.clone();
        async move {
            let mut tx = db.begin().await?;
            for transfer in &transfers {
                store::plain_ledger::write(&mut tx, transfer).await?;
            }
            Ok(tx.commit().await?)
        }
    };
    let load = Load { run: &run, transfers: args.transfers, accounts: args.accounts, clients: args.clients };
    let (samples, elapsed) = load.drive(args.commit_every, "plain transfers", write).await?;
    let mut line = samples.summary(args.transfers, elapsed);
    line["bench"] = json!("plain");
    line["backend"] = json!(backend(&db));
    line["transfers"] = json!(args.transfers);
    line["commit_every"] = json!(args.commit_every);
    line["clients"] = json!(args.clients);
    Ok(line)
}

/// Random transfers between `accounts` accounts, sent by `clients` concurrent clients.
struct Load<'a> {
    run: &'a str,
    transfers: u64,
    accounts: u64,
    clients: u64,
}

impl Load<'_> {
    /// Client `c` sends transfers n = c, c + clients, …, `chunk` at a time, each chunk to
    /// `send`; returns the latency of every chunk and the time the whole load took.
    async fn drive<SendChunk, Sending>(
        &self,
        chunk: u64,
        what: &str,
        send: SendChunk,
    ) -> anyhow::Result<(Samples, Duration)>
    where
        SendChunk: Fn(Vec<Transfer>) -> Sending + Clone + Send + 'static,
        Sending: std::future::Future<Output = anyhow::Result<()>> + Send,
    {
        let bar = progress(self.transfers, what);
        let started = Instant::now();
        let mut clients = Vec::new();
        for client in 0..self.clients {
            let (send, bar, run) = (send.clone(), bar.clone(), self.run.to_string());
            let (transfers, clients_n, accounts) = (self.transfers, self.clients, self.accounts);
            clients.push(tokio::spawn(async move {
                let mut rng = rand::rngs::StdRng::seed_from_u64(client);
                let mut samples = Samples::default();
                let mut share = (client..transfers).step_by(clients_n as usize).peekable();
                while share.peek().is_some() {
                    let ns: Vec<u64> = share.by_ref().take(chunk as usize).collect();
                    let batch: Vec<Transfer> =
                        ns.iter().map(|n| random_transfer(&run, *n, accounts, &mut rng)).collect();
                    let sent = Instant::now();
                    send(batch).await?;
                    samples.latencies.push(sent.elapsed());
                    samples.finished_at.push((started.elapsed(), ns.len() as u64));
                    bar.inc(ns.len() as u64);
                }
                anyhow::Ok(samples)
            }));
        }
        let samples = Samples::of_all(clients).await?;
        bar.finish_and_clear();
        Ok((samples, started.elapsed()))
    }
}

async fn http_bench(args: HttpArgs, mut settings: Settings) -> anyhow::Result<serde_json::Value> {
    settings.listen = "127.0.0.1:0".parse()?;
    // One key drives all the load: measure the server, not the key's rate limit.
    settings.rate_limit_per_s = 0;
    let running = app::start(settings).await?;
    let tenant = tenants::create_tenant(&running.db, "bench").await?;
    let key = tenants::create_key(&running.db, &tenant, Role::Admin).await?;
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.connections as usize).build()?;
    setup_http_accounts(&client, &base, &key, args.accounts).await?;
    let mut line = match args.wrk_seconds {
        Some(seconds) => wrk_load(&base, &key, &args, seconds).await?,
        None => client_load(&client, &base, &key, args.requests, args.connections, args.accounts).await?,
    };
    let metrics = client.get(format!("{base}/metrics")).send().await?.text().await?;
    let backend = backend(&running.db);
    running.stop().await?;
    line["bench"] = json!("http");
    line["backend"] = json!(backend);
    line["connections"] = json!(args.connections);
    line["mean_batch"] = json!(mean_batch(&metrics));
    line["pages_written_per_request"] =
        json!(per_request(&metrics, "smallchange_commit_pages_written_total").map(round3));
    line["commit_us_per_request"] =
        json!(per_request(&metrics, "smallchange_commit_seconds_sum").map(|s| round3(s * 1e6)));
    Ok(line)
}

/// The built-in load: `connections` tasks sharing one keep-alive client send `requests`
/// requests of one transfer each between the `accounts` accounts of [`setup_http_accounts`].
pub(crate) async fn client_load(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    requests: u64,
    connections: u64,
    accounts: u64,
) -> anyhow::Result<serde_json::Value> {
    let bar = progress(requests, "requests");
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..connections {
        let (client, base, key, bar) = (client.clone(), base.to_string(), key.to_string(), bar.clone());
        workers.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(worker);
            let mut samples = Samples::default();
            for n in (worker..requests).step_by(connections as usize) {
                let debit = rng.gen_range(0..accounts);
                let credit = (debit + rng.gen_range(1..accounts)) % accounts;
                let body = json!({"transfers": [{"id": format!("h{n}"), "debit_account": format!("a{debit}"),
                    "credit_account": format!("a{credit}"), "amount": 1, "currency": "KRW", "code": 1}]});
                let sent = Instant::now();
                let response =
                    client.post(format!("{base}/v1/ledger/transfers")).bearer_auth(&key).json(&body).send().await?;
                anyhow::ensure!(response.status().is_success(), "request failed: {}", response.status());
                let text = response.text().await?;
                anyhow::ensure!(text.contains("\"created\""), "transfer not created: {text}");
                samples.latencies.push(sent.elapsed());
                samples.finished_at.push((started.elapsed(), 1));
                bar.inc(1);
            }
            anyhow::Ok(samples)
        }));
    }
    let samples = Samples::of_all(workers).await?;
    bar.finish_and_clear();
    let mut line = samples.summary(requests, started.elapsed());
    line["requests"] = json!(requests);
    line["load"] = json!("built-in");
    Ok(line)
}

/// Load from `wrk` with two threads; every answer must be 200 with `created`.
async fn wrk_load(base: &str, key: &str, args: &HttpArgs, seconds: u64) -> anyhow::Result<serde_json::Value> {
    let script = std::env::temp_dir().join(format!("smallchange-http-load-{}.lua", std::process::id()));
    std::fs::write(&script, WRK_SCRIPT)?;
    let output = tokio::process::Command::new("wrk")
        .args(["-t2", &format!("-c{}", args.connections), &format!("-d{seconds}s"), "-s"])
        .arg(&script)
        .arg(base)
        .env("KEY", key)
        .env("ACCOUNTS", args.accounts.to_string())
        .env("RUN", "w")
        .output()
        .await;
    let _ = std::fs::remove_file(&script);
    let output = output.map_err(|e| anyhow::anyhow!("cannot run wrk ({e}): apt-get install wrk"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout
        .lines()
        .rfind(|l| l.starts_with('{'))
        .ok_or_else(|| anyhow::anyhow!("wrk printed no result: {stdout}"))?;
    let mut line: serde_json::Value = serde_json::from_str(last)?;
    anyhow::ensure!(line["not_created"] == 0, "some requests did not create their transfer: {line}");
    line["transfers_per_s"] = line["requests_per_s"].clone();
    line["load"] = json!("wrk");
    line["peak_rss_mb"] = json!(peak_rss_mb());
    Ok(line)
}

/// Events per committed batch over the server's life, from its Prometheus counters.
fn mean_batch(metrics: &str) -> Option<f64> {
    let batches = metric(metrics, "smallchange_commit_batches_total")?;
    let events = metric(metrics, "smallchange_commit_events_total")?;
    (batches > 0.0).then(|| round3(events / batches))
}

/// A counter over the server's life divided by the requests it committed (the set-up's
/// included, a few hundred against the load's hundred thousand).
fn per_request(metrics: &str, name: &str) -> Option<f64> {
    let events = metric(metrics, "smallchange_commit_events_total")?;
    Some(metric(metrics, name)? / events).filter(|_| events > 0.0)
}

/// The value of the unlabelled metric `name` in a Prometheus text page.
pub(crate) fn metric(metrics: &str, name: &str) -> Option<f64> {
    let line = metrics.lines().find(|l| l.strip_prefix(name).is_some_and(|rest| rest.starts_with(' ')))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Opens and funds the accounts over HTTP, as a client would.
pub(crate) async fn setup_http_accounts(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    accounts: u64,
) -> anyhow::Result<()> {
    let mut all = vec![json!({"id": "mint", "currency": "KRW", "code": 1})];
    all.extend((0..accounts).map(|i| {
        json!({"id": format!("a{i}"), "currency": "KRW", "code": 2,
        "flags": ["debits_must_not_exceed_credits"]})
    }));
    for chunk in all.chunks(ledger::BATCH_TRANSFERS_MAX) {
        let response = client
            .post(format!("{base}/v1/ledger/accounts"))
            .bearer_auth(key)
            .json(&json!({"accounts": chunk}))
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "opening accounts failed: {}", response.text().await?);
    }
    let funding: Vec<_> = (0..accounts)
        .map(|i| {
            json!({"id": format!("fund{i}"), "debit_account": "mint", "credit_account": format!("a{i}"),
            "amount": 1_000_000_000i64, "currency": "KRW", "code": 1})
        })
        .collect();
    for chunk in funding.chunks(ledger::BATCH_TRANSFERS_MAX) {
        let response = client
            .post(format!("{base}/v1/ledger/transfers"))
            .bearer_auth(key)
            .json(&json!({"transfers": chunk}))
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "funding failed: {}", response.text().await?);
    }
    Ok(())
}
