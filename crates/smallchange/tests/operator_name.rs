//! The operator's one name, on both backends: every SMS (the sign-in code, the cash-out
//! code), the sign-in page, the wallet link's page and both receipts (the JSON and printable
//! one, and the wallet's) and the authenticator app's entry say `[cashout] business_name`, and with it unset the name the
//! tenant was created with, never a placeholder; the receipt prints the registration number
//! only when it is set. And `serve` says once, as it starts, when it is not.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use smallchange::config::Settings;
use smallchange::store::tenants::{self, Role};
use support::process::ServerProcess;
use support::wallet::Browser;
use support::{fresh_db, spawn_with, Backend, TestServer};

both_backends!(unset_the_name_is_the_tenant_s_own, super::unset_the_name_is_the_tenant_s_own_on);
both_backends!(set_the_name_is_the_one_everywhere, super::set_the_name_is_the_one_everywhere_on);
both_backends!(serve_warns_once_without_a_registration_number, super::serve_warns_once_on);

/// The name the tests' tenant is created with (`tenants create`).
const TENANT_NAME: &str = "작은돈 마켓";

async fn unset_the_name_is_the_tenant_s_own_on(backend: Backend) {
    let seen = everything_signed(backend, |_| {}).await;
    seen.assert_all_say(TENANT_NAME);
    assert_eq!(seen.receipt["operator_registration_number"], Value::Null, "{}", seen.receipt);
    assert!(seen.receipt_page.contains(&format!("운영: {TENANT_NAME}</p>")), "{}", seen.receipt_page);
    assert!(!seen.receipt_page.contains("사업자등록번호"), "{}", seen.receipt_page);
    assert!(seen.wallet_receipt.contains(&format!("운영: {TENANT_NAME}</p>")), "{}", seen.wallet_receipt);
}

async fn set_the_name_is_the_one_everywhere_on(backend: Backend) {
    let seen = everything_signed(backend, |s| {
        s.cashout.business_name = "작은돈 주식회사".into();
        s.cashout.business_registration_number = "123-45-67890".into();
    })
    .await;
    seen.assert_all_say("작은돈 주식회사");
    for page in [&seen.receipt_page, &seen.wallet_receipt] {
        assert!(page.contains("운영: 작은돈 주식회사 (사업자등록번호 123-45-67890)"), "{page}");
    }
    assert_eq!(seen.receipt["operator_registration_number"], "123-45-67890");
    assert!(!seen.all().contains(TENANT_NAME), "the tenant's name gives way to the business name");
}

/// What a user of a tenant named [`TENANT_NAME`] reads on a server with `adjust`ed settings.
struct Seen {
    cash_out_sms: String,
    sign_in_sms: String,
    sign_in_page: String,
    link_page: String,
    receipt: Value,
    receipt_page: String,
    wallet_receipt: String,
    /// What an authenticator app lists the user's codes under.
    authenticator_issuer: String,
}

impl Seen {
    fn all(&self) -> String {
        let Seen { cash_out_sms, sign_in_sms, sign_in_page, link_page, receipt, receipt_page, wallet_receipt, .. } =
            self;
        [cash_out_sms, sign_in_sms, sign_in_page, link_page, &receipt.to_string(), receipt_page, wallet_receipt]
            .map(String::as_str)
            .join("\n")
    }

    fn assert_all_say(&self, name: &str) {
        assert!(self.cash_out_sms.starts_with(&format!("[{name}] 19,500원 출금 확인 코드: ")), "{}", self.cash_out_sms);
        assert!(self.sign_in_sms.starts_with(&format!("[{name}] 지갑 로그인 코드: ")), "{}", self.sign_in_sms);
        assert!(self.sign_in_page.contains(&format!("<h1>{name} 지갑에 로그인</h1>")), "{}", self.sign_in_page);
        assert!(self.link_page.contains(&format!("<h1>{name} 지갑</h1>")), "{}", self.link_page);
        assert_eq!(self.receipt["operator_name"], name, "{}", self.receipt);
        assert_eq!(self.authenticator_issuer, name);
        assert!(!self.all().contains("smallchange demo"), "no placeholder name outside the demo");
    }
}

