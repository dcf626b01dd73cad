//! The wallet's gift-card pages on both backends, as a browser without JavaScript uses them:
//! redeeming a code (every reason it cannot be told at its field, nothing changed, guessing
//! limited and said in words), each card's remainder, usage and refund threshold, and
//! refunding a remainder: a confirmation that says how much and where it goes (never cash
//! for a card bought through the phone bill), the refund itself, a second one refused
//! politely, another person's card not found, and a form without its CSRF token refused.

mod support;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use support::wallet::Page;
use support::{fresh_db, spawn, spawn_with_clock, Backend, TestServer};

both_backends!(a_code_is_redeemed_or_told_why_not, super::a_code_is_redeemed_or_told_why_not_on);
both_backends!(guessing_codes_is_limited_and_said_in_words, super::guessing_codes_is_limited_and_said_in_words_on);
both_backends!(a_remainder_goes_back_where_it_came_from, super::a_remainder_goes_back_where_it_came_from_on);
both_backends!(
    a_remainder_bought_by_bank_transfer_in_english,
    super::a_remainder_bought_by_bank_transfer_in_english_on
);

/// 2026-11-01 00:00 UTC.
const NOV_1_US: i64 = 1_793_491_200_000_000;
const DAY_US: i64 = 86_400_000_000;

async fn program(server: &TestServer, brand: &str, validity_days: i64) -> String {
    let body = json!({"brand": brand, "currency": "KRW", "region": "KR", "face_values": [10_000, 50_000],
        "validity_days": validity_days});
    let (status, program) = server.post("/v1/gift-card-programs", body).await;
    assert_eq!(status, 200, "{program}");
    program["id"].as_str().unwrap().to_string()
}

async fn issue(server: &TestServer, program: &str, face_value: i64, purchased_with: &str) -> Value {
    let body = json!({"program_id": program, "face_value": face_value, "purchased_with": purchased_with,
        "purchaser_ref": "order-1"});
    let (status, card) = server.post("/v1/gift-cards", body).await;
    assert_eq!(status, 200, "{card}");
    card
}

async fn spend(server: &TestServer, user: &str, amount: i64) {
    let body = json!({"merchant": "m", "amount": amount, "currency": "KRW"});
    let (status, answer) = server.post(&format!("/v1/users/{user}/payments"), body).await;
    assert_eq!(status, 200, "{answer}");
}

fn shows_all(page: &Page, texts: &[&str]) {
    for text in texts {
        assert!(page.shows(text), "{text}: {}", page.html);
    }
}

