//! The audit log as an auditor meets it, on both backends: every entry's proof checks out
//! against the signed checkpoint (with the tlog crate, and with an independent Python
//! implementation written from RFC 6962), consistency proofs between every size, the
//! published key, the error answers; then tampering with the stored rows, each named by the
//! real `smallchange audit verify`: an amount in a payment, a top-up or an entry, a deleted
//! entry, two entries swapped, a forged checkpoint, and (SQLite) a database rolled back to an
//! older copy, named against a checkpoint saved before.

mod support;

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use smallchange::store::{self, events, Db};
use smallchange::unit::Param;
use support::process::{cli, CliOutput};
use support::{spawn, spawn_with, Backend, TestServer};

both_backends!(every_proof_checks_out, super::every_proof_checks_out_on);
both_backends!(python_checks_the_proofs, super::python_checks_the_proofs_on);
both_backends!(tampering_is_named, super::tampering_is_named_on);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_back_database_is_named() {
    a_rolled_back_database_is_named_on(Backend::Sqlite).await
}

fn b64(text: &Value) -> Vec<u8> {
    STANDARD.decode(text.as_str().unwrap_or_else(|| panic!("not a string: {text}"))).expect("base64")
}

fn hash(text: &Value) -> tlog::Hash {
    b64(text).try_into().expect("32 bytes")
}

/// Ledger requests (one entry each), and a payment and a top-up (entries once every use case
/// records its event). Answers how many entries the tenant's tree should hold.
async fn make_entries(server: &TestServer, transfers: usize) -> u64 {
    server.open_accounts(&[("cash", &[]), ("shop", &[])]).await;
    for n in 0..transfers {
        assert_eq!(server.transfer(&format!("t{n}"), "cash", "shop", 100 + n as i64).await, "created");
    }
    let user = server.create_user(1).await;
    server.topup(&user, "bank_transfer", 50_000).await;
    let body = json!({"merchant": "shop-1", "amount": 1_200, "currency": "KRW", "description": "coffee"});
    let (status, payment) = server.post(&format!("/v1/users/{user}/payments"), body).await;
    assert_eq!(status, 200, "{payment}");
    entries(server.store(), &server.tenant).await.len() as u64
}

async fn entries(db: &Db, tenant: &str) -> Vec<events::Stored> {
    events::from_index(db, tenant, 0, 100_000).await.expect("the entries")
}

