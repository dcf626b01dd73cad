//! Paying an upheld dispute's adjustment: value goes back to the pockets the cash-out was
//! drawn from, last source first (as refunds do), never more to a pocket than it gave, from
//! the operator's adjustments account. The transfer ids derive from the dispute, so the
//! worker can finish an adjustment a crash interrupted without paying it twice.

use std::sync::Arc;

use ledger::{Amount, Book, Currency};

use crate::domain::pocket::{self, codes, Pocket};
use crate::domain::spend;
use crate::store::cashouts::Cashout;
use crate::store::disputes::{settled_row, Dispute};
use crate::store::wallet::NewEntry;
use crate::unit::{linked, transfer, Plan, Unit};

/// The unit paying `dispute.adjustment`, given what earlier disputes paid back.
pub fn adjustment_unit(
    tenant: &str,
    cashout: &Cashout,
    dispute: &Dispute,
    adjusted_before: i64,
    at: i64,
) -> anyhow::Result<Unit> {
    let currency = Currency::parse(&cashout.quote.currency).map_err(|_| anyhow::anyhow!("stored currency"))?;
    let from = pocket::operator_adjustments(tenant, currency);
    let gave: Vec<i64> = cashout.quote.sources.iter().map(|l| l.amount).collect();
    let shares = spend::refund_shares(&gave, adjusted_before, dispute.adjustment);
    let mut transfers = Vec::new();
    let mut rows = vec![settled_row(&dispute.id, at)];
    let mut open = vec![from.clone()];
    for (leg, share) in cashout.quote.sources.iter().zip(shares).filter(|(_, share)| *share > 0) {
        let pocket = Pocket::parse(&leg.pocket).ok_or_else(|| anyhow::anyhow!("stored pocket {:?}", leg.pocket))?;
        let account = pocket::pocket_account(tenant, &cashout.quote.user_id, &pocket, currency);
        let id = format!("{tenant}/{}:adj:{}", dispute.id, transfers.len());
        let value = Amount::new(share).expect("positive");
        transfers.push(transfer(id, &from.id, &account.id, value, currency, codes::DISPUTE_ADJUSTMENT));
        let entry = NewEntry {
            tenant,
            user: &cashout.quote.user_id,
            currency: currency.code(),
            pocket: &pocket,
            amount: share,
            kind: "dispute_adjustment",
            reference_id: &dispute.id,
            description: Some(&cashout.id),
            at,
        };
        rows.push(entry.row(transfers.len()));
        open.push(account);
    }
    anyhow::ensure!(!transfers.is_empty(), "dispute {} has nothing left to adjust", dispute.id);
    let first = transfers[0].id.clone();
    let state_row = rows[0].clone();
    Ok(Unit {
        open,
        read: Vec::new(),
        prior: vec![first.clone()],
        plan: Arc::new(move |book: &Book| {
            if book.transfer(&first).is_some() {
                return Ok(Plan { transfers: Vec::new(), rows: vec![state_row.clone()] });
            }
            Ok(Plan { transfers: linked(transfers.clone()), rows: rows.clone() })
        }),
    })
}

/// Pays a `resolving` dispute's adjustment and marks it upheld (or finds it done already).
pub async fn settle(app: &crate::context::Context, tenant: &str, dispute: &Dispute) -> anyhow::Result<()> {
    let cashout = crate::store::cashouts::get(&app.db, tenant, &dispute.cashout_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("dispute {} names no cash-out", dispute.id))?;
    let before = crate::store::disputes::adjusted(&app.db, &cashout.id).await?;
    let unit = adjustment_unit(tenant, &cashout, dispute, before, app.clock.now_us())?;
    anyhow::ensure!(app.committer.apply_unit(unit).await?, "the adjustment of dispute {} was not paid", dispute.id);
    Ok(())
}
