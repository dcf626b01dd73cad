//! Assembles a running server: database, migrations, committer, workers (the job runner
//! among them) and HTTP, and takes them down in order so that the jobs and the batch in
//! flight are finished before exit.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::committer::Committer;
use crate::config::Settings;
use crate::context::Context;
use crate::crypto::Secrets;
use crate::http::{self, AppState};
use crate::limits::RateLimiter;
use crate::metrics::Metrics;
use crate::store::Db;
use crate::workers;

/// A server that is listening. Stop it with [`Running::stop`].
pub struct Running {
    pub addr: SocketAddr,
    pub db: Db,
    stop: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops accepting requests, lets those in flight finish, drains the committer.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.task.await.context("server task panicked")?
    }

    /// Runs until the task ends by itself (never, unless it fails) or `stop` is signalled.
    pub async fn wait(self, shutdown: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        shutdown.await;
        tracing::info!("shutting down: finishing requests and the batch in flight");
        self.stop().await
    }
}

/// Connects, migrates, and starts serving on `settings.listen`.
pub async fn start(settings: Settings) -> anyhow::Result<Running> {
    start_with_clock(settings, Clock::system()).await
}

/// As [`start`], with the wallet deciding by `clock` (tests move it across a month).
pub async fn start_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<Running> {
    settings.check()?;
    // A missing or malformed key stops the server before it touches anything.
    let secrets = Arc::new(Secrets::load(&settings)?);
    let db = Db::connect(&settings.db_options()).await?;
    db.migrate().await.context("migrating the database")?;
    let listener =
        TcpListener::bind(settings.listen).await.with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(serve(db.clone(), settings, Shared { clock, secrets }, listener, stopped));
    tracing::info!(%addr, "smallchange is listening");
    Ok(Running { addr, db, stop, task })
}

async fn serve(
    db: Db,
    settings: Settings,
    shared: Shared,
    listener: TcpListener,
    stopped: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let metrics = Arc::new(Metrics::default());
    let (committer, committer_task) = Committer::start(db.clone(), settings.committer(), metrics.clone())?;
    let settings = Arc::new(settings);
    let Shared { clock, secrets } = shared;
    let limiter = Arc::new(RateLimiter::new(settings.rate_limit_per_s, settings.rate_limit_burst));
    let ctx = Context {
        db: db.clone(),
        committer: committer.clone(),
        settings: settings.clone(),
        metrics,
        clock,
        secrets: secrets.clone(),
        // The one set of guards: every door and worker shares it through the context.
        guards: Arc::default(),
    };
    let boot = crate::ids::time_ordered("boot", crate::store::now_us());
    crate::store::boots::register(&db, &boot, crate::store::now_us()).await.context("registering this server")?;
    let state = AppState { ctx: ctx.clone(), keys: Arc::default(), limiter, boot: boot.as_str().into() };
    // Scoped: a committer handle kept to the end would stop the committer from draining.
    let (handlers, subscribers) = {
        let deps = workers::Deps { db: db.clone(), committer, settings, secrets: secrets.clone(), app: ctx.clone() };
        (workers::handlers(&deps).context("setting up the job handlers")?, workers::subscribers(&deps))
    };
    let workers = vec![
        tokio::spawn(workers::expiry::run(
            db.clone(),
            state.committer.clone(),
            Duration::from_millis(state.settings.expiry_poll_ms),
            stopped.clone(),
        )),
        tokio::spawn(workers::user_index::run(
            db.clone(),
            state.committer.clone(),
            Duration::from_millis(state.settings.user_index_every_ms),
            stopped.clone(),
        )),
        tokio::spawn(workers::purge::run(
            db.clone(),
            state.settings.idempotency_retention_h,
            state.settings.jobs_retention_h,
            stopped.clone(),
        )),
        tokio::spawn(workers::jobs::run(db.clone(), handlers, state.settings.jobs(), stopped.clone())),
        tokio::spawn(workers::events::run(
            db.clone(),
            subscribers,
            Duration::from_millis(state.settings.jobs_poll_ms),
            stopped.clone(),
        )),
        tokio::spawn(http::auth::watch_keys(db.clone(), state.keys.clone(), stopped.clone())),
        tokio::spawn(workers::checkpoints::run(db.clone(), secrets.clone(), stopped.clone())),
        tokio::spawn(workers::boots::run(db.clone(), boot.clone(), stopped.clone())),
        // The last use of `ctx`, moved: a committer handle kept here to the end would keep
        // the committer from stopping.
        tokio::spawn(workers::cashouts::run(
            ctx,
            Duration::from_millis(state.settings.cashout_poll_ms),
            stopped.clone(),
        )),
    ];
    let mut until = stopped.clone();
    // With each connection's address: some limits are per client address (receipt links).
    let pages = crate::web::router(state.ctx.clone());
    let service = http::router(state, pages).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            let _ = until.wait_for(|stop| *stop).await;
        })
        .await?;
    // Every request is answered: nothing is held in this server's name any more.
    if let Err(error) = crate::store::boots::leave(&db, &boot).await {
        tracing::warn!(error = %format!("{error:#}"), "could not record that this server stopped");
    }
    for worker in workers {
        let _ = worker.await;
    }
    // Every committer handle is gone now: it drains its queue, commits and exits.
    committer_task.await.context("committer panicked")?;
    // The last batch is in: sign what it added, so the log ends on a checkpoint.
    workers::checkpoints::sign(&db, &secrets).await;
    db.close().await;
    Ok(())
}

/// What the server's handlers share besides the database and settings.
struct Shared {
    clock: Clock,
    secrets: Arc<Secrets>,
}

/// Resolves on Ctrl-C or SIGTERM. The signals are caught from this call on, not from the
/// first poll, so a signal that comes while the caller is still busy (seeding the demo)
/// stops the server cleanly once it waits.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
