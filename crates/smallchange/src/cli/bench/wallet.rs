//! `smallchange bench wallet`: the micropayment path measured against the raw ledger, on
//! one server started in this process, in one run. N users are created and funded over
//! HTTP from three sources (promo, cashback, a bank transfer), so their payments drain one
//! pocket after another and some span two. Then C clients send `POST /v1/users/{id}/payments`
//! of ₩100–1,000, each with its own `Idempotency-Key`, and after them as many
//! `POST /v1/ledger/transfers` of one transfer each between pre-opened accounts (as
//! `bench http` does), from as many clients. It checks `verify` at the end and prints one
//! JSON line: `payments_*` and `transfers_*` (per second, p50, p99) and their `ratio`.
//!
//! `--history N` first makes a history of N payments with the same loop and reports the
//! rate over its first and last `--history-window` payments, each window timed on its own
//! with the committer's batches, batch time and pages written in it. Like every benchmark
//! it writes only to a database of its own (see [`crate::cli::bench::db`]).

use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use rand::{Rng, SeedableRng};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{backend, client_load, metric, progress, round3, setup_http_accounts, Samples};
use crate::app;
use crate::cli::demo::Api;
use crate::config::Settings;
use crate::store::tenants::{self, Role};

/// Payments are whole hundreds of won, from one hundred to ten: micropayments.
const PAYMENT_STEP_KRW: i64 = 100;
const PAYMENT_STEPS_MAX: i64 = 10;
/// Merchants the payments go to, in turn; each is one ledger account many payments credit.
const MERCHANTS: u64 = 16;
/// Each user's promo and cashback pockets hold this fraction of what the user may spend,
/// its cash pocket all of it: payments drain promo, then cashback, then cash.
const SIDE_POCKET_DIVISOR: i64 = 4;

#[derive(Args)]
pub struct WalletArgs {
    #[command(flatten)]
    pub db: super::db::BenchDbArgs,
    /// Users, each funded by three top-ups.
    #[arg(long, default_value_t = 1_000)]
    pub users: u64,
    /// Payments measured; as many single-transfer ledger requests are measured after them.
    #[arg(long, default_value_t = 100_000)]
    pub payments: u64,
    /// Concurrent clients, for both loads.
    #[arg(long, default_value_t = 64)]
    pub connections: u64,
    /// Ledger accounts the transfer requests move money between.
    #[arg(long, default_value_t = 10_000)]
    pub accounts: u64,
    /// Before measuring, make a history of this many payments and report the rate over
    /// its first and its last `--history-window` payments.
    #[arg(long)]
    pub history: Option<u64>,
    /// Payments in each of the two windows of `--history` whose rates are compared.
    #[arg(long, default_value_t = 100_000)]
    pub history_window: u64,
}

impl WalletArgs {
    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.users >= 1 && self.payments >= 1 && self.connections >= 1,
            "need 1+ users, payments, connections"
        );
        anyhow::ensure!(self.accounts >= 2, "need 2+ --accounts");
        if let Some(history) = self.history {
            anyhow::ensure!(
                self.history_window >= 1 && history >= 2 * self.history_window,
                "--history must be at least two --history-window"
            );
        }
        Ok(())
    }

    /// Payments of at most ₩1,000 each user makes, history included.
    fn spend_max_krw(&self) -> i64 {
        let payments = self.history.unwrap_or(0) + self.payments;
        let per_user = payments.div_ceil(self.users);
        i64::try_from(per_user).unwrap_or(i64::MAX / 2) * PAYMENT_STEP_KRW * PAYMENT_STEPS_MAX
    }
}

/// The part of a payment's answer the benchmark reads: which pockets paid.
#[derive(Deserialize)]
struct PaymentAnswer {
    legs: Vec<IgnoredAny>,
}

impl Api {
    /// POSTs `body` with an `Idempotency-Key`, as a client that may retry does; the answer's text.
    async fn post_keyed(&self, path: &str, idempotency_key: &str, body: &Value) -> anyhow::Result<String> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("Idempotency-Key", idempotency_key)
            .json(body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        anyhow::ensure!(status.is_success(), "POST {path} answered {status}: {text}");
        Ok(text)
    }