async fn a_code_is_redeemed_or_told_why_not_on(backend: Backend) {
    let clock = Clock::fixed(NOV_1_US);
    let server = spawn_with_clock(fresh_db(backend).await, |_| {}, clock.clone()).await;
    let culture = program(&server, "CultureLand", 30).await;
    program(&server, "HappyMoney", 365).await;
    let card = issue(&server, &culture, 10_000, "bank_transfer").await;
    let code = card["code"].as_str().unwrap().to_string();
    let user = server.create_user(1).await;
    let (mut browser, _) = server.signed_in(&user).await;

    let list = browser.get("/wallet/gift-cards").await;
    assert_eq!(list.status, 200);
    shows_all(&list, &["아직 등록한 상품권이 없어요", "href=\"/wallet/gift-cards/redeem\""]);
    let form = browser.get("/wallet/gift-cards/redeem").await;
    shows_all(&form, &["<option value=\"CultureLand\">", "<option value=\"HappyMoney\">", "for=\"code\""]);

    // Empty fields: both told, each linking to its field, and nobody asked.
    let blank = browser.submit(&form, "/wallet/gift-cards/redeem", &[("brand", ""), ("code", "")]).await;
    assert_eq!(blank.status, 400);
    shows_all(&blank, &["error-summary", "href=\"#brand\"", "href=\"#code\"", "상품권 브랜드를 골라 주세요"]);
    // A code of another brand: not found, at the code field, the brand kept as chosen.
    let before = server.balances(&user).await;
    // It spent a try, so it answers with a page of its own (a reload spends no other).
    let wrong = browser.submit(&form, "/wallet/gift-cards/redeem", &[("brand", "HappyMoney"), ("code", &code)]).await;
    assert_eq!(wrong.status, 303, "{}", wrong.html);
    let told = wrong.location.as_deref().unwrap();
    assert_eq!(told, "/wallet/gift-cards/redeem?refused=card_not_found&brand=HappyMoney");
    let wrong = browser.open(told).await;
    assert_eq!(wrong.status, 200);
    shows_all(&wrong, &["href=\"#code\"", "그 코드로 된 상품권이 없어요", "<option value=\"HappyMoney\" selected>"]);
    assert!(!wrong.shows(&code), "the code is not carried");
    assert!(!wrong.shows("card_not_found"), "a code is never shown to a person");
    assert_eq!(server.balances(&user).await, before, "nothing changed");

    // Typed with spaces: redeemed, and confirmed on the list.
    let typed = code.replace('-', " ");
    let redeemed =
        browser.submit(&form, "/wallet/gift-cards/redeem", &[("brand", "CultureLand"), ("code", &typed)]).await;
    assert_eq!(redeemed.status, 303, "{}", redeemed.html);
    let id = card["id"].as_str().unwrap();
    assert_eq!(redeemed.location.as_deref(), Some(format!("/wallet/gift-cards?done=redeem&card={id}").as_str()));
    let list = browser.open(redeemed.location.as_deref().unwrap()).await;
    shows_all(
        &list,
        &[
            "상품권을 등록했어요",
            "CultureLand 상품권 10,000원, 지갑에 넣었어요",
            "10,000원 중 남은 금액",
            "<meter id=\"used-",
            "0% 사용 (0원)",
            "80% 이상 쓰면 남은 돈을 돌려받을 수 있어요.",
            "8,000원 더 쓰면 남은 돈을 돌려받을 수 있어요.",
            "2026-12-01 09:00 KST까지 쓸 수 있어요.",
        ],
    );
    assert!(!list.shows(&format!("/wallet/gift-cards/{id}/refund")), "not refundable yet: no button");
    assert!(!list.html.contains("style="), "no inline style (the CSP forbids it)");
    assert_eq!(TestServer::pocket(&server.balances(&user).await, &format!("gift:{id}")), 10_000);
    // Spent a little: the bar and the words move.
    spend(&server, &user, 2_500).await;
    let list = browser.get("/wallet/gift-cards").await;
    shows_all(&list, &["7,500원", "25% 사용 (2,500원)", "value=\"2500\"", "5,500원 더 쓰면"]);

    // The same code again, here or in another wallet: already redeemed, 409.
    let again = browser.submit(&form, "/wallet/gift-cards/redeem", &[("brand", "CultureLand"), ("code", &code)]).await;
    assert_eq!(again.status, 409);
    shows_all(&again, &["이미 등록된 상품권이에요"]);
    let other = server.create_user(2).await;
    let (mut other_browser, _) = server.signed_in(&other).await;
    let other_form = other_browser.get("/wallet/gift-cards/redeem").await;
    let taken = other_browser
        .submit(&other_form, "/wallet/gift-cards/redeem", &[("brand", "CultureLand"), ("code", &code)])
        .await;
    assert_eq!(taken.status, 409);
    assert!(other_browser.get("/wallet/gift-cards").await.shows("아직 등록한 상품권이 없어요"));

    // Forty days on (a new session: the old one has ended): expired and redeemed, both
    // said, and the card shows it expired.
    clock.set(NOV_1_US + 40 * DAY_US);
    let (mut browser, _) = server.signed_in(&user).await;
    let form = browser.get("/wallet/gift-cards/redeem").await;
    let before = server.balances(&user).await;
    let both = browser.submit(&form, "/wallet/gift-cards/redeem", &[("brand", "CultureLand"), ("code", &code)]).await;
    assert_eq!(both.status, 409);
    shows_all(&both, &["기간이 끝난 상품권이라 등록할 수 없어요", "이미 등록된 상품권이에요"]);
    assert!(browser.get("/wallet/gift-cards").await.shows("2026-12-01 09:00 KST에 기간이 끝나서 더 쓸 수 없어요."));
    // A form without its CSRF token redeems nothing.
    let fresh = issue(&server, &culture, 10_000, "bank_transfer").await;
    let fields = [("brand", "CultureLand"), ("code", fresh["code"].as_str().unwrap())];
    let forged = browser.post_raw("/wallet/gift-cards/redeem", &fields).await;
    assert_eq!(forged.status, 403);
    assert_eq!(server.balances(&user).await, before, "refused redemptions changed nothing");
    let (_, fresh_now) = server.get(&format!("/v1/gift-cards/{}", fresh["id"].as_str().unwrap())).await;
    assert_eq!(fresh_now["status"], "issued");
    server.assert_verified().await;
    server.stop().await;
}

