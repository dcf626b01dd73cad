//! Ledger rows: loading what a batch touches and writing what it changed.
//!
//! Writes are set-based (multi-row `INSERT`, one `UPDATE … FROM (VALUES …)` per chunk) so
//! that a batch of thousands of transfers costs a handful of statements, not thousands.

use anyhow::{anyhow, Context};
use ledger::{Account, AccountFlags, AccountId, Amount, Currency, StoredTransfer, TransferFlags, TransferId, WriteSet};

use super::dialect::values_placeholders;
use super::{Db, Tx};
use crate::{on_db, on_tx};

/// Rows per multi-row statement: well under SQLite's 32,766 and PostgreSQL's 65,535
/// parameters, and few distinct statement texts for the statement cache.
const ROWS_PER_STATEMENT: usize = 500;

pub(crate) type AccountRow = (String, String, i64, i64, i64, i64, i64, i64);
pub(crate) type TransferRow = (String, String, String, i64, String, i64, i64, Option<String>, i64, i64);

pub(crate) const ACCOUNT_COLUMNS: &str =
    "id, currency, code, flags, debits_pending, debits_posted, credits_pending, credits_posted";
pub(crate) const TRANSFER_COLUMNS: &str =
    "id, debit_account_id, credit_account_id, amount, currency, code, flags, pending_id, timeout_s, created_at";

/// The tenant part of a scoped id `"<tenant>/<id>"`.
pub fn tenant_of(scoped_id: &str) -> &str {
    scoped_id.split_once('/').map_or("", |(tenant, _)| tenant)
}

/// Loads the accounts with these ids, in id order, locking them against other writers
/// until the transaction ends (PostgreSQL; SQLite has a single writer already).
pub async fn lock_accounts(tx: &mut Tx, ids: &[&str]) -> anyhow::Result<Vec<Account>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<AccountRow> = on_tx!(tx, |c, d| {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE {} ORDER BY id{}",
            d.in_id_list("id", 1),
            d.for_update()
        );
        sqlx::query_as(&sql).bind(d.id_list(ids.iter().copied())).fetch_all(c).await?
    });
    rows.into_iter().map(account_from_row).collect()
}

/// Loads the transfers with these ids.
pub async fn load_transfers(tx: &mut Tx, ids: &[&str]) -> anyhow::Result<Vec<StoredTransfer>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<TransferRow> = on_tx!(tx, |c, d| {
        let sql = format!("SELECT {TRANSFER_COLUMNS} FROM ledger_transfers WHERE {}", d.in_id_list("id", 1));
        sqlx::query_as(&sql).bind(d.id_list(ids.iter().copied())).fetch_all(c).await?
    });
    rows.into_iter().map(transfer_from_row).collect()
}

/// For each of these pending ids that has been resolved: the id and the resolving flags.
pub async fn load_resolutions(tx: &mut Tx, pending_ids: &[&str]) -> anyhow::Result<Vec<(TransferId, TransferFlags)>> {
    if pending_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, i64)> = on_tx!(tx, |c, d| {
        let sql = format!("SELECT pending_id, flags FROM ledger_transfers WHERE {}", d.in_id_list("pending_id", 1));
        sqlx::query_as(&sql).bind(d.id_list(pending_ids.iter().copied())).fetch_all(c).await?
    });
    rows.into_iter().map(|(id, flags)| Ok((TransferId(id), transfer_flags(flags)?))).collect()
}

/// Writes everything a batch changed. The caller commits.
pub async fn write(tx: &mut Tx, writes: &WriteSet, created_at: i64) -> anyhow::Result<()> {
    insert_accounts(tx, &writes.accounts_created, created_at).await?;
    update_accounts(tx, &writes.accounts_updated).await?;
    insert_transfers(tx, &writes.transfers).await?;
    insert_expiries(tx, &writes.expiries_added).await?;
    let removed: Vec<&str> = writes.expiries_removed.iter().map(|id| id.0.as_str()).collect();
    delete_expiries(tx, &removed).await
}

async fn insert_accounts(tx: &mut Tx, accounts: &[Account], created_at: i64) -> anyhow::Result<()> {
    for chunk in accounts.chunks(ROWS_PER_STATEMENT) {
        on_tx!(tx, |c, d| {
            let sql = format!(
                "INSERT INTO ledger_accounts (tenant_id, created_at, {ACCOUNT_COLUMNS}) VALUES {}",
                values_placeholders(d, chunk.len(), 10)
            );
            let mut query = sqlx::query(&sql);
            for a in chunk {
                query = query
                    .bind(tenant_of(&a.id.0))
                    .bind(created_at)
                    .bind(a.id.0.as_str())
                    .bind(a.currency.code())
                    .bind(i64::from(a.code))
                    .bind(i64::from(a.flags.bits()))
                    .bind(a.debits_pending.minor_units())
                    .bind(a.debits_posted.minor_units())
                    .bind(a.credits_pending.minor_units())
                    .bind(a.credits_posted.minor_units());
            }
            query.execute(c).await.context("inserting accounts")?;
        });
    }
    Ok(())
}

