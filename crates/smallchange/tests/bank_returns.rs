//! Bank returns on both backends: a payment the bank reported paid and later gives back.

mod support;

use serde_json::json;
use smallchange::clock::Clock;
use smallchange::config::Settings;
use support::bank::{self, confirmed_cashouts, status_of, until, upload_report, Booking};
use support::{fresh_db, spawn_with_clock, Backend};

const START_US: i64 = 1_794_279_600_000_000;

fn settings(s: &mut Settings) {
    support::fast_workers(s);
    s.cashout.risk.review_new_destination = false;
    s.cashout.risk.velocity_count_max = 10;
}

both_backends!(a_camt054_credit_returns_a_paid_payout, super::a_camt054_credit_returns_a_paid_payout_on);

async fn a_camt054_credit_returns_a_paid_payout_on(backend: Backend) {
    let clock = Clock::fixed(START_US);
    let server = spawn_with_clock(fresh_db(backend).await, settings, clock.clone()).await;
    let (user, ids) = confirmed_cashouts(&server, &clock, 1, &[20_000]).await;
    until("the batch", || async { status_of(&server, &ids[0]).await == "in_transit" }).await;
    let (status, applied) = upload_report(&server, bank::pain002("S-1", &[(&ids[0], "ACSC", None)])).await;
    assert_eq!(status, 200, "{applied}");
    let returned = bank::camt054("N-1", &[(&ids[0], 19_500, Booking::Returned("MD07"))]);
    bank::assert_schema_valid("camt.054.001.08.xsd", &returned);
    let (status, applied) = upload_report(&server, returned).await;
    assert_eq!(status, 200, "{applied}");
    until("the money back", || async { server.balances(&user).await["total"] == 500_000 }).await;
    let _ = json!({});
    server.assert_verified().await;
    server.stop().await;
}
