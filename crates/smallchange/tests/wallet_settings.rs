//! The web wallet's settings page, on both backends, as a browser without JavaScript uses
//! it: auto-cash-out saved (and a bad threshold explained, nothing saved), the
//! authenticator app set up from a QR code whose secret really makes codes (on only once a
//! code from the app proves the scan; a wrong one spends a try, a reload nothing), and sessions
//! listed and ended — one, or every other — while another user's session cannot be touched.

mod support;

use base64::Engine;
use serde_json::json;
use support::wallet::Browser;
use support::{fresh_db, spawn, spawn_with, Backend, TestServer};
use totp_rs::{Algorithm, Secret, TOTP};

both_backends!(auto_cash_out_is_saved_from_the_page, super::auto_cash_out_is_saved_from_the_page_on);
both_backends!(the_authenticator_is_enrolled_with_a_qr_code, super::the_authenticator_is_enrolled_with_a_qr_code_on);
both_backends!(sessions_are_listed_and_ended, super::sessions_are_listed_and_ended_on);
both_backends!(the_operators_identity_check_words_come_first, super::the_operators_identity_check_words_come_first_on);

async fn verified_user_with_bank(server: &TestServer, external_id: &str) -> (String, String) {
    let (_, user) = server.post("/v1/users", json!({"external_id": external_id, "phone": "+821012345678"})).await;
    let id = user["id"].as_str().unwrap().to_string();
    let kyc = json!({"level": "verified", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    assert_eq!(server.post(&format!("/v1/users/{id}/kyc"), kyc).await.0, 200);
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-789012", "holder_name": "김민지"});
    let (status, destination) = server.post(&format!("/v1/users/{id}/payout-destinations"), bank).await;
    assert_eq!(status, 200, "{destination}");
    (id, destination["id"].as_str().unwrap().to_string())
}

async fn auto_cash_out_is_saved_from_the_page_on(backend: Backend) {
    let server = spawn(backend).await;
    let (user, bank) = verified_user_with_bank(&server, "minji").await;
    let (mut browser, _) = server.signed_in(&user).await;
    let settings = browser.get("/wallet/settings").await;
    assert_eq!(settings.status, 200);
    assert!(settings.shows("자동 출금") && settings.shows(&bank), "{}", settings.html);
    // A threshold that is not an amount is explained, and nothing is saved.
    let bad = browser
        .submit(
            &settings,
            "/wallet/settings/auto-cash-out",
            &[("enabled", "on"), ("threshold", "lots"), ("destination_id", &bank)],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.shows("금액을 숫자로 입력해 주세요") && bad.shows("href=\"#threshold\""), "{}", bad.html);
    assert!(bad.shows("value=\"lots\""), "what was typed stays in the field");
    assert_eq!(server.get(&format!("/v1/users/{user}/auto-cashout")).await.0, 404);
    // As people type it, it is saved.
    let saved = browser
        .submit(
            &settings,
            "/wallet/settings/auto-cash-out",
            &[("enabled", "on"), ("threshold", "50,000"), ("destination_id", &bank)],
        )
        .await;
    assert_eq!((saved.status, saved.location.as_deref()), (303, Some("/wallet/settings?done=auto")));
    let (status, auto) = server.get(&format!("/v1/users/{user}/auto-cashout")).await;
    assert_eq!(status, 200);
    assert_eq!((auto["enabled"].as_bool(), auto["threshold"].as_i64()), (Some(true), Some(50_000)), "{auto}");
    let shown = browser.get("/wallet/settings?done=auto").await;
    assert!(shown.shows("자동 출금 설정을 저장했어요") && shown.shows("value=\"50000\""), "{}", shown.html);
    // Another user's destination is not this user's to choose.
    let (_, other_bank) = verified_user_with_bank(&server, "junho").await;
    let refused = browser
        .submit(&settings, "/wallet/settings/auto-cash-out", &[("threshold", "50000"), ("destination_id", &other_bank)])
        .await;
    assert_eq!(refused.status, 400);
    assert!(refused.shows("받을 곳을 골라 주세요"), "{}", refused.html);
    let (_, unchanged) = server.get(&format!("/v1/users/{user}/auto-cashout")).await;
    assert_eq!(unchanged["destination_id"], bank.as_str());
    server.stop().await;
}

async fn the_authenticator_is_enrolled_with_a_qr_code_on(backend: Backend) {
    let server = spawn(backend).await;
    let (user, _) = verified_user_with_bank(&server, "minji").await;
    let (mut browser, _) = server.signed_in(&user).await;
    browser.accept_language = "en".into();
    let settings = browser.get("/wallet/settings").await;
    assert!(settings.shows("Set up an authenticator app"), "{}", settings.html);
    let started = browser.submit(&settings, "/wallet/settings/authenticator", &[]).await;
    assert_eq!((started.status, started.location.as_deref()), (303, Some("/wallet/settings/authenticator")));
    let shown_page = browser.get("/wallet/settings/authenticator").await;
    assert_eq!(shown_page.status, 200, "{}", shown_page.html);
    assert!(shown_page.shows("It is set up only once the code is checked"), "{}", shown_page.html);
    // The QR code is an SVG drawn here, with alt text, and the key beside it makes codes.
    let html = shown_page.html.replace("&#x2f;", "/");
    let qr = html.split("src=\"data:image/svg+xml;base64,").nth(1).unwrap().split('"').next().unwrap();
    let svg = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(qr).unwrap()).unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path"));
    assert!(shown_page.shows("alt=\"QR code to add to your authenticator app\""));
    let secret: String =
        shown_page.html.split("<code>").nth(1).unwrap().split("</code>").next().unwrap().split_whitespace().collect();
    let bytes = Secret::Encoded(secret.clone()).to_bytes().expect("a base32 key");
    assert_eq!(bytes.len(), 20);
    let app = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, "user".into()).unwrap();
    // Not on yet: shown, the secret is not the user's until a code proves the scan.
    let (_, user_shown) = server.get(&format!("/v1/users/{user}")).await;
    assert_eq!(user_shown["totp_enrolled"], false);
    // Starting again (a reload, another tab) keeps the secret an app may have scanned.
    browser.submit(&settings, "/wallet/settings/authenticator", &[]).await;
    let again = browser.get("/wallet/settings/authenticator").await;
    assert!(again.shows(&secret.chars().take(4).collect::<String>()), "{}", again.html);
    // Not six digits: refused without a try spent.
    let letters = browser.submit(&again, "/wallet/settings/authenticator/confirm", &[("code", "12ab")]).await;
    assert_eq!(letters.status, 400);
    assert!(letters.shows("Enter the 6 digits the app shows"), "{}", letters.html);
    // A wrong code spends a try and is answered with a redirect: a reload spends nothing.
    let right = app.generate_current().unwrap();
    let wrong = if right == "000000" { "111111" } else { "000000" };
    let refused = browser.submit(&again, "/wallet/settings/authenticator/confirm", &[("code", wrong)]).await;
    assert_eq!((refused.status, refused.location.as_deref()), (303, Some("/wallet/settings/authenticator?wrong=1")));
    for _ in 0..2 {
        let told = browser.get("/wallet/settings/authenticator?wrong=1").await;
        assert!(told.shows("That is not the code") && told.shows("Tries left: 4"), "{}", told.html);
    }
    let (_, user_shown) = server.get(&format!("/v1/users/{user}")).await;
    assert_eq!(user_shown["totp_enrolled"], false);
    // The right code sets it up.
    let code = app.generate_current().unwrap();
    let proven = browser.submit(&again, "/wallet/settings/authenticator/confirm", &[("code", &code)]).await;
    assert_eq!((proven.status, proven.location.as_deref()), (303, Some("/wallet/settings?done=totp")));
    let (_, user_shown) = server.get(&format!("/v1/users/{user}")).await;
    assert_eq!(user_shown["totp_enrolled"], true);
    let done = browser.get("/wallet/settings?done=totp").await;
    assert!(done.shows("Your authenticator app is set up"), "{}", done.html);
    // Once on, the page shows no secret again, and starting again is refused.
    let gone = browser.get("/wallet/settings/authenticator").await;
    assert_eq!((gone.status, gone.location.as_deref()), (303, Some("/wallet/settings")));
    let refused = browser.submit(&settings, "/wallet/settings/authenticator", &[]).await;
    assert_eq!(refused.status, 409);
    assert!(!refused.html.contains("data:image/svg+xml") && refused.shows("Your authenticator app is set up"));
    server.stop().await;
}

