//! The summary report (`GET /v1/reports/summary`) on both backends, checked against the API's
//! own lists and balances rather than against the SQL that makes it: a world with top-ups
//! from every source (one a day early, one at the first microsecond of the day, one in
//! dollars), payments and a refund, a gift card, and cash-outs in every state on two rails
//! (one paid with its fee, one failed, one in review, one past its SLA, one waiting at a
//! cash-pickup counter, one made the day before and paid today), and another tenant's
//! money beside it. Every figure of the summary equals the independent sum, for today (the
//! default) and for periods whose bounds fall exactly on rows; bad periods answer 400 with
//! their code; every role may read it; the float is the sum of the users' balances and the
//! ledger still verifies.

mod support;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::config::Settings;
use smallchange::store::tenants::Role;
use support::{fresh_db, spawn_with_clock, Backend, TestServer};
use totp_rs::{Algorithm, Secret, TOTP};

both_backends!(the_summary_adds_up_the_world, super::the_summary_adds_up_the_world_on);
both_backends!(bad_periods_and_roles, super::bad_periods_and_roles_on);

/// 2026-11-10 03:00 UTC, noon in Seoul.
const NOON_US: i64 = 1_794_279_600_000_000;
const HOUR_US: i64 = 3_600_000_000;
const SECOND_US: i64 = 1_000_000;
/// Today in Seoul: from 2026-11-09 15:00 UTC to 2026-11-10 15:00 UTC.
const DAY_FROM_US: i64 = NOON_US - 12 * HOUR_US;
const DAY_TO_US: i64 = NOON_US + 12 * HOUR_US;

/// Sandbox payouts settle two hours after submission; the SLA is one hour; a single
/// cash-out over ₩100,000 goes to review.
fn settings(s: &mut Settings) {
    s.cashout_poll_ms = 20;
    s.cashout.rails.bank_account = "sandbox".into();
    s.cashout.sandbox_settle_s = 2 * 3_600;
    s.cashout.sla_hours = 1;
    s.cashout.risk.review_new_destination = false;
    s.cashout.risk.velocity_amount_max = 100_000;
}

fn rfc3339(us: i64) -> String {
    smallchange::clock::rfc3339(us)
}

fn micros(text: &str) -> i64 {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap();
    i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap()
}

/// A user who may cash out: KYC, a destination of `kind`, TOTP, and ₩300,000 from the bank.
struct Customer {
    id: String,
    destination: String,
    totp: TOTP,
}

