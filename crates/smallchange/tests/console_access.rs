//! Getting into the operators' console: an operator made with a role gets a one-time set-up
//! link, which takes a password and an authenticator and ends signed in; signing in takes
//! email, password and a fresh code; wrong tries lock one account from one address and slow
//! the account down everywhere; disabling and resetting take effect at once. The use cases
//! are driven directly (with a clock the test moves), and the pages through HTTP as a
//! browser without JavaScript would.

mod support;

use smallchange::clock::Clock;
use smallchange::context::Context;
use smallchange::services::operators::setup::{self, Step};
use smallchange::services::operators::sign_in::{self, Attempt};
use smallchange::services::operators::{admin, sessions};
use smallchange::store::events;
use smallchange::store::tenants;
use support::console::{between, code, context, CLI, PASSWORD};
use support::wallet::Browser;
use support::{fresh_db, spawn_with_clock, Backend};

both_backends!(an_operator_sets_up_and_signs_in, super::an_operator_sets_up_and_signs_in_on);
both_backends!(wrong_sign_ins_lock_one_address_only, super::wrong_sign_ins_lock_one_address_only_on);
both_backends!(disabling_and_resetting_take_effect_at_once, super::disabling_and_resetting_take_effect_at_once_on);
both_backends!(the_pages_lead_from_the_link_to_the_overview, super::the_pages_lead_from_the_link_to_the_overview_on);

/// 2026-12-07 09:00:00 UTC, on a 30-second step boundary.
const T0: i64 = 1_796_634_000_000_000;

/// The token at the end of a set-up link.
fn token_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_string()
}

fn attempt<'a>(email: &'a str, password: &'a str, code: &'a str, address: &'a str) -> Attempt<'a> {
    Attempt { email, password, code, address, user_agent: "test" }
}

/// An operator set up through its link (from 10.0.0.1): `(tenant, email, secret)`.
async fn set_up(ctx: &Context, email: &str, role: &str) -> (String, String) {
    let tenant = tenants::create_tenant(&ctx.db, "test").await.unwrap();
    let invited = admin::create(ctx, &CLI, &tenant, email, role).await.unwrap();
    let token = token_of(&invited.setup_url);
    setup::choose_password(ctx, &token, "10.0.0.1", PASSWORD, PASSWORD).await.unwrap();
    let Some(setup::Setup { step: Step::Authenticator { secret, .. }, .. }) =
        setup::open(ctx, &token, "10.0.0.1").await.unwrap()
    else {
        panic!("the authenticator's step follows the password")
    };
    setup::prove(ctx, &token, "10.0.0.1", "test", &code(&secret, ctx.clock.now_us())).await.unwrap();
    (tenant, secret)
}