async fn guessing_codes_is_limited_and_said_in_words_on(backend: Backend) {
    let server = spawn(backend).await;
    program(&server, "CultureLand", 30).await;
    let user = server.create_user(1).await;
    let (mut browser, _) = server.signed_in(&user).await;
    let form = browser.get("/wallet/gift-cards/redeem").await;
    let mut statuses = Vec::new();
    for n in 0..12 {
        let code = format!("1111-2222-3333-{n:04}");
        let page =
            browser.submit(&form, "/wallet/gift-cards/redeem", &[("brand", "CultureLand"), ("code", &code)]).await;
        statuses.push(page.status);
        if page.status == 429 {
            shows_all(&page, &["시도가 너무 많아요", "초 뒤에 다시 시도해 주세요", "href=\"#code\""]);
        }
    }
    let expected: Vec<u16> = [[303; 10].as_slice(), &[429, 429]].concat();
    assert_eq!(statuses, expected, "ten wrong codes, then a wait");
    server.stop().await;
}

async fn redeemed_card(server: &TestServer, user: &str, program: &str, face: i64, bought_with: &str) -> String {
    let card = issue(server, program, face, bought_with).await;
    let body = json!({"brand": "CultureLand", "code": card["code"]});
    let (status, redeemed) = server.post(&format!("/v1/users/{user}/gift-cards"), body).await;
    assert_eq!(status, 200, "{redeemed}");
    card["id"].as_str().unwrap().to_string()
}

