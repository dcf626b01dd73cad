//! The console's review queue on both backends, through HTTP as a browser without
//! JavaScript: a cash-out held for review (a first cash-out to a new destination) is in the
//! queue with its reasons in words; a reviewer claims it, a second reviewer sees the claim
//! and may not decide it; the claimer approves it and the sandbox rail pays it. A rejection
//! needs a reason. Read-only, support and finance see no buttons and their crafted POSTs
//! are refused (403, nothing changed); a form without its CSRF token is refused; an unknown
//! id and another tenant's cash-out answer 404.

mod support;

use serde_json::{json, Value};
use smallchange::clock::Clock;
use smallchange::config::Settings;
use smallchange::store::tenants::Role;
use support::console::signed_in;
use support::{fresh_db, spawn_with_clock, Backend, TestServer};
use totp_rs::{Algorithm, Secret, TOTP};

both_backends!(a_reviewer_claims_and_approves_to_paid, super::a_reviewer_claims_and_approves_to_paid_on);
both_backends!(a_rejection_needs_a_reason, super::a_rejection_needs_a_reason_on);
both_backends!(other_roles_see_and_cannot_change, super::other_roles_see_and_cannot_change_on);

/// 2026-11-10 03:00 UTC.
const START_US: i64 = 1_794_279_600_000_000;

/// Sandbox payouts, a fast worker, and review for a first cash-out to a new destination.
fn settings(s: &mut Settings) {
    s.cashout_poll_ms = 20;
    s.cashout.rails.bank_account = "sandbox".into();
    s.cashout.risk.review_new_destination = true;
    s.cashout.sandbox_settle_s = 2;
}

async fn start(backend: Backend) -> (TestServer, Clock) {
    let clock = Clock::fixed(START_US);
    (spawn_with_clock(fresh_db(backend).await, settings, clock.clone()).await, clock)
}

async fn post(server: &TestServer, key: &str, path: &str, body: Value) -> Value {
    let (status, answer) = server.post_as(key, path, body, None).await;
    assert_eq!(status, 200, "{path}: {answer}");
    answer
}

