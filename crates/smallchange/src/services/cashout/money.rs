//! The money of a cash-out, as units for the committer: the hold placed when it is created
//! (pending transfers from each source pocket), and later either its release (void) or its
//! payment (post, then the fee to the operator and the net out through the rail) — and,
//! should the rail return a payment it reported made, the whole gross given back.
//!
//! Each step's transfer ids derive from the cash-out, and each unit looks them up first,
//! so running a step twice (a retry, or the sweeper finishing after a crash) writes it once.

use std::sync::Arc;

use ledger::{Amount, Book, Currency, Transfer, TransferFlags, TransferId};

use serde_json::{json, Value};

use crate::domain::pocket::{self, codes, Pocket};
use crate::domain::spend;
use crate::events::{Happened, Kind};
use crate::services::Actor;
use crate::store::cashouts::{event_row, hold_state_row, Cashout};
use crate::store::wallet::{available, NewEntry};
use crate::unit::{linked, transfer, Plan, Refusal, Row, Unit};

/// The note of a cash-out's first step.
pub const HOLD_PLACED: &str = "hold placed";

fn currency_of(cashout: &Cashout) -> anyhow::Result<Currency> {
    Currency::parse(&cashout.quote.currency)
        .map_err(|_| anyhow::anyhow!("stored currency {:?}", cashout.quote.currency))
}

fn hold_id(tenant: &str, cashout: &Cashout, leg: usize) -> TransferId {
    TransferId(format!("{tenant}/{}:hold:{leg}", cashout.quote.id))
}

/// The source pockets of a cash-out, with their accounts.
fn sources(tenant: &str, cashout: &Cashout, currency: Currency) -> anyhow::Result<Vec<(Pocket, ledger::Account, i64)>> {
    cashout
        .quote
        .sources
        .iter()
        .map(|leg| {
            let pocket = Pocket::parse(&leg.pocket).ok_or_else(|| anyhow::anyhow!("stored pocket {:?}", leg.pocket))?;
            let account = pocket::pocket_account(tenant, &cashout.quote.user_id, &pocket, currency);
            Ok((pocket, account, leg.amount))
        })
        .collect()
}

fn entry_rows(
    tenant: &str,
    cashout: &Cashout,
    legs: &[(Pocket, ledger::Account, i64)],
    sign: i64,
    kind: &'static str,
    at: i64,
) -> Vec<Row> {
    legs.iter()
        .enumerate()
        .map(|(n, (pocket, _, amount))| {
            NewEntry {
                tenant,
                user: &cashout.quote.user_id,
                currency: &cashout.quote.currency,
                pocket,
                amount: sign * amount,
                kind,
                reference_id: &cashout.id,
                description: Some(&cashout.quote.rail),
                at,
            }
            .row(n)
        })
        .collect()
}

/// Places the hold of a new cash-out and records it, created by `actor`, with its event
/// `cashout.created`: exactly the quote's sources, or nothing (`insufficient_funds` if a
/// pocket no longer holds its share, `invalid_state` if the quote was used already).
pub fn hold_unit(tenant: &str, cashout: &Cashout, actor: &Actor, extra_rows: Vec<Row>) -> anyhow::Result<Unit> {
    let currency = currency_of(cashout)?;
    let legs = sources(tenant, cashout, currency)?;
    let clearing = pocket::cashout_clearing(tenant, currency);
    let at = cashout.created_at;
    let mut transfers = Vec::new();
    for (n, (_, account, amount)) in legs.iter().enumerate() {
        let value =
            Amount::positive(*amount).ok_or_else(|| anyhow::anyhow!("a source of {} is not positive", cashout.id))?;
        let mut hold =
            transfer(hold_id(tenant, cashout, n).0, &account.id, &clearing.id, value, currency, codes::CASHOUT_HOLD);
        hold.flags = TransferFlags::PENDING;
        transfers.push(hold);
    }
    let created = event_row(&cashout.id, 0, "awaiting_confirmation", HOLD_PLACED, at, &actor.recorded());
    let mut rows = vec![cashout.insert_row(tenant), created];
    rows.extend(entry_rows(tenant, cashout, &legs, -1, "cashout_hold", at));
    rows.extend(extra_rows);
    let shares: Vec<(ledger::AccountId, i64)> = legs.iter().map(|(_, a, amount)| (a.id.clone(), *amount)).collect();
    let first_hold = hold_id(tenant, cashout, 0);
    let created =
        Happened::new(tenant, actor, &cashout.id, Kind::CashoutCreated, created_data(cashout, &transfers), at);
    Ok(Unit {
        open: vec![clearing],
        read: shares.iter().map(|(id, _)| id.clone()).collect(),
        prior: vec![first_hold.clone()],
        plan: Arc::new(move |book: &Book| {
            if book.transfer(&first_hold).is_some() {
                return Err(Refusal::new("invalid_state", "this quote has been used for a cash-out already"));
            }
            for (account, amount) in &shares {
                if book.account(account).map_or(0, available) < *amount {
                    let message = "a source pocket no longer holds what the quote took from it: ask for a new quote";
                    return Err(Refusal::new("insufficient_funds", message));
                }
            }
            Ok(Plan::new(linked(transfers.clone()), rows.clone()).with_event(created.clone()))
        }),
    })
}

