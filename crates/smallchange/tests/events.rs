//! One fact per change, seen from outside: each use case that changes something leaves
//! exactly one event in its tenant's log, with the right kind, subject, actor and amounts; a
//! refused change and a replayed request leave none. Read straight from the events table
//! (there is no read API for events yet), on both backends.

mod support;

use serde_json::{json, Value};
use smallchange::services::users::erase;
use smallchange::services::Actor;
use smallchange::store::events::{self, Stored};
use smallchange::store::tenants;
use support::{spawn, test_settings, Backend, TestServer};

both_backends!(a_payment_and_a_top_up_each_leave_one_event, super::a_payment_and_a_top_up_each_leave_one_event_on);
both_backends!(refusals_and_replays_leave_no_event, super::refusals_and_replays_leave_no_event_on);
both_backends!(a_ledger_request_is_one_event, super::a_ledger_request_is_one_event_on);
both_backends!(erasing_a_person_keeps_their_money_records, super::erasing_a_person_keeps_their_money_records_on);
both_backends!(every_use_case_records_one_event, super::every_use_case_records_one_event_on);
both_backends!(erasure_waits_for_an_open_cash_out, super::erasure_waits_for_an_open_cash_out_on);
both_backends!(a_subscriber_reads_only_its_kinds, super::a_subscriber_reads_only_its_kinds_on);

/// Every event of the server's tenant, oldest first.
async fn all_events(server: &TestServer) -> Vec<Stored> {
    events::from_index(server.store(), &server.tenant, 0, 10_000).await.unwrap()
}

async fn about(server: &TestServer, subject: &str) -> Vec<Stored> {
    events::of_subject(server.store(), &server.tenant, subject).await.unwrap()
}

fn of_kind<'a>(events: &'a [Stored], kind: &str) -> Vec<&'a Stored> {
    events.iter().filter(|e| e.kind == kind).collect()
}

/// The recorded actor of the server's admin key: `api_key:key_…`.
async fn admin_actor(server: &TestServer) -> String {
    let owner = tenants::find_key(server.store(), &tenants::hash_secret(&server.key)).await.unwrap();
    format!("api_key:{}", owner.expect("the admin key is stored").key_id)
}

/// The sum of an event's `transfers` amounts.
fn moved(data: &Value) -> i64 {
    data["transfers"].as_array().expect("transfers").iter().map(|t| t["amount"].as_i64().unwrap()).sum()
}

async fn a_payment_and_a_top_up_each_leave_one_event_on(backend: Backend) {
    let server = spawn(backend).await;
    let actor = admin_actor(&server).await;
    let user = server.create_user(1).await;
    let topup = server.topup(&user, "bank_transfer", 5_000).await;
    let topup_id = topup["id"].as_str().unwrap();
    let found = about(&server, topup_id).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let event = &found[0];
    assert_eq!((event.kind.as_str(), event.actor.as_str()), ("topup.received", actor.as_str()));
    let data = event.data();
    assert_eq!((data["amount"].as_i64(), data["currency"].as_str()), (Some(5_000), Some("KRW")));
    assert_eq!((data["user_id"].as_str(), data["pocket"].as_str()), (Some(user.as_str()), Some("cash")));
    assert_eq!(data["source"], "bank_transfer");
    assert_eq!(data["transfers"], json!([{"id": topup_id, "amount": 5_000}]));

    let body = json!({"merchant": "shop-1", "amount": 2_000, "currency": "KRW", "description": "coffee"});
    let (status, payment) = server.post(&format!("/v1/users/{user}/payments"), body).await;
    assert_eq!(status, 200, "{payment}");
    let payment_id = payment["id"].as_str().unwrap();
    let found = about(&server, payment_id).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let event = &found[0];
    assert_eq!((event.kind.as_str(), event.actor.as_str()), ("payment.made", actor.as_str()));
    let data = event.data();
    assert_eq!((data["amount"].as_i64(), data["currency"].as_str()), (Some(2_000), Some("KRW")));
    assert_eq!((data["user_id"].as_str(), data["merchant"].as_str()), (Some(user.as_str()), Some("shop-1")));
    assert_eq!(data["description"], "coffee");
    assert_eq!(moved(&data), 2_000);
    assert_eq!(data["transfers"][0]["id"], format!("{payment_id}:0"));

    let (status, refund) = server.post(&format!("/v1/payments/{payment_id}/refund"), json!({"amount": 500})).await;
    assert_eq!(status, 200, "{refund}");
    let found = about(&server, payment_id).await;
    let refunds = of_kind(&found, "payment.refunded");
    assert_eq!((found.len(), refunds.len()), (2, 1), "{found:?}");
    let data = refunds[0].data();
    assert_eq!((data["amount"].as_i64(), data["refund_id"].as_str()), (Some(500), refund["id"].as_str()));
    assert_eq!(refunds[0].actor, actor);
    // The event is the next entry of the tenant's log: indexes run 0, 1, 2, … without gaps.
    let log = all_events(&server).await;
    assert!(log.iter().enumerate().all(|(n, e)| e.index == n as u64), "{log:?}");
    server.stop().await;
}

