//! Cashing out in the web wallet, on both backends, as a browser without JavaScript does it:
//! the whole journey by forms (where to and how much, the quote with its fees and countdown,
//! a TOTP code, the sandbox rail paying, the cash-out page and its status.json reaching
//! `paid`, the receipt, a problem reported and seen through the API); an SMS code typed wrong,
//! sent again and typed right, and five wrong codes canceling a cash-out; a wallet of carrier
//! money that cannot be withdrawn; a holder name that is not the user's; another user's
//! cash-out answering 404 everywhere; a form without its CSRF token changing nothing; the
//! destination offered first (the one last paid to, or the only one, never a guess).

mod support;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::config::Settings;
use support::wallet::{Browser, Page};

use support::{fresh_db, spawn_with_clock, Backend, TestServer};
use totp_rs::{Algorithm, Secret, TOTP};

both_backends!(the_whole_journey_by_forms, super::the_whole_journey_by_forms_on);
both_backends!(an_sms_code_wrong_again_and_right, super::an_sms_code_wrong_again_and_right_on);
both_backends!(carrier_money_is_not_withdrawable, super::carrier_money_is_not_withdrawable_on);
both_backends!(a_holder_who_is_not_the_user_is_refused, super::a_holder_who_is_not_the_user_is_refused_on);
both_backends!(another_users_cash_out_is_not_found, super::another_users_cash_out_is_not_found_on);
both_backends!(no_destination_is_chosen_for_the_person, super::no_destination_is_chosen_for_the_person_on);

/// 2026-11-10 03:00 UTC, 12:00 in Seoul.
const START_US: i64 = 1_794_279_600_000_000;

fn settings(s: &mut Settings) {
    s.cashout_poll_ms = 20;
    s.cashout.rails.bank_account = "sandbox".into();
    s.cashout.risk.review_new_destination = false;
    s.cashout.sandbox_settle_s = 2;
}

async fn server_at(backend: Backend) -> (TestServer, Clock) {
    let clock = Clock::fixed(START_US);
    let server = spawn_with_clock(fresh_db(backend).await, settings, clock.clone()).await;
    (server, clock)
}

/// A user whose identity was checked (김민지), with a bank account and, if asked, TOTP.
struct Customer {
    id: String,
    destination: String,
    totp: Option<TOTP>,
}