async fn update_accounts(tx: &mut Tx, accounts: &[Account]) -> anyhow::Result<()> {
    for chunk in accounts.chunks(ROWS_PER_STATEMENT) {
        on_tx!(tx, |c, d| {
            // VALUES columns are named column1… in both SQLite and PostgreSQL.
            let sql = format!(
                "UPDATE ledger_accounts SET debits_pending = v.column2, debits_posted = v.column3, \
                 credits_pending = v.column4, credits_posted = v.column5 \
                 FROM (VALUES {}) AS v WHERE ledger_accounts.id = v.column1",
                values_placeholders(d, chunk.len(), 5)
            );
            let mut query = sqlx::query(&sql);
            for a in chunk {
                query = query
                    .bind(a.id.0.as_str())
                    .bind(a.debits_pending.minor_units())
                    .bind(a.debits_posted.minor_units())
                    .bind(a.credits_pending.minor_units())
                    .bind(a.credits_posted.minor_units());
            }
            let done = query.execute(c).await.context("updating accounts")?;
            anyhow::ensure!(done.rows_affected() == chunk.len() as u64, "an updated account vanished");
        });
    }
    Ok(())
}

async fn insert_transfers(tx: &mut Tx, transfers: &[StoredTransfer]) -> anyhow::Result<()> {
    for chunk in transfers.chunks(ROWS_PER_STATEMENT) {
        on_tx!(tx, |c, d| {
            let sql = format!(
                "INSERT INTO ledger_transfers ({TRANSFER_COLUMNS}) VALUES {}",
                values_placeholders(d, chunk.len(), 10)
            );
            let mut query = sqlx::query(&sql);
            for t in chunk {
                query = query
                    .bind(t.id.0.as_str())
                    .bind(t.debit_account.0.as_str())
                    .bind(t.credit_account.0.as_str())
                    .bind(t.amount.minor_units())
                    .bind(t.currency.code())
                    .bind(i64::from(t.code))
                    .bind(i64::from(t.flags.bits()))
                    .bind(t.pending_id.as_ref().map(|p| p.0.as_str()))
                    .bind(i64::from(t.timeout_s))
                    .bind(t.created_at);
            }
            query.execute(c).await.context("inserting transfers")?;
        });
    }
    Ok(())
}

async fn insert_expiries(tx: &mut Tx, expiries: &[(TransferId, i64)]) -> anyhow::Result<()> {
    for chunk in expiries.chunks(ROWS_PER_STATEMENT) {
        on_tx!(tx, |c, d| {
            let sql = format!(
                "INSERT INTO ledger_pending_expiries (transfer_id, expires_at) VALUES {}",
                values_placeholders(d, chunk.len(), 2)
            );
            let mut query = sqlx::query(&sql);
            for (id, at) in chunk {
                query = query.bind(id.0.as_str()).bind(*at);
            }
            query.execute(c).await.context("inserting expiries")?;
        });
    }
    Ok(())
}

async fn delete_expiries(tx: &mut Tx, ids: &[&str]) -> anyhow::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    on_tx!(tx, |c, d| {
        let sql = format!("DELETE FROM ledger_pending_expiries WHERE {}", d.in_id_list("transfer_id", 1));
        sqlx::query(&sql).bind(d.id_list(ids.iter().copied())).execute(c).await?;
    });
    Ok(())
}

/// One account, read without locking: an O(1) primary-key lookup whatever the history.
pub async fn get_account(db: &Db, id: &str) -> anyhow::Result<Option<Account>> {
    let row: Option<AccountRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = $1");
        sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
    });
    row.map(account_from_row).transpose()
}

/// Pending transfers whose timeout has passed, oldest first, at most `limit`.
pub async fn due_expiries(db: &Db, now_us: i64, limit: i64) -> anyhow::Result<Vec<TransferId>> {
    let rows: Vec<(String,)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT transfer_id FROM ledger_pending_expiries WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2",
        )
        .bind(now_us)
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    Ok(rows.into_iter().map(|(id,)| TransferId(id)).collect())
}

pub(crate) fn account_from_row(row: AccountRow) -> anyhow::Result<Account> {
    let (id, currency, code, flags, dp, dpo, cp, cpo) = row;
    Ok(Account {
        currency: Currency::parse(&currency).map_err(|_| anyhow!("account {id}: bad currency {currency}"))?,
        code: u16::try_from(code).with_context(|| format!("account {id}: bad code"))?,
        flags: u32::try_from(flags)
            .ok()
            .and_then(AccountFlags::from_bits)
            .ok_or_else(|| anyhow!("account {id}: bad flags {flags}"))?,
        debits_pending: amount(dp)?,
        debits_posted: amount(dpo)?,
        credits_pending: amount(cp)?,
        credits_posted: amount(cpo)?,
        id: AccountId(id),
    })
}

pub(crate) fn transfer_from_row(row: TransferRow) -> anyhow::Result<StoredTransfer> {
    let (id, debit, credit, value, currency, code, flags, pending_id, timeout_s, created_at) = row;
    Ok(StoredTransfer {
        debit_account: AccountId(debit),
        credit_account: AccountId(credit),
        amount: amount(value)?,
        currency: Currency::parse(&currency).map_err(|_| anyhow!("transfer {id}: bad currency"))?,
        code: u16::try_from(code).with_context(|| format!("transfer {id}: bad code"))?,
        flags: transfer_flags(flags)?,
        pending_id: pending_id.map(TransferId),
        timeout_s: u32::try_from(timeout_s).with_context(|| format!("transfer {id}: bad timeout"))?,
        created_at,
        id: TransferId(id),
    })
}

fn amount(minor_units: i64) -> anyhow::Result<Amount> {
    Amount::new(minor_units).ok_or_else(|| anyhow!("negative amount {minor_units} in the database"))
}

pub(crate) fn transfer_flags(bits: i64) -> anyhow::Result<TransferFlags> {
    u32::try_from(bits)
        .ok()
        .and_then(TransferFlags::from_bits)
        .ok_or_else(|| anyhow!("bad transfer flags {bits} in the database"))
}
