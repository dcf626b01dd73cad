//! The baseline `smallchange bench plain` measures the committer against: a transfer's rows
//! written as a plain loop would write them, one statement each and no checks (no balance,
//! no idempotency, no batch). Only the benchmark calls it, on a database of its own.

use ledger::Transfer;

use super::Tx;
use crate::on_tx;

/// The row writes of one transfer, one statement each: insert it, update both accounts.
pub async fn write(tx: &mut Tx, t: &Transfer) -> anyhow::Result<()> {
    let amount = t.amount.expect("bench transfers have amounts").minor_units();
    let debit = t.debit_account.as_ref().expect("bench transfers have accounts").0.as_str();
    let credit = t.credit_account.as_ref().expect("bench transfers have accounts").0.as_str();
    on_tx!(tx, |c, _d| {
        sqlx::query(
            "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, currency, code, flags, \
             pending_id, timeout_s, created_at) VALUES ($1, $2, $3, $4, 'KRW', 1, 0, NULL, 0, $5)",
        )
        .bind(t.id.0.as_str())
        .bind(debit)
        .bind(credit)
        .bind(amount)
        .bind(super::now_us())
        .execute(&mut *c)
        .await?;
        sqlx::query("UPDATE ledger_accounts SET debits_posted = debits_posted + $1 WHERE id = $2")
            .bind(amount)
            .bind(debit)
            .execute(&mut *c)
            .await?;
        sqlx::query("UPDATE ledger_accounts SET credits_posted = credits_posted + $1 WHERE id = $2")
            .bind(amount)
            .bind(credit)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}
