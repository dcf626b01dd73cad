//! The command line as a person meets it: the real binary against fresh databases. Help on
//! every command, what `migrate` says, `tenants list` and `keys list`, revoking a key a
//! running server uses, `bench` refusing a database that holds data, `serve --demo`
//! reusing its seed, and how failures are written.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use smallchange::store::{contents, Db};
use support::process::{cli, create_tenant_and_key, CliOutput, BIN};
use support::{fresh_db, Backend, TestDb};

/// The migrations the binary ships for `backend`, from the source tree: how many, and the
/// first and last version (some exist on one backend only).
fn migrations(backend: Backend) -> (usize, String, String) {
    let folder = if backend == Backend::Sqlite { "sqlite" } else { "postgres" };
    let dir = format!("{}/migrations/{folder}", env!("CARGO_MANIFEST_DIR"));
    let mut versions: Vec<String> = std::fs::read_dir(dir)
        .expect("the migrations folder")
        .map(|entry| entry.unwrap().file_name().to_string_lossy()[..4].to_string())
        .collect();
    versions.sort();
    (versions.len(), versions[0].clone(), versions.last().unwrap().clone())
}

fn assert_failed_with(output: &CliOutput, error: &str, hint: &str) {
    assert_eq!(output.code, Some(1), "{output:?}");
    let lines: Vec<&str> = output.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.iter().any(|l| l.starts_with("error: ") && l.contains(error)), "no `error: …{error}…`: {output:?}");
    assert!(lines.iter().any(|l| l.starts_with("  hint: ") && l.contains(hint)), "no `  hint: …{hint}…`: {output:?}");
    for internal in ["Error {", "Some(", "sqlx", "anyhow", "panicked"] {
        assert!(!output.stderr.contains(internal), "internal wording {internal:?} reached the user: {output:?}");
    }
}

#[tokio::test]
async fn every_command_answers_help() {
    let commands: &[&[&str]] = &[
        &[],
        &["serve"],
        &["migrate"],
        &["tenants"],
        &["tenants", "create"],
        &["tenants", "list"],
        &["keys"],
        &["keys", "create"],
        &["keys", "list"],
        &["keys", "revoke"],
        &["verify"],
        &["audit"],
        &["audit", "verify"],
        &["audit", "key"],
        &["audit", "rotate-key"],
        &["bench"],
        &["bench", "ledger"],
        &["bench", "plain"],
        &["bench", "http"],
        &["bench", "cashout"],
        &["bench", "wallet"],
    ];
    for command in commands {
        let args: Vec<&str> = command.iter().copied().chain(["--help"]).collect();
        let output = cli(&args).await;
        assert!(output.success && output.stdout.contains("Usage:"), "{args:?}: {output:?}");
    }
    let create = cli(&["keys", "create", "--help"]).await.stdout;
    for role in ["admin     everything", "reviewer  the review queue", "readonly  reads only"] {
        assert!(create.contains(role), "keys create --help does not explain {role:?}:\n{create}");
    }
    assert!(cli(&["keys", "revoke", "--help"]).await.stdout.contains("within about a second"));
    assert!(cli(&["keys", "list", "--help"]).await.stdout.contains("about once a minute"));
}

both_backends!(migrate_says_what_it_applied, super::migrate_says_what_it_applied_on);

async fn migrate_says_what_it_applied_on(backend: Backend) {
    let db = fresh_db(backend).await;
    let (total, first_version, last_version) = migrations(backend);
    let first = cli(&["migrate", "--db", &db.url]).await;
    assert!(first.success, "{first:?}");
    assert_eq!(first.stdout.trim(), format!("applied {total} migrations ({first_version}…{last_version})"));
    let again = cli(&["migrate", "--db", &db.url]).await;
    assert_eq!(again.stdout.trim(), format!("database is up to date ({total} migrations)"), "{again:?}");
}

both_backends!(tenants_and_keys_are_listed_without_secrets, super::tenants_and_keys_are_listed_without_secrets_on);

