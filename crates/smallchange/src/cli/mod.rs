//! The command line: `serve`, `migrate`, `tenants`, `keys`, `users erase`, `verify`,
//! `operators`, `audit` and `bench`.
//! Every command that touches the database takes `--db URL`. A failure is printed as
//! `error: <what>` and, when there is a fix, `  hint: <fix>` (see [`failure`]).

mod audit;
pub mod bench;
pub mod demo;
mod failure;
pub(crate) mod operators;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::Settings;
use crate::services::{self, Actor};
use crate::store::tenants::{self, Role};
use crate::store::{self, Db};
use crate::{app, telemetry};
pub use failure::{shown_url, Failure};

/// Who the commands that change something act as.
const CLI: Actor = Actor::System("cli");

#[derive(Parser)]
#[command(name = "smallchange", version, about = "Stored-value wallet and cash-out engine")]
struct Cli {
    /// A TOML settings file; `SMALLCHANGE_*` environment variables override it.
    #[arg(long, global = true, env = "SMALLCHANGE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DbArg {
    /// The database: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/NAME`. Default: the
    /// settings' `db` (`SMALLCHANGE_DB`), else `sqlite://smallchange.db`.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// Address to listen on (default 127.0.0.1:8080; port 0 picks a free one).
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<std::net::SocketAddr>,
        /// Seed a demo tenant with users, balances and gift cards, and print an admin key
        /// for it. On a database already seeded, reuses that tenant and prints the same key
        /// and ids.
        #[arg(long)]
        demo: bool,
        /// With --demo: start the demo over. Revokes the old demo key and seeds a new demo
        /// tenant; the old demo tenant's data is left where it is (nothing is deleted), out
        /// of the way of the new one. To be rid of it too, start on a new database file.
        #[arg(long, requires = "demo")]
        demo_reset: bool,
    },
    /// Create or update the database schema, and say which migrations it applied.
    Migrate {
        #[command(flatten)]
        db: DbArg,
    },
    /// Create and list tenants.
    Tenants {
        #[command(subcommand)]
        command: TenantsCommand,
    },
    /// Create, list and revoke API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Erase a person's personal data, keeping the records of their money.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Check every ledger invariant; exit non-zero naming what failed.
    Verify {
        #[command(flatten)]
        db: DbArg,
    },
    /// Create, list, disable and reset the console's operators (docs/CONSOLE.md).
    Operators {
        #[command(subcommand)]
        command: operators::OperatorsCommand,
    },
    /// Check the audit log, print or rotate the key that signs it (docs/AUDIT.md).
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// Measure throughput and latency, on a temporary database unless given an empty one.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum TenantsCommand {
    /// Create a tenant and print its id (`ten_…`), alone on its line.
    Create {
        /// The tenant's name, for people (it need not be unique).
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// List every tenant: id, name and when it was created (UTC).
    List {
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Erase a user's personal data; refused while they hold money or a cash-out is open.
    #[command(long_about = "Erase a user's personal data: their phone number, name and \
identity-check details, their payout destinations' account numbers and holder names, the \
sign-in codes and messages sent to their number, and the personal values kept beside the \
audit log's entries (with their salts). Their payments, top-ups, cash-outs and ledger \
transfers stay, by id and amount, and the audit log still verifies.

Refused, changing nothing, while any of the user's pockets holds money or a cash-out of \
theirs is not over (paid, failed, canceled or expired): pay it out or spend it first.")]
    Erase {
        /// The user (`usr_…`).
        #[arg(value_name = "USER_ID")]
        user_id: String,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create an API key and print its secret, alone on its line (it is shown only once).
    #[command(long_about = "Create an API key for a tenant and print its secret, alone on its line. \
The secret is shown only this once: the database keeps only its hash and its first \
characters (`sk_` and six more), which `keys list` shows.

Roles:
  admin     everything: users, top-ups, payments, gift cards, cash-outs, ledger writes,
            webhooks and settings, plus the review queue and every read
  reviewer  the review queue (approving or rejecting held cash-outs, deciding disputes)
            and every read; it cannot move money or change anything else
  readonly  reads only: users, balances, statements, the ledger, cash-outs; any write
            answers 403

Give each integration its own key, with the least role it needs.")]
    Create {
        /// The tenant the key acts for (`ten_…`, see `smallchange tenants list`).
        #[arg(long, value_name = "TENANT_ID")]
        tenant: String,
        /// What the key may do: admin, reviewer or readonly (see above).
        #[arg(long, value_parser = ["admin", "reviewer", "readonly"])]
        role: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// List keys: id, the start of the secret, role, tenant, created, last used, revoked.
    #[command(long_about = "List API keys, never their secrets: each key's id, the start of \
its secret (enough to tell which key a client holds), role, tenant, when it was created, \
when it was last used and when it was revoked. Times are UTC.

\"last used\" is recorded by the server off the request path, about once a minute per key: \
it can be up to a minute (or a server's uncleanly ended last minute) behind. Keys made \
before smallchange kept the start of the secret show `-` there.")]
    List {
        /// Only this tenant's keys (`ten_…`).
        #[arg(long, value_name = "TENANT_ID")]
        tenant: Option<String>,
        #[command(flatten)]
        db: DbArg,
    },
    /// Revoke a key: running servers refuse it (401) within about a second.
    #[command(long_about = "Revoke an API key. It is refused at once by any server that \
has not verified it lately, and within about a second by the servers that have (each looks \
for revoked keys every second). Revoking cannot be undone: create a new key instead.")]
    Revoke {
        /// The key: its id (`key_…`), the start of its secret as `keys list` shows it
        /// (`sk_AbC123…`), or the whole secret.
        #[arg(value_name = "KEY_ID_OR_PREFIX")]
        key: String,
        #[command(flatten)]
        db: DbArg,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            tracing::debug!(error = %format!("{error:#}"), "the command failed");
            eprintln!("{}", failure::report(&error));
            ExitCode::FAILURE
        }
    }
}

