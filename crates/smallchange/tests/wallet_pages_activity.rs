//! The wallet's activity page on both backends, as a browser without JavaScript sees it: a
//! known history shown a month at a time in the tenant's zone (KST), each movement in plain
//! words with its signed amount and the balance after it, links to the month before and
//! after, and the month as a CSV file a Korean Excel opens (BOM, attachment, header in the
//! person's language, amounts as integers and as written).

mod support;

use serde_json::json;
use smallchange::clock::Clock;
use support::{fresh_db, spawn_with_clock, Backend, TestServer};

both_backends!(a_month_of_activity_with_running_balances, super::a_month_of_activity_with_running_balances_on);
both_backends!(a_month_downloads_as_csv, super::a_month_downloads_as_csv_on);

/// 2026-10-20 01:00 UTC (10:00 KST).
const OCT_20_US: i64 = 1_792_458_000_000_000;
const HOUR_US: i64 = 3_600_000_000;
/// 2026-10-31 15:00 UTC: midnight, November 1st, in Seoul.
const NOV_1_KST_US: i64 = 1_793_458_800_000_000;

async fn pay(server: &TestServer, user: &str, amount: i64, description: &str) {
    let body = json!({"merchant": "bean-cafe", "amount": amount, "currency": "KRW", "description": description});
    let (status, answer) = server.post(&format!("/v1/users/{user}/payments"), body).await;
    assert_eq!(status, 200, "{answer}");
}

/// October: ₩50,000 by bank transfer. November (KST): ₩12,000 paid at 01:00 on the 1st
/// (still October 31st in UTC), then ₩20,000 added through the phone bill.
async fn history(clock: &Clock, server: &TestServer) -> String {
    let user = server.create_user(1).await;
    clock.set(OCT_20_US);
    server.topup(&user, "bank_transfer", 50_000).await;
    clock.set(NOV_1_KST_US + HOUR_US);
    pay(server, &user, 12_000, "Bean Cafe").await;
    clock.set(NOV_1_KST_US + 48 * HOUR_US);
    server.topup(&user, "carrier_billing", 20_000).await;
    clock.set(NOV_1_KST_US + 10 * 24 * HOUR_US);
    user
}

async fn a_month_of_activity_with_running_balances_on(backend: Backend) {
    let clock = Clock::fixed(OCT_20_US);
    let server = spawn_with_clock(fresh_db(backend).await, |_| {}, clock.clone()).await;
    let user = history(&clock, &server).await;
    let (mut browser, _) = server.signed_in(&user).await;

    // This month by default: November in Seoul, with the payment made at 01:00 KST on the 1st.
    let november = browser.get("/wallet/activity").await;
    assert_eq!(november.status, 200, "{}", november.html);
    for shown in ["2026년 11월", "Bean Cafe 결제", "−12,000원", "잔액 38,000원", "2026-11-01 01:00 KST"] {
        assert!(november.shows(shown), "{shown}: {}", november.html);
    }
    for shown in ["휴대폰 결제로 충전", "+20,000원", "잔액 58,000원", "휴대폰 결제로 충전한 돈"] {
        assert!(november.shows(shown), "{shown}: {}", november.html);
    }
    assert!(!november.shows("계좌이체로 충전"), "October's top-up is not November's");
    assert!(november.shows("href=\"/wallet/activity?month=2026-10\""), "a link to the month before");
    assert!(!november.shows("month=2026-12"), "no link into the future");
    assert!(november.shows("href=\"/wallet/activity.csv?month=2026-11\""));
    assert!(november.shows("aria-current=\"page\""), "the menu marks the page");
    assert!(!november.html.contains("style="), "no inline style (the CSP forbids it)");
    // The order the page shows is the order it happened: the balance runs down the page.
    let (paid, added) =
        (november.html.find("Bean Cafe").unwrap(), november.html.find("잔액 <span class=\"money\">58,000원").unwrap());
    assert!(paid < added);

    let october = browser.get("/wallet/activity?month=2026-10").await;
    assert_eq!(october.status, 200);
    for shown in
        ["2026년 10월", "계좌이체로 충전", "+50,000원", "잔액 50,000원", "href=\"/wallet/activity?month=2026-11\""]
    {
        assert!(october.shows(shown), "{shown}: {}", october.html);
    }
    assert!(!october.shows("Bean Cafe"));
    let empty = browser.get("/wallet/activity?month=2026-09").await;
    assert!(empty.shows("이 달에는 내역이 없어요"), "{}", empty.html);
    let nonsense = browser.get("/wallet/activity?month=2026-13").await;
    assert_eq!(nonsense.status, 400);
    assert!(nonsense.shows("보려는 달을 알 수 없어요"), "{}", nonsense.html);

    // The last balance shown is what the wallet holds.
    assert_eq!(server.balances(&user).await["total"], 58_000);

    // In English.
    browser.accept_language = "en".into();
    let english = browser.get("/wallet/activity?month=2026-11").await;
    for shown in
        ["November 2026", "Payment to Bean Cafe", "−₩12,000", "Balance ₩38,000", "Added through your phone bill"]
    {
        assert!(english.shows(shown), "{shown}: {}", english.html);
    }
    assert!(english.shows("← October 2026"));

    // Only for someone signed in.
    let mut stranger = support::wallet::Browser::new(&server.base);
    let away = stranger.get("/wallet/activity").await;
    assert_eq!((away.status, away.location.as_deref()), (303, Some("/wallet/")));
    assert_eq!(stranger.get("/wallet/activity.csv").await.status, 303);
    server.stop().await;
}

async fn a_month_downloads_as_csv_on(backend: Backend) {
    let clock = Clock::fixed(OCT_20_US);
    let server = spawn_with_clock(fresh_db(backend).await, |_| {}, clock.clone()).await;
    let user = history(&clock, &server).await;
    let (mut browser, _) = server.signed_in(&user).await;

    let csv = browser.get("/wallet/activity.csv?month=2026-11").await;
    assert_eq!(csv.status, 200, "{}", csv.html);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(csv.headers["content-disposition"], "attachment; filename=\"smallchange-2026-11.csv\"");
    assert!(csv.html.starts_with('\u{feff}'), "a byte-order mark for Excel");
    let rows: Vec<&str> = csv.html.trim_start_matches('\u{feff}').trim_end().split("\r\n").collect();
    assert_eq!(rows[0], "일시,내용,돈의 종류,금액,금액 (표시),잔액,잔액 (표시)", "the header in Korean");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[1], "2026-11-01 01:00 KST,Bean Cafe 결제,충전한 돈,-12000,\"\u{2212}12,000원\",38000,\"38,000원\"");
    assert_eq!(
        rows[2],
        "2026-11-03 00:00 KST,휴대폰 결제로 충전,휴대폰 결제로 충전한 돈,20000,\"20,000원\",58000,\"58,000원\""
    );

    browser.accept_language = "en".into();
    let english = browser.get("/wallet/activity.csv?month=2026-10").await;
    let rows: Vec<&str> = english.html.trim_start_matches('\u{feff}').trim_end().split("\r\n").collect();
    assert_eq!(rows[0], "Date and time,What,Kind of money,Amount,Amount as written,Balance,Balance as written");
    assert_eq!(
        rows[1],
        "2026-10-20 10:00 KST,Added by bank transfer,Money you added,50000,\"₩50,000\",50000,\"₩50,000\""
    );
    assert_eq!(browser.get("/wallet/activity.csv?month=nope").await.status, 400);
    server.stop().await;
}