async fn refusals_and_replays_leave_no_event_on(backend: Backend) {
    let server = spawn(backend).await;
    let user = server.create_user(1).await;
    server.topup(&user, "bank_transfer", 1_000).await;
    let before = all_events(&server).await.len();
    let path = format!("/v1/users/{user}/payments");
    let too_much = json!({"merchant": "shop-1", "amount": 1_001, "currency": "KRW"});
    let (status, answer) = server.post(&path, too_much).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("insufficient_funds")), "{answer}");
    assert_eq!(all_events(&server).await.len(), before, "a refused payment records nothing");

    let coffee = json!({"merchant": "shop-1", "amount": 300, "currency": "KRW"});
    let (status, first) = server.post_as(&server.key, &path, coffee.clone(), Some("pay-once")).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = server.post_as(&server.key, &path, coffee, Some("pay-once")).await;
    assert_eq!((status, &again["id"]), (200, &first["id"]), "{again}");
    let topups = format!("/v1/users/{user}/topups");
    let topup = json!({"source": "bank_transfer", "amount": 700, "currency": "KRW", "reference": "t"});
    for _ in 0..2 {
        let (status, answer) = server.post_as(&server.key, &topups, topup.clone(), Some("topup-once")).await;
        assert_eq!(status, 200, "{answer}");
    }
    let after = all_events(&server).await;
    assert_eq!(after.len(), before + 2, "one payment and one top-up, each once: {after:?}");
    assert_eq!(of_kind(&after[before..], "payment.made").len(), 1);
    assert_eq!(of_kind(&after[before..], "topup.received").len(), 1);
    server.stop().await;
}