async fn sessions_are_listed_and_ended_on(backend: Backend) {
    let server = spawn(backend).await;
    let (user, _) = verified_user_with_bank(&server, "minji").await;
    let (mut phone, _) = server.signed_in(&user).await;
    let (mut laptop, _) = server.signed_in(&user).await;
    let (mut tablet, _) = server.signed_in(&user).await;
    let settings = phone.get("/wallet/settings").await;
    assert_eq!(settings.html.matches("class=\"session\"").count(), 3, "{}", settings.html);
    assert_eq!(settings.html.matches("지금 이 기기").count(), 1);
    // One other session ended by its id (the first form that ends one).
    let end_path =
        settings.html.split("action=\"/wallet/settings/sessions/wss_").nth(1).unwrap().split('"').next().unwrap();
    let end_path = format!("/wallet/settings/sessions/wss_{end_path}");
    let ended = phone.submit(&settings, &end_path, &[]).await;
    assert_eq!(ended.location.as_deref(), Some("/wallet/settings?done=session"));
    let still: Vec<bool> = vec![
        laptop.get("/wallet/").await.shows("지갑에 있는 돈"),
        tablet.get("/wallet/").await.shows("지갑에 있는 돈"),
    ];
    assert_eq!(still.iter().filter(|s| **s).count(), 1, "exactly one of the others was ended");
    // Another user cannot end this user's sessions: 404, and nothing ends.
    let (other_user, _) = verified_user_with_bank(&server, "junho").await;
    let (mut stranger, stranger_home) = server.signed_in(&other_user).await;
    let own = phone.get("/wallet/settings").await;
    let phone_path = own
        .html
        .split("action=\"/wallet/settings/sessions/wss_")
        .nth(1)
        .map(|rest| rest.split('"').next().unwrap().to_string());
    let target = format!("/wallet/settings/sessions/wss_{}", phone_path.unwrap());
    assert_eq!(stranger.submit(&stranger_home, &target, &[]).await.status, 404);
    // Every other session ended at once; this one stays.
    let ended = phone.submit(&own, "/wallet/settings/sessions/end-others", &[]).await;
    assert_eq!(ended.location.as_deref(), Some("/wallet/settings?done=others"));
    assert!(!laptop.get("/wallet/").await.shows("지갑에 있는 돈"));
    assert!(!tablet.get("/wallet/").await.shows("지갑에 있는 돈"));
    let after = phone.get("/wallet/settings?done=others").await;
    assert_eq!(after.html.matches("class=\"session\"").count(), 1);
    assert!(after.shows("다른 곳에서 모두 로그아웃했어요"));
    let _ = Browser::new(&server.base);
    server.stop().await;
}

/// A user without an identity check is told the operator's way to get one, in their
/// language (or the wallet's general sentence), and offered no destination to add.
async fn the_operators_identity_check_words_come_first_on(backend: Backend) {
    let how = "앱의 내 정보 → 본인 확인에서 신분증을 찍어 주세요.";
    let server = spawn_with(fresh_db(backend).await, |settings| {
        settings.cashout.kyc_instructions.insert("ko".into(), how.into());
    })
    .await;
    let user = server.create_user(7).await;
    server.topup(&user, "bank_transfer", 20_000).await;
    let (mut browser, _) = server.signed_in(&user).await;
    let korean = browser.get("/wallet/cash-out").await;
    assert_eq!(korean.status, 200);
    assert!(korean.shows("본인 확인이 먼저 필요해요") && korean.shows(how), "{}", korean.html);
    assert!(!korean.shows("action=\"/wallet/cash-out\"") && !korean.shows("/wallet/cash-out/destinations/new"));
    browser.accept_language = "en".into();
    let english = browser.get("/wallet/cash-out").await;
    assert!(english.shows("The check is done with your ID in the app this wallet belongs to"), "{}", english.html);
    assert!(!english.shows(how));
    server.stop().await;
}
