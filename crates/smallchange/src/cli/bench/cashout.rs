//! `smallchange bench cashout`: the whole cash-out path over HTTP, as a user's app drives
//! it — quote, create (the hold), confirm with a TOTP code — against a server started in
//! this process, with the sandbox rail paying at once. Each of N users cashes out once (a
//! TOTP code is good once). It prints one JSON line: `cashouts_per_s` and the latency of
//! the three requests together (`p50_ms`, `p99_ms`), then `all_paid_s`, how long until
//! the worker had paid every one of them.

use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

use super::{backend, progress, Samples};
use crate::app;
use crate::cli::demo::Api;
use crate::config::Settings;
use crate::store::cashouts;
use crate::store::tenants::{self, Role};

#[derive(Args)]
pub struct CashoutArgs {
    #[command(flatten)]
    pub db: super::db::BenchDbArgs,
    /// Cash-outs, one per user.
    #[arg(long, default_value_t = 2_000)]
    pub cashouts: u64,
    /// Concurrent users.
    #[arg(long, default_value_t = 32)]
    pub connections: u64,
}

/// A user ready to cash out: its id, e-wallet destination and TOTP.
struct Ready {
    user: String,
    destination: String,
    totp: TOTP,
}

impl Api {
    /// A user with ₩100,000 of cash, a verified KYC record, an e-wallet and TOTP.
    async fn ready(&self, n: u64) -> anyhow::Result<Ready> {
        let user =
            self.post("/v1/users", json!({"external_id": format!("bench-{n}"), "phone": "+821012345678"})).await?;
        let user = user["id"].as_str().unwrap_or_default().to_string();
        let kyc =
            json!({"level": "verified", "legal_name": "Bench User", "birth_date": "1990-01-01", "document_ref": "b"});
        self.post(&format!("/v1/users/{user}/kyc"), kyc).await?;
        let topup =
            json!({"source": "bank_transfer", "amount": 100_000, "currency": "KRW", "reference": format!("b{n}")});
        self.post(&format!("/v1/users/{user}/topups"), topup).await?;
        let wallet = json!({"type": "e_wallet", "provider": "kakaopay", "wallet_id": format!("bench-{n}"), "holder_name": "Bench User"});
        let destination = self.post(&format!("/v1/users/{user}/payout-destinations"), wallet).await?;
        let enrolled = self.post(&format!("/v1/users/{user}/totp"), json!({})).await?;
        let secret = Secret::Encoded(enrolled["secret"].as_str().unwrap_or_default().to_string())
            .to_bytes()
            .map_err(|_| anyhow::anyhow!("the server's TOTP secret is not base32"))?;
        let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, secret, None, String::new());
        Ok(Ready { user, destination: destination["id"].as_str().unwrap_or_default().to_string(), totp })
    }

    /// Quote, create, confirm: the cash-out's id.
    async fn cash_out(&self, ready: &Ready) -> anyhow::Result<String> {
        let body = json!({"amount": 10_000, "currency": "KRW", "destination_id": ready.destination});
        let quote = self.post(&format!("/v1/users/{}/cashout-quotes", ready.user), body).await?;
        let cashout = self.post("/v1/cashouts", json!({"quote_id": quote["id"]})).await?;
        let id = cashout["id"].as_str().unwrap_or_default().to_string();
        let code = ready.totp.generate_current()?;
        let confirmed = self.post(&format!("/v1/cashouts/{id}/confirm"), json!({"otp": code})).await?;
        anyhow::ensure!(confirmed["status"] == "processing", "not processing: {confirmed}");
        Ok(id)
    }
}

pub async fn cashout_bench(args: CashoutArgs, mut settings: Settings) -> anyhow::Result<Value> {
    settings.listen = "127.0.0.1:0".parse()?;
    settings.rate_limit_per_s = 0;
    settings.cashout_poll_ms = 50;
    settings.cashout.rails.e_wallet = "sandbox".into();
    settings.cashout.sandbox_settle_s = 0;
    settings.cashout.risk.review_new_destination = false;
    let running = app::start(settings).await?;
    let tenant = tenants::create_tenant(&running.db, "bench").await?;
    let key = tenants::create_key(&running.db, &tenant, Role::Admin).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.connections as usize).build()?;
    let api = std::sync::Arc::new(Api { client, base: format!("http://{}", running.addr), key });

    let bar = progress(args.cashouts, "users");
    let mut users = Vec::new();
    for chunk in (0..args.cashouts).collect::<Vec<_>>().chunks(args.connections as usize) {
        let made = chunk.iter().map(|n| {
            let (api, bar) = (api.clone(), bar.clone());
            let n = *n;
            tokio::spawn(async move {
                let ready = api.ready(n).await;
                bar.inc(1);
                ready
            })
        });
        for ready in futures::future::join_all(made).await {
            users.push(ready??);
        }
    }
    bar.finish_and_clear();

    let bar = progress(args.cashouts, "cash-outs");
    let users = std::sync::Arc::new(users);
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..args.connections {
        let (api, users, bar) = (api.clone(), users.clone(), bar.clone());
        let connections = args.connections as usize;
        workers.push(tokio::spawn(async move {
            let mut samples = Samples::default();
            for ready in users.iter().skip(worker as usize).step_by(connections) {
                let sent = Instant::now();
                api.cash_out(ready).await?;
                samples.latencies.push(sent.elapsed());
                samples.finished_at.push((started.elapsed(), 1));
                bar.inc(1);
            }
            anyhow::Ok(samples)
        }));
    }
    let samples = Samples::of_all(workers).await?;
    let confirmed_in = started.elapsed();
    bar.finish_and_clear();
    let deadline = Instant::now() + Duration::from_secs(600);
    while cashouts::count_in_status(&running.db, "paid").await? < args.cashouts as i64 {
        anyhow::ensure!(Instant::now() < deadline, "not every cash-out was paid within 10 minutes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all_paid = started.elapsed();
    let backend = backend(&running.db);
    let verified = crate::store::verify::run(&running.db).await?;
    running.stop().await?;
    anyhow::ensure!(verified.failures.is_empty(), "verify failed: {}", verified.failures.join("; "));
    let mut line = samples.summary(args.cashouts, confirmed_in);
    line["cashouts_per_s"] = line["transfers_per_s"].clone();
    line["all_paid_s"] = json!((all_paid.as_secs_f64() * 1000.0).round() / 1000.0);
    line["bench"] = json!("cashout");
    line["backend"] = json!(backend);
    line["cashouts"] = json!(args.cashouts);
    line["connections"] = json!(args.connections);
    Ok(line)
}
