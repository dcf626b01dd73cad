//! What the group committer needs from a database for one batch, behind one trait with two
//! implementations: [`SqlxBatch`] (any backend, through sqlx; used for PostgreSQL, where
//! several processes share the database and accounts are locked `FOR UPDATE`) and
//! [`SqliteBatch`] (SQLite's C API on the committer's own connection and thread, where
//! sqlx's per-statement thread hand-offs dominated the cost of a batch).
//!
//! Both run the same steps in the same order, so the committer's logic is written once.

use ledger::{Account, StoredTransfer, TransferFlags, TransferId, WriteSet};

use super::audit_tree::TreeHead;
use super::idempotency::{NewRecord, StoredResponse};
use super::ledger::{account_from_row, transfer_flags, transfer_from_row, ACCOUNT_COLUMNS, TRANSFER_COLUMNS};
use super::sqlite_raw::{RawConnection, Statement};
use super::wallet::{pocket_from_row, pockets_sql, PocketAccount, Wallets};
use super::{Db, Tx};
use crate::unit::{Param, Row, WalletOf};

/// One write transaction at a time: begin, load, write, then commit or roll back.
#[allow(async_fn_in_trait)] // used only through generics inside this crate
pub trait BatchStore {
    async fn begin(&mut self) -> anyhow::Result<()>;
    async fn load_transfers(&mut self, ids: &[&str]) -> anyhow::Result<Vec<StoredTransfer>>;
    /// The accounts with these ids, locked against other writers until commit.
    async fn lock_accounts(&mut self, ids: &[&str]) -> anyhow::Result<Vec<Account>>;
    /// For each resolved pending id: the id and the flags of the transfer that resolved it.
    async fn load_resolutions(&mut self, pending_ids: &[&str]) -> anyhow::Result<Vec<(TransferId, TransferFlags)>>;
    async fn load_answers(&mut self, scoped_keys: &[&str]) -> anyhow::Result<Vec<(String, StoredResponse)>>;
    /// A user's pockets in a currency, or `None` if the tenant has no such user.
    /// Each user's pockets in a currency, or `None` if the tenant has no such user.
    async fn load_wallets(&mut self, wallets: &[&WalletOf]) -> anyhow::Result<Wallets>;
    async fn write(&mut self, writes: &WriteSet, records: &[NewRecord], now_us: i64) -> anyhow::Result<()>;
    /// Writes units' domain rows, in order.
    async fn write_rows(&mut self, rows: &[Row]) -> anyhow::Result<()>;
    /// Runs a unit's guard (a conditional update); answers how many rows it changed.
    async fn run_guard(&mut self, row: &Row) -> anyhow::Result<u64>;
    /// The audit tree heads of these tenants (sorted), held by this transaction until it
    /// ends: no other writer appends to them meanwhile. A tenant with no tree yet is left out.
    async fn lock_trees(&mut self, tenants: &[&str]) -> anyhow::Result<Vec<(String, TreeHead)>>;
    async fn commit(&mut self) -> anyhow::Result<()>;
    async fn rollback(&mut self);
    /// Pages written to disk by the commits since the last call, where the backend tells
    /// (SQLite); 0 elsewhere.
    fn take_pages_written(&mut self) -> u64 {
        0
    }
}

/// Batches through sqlx, on either backend.
pub struct SqlxBatch {
    db: Db,
    tx: Option<Tx>,
}

impl SqlxBatch {
    pub fn new(db: Db) -> SqlxBatch {
        SqlxBatch { db, tx: None }
    }

    fn tx(&mut self) -> anyhow::Result<&mut Tx> {
        self.tx.as_mut().ok_or_else(|| anyhow::anyhow!("no transaction is open"))
    }
}

impl BatchStore for SqlxBatch {
    async fn begin(&mut self) -> anyhow::Result<()> {
        self.tx = Some(self.db.begin().await?);
        Ok(())
    }

    async fn load_transfers(&mut self, ids: &[&str]) -> anyhow::Result<Vec<StoredTransfer>> {
        super::ledger::load_transfers(self.tx()?, ids).await
    }

    async fn lock_accounts(&mut self, ids: &[&str]) -> anyhow::Result<Vec<Account>> {
        super::ledger::lock_accounts(self.tx()?, ids).await
    }