/// The latest checkpoint once it covers `size` entries.
async fn checkpoint_of(server: &TestServer, key: &str, size: u64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, latest) = server.get_as(key, "/v1/audit/checkpoints/latest").await;
        if status == 200 && latest["tree_size"].as_u64() >= Some(size) {
            return latest;
        }
        assert!(tokio::time::Instant::now() < deadline, "no checkpoint of {size} entries: {status} {latest}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn every_proof_checks_out_on(backend: Backend) {
    let server = spawn(backend).await;
    let (status, none) = server.get("/v1/audit/checkpoints/latest").await;
    assert_eq!((status, none["error"]["code"].as_str()), (404, Some("no_checkpoint")), "{none}");
    let size = make_entries(&server, 6).await;
    let latest = checkpoint_of(&server, &server.key, size).await;
    assert_eq!(latest["tree_size"], size);
    let root = hash(&latest["root_hash"]);

    // The key, with no API key, and the checkpoint it signed.
    let key: Value = server
        .client
        .get(format!("{}/.well-known/smallchange/audit-key", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((key["key_name"].as_str(), key["algorithm"].as_str()), (Some("smallchange"), Some("ed25519")), "{key}");
    let verifier =
        tlog::note::Verifier::from_verifier_key(key["verifier_key"].as_str().unwrap()).expect("a verifier key");
    let body = verifier.open(latest["checkpoint"].as_str().unwrap()).expect("the checkpoint is signed by the key");
    let checkpoint = tlog::note::Checkpoint::parse_body(&body).unwrap();
    assert_eq!(checkpoint, tlog::note::Checkpoint { origin: format!("smallchange/{}", server.tenant), size, root });
    let printed = cli(&["audit", "key", "--db", &server.db.url]).await;
    assert_eq!(printed.stdout.trim(), key["verifier_key"].as_str().unwrap(), "{printed:?}");

    // Every entry: its bytes give its leaf hash, its proof leads to the signed root.
    let mut leaves = Vec::new();
    for stored in entries(server.store(), &server.tenant).await {
        let (status, entry) = server.get(&format!("/v1/audit/entries/{}", stored.id)).await;
        assert_eq!(status, 200, "{entry}");
        let leaf = tlog::leaf_hash(&b64(&entry["entry"]));
        assert_eq!(leaf, hash(&entry["leaf_hash"]));
        assert_eq!((entry["index"].as_u64(), entry["kind"].as_str()), (Some(stored.index), Some(stored.kind.as_str())));
        let proof = &entry["proof"];
        assert_eq!((proof["tree_size"].as_u64(), hash(&proof["root_hash"])), (Some(size), root));
        let hashes: Vec<tlog::Hash> = proof["hashes"].as_array().unwrap().iter().map(hash).collect();
        assert!(tlog::verify_inclusion(&leaf, stored.index, size, &hashes, &root), "entry {}", stored.index);
        leaves.push(leaf);
    }
    assert_eq!(tlog::root_of(&leaves), root);

    // Consistency from every smaller tree.
    for from in 0..=size {
        let (status, answer) = server.get(&format!("/v1/audit/consistency?from={from}&to={size}")).await;
        assert_eq!(status, 200, "{answer}");
        let hashes: Vec<tlog::Hash> = answer["hashes"].as_array().unwrap().iter().map(hash).collect();
        let old_root = tlog::root_of(&leaves[..from as usize]);
        assert!(tlog::verify_consistency(from, size, &old_root, &root, &hashes), "from {from}");
    }

    // What is refused, and how.
    let refused = [
        ("/v1/audit/consistency?from=x&to=2", 400, "invalid_size"),
        ("/v1/audit/consistency?from=1", 400, "invalid_size"),
        ("/v1/audit/consistency?from=3&to=2", 400, "size_out_of_range"),
        (&format!("/v1/audit/consistency?from=1&to={}", size + 1), 400, "size_out_of_range"),
        ("/v1/audit/entries/evt_nothing", 404, "resource_missing"),
    ];
    for (path, status, code) in refused {
        let (got, answer) = server.get(path).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{path}: {answer}");
    }
    let other = server.key_for(smallchange::store::tenants::Role::Readonly, true).await;
    let (status, answer) = server.get_as(&other, "/v1/audit/checkpoints/latest").await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("no_checkpoint")),
        "another tenant's log is its own"
    );
    let first = &entries(server.store(), &server.tenant).await[0].id;
    let (status, _) = server.get_as(&other, &format!("/v1/audit/entries/{first}")).await;
    assert_eq!(status, 404, "another tenant's entry is not found");

    // The last batch before a stop is signed at shutdown.
    assert_eq!(server.transfer("last", "cash", "shop", 1).await, "created");
    let (db_url, tenant) = (server.db.url.clone(), server.tenant.clone());
    let db = server.stop_keeping_db().await;
    let opened = support::open(&db).await;
    let last = store::audit::latest_checkpoint(&opened, &tenant).await.unwrap().expect("a checkpoint");
    assert_eq!(last.size, size + 1, "the shutdown signs what the last batch added");
    opened.close().await;
    let verified = cli(&["audit", "verify", "--db", &db_url]).await;
    assert!(verified.success, "{verified:?}");
    assert!(verified.stdout.contains(&format!("{} entries", size + 1)), "{verified:?}");
    drop(db);
}

async fn python_checks_the_proofs_on(backend: Backend) {
    let server = spawn(backend).await;
    let size = make_entries(&server, 9).await;
    checkpoint_of(&server, &server.key, size).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/audit/check_proofs.py");
    let ids: Vec<String> = entries(server.store(), &server.tenant).await.into_iter().map(|e| e.id).collect();
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .arg(&server.base)
        .arg(&server.key)
        .args(&ids)
        .output()
        .await
        .expect("python3 runs");
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{said}");
    assert!(said.contains(&format!("checkpoint of {size} entries")), "{said}");
    server.stop().await;
}