async fn a_remainder_goes_back_where_it_came_from_on(backend: Backend) {
    let server = spawn(backend).await;
    let culture = program(&server, "CultureLand", 365).await;
    let user = server.create_user(1).await;
    let id = redeemed_card(&server, &user, &culture, 50_000, "carrier_billing").await;
    let refund_path = format!("/wallet/gift-cards/{id}/refund");
    let (mut browser, _) = server.signed_in(&user).await;

    // 59.998 % used: not yet; the page says so and changes nothing.
    spend(&server, &user, 29_999).await;
    let list = browser.get("/wallet/gift-cards").await;
    shows_all(&list, &["60% 이상 쓰면 남은 돈을 돌려받을 수 있어요.", "1원 더 쓰면"]);
    assert!(!list.shows(&refund_path));
    let early = browser.get(&refund_path).await;
    assert_eq!(early.status, 409);
    shows_all(&early, &["아직 돌려받을 수 없어요", "아무것도 바뀌지 않았어요"]);

    // 60 % used: the button, and a confirmation that says how much and where it goes.
    spend(&server, &user, 1).await;
    let list = browser.get("/wallet/gift-cards").await;
    shows_all(&list, &["지금 돌려받을 수 있어요: 20,000원", &format!("href=\"{refund_path}\"")]);
    let confirm = browser.get(&refund_path).await;
    assert_eq!(confirm.status, 200, "{}", confirm.html);
    shows_all(
        &confirm,
        &[
            "CultureLand 상품권에서 돌려받을 돈",
            "20,000원",
            "돌아갈 곳",
            "<dd>휴대폰 결제로 충전한 돈</dd>",
            "휴대폰 결제로 산 상품권은 현금으로 돌려받을 수 없어요",
            "결제에 쓸 수 있지만 출금할 수는 없어요",
            "20,000원 돌려받기",
        ],
    );

    // Without its CSRF token: refused, nothing moved.
    let before = server.balances(&user).await;
    let forged = browser.post_raw(&refund_path, &[]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(server.balances(&user).await, before);

    // Another person's card: not found, on the page and in the form, and nothing moved.
    let stranger = server.create_user(2).await;
    let (mut other, other_home) = server.signed_in(&stranger).await;
    assert_eq!(other.get(&refund_path).await.status, 404);
    let theirs = other.submit(&other_home, &refund_path, &[]).await;
    assert_eq!(theirs.status, 404);
    shows_all(&theirs, &["찾을 수 없어요"]);
    assert_eq!(server.balances(&user).await, before);

    // The refund: ₩20,000 from the card to the phone-bill pocket, none of it withdrawable.
    let done = browser.submit(&confirm, &refund_path, &[]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let back = done.location.clone().unwrap();
    assert_eq!(back, format!("/wallet/gift-cards?done=refund&card={id}"));
    let list = browser.open(&back).await;
    shows_all(
        &list,
        &["남은 돈을 돌려받았어요", "돌아간 곳: 휴대폰 결제로 충전한 돈", "남은 돈 20,000원, 돌려받았어요."],
    );
    shows_all(&list, &["60% 사용 (30,000원)", "value=\"30000\""]);
    assert!(!list.shows("다 쓴 상품권이에요") && !list.shows("100% 사용"), "{}", list.html);
    let after = server.balances(&user).await;
    assert_eq!(TestServer::pocket(&after, "carrier"), 20_000, "{after}");
    assert_eq!(TestServer::pocket(&after, &format!("gift:{id}")), 0);
    assert_eq!(after["total"], before["total"], "moved within the wallet, not added");
    assert_eq!(after["withdrawable"], 0, "carrier-billed value never becomes cash");

    // Pressed again (the same page, its token still good): nothing left, said politely.
    let twice = browser.submit(&confirm, &refund_path, &[]).await;
    assert_eq!(twice.status, 409);
    shows_all(&twice, &["돌려받을 돈이 없어요", "아무것도 바뀌지 않았어요", "href=\"/wallet/gift-cards\""]);
    assert_eq!(server.balances(&user).await, after);
    assert_eq!(browser.get(&refund_path).await.status, 409);

    // The activity page tells it too.
    let activity = browser.get("/wallet/activity").await;
    shows_all(&activity, &["상품권 남은 돈 환불 · 돌아간 곳: 휴대폰 결제로 충전한 돈"]);
    // A banner only for what the person's own card shows: a made-up one shows nothing.
    let made_up = other.get(&format!("/wallet/gift-cards?done=refund&card={id}")).await;
    assert!(!made_up.html.contains("role=\"status\""), "{}", made_up.html);
    server.assert_verified().await;
    server.stop().await;
}

async fn a_remainder_bought_by_bank_transfer_in_english_on(backend: Backend) {
    let server = spawn(backend).await;
    let culture = program(&server, "CultureLand", 365).await;
    let user = server.create_user(1).await;
    let id = redeemed_card(&server, &user, &culture, 10_000, "bank_transfer").await;
    spend(&server, &user, 8_000).await;
    let (mut browser, _) = server.signed_in(&user).await;
    browser.accept_language = "en".into();
    let list = browser.get("/wallet/gift-cards").await;
    shows_all(
        &list,
        &["CultureLand gift card", "left of ₩10,000", "80% used (₩8,000)", "You can get the rest back now: ₩2,000"],
    );
    let path = format!("/wallet/gift-cards/{id}/refund");
    let confirm = browser.get(&path).await;
    shows_all(
        &confirm,
        &[
            "<dd>Money you added</dd>",
            "bought by bank transfer",
            "You can also withdraw this money.",
            "Get ₩2,000 back",
        ],
    );
    let done = browser.submit(&confirm, &path, &[]).await;
    assert_eq!(done.status, 303);
    let list = browser.open(done.location.as_deref().unwrap()).await;
    shows_all(&list, &["The rest of your card was given back", "went to: Money you added"]);
    let balances = server.balances(&user).await;
    assert_eq!((TestServer::pocket(&balances, "cash"), balances["withdrawable"].as_i64()), (2_000, Some(2_000)));
    let twice = browser.submit(&confirm, &path, &[]).await;
    assert_eq!(twice.status, 409);
    shows_all(&twice, &["There is nothing to give back", "Nothing was changed."]);
    server.stop().await;
}
