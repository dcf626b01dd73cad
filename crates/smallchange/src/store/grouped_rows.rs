//! Writes a batch's domain rows in few statements on PostgreSQL: the plain inserts that
//! share one statement become one multi-row INSERT. Every statement is a round trip there,
//! and a batch of payments wrote two rows per payment one at a time. (SQLite has no round
//! trips to save: its rows are written one by one, in order.)
//!
//! Inserts are regrouped, so rows of one table may be written before rows of another that
//! came first. That is safe because no row of a batch is an insert that a constraint of
//! another row checks at once: PostgreSQL's foreign keys are checked at commit (migration
//! 0018), and units are independent of each other. Any other statement (an UPDATE, an
//! insert with a conflict clause) stays exactly where it was: everything before it is
//! written first.

use super::dialect::values_placeholders;
use super::{execute, Dialect, Tx};
use crate::unit::{Param, Row};

/// PostgreSQL takes at most 65,535 parameters in one statement.
const PARAMETERS_MAX: usize = 60_000;

/// Writes `rows` in `tx`.
pub async fn write(tx: &mut Tx, rows: &[Row]) -> anyhow::Result<()> {
    if tx.dialect() == Dialect::Sqlite {
        return super::execute_rows(tx, rows).await.map(|_| ());
    }
    let mut pending: Vec<Group<'_>> = Vec::new();
    for row in rows {
        // A statement is parsed once per batch, when its first row comes.
        if let Some(group) = pending.iter_mut().find(|group| group.sql == row.sql) {
            group.rows.push(row);
            continue;
        }
        match plain_insert(row.sql) {
            Some((head, columns)) if columns == row.params.len() => {
                pending.push(Group { sql: row.sql, head, columns, rows: vec![row] });
            }
            _ => {
                flush(tx, &mut pending).await?;
                execute(tx, row.sql, &row.params).await?;
            }
        }
    }
    flush(tx, &mut pending).await
}

/// Rows of one insert statement, in the order they came.
struct Group<'r> {
    sql: &'static str,
    head: &'static str,
    columns: usize,
    rows: Vec<&'r Row>,
}

async fn flush(tx: &mut Tx, pending: &mut Vec<Group<'_>>) -> anyhow::Result<()> {
    for group in pending.drain(..) {
        if let [row] = group.rows.as_slice() {
            // Alone, the statement's own text keeps its prepared statement.
            execute(tx, row.sql, &row.params).await?;
            continue;
        }
        for chunk in group.rows.chunks((PARAMETERS_MAX / group.columns).max(1)) {
            let placeholders = values_placeholders(Dialect::Postgres, chunk.len(), group.columns);
            let sql = format!("{} VALUES {placeholders}", group.head);
            let params: Vec<Param> = chunk.iter().flat_map(|row| row.params.iter().cloned()).collect();
            execute(tx, &sql, &params).await?;
        }
    }
    Ok(())
}

/// For `INSERT INTO t (a, b) VALUES ($1, $2)` and nothing more: the part before ` VALUES`
/// and how many columns it takes.
fn plain_insert(sql: &'static str) -> Option<(&'static str, usize)> {
    if !sql.starts_with("INSERT INTO ") {
        return None;
    }
    let at = sql.rfind(" VALUES ")?;
    let tuple = sql[at + " VALUES ".len()..].trim().strip_prefix('(')?.strip_suffix(')')?;
    let mut columns = 0;
    for (n, placeholder) in tuple.split(',').enumerate() {
        let number = placeholder.trim().strip_prefix('$')?.parse::<usize>().ok()?;
        if number != n + 1 {
            return None;
        }
        columns += 1;
    }
    Some((&sql[..at], columns))
}

#[cfg(test)]
mod tests {
    use super::plain_insert;

    #[test]
    fn only_plain_inserts_are_grouped() {
        assert_eq!(plain_insert("INSERT INTO t (a, b) VALUES ($1, $2)"), Some(("INSERT INTO t (a, b)", 2)));
        assert_eq!(plain_insert("INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING"), None);
        assert_eq!(plain_insert("INSERT INTO t (a, b) VALUES ($2, $1)"), None);
        assert_eq!(plain_insert("INSERT INTO t (a, b) VALUES ($1, 'x')"), None);
        assert_eq!(plain_insert("UPDATE t SET a = $1"), None);
    }

    /// The rows every payment writes: a literal in their VALUES would send them one by one.
    #[test]
    fn a_payments_rows_are_grouped() {
        use crate::domain::pocket::Pocket;
        use crate::store::{payments::Payment, wallet::NewEntry};
        let entry = NewEntry {
            tenant: "ten_a",
            user: "usr_a",
            currency: "KRW",
            pocket: &Pocket::Cash,
            amount: -100,
            kind: "payment",
            reference_id: "pay_a",
            description: None,
            at: 1,
        };
        let payment = Payment {
            id: "pay_a".into(),
            user_id: "usr_a".into(),
            merchant: "cafe".into(),
            amount: 100,
            currency: "KRW".into(),
            description: None,
            legs: Vec::new(),
            created_at: 1,
        };
        for row in [entry.row(0), payment.row("ten_a")] {
            let (_, columns) = plain_insert(row.sql).unwrap_or_else(|| panic!("not grouped: {}", row.sql));
            assert_eq!(columns, row.params.len(), "{}", row.sql);
        }
    }
}
