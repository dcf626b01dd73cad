//! Persistence: the only place that speaks SQL.
//!
//! Two real backends sit behind [`Db`]: SQLite in WAL mode (the embedded default) and
//! PostgreSQL. Queries are written once, in the subset both understand (`$1` placeholders,
//! `ON CONFLICT`, `UPDATE … FROM (VALUES …)`), and compiled for each backend by the
//! [`on_db!`](crate::on_db) and [`on_tx!`](crate::on_tx) macros; what differs between the dialects lives in
//! [`dialect`]. Migrations for both ship inside the binary. The group committer's writes
//! on SQLite are the one exception: they go through SQLite's C API ([`sqlite_raw`]) on a
//! connection of their own, see [`batch`].

pub mod audit;
pub mod audit_tree;
pub mod bank_link;
pub mod batch;
pub mod boots;
pub mod cashouts;
pub mod contents;
pub mod demo_seed;
pub mod destinations;
pub mod dialect;
pub mod disputes;
pub mod erasure;
pub mod events;
pub mod ewallet;
pub mod gift_cards;
pub mod grouped_rows;
pub mod idempotency;
pub mod jobs;
pub mod ledger;
pub mod operators;
pub mod payments;
pub mod payout_batches;
pub mod pickup;
pub mod plain_ledger;
pub mod reports;
pub mod review;
pub mod sqlite_raw;
pub mod stuck_steps;
pub mod tenants;
pub mod topups;
pub mod totp;
pub mod user_index;
pub mod users;
pub mod verify;
pub mod verify_cashouts;
pub mod wallet;
pub mod wallet_access;
pub mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool};

pub use dialect::Dialect;

use crate::unit::{Param, Row};

/// How long a writer waits for SQLite's lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection pool on one of the two backends.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A write transaction on one of the two backends; dropped without commit, it rolls back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// Runs `$body` with `$pool` bound to the backend's pool; the body is compiled per backend.
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$pool:ident, $dialect:ident| $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite($pool) => {
                let $dialect = $crate::store::Dialect::Sqlite;
                let _ = $dialect;
                $body
            }
            $crate::store::Db::Postgres($pool) => {
                let $dialect = $crate::store::Dialect::Postgres;
                let _ = $dialect;
                $body
            }
        }
    };
}

/// Runs `$body` with `$c` bound to `&mut` the transaction's connection.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, |$c:ident, $dialect:ident| $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(pooled) => {
                let $c = &mut **pooled;
                let $dialect = $crate::store::Dialect::Sqlite;
                let _ = $dialect;
                $body
            }
            $crate::store::Tx::Postgres(pooled) => {
                let $c = &mut **pooled;
                let $dialect = $crate::store::Dialect::Postgres;
                let _ = $dialect;
                $body
            }
        }
    };
}

/// How to open the database.
#[derive(Clone, Debug)]
pub struct DbOptions {
    pub url: String,
    pub connections_max: u32,
    /// SQLite only: `synchronous=FULL` (durable on power loss) unless the operator opts out.
    pub sqlite_durable: bool,
}

impl Db {
    pub async fn connect(options: &DbOptions) -> anyhow::Result<Db> {
        let url = options.url.as_str();
        if url.starts_with("sqlite:") {
            let synchronous = if options.sqlite_durable { SqliteSynchronous::Full } else { SqliteSynchronous::Normal };
            let connect = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("bad SQLite URL {url}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .pragma("cache_size", "-65536");
            // A local file cannot drop a connection, so skip the ping sqlx sends before
            // handing one out: it would cost the committer a round trip per batch.
            let pool = SqlitePoolOptions::new()
                .max_connections(options.connections_max)
                .test_before_acquire(false)
                .connect_with(connect)
                .await
                .with_context(|| format!("cannot open {url}"))?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // Plan every statement for its actual ids: a generic plan made while a table was
            // small would keep scanning it whole for `id = ANY($1)` as it grows.
            let connect = PgConnectOptions::from_str(url)
                .with_context(|| "bad PostgreSQL URL".to_string())?
                .options([("plan_cache_mode", "force_custom_plan")]);
            let pool = PgPoolOptions::new()
                .max_connections(options.connections_max)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(connect)
                .await
                .context("cannot connect to PostgreSQL")?;
            Ok(Db::Postgres(pool))
        } else {
            anyhow::bail!("--db must start with sqlite:// or postgres://, got {url:?}")
        }
    }

    /// Brings the schema up to date; safe to run at every start and from several processes.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.migrate_and_report().await.map(|_| ())
    }

    /// As [`Db::migrate`]; says which migrations this call applied, of how many.
    pub async fn migrate_and_report(&self) -> anyhow::Result<Migrated> {
        let before = self.applied_migrations().await;
        let total = match self {
            Db::Sqlite(pool) => {
                let migrator = sqlx::migrate!("migrations/sqlite");
                migrator.run(pool).await?;
                migrator.iter().count()
            }
            Db::Postgres(pool) => {
                let migrator = sqlx::migrate!("migrations/postgres");
                migrator.run(pool).await?;
                migrator.iter().count()
            }
        };
        let mut applied: Vec<i64> =
            self.applied_migrations().await.into_iter().filter(|version| !before.contains(version)).collect();
        applied.sort_unstable();
        Ok(Migrated { applied, total })
    }