async fn tenants_and_keys_are_listed_without_secrets_on(backend: Backend) {
    let db = fresh_db(backend).await;
    assert!(cli(&["migrate", "--db", &db.url]).await.success);
    let empty = cli(&["tenants", "list", "--db", &db.url]).await;
    assert!(empty.success && empty.stdout.contains(&format!("no tenants yet in {}", db.url)), "{empty:?}");
    let (shop, admin_key) = create_tenant_and_key(&db.url).await;
    let other = cli(&["tenants", "create", "김밥천국", "--db", &db.url]).await.stdout.trim().to_string();
    let reader = cli(&["keys", "create", "--tenant", &other, "--role", "readonly", "--db", &db.url]).await;
    let reader_key = reader.stdout.trim().to_string();

    let tenants = cli(&["tenants", "list", "--db", &db.url]).await;
    assert!(tenants.success, "{tenants:?}");
    let lines: Vec<&str> = tenants.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two tenants: {tenants:?}");
    assert!(lines[0].starts_with("ID") && lines[0].contains("NAME") && lines[0].contains("CREATED"));
    assert!(lines[1].starts_with(&shop) && lines[1].contains(" test ") && lines[1].ends_with(" UTC"), "{lines:?}");
    assert!(lines[2].starts_with(&other) && lines[2].contains("김밥천국"), "{lines:?}");

    let keys = cli(&["keys", "list", "--db", &db.url]).await;
    assert!(keys.success, "{keys:?}");
    for (secret, tenant, role) in [(&admin_key, &shop, "admin"), (&reader_key, &other, "readonly")] {
        assert!(!keys.stdout.contains(secret.as_str()), "a secret was shown: {keys:?}");
        let prefix = format!("{}…", &secret[..9]);
        let line = keys.stdout.lines().find(|l| l.contains(&prefix)).unwrap_or_else(|| panic!("{prefix}: {keys:?}"));
        assert!(line.starts_with("key_") && line.contains(role) && line.contains(tenant.as_str()), "{line}");
        assert!(line.contains("never"), "not used yet: {line}");
    }
    let one = cli(&["keys", "list", "--tenant", &other, "--db", &db.url]).await;
    assert_eq!(one.stdout.lines().count(), 2, "the header and the one key of {other}: {one:?}");
    assert!(one.stdout.contains(&reader_key[..9]) && !one.stdout.contains(&admin_key[..9]), "{one:?}");

    let unknown = cli(&["keys", "list", "--tenant", "ten_nosuch", "--db", &db.url]).await;
    assert_failed_with(&unknown, "no tenant ten_nosuch", "smallchange tenants list");
    let unknown = cli(&["keys", "create", "--tenant", "ten_nosuch", "--role", "admin", "--db", &db.url]).await;
    assert_failed_with(&unknown, "no tenant ten_nosuch", "smallchange tenants list");
}

both_backends!(a_revoked_key_is_refused_by_a_running_server, super::a_revoked_key_is_refused_by_a_running_server_on);

