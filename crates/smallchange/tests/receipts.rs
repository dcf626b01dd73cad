//! Receipts for people, through the HTTP API on both backends: the JSON receipt's signed
//! `url` opens the printable page without a key, in Korean (the default) or English, with
//! money as people write it and times in KST to the minute; it shows the cash-out as it is
//! when opened — a failed one says so, says why and says the money went back to the wallet,
//! never "Paid to you"; a tampered, borrowed or expired link opens nothing, and links that
//! are not genuine are limited per client address.

mod support;

use std::net::{IpAddr, Ipv4Addr};

use serde_json::json;
use smallchange::clock::Clock;
use smallchange::config::Settings;
use support::{fresh_db, spawn_with_clock, Backend, TestServer};
use totp_rs::{Algorithm, Secret, TOTP};

both_backends!(a_receipt_link_opens_without_a_key, super::a_receipt_link_opens_without_a_key_on);
both_backends!(a_failed_cash_out_s_receipt_says_so, super::a_failed_cash_out_s_receipt_says_so_on);
both_backends!(failed_links_are_limited_per_address, super::failed_links_are_limited_per_address_on);

/// 2026-11-10 03:00 UTC, which is 12:00 in Seoul.
const START_US: i64 = 1_794_279_600_000_000;
const BASE_URL: &str = "https://wallet.example.com";

fn settings(s: &mut Settings) {
    s.cashout_poll_ms = 20;
    s.cashout.rails.bank_account = "sandbox".into();
    s.cashout.risk.review_new_destination = false;
    s.cashout.sandbox_settle_s = 2;
    s.cashout.business_name = "작은돈 주식회사".into();
    s.cashout.business_registration_number = "123-45-67890".into();
    s.public_base_url = format!("{BASE_URL}/");
}

async fn server_at(backend: Backend) -> (TestServer, Clock) {
    let clock = Clock::fixed(START_US);
    let server = spawn_with_clock(fresh_db(backend).await, settings, clock.clone()).await;
    (server, clock)
}