fn settings(config: Option<&PathBuf>, db: &DbArg) -> anyhow::Result<Settings> {
    let mut settings = Settings::load(config.map(PathBuf::as_path))?;
    if let Some(url) = &db.db {
        settings.db = url.clone();
    }
    telemetry::init(settings.log_format == "json");
    Ok(settings)
}

/// Opens and migrates the database, failing in words a person can act on.
async fn open(settings: &Settings) -> anyhow::Result<Db> {
    Ok(open_and_migrate(settings).await?.0)
}

/// As [`open`], for commands that read or change what a database holds: a SQLite file that
/// is not there is a mistyped `--db` or another directory, so it is refused rather than
/// made empty (`serve`, `migrate` and `tenants create` make one).
async fn open_existing(settings: &Settings) -> anyhow::Result<Db> {
    let url = settings.db.as_str();
    let file = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"));
    let path = file.map(|rest| rest.split_once('?').map_or(rest, |(path, _)| path));
    if let Some(path) = path.filter(|p| !p.is_empty() && *p != ":memory:") {
        if !std::path::Path::new(path).exists() {
            let what = format!("there is no database at {path}");
            let hint = "run it where the database is, or name it with --db sqlite://PATH";
            return Err(Failure::new(what).hint(hint).into());
        }
    }
    open(settings).await
}

async fn open_and_migrate(settings: &Settings) -> anyhow::Result<(Db, store::Migrated)> {
    let shown = shown_url(&settings.db);
    let db = Db::connect(&settings.db_options()).await.map_err(|error| {
        let reason = failure::open_reason(&error).map(|r| format!(": {r}")).unwrap_or_default();
        let what = if settings.db.contains("://") {
            format!("cannot open the database {shown}{reason}")
        } else {
            format!("{error}")
        };
        Failure::new(what).hint(
            "check that the database exists and is reachable, or name another with --db URL \
             (sqlite://PATH or postgres://USER:PASSWORD@HOST/NAME)",
        )
    })?;
    let migrated = db.migrate_and_report().await.map_err(|error| {
        let newer = error
            .chain()
            .any(|cause| matches!(cause.downcast_ref(), Some(sqlx::migrate::MigrateError::VersionMissing(_))));
        if newer {
            Failure::new(format!("the database {shown} was migrated by a newer smallchange"))
                .hint("run the newer smallchange, or use another database with --db URL")
        } else {
            let reason = failure::open_reason(&error).map(|r| format!(": {r}")).unwrap_or_default();
            Failure::new(format!("cannot migrate the database {shown}{reason}"))
        }
    })?;
    Ok((db, migrated))
}