    /// A user whose promo and cashback pockets hold a quarter of `spend` each and whose
    /// cash pocket holds all of it.
    async fn funded_user(&self, run: &str, n: u64, spend: i64) -> anyhow::Result<String> {
        let user =
            self.post("/v1/users", json!({"external_id": format!("{run}-{n}"), "phone": "+821012345678"})).await?;
        let user = user["id"].as_str().unwrap_or_default().to_string();
        let side = spend / SIDE_POCKET_DIVISOR;
        for (source, amount) in [("promo", side), ("cashback", side), ("bank_transfer", spend)] {
            let body =
                json!({"source": source, "amount": amount, "currency": "KRW", "reference": format!("{run}-{n}")});
            self.post_keyed(&format!("/v1/users/{user}/topups"), &format!("{run}-top-{n}-{source}"), &body).await?;
        }
        Ok(user)
    }

    /// Payment number `n` of `amount` by `user`: how many pockets paid it.
    async fn pay(&self, run: &str, user: &str, n: u64, amount: i64) -> anyhow::Result<u64> {
        let merchant = format!("shop-{}", n % MERCHANTS);
        let body = json!({"merchant": merchant, "amount": amount, "currency": "KRW", "description": "bench"});
        let text = self.post_keyed(&format!("/v1/users/{user}/payments"), &format!("{run}-pay-{n}"), &body).await?;
        let answer: PaymentAnswer = serde_json::from_str(&text)?;
        anyhow::ensure!(!answer.legs.is_empty(), "a payment with no legs: {text}");
        Ok(answer.legs.len() as u64)
    }
}

/// What clients saw of their payments: latencies and finishing times, and the pockets
/// that paid (`legs` in all, `split` payments paid by more than one).
#[derive(Default)]
struct Paid {
    samples: Samples,
    legs: u64,
    split: u64,
}

impl Paid {
    fn merge(&mut self, other: Paid) {
        self.samples.merge(other.samples);
        self.legs += other.legs;
        self.split += other.split;
    }
}

/// The funded users and the clients that pay for them.
struct Wallets {
    api: Arc<Api>,
    run: String,
    users: Arc<Vec<String>>,
    connections: u64,
}

impl Wallets {
    /// Payments numbered `range`, payment n by user n mod users; client c sends those
    /// with n ≡ c (mod connections). Returns what they saw and how long it all took.
    async fn pay(&self, range: Range<u64>, what: &str) -> anyhow::Result<(Paid, Duration)> {
        let bar = progress(range.end - range.start, what);
        let started = Instant::now();
        let mut clients = Vec::new();
        for client in 0..self.connections {
            let (api, users, bar, run) = (self.api.clone(), self.users.clone(), bar.clone(), self.run.clone());
            let share = (range.start + client..range.end).step_by(self.connections as usize);
            clients.push(tokio::spawn(async move {
                let mut rng = rand::rngs::StdRng::seed_from_u64(range.start + client);
                let mut paid = Paid::default();
                for n in share {
                    let user = &users[(n % users.len() as u64) as usize];
                    let amount = PAYMENT_STEP_KRW * rng.gen_range(1..=PAYMENT_STEPS_MAX);
                    let sent = Instant::now();
                    let legs = api.pay(&run, user, n, amount).await?;
                    paid.samples.latencies.push(sent.elapsed());
                    paid.samples.finished_at.push((started.elapsed(), 1));
                    paid.legs += legs;
                    paid.split += u64::from(legs > 1);
                    bar.inc(1);
                }
                anyhow::Ok(paid)
            }));
        }
        let mut all = Paid::default();
        for client in clients {
            all.merge(client.await??);
        }
        bar.finish_and_clear();
        Ok((all, started.elapsed()))
    }
}