/// The key is used first, so the server has it cached; revoking it from another process
/// must still reach the server within about a second. The server notes the key's use and
/// writes it when it stops.
async fn a_revoked_key_is_refused_by_a_running_server_on(backend: Backend) {
    let server = support::spawn(backend).await;
    let url = server.db.url.clone();
    let (status, body) = server.get("/v1/review-queue").await;
    assert_eq!(status, 200, "{body}");

    let missing = cli(&["keys", "revoke", "key_nosuch", "--db", &url]).await;
    assert_failed_with(&missing, "no key key_nosuch", "smallchange keys list");
    let prefix = format!("{}…", &server.key[..9]);
    let revoked = cli(&["keys", "revoke", &prefix, "--db", &url]).await;
    assert!(revoked.success && revoked.stdout.starts_with("revoked key_"), "{revoked:?}");
    let revoked_at = Instant::now();
    loop {
        let (status, body) = server.get("/v1/review-queue").await;
        if status == 401 {
            assert_eq!(body["error"]["code"], "invalid_api_key", "{body}");
            break;
        }
        assert_eq!(status, 200, "{body}");
        assert!(revoked_at.elapsed() < Duration::from_secs(3), "the revoked key still works after 3 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = cli(&["keys", "revoke", &server.key, "--db", &url]).await;
    assert!(again.success && again.stdout.contains("already revoked"), "{again:?}");

    let db = server.stop_keeping_db().await;
    let keys = cli(&["keys", "list", "--db", &db.url]).await;
    let line = keys.stdout.lines().find(|l| l.contains(&prefix)).unwrap_or_else(|| panic!("{keys:?}"));
    let columns: Vec<&str> = line.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
    // ID, PREFIX, ROLE, TENANT, CREATED, LAST USED, REVOKED
    assert_eq!(columns.len(), 7, "{line}");
    assert!(columns[5].ends_with(" UTC") && columns[6].ends_with(" UTC"), "used and revoked: {line}");
}

/// Rows in every table, to show a refused run wrote nothing.
async fn holding(db: &TestDb) -> Vec<String> {
    let opened = Db::connect(&support::test_settings(db).db_options()).await.expect("opening");
    let tables = contents::tables_with_rows(&opened).await.expect("reading");
    opened.close().await;
    tables
}

both_backends!(bench_refuses_a_database_holding_data, super::bench_refuses_a_database_holding_data_on);

async fn bench_refuses_a_database_holding_data_on(backend: Backend) {
    let db = fresh_db(backend).await;
    create_tenant_and_key(&db.url).await;
    let before = holding(&db).await;
    for bench in ["ledger", "plain", "http", "cashout", "wallet"] {
        let output = cli(&["bench", bench, "--db", &db.url]).await;
        assert_failed_with(&output, "bench will not write into", "leave out --db for a temporary one");
        assert!(output.stderr.contains("tenants"), "names what it holds: {output:?}");
    }
    assert_eq!(holding(&db).await, before, "a refused bench wrote something");

    // An empty database is fine, and once bench made it, bench may use it again.
    let empty = fresh_db(backend).await;
    let small = ["--transfers", "20", "--accounts", "4", "--db", &empty.url];
    for _ in 0..2 {
        let output = cli(&[&["bench", "ledger"][..], &small].concat()).await;
        assert!(output.success, "{output:?}");
    }
}

#[tokio::test]
async fn bench_without_db_uses_a_temporary_database_and_removes_it() {
    let run = |keep: bool| async move {
        let mut args = vec!["bench", "ledger", "--transfers", "20", "--accounts", "4"];
        if keep {
            args.push("--keep-db");
        }
        let output = cli(&args).await;
        assert!(output.success, "{output:?}");
        let path = output
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("bench: using a temporary database at "))
            .unwrap_or_else(|| panic!("where is the database? {output:?}"))
            .to_string();
        std::path::PathBuf::from(path)
    };
    let removed = run(false).await;
    assert!(!removed.exists() && !removed.parent().unwrap().exists(), "{removed:?} was left behind");
    let kept = run(true).await;
    assert!(kept.exists(), "--keep-db removed {kept:?}");
    std::fs::remove_dir_all(kept.parent().unwrap()).unwrap();
}

/// What `serve --demo` printed once it was ready; the server is stopped with SIGTERM.
struct DemoRun {
    lines: Vec<String>,
}

impl DemoRun {
    fn line(&self, prefix: &str) -> &str {
        let found = self.lines.iter().find_map(|l| l.strip_prefix(prefix));
        found.unwrap_or_else(|| panic!("no line starting {prefix:?} in {:?}", self.lines))
    }
}

fn serve_demo(db_url: &str, reset: bool) -> DemoRun {
    let mut command = Command::new(BIN);
    command.args(["serve", "--demo", "--listen", "127.0.0.1:0", "--db", db_url]);
    if reset {
        command.arg("--demo-reset");
    }
    if let Some(key) = support::encryption_key(db_url) {
        command.env("SMALLCHANGE_ENCRYPTION_KEY", key);
    }
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting smallchange serve --demo");
    let stdout = child.stdout.take().expect("piped stdout");
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let mut printed = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !printed.last().is_some_and(|l: &String| l.starts_with("guides:")) {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => printed.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("serve --demo did not finish seeding: {printed:?}");
            }
        }
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = child.wait().expect("the server ends");
    assert!(status.success(), "serve --demo did not stop cleanly on SIGTERM: {status:?}");
    DemoRun { lines: printed }
}

both_backends!(operators_are_made_listed_disabled_and_reset, super::operators_are_made_listed_disabled_and_reset_on);

/// `operators create` prints the one-time set-up link alone on its last line; `list` shows
/// each operator's state; `disable` and `reset` act at once; mistakes are named.
async fn operators_are_made_listed_disabled_and_reset_on(backend: Backend) {
    let db = fresh_db(backend).await;
    let key = support::encryption_key(&db.url).unwrap_or_default();
    let env = [("SMALLCHANGE_ENCRYPTION_KEY", key.as_str())];
    let run = |args: Vec<String>| async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        support::process::cli_with_env(&args, &env).await
    };
    let (tenant, _) = create_tenant_and_key(&db.url).await;
    let op = |words: &str| -> Vec<String> {
        let mut args: Vec<String> = words.split(' ').map(String::from).collect();
        args.extend(["--tenant".into(), tenant.clone(), "--db".into(), db.url.clone()]);
        args
    };
    let created = run(op("operators create --email Kim@Example.com --role finance")).await;
    assert!(created.success, "{created:?}");
    let last = created.stdout.lines().last().unwrap();
    assert!(last.starts_with("/console/setup/") && last.len() > 50, "{created:?}");
    assert!(created.stdout.contains("created Kim@Example.com (finance, opu_"), "{created:?}");
    assert!(created.stderr.contains("hint: set public_base_url"), "a relative link says how to make it whole");

    let again = run(op("operators create --email kim@example.com --role admin")).await;
    assert_failed_with(&again, "an operator with this email exists already", "");
    let listed = run(op("operators list")).await;
    let line = listed.stdout.lines().find(|l| l.starts_with("Kim@Example.com")).unwrap_or_else(|| panic!("{listed:?}"));
    assert!(line.contains("finance") && line.contains("invited"), "{line}");

    let reset = run(op("operators reset --email KIM@example.com")).await;
    assert!(reset.success && reset.stdout.lines().last().unwrap() != last, "a new link: {reset:?}");
    let disabled = run(op("operators disable --email kim@example.com")).await;
    assert!(disabled.success && disabled.stdout.starts_with("disabled Kim@Example.com"), "{disabled:?}");
    assert_failed_with(&run(op("operators reset --email kim@example.com")).await, "this operator is disabled", "");
    assert_failed_with(
        &run(op("operators disable --email nobody@example.com")).await,
        "no operator with this email",
        "",
    );
    let listed = run(op("operators list")).await;
    assert!(listed.stdout.lines().any(|l| l.starts_with("Kim@Example.com") && l.contains("disabled")), "{listed:?}");
}

