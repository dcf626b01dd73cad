//! `POST /v1/users/{id}/totp`: the secret is answered once, works in an authenticator,
//! is stored sealed, is never replaced, and replays only to a retry with its
//! `Idempotency-Key`. And the encryption key that seals it must be there and well formed
//! for the server to start.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;
use smallchange::crypto::Secrets;
use smallchange::store::tenants::Role;
use smallchange::store::totp::verify_code;
use support::{fresh_db, spawn, test_settings, Backend, TestServer};
use totp_rs::{Algorithm, Secret, TOTP};

async fn new_user(server: &TestServer, external_id: &str) -> String {
    let (status, user) = server.post("/v1/users", json!({"external_id": external_id, "phone": "+821012345678"})).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["totp_enrolled"], false, "{user}");
    user["id"].as_str().unwrap().to_string()
}

/// The key the server seals with, loaded the way the server loads it.
fn secrets(server: &TestServer) -> Secrets {
    Secrets::load(&test_settings(&server.db)).expect("the test key loads")
}

fn now_s() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// What an authenticator app would make of the base32 secret.
fn authenticator(secret: &str) -> TOTP {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().expect("base32");
    TOTP::new(Algorithm::SHA1, 6, 0, 30, bytes, None, "user".into()).expect("an RFC 6238 secret")
}

/// A code that is none of the three `verify_code` accepts at `now`.
fn wrong_code(totp: &TOTP, now: u64) -> String {
    let current = [now - 30, now, now + 30].map(|t| totp.generate(t));
    (0..).map(|n: u32| format!("{n:06}")).find(|c| !current.contains(c)).unwrap()
}

async fn verifies(server: &TestServer, user_id: &str, code: &str, now: u64) -> bool {
    verify_code(server.store(), &secrets(server), &server.tenant, user_id, code, now).await.expect("verify_code runs")
}

async fn stored_secret(server: &TestServer, user_id: &str) -> Option<String> {
    let (sealed,): (Option<String>,) = smallchange::on_db!(server.store(), |pool, _d| {
        sqlx::query_as("SELECT totp_secret FROM users WHERE id = $1").bind(user_id).fetch_one(pool).await.unwrap()
    });
    sealed
}

async fn enrolment_gives_a_working_secret(backend: Backend) {
    let server = spawn(backend).await;
    let id = new_user(&server, "u1").await;
    let (status, answer) = server.post(&format!("/v1/users/{id}/totp"), json!({})).await;
    assert_eq!(status, 200, "{answer}");
    let secret = answer["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32: {secret}");
    assert!(secret.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)), "{secret}");

    let uri = answer["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/test:%2B821012345678?"), "issuer = tenant name, account = phone: {uri}");
    let query: Vec<&str> = uri.split_once('?').unwrap().1.split('&').collect();
    for param in [format!("secret={secret}"), "issuer=test".into(), "algorithm=SHA1".into(), "digits=6".into()] {
        assert!(query.contains(&param.as_str()), "{param} in {uri}");
    }
    assert!(query.contains(&"period=30"), "{uri}");
    let parsed = TOTP::from_url(uri).expect("a valid otpauth URI");
    assert_eq!((parsed.algorithm, parsed.digits, parsed.step), (Algorithm::SHA1, 6, 30));
    assert_eq!(parsed.get_secret_base32(), secret);
    assert_eq!((parsed.issuer.as_deref(), parsed.account_name.as_str()), (Some("test"), "+821012345678"));

    let (_, user) = server.get(&format!("/v1/users/{id}")).await;
    assert_eq!(user["totp_enrolled"], true, "{user}");

    let (app, now) = (authenticator(secret), now_s());
    assert!(verifies(&server, &id, &app.generate(now), now).await, "the current code");
    assert!(verifies(&server, &id, &app.generate(now - 30), now).await, "the code of the step before");
    assert!(!verifies(&server, &id, &wrong_code(&app, now), now).await, "a wrong code");
    assert!(!verifies(&server, &id, &app.generate(now - 600), now).await, "a code from ten minutes ago");
    assert!(!verifies(&server, &id, "12345", now).await, "too short");
    let other = new_user(&server, "u2").await;
    assert!(!verifies(&server, &other, &app.generate(now), now).await, "a user who is not enrolled");
    assert!(!verifies(&server, "usr_nope", &app.generate(now), now).await, "no such user");
    let elsewhere =
        verify_code(server.store(), &secrets(&server), "ten_other", &id, &app.generate(now), now).await.unwrap();
    assert!(!elsewhere, "another tenant's user");
    server.stop().await;
}
both_backends!(enrolment_gives_a_working_secret, super::enrolment_gives_a_working_secret);

async fn the_secret_is_stored_sealed(backend: Backend) {
    let server = spawn(backend).await;
    let id = new_user(&server, "u1").await;
    let (_, answer) = server.post_as(&server.key, &format!("/v1/users/{id}/totp"), json!({}), Some("enrol-1")).await;
    let secret = answer["secret"].as_str().unwrap();
    let sealed = stored_secret(&server, &id).await.expect("a stored secret");
    let raw = Secret::Encoded(secret.to_string()).to_bytes().unwrap();
    assert!(sealed.starts_with("v1:") && !sealed.contains(secret) && !sealed.contains(&hex::encode(&raw)), "{sealed}");
    assert_eq!(secrets(&server).open(&sealed).unwrap(), raw, "it opens with the server key");
    assert!(Secrets::from_key([0; 32]).open(&sealed).is_err(), "and with no other");

    let (body,): (String,) = smallchange::on_db!(server.store(), |pool, _d| {
        sqlx::query_as("SELECT body FROM idempotency_keys").fetch_one(pool).await.unwrap()
    });
    assert!(body.starts_with("v1:") && !body.contains(secret), "the idempotency copy is sealed too: {body}");
    server.stop().await;
}
both_backends!(the_secret_is_stored_sealed, super::the_secret_is_stored_sealed);