/// Creates and funds the users over HTTP, `connections` at a time.
async fn fund_users(api: &Arc<Api>, run: &str, args: &WalletArgs) -> anyhow::Result<Vec<String>> {
    let spend = args.spend_max_krw();
    let bar = progress(args.users, "funding users");
    let mut users = Vec::with_capacity(args.users as usize);
    for chunk in (0..args.users).collect::<Vec<_>>().chunks(args.connections as usize) {
        let made = chunk.iter().map(|&n| {
            let (api, bar, run) = (api.clone(), bar.clone(), run.to_string());
            tokio::spawn(async move {
                let user = api.funded_user(&run, n, spend).await;
                bar.inc(1);
                user
            })
        });
        for user in futures::future::join_all(made).await {
            users.push(user??);
        }
    }
    bar.finish_and_clear();
    Ok(users)
}

/// The rate over the first and the last `window` payments of a history, each window timed
/// on its own (the payments between them are not), with what the committer did in it.
async fn history(wallets: &Wallets, payments: u64, window: u64) -> anyhow::Result<Value> {
    let started = Instant::now();
    let first = timed_window(wallets, 0..window, "history: first window").await?;
    wallets.pay(window..payments - window, "history payments").await?;
    let last = timed_window(wallets, payments - window..payments, "history: last window").await?;
    let elapsed = started.elapsed();
    let mut line = json!({
        "history": payments,
        "history_window": window,
        "history_per_s": (payments as f64 / elapsed.as_secs_f64()).round(),
        "history_ratio": round3(last.0 / first.0),
    });
    merge(&mut line, prefixed_window("first_window", first));
    merge(&mut line, prefixed_window("last_window", last));
    Ok(line)
}

/// The rate of payments numbered `range` and the committer's costs while they ran.
async fn timed_window(wallets: &Wallets, range: Range<u64>, what: &str) -> anyhow::Result<(f64, Costs)> {
    let count = range.end - range.start;
    let before = reading(&wallets.api).await?;
    let (_, took) = wallets.pay(range, what).await?;
    let after = reading(&wallets.api).await?;
    Ok((count as f64 / took.as_secs_f64(), costs(count, &before, &after)))
}

fn prefixed_window(what: &str, (per_s, costs): (f64, Costs)) -> Value {
    json!({
        format!("{what}_per_s"): per_s.round(),
        format!("{what}_per_batch"): costs.per_batch,
        format!("{what}_commit_ms_mean"): costs.commit_ms_mean,
        format!("{what}_pages_written"): costs.pages_written,
    })
}

/// What the server and this process had done at one moment: the committer's batches and
/// the seconds they took (from `/metrics`), and the CPU time of every thread of the process.
struct Reading {
    batches: f64,
    commit_s: f64,
    pages_written: f64,
    cpu_ns: u64,
}

async fn reading(api: &Api) -> anyhow::Result<Reading> {
    let page = api.client.get(format!("{}/metrics", api.base)).send().await?.text().await?;
    let batches = metric(&page, "smallchange_commit_batches_total").unwrap_or(0.0);
    let commit_s = metric(&page, "smallchange_commit_seconds_sum").unwrap_or(0.0);
    let pages_written = metric(&page, "smallchange_commit_pages_written_total").unwrap_or(0.0);
    Ok(Reading { batches, commit_s, pages_written, cpu_ns: cpu_ns() })
}

/// CPU time used so far by the threads of this process (server and client), from
/// /proc/self/task/*/schedstat (Linux); 0 elsewhere.
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0 };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Between two readings around `requests` requests: requests per committed batch, the
/// mean time of a batch, the pages its commits wrote per request (SQLite) and the
/// process's CPU time per request (client included).
struct Costs {
    per_batch: f64,
    commit_ms_mean: f64,
    pages_written: f64,
    cpu_us: f64,
}

fn costs(requests: u64, before: &Reading, after: &Reading) -> Costs {
    let batches = (after.batches - before.batches).max(1.0);
    let cpu_ns = after.cpu_ns.saturating_sub(before.cpu_ns) as f64;
    Costs {
        per_batch: round3(requests as f64 / batches),
        commit_ms_mean: round3((after.commit_s - before.commit_s) / batches * 1e3),
        pages_written: round3((after.pages_written - before.pages_written) / requests as f64),
        cpu_us: round3(cpu_ns / 1e3 / requests as f64),
    }
}