/// A tenant id that must exist.
async fn existing_tenant(db: &Db, tenant: &str) -> anyhow::Result<()> {
    if tenants::tenant_exists(db, tenant).await? {
        Ok(())
    } else {
        Err(Failure::new(format!("no tenant {tenant}")).hint("list tenants with `smallchange tenants list`").into())
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config.as_ref();
    match cli.command {
        Command::Serve { db, listen, demo, demo_reset } => {
            let mut settings = settings(config, &db)?;
            if let Some(listen) = listen {
                settings.listen = listen;
            }
            if demo {
                demo::adjust(&mut settings);
            }
            let unregistered = settings.unregistered_operators();
            if !unregistered.is_empty() {
                tracing::warn!(
                    tables = %unregistered.join(", "),
                    "business_registration_number is not set: receipts show the operator's name without it; set it \
                     in [cashout] (docs/CONFIGURATION.md)"
                );
            }
            // Opened here first, so a database that cannot be opened is reported plainly.
            open(&settings).await?.close().await;
            let shown = shown_url(&settings.db);
            let shutdown = app::shutdown_signal();
            let running = app::start(settings.clone()).await?;
            println!("smallchange listening on http://{}", running.addr);
            if demo {
                demo::seed(&running.db, running.addr, &shown, demo_reset).await?;
                demo::console(&running.db, &settings, running.addr).await?;
            }
            running.wait(shutdown).await?;
        }
        Command::Migrate { db } => {
            let settings = settings(config, &db)?;
            let (_, migrated) = open_and_migrate(&settings).await?;
            println!("{}", migrated_line(&migrated));
        }
        Command::Tenants { command: TenantsCommand::Create { name, db } } => {
            let settings = settings(config, &db)?;
            let db = open(&settings).await?;
            println!("{}", services::tenants::create(&db, &settings, &CLI, &name).await?);
        }
        Command::Tenants { command: TenantsCommand::List { db } } => {
            let settings = settings(config, &db)?;
            let db = open_existing(&settings).await?;
            let rows: Vec<Vec<String>> = tenants::list_tenants(&db)
                .await?
                .into_iter()
                .map(|t| vec![t.id, t.name, table::utc(t.created_at)])
                .collect();
            if rows.is_empty() {
                // Named: a mistyped SQLite path opens a new, empty database.
                println!("no tenants yet in {}", shown_url(&settings.db));
                eprintln!("  hint: create one with `smallchange tenants create NAME`");
            } else {
                println!("{}", table::render(&["ID", "NAME", "CREATED"], &rows));
            }
        }
        Command::Keys { command: KeysCommand::Create { tenant, role, db } } => {
            let settings = settings(config, &db)?;
            let db = open_existing(&settings).await?;
            existing_tenant(&db, &tenant).await?;
            let role = Role::parse(&role).expect("clap checked the role");
            println!("{}", services::tenants::create_key(&db, &settings, &CLI, &tenant, role).await?.1);
        }
        Command::Keys { command: KeysCommand::List { tenant, db } } => {
            let settings = settings(config, &db)?;
            let db = open_existing(&settings).await?;
            if let Some(tenant) = &tenant {
                existing_tenant(&db, tenant).await?;
            }
            let keys = tenants::list_keys(&db, tenant.as_deref()).await?;
            if keys.is_empty() {
                println!("no keys yet in {}", shown_url(&settings.db));
                eprintln!("  hint: create one with `smallchange keys create --tenant TENANT_ID --role admin`");
            } else {
                println!("{}", keys_table(keys));
            }
        }
        Command::Keys { command: KeysCommand::Revoke { key, db } } => {
            let settings = settings(config, &db)?;
            let db = open_existing(&settings).await?;
            revoke(&db, &settings, &key).await?;
        }
        Command::Users { command: UsersCommand::Erase { user_id, db } } => {
            let settings = settings(config, &db)?;
            let db = open_existing(&settings).await?;
            let erased = services::users::erase::erase(&db, &settings, &CLI, &user_id)
                .await
                .map_err(|error| Failure::new(error.message().to_string()))?;
            println!(
                "erased the personal data of {} (tenant {}); {} values beside the audit log removed; \
                 their payments, top-ups and cash-outs stay by id and amount",
                erased.user_id, erased.tenant_id, erased.personal_rows
            );
        }
        Command::Verify { db } => {
            let db = open_existing(&settings(config, &db)?).await?;
            let report = store::verify::run(&db).await?;
            let cashouts = if report.cashouts == 1 { "cash-out" } else { "cash-outs" };
            println!(
                "checked {} accounts, {} transfers and {} {cashouts}",
                report.accounts, report.transfers, report.cashouts
            );
            if !report.failures.is_empty() {
                for failure in &report.failures {
                    println!("FAILED: {failure}");
                }
                return Ok(ExitCode::FAILURE);
            }
            println!("every invariant holds");
        }
        Command::Audit { command } => return audit::run(command, config).await,
        Command::Operators { command } => return operators::run(command, config).await,
        Command::Bench { command } => {
            // First: the init in `settings` then keeps this quieter subscriber.
            telemetry::init_for_bench(Settings::load(config.map(PathBuf::as_path))?.log_format == "json");
            // Never the configured database: bench picks its own, see `bench::db`.
            let settings = settings(config, &DbArg { db: None })?;
            bench::run(command, settings).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// "applied 15 migrations (0001…0015)" or "database is up to date (15 migrations)".
fn migrated_line(migrated: &store::Migrated) -> String {
    let plural = |n: usize| if n == 1 { "migration" } else { "migrations" };
    match migrated.applied.as_slice() {
        [] => format!("database is up to date ({} {})", migrated.total, plural(migrated.total)),
        [only] => format!("applied 1 migration ({only:04})"),
        [first, .., last] => format!("applied {} migrations ({first:04}…{last:04})", migrated.applied.len()),
    }
}

fn keys_table(keys: Vec<tenants::KeyRow>) -> String {
    let rows: Vec<Vec<String>> = keys
        .into_iter()
        .map(|k| {
            vec![
                k.id,
                k.secret_prefix.map_or_else(|| "-".to_string(), |p| format!("{p}…")),
                k.role,
                k.tenant_id,
                table::utc(k.created_at),
                k.last_used_at.map_or_else(|| "never".to_string(), table::utc),
                k.revoked_at.map_or_else(|| "-".to_string(), table::utc),
            ]
        })
        .collect();
    table::render(&["ID", "PREFIX", "ROLE", "TENANT", "CREATED", "LAST USED", "REVOKED"], &rows)
}

async fn revoke(db: &Db, settings: &Settings, text: &str) -> anyhow::Result<()> {
    let found = tenants::find_keys(db, text).await?;
    let key = match found.as_slice() {
        [key] => key,
        [] => {
            return Err(Failure::new(format!("no key {text}"))
                .hint("give a key id (key_…) or the prefix `smallchange keys list` shows")
                .into())
        }
        many => {
            let ids: Vec<&str> = many.iter().map(|k| k.id.as_str()).collect();
            return Err(Failure::new(format!("{text} names {} keys: {}", many.len(), ids.join(", ")))
                .hint("revoke one of them by its id")
                .into());
        }
    };
    if services::tenants::revoke_key(db, settings, &CLI, &key.tenant_id, &key.id).await? {
        println!(
            "revoked {} ({} key of {}); running servers refuse it within about a second",
            key.id, key.role, key.tenant_id
        );
    } else {
        let at = key.revoked_at.map(table::utc).unwrap_or_default();
        println!("{} was already revoked ({at})", key.id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every command, argument and option says what it is for in `--help`.
    #[test]
    fn everything_has_help() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", command.get_name());
            if command.get_about().is_none() && path.contains(' ') && path.trim() != "smallchange" {
                missing.push(path.clone());
            }
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help" && id != "version" && arg.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "without help text: {missing:#?}");
    }

    #[test]
    fn migrate_says_what_it_applied() {
        let line = |applied: Vec<i64>| migrated_line(&store::Migrated { applied, total: 15 });
        assert_eq!(line((1..=15).collect()), "applied 15 migrations (0001…0015)");
        assert_eq!(line(vec![15]), "applied 1 migration (0015)");
        assert_eq!(line(vec![]), "database is up to date (15 migrations)");
    }
}
