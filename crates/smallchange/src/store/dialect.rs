//! What differs between SQLite and PostgreSQL SQL, in one place.

/// The SQL dialect of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The statement that opens a write transaction.
    pub fn begin_write(self) -> &'static str {
        match self {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        }
    }

    /// A condition "`column` is one of the ids in the single text parameter `$n`"; pair it
    /// with [`Dialect::id_list`], which encodes the ids for that parameter.
    pub fn in_id_list(self, column: &str, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("{column} IN (SELECT value FROM json_each(${n}))"),
            // A semi-join, not `= ANY(…)`: while a table is small the planner scans it and
            // `= ANY` then compares every row with every id; the semi-join hashes instead.
            Dialect::Postgres => format!("{column} IN (SELECT unnest(${n}::text[]))"),
        }
    }

    /// Encodes ids for one text parameter: a JSON array for SQLite, an array literal for
    /// PostgreSQL. One text parameter keeps statements short and their plans cached.
    pub fn id_list<'a>(self, ids: impl IntoIterator<Item = &'a str>) -> String {
        let (open, close) = match self {
            Dialect::Sqlite => ('[', ']'),
            Dialect::Postgres => ('{', '}'),
        };
        let mut out = String::new();
        out.push(open);
        for (i, id) in ids.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('"');
            for ch in id.chars() {
                if ch == '"' || ch == '\\' {
                    out.push('\\');
                }
                out.push(ch);
            }
            out.push('"');
        }
        out.push(close);
        out
    }

    /// `column` as a filter only, not offered to the planner as a way in: SQLite keeps no
    /// statistics (nothing runs ANALYZE), so it takes any index on a column compared for
    /// equality — a tenant's every row — over a narrower range on another index; a unary
    /// `+` takes the column out of its choice. PostgreSQL weighs its statistics itself.
    pub fn filter_only(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("+{column}"),
            Dialect::Postgres => column.to_string(),
        }
    }

    /// The suffix that locks selected rows until the transaction ends. SQLite has one
    /// writer at a time (BEGIN IMMEDIATE), so it needs none.
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// The suffix that locks selected rows and passes over rows another transaction has
    /// locked, so concurrent claimers of a queue take different rows instead of waiting.
    /// SQLite's one writer claims alone, so it needs none.
    pub fn for_update_skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// `($1, $2, …), (…)` for `rows` rows of `columns` parameters each, numbered from `$1` on
/// PostgreSQL. SQLite gets anonymous `?`: sqlx looks each parameter up by name, which
/// SQLite answers by a linear scan, so thousands of `$n` cost quadratic time there.
pub fn values_placeholders(dialect: Dialect, rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            out.push(',');
        }
        out.push('(');
        for column in 0..columns {
            if column > 0 {
                out.push(',');
            }
            match dialect {
                Dialect::Sqlite => out.push('?'),
                Dialect::Postgres => {
                    out.push('$');
                    out.push_str(&(row * columns + column + 1).to_string());
                }
            }
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_quote_what_needs_quoting() {
        assert_eq!(Dialect::Sqlite.id_list(["a", "b\"c"]), r#"["a","b\"c"]"#);
        assert_eq!(Dialect::Postgres.id_list(["a/b"]), r#"{"a/b"}"#);
        assert_eq!(Dialect::Postgres.id_list([]), "{}");
    }

    #[test]
    fn only_sqlite_needs_a_column_kept_from_its_planner() {
        assert_eq!(Dialect::Sqlite.filter_only("tenant_id"), "+tenant_id");
        assert_eq!(Dialect::Postgres.filter_only("r.tenant_id"), "r.tenant_id");
    }

    #[test]
    fn placeholders_number_rows_then_columns() {
        assert_eq!(values_placeholders(Dialect::Postgres, 2, 2), "($1,$2),($3,$4)");
        assert_eq!(values_placeholders(Dialect::Sqlite, 1, 2), "(?,?)");
    }
}
