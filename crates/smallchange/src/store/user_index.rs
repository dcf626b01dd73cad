//! A user's statement entries and payments reach their per-user index in bulk, behind the
//! payment path, on SQLite (migration 0024).
//!
//! There a new row gets `user_indexed = 0` (the column's default): it goes into a small
//! index in arrival order, whose last page a whole batch shares, instead of one page of the
//! per-user index each. [`catch_up`] sets `user_indexed = 1` on such rows about once a
//! second, which moves them into the per-user index, many rows of one user to a page.
//! Readers ask both indexes ([`newest_of_user`], and `store::wallet`'s statement reads), so
//! a row is found from the moment it commits, whether the move has run or not.
//!
//! On PostgreSQL the default is 1: a row is indexed as it is written, and nothing waits.
//! Moving a row there is an UPDATE that writes a new version of the row and of each of its
//! index entries, which measured slower than indexing at once (docs/BENCHMARKS.md).

use super::{AnyRow, Db};
use crate::on_db;
use crate::unit::Row;

/// Most rows of each table one round moves; more wait for the next round, right after.
pub const ROUND_ROWS_MAX: i64 = 20_000;

/// The rows that move up to [`ROUND_ROWS_MAX`] unindexed rows of each table into their
/// per-user index, for the committer to write like any other rows.
pub fn catch_up() -> Vec<Row> {
    // No ORDER BY: which rows go first does not matter, and an order by id would make
    // SQLite walk the whole table in id order instead of the small index of waiting rows.
    vec![
        Row {
            sql: "UPDATE wallet_entries SET user_indexed = 1 WHERE user_indexed = 0 \
                  AND id IN (SELECT id FROM wallet_entries WHERE user_indexed = 0 LIMIT 20000)",
            params: Vec::new(),
        },
        Row {
            sql: "UPDATE payments SET user_indexed = 1 WHERE user_indexed = 0 \
                  AND id IN (SELECT id FROM payments WHERE user_indexed = 0 LIMIT 20000)",
            params: Vec::new(),
        },
    ]
}

/// How many rows wait to be moved into a per-user index: the most of the two tables.
pub async fn waiting(db: &Db) -> anyhow::Result<i64> {
    let (entries, payments): (i64, i64) = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM wallet_entries WHERE user_indexed = 0), \
                    (SELECT COUNT(*) FROM payments WHERE user_indexed = 0)",
        )
        .fetch_one(pool)
        .await?
    });
    Ok(entries.max(payments))
}

/// One page of a user's rows of `table` (payments), newest first, paged by its
/// time-ordered `id` before `before`: the page from the per-user index and the rows not in
/// it yet, merged. `columns` must include `id`.
pub async fn newest_of_user<R: AnyRow>(
    db: &Db,
    columns: &str,
    table: &str,
    tenant: &str,
    user: &str,
    before: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<R>> {
    let of_user = "tenant_id = $1 AND user_id = $2";
    let bound = if before.is_some() { " AND id < $3" } else { "" };
    let sql = format!(
        "SELECT * FROM (SELECT {columns} FROM {table} WHERE {of_user} AND user_indexed = 1{bound} \
         ORDER BY id DESC LIMIT {limit}) AS indexed \
         UNION ALL SELECT {columns} FROM {table} WHERE {of_user} AND user_indexed = 0{bound} \
         ORDER BY id DESC LIMIT {limit}"
    );
    super::page_of_user(db, &sql, tenant, user, before).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_round_moves_at_most_round_rows_max_of_each_table() {
        let limit = format!("LIMIT {})", super::ROUND_ROWS_MAX);
        assert!(super::catch_up().iter().all(|row| row.sql.ends_with(&limit)));
    }
}