/// Runs the benchmark on `settings.db`, which [`crate::cli::bench::db::choose`] picked.
pub async fn wallet_bench(args: WalletArgs, mut settings: Settings) -> anyhow::Result<Value> {
    args.check()?;
    settings.listen = "127.0.0.1:0".parse()?;
    // One key drives all the load: measure the server, not the key's rate limit.
    settings.rate_limit_per_s = 0;
    let running = app::start(settings).await?;
    let tenant = tenants::create_tenant(&running.db, "bench").await?;
    let key = tenants::create_key(&running.db, &tenant, Role::Admin).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.connections as usize).build()?;
    let api = Arc::new(Api { client, base: format!("http://{}", running.addr), key });
    let run = tenants::new_id("w", 6);
    let users = Arc::new(fund_users(&api, &run, &args).await?);
    setup_http_accounts(&api.client, &api.base, &api.key, args.accounts).await?;
    let wallets = Wallets { api: api.clone(), run, users, connections: args.connections };

    let mut line = json!({"bench": "wallet", "backend": backend(&running.db)});
    let start = match args.history {
        Some(payments) => {
            merge(&mut line, history(&wallets, payments, args.history_window).await?);
            payments
        }
        None => 0,
    };
    let before = reading(&api).await?;
    let (paid, took) = wallets.pay(start..start + args.payments, "payments").await?;
    let between = reading(&api).await?;
    let (requests, connections, accounts) = (args.payments, args.connections, args.accounts);
    let transfers = client_load(&api.client, &api.base, &api.key, requests, connections, accounts).await?;
    let after = reading(&api).await?;

    let verified = crate::store::verify::run(&running.db).await?;
    running.stop().await?;
    anyhow::ensure!(verified.failures.is_empty(), "verify failed: {}", verified.failures.join("; "));
    merge(&mut line, payments_line(&args, paid, took, costs(args.payments, &before, &between)));
    merge(&mut line, prefixed("transfers", &transfers, costs(args.payments, &between, &after)));
    line["ratio"] = json!(round3(rate(&line, "payments_per_s") / rate(&line, "transfers_per_s").max(1.0)));
    line["verified_accounts"] = json!(verified.accounts);
    line["verified_transfers"] = json!(verified.transfers);
    line["peak_rss_mb"] = transfers["peak_rss_mb"].clone();
    Ok(line)
}

/// The measured payments: the counts, then `payments_*` figures.
fn payments_line(args: &WalletArgs, paid: Paid, took: Duration, costs: Costs) -> Value {
    let (legs, split) = (paid.legs, paid.split);
    let summary = paid.samples.summary(args.payments, took);
    let mut line = json!({
        "users": args.users,
        "payments": args.payments,
        "connections": args.connections,
        "accounts": args.accounts,
        "payments_legs_mean": round3(legs as f64 / args.payments as f64),
        "payments_split": split,
    });
    merge(&mut line, prefixed("payments", &summary, costs));
    line
}

/// The rate, p50 and p99 of `summary` as `<what>_per_s`, `<what>_p50_ms`, `<what>_p99_ms`,
/// with the [`Costs`] of those requests.
fn prefixed(what: &str, summary: &Value, costs: Costs) -> Value {
    json!({
        format!("{what}_per_s"): summary["transfers_per_s"],
        format!("{what}_p50_ms"): summary["p50_ms"],
        format!("{what}_p99_ms"): summary["p99_ms"],
        format!("{what}_per_batch"): costs.per_batch,
        format!("{what}_commit_ms_mean"): costs.commit_ms_mean,
        format!("{what}_pages_written"): costs.pages_written,
        format!("{what}_cpu_us"): costs.cpu_us,
    })
}

fn rate(line: &Value, name: &str) -> f64 {
    line[name].as_f64().unwrap_or(0.0)
}

fn merge(line: &mut Value, more: Value) {
    if let (Some(line), Value::Object(more)) = (line.as_object_mut(), more) {
        line.extend(more);
    }
}
