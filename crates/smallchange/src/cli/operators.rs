//! `smallchange operators …`: the console's people from the command line — create one (and
//! print its one-time set-up link), list a tenant's, disable one, or give one a new set-up
//! link (`reset`, for an operator who lost a password or authenticator, or the last admin).
//! Each goes through the same use cases as the console, acting as `system:cli`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;

use super::{existing_tenant, open_existing, settings, table, DbArg, Failure, CLI};
use crate::clock::Clock;
use crate::committer::Committer;
use crate::config::Settings;
use crate::context::Context;
use crate::crypto::Secrets;
use crate::metrics::Metrics;
use crate::people;
use crate::services::operators::{self, admin};
use crate::services::Error;

#[derive(Subcommand)]
pub(super) enum OperatorsCommand {
    /// Create a console operator and print its one-time set-up link, alone on the last line.
    #[command(long_about = "Create a console operator with a role (admin, reviewer, support, \
finance or readonly; docs/CONSOLE.md says what each may change) and print its one-time set-up \
link, alone on the last line. The link works once, for 15 minutes: it asks for a password and \
enrols an authenticator, and ends signed in. The link is on `public_base_url` when that is set.")]
    Create {
        /// The tenant (`ten_…`).
        #[arg(long)]
        tenant: String,
        /// The operator's email: how they sign in (one operator per email in the deployment).
        #[arg(long)]
        email: String,
        /// What they may change: admin, reviewer, support, finance or readonly.
        #[arg(long, value_parser = ["admin", "reviewer", "support", "finance", "readonly"])]
        role: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// List a tenant's operators: email, role, state (invited, active, disabled), created.
    List {
        /// The tenant (`ten_…`).
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Disable an operator: its sessions end at once and it can no longer sign in.
    Disable {
        /// The tenant (`ten_…`).
        #[arg(long)]
        tenant: String,
        /// The operator's email.
        #[arg(long)]
        email: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Give an operator a new set-up link: its password and authenticator stop working.
    Reset {
        /// The tenant (`ten_…`).
        #[arg(long)]
        tenant: String,
        /// The operator's email.
        #[arg(long)]
        email: String,
        #[command(flatten)]
        db: DbArg,
    },
}

pub(super) async fn run(command: OperatorsCommand, config: Option<&PathBuf>) -> anyhow::Result<ExitCode> {
    match command {
        OperatorsCommand::Create { tenant, email, role, db } => {
            let (ctx, stop) = context(&settings(config, &db)?, &tenant).await?;
            let invited = admin::create(&ctx, &CLI, &tenant, &email, &role).await;
            stop(ctx).await?;
            let invited = invited.map_err(failure)?;
            print_link(&invited, "created");
        }
        OperatorsCommand::List { tenant, db } => {
            let (ctx, stop) = context(&settings(config, &db)?, &tenant).await?;
            let listed = operators::list(&ctx, &tenant).await;
            stop(ctx).await?;
            let rows: Vec<Vec<String>> = listed
                .map_err(failure)?
                .into_iter()
                .map(|o| vec![o.email, o.role.as_str().to_string(), o.state.to_string(), table::utc(o.created_at)])
                .collect();
            if rows.is_empty() {
                println!("no operators yet in tenant {tenant}");
                eprintln!(
                    "  hint: create one with `smallchange operators create --tenant {tenant} --email E --role admin`"
                );
            } else {
                println!("{}", table::render(&["EMAIL", "ROLE", "STATE", "CREATED"], &rows));
            }
        }
        OperatorsCommand::Disable { tenant, email, db } => {
            let (ctx, stop) = context(&settings(config, &db)?, &tenant).await?;
            let disabled = admin::disable(&ctx, &CLI, &tenant, &email).await;
            stop(ctx).await?;
            let disabled = disabled.map_err(failure)?;
            println!("disabled {} ({}); their sessions have ended", disabled.email, disabled.id);
        }
        OperatorsCommand::Reset { tenant, email, db } => {
            let (ctx, stop) = context(&settings(config, &db)?, &tenant).await?;
            let invited = admin::reset(&ctx, &CLI, &tenant, &email).await;
            stop(ctx).await?;
            let invited = invited.map_err(failure)?;
            print_link(&invited, "reset");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_link(invited: &admin::Invited, done: &str) {
    let until = people::local_time(invited.expires_at, 0);
    println!(
        "{done} {} ({}, {}); the set-up link works once, until {until}:",
        invited.operator.email,
        invited.operator.role.as_str(),
        invited.operator.id
    );
    if !invited.setup_url.starts_with("http") {
        eprintln!("  hint: set public_base_url to print the link as an address to open (docs/CONFIGURATION.md)");
    }
    println!("{}", invited.setup_url);
}

/// What a use case runs with, for one command: a committer of its own, stopped by the
/// function returned beside it once the command is done.
pub(crate) type Stop = Box<dyn FnOnce(Context) -> futures::future::BoxFuture<'static, anyhow::Result<()>>>;

async fn context(settings: &Settings, tenant: &str) -> anyhow::Result<(Context, Stop)> {
    let db = open_existing(settings).await?;
    existing_tenant(&db, tenant).await?;
    command_context(db, settings)
}

/// A context on `db` for one command (or the demo), with a committer of its own.
pub(crate) fn command_context(db: crate::store::Db, settings: &Settings) -> anyhow::Result<(Context, Stop)> {
    let metrics = Arc::new(Metrics::default());
    let (committer, task) = Committer::start(db.clone(), settings.committer(), metrics.clone())?;
    let ctx = Context {
        db,
        committer,
        settings: Arc::new(settings.clone()),
        metrics,
        clock: Clock::system(),
        secrets: Arc::new(Secrets::load(settings)?),
        guards: Arc::default(),
    };
    let stop: Stop = Box::new(move |ctx: Context| {
        Box::pin(async move {
            drop(ctx);
            task.await?;
            Ok(())
        })
    });
    Ok((ctx, stop))
}

/// A use case's refusal, in its words, with what to do about it.
fn failure(error: Error) -> anyhow::Error {
    let hint = match error.code() {
        "email_taken" | "resource_missing" => {
            "list the tenant's operators with `smallchange operators list --tenant …`"
        }
        "operator_disabled" => {
            "a disabled operator stays disabled: create a new one with `smallchange operators create`"
        }
        "invalid_email" => "give the address the person reads their mail at, like name@example.com",
        _ => "",
    };
    let failure = Failure::new(error.message().to_string());
    if hint.is_empty() {
        failure.into()
    } else {
        failure.hint(hint).into()
    }
}
