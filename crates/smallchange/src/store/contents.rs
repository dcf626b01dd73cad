//! What a database already holds, for commands that must not write into someone's data:
//! `bench` refuses a database that holds anything unless bench made it.

use super::Db;
use crate::on_db;

/// The tables of the database's own schema that hold at least one row, except sqlx's
/// record of migrations (a migrated but empty database holds nothing).
pub async fn tables_with_rows(db: &Db) -> anyhow::Result<Vec<String>> {
    let tables: Vec<(String,)> = on_db!(db, |pool, d| {
        let sql = match d {
            super::Dialect::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            }
            super::Dialect::Postgres => {
                "SELECT table_name::TEXT FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
            }
        };
        sqlx::query_as(sql).fetch_all(pool).await?
    });
    let mut holding = Vec::new();
    for (table,) in tables {
        if table == "_sqlx_migrations" {
            continue;
        }
        // The name comes from the catalogue, quoted as an identifier.
        let sql = format!("SELECT 1 FROM \"{}\" LIMIT 1", table.replace('"', "\"\""));
        let row: Option<(i32,)> = on_db!(db, |pool, _d| sqlx::query_as(&sql).fetch_optional(pool).await?);
        if row.is_some() {
            holding.push(table);
        }
    }
    Ok(holding)
}

/// Marks a (migrated) database as made by `smallchange bench`.
pub async fn mark_made_by_bench(db: &Db) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("INSERT INTO bench_database (id, created_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
            .bind(super::now_us())
            .execute(pool)
            .await?;
    });
    Ok(())
}
