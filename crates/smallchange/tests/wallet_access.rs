//! Getting in and out of the web wallet, on both backends, as a browser without JavaScript
//! does it: a wallet link opens a session once and only within five minutes; the session's
//! cookie has its flags; a form without its CSRF token changes nothing; signing out ends
//! the session; sessions idle out; phone sign-in answers alike for known and unknown
//! numbers, takes a wrong code then the right one, locks a code after five tries, and limits
//! codes per phone and per client address.

mod support;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use support::wallet::{Browser, Page};
use support::{fresh_db, spawn, spawn_with_clock, Backend, TestServer};

both_backends!(a_link_opens_a_session_once, super::a_link_opens_a_session_once_on);
both_backends!(an_expired_link_opens_nothing, super::an_expired_link_opens_nothing_on);
both_backends!(forms_need_their_csrf_token, super::forms_need_their_csrf_token_on);
both_backends!(sessions_idle_out_and_sign_out_ends_them, super::sessions_idle_out_and_sign_out_ends_them_on);
both_backends!(
    phone_sign_in_with_a_wrong_then_the_right_code,
    super::phone_sign_in_with_a_wrong_then_the_right_code_on
);
both_backends!(a_sign_in_code_locks_after_five_tries, super::a_sign_in_code_locks_after_five_tries_on);
both_backends!(a_sign_in_code_can_be_sent_again, super::a_sign_in_code_can_be_sent_again_on);
both_backends!(
    sign_in_codes_are_limited_per_phone_and_address,
    super::sign_in_codes_are_limited_per_phone_and_address_on
);

/// 2026-11-10 03:00 UTC.
const START_US: i64 = 1_794_279_600_000_000;
const MINUTE_US: i64 = 60_000_000;

async fn user_with_phone(server: &TestServer, external_id: &str, phone: &str) -> String {
    let (status, user) = server.post("/v1/users", json!({"external_id": external_id, "phone": phone})).await;
    assert_eq!(status, 200, "{user}");
    user["id"].as_str().unwrap().to_string()
}

