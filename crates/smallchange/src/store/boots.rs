//! The running servers (`server_boots`): each registers under a new id when it starts,
//! says it is alive every [`BEAT_EVERY`], and leaves when it stops. What a server holds
//! for a request in progress (an `Idempotency-Key` claim) is named by this id, so that
//! another server, or this one restarted, knows when the holder is gone.

use std::time::Duration;

use super::Db;
use crate::on_db;

/// How often a running server says it is alive.
pub const BEAT_EVERY: Duration = Duration::from_secs(1);

/// How long after its last beat a server is taken for gone: several beats, so a busy
/// moment (a long commit, a paused VM) never makes a live server look dead.
pub const GONE_AFTER_US: i64 = 5 * 1_000_000;

/// How long a gone server's row is kept (for whoever investigates a crash).
const FORGOTTEN_AFTER_US: i64 = 7 * 24 * 3_600 * 1_000_000;

pub async fn register(db: &Db, boot: &str, now: i64) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("INSERT INTO server_boots (id, started_at, alive_at) VALUES ($1, $2, $2)")
            .bind(boot)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// Says `boot` is alive at `now`, and forgets servers gone for a week.
pub async fn beat(db: &Db, boot: &str, now: i64) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("UPDATE server_boots SET alive_at = $1 WHERE id = $2").bind(now).bind(boot).execute(pool).await?;
        sqlx::query("DELETE FROM server_boots WHERE alive_at < $1")
            .bind(now - FORGOTTEN_AFTER_US)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// Marks `boot` as stopped: what it held is free at once.
pub async fn leave(db: &Db, boot: &str) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("DELETE FROM server_boots WHERE id = $1").bind(boot).execute(pool).await?.rows_affected()
    });
    Ok(())
}