async fn customer(server: &TestServer, n: u32, destination: Value) -> Customer {
    let id = server.create_user(n).await;
    let kyc = json!({"level": "basic", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    let (status, answer) = server.post(&format!("/v1/users/{id}/kyc"), kyc).await;
    assert_eq!(status, 200, "{answer}");
    let (status, made) = server.post(&format!("/v1/users/{id}/payout-destinations"), destination).await;
    assert_eq!(status, 200, "{made}");
    let (status, enrolled) = server.post(&format!("/v1/users/{id}/totp"), json!({})).await;
    assert_eq!(status, 200, "{enrolled}");
    let bytes = Secret::Encoded(enrolled["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 0, 30, bytes, None, "user".into()).unwrap();
    server.topup(&id, "bank_transfer", 300_000).await;
    Customer { id, destination: made["id"].as_str().unwrap().to_string(), totp }
}

fn bank(account_number: &str) -> Value {
    json!({"type": "bank_account", "bank_code": "004", "account_number": account_number, "holder_name": "김민지"})
}

/// A cash-out of `gross` created for `c`: its id.
async fn created(server: &TestServer, c: &Customer, gross: i64) -> String {
    let body = json!({"amount": gross, "currency": "KRW", "destination_id": c.destination});
    let (status, quote) = server.post(&format!("/v1/users/{}/cashout-quotes", c.id), body).await;
    assert_eq!(status, 200, "{quote}");
    let (status, cashout) = server.post("/v1/cashouts", json!({"quote_id": quote["id"]})).await;
    assert_eq!(status, 200, "{cashout}");
    cashout["id"].as_str().unwrap().to_string()
}

/// A cash-out of `gross` created and confirmed: its id, once it reached `status`.
async fn confirmed(server: &TestServer, clock: &Clock, c: &Customer, gross: i64, status: &str) -> String {
    let id = created(server, c, gross).await;
    let otp = c.totp.generate((clock.now_us() / SECOND_US) as u64);
    let (code, answer) = server.post(&format!("/v1/cashouts/{id}/confirm"), json!({"otp": otp})).await;
    assert_eq!(code, 200, "{answer}");
    server.wait_for_cashout(&id, status).await;
    id
}

async fn pay(server: &TestServer, user: &str, amount: i64) -> Value {
    let body = json!({"merchant": "shop-1", "amount": amount, "currency": "KRW", "description": "coffee"});
    let (status, payment) = server.post(&format!("/v1/users/{user}/payments"), body).await;
    assert_eq!(status, 200, "{payment}");
    payment
}

/// What the test made, to sum up again from the API's own answers.
struct World {
    server: TestServer,
    clock: Clock,
    users: Vec<String>,
    /// Refunds as the API answered them: (amount, created_at).
    refunds: Vec<(i64, i64)>,
    other_key: String,
    other_user: String,
}

/// Builds the world; the clock ends at 15:00:02 in Seoul, still today.
async fn world(backend: Backend) -> World {
    let clock = Clock::fixed(DAY_FROM_US - 1);
    let server = spawn_with_clock(fresh_db(backend).await, settings, clock.clone()).await;
    let mut users = Vec::new();
    // The day before, to its last microsecond: a top-up, a payment, and a cash-out that is
    // confirmed and sent then, and paid today.
    let old = customer(&server, 1, bank("111-222-333444")).await;
    pay(&server, &old.id, 1_000).await;
    let paid_today = confirmed(&server, &clock, &old, 15_000, "in_transit").await;
    users.push(old.id.clone());
    // The day's first microsecond.
    clock.set(DAY_FROM_US);
    let u1 = server.create_user(2).await;
    server.topup(&u1, "cashback", 20_000).await;
    users.push(u1.clone());
    // Noon: the sandbox pays the cash-out of yesterday (it was sent twelve hours ago).
    clock.set(NOON_US);
    server.wait_for_cashout(&paid_today, "paid").await;
    for (source, amount) in
        [("earning", 30_000), ("promo", 5_000), ("carrier_billing", 40_000), ("card", 25_000), ("refund", 7_000)]
    {
        server.topup(&u1, source, amount).await;
    }
    let body = json!({"source": "bank_transfer", "amount": 50, "currency": "USD", "reference": "t"});
    let (status, dollars) = server.post(&format!("/v1/users/{u1}/topups"), body).await;
    assert_eq!(status, 200, "{dollars}");
    let first = pay(&server, &u1, 12_000).await;
    let (status, refund) =
        server.post(&format!("/v1/payments/{}/refund", first["id"].as_str().unwrap()), json!({"amount": 5_000})).await;
    assert_eq!(status, 200, "{refund}");
    let refunds = vec![(refund["amount"].as_i64().unwrap(), micros(refund["created_at"].as_str().unwrap()))];
    pay(&server, &u1, 3_000).await;
    redeem_gift_card(&server, &u1).await;
    pay(&server, &u1, 4_000).await;
    let small = server.create_user(3).await;
    server.topup(&small, "cashback", 5_000).await;
    users.push(small);
    // Cash-outs: paid, failed (a closed account), in review, expired, canceled.
    let (a, b) =
        (customer(&server, 10, bank("123-456-789012")).await, customer(&server, 11, bank("123-456-780000")).await);
    let (c, d) =
        (customer(&server, 12, bank("123-456-789013")).await, customer(&server, 13, bank("123-456-789014")).await);
    let e = customer(&server, 14, bank("123-456-789015")).await;
    let paid = confirmed(&server, &clock, &a, 20_000, "in_transit").await;
    let failed = confirmed(&server, &clock, &b, 30_000, "in_transit").await;
    confirmed(&server, &clock, &c, 150_000, "in_review").await;
    let expired = created(&server, &d, 10_000).await;
    let canceled = created(&server, &e, 10_000).await;
    let (status, answer) = server.post(&format!("/v1/cashouts/{canceled}/cancel"), json!({})).await;
    assert_eq!(status, 200, "{answer}");
    users.extend([&a, &b, &c, &d, &e].map(|c| c.id.clone()));
    // Two hours on: the sandbox pays one and fails the other; the unconfirmed one expires.
    clock.set(NOON_US + 2 * HOUR_US + SECOND_US);
    for (id, status) in [(&paid, "paid"), (&failed, "failed"), (&expired, "expired")] {
        server.wait_for_cashout(id, status).await;
    }
    // Sent now, and an hour later still out: one at a cash-pickup counter (waiting on its
    // user), one past the SLA.
    let f = customer(&server, 15, json!({"type": "cash_pickup", "network": "gs25"})).await;
    let g = customer(&server, 16, bank("123-456-789016")).await;
    confirmed(&server, &clock, &f, 50_000, "in_transit").await;
    confirmed(&server, &clock, &g, 25_000, "in_transit").await;
    clock.set(NOON_US + 3 * HOUR_US + 2 * SECOND_US);
    let h = customer(&server, 17, bank("123-456-789017")).await;
    created(&server, &h, 12_000).await;
    users.extend([&f, &g, &h].map(|c| c.id.clone()));
    // Another tenant's money.
    let other_key = server.key_for(Role::Admin, true).await;
    let body = json!({"external_id": "other-1", "phone": "+821099990000"});
    let (status, other) = server.post_as(&other_key, "/v1/users", body, None).await;
    assert_eq!(status, 200, "{other}");
    let other_user = other["id"].as_str().unwrap().to_string();
    let body = json!({"source": "bank_transfer", "amount": 70_000, "currency": "KRW", "reference": "t"});
    let (status, topup) = server.post_as(&other_key, &format!("/v1/users/{other_user}/topups"), body, None).await;
    assert_eq!(status, 200, "{topup}");
    World { server, clock, users, refunds, other_key, other_user }
}

async fn redeem_gift_card(server: &TestServer, user: &str) {
    let body = json!({"brand": "HappyMoney", "currency": "KRW", "region": "KR", "face_values": [10_000],
        "validity_days": 365});
    let (status, program) = server.post("/v1/gift-card-programs", body).await;
    assert_eq!(status, 200, "{program}");
    let body = json!({"program_id": program["id"], "face_value": 10_000, "purchased_with": "bank_transfer",
        "purchaser_ref": "order-1"});
    let (status, card) = server.post("/v1/gift-cards", body).await;
    assert_eq!(status, 200, "{card}");
    let body = json!({"brand": "HappyMoney", "code": card["code"]});
    let (status, redeemed) = server.post(&format!("/v1/users/{user}/gift-cards"), body).await;
    assert_eq!(status, 200, "{redeemed}");
}

/// Every item of one of a user's lists (they are short here: one page).
async fn list(server: &TestServer, user: &str, what: &str) -> Vec<Value> {
    let (status, page) = server.get(&format!("/v1/users/{user}/{what}?limit=100")).await;
    assert_eq!((status, &page["has_more"]), (200, &json!(false)), "{page}");
    page["data"].as_array().unwrap().clone()
}

fn add(figures: &mut BTreeMap<String, [i64; 2]>, key: &str, amount: i64) {
    let figure = figures.entry(key.to_string()).or_default();
    figure[0] += 1;
    figure[1] += amount;
}

fn figure(count: i64, amount: i64) -> Value {
    json!({"count": count, "amount": amount})
}

fn figures(map: BTreeMap<String, [i64; 2]>) -> Value {
    map.into_iter().map(|(key, [count, amount])| (key, figure(count, amount))).collect()
}

/// When a cash-out reached `status` (its first entry in that status), from its timeline.
fn reached(cashout: &Value, status: &str) -> Option<i64> {
    let timeline = cashout["timeline"].as_array().unwrap();
    timeline.iter().find(|e| e["status"] == status).map(|e| micros(e["at"].as_str().unwrap()))
}

/// The summary for `[from, to)` as the API's lists, balances and the test's own records
/// add it up, at the clock's time `now`.
async fn expected(w: &World, from: i64, to: i64, now: i64) -> Value {
    let server = &w.server;
    let inside = |at: &Value| (from..to).contains(&micros(at.as_str().unwrap()));
    let sources = ["bank_transfer", "earning", "refund", "cashback", "promo", "carrier_billing", "card"];
    let mut topups: BTreeMap<String, [i64; 2]> = sources.iter().map(|s| (s.to_string(), [0, 0])).collect();
    let (mut payments, mut by_status, mut by_rail) = ([0, 0], BTreeMap::new(), BTreeMap::new());
    let statuses =
        ["awaiting_confirmation", "in_review", "processing", "in_transit", "paid", "failed", "canceled", "expired"];
    for status in statuses {
        by_status.insert(status.to_string(), [0, 0]);
    }
    for rail in ["bank_transfer", "e_wallet", "cash_pickup", "sandbox"] {
        by_rail.insert(rail.to_string(), [0, 0]);
    }
    let (mut fees, mut in_flight, mut past_sla) = ([0, 0], [0, 0], [0, 0]);
    let mut risk: BTreeMap<String, BTreeMap<String, i64>> =
        ["allow", "review", "deny"].into_iter().map(|d| (d.to_string(), BTreeMap::new())).collect();
    let pockets = ["cash", "refund", "cashback", "promo", "carrier", "card", "gift"];
    let mut by_pocket: BTreeMap<String, i64> = pockets.iter().map(|p| (p.to_string(), 0)).collect();
    let (mut total, mut withdrawable) = (0, 0);
    for user in &w.users {
        for topup in list(server, user, "topups").await.iter().filter(|t| t["currency"] == "KRW") {
            if inside(&topup["created_at"]) {
                add(&mut topups, topup["source"].as_str().unwrap(), topup["amount"].as_i64().unwrap());
            }
        }
        for payment in list(server, user, "payments").await.iter().filter(|p| inside(&p["created_at"])) {
            payments = [payments[0] + 1, payments[1] + payment["amount"].as_i64().unwrap()];
        }
        for c in list(server, user, "cashouts").await {
            let (status, rail) = (c["status"].as_str().unwrap(), c["quote"]["rail"].as_str().unwrap());
            let (gross, fee) = (c["quote"]["gross"].as_i64().unwrap(), c["quote"]["fee"].as_i64().unwrap());
            if inside(&c["created_at"]) {
                add(&mut by_status, status, gross);
                add(&mut by_rail, rail, gross);
            }
            if status == "paid" && reached(&c, "paid").is_some_and(|at| (from..to).contains(&at)) {
                fees = [fees[0] + 1, fees[1] + fee];
            }
            if ["processing", "in_transit"].contains(&status) {
                in_flight = [in_flight[0] + 1, in_flight[1] + gross];
                let confirmed_at = c["timeline"][1]["at"].as_str().map(micros);
                let since =
                    reached(&c, "in_transit").or(confirmed_at).unwrap_or(micros(c["created_at"].as_str().unwrap()));
                let waits_on_user = status == "in_transit" && rail == "cash_pickup";
                if !waits_on_user && since <= now - HOUR_US {
                    past_sla = [past_sla[0] + 1, past_sla[1] + gross];
                }
            }
            if let Some(decision) = c["risk"]["decision"].as_str() {
                // Decided at confirmation: the timeline's step after awaiting_confirmation.
                if (from..to).contains(&micros(c["timeline"][1]["at"].as_str().unwrap())) {
                    let reasons: Vec<&str> =
                        c["risk"]["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
                    let by_reason = risk.get_mut(decision).unwrap();
                    for reason in if reasons.is_empty() { vec!["none"] } else { reasons } {
                        *by_reason.entry(reason.to_string()).or_default() += 1;
                    }
                }
            }
        }
        let balances = server.balances(user).await;
        total += balances["total"].as_i64().unwrap();
        withdrawable += balances["withdrawable"].as_i64().unwrap();
        for p in balances["pockets"].as_array().unwrap() {
            let name = p["pocket"].as_str().unwrap();
            let kind = if name.starts_with("gift:") { "gift" } else { name };
            *by_pocket.get_mut(kind).unwrap() += p["available"].as_i64().unwrap() + p["pending"].as_i64().unwrap();
        }
    }
    let refunds = w.refunds.iter().filter(|(_, at)| (from..to).contains(at));
    let refunds = refunds.fold([0, 0], |[count, sum], (amount, _)| [count + 1, sum + amount]);
    let (status, queue) = server.get("/v1/review-queue?limit=100").await;
    assert_eq!(status, 200, "{queue}");
    let waiting = queue["data"].as_array().unwrap();
    let oldest = waiting.iter().filter_map(|c| reached(c, "in_review")).min();
    json!({
        "from": rfc3339(from),
        "to": rfc3339(to),
        "currency": "KRW",
        "as_of": rfc3339(now),
        "topups_by_source": figures(topups),
        "payments": figure(payments[0], payments[1]),
        "payment_refunds": figure(refunds[0], refunds[1]),
        "cashouts_by_status": figures(by_status),
        "cashouts_by_rail": figures(by_rail),
        "fees": figure(fees[0], fees[1]),
        "float": {"total": total, "withdrawable": withdrawable, "by_pocket": by_pocket},
        "in_flight": figure(in_flight[0], in_flight[1]),
        "past_sla": figure(past_sla[0], past_sla[1]),
        "review_queue": {"count": waiting.len(), "oldest_age_s": oldest.map(|since| (now - since) / SECOND_US)},
        "risk_decisions": risk,
    })
}

async fn summary(server: &TestServer, query: &str) -> Value {
    let (status, summary) = server.get(&format!("/v1/reports/summary{query}")).await;
    assert_eq!(status, 200, "{summary}");
    summary
}

fn period(from: i64, to: i64) -> String {
    format!("?from={}&to={}", rfc3339(from).replace('+', "%2B"), rfc3339(to).replace('+', "%2B"))
}

async fn the_summary_adds_up_the_world_on(backend: Backend) {
    let w = world(backend).await;
    let (server, now) = (&w.server, w.clock.now_us());
    // Today, the default: every figure as the lists add it up.
    let today = summary(server, "").await;
    assert_eq!(today, expected(&w, DAY_FROM_US, DAY_TO_US, now).await);
    // The world has what the figures are about, so the comparison above compares something.
    assert_eq!(today["topups_by_source"]["cashback"], figure(2, 25_000), "{today}");
    assert_eq!(today["topups_by_source"]["bank_transfer"]["count"], 8, "the dollars and yesterday's are not today's");
    assert_eq!(today["payments"], figure(3, 19_000), "{today}");
    assert_eq!(today["payment_refunds"], figure(1, 5_000), "{today}");
    let statuses = &today["cashouts_by_status"];
    for (status, count) in [("paid", 1), ("failed", 1), ("in_review", 1), ("expired", 1), ("canceled", 1)] {
        assert_eq!(statuses[status]["count"], count, "{status}: {today}");
    }
    assert_eq!(
        (statuses["in_transit"]["count"].as_i64(), statuses["awaiting_confirmation"]["count"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(today["cashouts_by_rail"]["cash_pickup"], figure(1, 50_000), "{today}");
    assert_eq!(today["fees"], figure(2, 1_000), "yesterday's cash-out paid today earns today: {today}");
    assert_eq!(today["in_flight"], figure(2, 75_000), "{today}");
    assert_eq!(today["past_sla"], figure(1, 25_000), "the voucher waits on its user: {today}");
    assert_eq!(today["review_queue"], json!({"count": 1, "oldest_age_s": 3 * 3_600 + 2}), "{today}");
    assert_eq!(today["risk_decisions"]["allow"], json!({"none": 4}), "yesterday's decision is not today's: {today}");
    assert_eq!(today["risk_decisions"]["review"], json!({"velocity_amount": 1}), "{today}");
    assert_eq!(today["float"]["by_pocket"]["gift"], 6_000, "{today}");
    let by_pocket = today["float"]["by_pocket"].as_object().unwrap();
    assert_eq!(by_pocket.values().map(|v| v.as_i64().unwrap()).sum::<i64>(), today["float"]["total"].as_i64().unwrap());
    // The same, asked for by its bounds.
    assert_eq!(summary(server, &period(DAY_FROM_US, DAY_TO_US)).await, today);
    // Bounds falling on rows: `from` takes its microsecond in, `to` leaves its own out.
    for (from, to) in [
        (DAY_FROM_US + 1, DAY_TO_US),
        (DAY_FROM_US - 1, DAY_TO_US),
        (DAY_FROM_US, NOON_US),
        (DAY_FROM_US - 1, DAY_FROM_US),
        (NOON_US + 2 * HOUR_US + SECOND_US, NOON_US + 2 * HOUR_US + 2 * SECOND_US),
    ] {
        let found = summary(server, &period(from, to)).await;
        assert_eq!(found, expected(&w, from, to, now).await, "[{}, {})", rfc3339(from), rfc3339(to));
    }
    let without_first = summary(server, &period(DAY_FROM_US + 1, DAY_TO_US)).await;
    assert_eq!(without_first["topups_by_source"]["cashback"], figure(1, 5_000));
    let day_before = summary(server, &period(DAY_FROM_US - 1, DAY_FROM_US)).await;
    assert_eq!(
        (day_before["payments"].clone(), day_before["cashouts_by_rail"]["sandbox"].clone()),
        (figure(1, 1_000), figure(1, 15_000))
    );
    // Dollars are reported in dollars, apart.
    let dollars = summary(server, "?currency=USD").await;
    assert_eq!(
        (dollars["topups_by_source"]["bank_transfer"].clone(), dollars["float"]["total"].clone()),
        (figure(1, 50), json!(50))
    );
    // The other tenant sees its own figures only; the float is the sum of the balances.
    let (status, theirs) = server.get_as(&w.other_key, "/v1/reports/summary").await;
    assert_eq!(status, 200, "{theirs}");
    assert_eq!(theirs["topups_by_source"]["bank_transfer"], figure(1, 70_000), "{theirs}");
    assert_eq!((theirs["payments"].clone(), theirs["review_queue"]["count"].clone()), (figure(0, 0), json!(0)));
    let (_, balances) = server.get_as(&w.other_key, &format!("/v1/users/{}/balances", w.other_user)).await;
    assert_eq!(theirs["float"]["total"], balances["total"]);
    assert_eq!(
        (theirs["float"]["total"].as_i64(), theirs["float"]["withdrawable"].as_i64()),
        (Some(70_000), Some(70_000))
    );
    server.assert_verified().await;
    w.server.stop().await;
}

async fn bad_periods_and_roles_on(backend: Backend) {
    let clock = Clock::fixed(NOON_US);
    let server = spawn_with_clock(fresh_db(backend).await, settings, clock.clone()).await;
    let user = server.create_user(1).await;
    server.topup(&user, "bank_transfer", 10_000).await;
    let admin = summary(&server, "").await;
    assert_eq!(
        (admin["from"].as_str(), admin["to"].as_str()),
        (Some("2026-11-09T15:00:00Z"), Some("2026-11-10T15:00:00Z"))
    );
    assert_eq!(admin["review_queue"], json!({"count": 0, "oldest_age_s": null}));
    // Every role reads it, and reads the same.
    for role in [Role::Readonly, Role::Reviewer] {
        let key = server.key_for(role, false).await;
        let (status, body) = server.get_as(&key, "/v1/reports/summary").await;
        assert_eq!((status, &body), (200, &admin), "{role:?}");
    }
    let refused = [
        ("?from=yesterday", "invalid_time", "from"),
        ("?to=2026-11-10", "invalid_time", "to"),
        ("?from=2026-11-10T00:00:00Z&to=2026-11-10T00:00:00Z", "invalid_period", "to"),
        ("?from=2026-11-10T00:00:01Z&to=2026-11-10T00:00:00Z", "invalid_period", "to"),
        ("?from=2026-11-11T00:00:00Z", "invalid_period", "from"),
        ("?from=2025-11-09T00:00:00Z&to=2026-11-10T00:00:01Z", "period_too_long", "to"),
        ("?currency=KRWX", "invalid_currency", "currency"),
        ("?currency=ABC", "unknown_currency", "currency"),
        ("?day=today", "unknown_parameter", "day"),
    ];
    for (query, code, param) in refused {
        let (status, body) = server.get(&format!("/v1/reports/summary{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(
            (body["error"]["code"].as_str(), body["error"]["param"].as_str()),
            (Some(code), Some(param)),
            "{query}"
        );
    }
    // A year, leap day included, is not too long.
    let leap_year = summary(&server, "?from=2024-01-01T00:00:00%2B09:00&to=2025-01-01T00:00:00%2B09:00").await;
    assert_eq!(leap_year["from"], "2023-12-31T15:00:00Z");
    let unsigned = server.client.get(format!("{}/v1/reports/summary", server.base)).send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 401, "a key is needed");
    server.assert_verified().await;
    server.stop().await;
}