async fn a_link_opens_a_session_once_on(backend: Backend) {
    let server = spawn(backend).await;
    let user = user_with_phone(&server, "a", "+821011112222").await;
    let link = server.wallet_link(&user).await;
    assert!(link.starts_with("/wallet/link/"), "a path when no public_base_url is set: {link}");
    // Messengers fetch a link to draw its preview: any number of GETs, by any agent, show a
    // page that names the operator (the tenant, as no business_name is set) and nothing of
    // the user, and leave the link working.
    for agent in ["facebookexternalhit/1.1", "kakaotalk-scrap/1.0", "Mozilla/5.0 (iPhone) Mobile"] {
        let preview =
            server.client.get(format!("{}{link}", server.base)).header("user-agent", agent).send().await.unwrap();
        assert_eq!(preview.status(), 200, "{agent}");
        assert!(preview.headers().get("set-cookie").into_iter().all(|c| !c.to_str().unwrap().contains("sc_session")));
        let html = preview.text().await.unwrap();
        assert!(html.contains("test 지갑") && html.contains("지갑 열기"), "{html}");
        assert!(!html.contains(&user) && !html.contains("1011112222") && !html.contains("+82"), "{html}");
    }
    // The page's button opens it: a 303 home, with the session cookie and its flags.
    let mut browser = Browser::new(&server.base);
    let page = browser.get(&link).await;
    assert_eq!(page.status, 200);
    assert!(!browser.cookies.contains_key("sc_session"), "looking opens no session");
    let refused = browser.post_raw(&link, &[]).await;
    assert_eq!(refused.status, 403, "the button's form needs its CSRF token");
    let opened = browser.submit(&page, &link, &[]).await;
    assert_eq!((opened.status, opened.location.as_deref()), (303, Some("/wallet/")));
    let session_cookie = opened.set_cookies().into_iter().find(|c| c.starts_with("sc_session=")).unwrap();
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"), "{session_cookie}");
    assert!(!session_cookie.contains("Secure"), "plain HTTP on loopback: {session_cookie}");
    assert!(session_cookie.contains("Path=/wallet"), "{session_cookie}");
    let home = browser.get("/wallet/").await;
    assert_eq!(home.status, 200);
    assert!(home.shows("지갑에 있는 돈"), "{}", home.html);
    let csp = home.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(home.headers["cache-control"], "no-store");
    assert_eq!(home.headers["referrer-policy"], "no-referrer");

    // Pressed again (the page kept open in another tab): used, it opens nothing.
    let mut late = Browser::new(&server.base);
    let front = late.get("/wallet/").await;
    let again = late.submit(&front, &link, &[]).await;
    assert_eq!(again.status, 410, "{}", again.html);
    assert!(!late.cookies.contains_key("sc_session"));

    // Used once: a second open (another browser, or the same) gets no session; its page
    // says so at once.
    let mut other = Browser::new(&server.base);
    let again = other.get(&link).await;
    assert_eq!(again.status, 410);
    assert!(again.shows("이 링크는 열 수 없어요"), "{}", again.html);
    assert!(!other.cookies.contains_key("sc_session"));
    let front = other.get("/wallet/").await;
    assert!(front.shows("지갑에 들어가려면"), "without a session the front door: {}", front.html);
    // An address the wallet does not have is a page too, not the API's JSON.
    let missing = other.get("/wallet/no-such-page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.shows("찾을 수 없어요"), "{}", missing.html);
    assert!(missing.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    // A made-up token neither.
    assert_eq!(other.get("/wallet/link/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await.status, 410);
    assert_eq!(other.get("/wallet/link/short").await.status, 410);

    // Only the operator's own users, with a key that writes.
    let (status, _) = server.post("/v1/users/usr_nobody/wallet-links", json!({})).await;
    assert_eq!(status, 404);
    let reader = server.key_for(smallchange::store::tenants::Role::Readonly, false).await;
    let (status, _) = server.post_as(&reader, &format!("/v1/users/{user}/wallet-links"), json!({}), None).await;
    assert_eq!(status, 403);
    // A retry with the same Idempotency-Key gets the same link, not a second one.
    let path = format!("/v1/users/{user}/wallet-links");
    let (_, first) = server.post_as(&server.key, &path, json!({}), Some("link-1")).await;
    let (_, second) = server.post_as(&server.key, &path, json!({}), Some("link-1")).await;
    assert_eq!(first["url"], second["url"]);
    assert!(first["expires_at"].as_str().unwrap().ends_with('Z'));
    server.stop().await;
}

async fn an_expired_link_opens_nothing_on(backend: Backend) {
    let clock = Clock::fixed(START_US);
    let server = spawn_with_clock(fresh_db(backend).await, |_| {}, clock.clone()).await;
    let user = user_with_phone(&server, "a", "+821011112222").await;
    let link = server.wallet_link(&user).await;
    let fresh = server.wallet_link(&user).await;
    clock.set(START_US + 5 * MINUTE_US);
    let mut browser = Browser::new(&server.base);
    assert_eq!(browser.get(&link).await.status, 410, "five minutes on, the link is dead");
    assert_eq!(browser.open_link(&link).await.status, 410);
    clock.set(START_US + 5 * MINUTE_US - 1);
    let page = browser.get(&fresh).await;
    assert_eq!(page.status, 200, "just before, its page shows");
    clock.set(START_US + 5 * MINUTE_US);
    assert_eq!(browser.submit(&page, &fresh, &[]).await.status, 410, "and pressed too late, it opens nothing");
    let fresher = server.wallet_link(&user).await;
    clock.set(START_US + 10 * MINUTE_US - 1);
    assert_eq!(browser.open_link(&fresher).await.status, 303, "just before, it opens");
    server.stop().await;
}

async fn forms_need_their_csrf_token_on(backend: Backend) {
    let server = spawn(backend).await;
    let user = user_with_phone(&server, "a", "+821011112222").await;
    let (mut browser, home) = server.signed_in(&user).await;
    // Signing out without the token (or with a made-up one) is refused and ends nothing.
    let refused = browser.post_raw("/wallet/sign-out", &[]).await;
    assert_eq!(refused.status, 403);
    assert!(refused.shows("아무것도 바뀌지 않았어요"), "{}", refused.html);
    let forged = browser.post_raw("/wallet/sign-out", &[("csrf", "0".repeat(64).as_str())]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(browser.get("/wallet/").await.status, 200, "still signed in");
    // Another person's token is not this person's.
    let (_, other_home) = server.signed_in(&user).await;
    assert_ne!(other_home.csrf(), home.csrf());
    assert_eq!(browser.post_raw("/wallet/sign-out", &[("csrf", &other_home.csrf())]).await.status, 403);
    assert!(browser.get("/wallet/").await.shows("지갑에 있는 돈"));
    // With its own token it works.
    // Post/redirect/get: the page that says so is a plain visit, which a reload repeats
    // without signing anything out again.
    let out = browser.submit(&home, "/wallet/sign-out", &[]).await;
    assert_eq!((out.status, out.location.as_deref()), (303, Some("/wallet/signed-out")), "{}", out.html);
    for _ in 0..2 {
        let shown = browser.get("/wallet/signed-out").await;
        assert_eq!(shown.status, 200);
        assert!(shown.shows("로그아웃했어요"), "{}", shown.html);
    }
    // Signed in again, that address leads home instead of saying otherwise.
    let (mut again, _) = server.signed_in(&user).await;
    let home_again = again.get("/wallet/signed-out").await;
    assert_eq!((home_again.status, home_again.location.as_deref()), (303, Some("/wallet/")));
    server.stop().await;
}

async fn sessions_idle_out_and_sign_out_ends_them_on(backend: Backend) {
    let clock = Clock::fixed(START_US);
    let server = spawn_with_clock(fresh_db(backend).await, |_| {}, clock.clone()).await;
    let user = user_with_phone(&server, "a", "+821011112222").await;
    let (mut browser, home) = server.signed_in(&user).await;
    let token = browser.cookies["sc_session"].clone();
    // Used every 10 minutes, it lives on; 15 minutes unused, it is over.
    for step in 1..=3 {
        clock.set(START_US + step * 10 * MINUTE_US);
        assert!(browser.get("/wallet/").await.shows("지갑에 있는 돈"), "after {} minutes", step * 10);
    }
    clock.set(START_US + 30 * MINUTE_US + 15 * MINUTE_US);
    let idle = browser.get("/wallet/").await;
    assert!(idle.shows("지갑에 들어가려면"), "idled out: {}", idle.html);
    // A new session; however busy, it ends 12 hours after it opened.
    let (mut busy, _) = server.signed_in(&user).await;
    let opened_at = START_US + 45 * MINUTE_US;
    for minutes in (10..12 * 60).step_by(10) {
        clock.set(opened_at + minutes * MINUTE_US);
        assert_eq!(busy.get("/wallet/").await.status, 200);
    }
    clock.set(opened_at + 12 * 60 * MINUTE_US);
    assert!(busy.get("/wallet/").await.shows("지갑에 들어가려면"), "12 hours is the most");
    // Signing out ends the session on the server: its cookie, replayed, opens nothing.
    let (mut third, third_home) = server.signed_in(&user).await;
    let kept = third.cookies["sc_session"].clone();
    third.submit(&third_home, "/wallet/sign-out", &[]).await;
    assert!(!third.cookies.contains_key("sc_session"), "the cookie is cleared");
    third.cookies.insert("sc_session".into(), kept);
    assert!(third.get("/wallet/").await.shows("지갑에 들어가려면"), "the replayed cookie opens nothing");
    let _ = (token, home);
    server.stop().await;
}

/// The newest SMS's six-digit code.
async fn last_code(server: &TestServer, phone: &str) -> Option<String> {
    let (_, outbox) = server.get("/v1/dev/sms-outbox").await;
    let messages: &Vec<Value> = outbox.as_array().unwrap();
    let text = messages.iter().find(|m| m["to"] == phone)?["text"].as_str()?.to_string();
    let digits: Vec<&str> = text.split(|c: char| !c.is_ascii_digit()).filter(|d| d.len() == 6).collect();
    digits.last().map(|d| d.to_string())
}

async fn ask_for_code(browser: &mut Browser, tenant: &str, phone: &str) -> Page {
    let form = browser.get(&format!("/wallet/sign-in/{tenant}")).await;
    assert_eq!(form.status, 200, "{}", form.html);
    browser.submit(&form, &format!("/wallet/sign-in/{tenant}"), &[("phone", phone)]).await
}

async fn phone_sign_in_with_a_wrong_then_the_right_code_on(backend: Backend) {
    let server = spawn(backend).await;
    user_with_phone(&server, "minji", "+821012345678").await;
    let mut browser = Browser::new(&server.base);
    let asked = ask_for_code(&mut browser, &server.tenant, "010-1234-5678").await;
    assert_eq!(asked.status, 303);
    let code_path = asked.location.clone().unwrap();
    assert!(code_path.starts_with("/wallet/code/wsc_"), "{code_path}");
    let code = last_code(&server, "+821012345678").await.expect("a code was sent");
    let form = browser.get(&code_path).await;
    assert!(form.shows("인증 코드 입력"));
    assert!(!form.shows("코드가 맞지 않아요"), "{}", form.html);
    // A wrong code spends a try: the answer is a redirect to the page that says so, which
    // can be reloaded without posting the code again.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let spent = browser.submit(&form, &code_path, &[("code", wrong)]).await;
    assert_eq!((spent.status, spent.location.as_deref()), (303, Some(code_path.as_str())));
    for _ in 0..2 {
        let refused = browser.get(&code_path).await;
        assert_eq!(refused.status, 200);
        assert!(refused.shows("코드가 맞지 않아요. 4번 더 입력할 수 있어요."), "{}", refused.html);
    }
    // Something that is not six digits costs no try.
    let letters = browser.submit(&form, &code_path, &[("code", "12ab")]).await;
    assert_eq!(letters.status, 400);
    assert!(letters.shows("문자로 받은 숫자 6자리를 입력해 주세요."), "{}", letters.html);
    let refused = browser.get(&code_path).await;
    assert!(refused.shows("4번 더 입력할 수 있어요"), "{}", refused.html);
    assert!(!browser.cookies.contains_key("sc_session"));
    let pre = browser.cookies.get("sc_pre").cloned();
    let signed = browser.submit(&refused, &code_path, &[("code", &code)]).await;
    assert_eq!((signed.status, signed.location.as_deref()), (303, Some("/wallet/")));
    assert!(browser.get("/wallet/").await.shows("지갑에 있는 돈"));
    assert_ne!(browser.cookies.get("sc_session"), pre.as_ref(), "a new id at sign-in");
    // The code is used up.
    let again = browser.submit(&form, &code_path, &[("code", &code)]).await;
    assert_eq!(again.status, 403, "the old page's token no longer matches the new session");

    // An unknown number is answered alike, and no message goes out.
    let mut stranger = Browser::new(&server.base);
    let unknown = ask_for_code(&mut stranger, &server.tenant, "010-9999-0000").await;
    assert_eq!(unknown.status, 303);
    assert!(unknown.location.unwrap().starts_with("/wallet/code/wsc_"));
    assert_eq!(last_code(&server, "+821099990000").await, None);
    // A number that is not one is refused with words, and nothing is sent.
    let bad = ask_for_code(&mut stranger, &server.tenant, "12").await;
    assert_eq!(bad.status, 400);
    assert!(bad.shows("010-1234-5678처럼"), "{}", bad.html);
    server.stop().await;
}

async fn a_sign_in_code_locks_after_five_tries_on(backend: Backend) {
    let server = spawn(backend).await;
    user_with_phone(&server, "minji", "+821012345678").await;
    let mut browser = Browser::new(&server.base);
    let code_path = ask_for_code(&mut browser, &server.tenant, "+821012345678").await.location.unwrap();
    let code = last_code(&server, "+821012345678").await.unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut page = browser.get(&code_path).await;
    for left in (0..5).rev() {
        let spent = browser.submit(&page, &code_path, &[("code", wrong)]).await;
        assert_eq!(spent.status, 303);
        page = browser.get(&code_path).await;
        match left {
            0 => assert!(page.shows("더 이상 쓸 수 없어요"), "the fifth wrong try locks it: {}", page.html),
            1 => assert!(page.shows("한 번 더 틀리면"), "{}", page.html),
            _ => assert!(page.shows(&format!("{left}번 더 입력할 수 있어요")), "{left}: {}", page.html),
        }
    }
    // Now even the right code opens nothing.
    let right = browser.submit(&page, &code_path, &[("code", &code)]).await;
    assert_eq!(right.status, 303);
    assert!(browser.get(&code_path).await.shows("더 이상 쓸 수 없어요"));
    assert!(!browser.cookies.contains_key("sc_session"));
    server.stop().await;
}

async fn sign_in_codes_are_limited_per_phone_and_address_on(backend: Backend) {
    let server = spawn(backend).await;
    user_with_phone(&server, "minji", "+821012345678").await;
    let mut browser = Browser::new(&server.base);
    // Three codes to one number at once; the fourth waits.
    for _ in 0..3 {
        assert_eq!(ask_for_code(&mut browser, &server.tenant, "+821012345678").await.status, 303);
    }
    let limited = ask_for_code(&mut browser, &server.tenant, "+821012345678").await;
    assert_eq!(limited.status, 429);
    assert!(limited.shows("시도가 너무 많아요"), "{}", limited.html);
    // Other numbers from this address go on until the address has asked 20 times (the
    // refused fourth counted too).
    for n in 0..16 {
        let phone = format!("+8210555500{n:02}");
        assert_eq!(ask_for_code(&mut browser, &server.tenant, &phone).await.status, 303, "number {n}");
    }
    let address_limited = ask_for_code(&mut browser, &server.tenant, "+821055559999").await;
    assert_eq!(address_limited.status, 429, "the address's limit");
    server.stop().await;
}

async fn a_sign_in_code_can_be_sent_again_on(backend: Backend) {
    let server = spawn(backend).await;
    user_with_phone(&server, "minji", "+821012345678").await;
    let mut browser = Browser::new(&server.base);
    let first_path = ask_for_code(&mut browser, &server.tenant, "010-1234-5678").await.location.unwrap();
    let first = last_code(&server, "+821012345678").await.unwrap();
    // "다시 받기": a new code to the same number, on a page of its own.
    let page = browser.get(&first_path).await;
    assert!(page.shows("다시 받기"), "{}", page.html);
    let again = browser.submit(&page, &format!("{first_path}/resend"), &[]).await;
    assert_eq!(again.status, 303);
    let second_path = again.location.unwrap();
    assert!(second_path.starts_with("/wallet/code/wsc_") && second_path != first_path, "{second_path}");
    let (_, outbox) = server.get("/v1/dev/sms-outbox").await;
    let sent = outbox.as_array().unwrap().iter().filter(|m| m["to"] == "+821012345678").count();
    assert_eq!(sent, 2, "{outbox}");
    // Three codes to a number at once: the fourth is refused with how long to wait, and
    // nothing is sent.
    let page = browser.get(&second_path).await;
    let third = browser.submit(&page, &format!("{second_path}/resend"), &[]).await;
    assert_eq!(third.status, 303);
    let third_path = third.location.unwrap();
    let page = browser.get(&third_path).await;
    let refused = browser.submit(&page, &format!("{third_path}/resend"), &[]).await;
    assert_eq!(refused.status, 429);
    assert!(
        refused.shows("코드를 너무 자주 받았어요.") && refused.shows("초 뒤에 다시 받아 주세요"),
        "{}",
        refused.html
    );
    let (_, outbox) = server.get("/v1/dev/sms-outbox").await;
    assert_eq!(outbox.as_array().unwrap().iter().filter(|m| m["to"] == "+821012345678").count(), 3);
    // The newest code signs in; the first one, not used, would too until it expires.
    let newest = last_code(&server, "+821012345678").await.unwrap();
    let signed = browser.submit(&refused, &third_path, &[("code", &newest)]).await;
    assert_eq!((signed.status, signed.location.as_deref()), (303, Some("/wallet/")), "{}", signed.html);
    let _ = first;
    // An attempt there is not cannot be sent again.
    let mut stranger = Browser::new(&server.base);
    let front = stranger.get("/wallet/").await;
    assert_eq!(stranger.submit(&front, "/wallet/code/wsc_nothing/resend", &[]).await.status, 404);
    server.stop().await;
}