async fn a_ledger_request_is_one_event_on(backend: Backend) {
    let server = spawn(backend).await;
    server.open_accounts(&[("bank", &[]), ("alice", &[])]).await;
    let before = all_events(&server).await.len();
    let transfers: Vec<Value> = (0..5)
        .map(|n| {
            json!({"id": format!("t{n}"), "debit_account": "bank", "credit_account": "alice",
                "amount": 100 + n, "currency": "KRW", "code": 1})
        })
        .collect();
    let (status, answer) = server.post("/v1/ledger/transfers", json!({ "transfers": transfers })).await;
    assert_eq!(status, 200, "{answer}");
    let after = all_events(&server).await;
    assert_eq!(after.len(), before + 1, "{after:?}");
    let event = &after[before];
    assert_eq!((event.kind.as_str(), event.subject.as_str()), ("ledger.transfers_created", "t0"));
    let listed: Vec<(String, i64)> = event.data()["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap().to_string(), t["amount"].as_i64().unwrap()))
        .collect();
    let expected: Vec<(String, i64)> = (0..5).map(|n| (format!("t{n}"), 100 + n)).collect();
    assert_eq!(listed, expected);
    server.stop().await;
}

/// How many values beside the tenant's log belong to `person`.
async fn personal_rows(server: &TestServer, person: &str) -> i64 {
    let (count,): (i64,) = smallchange::on_db!(server.store(), |pool, _d| {
        sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM event_personal WHERE person = $1")
            .bind(person)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    count
}

async fn erase_now(server: &TestServer, user: &str) -> Result<erase::Erased, smallchange::services::Error> {
    erase::erase(server.store(), &test_settings(&server.db), &Actor::System("cli"), user).await
}

async fn erasing_a_person_keeps_their_money_records_on(backend: Backend) {
    let server = spawn(backend).await;
    let user = server.create_user(7).await;
    let kyc = json!({"level": "verified", "legal_name": "김민수", "birth_date": "1990-04-01", "document_ref": "doc-7"});
    let (status, answer) = server.post(&format!("/v1/users/{user}/kyc"), kyc).await;
    assert_eq!(status, 200, "{answer}");
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-789012", "holder_name": "김민수"});
    let (status, destination) = server.post(&format!("/v1/users/{user}/payout-destinations"), bank).await;
    assert_eq!(status, 200, "{destination}");
    // The phone, the identity check's three details, the account number and holder name.
    assert_eq!(personal_rows(&server, &user).await, 6);
    let created = of_kind(&about(&server, &user).await, "user.created").len();
    assert_eq!(created, 1);
    let data = about(&server, &user).await[0].data();
    assert!(!data.to_string().contains("+8210"), "the phone is not in the entry: {data}");

    server.topup(&user, "bank_transfer", 1_000).await;
    let before = all_events(&server).await.len();
    let refused = erase_now(&server, &user).await.expect_err("a user with money is not erased");
    assert_eq!(refused.code(), "user_has_money", "{}", refused.message());
    assert!(refused.message().contains("cash holds"), "{}", refused.message());
    assert_eq!(all_events(&server).await.len(), before, "a refusal records nothing");
    assert_eq!(personal_rows(&server, &user).await, 6, "a refusal removes nothing");

    let body = json!({"merchant": "shop-1", "amount": 1_000, "currency": "KRW"});
    let (status, payment) = server.post(&format!("/v1/users/{user}/payments"), body).await;
    assert_eq!(status, 200, "{payment}");
    let erased = erase_now(&server, &user).await.expect("a user spent to zero is erased");
    assert_eq!((erased.personal_rows, erased.tenant_id.as_str()), (6, server.tenant.as_str()));
    assert_eq!(personal_rows(&server, &user).await, 0);
    let recorded = of_kind(&about(&server, &user).await, "user.erased").len();
    assert_eq!(recorded, 1);
    let (phone, legal_name): (String, Option<String>) = smallchange::on_db!(server.store(), |pool, _d| {
        sqlx::query_as("SELECT phone, legal_name FROM users WHERE id = $1").bind(&user).fetch_one(pool).await.unwrap()
    });
    assert_eq!((phone.as_str(), legal_name), ("erased", None));
    let (holder, details): (String, String) = smallchange::on_db!(server.store(), |pool, _d| {
        sqlx::query_as("SELECT holder_name, details FROM payout_destinations WHERE user_id = $1")
            .bind(&user)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!((holder.as_str(), details.as_str()), ("erased", "erased"));
    let (checks,): (i64,) = smallchange::on_db!(server.store(), |pool, _d| {
        sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM kyc_checks WHERE user_id = $1 AND legal_name <> 'erased'")
            .bind(&user)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(checks, 0);
    // The money stays on record, by id and amount.
    let payment_id = payment["id"].as_str().unwrap();
    let (status, kept) = server.get(&format!("/v1/payments/{payment_id}")).await;
    assert_eq!((status, kept["amount"].as_i64()), (200, Some(1_000)), "{kept}");
    let made = about(&server, payment_id).await;
    assert_eq!((made.len(), made[0].data()["amount"].as_i64()), (1, Some(1_000)));
    let (status, topups) = server.get(&format!("/v1/users/{user}/topups")).await;
    assert_eq!((status, topups["data"][0]["amount"].as_i64()), (200, Some(1_000)), "{topups}");
    server.assert_verified().await;
    server.stop().await;
}

/// The kinds recorded about `subject`, oldest first.
async fn kinds(server: &TestServer, subject: &str) -> Vec<String> {
    about(server, subject).await.into_iter().map(|e| e.kind).collect()
}

async fn every_use_case_records_one_event_on(backend: Backend) {
    let server = spawn(backend).await;
    let actor = admin_actor(&server).await;
    let body = json!({"external_id": "ext-1", "phone": "+821012345678", "name": "Kim"});
    let (status, user) = server.post("/v1/users", body.clone()).await;
    assert_eq!(status, 200, "{user}");
    let user = user["id"].as_str().unwrap().to_string();
    let created = &about(&server, &user).await[0];
    assert_eq!((created.kind.as_str(), created.actor.as_str()), ("user.created", actor.as_str()));
    let data = created.data();
    assert_eq!(data["external_id"], "ext-1");
    assert!(data["personal"]["phone"].is_string() && data["personal"]["name"].is_string(), "{data}");
    assert!(!created.data.contains("+8210") && !created.data.contains("Kim"), "{}", created.data);
    // A taken external id writes nothing and records nothing.
    let before = all_events(&server).await.len();
    let (status, _) = server.post("/v1/users", body).await;
    assert_eq!(status, 409);
    assert_eq!(all_events(&server).await.len(), before);

    let kyc = json!({"level": "verified", "legal_name": "Kim", "birth_date": "1990-04-01", "document_ref": "doc"});
    assert_eq!(server.post(&format!("/v1/users/{user}/kyc"), kyc).await.0, 200);
    let bank =
        json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-789012", "holder_name": "Kim"});
    let (status, destination) = server.post(&format!("/v1/users/{user}/payout-destinations"), bank).await;
    assert_eq!(status, 200, "{destination}");
    let destination = destination["id"].as_str().unwrap();
    assert_eq!(kinds(&server, destination).await, ["destination.added"]);
    let (status, _) = server.post(&format!("/v1/users/{user}/totp"), json!({})).await;
    assert_eq!(status, 200);
    let (status, link) = server.post(&format!("/v1/users/{user}/wallet-links"), json!({})).await;
    assert_eq!(status, 200, "{link}");
    assert_eq!(
        kinds(&server, &user).await,
        ["user.created", "user.kyc_recorded", "user.totp_enrolled", "wallet.link_created"]
    );

    let (status, endpoint) = server
        .post("/v1/webhook-endpoints", json!({"url": "http://127.0.0.1:9/hooks", "events": ["gift_card.expiring"]}))
        .await;
    assert_eq!(status, 200, "{endpoint}");
    let endpoint = endpoint["id"].as_str().unwrap();
    for _ in 0..2 {
        assert_eq!(
            server
                .client
                .delete(format!("{}/v1/webhook-endpoints/{endpoint}", server.base))
                .bearer_auth(&server.key)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    assert_eq!(kinds(&server, endpoint).await, ["webhook_endpoint.created", "webhook_endpoint.disabled"]);

    let body = json!({"brand": "B", "currency": "KRW", "region": "KR", "face_values": [10_000], "validity_days": 30});
    let (status, program) = server.post("/v1/gift-card-programs", body).await;
    assert_eq!(status, 200, "{program}");
    let program = program["id"].as_str().unwrap();
    assert_eq!(kinds(&server, program).await, ["gift_card.program_created"]);
    let body =
        json!({"program_id": program, "face_value": 10_000, "purchased_with": "bank_transfer", "purchaser_ref": "o-1"});
    let (status, card) = server.post("/v1/gift-cards", body).await;
    assert_eq!(status, 200, "{card}");
    let (card_id, code) = (card["id"].as_str().unwrap(), card["code"].as_str().unwrap());
    let (status, redeemed) =
        server.post(&format!("/v1/users/{user}/gift-cards"), json!({"brand": "B", "code": code})).await;
    assert_eq!(status, 200, "{redeemed}");
    assert_eq!(kinds(&server, card_id).await, ["gift_card.issued", "gift_card.redeemed"]);
    let issued = &about(&server, card_id).await[0];
    assert!(!issued.data.contains(code), "the code is never recorded");
    assert_eq!(moved(&about(&server, card_id).await[1].data()), 10_000);
    server.stop().await;
}

async fn erasure_waits_for_an_open_cash_out_on(backend: Backend) {
    let server = spawn(backend).await;
    let user = server.create_user(8).await;
    let kyc = json!({"level": "verified", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    assert_eq!(server.post(&format!("/v1/users/{user}/kyc"), kyc).await.0, 200);
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-789012", "holder_name": "김민지"});
    let (status, destination) = server.post(&format!("/v1/users/{user}/payout-destinations"), bank).await;
    assert_eq!(status, 200, "{destination}");
    server.topup(&user, "bank_transfer", 50_000).await;
    let body = json!({"amount": 10_000, "currency": "KRW", "destination_id": destination["id"]});
    let (status, quote) = server.post(&format!("/v1/users/{user}/cashout-quotes"), body).await;
    assert_eq!(status, 200, "{quote}");
    let (status, cashout) = server.post("/v1/cashouts", json!({"quote_id": quote["id"]})).await;
    assert_eq!(status, 200, "{cashout}");
    let refused = erase_now(&server, &user).await.expect_err("an open cash-out stops the erasure");
    assert_eq!(refused.code(), "open_cashout", "{}", refused.message());
    assert!(refused.message().contains(cashout["id"].as_str().unwrap()), "{}", refused.message());
    assert!(personal_rows(&server, &user).await > 0, "nothing was erased");
    server.stop().await;
}

/// A consumer that follows payments only and remembers the subjects it was handed.
struct Payments(std::sync::Mutex<Vec<String>>);

impl smallchange::workers::events::Subscriber for Payments {
    fn name(&self) -> &'static str {
        "test_payments"
    }

    fn kinds(&self) -> Vec<&'static str> {
        vec!["payment.made"]
    }

    fn follow<'a>(
        &'a self,
        event: &'a Stored,
    ) -> futures::future::BoxFuture<'a, anyhow::Result<Vec<smallchange::unit::Row>>> {
        self.0.lock().unwrap().push(event.subject.clone());
        Box::pin(async { Ok(Vec::new()) })
    }
}

async fn pay(server: &TestServer, user: &str, amount: i64) -> String {
    let body = json!({"merchant": "shop-1", "amount": amount, "currency": "KRW"});
    let (status, payment) = server.post(&format!("/v1/users/{user}/payments"), body).await;
    assert_eq!(status, 200, "{payment}");
    payment["id"].as_str().unwrap().to_string()
}

/// A consumer is handed the events of its kinds, each once, in order, and its cursor moves
/// past the events of other kinds it never read.
async fn a_subscriber_reads_only_its_kinds_on(backend: Backend) {
    use smallchange::workers::events::catch_up;
    let server = spawn(backend).await;
    let subscriber = Payments(Default::default());
    let user = server.create_user(1).await;
    server.topup(&user, "bank_transfer", 10_000).await;
    let first = pay(&server, &user, 1_000).await;
    server.topup(&user, "bank_transfer", 500).await;
    let second = pay(&server, &user, 2_000).await;

    assert!(!catch_up(server.store(), &subscriber).await.unwrap(), "fewer than a round were waiting");
    assert_eq!(*subscriber.0.lock().unwrap(), [first.clone(), second.clone()]);
    let size = all_events(&server).await.len() as u64;
    let cursors = events::cursors(server.store(), "test_payments").await.unwrap();
    let cursor = cursors.iter().find(|(tenant, _)| *tenant == server.tenant).map(|(_, next)| *next);
    assert_eq!(cursor, Some(size), "the cursor stands past every event, read or not");

    catch_up(server.store(), &subscriber).await.unwrap();
    assert_eq!(subscriber.0.lock().unwrap().len(), 2, "nothing is handed twice");
    server.topup(&user, "bank_transfer", 700).await;
    let third = pay(&server, &user, 300).await;
    catch_up(server.store(), &subscriber).await.unwrap();
    assert_eq!(*subscriber.0.lock().unwrap(), [first, second, third]);
    server.stop().await;
}
