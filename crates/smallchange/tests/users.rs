//! `/v1/users`: creation with E.164 phones and idempotency, reads scoped to the tenant,
//! cursor pages, and the operator's KYC record; every refusal changes nothing.

mod support;

use serde_json::{json, Value};
use smallchange::store::tenants::Role;
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
