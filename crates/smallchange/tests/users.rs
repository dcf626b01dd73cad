//! `/v1/users`: creation with E.164 phones and idempotency, reads scoped to the tenant,
//! cursor pages, and the operator's KYC record; every refusal changes nothing.

mod support;

use serde_json::{json, Value};
use smallchange::store::tenants::{self, Role};
use support::{spawn, Backend, TestServer};

async fn create(server: &TestServer, external_id: &str, phone: &str) -> (u16, Value) {
    server.post("/v1/users", json!({"external_id": external_id, "phone": phone, "name": "Kim"})).await
}

async fn user_count(server: &TestServer) -> usize {
    let (status, page) = server.get("/v1/users?limit=100").await;
    assert_eq!(status, 200, "{page}");
    page["data"].as_array().unwrap().len()
}

async fn users_are_created_read_and_refused(backend: Backend) {
    let server = spawn(backend).await;
    let (status, user) = create(&server, "ext-1", "+821012345678").await;
    assert_eq!(status, 200, "{user}");
    let id = user["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("usr_") && id.len() <= 35, "{id}");
    assert_eq!((user["kyc_level"].as_str(), user["phone"].as_str()), (Some("none"), Some("+821012345678")));
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'), "{user}");
    let (status, read) = server.get(&format!("/v1/users/{id}")).await;
    assert_eq!((status, &read), (200, &user));

    for (body, param, code) in [
        (json!({"external_id": "ext-2", "phone": "01012345678"}), "phone", "invalid_phone"),
        (json!({"external_id": "ext-2", "phone": "+82 10 1234 5678"}), "phone", "invalid_phone"),
        (json!({"external_id": "", "phone": "+821012345678"}), "external_id", "invalid_external_id"),
        (json!({"external_id": "x".repeat(65), "phone": "+821012345678"}), "external_id", "invalid_external_id"),
        (json!({"external_id": "ext-2", "phone": "+821012345678", "name": ""}), "name", "invalid_name"),
        (json!({"external_id": "ext-2", "phone": "+821012345678", "role": "x"}), "role", "unknown_field"),
        (json!({"phone": "+821012345678"}), "external_id", "missing_field"),
        (json!({"external_id": 7, "phone": "+821012345678"}), "external_id", "invalid_type"),
    ] {
        let (status, error) = server.post("/v1/users", body.clone()).await;
        assert_eq!(status, 400, "{body} → {error}");
        assert_eq!((error["error"]["param"].as_str(), error["error"]["code"].as_str()), (Some(param), Some(code)));
    }
    let (status, error) = create(&server, "ext-1", "+821099999999").await;
    assert_eq!((status, error["error"]["code"].as_str()), (409, Some("user_exists")));
    assert_eq!(user_count(&server).await, 1, "refusals created nothing");

    let other = server.key_for(Role::Admin, true).await;
    let (status, _) = server.get_as(&other, &format!("/v1/users/{id}")).await;
    assert_eq!(status, 404, "another tenant's user does not exist for this key");
    let (_, page) = server.get_as(&other, "/v1/users").await;
    assert_eq!(page["data"], json!([]));
    let (status, _) = server.get("/v1/users/usr_nope").await;
    assert_eq!(status, 404);
    server.stop().await;
}
both_backends!(users_are_created_read_and_refused, super::users_are_created_read_and_refused);

async fn creating_a_user_is_idempotent(backend: Backend) {
    let server = spawn(backend).await;
    let body = json!({"external_id": "ext-9", "phone": "+14155550100"});
    let first = server.post_as(&server.key, "/v1/users", body.clone(), Some("create-9")).await;
    let again = server.post_as(&server.key, "/v1/users", body, Some("create-9")).await;
    assert_eq!(first.0, 200);
    assert_eq!(first, again, "the retry answers the first response");
    let changed = json!({"external_id": "ext-10", "phone": "+14155550100"});
    let (status, error) = server.post_as(&server.key, "/v1/users", changed, Some("create-9")).await;
    assert_eq!((status, error["error"]["code"].as_str()), (409, Some("idempotency_key_reused")));
    assert_eq!(user_count(&server).await, 1);
    server.stop().await;
}
both_backends!(creating_a_user_is_idempotent, super::creating_a_user_is_idempotent);

async fn users_list_in_cursor_pages(backend: Backend) {
    let server = spawn(backend).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (_, user) = create(&server, &format!("ext-{i}"), "+821012345678").await;
        ids.push(user["id"].as_str().unwrap().to_string());
    }
    let (_, page) = server.get("/v1/users?limit=2").await;
    let got: Vec<&str> = page["data"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!((got, page["has_more"].as_bool()), (vec![ids[0].as_str(), ids[1].as_str()], Some(true)));
    let (_, page) = server.get(&format!("/v1/users?limit=2&starting_after={}", ids[1])).await;
    assert_eq!(page["data"][0]["id"].as_str(), Some(ids[2].as_str()));
    let (_, page) = server.get(&format!("/v1/users?limit=2&starting_after={}", ids[3])).await;
    assert_eq!((page["data"].as_array().unwrap().len(), page["has_more"].as_bool()), (1, Some(false)));
    for bad in ["0", "101", "ten", "-1"] {
        let (status, error) = server.get(&format!("/v1/users?limit={bad}")).await;
        assert_eq!((status, error["error"]["param"].as_str()), (400, Some("limit")), "limit={bad}");
    }
    server.stop().await;
}
both_backends!(users_list_in_cursor_pages, super::users_list_in_cursor_pages);

async fn the_operator_records_kyc(backend: Backend) {
    let server = spawn(backend).await;
    let (_, user) = create(&server, "ext-1", "+821012345678").await;
    let path = format!("/v1/users/{}/kyc", user["id"].as_str().unwrap());
    let kyc =
        json!({"level": "verified", "legal_name": "김민수", "birth_date": "1990-04-01", "document_ref": "doc-77"});
    let (status, checked) = server.post(&path, kyc.clone()).await;
    assert_eq!(status, 200, "{checked}");
    assert_eq!((checked["kyc_level"].as_str(), checked["legal_name"].as_str()), (Some("verified"), Some("김민수")));

    for (field, value, code) in [
        ("level", json!("gold"), "invalid_kyc_level"),
        ("birth_date", json!("2999-01-01"), "invalid_birth_date"),
        ("birth_date", json!("1990-02-30"), "invalid_birth_date"),
        ("legal_name", json!(" "), "invalid_legal_name"),
        ("document_ref", json!(""), "invalid_document_ref"),
    ] {
        let mut body = kyc.clone();
        body[field] = value;
        let (status, error) = server.post(&path, body).await;
        assert_eq!(
            (status, error["error"]["code"].as_str(), error["error"]["param"].as_str()),
            (400, Some(code), Some(field))
        );
    }
    let (_, still) = server.get(&format!("/v1/users/{}", user["id"].as_str().unwrap())).await;
    assert_eq!(still, checked, "refusals changed nothing");
    let (status, _) = server.post("/v1/users/usr_nope/kyc", kyc.clone()).await;
    assert_eq!(status, 404);
    let readonly = server.key_for(Role::Readonly, false).await;
    let (status, _) = server.post_as(&readonly, &path, kyc.clone(), None).await;
    assert_eq!(status, 403);
    // Retried with its Idempotency-Key: the first answer; with another body under it: 409.
    let basic = json!({"level": "basic", "legal_name": "김민수", "birth_date": "1990-04-01", "document_ref": "doc-78"});
    let (s1, first) = server.post_as(&server.key, &path, basic.clone(), Some("kyc-2")).await;
    let (s2, again) = server.post_as(&server.key, &path, basic, Some("kyc-2")).await;
    assert_eq!((s1, s2, first["kyc_level"].as_str()), (200, 200, Some("basic")));
    assert_eq!(first, again);
    let (s3, reused) = server.post_as(&server.key, &path, kyc, Some("kyc-2")).await;
    assert_eq!((s3, reused["error"]["code"].as_str()), (409, Some("idempotency_key_reused")));
    let (_, now) = server.get(&format!("/v1/users/{}", user["id"].as_str().unwrap())).await;
    assert_eq!(now["kyc_level"], "basic", "the reused key changed nothing");
    server.stop().await;
}
both_backends!(the_operator_records_kyc, super::the_operator_records_kyc);

/// The recorded form of the actor a key acts as: `api_key:` and the key's id.
async fn actor_of(server: &TestServer, key: &str) -> String {
    let owner = tenants::find_key(server.store(), &tenants::hash_secret(key)).await.unwrap().expect("the key exists");
    assert!(owner.key_id.starts_with("key_"), "{}", owner.key_id);
    format!("api_key:{}", owner.key_id)
}

async fn every_kyc_check_is_listed_with_who_made_it(backend: Backend) {
    let server = spawn(backend).await;
    let (_, user) = create(&server, "ext-1", "+821012345678").await;
    let id = user["id"].as_str().unwrap();
    let (kyc, checks) = (format!("/v1/users/{id}/kyc"), format!("/v1/users/{id}/kyc-checks"));
    let (_, none) = server.get(&checks).await;
    assert_eq!((&none["data"], none["has_more"].as_bool()), (&json!([]), Some(false)), "no check yet");

    let second_admin = server.key_for(Role::Admin, false).await;
    let first = json!({"level": "basic", "legal_name": "김민수", "birth_date": "1990-04-01", "document_ref": "doc-1"});
    let second =
        json!({"level": "verified", "legal_name": "김 민수", "birth_date": "1990-04-01", "document_ref": "doc-2"});
    assert_eq!(server.post(&kyc, first).await.0, 200);
    // Refused and repeated requests add no check.
    let (status, _) = server
        .post(&kyc, json!({"level": "gold", "legal_name": "x", "birth_date": "1990-04-01", "document_ref": "d"}))
        .await;
    assert_eq!(status, 400);
    for _ in 0..2 {
        let (status, _) = server.post_as(&second_admin, &kyc, second.clone(), Some("kyc-2")).await;
        assert_eq!(status, 200);
    }

    let readonly = server.key_for(Role::Readonly, false).await;
    let (status, page) = server.get_as(&readonly, &checks).await;
    assert_eq!((status, page["has_more"].as_bool()), (200, Some(false)), "{page}");
    let listed = page["data"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{page}");
    let (first_actor, second_actor) = (actor_of(&server, &server.key).await, actor_of(&server, &second_admin).await);
    for (check, (level, name, document, actor)) in
        listed.iter().zip([("basic", "김민수", "doc-1", &first_actor), ("verified", "김 민수", "doc-2", &second_actor)])
    {
        assert!(check["id"].as_str().unwrap().starts_with("kyc_"), "{check}");
        assert_eq!(
            (check["level"].as_str(), check["legal_name"].as_str(), check["document_ref"].as_str()),
            (Some(level), Some(name), Some(document))
        );
        assert_eq!(check["actor"].as_str(), Some(actor.as_str()));
        assert!(check["created_at"].as_str().unwrap().ends_with('Z'), "{check}");
        assert!(check.get("birth_date").is_none(), "the birth date is not shown: {check}");
    }
    let (_, user) = server.get(&format!("/v1/users/{id}")).await;
    assert_eq!(
        (user["kyc_level"].as_str(), user["legal_name"].as_str()),
        (Some("verified"), Some("김 민수")),
        "the latest"
    );

    let (_, one) = server.get(&format!("{checks}?limit=1")).await;
    assert_eq!((one["data"][0]["id"].clone(), one["has_more"].as_bool()), (listed[0]["id"].clone(), Some(true)));
    let after = listed[0]["id"].as_str().unwrap();
    let (_, rest) = server.get(&format!("{checks}?limit=1&starting_after={after}")).await;
    assert_eq!((rest["data"].clone(), rest["has_more"].as_bool()), (json!([listed[1].clone()]), Some(false)));
    let (status, error) = server.get(&format!("{checks}?limit=0")).await;
    assert_eq!((status, error["error"]["param"].as_str()), (400, Some("limit")));

    let other = server.key_for(Role::Admin, true).await;
    let (status, error) = server.get_as(&other, &checks).await;
    assert_eq!((status, error["error"]["code"].as_str()), (404, Some("resource_missing")), "another tenant's user");
    let (status, _) = server.get("/v1/users/usr_nope/kyc-checks").await;
    assert_eq!(status, 404);
    let (status, _) = server.get_as("sk_not_a_key", &checks).await;
    assert_eq!(status, 401);
    server.stop().await;
}
both_backends!(every_kyc_check_is_listed_with_who_made_it, super::every_kyc_check_is_listed_with_who_made_it);
