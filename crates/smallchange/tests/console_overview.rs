//! The console's overview (`/console/`) on both backends, read as a person without
//! JavaScript reads it: a small world made through the API with a fixed clock (money two
//! days ago and today, payments and a refund, a cash-out on its way and past its SLA, one
//! waiting in review), a read-only operator signed in, and every number in the page's
//! tables — for today and for the last 7 days, in English and in Korean — equal to what
//! `GET /v1/reports/summary` answers for the same period; the CSV download says the same;
//! a period that does not exist is a 400 page; signed out is sent to sign in.

mod support;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::config::Settings;
use support::console::signed_in;
use support::wallet::Browser;
use support::{fresh_db, spawn_with_clock, Backend, TestServer};
use totp_rs::{Algorithm, Secret, TOTP};

both_backends!(the_overview_shows_the_summary, super::the_overview_shows_the_summary_on);

/// 2026-11-10 03:00 UTC, noon in Seoul.
const NOON_US: i64 = 1_794_279_600_000_000;
const HOUR_US: i64 = 3_600_000_000;
const DAY_US: i64 = 24 * HOUR_US;
/// Today in Seoul ends at 2026-11-10 15:00 UTC.
const DAY_TO_US: i64 = NOON_US + 12 * HOUR_US;

/// Sandbox payouts settle in two hours; the SLA is one; over ₩100,000 goes to review.
fn settings(s: &mut Settings) {
    s.cashout_poll_ms = 20;
    s.cashout.rails.bank_account = "sandbox".into();
    s.cashout.sandbox_settle_s = 2 * 3_600;
    s.cashout.sla_hours = 1;
    s.cashout.risk.review_new_destination = false;
    s.cashout.risk.velocity_amount_max = 100_000;
}

/// A user who may cash out, with ₩300,000 from the bank: `(id, destination, totp)`.
async fn customer(server: &TestServer, n: u32) -> (String, String, TOTP) {
    let id = server.create_user(n).await;
    let kyc = json!({"level": "basic", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    assert_eq!(server.post(&format!("/v1/users/{id}/kyc"), kyc).await.0, 200);
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": format!("123-456-78901{n}"),
        "holder_name": "김민지"});
    let (status, made) = server.post(&format!("/v1/users/{id}/payout-destinations"), bank).await;
    assert_eq!(status, 200, "{made}");
    let (status, enrolled) = server.post(&format!("/v1/users/{id}/totp"), json!({})).await;
    assert_eq!(status, 200, "{enrolled}");
    let bytes = Secret::Encoded(enrolled["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 0, 30, bytes, None, "user".into()).unwrap();
    server.topup(&id, "bank_transfer", 300_000).await;
    (id, made["id"].as_str().unwrap().to_string(), totp)
}

/// A cash-out of `gross` for `who`, confirmed and waited on until `status`.
async fn cash_out(server: &TestServer, clock: &Clock, who: &(String, String, TOTP), gross: i64, status: &str) {
    let body = json!({"amount": gross, "currency": "KRW", "destination_id": who.1});
    let (code, quote) = server.post(&format!("/v1/users/{}/cashout-quotes", who.0), body).await;
    assert_eq!(code, 200, "{quote}");
    let (code, cashout) = server.post("/v1/cashouts", json!({"quote_id": quote["id"]})).await;
    assert_eq!(code, 200, "{cashout}");
    let id = cashout["id"].as_str().unwrap();
    let otp = who.2.generate((clock.now_us() / 1_000_000) as u64);
    let (code, answer) = server.post(&format!("/v1/cashouts/{id}/confirm"), json!({"otp": otp})).await;
    assert_eq!(code, 200, "{answer}");
    server.wait_for_cashout(id, status).await;
}

async fn pay(server: &TestServer, user: &str, amount: i64) -> Value {
    let body = json!({"merchant": "shop-1", "amount": amount, "currency": "KRW", "description": "coffee"});
    let (status, payment) = server.post(&format!("/v1/users/{user}/payments"), body).await;
    assert_eq!(status, 200, "{payment}");
    payment
}

/// Two days ago: a customer's money and a payment. Today at noon: more top-ups, payments
/// and a refund, a cash-out sent and one held for review; then two hours on, so the one
/// sent is past its SLA (the clock stays today).
async fn world(server: &TestServer, clock: &Clock) {
    clock.set(NOON_US - 2 * DAY_US);
    let old = customer(server, 1).await;
    pay(server, &old.0, 1_000).await;
    clock.set(NOON_US);
    let u = server.create_user(2).await;
    for (source, amount) in [("cashback", 20_000), ("promo", 5_000), ("carrier_billing", 40_000)] {
        server.topup(&u, source, amount).await;
    }
    let first = pay(server, &u, 12_000).await;
    let (status, refund) =
        server.post(&format!("/v1/payments/{}/refund", first["id"].as_str().unwrap()), json!({"amount": 5_000})).await;
    assert_eq!(status, 200, "{refund}");
    pay(server, &u, 3_000).await;
    let (a, b) = (customer(server, 3).await, customer(server, 4).await);
    cash_out(server, clock, &a, 25_000, "in_transit").await;
    cash_out(server, clock, &b, 150_000, "in_review").await;
    clock.set(NOON_US + HOUR_US + HOUR_US / 2);
}

/// The number a cell shows: its digits (`₩12,000`, `12,000원`, `3`).
fn number(cell: &str) -> i64 {
    let mut text = String::new();
    let mut in_tag = false;
    for c in cell.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag && c.is_ascii_digit() => text.push(c),
            _ => {}
        }
    }
    text.parse().unwrap_or_else(|_| panic!("no number in {cell}"))
}