    async fn load_resolutions(&mut self, pending_ids: &[&str]) -> anyhow::Result<Vec<(TransferId, TransferFlags)>> {
        super::ledger::load_resolutions(self.tx()?, pending_ids).await
    }

    async fn load_answers(&mut self, scoped_keys: &[&str]) -> anyhow::Result<Vec<(String, StoredResponse)>> {
        super::idempotency::load(self.tx()?, scoped_keys).await
    }

    async fn load_wallets(&mut self, wallets: &[&WalletOf]) -> anyhow::Result<Wallets> {
        super::wallet::wallets_in(self.tx()?, wallets).await
    }

    async fn write(&mut self, writes: &WriteSet, records: &[NewRecord], now_us: i64) -> anyhow::Result<()> {
        let tx = self.tx()?;
        super::ledger::write(tx, writes, now_us).await?;
        super::idempotency::insert(tx, records, now_us).await
    }

    async fn write_rows(&mut self, rows: &[Row]) -> anyhow::Result<()> {
        super::grouped_rows::write(self.tx()?, rows).await
    }

    async fn run_guard(&mut self, row: &Row) -> anyhow::Result<u64> {
        super::execute(self.tx()?, row.sql, &row.params).await
    }

    async fn lock_trees(&mut self, tenants: &[&str]) -> anyhow::Result<Vec<(String, TreeHead)>> {
        super::events::lock_trees(self.tx()?, tenants).await
    }

    async fn commit(&mut self) -> anyhow::Result<()> {
        let tx = self.tx.take().ok_or_else(|| anyhow::anyhow!("no transaction is open"))?;
        Ok(tx.commit().await?)
    }

    async fn rollback(&mut self) {
        // Dropping an uncommitted sqlx transaction rolls it back.
        self.tx = None;
    }
}

/// Batches on SQLite through its C API: one statement per row, each prepared once.
pub struct SqliteBatch {
    connection: RawConnection,
}

impl SqliteBatch {
    /// One user's pockets on the committer's own connection.
    fn wallet(&mut self, wallet: &WalletOf) -> anyhow::Result<Option<Vec<PocketAccount>>> {
        let mut statement = self.connection.statement(&pockets_sql(["?1", "?2", "?3"]))?;
        statement.bind_text(1, &wallet.tenant)?;
        statement.bind_text(2, &wallet.user)?;
        statement.bind_text(3, wallet.currency.code())?;
        let mut rows = Vec::new();
        while statement.step()? {
            let column = |n| statement.optional_i64(n);
            rows.push((
                statement.text(0),
                statement.text(1),
                statement.text(2),
                statement.i64(3),
                statement.i64(4),
                statement.i64(5),
                statement.i64(6),
                statement.i64(7),
                statement.i64(8),
                column(9),
                column(10),
                column(11),
                column(12),
                column(13),
            ));
        }
        statement.reset();
        drop(statement);
        if rows.is_empty() && !self.user_exists(&wallet.tenant, &wallet.user)? {
            return Ok(None);
        }
        rows.into_iter().map(pocket_from_row).collect::<anyhow::Result<_>>().map(Some)
    }

    fn user_exists(&mut self, tenant: &str, user: &str) -> anyhow::Result<bool> {
        let mut statement = self.connection.statement("SELECT 1 FROM users WHERE tenant_id = ?1 AND id = ?2")?;
        statement.bind_text(1, tenant)?;
        statement.bind_text(2, user)?;
        let found = statement.step()?;
        statement.reset();
        Ok(found)
    }

    pub fn new(connection: RawConnection) -> SqliteBatch {
        SqliteBatch { connection }
    }
}

impl BatchStore for SqliteBatch {
    async fn begin(&mut self) -> anyhow::Result<()> {
        // Takes the write lock at once: SQLite has one writer, so nothing needs row locks.
        self.connection.execute("BEGIN IMMEDIATE")
    }

    async fn load_transfers(&mut self, ids: &[&str]) -> anyhow::Result<Vec<StoredTransfer>> {
        let sql = format!("SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE id = ?");
        let rows = self.lookup_each(&sql, ids, |s| {
            let head = (s.text(0), s.text(1), s.text(2), s.i64(3), s.text(4), s.i64(5), s.i64(6));
            let (id, debit, credit, amount, currency, code, flags) = head;
            (id, debit, credit, amount, currency, code, flags, s.optional_text(7), s.i64(8), s.i64(9))
        })?;
        rows.into_iter().map(|(_, row)| transfer_from_row(row)).collect()
    }