async fn an_operator_sets_up_and_signs_in_on(backend: Backend) {
    let db = fresh_db(backend).await;
    let clock = Clock::fixed(T0);
    let ctx = context(&db, clock.clone()).await;
    let tenant = tenants::create_tenant(&ctx.db, "test").await.unwrap();
    let invited = admin::create(&ctx, &CLI, &tenant, " Min.Ji@Example.com ", "reviewer").await.unwrap();
    assert_eq!((invited.operator.email.as_str(), invited.operator.state), ("Min.Ji@Example.com", "invited"));
    assert!(invited.setup_url.starts_with("/console/setup/"), "{}", invited.setup_url);
    assert_eq!(invited.expires_at, T0 + 15 * 60 * 1_000_000);
    let again = admin::create(&ctx, &CLI, &tenant, "min.ji@example.COM", "admin").await.unwrap_err();
    assert_eq!(again.code(), "email_taken");
    assert_eq!(admin::create(&ctx, &CLI, &tenant, "x@example.com", "owner").await.unwrap_err().code(), "invalid_role");

    // Opening the link changes nothing; the password must be long, not the email, typed twice.
    let token = token_of(&invited.setup_url);
    for _ in 0..2 {
        let opened = setup::open(&ctx, &token, "10.0.0.1").await.unwrap().expect("a live link");
        assert!(matches!(opened.step, Step::Password));
    }
    let refused = |password: &'static str, again: &'static str| {
        let ctx = ctx.clone();
        let token = token.clone();
        async move { setup::choose_password(&ctx, &token, "10.0.0.1", password, again).await.unwrap_err().code() }
    };
    assert_eq!(refused("short", "short").await, "password_too_short");
    assert_eq!(refused("MIN.JI@example.com", "MIN.JI@example.com").await, "password_is_email");
    assert_eq!(refused(PASSWORD, "correct horse battery stapler").await, "passwords_differ");
    setup::choose_password(&ctx, &token, "10.0.0.1", PASSWORD, PASSWORD).await.unwrap();
    let Some(setup::Setup { step: Step::Authenticator { secret, otpauth_uri }, .. }) =
        setup::open(&ctx, &token, "10.0.0.1").await.unwrap()
    else {
        panic!("the authenticator's step follows the password")
    };
    assert!(
        otpauth_uri.starts_with("otpauth://totp/") && otpauth_uri.contains(&secret.replace(' ', "")),
        "{otpauth_uri}"
    );

    // Not signed in until the authenticator is proven; a wrong code does nothing.
    let early = sign_in::sign_in(&ctx, &attempt("min.ji@example.com", PASSWORD, &code(&secret, T0), "10.0.0.1")).await;
    assert_eq!(early.unwrap_err().code(), "sign_in_failed");
    let wrong = setup::prove(&ctx, &token, "10.0.0.1", "test", "000000").await.unwrap_err();
    assert_eq!(wrong.code(), "setup_code_invalid");
    let opened = setup::prove(&ctx, &token, "10.0.0.1", "test", &code(&secret, T0)).await.unwrap();
    let live = sessions::resume(&ctx, &opened.token).await.unwrap().expect("the set-up ends signed in");
    assert_eq!(live.operator.email_key, "min.ji@example.com");
    assert!(setup::open(&ctx, &token, "10.0.0.1").await.unwrap().is_none(), "the link works once");

    // Signing in: all three right, and each code once.
    let used = sign_in::sign_in(&ctx, &attempt("min.ji@example.com", PASSWORD, &code(&secret, T0), "10.0.0.1")).await;
    assert_eq!(used.unwrap_err().code(), "sign_in_failed", "the set-up's code is spent");
    let wrong_password = sign_in::sign_in(
        &ctx,
        &attempt("min.ji@example.com", "wrong password!!", &code(&secret, T0 + 30_000_000), "10.0.0.1"),
    )
    .await;
    assert_eq!(wrong_password.unwrap_err().code(), "sign_in_failed");
    let next = code(&secret, T0 + 30_000_000);
    let signed = sign_in::sign_in(&ctx, &attempt("MIN.JI@example.com", PASSWORD, &next, "10.0.0.1")).await.unwrap();
    assert!(sessions::resume(&ctx, &signed.token).await.unwrap().is_some());

    // A session idles out after 30 minutes; one in use still ends after 12 hours.
    clock.set(T0 + 29 * 60 * 1_000_000);
    assert!(sessions::resume(&ctx, &signed.token).await.unwrap().is_some(), "used within 30 minutes");
    clock.set(T0 + 60 * 60 * 1_000_000);
    assert!(sessions::resume(&ctx, &signed.token).await.unwrap().is_none(), "idle for 31 minutes");
    let kinds: Vec<String> = events::from_index(&ctx.db, &tenant, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.starts_with("operator."))
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["operator.created", "operator.set_up", "operator.signed_in"]);
}

