//! `serve --demo`'s record of what it seeded, so a restart can print the same key and ids.
//! Only `serve --demo` reads or writes it (see migration 0019 for why the demo key's
//! secret may be kept here in clear).

use super::Db;
use crate::on_db;

/// The demo as first seeded.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DemoSeed {
    pub tenant_id: String,
    pub key_id: String,
    pub key_secret: String,
    /// JSON: the ids the demo prints.
    pub printed: String,
}

pub async fn load(db: &Db) -> anyhow::Result<Option<DemoSeed>> {
    Ok(on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT tenant_id, key_id, key_secret, printed FROM demo_seed WHERE id = 1")
            .fetch_optional(pool)
            .await?
    }))
}

pub async fn save(db: &Db, seed: &DemoSeed) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query(
            "INSERT INTO demo_seed (id, tenant_id, key_id, key_secret, printed, created_at) \
             VALUES (1, $1, $2, $3, $4, $5)",
        )
        .bind(&seed.tenant_id)
        .bind(&seed.key_id)
        .bind(&seed.key_secret)
        .bind(&seed.printed)
        .bind(super::now_us())
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Forgets the seed (`--demo-reset`); the caller revokes its key.
pub async fn forget(db: &Db) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("DELETE FROM demo_seed").execute(pool).await?;
    });
    Ok(())
}