/// A cash-out of 30,000 by a new user `n` of `key`'s tenant, confirmed and held in review.
async fn in_review(server: &TestServer, clock: &Clock, key: &str, n: u32) -> String {
    let user =
        post(server, key, "/v1/users", json!({"external_id": format!("u{n}"), "phone": format!("+8210555{n:05}")}))
            .await["id"]
            .as_str()
            .unwrap()
            .to_string();
    let kyc = json!({"level": "basic", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    post(server, key, &format!("/v1/users/{user}/kyc"), kyc).await;
    let bank = json!({"type": "bank_account", "bank_code": "088", "account_number": "110-123-456789", "holder_name": "김민지"});
    let destination = post(server, key, &format!("/v1/users/{user}/payout-destinations"), bank).await;
    let enrolled = post(server, key, &format!("/v1/users/{user}/totp"), json!({})).await;
    let bytes = Secret::Encoded(enrolled["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 0, 30, bytes, None, "user".into()).unwrap();
    let topup = json!({"source": "bank_transfer", "amount": 100_000, "currency": "KRW", "reference": "r1"});
    post(server, key, &format!("/v1/users/{user}/topups"), topup).await;
    let body = json!({"amount": 30_000, "currency": "KRW", "destination_id": destination["id"]});
    let quote = post(server, key, &format!("/v1/users/{user}/cashout-quotes"), body).await;
    let cashout = post(server, key, "/v1/cashouts", json!({"quote_id": quote["id"]})).await;
    let id = cashout["id"].as_str().unwrap().to_string();
    let code = totp.generate((clock.now_us() / 1_000_000) as u64);
    let confirmed = post(server, key, &format!("/v1/cashouts/{id}/confirm"), json!({"otp": code})).await;
    assert_eq!(confirmed["status"], "in_review", "{confirmed}");
    id
}

async fn status_of(server: &TestServer, id: &str) -> String {
    let (_, cashout) = server.get(&format!("/v1/cashouts/{id}")).await;
    cashout["status"].as_str().unwrap().to_string()
}

async fn a_reviewer_claims_and_approves_to_paid_on(backend: Backend) {
    let (server, clock) = start(backend).await;
    let id = in_review(&server, &clock, &server.key, 1).await;
    let (mut minji, _) = signed_in(&server, &clock, "minji@example.com", "reviewer").await;
    let queue = minji.get("/console/review").await;
    assert_eq!(queue.status, 200, "{}", queue.html);
    assert!(queue.html.contains(&format!("/console/review/{id}")), "{}", queue.html);
    assert!(
        queue.shows("First cash-out to this destination.") && queue.shows("Shinhan Bank ••••6789"),
        "{}",
        queue.html
    );
    assert!(queue.shows("Nobody yet"), "{}", queue.html);

    let case = minji.get(&format!("/console/review/{id}")).await;
    assert_eq!(case.status, 200, "{}", case.html);
    assert!(case.shows("First cash-out to this destination."), "{}", case.html);
    assert!(case.shows("₩30,000") && case.shows("No earlier cash-outs to this destination."), "{}", case.html);
    assert!(case.shows("₩100,000"), "the last 30 days' top-ups: {}", case.html);
    let claimed = minji.submit(&case, &format!("/console/review/{id}/claim"), &[]).await;
    assert_eq!(
        (claimed.status, claimed.location.as_deref()),
        (303, Some(format!("/console/review/{id}?done=claimed").as_str()))
    );
    let case = minji.open(claimed.location.as_deref().unwrap()).await;
    assert!(case.shows("You claimed this cash-out") && case.shows("You have claimed this cash-out"), "{}", case.html);

    // A second reviewer sees who has it, has no buttons, and may not decide it.
    let (mut jisoo, _) = signed_in(&server, &clock, "jisoo@example.com", "reviewer").await;
    let queue = jisoo.get("/console/review").await;
    assert!(queue.shows("minji@example.com"), "{}", queue.html);
    let theirs = jisoo.get(&format!("/console/review/{id}")).await;
    assert!(theirs.shows("minji@example.com has claimed this cash-out"), "{}", theirs.html);
    assert!(!theirs.html.contains(&format!("/console/review/{id}/approve")), "{}", theirs.html);
    let refused = jisoo.submit(&theirs, &format!("/console/review/{id}/approve"), &[]).await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert_eq!(status_of(&server, &id).await, "in_review");

    // The claimer approves: back to the queue with a notice; a second submit decides nothing.
    let approved = minji.submit(&case, &format!("/console/review/{id}/approve"), &[]).await;
    assert_eq!((approved.status, approved.location.as_deref()), (303, Some("/console/review?done=approved")));
    let queue = minji.open("/console/review?done=approved").await;
    assert!(queue.shows("Approved.") && queue.shows("Nothing is waiting for review."), "{}", queue.html);
    let again = minji.submit(&case, &format!("/console/review/{id}/approve"), &[]).await;
    assert_eq!(again.status, 409, "{}", again.html);
    server.wait_for_cashout(&id, "in_transit").await;
    clock.set(START_US + 10_000_000);
    let paid = server.wait_for_cashout(&id, "paid").await;
    let approvals = paid["timeline"].as_array().unwrap().iter().filter(|e| e["status"] == "processing").count();
    assert_eq!(approvals, 1, "{paid}");
    assert!(paid["timeline"].to_string().contains("operator:opu_"), "the reviewer is on the timeline: {paid}");
    server.assert_verified().await;
    server.stop().await;
}

async fn a_rejection_needs_a_reason_on(backend: Backend) {
    let (server, clock) = start(backend).await;
    let id = in_review(&server, &clock, &server.key, 1).await;
    let (mut admin, _) = signed_in(&server, &clock, "boss@example.com", "admin").await;
    let case = admin.get(&format!("/console/review/{id}")).await;
    let empty = admin.submit(&case, &format!("/console/review/{id}/reject"), &[("reason", "  ")]).await;
    assert_eq!(empty.status, 400, "{}", empty.html);
    assert!(empty.shows("Say why you reject this cash-out"), "{}", empty.html);
    assert_eq!(status_of(&server, &id).await, "in_review", "nothing changed");
    let rejected =
        admin.submit(&empty, &format!("/console/review/{id}/reject"), &[("reason", "looks like a mule")]).await;
    assert_eq!((rejected.status, rejected.location.as_deref()), (303, Some("/console/review?done=rejected")));
    assert_eq!(status_of(&server, &id).await, "canceled");
    let (_, cashout) = server.get(&format!("/v1/cashouts/{id}")).await;
    assert!(cashout["timeline"].to_string().contains("looks like a mule"), "{cashout}");
    server.assert_verified().await;
    server.stop().await;
}

async fn other_roles_see_and_cannot_change_on(backend: Backend) {
    let (server, clock) = start(backend).await;
    let id = in_review(&server, &clock, &server.key, 1).await;
    let other_key = server.key_for(Role::Admin, true).await;
    let elsewhere = in_review(&server, &clock, &other_key, 2).await;
    for (n, role) in ["readonly", "support", "finance"].iter().enumerate() {
        let (mut browser, _) = signed_in(&server, &clock, &format!("op{n}@example.com"), role).await;
        let queue = browser.get("/console/review").await;
        assert!(queue.status == 200 && queue.html.contains(&format!("/console/review/{id}")), "{role}: {}", queue.html);
        let case = browser.get(&format!("/console/review/{id}")).await;
        assert_eq!(case.status, 200, "{role}: {}", case.html);
        assert!(case.shows("First cash-out to this destination."), "{role}: {}", case.html);
        for action in ["claim", "approve", "reject"] {
            assert!(!case.html.contains(&format!("/{action}\"")), "{role} sees {action}: {}", case.html);
            let crafted = browser.submit(&case, &format!("/console/review/{id}/{action}"), &[("reason", "x")]).await;
            assert_eq!(crafted.status, 403, "{role} {action}: {}", crafted.html);
        }
        assert_eq!(status_of(&server, &id).await, "in_review", "{role} changed nothing");
    }
    let (mut reviewer, _) = signed_in(&server, &clock, "rev@example.com", "reviewer").await;
    let case = reviewer.get(&format!("/console/review/{id}")).await;
    assert!(case.shows("Nobody yet") || !case.shows("has claimed"), "no claim was made: {}", case.html);
    // Without the CSRF token: refused, nothing changed.
    let forged = reviewer.post_raw(&format!("/console/review/{id}/approve"), &[]).await;
    assert_eq!(forged.status, 403, "{}", forged.html);
    assert_eq!(status_of(&server, &id).await, "in_review");
    // Unknown ids, and another tenant's cash-out: not found, and left alone.
    for missing in ["po_nothing", elsewhere.as_str()] {
        assert_eq!(reviewer.get(&format!("/console/review/{missing}")).await.status, 404);
        for action in ["claim", "approve"] {
            let answer = reviewer.submit(&case, &format!("/console/review/{missing}/{action}"), &[]).await;
            assert_eq!(answer.status, 404, "{action} {missing}: {}", answer.html);
        }
    }
    let (_, theirs) = server.get_as(&other_key, &format!("/v1/cashouts/{elsewhere}")).await;
    assert_eq!(theirs["status"], "in_review", "{theirs}");
    server.stop().await;
}