    async fn lock_accounts(&mut self, ids: &[&str]) -> anyhow::Result<Vec<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = ?");
        let rows = self.lookup_each(&sql, ids, |s| {
            (s.text(0), s.text(1), s.i64(2), s.i64(3), s.i64(4), s.i64(5), s.i64(6), s.i64(7))
        })?;
        rows.into_iter().map(|(_, row)| account_from_row(row)).collect()
    }

    async fn load_resolutions(&mut self, pending_ids: &[&str]) -> anyhow::Result<Vec<(TransferId, TransferFlags)>> {
        let sql = "SELECT flags FROM ledger_transfers WHERE pending_id = ?";
        let rows = self.lookup_each(sql, pending_ids, |s| s.i64(0))?;
        rows.into_iter().map(|(id, flags)| Ok((TransferId(id.to_string()), transfer_flags(flags)?))).collect()
    }

    async fn load_answers(&mut self, scoped_keys: &[&str]) -> anyhow::Result<Vec<(String, StoredResponse)>> {
        let sql = "SELECT request_hash, status, body FROM idempotency_keys WHERE scoped_key = ?";
        let rows = self.lookup_each(sql, scoped_keys, |s| StoredResponse {
            request_hash: s.text(0),
            status: u16::try_from(s.i64(1)).unwrap_or(500),
            body: s.text(2),
        })?;
        Ok(rows.into_iter().map(|(key, response)| (key.to_string(), response)).collect())
    }

    async fn load_wallets(&mut self, wallets: &[&WalletOf]) -> anyhow::Result<Wallets> {
        let mut found = Wallets::new();
        for wallet in wallets {
            if !found.contains_key(*wallet) {
                found.insert((*wallet).clone(), self.wallet(wallet)?);
            }
        }
        Ok(found)
    }

    async fn write(&mut self, writes: &WriteSet, records: &[NewRecord], now_us: i64) -> anyhow::Result<()> {
        self.insert_accounts(&writes.accounts_created, now_us)?;
        self.update_accounts(&writes.accounts_updated)?;
        self.insert_transfers(&writes.transfers)?;
        self.change_expiries(writes)?;
        self.insert_answers(records, now_us)
    }

    async fn write_rows(&mut self, rows: &[Row]) -> anyhow::Result<()> {
        for row in rows {
            self.run_row(row)?;
        }
        Ok(())
    }

    async fn run_guard(&mut self, row: &Row) -> anyhow::Result<u64> {
        self.run_row(row)?;
        Ok(self.connection.changes())
    }

    async fn lock_trees(&mut self, tenants: &[&str]) -> anyhow::Result<Vec<(String, TreeHead)>> {
        // The committer's connection is SQLite's one writer: reading is holding.
        let sql = "SELECT size, frontier FROM audit_trees WHERE tenant_id = ?";
        let rows = self.lookup_each(sql, tenants, |s| TreeHead { size: s.i64(0) as u64, frontier: s.text(1) })?;
        Ok(rows.into_iter().map(|(tenant, head)| (tenant.to_string(), head)).collect())
    }

    async fn commit(&mut self) -> anyhow::Result<()> {
        self.connection.execute("COMMIT")
    }

    async fn rollback(&mut self) {
        // Fails harmlessly when SQLite already rolled back after an error.
        let _ = self.connection.execute("ROLLBACK");
    }

    fn take_pages_written(&mut self) -> u64 {
        self.connection.take_pages_written()
    }
}

impl SqliteBatch {
    fn run_row(&mut self, row: &Row) -> anyhow::Result<()> {
        let mut statement = self.connection.statement(row.sql)?;
        for (n, param) in row.params.iter().enumerate() {
            let index = statement.dollar_parameter(n + 1)?;
            match param {
                Param::Text(text) => statement.bind_text(index, text)?,
                Param::Int(value) => statement.bind_i64(index, *value)?,
                Param::Null => statement.bind_optional_text(index, None)?,
            }
        }
        statement.run()
    }