/// What `cashout.created` says: the cash-out's terms and its hold.
fn created_data(cashout: &Cashout, hold: &[Transfer]) -> Value {
    let q = &cashout.quote;
    let transfers: Vec<Value> =
        hold.iter().map(|t| json!({"id": t.id.0, "amount": t.amount.map(|a| a.minor_units())})).collect();
    json!({
        "user_id": q.user_id,
        "destination_id": q.destination_id,
        "rail": q.rail,
        "gross": q.gross,
        "fee": q.fee,
        "net": q.net,
        "currency": q.currency,
        "quote_id": q.id,
        "otp_channel": cashout.otp_channel,
        "transfers": transfers,
    })
}

/// The transfers a unit writes, as an event lists them: `[{id, amount}]`, the amount of a
/// post or void being that of the hold it resolves.
pub fn listed(book: &Book, transfers: &[Transfer]) -> Value {
    let amount =
        |t: &Transfer| t.amount.or_else(|| t.pending_id.as_ref().and_then(|p| book.transfer(p)).map(|p| p.amount));
    Value::Array(
        transfers.iter().map(|t| json!({"id": t.id.0, "amount": amount(t).map(|a| a.minor_units())})).collect(),
    )
}

/// Releases the hold (the money returns to its pockets) after a cancel, failure or expiry.
pub fn release_unit(tenant: &str, cashout: &Cashout, at: i64) -> anyhow::Result<Unit> {
    let currency = currency_of(cashout)?;
    let legs = sources(tenant, cashout, currency)?;
    let voids: Vec<Transfer> = (0..legs.len())
        .map(|n| {
            resolve(
                format!("{tenant}/{}:release:{n}", cashout.id),
                hold_id(tenant, cashout, n),
                TransferFlags::VOID_PENDING,
                codes::CASHOUT_RELEASE,
            )
        })
        .collect();
    let mut rows = vec![hold_state_row(&cashout.id, "released")];
    rows.extend(entry_rows(tenant, cashout, &legs, 1, "cashout_released", at));
    Ok(follow_up(voids, rows, holds(tenant, cashout, legs.len())))
}

/// Pays the hold out: posts it to the clearing account, then takes the fee to the
/// operator's income and sends the net through the rail.
pub fn settle_unit(tenant: &str, cashout: &Cashout) -> anyhow::Result<Unit> {
    let currency = currency_of(cashout)?;
    let legs = sources(tenant, cashout, currency)?;
    let clearing = pocket::cashout_clearing(tenant, currency);
    let fees = pocket::fee_income(tenant, currency);
    let sent = pocket::payouts_sent(tenant, &cashout.quote.rail, currency);
    let mut transfers: Vec<Transfer> = (0..legs.len())
        .map(|n| {
            resolve(
                format!("{tenant}/{}:pay:{n}", cashout.id),
                hold_id(tenant, cashout, n),
                TransferFlags::POST_PENDING,
                codes::CASHOUT_PAY,
            )
        })
        .collect();
    if let Some(fee) = Amount::positive(cashout.quote.fee) {
        transfers.push(transfer(
            format!("{tenant}/{}:fee", cashout.id),
            &clearing.id,
            &fees.id,
            fee,
            currency,
            codes::CASHOUT_FEE,
        ));
    }
    let net =
        Amount::positive(cashout.quote.net).ok_or_else(|| anyhow::anyhow!("cash-out {} has no net", cashout.id))?;
    transfers.push(transfer(
        format!("{tenant}/{}:sent", cashout.id),
        &clearing.id,
        &sent.id,
        net,
        currency,
        codes::CASHOUT_SENT,
    ));
    let mut unit =
        follow_up(transfers, vec![hold_state_row(&cashout.id, "settled")], holds(tenant, cashout, legs.len()));
    unit.open = vec![clearing, fees, sent];
    Ok(unit)
}