/// A server's database with entries under a checkpoint, the server stopped.
async fn stopped_with_entries(backend: Backend) -> (support::TestDb, String, Vec<events::Stored>) {
    let server = spawn(backend).await;
    let size = make_entries(&server, 20).await;
    checkpoint_of(&server, &server.key, size).await;
    let tenant = server.tenant.clone();
    let db = server.stop_keeping_db().await;
    let opened = support::open(&db).await;
    let stored = entries(&opened, &tenant).await;
    opened.close().await;
    (db, tenant, stored)
}

async fn sql(db: &Db, statement: &str, params: &[Param]) -> u64 {
    let mut tx = db.begin().await.expect("a transaction");
    let changed = store::execute(&mut tx, statement, params).await.unwrap_or_else(|e| panic!("{statement}: {e:#}"));
    tx.commit().await.expect("commit");
    changed
}

/// Runs `audit verify`, which must fail saying each of `named`.
async fn assert_named(db_url: &str, extra: &[&str], named: &[&str]) -> CliOutput {
    let mut args = vec!["audit", "verify", "--db", db_url];
    args.extend_from_slice(extra);
    let output = cli(&args).await;
    assert!(!output.success, "audit verify passed: {output:?}");
    for name in named {
        assert!(output.stdout.contains(name), "{name:?} not named: {output:?}");
    }
    output
}

async fn assert_passes(db_url: &str) {
    let output = cli(&["audit", "verify", "--db", db_url]).await;
    assert!(output.success, "audit verify failed: {output:?}");
}

async fn tampering_is_named_on(backend: Backend) {
    let (test_db, tenant, stored) = stopped_with_entries(backend).await;
    let url = test_db.url.clone();
    let db = support::open(&test_db).await;
    assert_passes(&url).await;
    let text = |s: &str| Param::Text(s.to_string());

    // An amount in a payment row, then in a top-up row.
    for (kind, table) in [("payment.made", "payments"), ("topup.received", "topups")] {
        let entry = stored.iter().find(|e| e.kind == kind).unwrap_or_else(|| panic!("no {kind} entry"));
        let bump = format!("UPDATE {table} SET amount = amount + 1 WHERE id = $1");
        assert_eq!(sql(&db, &bump, &[text(&entry.subject)]).await, 1);
        assert_named(&url, &[], &[&format!("index {}, id {}", entry.index, entry.id), &entry.subject]).await;
        sql(&db, &format!("UPDATE {table} SET amount = amount - 1 WHERE id = $1"), &[text(&entry.subject)]).await;
    }
    assert_passes(&url).await;

    // An amount in an entry's own data.
    let entry = stored.iter().find(|e| e.kind == "ledger.transfers_created").expect("a ledger entry");
    let edited = entry.data.replacen("\"amount\":1", "\"amount\":9", 1);
    assert_ne!(edited, entry.data);
    sql(&db, "UPDATE events SET data = $1 WHERE id = $2", &[text(&edited), text(&entry.id)]).await;
    assert_named(&url, &[], &[&format!("index {}, id {}", entry.index, entry.id), "changed"]).await;
    sql(&db, "UPDATE events SET data = $1 WHERE id = $2", &[text(&entry.data), text(&entry.id)]).await;

    // A deleted entry: the gap is named.
    let gone = &stored[5];
    sql(&db, "DELETE FROM events WHERE id = $1", &[text(&gone.id)]).await;
    assert_named(&url, &[], &["index 5", "missing"]).await;
    let insert = "INSERT INTO events (tenant_id, idx, id, kind, subject, actor, at, data, leaf_hash) \
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let row = |e: &events::Stored| {
        vec![
            text(&e.tenant_id),
            Param::Int(e.index as i64),
            text(&e.id),
            text(&e.kind),
            text(&e.subject),
            text(&e.actor),
            Param::Int(e.at),
            text(&e.data),
            text(&e.leaf_hash),
        ]
    };
    sql(&db, insert, &row(gone)).await;
    assert_passes(&url).await;

    // Two entries swapped: the first of them is named.
    let (a, b) = (&stored[3], &stored[7]);
    let move_to = "UPDATE events SET idx = $1 WHERE id = $2";
    sql(&db, move_to, &[Param::Int(-1), text(&a.id)]).await;
    sql(&db, move_to, &[Param::Int(3), text(&b.id)]).await;
    sql(&db, move_to, &[Param::Int(7), text(&a.id)]).await;
    assert_named(&url, &[], &[&format!("index 3, id {}", b.id)]).await;
    sql(&db, move_to, &[Param::Int(-1), text(&a.id)]).await;
    sql(&db, move_to, &[Param::Int(7), text(&b.id)]).await;
    sql(&db, move_to, &[Param::Int(3), text(&a.id)]).await;
    assert_passes(&url).await;

    // A forged checkpoint: another root, the signature kept.
    let checkpoint = store::audit::latest_checkpoint(&db, &tenant).await.unwrap().expect("a checkpoint");
    let old_root = STANDARD.encode(hex::decode(&checkpoint.root_hash).unwrap());
    let forged_root = [7u8; 32];
    let forged_note = checkpoint.note.replace(&old_root, &STANDARD.encode(forged_root));
    assert_ne!(forged_note, checkpoint.note);
    let forge = "UPDATE audit_checkpoints SET root_hash = $1, note = $2 WHERE tenant_id = $3 AND size = $4";
    let size = Param::Int(checkpoint.size as i64);
    sql(&db, forge, &[text(&hex::encode(forged_root)), text(&forged_note), text(&tenant), size.clone()]).await;
    assert_named(&url, &[], &[&format!("checkpoint of size {}", checkpoint.size), "signature"]).await;
    let restore = [text(&checkpoint.root_hash), text(&checkpoint.note), text(&tenant), size];
    sql(&db, forge, &restore).await;
    assert_passes(&url).await;

    // An entry rewritten with its stored leaf hash: the checkpoints bound it.
    let first = stored.iter().find(|e| e.kind == "ledger.accounts_created").expect("an accounts entry");
    let mut rewritten = first.clone();
    rewritten.data = first.data.replace("cash", "cask");
    assert_ne!(rewritten.data, first.data);
    let leaf = smallchange::services::audit::entry_of(&rewritten).leaf_hash();
    let rewrite = "UPDATE events SET data = $1, leaf_hash = $2 WHERE id = $3";
    sql(&db, rewrite, &[text(&rewritten.data), text(&hex::encode(leaf)), text(&first.id)]).await;
    assert_named(&url, &[], &["between index 0 and "]).await;
    sql(&db, rewrite, &[text(&first.data), text(&first.leaf_hash), text(&first.id)]).await;
    assert_passes(&url).await;
    db.close().await;
}