/// Table `id`'s rows: key → the numbers of its cells, in order.
fn table(html: &str, id: &str) -> BTreeMap<String, Vec<i64>> {
    let start = html.find(&format!("<table id=\"{id}\"")).unwrap_or_else(|| panic!("no table {id}"));
    let body = &html[start..start + html[start..].find("</table>").unwrap()];
    body.split("<tr data-key=\"")
        .skip(1)
        .map(|row| {
            let key = row[..row.find('"').unwrap()].to_string();
            let cells =
                row.split("<td").skip(1).map(|cell| &cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()]);
            (key, cells.map(number).collect())
        })
        .collect()
}

fn pair(figure: &Value) -> Vec<i64> {
    vec![figure["count"].as_i64().unwrap(), figure["amount"].as_i64().unwrap()]
}

fn pairs(map: &Value) -> BTreeMap<String, Vec<i64>> {
    map.as_object().unwrap().iter().map(|(k, v)| (k.clone(), pair(v))).collect()
}

/// Every table of the page against the summary's figures.
fn shows_the_summary(html: &str, s: &Value) {
    assert_eq!(table(html, "topups"), pairs(&s["topups_by_source"]));
    let spending = BTreeMap::from([
        ("payments".to_string(), pair(&s["payments"])),
        ("payment_refunds".to_string(), pair(&s["payment_refunds"])),
        ("fees".to_string(), pair(&s["fees"])),
    ]);
    assert_eq!(table(html, "spending"), spending);
    assert_eq!(table(html, "cashouts-status"), pairs(&s["cashouts_by_status"]));
    assert_eq!(table(html, "cashouts-rail"), pairs(&s["cashouts_by_rail"]));
    let (total, withdrawable) = (s["float"]["total"].as_i64().unwrap(), s["float"]["withdrawable"].as_i64().unwrap());
    let float = BTreeMap::from([
        ("total".to_string(), vec![total]),
        ("withdrawable".to_string(), vec![withdrawable]),
        ("not_withdrawable".to_string(), vec![total - withdrawable]),
    ]);
    assert_eq!(table(html, "float"), float);
    let pockets: BTreeMap<String, Vec<i64>> = s["float"]["by_pocket"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), vec![v.as_i64().unwrap()]))
        .collect();
    assert_eq!(table(html, "float-pockets"), pockets);
    let payouts = BTreeMap::from([
        ("in_flight".to_string(), pair(&s["in_flight"])),
        ("past_sla".to_string(), pair(&s["past_sla"])),
    ]);
    assert_eq!(table(html, "payouts"), payouts);
    let review = s["review_queue"]["count"].as_i64().unwrap();
    assert_eq!(table(html, "review")["count"], vec![review]);
    let age = s["review_queue"]["oldest_age_s"].as_i64().map(|a| a.to_string()).unwrap_or_default();
    assert!(html.contains(&format!("data-value=\"{age}\"")), "the oldest wait, {age} s");
    let mut risk = BTreeMap::new();
    for (decision, reasons) in s["risk_decisions"].as_object().unwrap() {
        for (reason, count) in reasons.as_object().unwrap() {
            risk.insert(format!("{decision}.{reason}"), vec![count.as_i64().unwrap()]);
        }
    }
    assert_eq!(table(html, "risk"), risk);
}

/// The CSV's lines against the summary's figures.
fn csv_says_the_summary(csv: &str, s: &Value) {
    let csv = csv.strip_prefix('\u{feff}').expect("a byte-order mark");
    let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
    assert_eq!(lines.next(), Some("from,to,figure,key,count,amount,currency"));
    let mut found: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!((f.len(), f[0], f[1]), (7, s["from"].as_str().unwrap(), s["to"].as_str().unwrap()), "{line}");
        assert_eq!(f[6], if f[5].is_empty() { "" } else { "KRW" }, "{line}");
        found.insert((f[2].to_string(), f[3].to_string()), (f[4].to_string(), f[5].to_string()));
    }
    let get = |figure: &str, key: &str| found.get(&(figure.to_string(), key.to_string())).cloned().unwrap();
    let both = |v: &Value| (v["count"].to_string(), v["amount"].to_string());
    for figure in ["topups_by_source", "cashouts_by_status", "cashouts_by_rail"] {
        for (key, v) in s[figure].as_object().unwrap() {
            assert_eq!(get(figure, key), both(v), "{figure} {key}");
        }
    }
    for figure in ["payments", "payment_refunds", "fees", "in_flight", "past_sla"] {
        assert_eq!(get(figure, ""), both(&s[figure]), "{figure}");
    }
    assert_eq!(get("float", "total").1, s["float"]["total"].to_string());
    assert_eq!(get("float", "withdrawable").1, s["float"]["withdrawable"].to_string());
    for (pocket, amount) in s["float"]["by_pocket"].as_object().unwrap() {
        assert_eq!(get("float_by_pocket", pocket).1, amount.to_string());
    }
    assert_eq!(get("review_queue", "count").0, s["review_queue"]["count"].to_string());
    assert_eq!(get("review_queue", "oldest_age_s").0, s["review_queue"]["oldest_age_s"].to_string());
    for (decision, reasons) in s["risk_decisions"].as_object().unwrap() {
        for (reason, count) in reasons.as_object().unwrap() {
            assert_eq!(get("risk_decisions", &format!("{decision}.{reason}")).0, count.to_string());
        }
    }
}

