//! Payout destinations: only the user can be the holder (name matched to the KYC legal
//! name after normalisation), numbers are shown masked, and every refusal stores nothing.

mod support;

use serde_json::{json, Value};
use smallchange::store::tenants::{self, Role};
use support::{spawn, Backend, TestServer};

async fn user_with_kyc(server: &TestServer, external_id: &str, level: &str, legal_name: &str) -> String {
    let (_, user) = server.post("/v1/users", json!({"external_id": external_id, "phone": "+821012345678"})).await;
    let id = user["id"].as_str().unwrap().to_string();
    let kyc = json!({"level": level, "legal_name": legal_name, "birth_date": "1990-04-01", "document_ref": "doc"});
    let (status, _) = server.post(&format!("/v1/users/{id}/kyc"), kyc).await;
    assert_eq!(status, 200);
    id
}

async fn stored_destinations(server: &TestServer) -> i64 {
    let (count,): (i64,) = smallchange::on_db!(server.store(), |pool, _d| {
        sqlx::query_as("SELECT COUNT(*) FROM payout_destinations").fetch_one(pool).await.unwrap()
    });
    count
}

fn bank(holder: &str) -> Value {
    json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-789012", "holder_name": holder})
}

async fn destinations_belong_to_the_user(backend: Backend) {
    let server = spawn(backend).await;
    let (_, user) = server.post("/v1/users", json!({"external_id": "no-kyc", "phone": "+821012345678"})).await;
    let path = format!("/v1/users/{}/payout-destinations", user["id"].as_str().unwrap());
    let (status, error) = server.post(&path, bank("김민수")).await;
    assert_eq!((status, error["error"]["code"].as_str()), (400, Some("kyc_required")));

    let kim = user_with_kyc(&server, "kim", "verified", "김민수").await;
    let path = format!("/v1/users/{kim}/payout-destinations");
    let (status, dest) = server.post(&path, bank(" 김 민수 ")).await;
    assert_eq!(status, 200, "{dest}");
    assert!(dest["id"].as_str().unwrap().starts_with("dst_"));
    assert_eq!(dest["type"], "bank_account");
    assert_eq!(dest["masked"], "004 ••••••••9012");
    assert_eq!(dest["verified"], true);
    assert!(!dest.to_string().contains("789012"), "the full number is never shown: {dest}");
    // Retried with its Idempotency-Key: the same destination, stored once.
    let before = stored_destinations(&server).await;
    let (s1, first) = server.post_as(&server.key, &path, bank("김민수"), Some("dst-1")).await;
    let (s2, again) = server.post_as(&server.key, &path, bank("김민수"), Some("dst-1")).await;
    assert_eq!((s1, s2, &first), (200, 200, &again));
    let (s3, reused) = server.post_as(&server.key, &path, bank("김 민수"), Some("dst-1")).await;
    assert_eq!((s3, reused["error"]["code"].as_str()), (409, Some("idempotency_key_reused")));
    assert_eq!(stored_destinations(&server).await, before + 1);
    let stored: String = smallchange::on_db!(server.store(), |pool, _d| {
        sqlx::query_scalar("SELECT details FROM payout_destinations LIMIT 1").fetch_one(pool).await.unwrap()
    });
    assert!(!stored.contains("789012"), "the account number is stored sealed: {stored}");

    let (status, pickup) = server.post(&path, json!({"type": "cash_pickup", "network": "gs25"})).await;
    assert_eq!((status, pickup["holder_name"].as_str()), (200, Some("김민수")));

    for (body, param, code) in [
        (bank("김민서"), "holder_name", "name_mismatch"),
        (bank("Kim Minsu"), "holder_name", "name_mismatch"),
        (json!({"type": "crypto", "address": "x"}), "type", "invalid_destination_type"),
        (json!({"bank_code": "004"}), "type", "invalid_destination_type"),
        (
            json!({"type": "bank_account", "bank_code": "004", "account_number": "12-34", "holder_name": "김민수"}),
            "account_number",
            "invalid_account_number",
        ),
        (
            json!({"type": "bank_account", "bank_code": "0", "account_number": "123456789", "holder_name": "김민수"}),
            "bank_code",
            "invalid_bank_code",
        ),
        (
            json!({"type": "bank_account", "bank_code": "004", "account_number": "123456789", "holder_name": "김민수", "x": 1}),
            "x",
            "unknown_field",
        ),
        (
            json!({"type": "e_wallet", "provider": "Kakao Pay", "wallet_id": "w1", "holder_name": "김민수"}),
            "provider",
            "invalid_provider",
        ),
        (json!({"type": "cash_pickup", "network": ""}), "network", "invalid_network"),
    ] {
        let (status, error) = server.post(&path, body.clone()).await;
        assert_eq!(status, 400, "{body} → {error}");
        assert_eq!(
            (error["error"]["param"].as_str(), error["error"]["code"].as_str()),
            (Some(param), Some(code)),
            "{body}"
        );
    }
    assert_eq!(stored_destinations(&server).await, 3, "refusals stored nothing");

    // Latin names compare without case or spaces; a basic KYC record is not `verified`.
    let lee = user_with_kyc(&server, "lee", "basic", "Lee Ji Eun").await;
    let wallet =
        json!({"type": "e_wallet", "provider": "kakaopay", "wallet_id": "wallet-5521", "holder_name": "LEE JIEUN"});
    let (status, dest) = server.post(&format!("/v1/users/{lee}/payout-destinations"), wallet).await;
    assert_eq!(
        (status, dest["verified"].as_bool(), dest["masked"].as_str()),
        (200, Some(false), Some("kakaopay •••••••5521"))
    );

    let other = server.key_for(Role::Admin, true).await;
    let (status, _) = server.post_as(&other, &path, bank("김민수"), None).await;
    assert_eq!(status, 404, "another tenant's user does not exist for this key");
    let readonly = server.key_for(Role::Readonly, false).await;
    let (status, _) = server.post_as(&readonly, &path, bank("김민수"), None).await;
    assert_eq!(status, 403);
    assert_eq!(stored_destinations(&server).await, 4);
    server.stop().await;
}
both_backends!(destinations_belong_to_the_user, super::destinations_belong_to_the_user);

