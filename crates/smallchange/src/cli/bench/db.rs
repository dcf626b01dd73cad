//! Where a benchmark writes: never into a database it did not make. Without `--db` it
//! makes a temporary SQLite database, says where on stderr and removes it afterwards
//! (unless `--keep-db`). Given `--db`, the database must hold nothing yet (an empty or
//! not yet migrated one), or have been made by an earlier bench run, which marks it so;
//! anything else is refused before a row is written.

use std::path::PathBuf;

use clap::Args;

use crate::cli::{shown_url, Failure};
use crate::config::Settings;
use crate::store::{contents, tenants, Db};

#[derive(Args, Clone, Debug, Default)]
pub struct BenchDbArgs {
    /// A database for the benchmark: `sqlite://PATH` or `postgres://…`. It must be empty
    /// (or made by an earlier bench run); one holding anything is refused. Default: a
    /// temporary SQLite database, removed afterwards.
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
    /// Keep the temporary database after the run (its path is printed on stderr).
    #[arg(long, conflicts_with = "db")]
    pub keep_db: bool,
}

/// The database a benchmark run writes to; a temporary one is removed when this is
/// dropped, unless it is to be kept.
pub struct BenchDb {
    temporary: Option<PathBuf>,
    keep: bool,
}

/// Points `settings.db` at the benchmark's database: checks `--db`, or makes a temporary one.
pub async fn choose(args: &BenchDbArgs, settings: &mut Settings) -> anyhow::Result<BenchDb> {
    if let Some(url) = &args.db {
        settings.db = url.clone();
        check_and_mark(settings).await?;
        return Ok(BenchDb { temporary: None, keep: true });
    }
    let dir = std::env::temp_dir().join(tenants::new_id("smallchange-bench", 8));
    std::fs::create_dir(&dir).map_err(|e| Failure::new(format!("cannot make {}: {e}", dir.display())))?;
    let path = dir.join("bench.db");
    settings.db = format!("sqlite://{}", path.display());
    eprintln!("bench: using a temporary database at {}", path.display());
    // The run below migrates it; marked now so nothing else could look like it.
    check_and_mark(settings).await?;
    Ok(BenchDb { temporary: Some(dir), keep: args.keep_db })
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        let Some(dir) = self.temporary.take() else { return };
        if self.keep {
            eprintln!("bench: kept the temporary database in {}", dir.display());
        } else if let Err(error) = std::fs::remove_dir_all(&dir) {
            eprintln!("bench: could not remove the temporary database in {}: {error}", dir.display());
        }
    }
}

/// Refuses a database that holds anything bench did not write; marks the rest as bench's.
async fn check_and_mark(settings: &Settings) -> anyhow::Result<()> {
    let shown = shown_url(&settings.db);
    let db = Db::connect(&settings.db_options())
        .await
        .map_err(|_| Failure::new(format!("cannot open the database {shown}")).hint("check the --db URL"))?;
    let holding = contents::tables_with_rows(&db).await?;
    // A row in bench_database: an earlier bench run made this database.
    let made_by_bench = holding.iter().any(|table| table == "bench_database");
    if !holding.is_empty() && !made_by_bench {
        db.close().await;
        let listed = holding.iter().take(4).cloned().collect::<Vec<_>>().join(", ");
        let more = if holding.len() > 4 { ", …" } else { "" };
        return Err(Failure::new(format!("bench will not write into {shown}: it already holds data ({listed}{more})"))
            .hint("give bench a new, empty database with --db, or leave out --db for a temporary one")
            .into());
    }
    db.migrate().await?;
    contents::mark_made_by_bench(&db).await?;
    db.close().await;
    Ok(())
}