/// Copies the SQLite database (with its WAL) to `to`, or back.
fn copy_sqlite(from: &str, to: &str) {
    for suffix in ["", "-wal", "-shm"] {
        let source = format!("{from}{suffix}");
        let target = format!("{to}{suffix}");
        if std::path::Path::new(&source).exists() {
            std::fs::copy(&source, &target).expect("copying the database");
        } else {
            let _ = std::fs::remove_file(&target);
        }
    }
}

async fn a_rolled_back_database_is_named_on(backend: Backend) {
    let server = spawn(backend).await;
    let size = make_entries(&server, 3).await;
    checkpoint_of(&server, &server.key, size).await;
    let (key, tenant) = (server.key.clone(), server.tenant.clone());
    let test_db = server.stop_keeping_db().await;
    let path = test_db.url.strip_prefix("sqlite://").expect("a SQLite file").to_string();
    let copy = format!("{path}.copy");
    copy_sqlite(&path, &copy);

    // Later entries, and a checkpoint of them saved by an auditor.
    let server = spawn_with(test_db, |_| {}).await;
    for n in 0..4 {
        let body = json!({"transfers": [{"id": format!("late{n}"), "debit_account": "cash", "credit_account": "shop",
            "amount": 10, "currency": "KRW", "code": 1}]});
        let (status, answer) = server.post_as(&key, "/v1/ledger/transfers", body, None).await;
        assert_eq!(status, 200, "{answer}");
    }
    let saved = checkpoint_of(&server, &key, size + 4).await;
    let saved_path = format!("{path}.checkpoint");
    std::fs::write(&saved_path, saved["checkpoint"].as_str().unwrap()).unwrap();
    let test_db = server.stop_keeping_db().await;
    let url = test_db.url.clone();
    let passed = cli(&["audit", "verify", "--db", &url, "--checkpoint", &saved_path]).await;
    assert!(passed.success && passed.stdout.contains("extends the saved checkpoint"), "{passed:?}");

    // The old copy back: the saved checkpoint names it.
    copy_sqlite(&copy, &path);
    assert_passes(&url).await;
    let output = assert_named(&url, &["--checkpoint", &saved_path], &[&tenant, "rolled back"]).await;
    assert!(output.stdout.contains(&format!("{size} entries")), "{output:?}");
}