    /// Runs `sql` (one `?`, at most one row) for each key; returns the keys found with
    /// what `read` made of their row.
    fn lookup_each<'k, T>(
        &mut self,
        sql: &str,
        keys: &[&'k str],
        read: impl Fn(&Statement<'_>) -> T,
    ) -> anyhow::Result<Vec<(&'k str, T)>> {
        let mut statement = self.connection.statement(sql)?;
        let mut found = Vec::new();
        for key in keys {
            statement.bind_text(1, key)?;
            if statement.step()? {
                found.push((*key, read(&statement)));
            }
            statement.reset();
        }
        Ok(found)
    }

    fn insert_accounts(&mut self, accounts: &[Account], now_us: i64) -> anyhow::Result<()> {
        let sql = format!(
            "INSERT INTO ledger_accounts (tenant_id, created_at, {ACCOUNT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)"
        );
        let mut statement = self.connection.statement(&sql)?;
        for a in accounts {
            statement.bind_text(1, super::ledger::tenant_of(&a.id.0))?;
            statement.bind_i64(2, now_us)?;
            statement.bind_text(3, &a.id.0)?;
            statement.bind_text(4, a.currency.code())?;
            statement.bind_i64(5, i64::from(a.code))?;
            statement.bind_i64(6, i64::from(a.flags.bits()))?;
            statement.bind_i64(7, a.debits_pending.minor_units())?;
            statement.bind_i64(8, a.debits_posted.minor_units())?;
            statement.bind_i64(9, a.credits_pending.minor_units())?;
            statement.bind_i64(10, a.credits_posted.minor_units())?;
            statement.run()?;
        }
        Ok(())
    }

    fn update_accounts(&mut self, accounts: &[Account]) -> anyhow::Result<()> {
        let sql = "UPDATE ledger_accounts SET debits_pending = ?, debits_posted = ?, credits_pending = ?, \
                   credits_posted = ? WHERE id = ?";
        let mut statement = self.connection.statement(sql)?;
        for a in accounts {
            statement.bind_i64(1, a.debits_pending.minor_units())?;
            statement.bind_i64(2, a.debits_posted.minor_units())?;
            statement.bind_i64(3, a.credits_pending.minor_units())?;
            statement.bind_i64(4, a.credits_posted.minor_units())?;
            statement.bind_text(5, &a.id.0)?;
            statement.run()?;
        }
        Ok(())
    }

    fn insert_transfers(&mut self, transfers: &[StoredTransfer]) -> anyhow::Result<()> {
        let sql = format!("INSERT INTO ledger_transfers ({TRANSFER_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)");
        let mut statement = self.connection.statement(&sql)?;
        for t in transfers {
            statement.bind_text(1, &t.id.0)?;
            statement.bind_text(2, &t.debit_account.0)?;
            statement.bind_text(3, &t.credit_account.0)?;
            statement.bind_i64(4, t.amount.minor_units())?;
            statement.bind_text(5, t.currency.code())?;
            statement.bind_i64(6, i64::from(t.code))?;
            statement.bind_i64(7, i64::from(t.flags.bits()))?;
            statement.bind_optional_text(8, t.pending_id.as_ref().map(|p| p.0.as_str()))?;
            statement.bind_i64(9, i64::from(t.timeout_s))?;
            statement.bind_i64(10, t.created_at)?;
            statement.run()?;
        }
        Ok(())
    }

    fn change_expiries(&mut self, writes: &WriteSet) -> anyhow::Result<()> {
        let mut add =
            self.connection.statement("INSERT INTO ledger_pending_expiries (transfer_id, expires_at) VALUES (?, ?)")?;
        for (id, at) in &writes.expiries_added {
            add.bind_text(1, &id.0)?;
            add.bind_i64(2, *at)?;
            add.run()?;
        }
        drop(add);
        let mut remove = self.connection.statement("DELETE FROM ledger_pending_expiries WHERE transfer_id = ?")?;
        for id in &writes.expiries_removed {
            remove.bind_text(1, &id.0)?;
            remove.run()?;
        }
        Ok(())
    }

    fn insert_answers(&mut self, records: &[NewRecord], now_us: i64) -> anyhow::Result<()> {
        let sql =
            "INSERT INTO idempotency_keys (scoped_key, request_hash, status, body, created_at) VALUES (?,?,?,?,?)";
        let mut statement = self.connection.statement(sql)?;
        for r in records {
            statement.bind_text(1, &r.scoped_key)?;
            statement.bind_text(2, &r.response.request_hash)?;
            statement.bind_i64(3, i64::from(r.response.status))?;
            statement.bind_text(4, &r.response.body)?;
            statement.bind_i64(5, now_us)?;
            statement.run()?;
        }
        Ok(())
    }
}
