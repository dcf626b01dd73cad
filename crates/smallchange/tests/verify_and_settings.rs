//! `smallchange verify` finds and names broken books, and settings load from defaults, a
//! TOML file and `SMALLCHANGE_*` variables in that order.

mod support;

use serde_json::json;
use smallchange::config::Settings;
use support::process::cli;
use support::{spawn, Backend};

/// Runs SQL straight against the test database, as a bug or a hand edit would.
async fn tamper(server: &support::TestServer, sql: &str) {
    smallchange::on_db!(server.store(), |pool, _d| {
        sqlx::query(sql).execute(pool).await.expect("tampering");
    });
}

async fn verify_names_what_is_broken(backend: Backend) {
    let server = spawn(backend).await;
    server.open_accounts(&[("bank", &[]), ("alice", &["debits_must_not_exceed_credits"]), ("shop", &[])]).await;
    assert_eq!(server.transfer("fund", "bank", "alice", 5_000).await, "created");
    let hold = json!({"transfers": [{"id": "hold", "debit_account": "alice", "credit_account": "shop",
        "amount": 700, "currency": "KRW", "code": 1, "flags": ["pending"]}]});
    let (_, answer) = server.post("/v1/ledger/transfers", hold).await;
    assert_eq!(answer["results"][0]["result"], "created");
    let url = server.db.url.clone();
    let clean = cli(&["verify", "--db", &url]).await;
    assert!(clean.success && clean.stdout.contains("every invariant holds"), "{clean:?}");

    // A balance edited by hand: its counters no longer match its transfers, and the
    // currency no longer balances.
    let alice = format!("{}/alice", server.tenant);
    tamper(&server, &format!("UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE id = '{alice}'"))
        .await;
    let broken = cli(&["verify", "--db", &url]).await;
    assert!(!broken.success, "verify must exit non-zero: {broken:?}");
    assert!(broken.stdout.contains(&format!("account {alice}: counters")), "{}", broken.stdout);
    assert!(broken.stdout.contains("KRW: posted debits 5000 != posted credits 5001"), "{}", broken.stdout);
    tamper(&server, &format!("UPDATE ledger_accounts SET credits_posted = credits_posted - 1 WHERE id = '{alice}'"))
        .await;
    server.assert_verified().await;

    // A transfer deleted behind the ledger's back: the counters it explained are orphaned.
    let hold_id = format!("{}/hold", server.tenant);
    tamper(&server, &format!("DELETE FROM ledger_transfers WHERE id = '{hold_id}'")).await;
    let report = smallchange::store::verify::run(server.store()).await.unwrap();
    assert!(
        report.failures.iter().any(|f| f.contains(&alice) && f.contains("transfers add up to")),
        "{:?}",
        report.failures
    );
    server.stop().await;
}
both_backends!(verify_names_what_is_broken, super::verify_names_what_is_broken);

#[test]
fn settings_come_from_defaults_then_file_then_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("smallchange.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:9999\"\namount_max = 500\nlog_format = \"json\"\n").unwrap();
    // The variable is set for this process only; no other test reads amount_max from it.
    std::env::set_var("SMALLCHANGE_AMOUNT_MAX", "700");
    let settings = Settings::load(Some(&file)).unwrap();
    std::env::remove_var("SMALLCHANGE_AMOUNT_MAX");
    assert_eq!(settings.listen.port(), 9999, "from the file");
    assert_eq!(settings.amount_max, 700, "the environment overrides the file");
    assert_eq!(settings.log_format, "json");
    assert_eq!(settings.batch_events_max, 8_190, "defaults fill the rest");

    std::fs::write(&file, "no_such_setting = 1\n").unwrap();
    let error = Settings::load(Some(&file)).unwrap_err();
    assert!(format!("{error:#}").contains("no_such_setting"), "{error:#}");
    std::fs::write(&file, "batch_events_max = 9000\n").unwrap();
    let error = Settings::load(Some(&file)).unwrap_err();
    assert!(format!("{error:#}").contains("batch_events_max"), "{error:#}");
}