/// A confirmed cash-out on the sandbox rail, moved on to `in_transit`; its id.
async fn cash_out(server: &TestServer) -> String {
    use totp_rs::{Algorithm, Secret, TOTP};
    let user = server.create_user(7).await;
    let kyc = json!({"level": "verified", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    assert_eq!(server.post(&format!("/v1/users/{user}/kyc"), kyc).await.0, 200);
    let bank =
        json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-7890", "holder_name": "김민지"});
    let (_, destination) = server.post(&format!("/v1/users/{user}/payout-destinations"), bank).await;
    let (_, enrolled) = server.post(&format!("/v1/users/{user}/totp"), json!({})).await;
    let bytes = Secret::Encoded(enrolled["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 0, 30, bytes, None, "user".into()).unwrap();
    server.topup(&user, "bank_transfer", 50_000).await;
    let body = json!({"amount": 20_000, "currency": "KRW", "destination_id": destination["id"]});
    let (status, quote) = server.post(&format!("/v1/users/{user}/cashout-quotes"), body).await;
    assert_eq!(status, 200, "{quote}");
    let (_, cashout) = server.post("/v1/cashouts", json!({"quote_id": quote["id"]})).await;
    let id = cashout["id"].as_str().unwrap().to_string();
    let otp = totp.generate_current().unwrap();
    let (status, confirmed) = server.post(&format!("/v1/cashouts/{id}/confirm"), json!({"otp": otp})).await;
    assert_eq!(status, 200, "{confirmed}");
    server.wait_for_cashout(&id, "in_transit").await;
    id
}

both_backends!(a_cash_out_and_its_receipt_carry_their_entry, super::a_cash_out_and_its_receipt_carry_their_entry_on);

async fn a_cash_out_and_its_receipt_carry_their_entry_on(backend: Backend) {
    let adjust = |s: &mut smallchange::config::Settings| {
        s.cashout_poll_ms = 20;
        s.cashout.rails.bank_account = "sandbox".into();
        s.cashout.risk.review_new_destination = false;
        s.cashout.sandbox_settle_s = 3_600;
    };
    let server = spawn_with(support::fresh_db(backend).await, adjust).await;
    let id = cash_out(&server).await;
    let (_, cashout) = server.get(&format!("/v1/cashouts/{id}")).await;
    let entry_id =
        cashout["audit"]["entry_id"].as_str().unwrap_or_else(|| panic!("no audit entry: {cashout}")).to_string();
    assert_eq!(cashout["audit"]["proof_url"], format!("/v1/audit/entries/{entry_id}"));
    let (status, entry) = server.get(&format!("/v1/audit/entries/{entry_id}")).await;
    assert_eq!(status, 200, "{entry}");
    assert_eq!(entry["subject"], id.as_str());
    assert!(entry["kind"].as_str().unwrap().starts_with("cashout."), "{entry}");
    let latest = checkpoint_of(&server, &server.key, entry["index"].as_u64().unwrap() + 1).await;

    let (status, receipt) = server.get(&format!("/v1/cashouts/{id}/receipt")).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(receipt["audit"]["entry_id"], entry_id.as_str());
    let url = receipt["url"].as_str().unwrap();
    let path = &url[url.find("/receipts/").expect("a receipt path")..];
    for (language, words) in [("ko", "감사 기록 증명"), ("en", "Audit proof")] {
        let page = reqwest::get(format!("{}{path}&lang={language}", server.base)).await.unwrap().text().await.unwrap();
        assert!(page.contains(words) && page.contains(&entry_id), "{page}");
        let origin = format!("smallchange/{}", server.tenant);
        assert!(page.contains(&origin) && page.contains("— smallchange "), "the signed checkpoint is shown: {page}");
        let (_, entry) = server.get(&format!("/v1/audit/entries/{entry_id}")).await;
        for hash in entry["proof"]["hashes"].as_array().unwrap() {
            assert!(page.contains(hash.as_str().unwrap()), "{hash} is not shown: {page}");
        }
    }
    drop(latest);
    server.stop().await;
}

/// The storage figure in docs/AUDIT.md: `cargo test --test audit storage_per_entry --
/// --ignored --nocapture` makes 20,000 ledger requests (one entry each) on SQLite and prints
/// the bytes per entry of the log's tables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn storage_per_entry() {
    const REQUESTS: usize = 20_000;
    const CLIENTS: usize = 64;
    let server = std::sync::Arc::new(spawn(Backend::Sqlite).await);
    server.open_accounts(&[("cash", &[]), ("shop", &[])]).await;
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let server = server.clone();
        clients.push(tokio::spawn(async move {
            for n in (client..REQUESTS).step_by(CLIENTS) {
                server.transfer(&format!("s{n}"), "cash", "shop", 1 + n as i64).await;
            }
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    let entries = entries(server.store(), &server.tenant).await.len() as i64;
    let sizes = store::audit::sqlite_bytes(server.store()).await.expect("SQLite with dbstat");
    let total: i64 = sizes.iter().map(|(_, bytes)| bytes).sum();
    for (name, bytes) in &sizes {
        println!("{name}: {bytes} bytes, {:.1} per entry", *bytes as f64 / entries as f64);
    }
    println!("{entries} entries: {total} bytes, {:.1} bytes per entry", total as f64 / entries as f64);
}

both_backends!(
    a_rotated_key_leaves_old_checkpoints_verifying,
    super::a_rotated_key_leaves_old_checkpoints_verifying_on
);

async fn a_rotated_key_leaves_old_checkpoints_verifying_on(backend: Backend) {
    let server = spawn(backend).await;
    let size = make_entries(&server, 2).await;
    let before = checkpoint_of(&server, &server.key, size).await;
    let well_known = format!("{}/.well-known/smallchange/audit-key", server.base);
    let old: Value = server.client.get(&well_known).send().await.unwrap().json().await.unwrap();

    let mut rotate = tokio::process::Command::new(support::process::BIN);
    rotate.args(["audit", "rotate-key", "--db", &server.db.url]).env("RUST_LOG", "warn");
    if let Some(key) = support::encryption_key(&server.db.url) {
        rotate.env("SMALLCHANGE_ENCRYPTION_KEY", key);
    }
    let rotated = rotate.output().await.expect("the binary runs");
    assert!(rotated.status.success(), "{rotated:?}");
    let new_key = String::from_utf8_lossy(&rotated.stdout).trim().to_string();
    assert_ne!(new_key, old["verifier_key"].as_str().unwrap());
    let now: Value = server.client.get(&well_known).send().await.unwrap().json().await.unwrap();
    assert_eq!(now["verifier_key"].as_str(), Some(new_key.as_str()));

    assert_eq!(server.transfer("after-rotation", "cash", "shop", 5).await, "created");
    let after = checkpoint_of(&server, &server.key, size + 1).await;
    let old_verifier = tlog::note::Verifier::from_verifier_key(old["verifier_key"].as_str().unwrap()).unwrap();
    let new_verifier = tlog::note::Verifier::from_verifier_key(&new_key).unwrap();
    assert!(new_verifier.open(after["checkpoint"].as_str().unwrap()).is_ok(), "signed by the new key");
    assert!(old_verifier.open(after["checkpoint"].as_str().unwrap()).is_err(), "not by the retired one");
    assert!(old_verifier.open(before["checkpoint"].as_str().unwrap()).is_ok());
    let url = server.db.url.clone();
    let db = server.stop_keeping_db().await;
    assert_passes(&url).await;
    drop(db);
}