both_backends!(serve_demo_reuses_its_seed, super::serve_demo_reuses_its_seed_on);

async fn serve_demo_reuses_its_seed_on(backend: Backend) {
    let db = fresh_db(backend).await;
    let url = db.url.clone();
    let (first, second, reset) =
        tokio::task::spawn_blocking(move || (serve_demo(&url, false), serve_demo(&url, false), serve_demo(&url, true)))
            .await
            .unwrap();
    let tenant = first.line("demo tenant ").split(' ').next().unwrap().to_string();
    assert!(tenant.starts_with("ten_"), "{:?}", first.lines);
    let reused = second.line("reusing the demo tenant ");
    assert!(reused.starts_with(&format!("{tenant} from ")), "{:?}", second.lines);
    for prefix in ["admin key: ", "users: ", "minji's destinations: ", "a gift card the demo left unredeemed: "] {
        assert_eq!(first.line(prefix), second.line(prefix), "{prefix}");
        assert_ne!(first.line(prefix), reset.line(prefix), "--demo-reset gave the same {prefix}");
    }
    assert!(!reset.lines.iter().any(|l| l.starts_with("reusing")), "{:?}", reset.lines);
    assert!(reset.line("starting the demo over: ").contains("revoked the old demo key"), "{:?}", reset.lines);

    // The old demo key is revoked; the new one is listed and works.
    let keys = cli(&["keys", "list", "--tenant", &tenant, "--db", &db.url]).await;
    let old = &first.line("admin key: ")[..9];
    let line = keys.stdout.lines().find(|l| l.contains(old)).unwrap_or_else(|| panic!("{keys:?}"));
    assert!(line.trim_end().ends_with(" UTC"), "the old demo key is revoked: {line}");
}

#[tokio::test]
async fn a_database_that_cannot_be_opened_is_named_without_its_password() {
    // The test server, with a password it ignores and a database it does not have.
    let admin = std::env::var(support::POSTGRES_ENV).expect("the test PostgreSQL");
    let url = admin.replacen("postgres://postgres", "postgres://postgres:hunter2", 1);
    let url = format!("{}/no_such_database", url.rsplit_once('/').unwrap().0);
    let output = cli(&["tenants", "list", "--db", &url]).await;
    let shown = url.replace(":hunter2", "");
    assert_failed_with(&output, &format!("cannot open the database {shown}: "), "--db");
    assert!(output.stderr.contains("no_such_database\" does not exist"), "the server's reason: {output:?}");
    assert!(!output.stderr.contains("hunter2"), "{output:?}");

    let output = cli(&["migrate", "--db", "sqlite:///nonexistent-dir/x/y.db"]).await;
    assert_failed_with(&output, "cannot open the database sqlite:///nonexistent-dir/x/y.db", "--db");

    let output = cli(&["migrate", "--db", "smallchange.db"]).await;
    assert_failed_with(&output, "--db must start with sqlite:// or postgres://", "--db");

    // Commands that read what a database holds do not make an empty one where there is none
    // (a mistyped path, another directory); those that set one up do.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let url = format!("sqlite://{}", missing.display());
    for args in [
        vec!["tenants", "list"],
        vec!["keys", "list"],
        vec!["keys", "revoke", "key_x"],
        vec!["keys", "create", "--tenant", "ten_x", "--role", "admin"],
        vec!["verify"],
    ] {
        let output = cli(&[args.as_slice(), &["--db", &url]].concat()).await;
        assert_failed_with(&output, &format!("there is no database at {}", missing.display()), "--db");
        assert!(!missing.exists(), "{args:?} made a database");
    }
    assert!(cli(&["migrate", "--db", &url]).await.success && missing.exists());
    let listed = cli(&["tenants", "list", "--db", &url]).await;
    assert!(listed.success && listed.stdout.contains("no tenants yet"), "{listed:?}");
}