async fn customer(server: &TestServer, n: u32, with_totp: bool) -> Customer {
    let id = server.create_user(n).await;
    let kyc = json!({"level": "verified", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    assert_eq!(server.post(&format!("/v1/users/{id}/kyc"), kyc).await.0, 200);
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-789012", "holder_name": "김민지"});
    let (status, destination) = server.post(&format!("/v1/users/{id}/payout-destinations"), bank).await;
    assert_eq!(status, 200, "{destination}");
    let totp = if with_totp {
        let (_, enrolled) = server.post(&format!("/v1/users/{id}/totp"), json!({})).await;
        let bytes = Secret::Encoded(enrolled["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
        Some(TOTP::new(Algorithm::SHA1, 6, 0, 30, bytes, None, "user".into()).unwrap())
    } else {
        None
    };
    Customer { id, destination: destination["id"].as_str().unwrap().to_string(), totp }
}

fn code_at(c: &Customer, clock: &Clock) -> String {
    c.totp.as_ref().unwrap().generate((clock.now_us() / 1_000_000) as u64)
}

/// From the cash-out form to the code page: the form, the quote, its confirmation. Answers
/// the quote page, its path and the code page's path.
async fn to_the_code(browser: &mut Browser, c: &Customer, fields: &[(&str, &str)]) -> (Page, String, String) {
    let form = browser.get("/wallet/cash-out").await;
    assert_eq!(form.status, 200, "{}", form.html);
    let mut all = vec![("destination", c.destination.as_str()), ("speed", "standard")];
    all.extend_from_slice(fields);
    let asked = browser.submit(&form, "/wallet/cash-out", &all).await;
    assert_eq!(asked.status, 303, "{}", asked.html);
    let quote_path = asked.location.unwrap();
    assert!(quote_path.starts_with("/wallet/cash-out/quotes/q_"), "{quote_path}");
    let quote = browser.get(&quote_path).await;
    assert_eq!(quote.status, 200, "{}", quote.html);
    let created = browser.submit(&quote, &quote_path, &[]).await;
    assert_eq!(created.status, 303, "{}", created.html);
    let code_path = created.location.unwrap();
    assert!(code_path.starts_with("/wallet/cash-outs/po_") && code_path.ends_with("/confirm"), "{code_path}");
    (quote, quote_path, code_path)
}

fn cash_out_id(code_path: &str) -> String {
    code_path.trim_start_matches("/wallet/cash-outs/").trim_end_matches("/confirm").to_string()
}

async fn the_whole_journey_by_forms_on(backend: Backend) {
    let (server, clock) = server_at(backend).await;
    let c = customer(&server, 1, true).await;
    server.topup(&c.id, "bank_transfer", 100_000).await;
    server.topup(&c.id, "carrier_billing", 50_000).await;
    let (mut browser, _) = server.signed_in(&c.id).await;
    let form = browser.get("/wallet/cash-out").await;
    assert!(form.shows("100,000원") && form.shows("KB국민은행 ••••9012"), "{}", form.html);
    assert!(form.shows(&format!("id=\"destination-{}\"", c.destination)));
    // Her only destination is offered first.
    assert!(form.shows(&format!("value=\"{}\" checked", c.destination)), "{}", form.html);

    // Too much: the form again, with an error summary linking to the amount, and nothing held.
    let refused = browser
        .submit(&form, "/wallet/cash-out", &[("destination", &c.destination), ("how", "amount"), ("amount", "500,000")])
        .await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert!(refused.shows("error-summary") && refused.shows("href=\"#amount\""), "{}", refused.html);
    assert!(refused.shows("출금할 수 있는 돈보다 많아요"), "{}", refused.html);

    let (quote, _, code_path) = to_the_code(&mut browser, &c, &[("how", "amount"), ("amount", "20,000")]).await;
    // The quote: gross, each fee in words, the net largest, the expiry and its countdown.
    assert!(quote.shows("20,000원") && quote.shows("기본 수수료") && quote.shows("500원"), "{}", quote.html);
    assert!(quote.html.contains("<p class=\"amount big\"><span class=\"money\">19,500원</span></p>"), "{}", quote.html);
    let expires = START_US / 1_000_000 + 600;
    assert!(quote.shows(&format!("data-countdown=\"{expires}\"")), "{}", quote.html);
    assert!(quote.shows("2026-11-10 12:10 KST까지") && quote.shows(">10:00<"), "{}", quote.html);
    let id = cash_out_id(&code_path);

    let code_page = browser.get(&code_path).await;
    assert!(code_page.shows("인증 앱에 보이는 숫자 6자리"), "{}", code_page.html);
    let confirmed = browser.submit(&code_page, &code_path, &[("code", &code_at(&c, &clock))]).await;
    assert_eq!((confirmed.status, confirmed.location.clone()), (303, Some(format!("/wallet/cash-outs/{id}"))));
    let page = browser.get(&format!("/wallet/cash-outs/{id}")).await;
    assert!(page.shows(&format!("data-follow=\"/wallet/cash-outs/{id}/status.json\"")), "{}", page.html);
    assert!(page.shows("aria-live=\"polite\"") && page.shows("19,500원"), "{}", page.html);

    // The sandbox pays; the page (reloaded) and its JSON say so.
    server.wait_for_cashout(&id, "in_transit").await;
    clock.set(START_US + 3_000_000);
    let paid = server.wait_for_cashout(&id, "paid").await;
    let me = format!("user:{}", c.id);
    let actors: Vec<&str> = paid["timeline"].as_array().unwrap().iter().map(|e| e["actor"].as_str().unwrap()).collect();
    assert_eq!(&actors[..2], [me.as_str(), me.as_str()], "the user created and confirmed it: {paid}");
    let page = browser.get(&format!("/wallet/cash-outs/{id}")).await;
    assert!(page.shows("지급 완료") && page.shows("받은 금액") && !page.shows("data-follow"), "{}", page.html);
    assert!(page.shows("2026-11-10 12:00 KST") && page.shows("보내는 중"), "the timeline: {}", page.html);
    let status = browser.get(&format!("/wallet/cash-outs/{id}/status.json")).await;
    assert_eq!(status.status, 200);
    let status: Value = serde_json::from_str(&status.html).unwrap();
    assert_eq!((status["status"].as_str(), status["final"].as_bool()), (Some("paid"), Some(true)), "{status}");
    assert_eq!(status["status_text"], "지급 완료");
    assert_eq!(status["timeline"].as_array().unwrap().len(), 4, "{status}");

    // The receipt: the public page's lines, a print button for the script, no inline handler.
    let receipt = browser.get(&format!("/wallet/cash-outs/{id}/receipt")).await;
    assert_eq!(receipt.status, 200, "{}", receipt.html);
    assert!(receipt.shows("출금 영수증") && receipt.shows("19,500원") && receipt.shows("송금 참조번호"));
    assert!(receipt.shows("data-print hidden") && !receipt.shows("onclick"), "{}", receipt.html);
    // In English too.
    browser.accept_language = "en".into();
    let english = browser.get(&format!("/wallet/cash-outs/{id}")).await;
    assert!(english.shows("Paid to you") && english.shows("₩19,500") && english.shows("Report a problem"));
    browser.accept_language = "ko-KR,ko".into();

    // Reporting a problem: a choice is needed, then it is open, for the API as for the page.
    let form = browser.get(&format!("/wallet/cash-outs/{id}/dispute")).await;
    let dispute_path = format!("/wallet/cash-outs/{id}/dispute");
    let unchosen = browser.submit(&form, &dispute_path, &[("details", "")]).await;
    assert_eq!(unchosen.status, 400);
    assert!(unchosen.shows("어떤 문제인지 하나 골라 주세요") && unchosen.shows("href=\"#reason-not_arrived\""));
    let details = "통장에 아직 안 들어왔어요";
    let opened = browser.submit(&form, &dispute_path, &[("reason", "not_arrived"), ("details", details)]).await;
    assert_eq!((opened.status, opened.location.clone()), (303, Some(format!("/wallet/cash-outs/{id}"))));
    let page = browser.get(&format!("/wallet/cash-outs/{id}")).await;
    assert!(page.shows("신고 접수됨") && !page.shows("신고하기</a>"), "{}", page.html);
    let (_, disputes) = server.get(&format!("/v1/users/{}/disputes", c.id)).await;
    let dispute = &disputes["data"][0];
    assert_eq!((dispute["status"].as_str(), dispute["cashout_id"].as_str()), (Some("open"), Some(id.as_str())));
    assert_eq!(dispute["opened_by"], me.as_str());
    assert_eq!(dispute["reason"], format!("not_arrived: {details}"));
    let (status, read) = server.get(&format!("/v1/disputes/{}", dispute["id"].as_str().unwrap())).await;
    assert_eq!((status, read["status"].as_str()), (200, Some("open")));
    // A second report while one is open is refused in words, and opens nothing.
    let again = browser.get(&dispute_path).await;
    assert!(again.shows("이미 신고했어요"), "{}", again.html);

    // A newer destination is not offered first: the one her last cash-out was paid to is.
    let newer = e_wallet(&server, &c.id).await;
    let form = browser.get("/wallet/cash-out").await;
    assert!(form.shows(&format!("value=\"{newer}\">")), "{}", form.html);
    assert!(form.shows(&format!("value=\"{}\" checked", c.destination)), "{}", form.html);
    server.assert_verified().await;
    server.stop().await;
}

/// Adds an e-wallet of `user`'s (김민지's) as their newest destination: its id.
async fn e_wallet(server: &TestServer, user: &str) -> String {
    let wallet =
        json!({"type": "e_wallet", "provider": "kakaopay", "wallet_id": "wallet-5521", "holder_name": "김민지"});
    let (status, added) = server.post(&format!("/v1/users/{user}/payout-destinations"), wallet).await;
    assert_eq!(status, 200, "{added}");
    added["id"].as_str().unwrap().to_string()
}

/// With two destinations and no cash-out paid yet, none is chosen for the person; the form
/// sent without one asks for one in words and quotes nothing.
async fn no_destination_is_chosen_for_the_person_on(backend: Backend) {
    let (server, _) = server_at(backend).await;
    let c = customer(&server, 1, false).await;
    server.topup(&c.id, "bank_transfer", 30_000).await;
    let newer = e_wallet(&server, &c.id).await;
    let (mut browser, _) = server.signed_in(&c.id).await;
    let form = browser.get("/wallet/cash-out").await;
    assert_eq!(form.status, 200, "{}", form.html);
    for id in [&c.destination, &newer] {
        assert!(form.shows(&format!("value=\"{id}\">")), "{id} is offered, not chosen: {}", form.html);
    }
    let unchosen = browser.submit(&form, "/wallet/cash-out", &[("how", "all"), ("speed", "standard")]).await;
    assert_eq!(unchosen.status, 400, "{}", unchosen.html);
    assert!(unchosen.shows(&format!("href=\"#destination-{newer}\"")), "{}", unchosen.html);
    assert!(server.get(&format!("/v1/users/{}/cashouts", c.id)).await.1["data"].as_array().unwrap().is_empty());
    server.stop().await;
}

/// The six-digit codes texted to `phone` so far (the outbox's order among messages sent in
/// the same microsecond of the test clock is not defined).
async fn codes(server: &TestServer, phone: &str) -> Vec<String> {
    let (_, outbox) = server.get("/v1/dev/sms-outbox").await;
    let texts = outbox.as_array().unwrap().iter().filter(|m| m["to"] == phone).map(|m| m["text"].as_str().unwrap());
    texts
        .filter_map(|text| text.split(|c: char| !c.is_ascii_digit()).rfind(|d| d.len() == 6).map(String::from))
        .collect()
}

async fn an_sms_code_wrong_again_and_right_on(backend: Backend) {
    let (server, _clock) = server_at(backend).await;
    let c = customer(&server, 2, false).await;
    let phone = format!("+8210{:08}", 2);
    server.topup(&c.id, "bank_transfer", 60_000).await;
    let (mut browser, _) = server.signed_in(&c.id).await;
    let (_, _, code_path) = to_the_code(&mut browser, &c, &[("how", "amount"), ("amount", "20000")]).await;
    let id = cash_out_id(&code_path);
    let form = browser.get(&code_path).await;
    assert!(form.shows("문자로 보낸 숫자 6자리") && form.shows("코드 다시 받기"), "{}", form.html);
    let first = codes(&server, &phone).await.pop().expect("a code was texted");
    let wrong = if first == "000000" { "111111" } else { "000000" };
    // Not six digits: the form again, and no attempt spent.
    let letters = browser.submit(&form, &code_path, &[("code", "12ab")]).await;
    assert_eq!(letters.status, 400, "{}", letters.html);
    assert!(letters.shows("코드는 숫자 6자리예요") && !letters.shows("남은 입력 기회"), "{}", letters.html);
    // A wrong code: an attempt spent, told on a page a reload only reads again.
    let wrong_answer = browser.submit(&form, &code_path, &[("code", wrong)]).await;
    assert_eq!((wrong_answer.status, wrong_answer.location), (303, Some(format!("{code_path}?wrong=1"))));
    let refused = browser.get(&format!("{code_path}?wrong=1")).await;
    assert_eq!(refused.status, 200);
    assert!(
        refused.shows("코드가 맞지 않아요. 남은 입력 기회: 4번") && refused.shows("href=\"#code\""),
        "{}",
        refused.html
    );
    // Sent again: the first code stops working, the new one confirms.
    let resent = browser.submit(&refused, &format!("/wallet/cash-outs/{id}/resend-code"), &[]).await;
    assert_eq!((resent.status, resent.location.clone()), (303, Some(format!("{code_path}?sent=1"))));
    let form = browser.get(&format!("{code_path}?sent=1")).await;
    assert!(form.shows("새 코드를 문자로 보냈어요") && form.shows("남은 입력 기회: 4번"), "{}", form.html);
    let sent = codes(&server, &phone).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    let second = sent.into_iter().find(|code| *code != first).expect("a new code");
    let confirmed = browser.submit(&form, &code_path, &[("code", &second)]).await;
    assert_eq!((confirmed.status, confirmed.location), (303, Some(format!("/wallet/cash-outs/{id}"))));
    assert_ne!(server.get(&format!("/v1/cashouts/{id}")).await.1["status"], "awaiting_confirmation");

    // Five wrong codes: the cash-out is canceled and its money is back, said in words.
    let (_, _, code_path) = to_the_code(&mut browser, &c, &[("how", "amount"), ("amount", "10000")]).await;
    let other = cash_out_id(&code_path);
    let sent = codes(&server, &phone).await;
    let wrong = (0..10).map(|d| d.to_string().repeat(6)).find(|w| !sent.contains(w)).unwrap();
    let page = browser.get(&code_path).await;
    let mut answer = None;
    for _ in 0..5 {
        answer = Some(browser.submit(&page, &code_path, &[("code", &wrong)]).await);
    }
    let answer = answer.unwrap();
    assert_eq!((answer.status, answer.location), (303, Some(format!("{code_path}?locked=1"))));
    let page = browser.get(&format!("{code_path}?locked=1")).await;
    assert!(page.shows("너무 많이 틀려서 출금을 취소했어요") && page.shows("10,000원 모두 지갑으로"), "{}", page.html);
    let (_, canceled) = server.get(&format!("/v1/cashouts/{other}")).await;
    assert_eq!(
        (canceled["status"].as_str(), canceled["failure_reason"].as_str()),
        (Some("canceled"), Some("otp_locked"))
    );
    let shown = browser.get(&format!("/wallet/cash-outs/{other}")).await;
    assert!(shown.shows("출금이 취소됐어요") && shown.shows("확인 코드를 너무 많이 틀렸어요"), "{}", shown.html);
    server.assert_verified().await;
    server.stop().await;
}

async fn carrier_money_is_not_withdrawable_on(backend: Backend) {
    let (server, _clock) = server_at(backend).await;
    let c = customer(&server, 3, false).await;
    server.topup(&c.id, "carrier_billing", 30_000).await;
    let (mut browser, _) = server.signed_in(&c.id).await;
    let page = browser.get("/wallet/cash-out").await;
    assert_eq!(page.status, 200);
    assert!(page.shows("<p class=\"amount big\"><span class=\"money\">0원</span></p>"));
    assert!(page.shows("지금은 출금할 수 있는 돈이 없어요"));
    // Why, in the catalog's words (the API's `reason` is for operators' backends).
    let (_, balances) = server.get(&format!("/v1/users/{}/balances?lang=ko", c.id)).await;
    let carrier = balances["pockets"].as_array().unwrap().iter().find(|p| p["pocket"] == "carrier").unwrap();
    let reason = carrier["reason"].as_str().unwrap();
    let why = "휴대폰 요금으로 낸 돈이라 결제에만 쓸 수 있고 현금으로 바꿀 수 없어요.";
    assert!(page.shows(why) && !page.shows(reason), "{}", page.html);
    assert!(page.shows("휴대폰 결제로 충전한 돈") && page.shows("30,000원"), "{}", page.html);
    assert!(!page.shows("action=\"/wallet/cash-out\""), "no form: {}", page.html);
    // Posting anyway is refused by the quote, and nothing is held.
    let refused = browser.submit(&page, "/wallet/cash-out", &[("destination", &c.destination), ("how", "all")]).await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert_eq!(server.balances(&c.id).await["pending"], 0);
    server.stop().await;
}

async fn a_holder_who_is_not_the_user_is_refused_on(backend: Backend) {
    let (server, _clock) = server_at(backend).await;
    let c = customer(&server, 4, false).await;
    let (mut browser, _) = server.signed_in(&c.id).await;
    let kinds = browser.get("/wallet/cash-out/destinations/new").await;
    assert!(kinds.shows("type-e_wallet") && kinds.shows("현금 찾기"), "{}", kinds.html);
    let path = "/wallet/cash-out/destinations/new";
    let form = browser.get(&format!("{path}?type=bank_account")).await;
    assert!(form.shows("본인 확인 때 등록한 이름과 같아야 해요: 김민지"), "the legal name hint: {}", form.html);
    let fields = |holder: &'static str| {
        vec![
            ("type", "bank_account"),
            ("bank_code", "088"),
            ("account_number", "110-123-456789"),
            ("holder_name", holder),
        ]
    };
    let refused = browser.submit(&form, path, &fields("Kim Minji")).await;
    assert_eq!(refused.status, 400, "{}", refused.html);
    assert!(refused.shows("error-summary") && refused.shows("href=\"#holder_name\""), "{}", refused.html);
    assert!(refused.shows("출금은 본인 명의로만 받을 수 있어요"), "{}", refused.html);
    browser.accept_language = "en".into();
    let english = browser.submit(&refused, path, &fields("Kim Minji")).await;
    assert_eq!(english.status, 400);
    assert!(english.shows("not the name from your identity check") && english.shows("Money can only go to"));
    assert!(english.shows("It must be the name from your identity check: 김민지"), "{}", english.html);
    browser.accept_language = "ko-KR,ko".into();
    let added = browser.submit(&english, path, &fields("김 민지")).await;
    assert_eq!(added.status, 303, "{}", added.html);
    let back = added.location.unwrap();
    assert!(back.starts_with("/wallet/cash-out?destination=dst_") && back.ends_with("&added=1"), "{back}");
    let told = browser.get(&back).await;
    assert!(told.shows("등록했어요: 신한은행 ••••6789"), "{}", told.html);
    let (_, listed) = server.get(&format!("/v1/users/{}/payout-destinations", c.id)).await;
    assert_eq!(listed["data"][0]["created_by"], format!("user:{}", c.id));
    assert_eq!(listed["data"][0]["masked"], "088 ••••••••6789");

    // Without an identity check there is no form, and it says why.
    let stranger = server.create_user(5).await;
    let (mut other, _) = server.signed_in(&stranger).await;
    let page = other.get(&format!("{path}?type=bank_account")).await;
    assert!(page.shows("본인 확인이 먼저 필요해요") && !page.shows("name=\"holder_name\""), "{}", page.html);
    server.stop().await;
}

async fn another_users_cash_out_is_not_found_on(backend: Backend) {
    let (server, clock) = server_at(backend).await;
    let owner = customer(&server, 6, true).await;
    server.topup(&owner.id, "bank_transfer", 50_000).await;
    let (mut browser, _) = server.signed_in(&owner.id).await;
    let (_, quote_path, code_path) = to_the_code(&mut browser, &owner, &[("how", "all")]).await;
    let id = cash_out_id(&code_path);
    let code_page = browser.get(&code_path).await;
    let confirmed = browser.submit(&code_page, &code_path, &[("code", &code_at(&owner, &clock))]).await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.html);

    // A form without its token changes nothing: no dispute, no new cash-out from the quote.
    let (_, before) = server.get(&format!("/v1/users/{}/cashouts", owner.id)).await;
    assert_eq!(browser.post_raw(&quote_path, &[]).await.status, 403);
    let refused =
        browser.post_raw(&format!("/wallet/cash-outs/{id}/dispute"), &[("reason", "other"), ("details", "x")]).await;
    assert_eq!(refused.status, 403);
    assert!(refused.shows("아무것도 바뀌지 않았어요"));
    let (_, after) = server.get(&format!("/v1/users/{}/cashouts", owner.id)).await;
    assert_eq!(before["data"].as_array().unwrap().len(), after["data"].as_array().unwrap().len());
    let (_, disputes) = server.get(&format!("/v1/users/{}/disputes", owner.id)).await;
    assert!(disputes["data"].as_array().unwrap().is_empty(), "{disputes}");

    // Someone else: every page of it is not found, and their posts open nothing.
    let other = customer(&server, 7, false).await;
    let (mut stranger, home) = server.signed_in(&other.id).await;
    for path in [
        format!("/wallet/cash-outs/{id}"),
        format!("/wallet/cash-outs/{id}/receipt"),
        format!("/wallet/cash-outs/{id}/status.json"),
        format!("/wallet/cash-outs/{id}/dispute"),
        format!("/wallet/cash-outs/{id}/confirm"),
        quote_path.clone(),
    ] {
        assert_eq!(stranger.get(&path).await.status, 404, "{path}");
    }
    let posted = stranger.submit(&home, &format!("/wallet/cash-outs/{id}/dispute"), &[("reason", "not_me")]).await;
    assert_eq!(posted.status, 404, "{}", posted.html);
    assert_eq!(stranger.submit(&home, &format!("/wallet/cash-outs/{id}/cancel"), &[]).await.status, 404);
    assert_eq!(stranger.submit(&home, &quote_path, &[]).await.status, 404);
    let (_, disputes) = server.get(&format!("/v1/users/{}/disputes", owner.id)).await;
    assert!(disputes["data"].as_array().unwrap().is_empty(), "{disputes}");
    // Signed out, the JSON is not there either: the front door.
    let mut nobody = Browser::new(&server.base);
    assert_eq!(nobody.get(&format!("/wallet/cash-outs/{id}/status.json")).await.status, 303);
    server.stop().await;
}
