//! `smallchange verify`: recomputes every ledger invariant from the stored entries, and
//! checks that each cash-out's money is where its status says (see [`super::verify_cashouts`]).
//!
//! Balances are kept as running counters for O(1) reads; this check rebuilds them from the
//! append-only transfers and compares, so a bug in either path shows up as a named failure.

use std::collections::BTreeMap;

use super::{Db, Tx};
use crate::on_tx;

/// What `verify` found: empty means every invariant holds.
#[derive(Debug, Default)]
pub struct Report {
    pub accounts: u64,
    pub transfers: u64,
    /// Cash-outs whose money was compared with their status.
    pub cashouts: u64,
    pub failures: Vec<String>,
}

/// Failures beyond this many are counted, not listed.
const FAILURES_LISTED_MAX: usize = 50;

impl Report {
    fn fail(&mut self, failure: String) {
        if self.failures.len() < FAILURES_LISTED_MAX {
            self.failures.push(failure);
        }
    }
}

/// Counters recomputed from transfers: an unresolved pending transfer counts as pending, a
/// post or single-phase transfer as posted, a void or expiry as nothing.
const RECOMPUTED: &str = "
SELECT account_id,
       CAST(SUM(dp) AS BIGINT), CAST(SUM(dpo) AS BIGINT), CAST(SUM(cp) AS BIGINT), CAST(SUM(cpo) AS BIGINT)
FROM (
  SELECT debit_account_id AS account_id, held AS dp, posted AS dpo, 0 AS cp, 0 AS cpo FROM moves
  UNION ALL
  SELECT credit_account_id, 0, 0, held, posted FROM moves
) AS sides
GROUP BY account_id
ORDER BY account_id";

const MOVES: &str = "
WITH moves AS (
  SELECT t.debit_account_id, t.credit_account_id,
         CASE WHEN (t.flags & 2) <> 0 AND NOT EXISTS
                   (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)
              THEN t.amount ELSE 0 END AS held,
         CASE WHEN (t.flags & 14) = 0 OR (t.flags & 4) <> 0 THEN t.amount ELSE 0 END AS posted
  FROM ledger_transfers t
)";

type Counters = (String, i64, i64, i64, i64);

/// Checks one snapshot of the database, so it may run while the server writes.
pub async fn run(db: &Db) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let mut tx = db.begin_snapshot().await?;
    let stored: Vec<(String, String, i64, i64, i64, i64, i64)> = on_tx!(&mut tx, |c, _d| {
        sqlx::query_as(
            "SELECT id, currency, flags, debits_pending, debits_posted, credits_pending, credits_posted \
             FROM ledger_accounts ORDER BY id",
        )
        .fetch_all(c)
        .await?
    });
    let recomputed: Vec<Counters> =
        on_tx!(&mut tx, |c, _d| sqlx::query_as(&format!("{MOVES} {RECOMPUTED}")).fetch_all(c).await?);
    report.accounts = stored.len() as u64;
    check_conservation(&stored, &mut report);
    check_counters(&stored, recomputed, &mut report);
    check_resolutions(&mut tx, &mut report).await?;
    let (cashouts, failures) = super::verify_cashouts::check(&mut tx).await?;
    report.cashouts = cashouts;
    failures.into_iter().for_each(|failure| report.fail(failure));
    tx.commit().await?; // read only: nothing to keep
    Ok(report)
}

/// Per currency, Σ debits = Σ credits, pending and posted; and every account within limits.
fn check_conservation(stored: &[(String, String, i64, i64, i64, i64, i64)], report: &mut Report) {
    let mut sums: BTreeMap<&str, [i128; 4]> = BTreeMap::new();
    for (id, currency, flags, dp, dpo, cp, cpo) in stored {
        let sum = sums.entry(currency.as_str()).or_default();
        for (s, v) in sum.iter_mut().zip([dp, dpo, cp, cpo]) {
            *s += i128::from(*v);
        }
        let (debits, credits) = (i128::from(*dp) + i128::from(*dpo), i128::from(*cp) + i128::from(*cpo));
        if flags & 1 != 0 && debits > i128::from(*cpo) {
            report.fail(format!("account {id}: debits {debits} exceed posted credits {cpo}"));
        }
        if flags & 2 != 0 && credits > i128::from(*dpo) {
            report.fail(format!("account {id}: credits {credits} exceed posted debits {dpo}"));
        }
    }
    for (currency, [dp, dpo, cp, cpo]) in sums {
        if dp != cp {
            report.fail(format!("{currency}: pending debits {dp} != pending credits {cp}"));
        }
        if dpo != cpo {
            report.fail(format!("{currency}: posted debits {dpo} != posted credits {cpo}"));
        }
    }
}

/// Each account's counters equal what its transfers add up to.
fn check_counters(
    stored: &[(String, String, i64, i64, i64, i64, i64)],
    recomputed: Vec<Counters>,
    report: &mut Report,
) {
    let mut from_entries: BTreeMap<String, [i64; 4]> =
        recomputed.into_iter().map(|(id, dp, dpo, cp, cpo)| (id, [dp, dpo, cp, cpo])).collect();
    for (id, _, _, dp, dpo, cp, cpo) in stored {
        let expected = from_entries.remove(id).unwrap_or_default();
        if expected != [*dp, *dpo, *cp, *cpo] {
            report.fail(format!(
                "account {id}: counters [{dp}, {dpo}, {cp}, {cpo}] but its transfers add up to {expected:?}"
            ));
        }
    }
    for id in from_entries.keys() {
        report.fail(format!("transfers name account {id}, which does not exist"));
    }
}

/// Every post or void resolves an existing pending transfer, between the same accounts,
/// for at most its amount; none resolves twice.
async fn check_resolutions(tx: &mut Tx, report: &mut Report) -> anyhow::Result<()> {
    let (transfers,): (i64,) =
        on_tx!(tx, |c, _d| sqlx::query_as("SELECT COUNT(*) FROM ledger_transfers").fetch_one(c).await?);
    report.transfers = transfers as u64;
    let bad: Vec<(String, Option<String>)> = on_tx!(tx, |c, _d| {
        sqlx::query_as(
            "SELECT r.id, p.id FROM ledger_transfers r \
             LEFT JOIN ledger_transfers p ON p.id = r.pending_id \
             WHERE r.pending_id IS NOT NULL AND (p.id IS NULL OR (p.flags & 2) = 0 \
               OR p.debit_account_id <> r.debit_account_id OR p.credit_account_id <> r.credit_account_id \
               OR p.currency <> r.currency OR r.amount > p.amount)",
        )
        .fetch_all(c)
        .await?
    });
    for (id, pending) in bad {
        match pending {
            None => report.fail(format!("transfer {id} resolves a pending transfer that does not exist")),
            Some(p) => report.fail(format!("transfer {id} does not match the pending transfer {p} it resolves")),
        }
    }
    let twice: Vec<(String, i64)> = on_tx!(tx, |c, _d| {
        sqlx::query_as(
            "SELECT pending_id, COUNT(*) FROM ledger_transfers WHERE pending_id IS NOT NULL \
             GROUP BY pending_id HAVING COUNT(*) > 1",
        )
        .fetch_all(c)
        .await?
    });
    for (id, count) in twice {
        report.fail(format!("pending transfer {id} is resolved {count} times"));
    }
    Ok(())
}