    /// The versions of the migrations already applied; none before the first.
    async fn applied_migrations(&self) -> Vec<i64> {
        let sql = "SELECT version FROM _sqlx_migrations WHERE success";
        let rows: Result<Vec<(i64,)>, sqlx::Error> = on_db!(self, |pool, _d| sqlx::query_as(sql).fetch_all(pool).await);
        rows.map(|rows| rows.into_iter().map(|(version,)| version).collect()).unwrap_or_default()
    }

    /// Starts a write transaction. SQLite takes its write lock at once, so two writers queue
    /// instead of failing to upgrade a read lock.
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with(Dialect::Sqlite.begin_write()).await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// A read-only transaction that sees one snapshot of the database throughout, however
    /// much is written meanwhile (SQLite's WAL read transactions do; PostgreSQL needs
    /// REPEATABLE READ): for checks that compare several tables.
    pub async fn begin_snapshot(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN DEFERRED").await?),
            Db::Postgres(pool) => {
                Tx::Postgres(pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?)
            }
        })
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        on_db!(self, |pool, _d| sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    pub async fn close(&self) {
        on_db!(self, |pool, _d| pool.close().await)
    }
}

/// What [`Db::migrate_and_report`] did: the versions it applied, in order, and how many
/// migrations the binary has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migrated {
    pub applied: Vec<i64>,
    pub total: usize,
}

impl Tx {
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }

    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Runs domain rows in a transaction, in order; returns how many rows each changed.
pub async fn execute_rows(tx: &mut Tx, rows: &[Row]) -> anyhow::Result<Vec<u64>> {
    let mut changed = Vec::with_capacity(rows.len());
    for row in rows {
        changed.push(execute(tx, row.sql, &row.params).await?);
    }
    Ok(changed)
}

/// Runs one statement with `$1…$n` placeholders; returns how many rows it changed.
pub async fn execute(tx: &mut Tx, sql: &str, params: &[Param]) -> anyhow::Result<u64> {
    Ok(on_tx!(tx, |c, _d| {
        let mut query = sqlx::query(sql);
        for param in params {
            query = match param {
                Param::Text(text) => query.bind(text.as_str()),
                Param::Int(value) => query.bind(*value),
                Param::Null => query.bind(None::<String>),
            };
        }
        query.execute(c).await?.rows_affected()
    }))
}

/// Writes rows (see [`crate::unit::Row`]) in `tx`, in order: for rows written outside a
/// unit (a worker enqueuing jobs).
pub async fn write_rows(tx: &mut Tx, rows: &[Row]) -> anyhow::Result<()> {
    execute_rows(tx, rows).await.map(|_| ())
}

/// Microseconds since the Unix epoch, the unit every time column uses.
pub fn now_us() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000).expect("the clock is within i64 microseconds")
}

/// The tail of a query that reads one page of a list newest first, by a time-ordered id
/// `column` (see [`crate::ids`]): `AND column < $n` when there is a cursor (the last item of
/// the page before), then the order and the limit. The cursor is bound as parameter `n`
/// only when there is one.
pub fn newest_first(column: &str, cursor: Option<&str>, n: usize, limit: i64) -> String {
    let bound = if cursor.is_some() { format!(" AND {column} < ${n}") } else { String::new() };
    format!("{bound} ORDER BY {column} DESC LIMIT {limit}")
}

/// A row type read from either backend.
pub trait AnyRow:
    for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin
{
}

impl<R> AnyRow for R where
    R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin
{
}

/// One page of a user's rows, newest first: `select` (`SELECT … FROM table`) filtered by
/// `tenant_id` and `user_id`, paged by its time-ordered `id` before `before`.
pub async fn newest_of_user<R: AnyRow>(
    db: &Db,
    select: &str,
    tenant: &str,
    user: &str,
    before: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<R>> {
    let sql = format!("{select} WHERE tenant_id = $1 AND user_id = $2{}", newest_first("id", before, 3, limit));
    page_of_user(db, &sql, tenant, user, before).await
}

/// Runs `sql`, which reads a page of one user's rows: `$1` is the tenant, `$2` the user and
/// `$3` the cursor, when there is one.
pub async fn page_of_user<R: AnyRow>(
    db: &Db,
    sql: &str,
    tenant: &str,
    user: &str,
    before: Option<&str>,
) -> anyhow::Result<Vec<R>> {
    Ok(on_db!(db, |pool, _d| {
        let query = sqlx::query_as::<_, R>(sql).bind(tenant).bind(user);
        match before {
            Some(before) => query.bind(before),
            None => query,
        }
        .fetch_all(pool)
        .await?
    }))
}