async fn summary(server: &TestServer, from: i64, to: i64) -> Value {
    let (from, to) = (smallchange::clock::rfc3339(from), smallchange::clock::rfc3339(to));
    let (status, s) = server.get(&format!("/v1/reports/summary?from={from}&to={to}")).await;
    assert_eq!(status, 200, "{s}");
    s
}

async fn the_overview_shows_the_summary_on(backend: Backend) {
    let clock = Clock::fixed(NOON_US - 2 * DAY_US);
    let server = spawn_with_clock(fresh_db(backend).await, settings, clock.clone()).await;

    // An empty tenant: zeros and a sentence, no chart.
    let (_, first) = signed_in(&server, &clock, "empty@example.com", "readonly").await;
    assert!(first.html.contains("class=\"panel quiet\"") && !first.html.contains("<svg"), "{}", first.html);
    assert_eq!(table(&first.html, "topups")["bank_transfer"], vec![0, 0]);

    world(&server, &clock).await;
    let (mut browser, _) = signed_in(&server, &clock, "reader@example.com", "readonly").await;
    let today = summary(&server, DAY_TO_US - DAY_US, DAY_TO_US).await;
    let week = summary(&server, DAY_TO_US - 7 * DAY_US, DAY_TO_US).await;
    assert_ne!(today["topups_by_source"], week["topups_by_source"], "the week has more than today");
    assert_eq!(today["past_sla"]["count"], 1);
    for (period, s) in [("", &today), ("?period=today", &today), ("?period=7d", &week)] {
        let page = browser.get(&format!("/console/{period}")).await;
        assert_eq!(page.status, 200, "{}", page.html);
        assert!(page.html.contains("<html lang=\"en\"") && page.html.contains("<svg class=\"chart\""));
        assert!(page.html.len() < 150 * 1024, "{} bytes", page.html.len());
        shows_the_summary(&page.html, s);
        println!("overview{period}: {} bytes", page.html.len());
    }

    // The CSV says the same, as an attachment.
    let csv = browser.get("/console/overview.csv?period=7d").await;
    assert_eq!(csv.status, 200, "{}", csv.html);
    let disposition = csv.headers["content-disposition"].to_str().unwrap();
    assert_eq!(disposition, "attachment; filename=\"overview-7d.csv\"");
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    csv_says_the_summary(&csv.html, &week);

    // A period that does not exist: the page says so, with the picker.
    for bad in ["?period=week", "?period=2026-13", "?period=8d"] {
        let page = browser.get(&format!("/console/{bad}")).await;
        assert_eq!(page.status, 400, "{bad}");
        assert!(page.html.contains("There is no such period") && page.html.contains("<select id=\"period\""));
        assert_eq!(browser.get(&format!("/console/overview.csv{bad}")).await.status, 400);
    }

    // In Korean, by the language form: the same numbers.
    let page = browser.get("/console/?period=7d").await;
    let switched = browser.submit(&page, "/console/language", &[("lang", "ko"), ("back", "/console/?period=7d")]).await;
    assert_eq!(switched.status, 303, "{}", switched.html);
    let korean = browser.get("/console/?period=7d").await;
    assert!(korean.html.contains("<html lang=\"ko\"") && korean.html.contains("결제와 수수료"), "{}", korean.html);
    shows_the_summary(&korean.html, &week);
    // Signed out: to the sign-in page (in the browser's language).
    let mut stranger = Browser::new(&server.base);
    stranger.accept_language = "ko-KR,ko".into();
    let signed_out = stranger.get("/console/?period=7d").await;
    assert_eq!(signed_out.status, 303);
    let to = signed_out.location.unwrap_or_default();
    assert!(to.starts_with("/console/sign-in"), "{to}");
    assert!(stranger.open(&to).await.html.contains("<html lang=\"ko\""), "Accept-Language");
    assert_eq!(stranger.get("/console/overview.csv?period=7d").await.status, 303);
    // A month, by its name.
    let month = browser.get("/console/?period=2026-11").await;
    assert!(month.html.contains("2026년 11월"), "{}", month.html);
}
