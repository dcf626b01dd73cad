//! The command line: `serve`, `migrate`, `tenants`, `keys`, `verify` and `bench`.
//! Every command that touches the database takes `--db URL`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::Settings;
use crate::store::tenants::{self, Role};
use crate::store::{self, Db};
use crate::{app, bench, demo, telemetry};

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
    /// `sqlite://PATH` (default `sqlite://smallchange.db`) or `postgres://…`.
    #[arg(long)]
    db: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Seed a demo tenant with accounts and balances, and print a key to use.
        #[arg(long)]
        demo: bool,
    },
    /// Create or update the database schema.
    Migrate {
        #[command(flatten)]
        db: DbArg,
    },
    /// Manage tenants.
    Tenants {
        #[command(subcommand)]
        command: TenantsCommand,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Check every ledger invariant; exit non-zero naming what failed.
    Verify {
        #[command(flatten)]
        db: DbArg,
    },
    /// Measure throughput and latency.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum TenantsCommand {
    /// Create a tenant and print its id.
    Create {
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create an API key and print its secret, alone on its line (it is shown only once).
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long, value_parser = ["admin", "reviewer", "readonly"])]
        role: String,
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
            eprintln!("error: {error:#}");
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

async fn open(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.db_options()).await?;
    db.migrate().await?;
    Ok(db)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config.as_ref();
    match cli.command {
        Command::Serve { db, listen, demo } => {
            let mut settings = settings(config, &db)?;
            if let Some(listen) = listen {
                settings.listen = listen;
            }
            if demo {
                demo::adjust(&mut settings);
            }
            let running = app::start(settings).await?;
            println!("smallchange listening on http://{}", running.addr);
            if demo {
                demo::seed(&running.db, running.addr).await?;
            }
            running.wait(app::shutdown_signal()).await?;
        }
        Command::Migrate { db } => {
            let settings = settings(config, &db)?;
            open(&settings).await?;
            println!("database is up to date");
        }
        Command::Tenants { command: TenantsCommand::Create { name, db } } => {
            let db = open(&settings(config, &db)?).await?;
            println!("{}", tenants::create_tenant(&db, &name).await?);
        }
        Command::Keys { command: KeysCommand::Create { tenant, role, db } } => {
            let db = open(&settings(config, &db)?).await?;
            anyhow::ensure!(tenants::tenant_exists(&db, &tenant).await?, "no tenant {tenant}");
            let role = Role::parse(&role).expect("clap checked the role");
            println!("{}", tenants::create_key(&db, &tenant, role).await?);
        }
        Command::Verify { db } => {
            let db = open(&settings(config, &db)?).await?;
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
        Command::Bench { command } => {
            let db_arg = DbArg { db: command.db().clone() };
            // First: the init in `settings` then keeps this quieter subscriber.
            telemetry::init_for_bench(Settings::load(config.map(PathBuf::as_path))?.log_format == "json");
            let settings = settings(config, &db_arg)?;
            bench::run(command, settings).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
