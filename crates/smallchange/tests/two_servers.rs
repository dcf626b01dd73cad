//! Two servers on one database, each with its own committer and workers, as an operator
//! runs them behind a load balancer: requests for one cash-out reach either, and both
//! workers pass over the same cash-outs. Every cash-out must still move once: confirm and
//! cancel racing on different servers end one way, each bank payment is batched once,
//! each sandbox payout paid once, a report uploaded to both applies once — and the ledger
//! balances.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::config::Settings;
use support::{fresh_db, spawn_with_clock, test_settings, Backend, TestServer};

both_backends!(two_servers_move_each_cash_out_once, super::two_servers_move_each_cash_out_once_on);

/// 2026-11-10 03:00 UTC: mid-month, so day and month limits are not crossed by accident.
const START_US: i64 = 1_794_279_600_000_000;
const USERS: u32 = 8;

fn adjust(s: &mut Settings) {
    s.cashout_poll_ms = 10;
    s.jobs_poll_ms = 20;
    s.cashout.risk.review_new_destination = false;
    s.cashout.risk.velocity_count_max = 100;
    s.cashout.rails.e_wallet = "sandbox".into();
    s.cashout.sandbox_settle_s = 1;
}

/// A POST to the server at `base` with the tenant's key.
async fn post(server: &TestServer, base: &str, path: &str, body: Value) -> (u16, Value) {
    let response =
        server.client.post(format!("{base}{path}")).bearer_auth(&server.key).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A cash-out created on server A, waiting for its SMS code: its id and the code.
async fn awaiting(server: &TestServer, clock: &Clock, user: &str, destination: &str) -> (String, String) {
    clock.set(clock.now_us() + 1_000_000); // the newest code is first in the outbox
    let body = json!({"amount": 10_000, "currency": "KRW", "destination_id": destination});
    let (status, quote) = server.post(&format!("/v1/users/{user}/cashout-quotes"), body).await;
    assert_eq!(status, 200, "{quote}");
    let (status, cashout) = server.post("/v1/cashouts", json!({"quote_id": quote["id"]})).await;
    assert_eq!(status, 200, "{cashout}");
    let (_, outbox) = server.get("/v1/dev/sms-outbox").await;
    let text = outbox[0]["text"].as_str().unwrap();
    let code: String = text.split(": ").nth(1).unwrap().chars().take(6).collect();
    (cashout["id"].as_str().unwrap().to_string(), code)
}

async fn status_of(server: &TestServer, id: &str) -> String {
    server.get(&format!("/v1/cashouts/{id}")).await.1["status"].as_str().unwrap().to_string()
}

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn two_servers_move_each_cash_out_once_on(backend: Backend) {
    let clock = Clock::fixed(START_US);
    let a = spawn_with_clock(fresh_db(backend).await, adjust, clock.clone()).await;
    let mut settings = test_settings(&a.db);
    adjust(&mut settings);
    let b = smallchange::app::start_with_clock(settings, clock.clone()).await.expect("the second server starts");
    let base_b = format!("http://{}", b.addr);

    let (mut bank_ids, mut sandbox_ids, mut raced) = (Vec::new(), Vec::new(), Vec::new());
    for n in 1..=USERS {
        let user = a.create_user(n).await;
        let kyc = json!({"level": "verified", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "d"});
        assert_eq!(a.post(&format!("/v1/users/{user}/kyc"), kyc).await.0, 200);
        a.topup(&user, "bank_transfer", 100_000).await;
        let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": format!("123-456-{n:06}"), "holder_name": "김민지"});
        let wallet = json!({"type": "e_wallet", "provider": "kakaopay", "wallet_id": format!("kp-{n:06}"), "holder_name": "김민지"});
        let (_, bank) = a.post(&format!("/v1/users/{user}/payout-destinations"), bank).await;
        let (_, wallet) = a.post(&format!("/v1/users/{user}/payout-destinations"), wallet).await;
        let (bank, wallet) = (bank["id"].as_str().unwrap().to_string(), wallet["id"].as_str().unwrap().to_string());
        // One confirmed on each server; one raced: confirm on A against cancel on B.
        let (id, code) = awaiting(&a, &clock, &user, &bank).await;
        let base = if n % 2 == 0 { a.base.clone() } else { base_b.clone() };
        let (status, answer) = post(&a, &base, &format!("/v1/cashouts/{id}/confirm"), json!({"otp": code})).await;
        assert_eq!(status, 200, "{answer}");
        bank_ids.push(id);
        let (id, code) = awaiting(&a, &clock, &user, &wallet).await;
        let base = if n % 2 == 0 { base_b.clone() } else { a.base.clone() };
        let (status, answer) = post(&a, &base, &format!("/v1/cashouts/{id}/confirm"), json!({"otp": code})).await;
        assert_eq!(status, 200, "{answer}");
        sandbox_ids.push(id);
        let (id, code) = awaiting(&a, &clock, &user, &bank).await;
        let (confirm_path, cancel_path) = (format!("/v1/cashouts/{id}/confirm"), format!("/v1/cashouts/{id}/cancel"));
        let confirm = post(&a, &a.base, &confirm_path, json!({"otp": code}));
        let cancel = post(&a, &base_b, &cancel_path, json!({}));
        let ((confirmed, _), (canceled, _)) = tokio::join!(confirm, cancel);
        assert!(
            (confirmed == 200) != (canceled == 200),
            "exactly one of confirm ({confirmed}) and cancel ({canceled}) wins"
        );
        raced.push((id, confirmed == 200));
    }
    for (id, confirmed) in &raced {
        if *confirmed {
            bank_ids.push(id.clone());
        } else {
            assert_eq!(status_of(&a, id).await, "canceled");
        }
    }

    // Both workers pass over the same cash-outs: each bank payment lands in one batch.
    for id in &bank_ids {
        until("the bank batches", || async { status_of(&a, id).await == "in_transit" }).await;
    }
    let listed = || async {
        let (_, batches) = a.get("/v1/payout-batches").await;
        batches["data"].as_array().unwrap().clone()
    };
    until("every batch closed", || async {
        listed().await.iter().map(|b| b["count"].as_i64().unwrap()).sum::<i64>() == bank_ids.len() as i64
    })
    .await;
    let mut files = String::new();
    for batch in listed().await {
        let url = format!("{}/v1/payout-batches/{}/pain001", a.base, batch["id"].as_str().unwrap());
        files.push_str(&a.client.get(url).bearer_auth(&a.key).send().await.unwrap().text().await.unwrap());
    }
    for id in &bank_ids {
        assert_eq!(files.matches(&format!("<EndToEndId>{id}</EndToEndId>")).count(), 1, "{id} batched once");
    }

    // The sandbox pays each once, whichever worker gets there.
    clock.set(clock.now_us() + 5_000_000);
    for id in &sandbox_ids {
        until("the sandbox payouts", || async { status_of(&a, id).await == "paid" }).await;
    }

    // One camt.054 booking every bank payment, uploaded to both servers at once.
    let entries: String = bank_ids
        .iter()
        .map(|id| {
            format!(
                "<Ntry><Amt Ccy=\"KRW\">9500</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BkTxCd/>\
                 <NtryDtls><TxDtls><Refs><EndToEndId>{id}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>"
            )
        })
        .collect();
    let camt = format!(
        "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\"><BkToCstmrDbtCdtNtfctn>\
         <GrpHdr><MsgId>N-1</MsgId><CreDtTm>2026-11-10T12:00:00Z</CreDtTm></GrpHdr>\
         <Ntfctn><Id>N-1-1</Id><CreDtTm>2026-11-10T12:00:00Z</CreDtTm><Acct><Id><Othr><Id>1</Id></Othr></Id></Acct>{entries}</Ntfctn>\
         </BkToCstmrDbtCdtNtfctn></Document>"
    );
    let upload = |base: String| {
        let request = a.client.post(format!("{base}/v1/payout-batches/status-reports")).bearer_auth(&a.key);
        let camt = camt.clone();
        async move {
            let response = request.header("content-type", "application/xml").body(camt).send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let ((status_a, on_a), (status_b, on_b)) = tokio::join!(upload(a.base.clone()), upload(base_b.clone()));
    assert_eq!((status_a, status_b), (200, 200), "{on_a} {on_b}");
    let mut changed = HashSet::new();
    for result in on_a["results"].as_array().unwrap().iter().chain(on_b["results"].as_array().unwrap()) {
        if result["changed"] == true {
            assert!(changed.insert(result["cashout_id"].as_str().unwrap().to_string()), "changed twice: {result}");
        }
    }
    assert_eq!(changed.len(), bank_ids.len(), "each payment paid by exactly one of the two uploads");

    // The money: every hold posted once, the rails sent exactly the nets.
    let (_, users) = a.get("/v1/users?limit=100").await;
    let users: Vec<String> =
        users["data"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().into()).collect();
    until("every hold to follow", || async {
        let mut pending = 0;
        for user in &users {
            pending += a.balances(user).await["pending"].as_i64().unwrap();
        }
        pending == 0
    })
    .await;
    let tenant = &a.tenant;
    let bank_sent = a.counters_of(&format!("{tenant}/:payouts:bank_transfer:KRW")).await[3];
    let sandbox_sent = a.counters_of(&format!("{tenant}/:payouts:sandbox:KRW")).await[3];
    assert_eq!(bank_sent, 9_500 * bank_ids.len() as i64);
    assert_eq!(sandbox_sent, 9_500 * sandbox_ids.len() as i64);
    a.assert_verified().await;
    b.stop().await.expect("a clean stop");
    a.stop().await;
}