async fn everything_signed(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Seen {
    let server = spawn_with(fresh_db(backend).await, |s| {
        s.cashout_poll_ms = 20;
        s.cashout.rails.bank_account = "sandbox".into();
        s.cashout.risk.review_new_destination = false;
        adjust(s);
    })
    .await;
    let tenant = tenants::create_tenant(server.store(), TENANT_NAME).await.unwrap();
    let key = tenants::create_key(server.store(), &tenant, Role::Admin).await.unwrap();
    let post = |path: String, body: Value| {
        let (server, key) = (&server, &key);
        async move {
            let (status, answer) = server.post_as(key, &path, body, None).await;
            assert_eq!(status, 200, "{path}: {answer}");
            answer
        }
    };
    let user = post("/v1/users".into(), json!({"external_id": "u1", "phone": "+821012345678"})).await;
    let user = user["id"].as_str().unwrap().to_string();
    let kyc = json!({"level": "verified", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    post(format!("/v1/users/{user}/kyc"), kyc).await;
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-789012", "holder_name": "김민지"});
    let destination = post(format!("/v1/users/{user}/payout-destinations"), bank).await;
    let topup = json!({"source": "bank_transfer", "amount": 50_000, "currency": "KRW", "reference": "t1"});
    post(format!("/v1/users/{user}/topups"), topup).await;

    // The cash-out's code comes by SMS (no authenticator app), and confirms it.
    let body = json!({"amount": 20_000, "currency": "KRW", "destination_id": destination["id"]});
    let quote = post(format!("/v1/users/{user}/cashout-quotes"), body).await;
    let cashout = post("/v1/cashouts".into(), json!({"quote_id": quote["id"]})).await;
    let id = cashout["id"].as_str().unwrap().to_string();
    let cash_out_sms = newest_sms(&server, &key).await;
    let code: String = cash_out_sms.split(": ").nth(1).unwrap().chars().take(6).collect();
    post(format!("/v1/cashouts/{id}/confirm"), json!({"otp": code})).await;
    let (status, receipt) = server.get_as(&key, &format!("/v1/cashouts/{id}/receipt")).await;
    assert_eq!(status, 200, "{receipt}");
    let receipt_page = server
        .client
        .get(format!("{}/v1/cashouts/{id}/receipt", server.base))
        .bearer_auth(&key)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // An authenticator app set up now lists the codes under the same name.
    let enrolled = post(format!("/v1/users/{user}/totp"), json!({})).await;
    let otpauth = enrolled["otpauth_uri"].as_str().unwrap();
    let authenticator_issuer = totp_rs::TOTP::from_url(otpauth).unwrap().issuer.unwrap_or_default();

    // The wallet: its link's page, the receipt inside it, and signing in by phone.
    let link = post(format!("/v1/users/{user}/wallet-links"), json!({})).await;
    let link = link["url"].as_str().unwrap().to_string();
    let mut browser = Browser::new(&server.base);
    let link_page = browser.get(&link).await.html;
    assert_eq!(browser.open_link(&link).await.status, 303);
    let wallet_receipt = browser.get(&format!("/wallet/cash-outs/{id}/receipt")).await;
    assert_eq!(wallet_receipt.status, 200, "{}", wallet_receipt.html);
    let mut stranger = Browser::new(&server.base);
    let sign_in = stranger.get(&format!("/wallet/sign-in/{tenant}")).await;
    assert_eq!(sign_in.status, 200);
    let asked = stranger.submit(&sign_in, &format!("/wallet/sign-in/{tenant}"), &[("phone", "010-1234-5678")]).await;
    assert_eq!(asked.status, 303, "{}", asked.html);
    let sign_in_sms = newest_sms(&server, &key).await;
    server.stop().await;
    Seen {
        cash_out_sms,
        sign_in_sms,
        sign_in_page: sign_in.html,
        link_page,
        receipt,
        receipt_page,
        wallet_receipt: wallet_receipt.html,
        authenticator_issuer,
    }
}

async fn newest_sms(server: &TestServer, key: &str) -> String {
    let (status, outbox) = server.get_as(key, "/v1/dev/sms-outbox").await;
    assert_eq!(status, 200, "{outbox}");
    outbox[0]["text"].as_str().unwrap().to_string()
}

const WARNING: &str = "business_registration_number is not set";

async fn serve_warns_once_on(backend: Backend) {
    let db = fresh_db(backend).await;
    let unset = ServerProcess::start(&db.url).await;
    let mut logs = unset.logs();
    for _ in 0..100 {
        if logs.contains(WARNING) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        logs = unset.logs();
    }
    assert_eq!(logs.matches(WARNING).count(), 1, "one line, once: {logs}");
    assert!(logs.contains("cashout"), "{logs}");
    drop(unset);

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("smallchange.toml");
    std::fs::write(&config, "[cashout]\nbusiness_registration_number = \"123-45-67890\"\n").unwrap();
    let set = ServerProcess::start_with_env(&db.url, &[("SMALLCHANGE_CONFIG", config.to_str().unwrap())]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!set.logs().contains(WARNING), "{}", set.logs());
}