/// `api_key:` and the id of the key with secret `key`.
async fn actor_of(server: &TestServer, key: &str) -> String {
    let owner = tenants::find_key(server.store(), &tenants::hash_secret(key)).await.unwrap().expect("the key exists");
    format!("api_key:{}", owner.key_id)
}

async fn a_destination_shows_who_registered_it(backend: Backend) {
    let server = spawn(backend).await;
    let kim = user_with_kyc(&server, "kim", "verified", "김민수").await;
    let path = format!("/v1/users/{kim}/payout-destinations");
    let (status, dest) = server.post(&path, bank("김민수")).await;
    assert_eq!(status, 200, "{dest}");
    let creator = actor_of(&server, &server.key).await;
    assert!(creator.starts_with("api_key:key_"), "{creator}");
    assert_eq!(dest["created_by"].as_str(), Some(creator.as_str()));

    let second_admin = server.key_for(Role::Admin, false).await;
    let pickup = json!({"type": "cash_pickup", "network": "gs25"});
    let (s1, first) = server.post_as(&second_admin, &path, pickup.clone(), Some("dst-2")).await;
    let (s2, again) = server.post_as(&second_admin, &path, pickup, Some("dst-2")).await;
    assert_eq!((s1, s2, &first), (200, 200, &again), "a retry answers the first creator too");
    assert_eq!(first["created_by"].as_str(), Some(actor_of(&server, &second_admin).await.as_str()));

    let recorded: Vec<(String, Option<String>)> = smallchange::on_db!(server.store(), |pool, _d| {
        sqlx::query_as("SELECT id, created_actor FROM payout_destinations ORDER BY created_at")
            .fetch_all(pool)
            .await
            .unwrap()
    });
    let shown = [(dest["id"].as_str().unwrap(), &dest), (first["id"].as_str().unwrap(), &first)];
    assert_eq!(recorded.len(), 2);
    for ((id, actor), (shown_id, shown)) in recorded.iter().zip(shown) {
        assert_eq!((id.as_str(), actor.as_deref()), (shown_id, shown["created_by"].as_str()));
    }
    server.stop().await;
}
both_backends!(a_destination_shows_who_registered_it, super::a_destination_shows_who_registered_it);