/// Gives back a paid cash-out the rail returned (a bank's return after it reported the
/// payment made): the net comes back from the rail's payouts and the fee from the
/// operator's income, and the gross goes to the pockets it was drawn from, last first —
/// less what upheld disputes paid back already (`adjusted`), which goes back to the
/// operator's adjustments account: the user gets what the cash-out took, once.
pub fn return_unit(tenant: &str, cashout: &Cashout, adjusted: i64, at: i64) -> anyhow::Result<Unit> {
    let currency = currency_of(cashout)?;
    let gave: Vec<i64> = cashout.quote.sources.iter().map(|leg| leg.amount).collect();
    let shares = spend::refund_shares(&gave, adjusted, cashout.quote.gross - adjusted);
    let legs: Vec<_> = sources(tenant, cashout, currency)?
        .into_iter()
        .zip(shares)
        .filter(|(_, share)| *share > 0)
        .map(|((pocket, account, _), share)| (pocket, account, share))
        .collect();
    let clearing = pocket::cashout_clearing(tenant, currency);
    let fees = pocket::fee_income(tenant, currency);
    let sent = pocket::payouts_sent(tenant, &cashout.quote.rail, currency);
    let id = |n: usize| format!("{tenant}/{}:return:{n}", cashout.id);
    let net =
        Amount::positive(cashout.quote.net).ok_or_else(|| anyhow::anyhow!("cash-out {} has no net", cashout.id))?;
    let mut transfers = vec![transfer(id(0), &sent.id, &clearing.id, net, currency, codes::CASHOUT_RETURN)];
    if let Some(fee) = Amount::positive(cashout.quote.fee) {
        transfers.push(transfer(id(1), &fees.id, &clearing.id, fee, currency, codes::CASHOUT_RETURN));
    }
    let adjustments = pocket::operator_adjustments(tenant, currency);
    let to_user = legs.iter().map(|(_, account, share)| (account, *share));
    for (account, share) in to_user.chain([(&adjustments, adjusted.min(cashout.quote.gross))]) {
        if let Some(value) = Amount::positive(share) {
            let n = transfers.len();
            transfers.push(transfer(id(n), &clearing.id, &account.id, value, currency, codes::CASHOUT_RETURN));
        }
    }
    let mut rows = vec![hold_state_row(&cashout.id, "released")];
    rows.extend(entry_rows(tenant, cashout, &legs, 1, "cashout_returned", at));
    let mut unit = follow_up(transfers, rows, Vec::new());
    unit.open = [clearing, fees, sent, adjustments].into_iter().chain(legs.into_iter().map(|(_, a, _)| a)).collect();
    Ok(unit)
}

/// A post or void of a hold, taking its accounts and amount from the hold.
fn resolve(id: String, pending: TransferId, flags: TransferFlags, code: u16) -> Transfer {
    Transfer {
        id: TransferId(id),
        debit_account: None,
        credit_account: None,
        amount: None,
        currency: None,
        code,
        flags,
        pending_id: Some(pending),
        timeout_s: 0,
    }
}

fn holds(tenant: &str, cashout: &Cashout, count: usize) -> Vec<TransferId> {
    (0..count).map(|n| hold_id(tenant, cashout, n)).collect()
}

/// A unit that resolves `holds` with `transfers` (all or nothing) and writes `rows` — or,
/// if its first transfer exists already (it ran before a crash), only the row that says so.
fn follow_up(transfers: Vec<Transfer>, rows: Vec<Row>, holds: Vec<TransferId>) -> Unit {
    let first = transfers[0].id.clone();
    let state_row = rows[0].clone();
    let mut prior = holds;
    prior.push(first.clone());
    Unit {
        open: Vec::new(),
        read: Vec::new(),
        prior,
        plan: Arc::new(move |book: &Book| {
            if book.transfer(&first).is_some() {
                return Ok(Plan::new(Vec::new(), vec![state_row.clone()]));
            }
            Ok(Plan::new(linked(transfers.clone()), rows.clone()))
        }),
    }
}
