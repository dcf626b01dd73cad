//! A small safe wrapper over SQLite's C API, for the committer's own connection.
//!
//! Why not sqlx here: sqlx runs each SQLite statement on a worker thread and hands results
//! back across threads. Under HTTP load each of those round trips measured ~300 µs, and a
//! batch needs about eight of them, so the committer spent most of its time waiting for
//! thread wake-ups. The committer instead owns this connection on its own thread and runs a
//! batch's statements back to back, each prepared once and cached.

use std::collections::HashMap;
use std::ffi::{c_char, c_int, CStr, CString};
use std::marker::PhantomData;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;

use anyhow::{anyhow, bail};
use libsqlite3_sys as ffi;

/// How long a write waits for another connection's lock (the CLI, a second process).
const BUSY_TIMEOUT_MS: c_int = 30_000;

pub struct RawConnection {
    db: *mut ffi::sqlite3,
    statements: HashMap<String, *mut ffi::sqlite3_stmt>,
}

// SAFETY: the connection is opened in SQLite's multi-thread mode and is only ever used by
// one thread at a time: it is created, then moved to the committer's thread and used there.
unsafe impl Send for RawConnection {}

impl RawConnection {
    /// Opens the database file in WAL mode with the durability and page cache (MiB) the
    /// settings ask for.
    pub fn open(path: &Path, durable: bool, cache_mb: u32) -> anyhow::Result<RawConnection> {
        let c_path = CString::new(path.as_os_str().as_bytes())?;
        let mut db = ptr::null_mut();
        let flags = ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE | ffi::SQLITE_OPEN_NOMUTEX;
        // SAFETY: valid C string and out-pointer; on failure `db` may still need closing,
        // which Drop does.
        let rc = unsafe { ffi::sqlite3_open_v2(c_path.as_ptr(), &mut db, flags, ptr::null()) };
        let connection = RawConnection { db, statements: HashMap::new() };
        if rc != ffi::SQLITE_OK {
            bail!("cannot open {}: {}", path.display(), connection.error_message());
        }
        // SAFETY: `db` is an open connection.
        unsafe { ffi::sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS) };
        connection.execute("PRAGMA journal_mode = WAL")?;
        connection.execute(if durable { "PRAGMA synchronous = FULL" } else { "PRAGMA synchronous = NORMAL" })?;
        // Negative: a size in KiB rather than in pages.
        connection.execute(&format!("PRAGMA cache_size = -{}", u64::from(cache_mb.max(1)) * 1024))?;
        Ok(connection)
    }

    /// Runs SQL that returns no rows we need (BEGIN, COMMIT, PRAGMA …).
    pub fn execute(&self, sql: &str) -> anyhow::Result<()> {
        let c_sql = CString::new(sql)?;
        let mut message: *mut c_char = ptr::null_mut();
        // SAFETY: open connection, valid C string; SQLite allocates `message` on error.
        let rc = unsafe { ffi::sqlite3_exec(self.db, c_sql.as_ptr(), None, ptr::null_mut(), &mut message) };
        if rc == ffi::SQLITE_OK {
            return Ok(());
        }
        let text = if message.is_null() {
            self.error_message()
        } else {
            // SAFETY: SQLite gave us a NUL-terminated string that we must free.
            let text = unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned();
            unsafe { ffi::sqlite3_free(message.cast()) };
            text
        };
        bail!("{sql}: {text}")
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    pub fn changes(&self) -> u64 {
        // SAFETY: open connection.
        u64::try_from(unsafe { ffi::sqlite3_changes64(self.db) }).unwrap_or(0)
    }

    /// The cached prepared statement for `sql`, preparing it on first use.
    pub fn statement(&mut self, sql: &str) -> anyhow::Result<Statement<'_>> {
        let stmt = match self.statements.get(sql) {
            Some(stmt) => *stmt,
            None => {
                let mut stmt = ptr::null_mut();
                let len = c_int::try_from(sql.len())?;
                // SAFETY: open connection; SQLite reads `len` bytes of `sql`.
                let rc = unsafe {
                    ffi::sqlite3_prepare_v3(
                        self.db,
                        sql.as_ptr().cast(),
                        len,
                        ffi::SQLITE_PREPARE_PERSISTENT,
                        &mut stmt,
                        ptr::null_mut(),
                    )
                };
                if rc != ffi::SQLITE_OK {
                    bail!("preparing {sql}: {}", self.error_message());
                }
                self.statements.insert(sql.to_string(), stmt);
                stmt
            }
        };
        Ok(Statement { db: self.db, stmt, _connection: PhantomData })
    }

    /// Database pages this connection has written to the WAL since the last call: what
    /// its commits cost on disk, in 4 KiB pages.
    pub fn take_pages_written(&self) -> u64 {
        let (mut current, mut highwater) = (0, 0);
        // SAFETY: open connection, valid out-pointers; resetting only zeroes the counter.
        let rc = unsafe {
            ffi::sqlite3_db_status(self.db, ffi::SQLITE_DBSTATUS_CACHE_WRITE, &mut current, &mut highwater, 1)
        };
        if rc == ffi::SQLITE_OK {
            u64::try_from(current).unwrap_or(0)
        } else {
            0
        }
    }

    fn error_message(&self) -> String {
        if self.db.is_null() {
            return "out of memory".into();
        }
        // SAFETY: the connection is valid; the message is owned by SQLite.
        unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.db)) }.to_string_lossy().into_owned()
    }
}

impl Drop for RawConnection {
    fn drop(&mut self) {
        // SAFETY: every statement belongs to this connection and is finalized once.
        unsafe {
            for stmt in self.statements.values() {
                ffi::sqlite3_finalize(*stmt);
            }
            ffi::sqlite3_close(self.db);
        }
    }
}

