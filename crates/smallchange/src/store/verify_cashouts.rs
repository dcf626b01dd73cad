//! The cash-out invariants `smallchange verify` checks: each cash-out's money is where its
//! status says, read from the ledger itself rather than from the cash-out's own record of
//! it (`hold_state`), so a record that lies is caught too.
//!
//! - `failed`, `canceled`, `expired`: the hold was released, or it was paid out and the
//!   whole of it given back (a bank return): nothing is held, nothing is out;
//! - `paid`: the hold was posted, and nothing is still held;
//! - `awaiting_confirmation`, `in_review`, `processing`, `in_transit`: the hold is in place.
//!
//! A cash-out's status and its money commit in one transaction (see
//! [`crate::services::cashout::flow::change`]), so every cash-out is judged, however
//! recently it changed: money that disagrees with its status is a failure at once.

use super::Tx;
use crate::on_tx;

/// Where a cash-out's hold stands in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// No hold transfer at all.
    Missing,
    Held,
    Posted,
    Released,
}

/// Each hold's state from its first leg (the legs are linked: all move together) and
/// whether a return gave a paid cash-out back.
const HOLDS: &str = "
SELECT c.id, c.status,
       CASE WHEN h.id IS NULL THEN 'missing'
            WHEN r.id IS NULL THEN 'held'
            WHEN (r.flags & 4) <> 0 THEN 'posted'
            ELSE 'released' END,
       CAST(CASE WHEN back.id IS NULL THEN 0 ELSE 1 END AS BIGINT)
FROM cashouts c
LEFT JOIN ledger_transfers h ON h.id = c.tenant_id || '/' || c.quote_id || ':hold:0'
LEFT JOIN ledger_transfers r ON r.pending_id = h.id
LEFT JOIN ledger_transfers back ON back.id = c.tenant_id || '/' || c.id || ':return:0'
ORDER BY c.id";

/// How many cash-outs were judged, and each that breaks an invariant, in words naming it.
pub async fn check(tx: &mut Tx) -> anyhow::Result<(u64, Vec<String>)> {
    let rows: Vec<(String, String, String, i64)> = on_tx!(tx, |c, _d| sqlx::query_as(HOLDS).fetch_all(c).await?);
    let judged = rows.len() as u64;
    let mut failures = Vec::new();
    for (id, status, hold, returned) in rows {
        let hold = match hold.as_str() {
            "held" => Hold::Held,
            "posted" => Hold::Posted,
            "released" => Hold::Released,
            _ => Hold::Missing,
        };
        if let Some(problem) = problem(&status, hold, returned != 0) {
            failures.push(format!("cash-out {id} is {status} but {problem}"));
        }
    }
    Ok((judged, failures))
}

/// What is wrong with a cash-out in `status` whose hold is `hold`, if anything.
fn problem(status: &str, hold: Hold, returned: bool) -> Option<&'static str> {
    match (status, hold, returned) {
        (_, Hold::Missing, _) => Some("it has no hold in the ledger"),
        ("failed" | "canceled" | "expired", Hold::Held, _) => Some("the user's money is still held"),
        ("failed" | "canceled" | "expired", Hold::Posted, false) => {
            Some("its money is paid out and was never given back")
        }
        ("failed" | "canceled" | "expired", _, _) => None,
        ("paid", Hold::Held, _) => Some("its hold is still pending"),
        ("paid", Hold::Released, _) => Some("its hold was released: nothing was paid out"),
        ("paid", Hold::Posted, true) => Some("its money was given back"),
        ("paid", Hold::Posted, false) => None,
        (_, Hold::Held, _) => None,
        (_, Hold::Posted, _) => Some("its hold was paid out before the payout was made"),
        (_, Hold::Released, _) => Some("its hold was released while the cash-out goes on"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_where_the_status_says() {
        assert_eq!(problem("failed", Hold::Released, false), None);
        assert_eq!(problem("failed", Hold::Posted, true), None, "paid, then returned");
        assert!(problem("failed", Hold::Posted, false).is_some(), "a return that never came back");
        assert!(problem("expired", Hold::Held, false).is_some());
        assert_eq!(problem("paid", Hold::Posted, false), None);
        assert!(problem("paid", Hold::Held, false).is_some());
        assert!(problem("paid", Hold::Released, false).is_some());
        for status in ["awaiting_confirmation", "in_review", "processing", "in_transit"] {
            assert_eq!(problem(status, Hold::Held, false), None);
            assert!(problem(status, Hold::Released, false).is_some());
            assert!(problem(status, Hold::Posted, false).is_some());
        }
        assert!(problem("processing", Hold::Missing, false).is_some());
    }
}