async fn wrong_sign_ins_lock_one_address_only_on(backend: Backend) {
    let db = fresh_db(backend).await;
    let clock = Clock::fixed(T0);
    let ctx = context(&db, clock.clone()).await;
    let (_, secret) = set_up(&ctx, "admin@example.com", "admin").await;
    let next_code = code(&secret, T0 + 30_000_000);
    // Five wrong passwords from one address, and one for an email nobody has: the same answer.
    for _ in 0..5 {
        let failed =
            sign_in::sign_in(&ctx, &attempt("admin@example.com", "not the password", &next_code, "10.0.0.9")).await;
        assert_eq!(failed.unwrap_err().code(), "sign_in_failed");
    }
    let nobody = sign_in::sign_in(&ctx, &attempt("nobody@example.com", PASSWORD, &next_code, "10.0.0.9")).await;
    assert_eq!(nobody.unwrap_err().code(), "sign_in_failed", "an unknown email is answered alike");
    // That address is locked out of that account, even with everything right...
    let locked =
        sign_in::sign_in(&ctx, &attempt("admin@example.com", PASSWORD, &next_code, "10.0.0.9")).await.unwrap_err();
    assert_eq!(locked.code(), "rate_limited");
    assert!(locked.retry_after_s().unwrap() > 14 * 60, "{locked:?}");
    // ...the owner at another address is only slowed down...
    let started = std::time::Instant::now();
    let owner = sign_in::sign_in(&ctx, &attempt("admin@example.com", PASSWORD, &next_code, "10.0.0.1")).await;
    assert!(owner.is_ok(), "{owner:?}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(3_000), "five failures wait 3.2 s");
    // ...and 15 minutes later the locked address may try again.
    clock.set(T0 + 16 * 60 * 1_000_000);
    let later = code(&secret, T0 + 16 * 60 * 1_000_000);
    assert!(sign_in::sign_in(&ctx, &attempt("admin@example.com", PASSWORD, &later, "10.0.0.9")).await.is_ok());
}

async fn disabling_and_resetting_take_effect_at_once_on(backend: Backend) {
    let db = fresh_db(backend).await;
    let clock = Clock::fixed(T0);
    let ctx = context(&db, clock.clone()).await;
    let (tenant, secret) = set_up(&ctx, "support@example.com", "support").await;
    let signed =
        sign_in::sign_in(&ctx, &attempt("support@example.com", PASSWORD, &code(&secret, T0 + 30_000_000), "10.0.0.1"))
            .await
            .unwrap();

    // Reset: the session ends, the old password stops working, and only the new link sets up.
    let first_reset = admin::reset(&ctx, &CLI, &tenant, "support@example.com").await.unwrap();
    let second_reset = admin::reset(&ctx, &CLI, &tenant, "support@example.com").await.unwrap();
    assert!(sessions::resume(&ctx, &signed.token).await.unwrap().is_none(), "reset ends the sessions");
    clock.set(T0 + 60_000_000);
    let old =
        sign_in::sign_in(&ctx, &attempt("support@example.com", PASSWORD, &code(&secret, T0 + 60_000_000), "10.0.0.2"))
            .await;
    assert_eq!(old.unwrap_err().code(), "sign_in_failed");
    assert!(setup::open(&ctx, &token_of(&first_reset.setup_url), "10.0.0.2").await.unwrap().is_none(), "replaced");
    assert!(setup::open(&ctx, &token_of(&second_reset.setup_url), "10.0.0.2").await.unwrap().is_some());

    // Another tenant cannot reach the operator; disabling ends everything, once.
    let other = tenants::create_tenant(&ctx.db, "other").await.unwrap();
    let missing = admin::disable(&ctx, &CLI, &other, "support@example.com").await.unwrap_err();
    assert_eq!(missing.code(), "resource_missing");
    let disabled = admin::disable(&ctx, &CLI, &tenant, "support@example.com").await.unwrap();
    assert_eq!(disabled.state, "disabled");
    let again = admin::disable(&ctx, &CLI, &tenant, "support@example.com").await.unwrap_err();
    assert_eq!(again.code(), "operator_disabled");
    assert!(setup::open(&ctx, &token_of(&second_reset.setup_url), "10.0.0.2").await.unwrap().is_none());
    assert_eq!(admin::reset(&ctx, &CLI, &tenant, "support@example.com").await.unwrap_err().code(), "operator_disabled");
    let listed = smallchange::services::operators::list(&ctx, &tenant).await.unwrap();
    assert_eq!(listed.iter().map(|o| o.state).collect::<Vec<_>>(), ["disabled"]);
}

async fn the_pages_lead_from_the_link_to_the_overview_on(backend: Backend) {
    let clock = Clock::fixed(T0);
    let server = spawn_with_clock(fresh_db(backend).await, |_| {}, clock.clone()).await;
    let ctx = context(&server.db, clock.clone()).await;
    let invited = admin::create(&ctx, &CLI, &server.tenant, "finance@example.com", "finance").await.unwrap();
    let mut browser = Browser::new(&server.base);
    browser.accept_language = "en".into();

    let page = browser.get(&invited.setup_url).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.shows("Choose a password for finance@example.com."), "{}", page.html);
    let path = format!("{}/password", invited.setup_url);
    let short = browser.submit(&page, &path, &[("password", "short"), ("password_again", "short")]).await;
    assert_eq!(short.status, 400);
    assert!(short.shows("The password must be at least 12 characters."), "{}", short.html);
    let chosen = browser.submit(&page, &path, &[("password", PASSWORD), ("password_again", PASSWORD)]).await;
    assert_eq!((chosen.status, chosen.location.as_deref()), (303, Some(invited.setup_url.as_str())));
    let page = browser.get(&invited.setup_url).await;
    assert!(page.shows("Set up your authenticator"), "{}", page.html);
    let secret = between(&page.html, "<p class=\"secret\" id=\"secret\">", "</p>");
    let done = browser.submit(&page, &format!("{}/code", invited.setup_url), &[("code", &code(&secret, T0))]).await;
    assert_eq!((done.status, done.location.as_deref()), (303, Some("/console/")), "{}", done.html);
    let cookie = done.set_cookies().into_iter().find(|c| c.starts_with("sc_console=")).expect("a session cookie");
    assert!(cookie.ends_with("; Path=/console; HttpOnly; SameSite=Strict"), "{cookie}");
    let overview = browser.get("/console/").await;
    assert_eq!(overview.status, 200);
    assert!(overview.shows("finance@example.com · Finance"), "{}", overview.html);

    // Signing out ends the session: the console sends the person to sign in, and back after.
    let out = browser.submit(&overview, "/console/sign-out", &[]).await;
    assert_eq!(out.status, 303);
    let bounced = browser.get("/console/").await;
    assert_eq!((bounced.status, bounced.location.as_deref()), (303, Some("/console/sign-in")));
    let form = browser.get("/console/sign-in").await;
    let fields = [("email", "finance@example.com"), ("password", "wrong password!!"), ("code", "123456")];
    let wrong = browser.submit(&form, "/console/sign-in", &fields).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.shows("The email, password or code is not right."), "{}", wrong.html);
    assert!(wrong.html.contains("value=\"finance@example.com\""), "what was typed stays (never the password)");
    // A form from elsewhere (no token) is refused and changes nothing.
    let forged = browser.post_raw("/console/sign-in", &fields).await;
    assert_eq!(forged.status, 403);
    let next = code(&secret, T0 + 30_000_000);
    let fields = [("email", "finance@example.com"), ("password", PASSWORD), ("code", next.as_str())];
    let back = browser.submit(&form, "/console/sign-in", &fields).await;
    assert_eq!((back.status, back.location.as_deref()), (303, Some("/console/")), "{}", back.html);
    let used = browser.get(&invited.setup_url).await;
    assert_eq!(used.status, 404);
    assert!(used.shows("This set-up link does not work"), "{}", used.html);
    assert!(used.shows("This link was used: the account is set up."), "a second press says so: {}", used.html);
    server.stop().await;
}