/// A confirmed cash-out of ₩20,000 (₩19,500 net) to an account ending in `account_end`,
/// moved on to `in_transit`; its id.
async fn cash_out(server: &TestServer, clock: &Clock, n: u32, account_end: &str) -> String {
    let user = server.create_user(n).await;
    let kyc = json!({"level": "verified", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    assert_eq!(server.post(&format!("/v1/users/{user}/kyc"), kyc).await.0, 200);
    let number = format!("123-456-78{account_end}");
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": number, "holder_name": "김민지"});
    let (_, destination) = server.post(&format!("/v1/users/{user}/payout-destinations"), bank).await;
    let (_, enrolled) = server.post(&format!("/v1/users/{user}/totp"), json!({})).await;
    let bytes = Secret::Encoded(enrolled["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 0, 30, bytes, None, "user".into()).unwrap();
    server.topup(&user, "bank_transfer", 50_000).await;
    let body = json!({"amount": 20_000, "currency": "KRW", "destination_id": destination["id"]});
    let (status, quote) = server.post(&format!("/v1/users/{user}/cashout-quotes"), body).await;
    assert_eq!(status, 200, "{quote}");
    let (_, cashout) = server.post("/v1/cashouts", json!({"quote_id": quote["id"]})).await;
    let id = cashout["id"].as_str().unwrap().to_string();
    let otp = totp.generate((clock.now_us() / 1_000_000) as u64);
    let (status, confirmed) = server.post(&format!("/v1/cashouts/{id}/confirm"), json!({"otp": otp})).await;
    assert_eq!(status, 200, "{confirmed}");
    server.wait_for_cashout(&id, "in_transit").await;
    id
}

/// The receipt's link, as the server on `BASE_URL` gives it, and its path on the test server.
async fn link(server: &TestServer, id: &str) -> String {
    let (status, receipt) = server.get(&format!("/v1/cashouts/{id}/receipt")).await;
    assert_eq!(status, 200, "{receipt}");
    let url = receipt["url"].as_str().unwrap();
    let path = url.strip_prefix(BASE_URL).unwrap_or_else(|| panic!("not under {BASE_URL}: {url}"));
    assert!(path.starts_with(&format!("/receipts/{id}?exp=")) && path.contains("&sig="), "{url}");
    path.to_string()
}

/// Opens `path` as a browser would: no key, in `language` (an `Accept-Language`), from
/// `from` (a loopback address of its own, or the usual one).
async fn open_from(server: &TestServer, path: &str, language: Option<&str>, from: Option<IpAddr>) -> (u16, String) {
    let client = reqwest::Client::builder().local_address(from).build().unwrap();
    let mut request = client.get(format!("{}{path}", server.base));
    if let Some(language) = language {
        request = request.header("accept-language", language);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    if status != 429 {
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
    (status, response.text().await.unwrap())
}

async fn open(server: &TestServer, path: &str, language: Option<&str>) -> (u16, String) {
    open_from(server, path, language, None).await
}

/// `path` with its signature's last character changed.
fn tampered(path: &str) -> String {
    let last = if path.ends_with('0') { '1' } else { '0' };
    format!("{}{last}", &path[..path.len() - 1])
}

async fn a_receipt_link_opens_without_a_key_on(backend: Backend) {
    let (server, clock) = server_at(backend).await;
    let id = cash_out(&server, &clock, 1, "9012").await;
    let path = link(&server, &id).await;
    // In transit: the money is on its way, not yet paid.
    let (status, page) = open(&server, &path, None).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<html lang=\"ko\">") && page.contains("받을 금액") && page.contains("보내는 중"), "{page}");
    assert!(!page.contains("받은 금액"), "not paid yet: {page}");
    clock.set(START_US + 3_000_000);
    server.wait_for_cashout(&id, "paid").await;
    // The same link now shows it paid: in Korean by default, money and times as people read them.
    let (status, page) = open(&server, &path, None).await;
    assert_eq!(status, 200, "{page}");
    for words in ["출금 영수증", "지급 완료", "받은 금액", "19,500원", "20,000원", "500원", "2026-11-10 12:00 KST"]
    {
        assert!(page.contains(words), "{words:?} missing: {page}");
    }
    assert!(page.contains("작은돈 주식회사") && page.contains("123-45-67890"), "the operator: {page}");
    assert!(!page.contains("19500") && !page.contains("T03:00:00Z"), "no raw units or UTC stamps: {page}");
    // English when the browser prefers it, or when the link asks for it.
    let (_, english) = open(&server, &path, Some("en-US,en;q=0.9,ko;q=0.8")).await;
    assert!(english.contains("<html lang=\"en\">") && english.contains("Paid to you"), "{english}");
    assert!(
        english.contains("₩19,500") && english.contains("₩20,000") && english.contains("Cash-out receipt"),
        "{english}"
    );
    let (_, asked) = open(&server, &format!("{path}&lang=en"), Some("ko")).await;
    assert!(asked.contains("Paid to you"), "{asked}");
    let (_, korean) = open(&server, &path, Some("en;q=0.5, ko;q=0.9")).await;
    assert!(korean.contains("받은 금액"), "{korean}");
    // The key-holding page speaks the same words; a language we do not write is refused.
    let (status, wrong) = server.get(&format!("/v1/cashouts/{id}/receipt?lang=fr")).await;
    assert_eq!((status, wrong["error"]["code"].as_str()), (400, Some("invalid_lang")), "{wrong}");
    // Tampered, borrowed by another cash-out, stripped: nothing opens, and nothing is said
    // about the cash-out.
    let (status, refused) = open(&server, &tampered(&path), None).await;
    assert_eq!(status, 404, "{refused}");
    assert!(refused.contains("영수증을 찾을 수 없어요") && !refused.contains("19,500"), "{refused}");
    let (_, english) = open(&server, &tampered(&path), Some("en")).await;
    assert!(english.contains("Receipt not found"), "{english}");
    let other = cash_out(&server, &clock, 2, "9013").await;
    let borrowed = path.replace(&id, &other);
    assert_eq!(open(&server, &borrowed, None).await.0, 404, "a signature is for one cash-out");
    let stripped = path.split('&').next().unwrap().to_string();
    assert_eq!(open(&server, &stripped, None).await.0, 404);
    let exp: i64 = path.split("exp=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
    assert_eq!(exp, START_US / 1_000_000 + 30 * 24 * 3600, "30 days by default");
    let later = path.replace(&format!("exp={exp}"), &format!("exp={}", exp + 3600));
    assert_eq!(open(&server, &later, None).await.0, 404, "the expiry is signed");
    // Expired: the genuine link says so, in the person's language.
    clock.set(exp * 1_000_000);
    let (status, expired) = open(&server, &path, None).await;
    assert_eq!(status, 410, "{expired}");
    assert!(expired.contains("링크가 만료됐어요") && !expired.contains("19,500"), "{expired}");
    let (_, english) = open(&server, &path, Some("en")).await;
    assert!(english.contains("This link has expired"), "{english}");
    // Documented: the page's path without security, and the receipt's `url`.
    let (_, spec) = server.get("/openapi.json").await;
    let page = &spec["paths"]["/receipts/{id}"]["get"];
    assert!(page.is_object() && page.get("security").is_none(), "{page}");
    assert!(spec["components"]["schemas"]["Receipt"]["properties"]["url"].is_object());
    server.stop().await;
}

async fn a_failed_cash_out_s_receipt_says_so_on(backend: Backend) {
    let (server, clock) = server_at(backend).await;
    // The sandbox rejects an account ending in 0000 as closed.
    let id = cash_out(&server, &clock, 1, "0000").await;
    let path = link(&server, &id).await;
    clock.set(START_US + 3_000_000);
    server.wait_for_cashout(&id, "failed").await;
    let (status, page) = open(&server, &path, None).await;
    assert_eq!(status, 200, "{page}");
    let notice = page.split("<table>").next().unwrap();
    for words in ["출금에 실패했어요", "받는 계좌가 해지된 계좌예요", "20,000원 전액이 지갑으로 돌아왔어요"]
    {
        assert!(notice.contains(words), "{words:?} missing at the top: {page}");
    }
    assert!(!page.contains("받은 금액") && !page.contains("받을 금액"), "{page}");
    let (_, english) = open(&server, &path, Some("en")).await;
    let notice = english.split("<table>").next().unwrap();
    for words in
        ["This cash-out failed", "The receiving account is closed.", "The full ₩20,000 went back to your wallet."]
    {
        assert!(notice.contains(words), "{words:?} missing at the top: {english}");
    }
    assert!(!english.contains("Paid to you") && !english.contains("To be paid"), "{english}");
    assert!(english.contains("Returned to your wallet") && english.contains("Ended"), "{english}");
    // The page a key holder prints says the same.
    let html = server
        .client
        .get(format!("{}/v1/cashouts/{id}/receipt?lang=en", server.base))
        .bearer_auth(&server.key)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("This cash-out failed") && !html.contains("Paid to you"), "{html}");
    server.stop().await;
}

async fn failed_links_are_limited_per_address_on(backend: Backend) {
    let (server, clock) = server_at(backend).await;
    let id = cash_out(&server, &clock, 1, "9012").await;
    let path = link(&server, &id).await;
    for n in 1..=10 {
        assert_eq!(open(&server, &tampered(&path), None).await.0, 404, "try {n}");
    }
    let (status, limited) = open(&server, &tampered(&path), None).await;
    assert_eq!(status, 429, "the 11th try within a minute: {limited}");
    assert!(limited.contains("잠시 후 다시 시도해 주세요"), "{limited}");
    assert_eq!(open(&server, &path, None).await.0, 429, "even a genuine link, from that address");
    // Another address is not held back by that one's tries; genuine links do not count.
    let other = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    for _ in 0..12 {
        assert_eq!(open_from(&server, &path, None, other).await.0, 200);
    }
    server.stop().await;
}