/// A prepared statement borrowed from the connection: bind, step, read, reset.
pub struct Statement<'c> {
    db: *mut ffi::sqlite3,
    stmt: *mut ffi::sqlite3_stmt,
    _connection: PhantomData<&'c mut RawConnection>,
}

impl Statement<'_> {
    /// The index of the parameter named `name` (such as `$2`).
    /// The index of parameter `$n` (from 1): `n` itself when the statement names its
    /// parameters `$1, $2 …` in order (as SQLite then numbers them), found by name otherwise.
    /// Checked without allocating: a row's parameters are bound for every row of a batch.
    pub fn dollar_parameter(&self, n: usize) -> anyhow::Result<c_int> {
        let index = c_int::try_from(n)?;
        // SAFETY: a valid statement; SQLite answers NULL or a NUL-terminated name it owns.
        let name = unsafe { ffi::sqlite3_bind_parameter_name(self.stmt, index) };
        if !name.is_null() {
            // SAFETY: non-null, NUL-terminated, alive while the statement is.
            let name = unsafe { CStr::from_ptr(name) }.to_str().unwrap_or_default();
            if name.strip_prefix('$').and_then(|number| number.parse::<usize>().ok()) == Some(n) {
                return Ok(index);
            }
        }
        self.parameter_index(&format!("${n}"))
    }

    pub fn parameter_index(&self, name: &str) -> anyhow::Result<c_int> {
        let c_name = CString::new(name)?;
        // SAFETY: a valid statement and a NUL-terminated name.
        match unsafe { ffi::sqlite3_bind_parameter_index(self.stmt, c_name.as_ptr()) } {
            0 => bail!("the statement has no parameter {name}"),
            index => Ok(index),
        }
    }

    /// Binds parameter `index` (from 1). Text is copied by SQLite.
    pub fn bind_text(&mut self, index: c_int, value: &str) -> anyhow::Result<()> {
        let len = c_int::try_from(value.len())?;
        // SAFETY: SQLITE_TRANSIENT makes SQLite copy the bytes before returning.
        let rc =
            unsafe { ffi::sqlite3_bind_text(self.stmt, index, value.as_ptr().cast(), len, ffi::SQLITE_TRANSIENT()) };
        self.check(rc, "binding text")
    }

    pub fn bind_optional_text(&mut self, index: c_int, value: Option<&str>) -> anyhow::Result<()> {
        match value {
            Some(text) => self.bind_text(index, text),
            // SAFETY: a valid statement.
            None => self.check(unsafe { ffi::sqlite3_bind_null(self.stmt, index) }, "binding null"),
        }
    }

    pub fn bind_i64(&mut self, index: c_int, value: i64) -> anyhow::Result<()> {
        // SAFETY: a valid statement.
        self.check(unsafe { ffi::sqlite3_bind_int64(self.stmt, index, value) }, "binding an integer")
    }

    /// Runs to the next row: `true` if there is one to read, `false` when done.
    pub fn step(&mut self) -> anyhow::Result<bool> {
        // SAFETY: a valid statement with its parameters bound.
        match unsafe { ffi::sqlite3_step(self.stmt) } {
            ffi::SQLITE_ROW => Ok(true),
            ffi::SQLITE_DONE => Ok(false),
            rc => self.check(rc, "stepping").map(|_| false),
        }
    }

    /// Runs a statement that returns no rows and makes it ready for the next use.
    pub fn run(&mut self) -> anyhow::Result<()> {
        let stepped = self.step();
        self.reset();
        stepped.map(|_| ())
    }

    pub fn text(&self, column: c_int) -> String {
        self.optional_text(column).unwrap_or_default()
    }

    pub fn optional_text(&self, column: c_int) -> Option<String> {
        // SAFETY: the statement is on a row; the pointer is valid until the next step.
        unsafe {
            if ffi::sqlite3_column_type(self.stmt, column) == ffi::SQLITE_NULL {
                return None;
            }
            let text = ffi::sqlite3_column_text(self.stmt, column);
            let len = usize::try_from(ffi::sqlite3_column_bytes(self.stmt, column)).unwrap_or(0);
            Some(String::from_utf8_lossy(std::slice::from_raw_parts(text, len)).into_owned())
        }
    }

    pub fn i64(&self, column: c_int) -> i64 {
        // SAFETY: the statement is on a row.
        unsafe { ffi::sqlite3_column_int64(self.stmt, column) }
    }

    pub fn optional_i64(&self, column: c_int) -> Option<i64> {
        // SAFETY: the statement is on a row.
        let null = unsafe { ffi::sqlite3_column_type(self.stmt, column) } == ffi::SQLITE_NULL;
        (!null).then(|| self.i64(column))
    }

    /// Makes the statement ready to be bound and run again.
    pub fn reset(&mut self) {
        // SAFETY: a valid statement. Errors were already reported by `step`.
        unsafe {
            ffi::sqlite3_reset(self.stmt);
            ffi::sqlite3_clear_bindings(self.stmt);
        }
    }

    fn check(&self, rc: c_int, what: &str) -> anyhow::Result<()> {
        if rc == ffi::SQLITE_OK {
            return Ok(());
        }
        // SAFETY: the connection is valid; the message is owned by SQLite.
        let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.db)) }.to_string_lossy().into_owned();
        Err(anyhow!("{what}: {message} (code {rc})"))
    }
}

impl Drop for Statement<'_> {
    fn drop(&mut self) {
        self.reset();
    }
}