async fn enrolment_happens_once(backend: Backend) {
    let server = spawn(backend).await;
    let id = new_user(&server, "u1").await;
    let path = format!("/v1/users/{id}/totp");
    let (status, first) = server.post(&path, json!({})).await;
    assert_eq!(status, 200, "{first}");
    let sealed = stored_secret(&server, &id).await;

    let (status, error) = server.post(&path, json!({})).await;
    assert_eq!((status, error["error"]["code"].as_str()), (409, Some("invalid_state")), "{error}");
    assert!(!error.to_string().contains(first["secret"].as_str().unwrap()));
    assert_eq!(stored_secret(&server, &id).await, sealed, "the secret is unchanged");
    let now = now_s();
    let code = authenticator(first["secret"].as_str().unwrap()).generate(now);
    assert!(verifies(&server, &id, &code, now).await, "the first secret's codes still verify");

    let (status, error) = server.post("/v1/users/usr_nope/totp", json!({})).await;
    assert_eq!((status, error["error"]["code"].as_str()), (404, Some("resource_missing")), "{error}");
    let fresh = new_user(&server, "u2").await;
    let fresh_path = format!("/v1/users/{fresh}/totp");
    let (status, error) = server.post(&fresh_path, json!({"secret": "mine"})).await;
    assert_eq!((status, error["error"]["code"].as_str()), (400, Some("unknown_field")), "{error}");
    let readonly = server.key_for(Role::Readonly, false).await;
    let (status, _) = server.post_as(&readonly, &fresh_path, json!({}), None).await;
    assert_eq!(status, 403);
    let other = server.key_for(Role::Admin, true).await;
    let (status, _) = server.post_as(&other, &fresh_path, json!({}), None).await;
    assert_eq!(status, 404, "another tenant's user does not exist for this key");
    assert_eq!(stored_secret(&server, &fresh).await, None, "refusals stored nothing");
    server.stop().await;
}
both_backends!(enrolment_happens_once, super::enrolment_happens_once);

async fn a_retry_with_the_key_gets_the_same_secret(backend: Backend) {
    let server = spawn(backend).await;
    let id = new_user(&server, "u1").await;
    let path = format!("/v1/users/{id}/totp");
    let first = server.post_as(&server.key, &path, json!({}), Some("enrol-1")).await;
    assert_eq!(first.0, 200, "{}", first.1);
    let again = server.post_as(&server.key, &path, json!({}), Some("enrol-1")).await;
    assert_eq!(first, again, "the retry answers the first response, secret included");

    let other = new_user(&server, "u2").await;
    let (status, error) =
        server.post_as(&server.key, &format!("/v1/users/{other}/totp"), json!({}), Some("enrol-1")).await;
    assert_eq!((status, error["error"]["code"].as_str()), (409, Some("idempotency_key_reused")), "{error}");
    let (_, user) = server.get(&format!("/v1/users/{other}")).await;
    assert_eq!(user["totp_enrolled"], false);
    let (status, error) = server.post_as(&server.key, &path, json!({}), Some("enrol-2")).await;
    assert_eq!((status, error["error"]["code"].as_str()), (409, Some("invalid_state")), "a new key is a new request");
    server.stop().await;
}
both_backends!(a_retry_with_the_key_gets_the_same_secret, super::a_retry_with_the_key_gets_the_same_secret);

/// Starts a server with this `encryption_key` and stops it again; the start-up error if
/// it did not start.
async fn start_error(db: &support::TestDb, encryption_key: &str) -> Option<String> {
    let settings = smallchange::config::Settings { encryption_key: encryption_key.into(), ..test_settings(db) };
    match smallchange::app::start(settings).await {
        Ok(running) => {
            running.stop().await.expect("a clean stop");
            None
        }
        Err(error) => Some(format!("{error:#}")),
    }
}

async fn start_up_needs_a_well_formed_key(backend: Backend) {
    let db = fresh_db(backend).await;
    for bad in ["abc".to_string(), "g".repeat(64), "ab".repeat(33)] {
        let error = start_error(&db, &bad).await.expect("a malformed key stops start-up");
        assert!(error.contains("encryption_key is malformed") && error.contains("64 hexadecimal"), "{error}");
        assert!(!error.contains(&bad), "the key is never repeated: {error}");
    }
    let without = start_error(&db, "").await;
    match backend {
        Backend::Postgres => {
            let error = without.expect("PostgreSQL refuses to start without a key");
            assert!(error.contains("SMALLCHANGE_ENCRYPTION_KEY"), "{error}");
        }
        Backend::Sqlite => {
            assert_eq!(without, None, "SQLite starts and makes a key file beside the database");
            let path = db.url.strip_prefix("sqlite://").unwrap();
            let key = std::fs::read_to_string(format!("{path}.key")).expect("a key file beside the database");
            assert_eq!(key.len(), 64, "hex of 32 bytes");
        }
    }
}
both_backends!(start_up_needs_a_well_formed_key, super::start_up_needs_a_well_formed_key);
