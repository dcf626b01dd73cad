//! Disputes about confirmed cash-outs: one is opened (for the user, through the operator),
//! and decided once — rejected, or upheld, possibly with an adjustment paid back.
//!
//! Paying an upheld dispute's adjustment: value goes back to the pockets the cash-out was
//! drawn from, last source first (as refunds do), never more to a pocket than it gave, from
//! the operator's adjustments account. The transfer ids derive from the dispute, so the
//! worker can finish an adjustment a crash interrupted without paying it twice.

use std::sync::Arc;

use ledger::{Amount, Book, Currency};

use crate::context::Context;
use crate::domain::pocket::{self, codes, Pocket};
use crate::domain::spend;
use crate::domain::text::Text;
use crate::events::{Happened, Kind};
use crate::people::{money, Lang};
use crate::services::cashout::flow;
use crate::services::page::{fetch_limit, Page};
use crate::services::{Actor, Error};
use crate::store::cashouts::Cashout;
use crate::store::disputes::{self, settled_row, Dispute};
use crate::store::wallet::NewEntry;
use crate::unit::{linked, transfer, Guard, Plan, Refusal, Unit};

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
                return Ok(Plan::new(Vec::new(), vec![state_row.clone()]));
            }
            Ok(Plan::new(linked(transfers.clone()), rows.clone()))
        }),
    })
}

/// Pays a `resolving` dispute's adjustment and marks it upheld (or finds it done already).
pub async fn settle(app: &Context, tenant: &str, dispute: &Dispute) -> anyhow::Result<()> {
    let cashout = crate::store::cashouts::get(&app.db, tenant, &dispute.cashout_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("dispute {} names no cash-out", dispute.id))?;
    let before = disputes::adjusted(&app.db, &cashout.id).await?;
    let unit = adjustment_unit(tenant, &cashout, dispute, before, app.clock.now_us())?;
    anyhow::ensure!(app.committer.apply_unit(unit).await?, "the adjustment of dispute {} was not paid", dispute.id);
    Ok(())
}

/// Opens a dispute about a confirmed cash-out, on `actor`'s word; one at a time per
/// cash-out.
pub async fn open(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    cashout_id: &str,
    reason: Text,
) -> Result<Dispute, Error> {
    let cashout = flow::load(ctx, tenant, cashout_id).await?;
    if cashout.confirmed_at.is_none() {
        return Err(Error::conflict("invalid_state", "only a confirmed cash-out can be disputed"));
    }
    let now = ctx.clock.now_us();
    let dispute = Dispute {
        id: crate::ids::time_ordered("dsp", now),
        cashout_id: cashout.id,
        user_id: cashout.quote.user_id,
        reason: reason.into_string(),
        status: "open".into(),
        outcome: None,
        note: None,
        adjustment: 0,
        created_at: now,
        resolved_at: None,
        opened_actor: Some(actor.recorded()),
        resolved_actor: None,
    };
    let data = serde_json::json!({"cashout_id": dispute.cashout_id, "reason": dispute.reason});
    let opened = Happened::new(tenant, actor, &dispute.id, Kind::DisputeOpened, data, now);
    let guard = Guard {
        row: disputes::open_guard(tenant, &dispute),
        refusal: Refusal::new("invalid_state", "this cash-out has an open dispute"),
    };
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), Vec::new()).with_event(opened).with_guard(guard);
    if !ctx.committer.apply_unit(unit).await? {
        return Err(Error::conflict("invalid_state", "this cash-out has an open dispute"));
    }
    Ok(dispute)
}

/// A dispute by id.
pub async fn get(ctx: &Context, tenant: &str, id: &str) -> Result<Dispute, Error> {
    disputes::get(&ctx.db, tenant, id).await?.ok_or_else(|| Error::not_found(format!("no dispute {id}")))
}

/// A page of user `user_id`'s disputes, newest first.
pub async fn of_user(
    ctx: &Context,
    _actor: &Actor,
    tenant: &str,
    user_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Page<Dispute>, Error> {
    let user = crate::services::users::existing(ctx, tenant, user_id).await?;
    let found = disputes::of_user(&ctx.db, tenant, &user.id, before, fetch_limit(limit)).await?;
    Ok(Page::of(found, limit))
}

/// How an operator decides a dispute.
pub enum Resolution {
    Rejected,
    /// Upheld, paying `adjustment` back to the user if there is one.
    Upheld {
        adjustment: Option<i64>,
    },
}

impl Resolution {
    /// The decision named `outcome`, with what it pays back.
    pub fn parse(outcome: &str, adjustment: Option<i64>) -> Result<Resolution, Error> {
        match (outcome, adjustment) {
            ("rejected", None) => Ok(Resolution::Rejected),
            ("rejected", Some(_)) => {
                Err(Error::invalid("invalid_adjustment", "a rejected dispute pays nothing back", "adjustment"))
            }
            ("upheld", adjustment) => Ok(Resolution::Upheld { adjustment }),
            _ => Err(Error::invalid("invalid_outcome", "outcome is upheld or rejected", "outcome")),
        }
    }
}

/// Decides an open dispute, once, as `actor`: rejected, or upheld with the adjustment paid
/// back. The decision, the adjustment's money and the `dispute.resolved` event are one
/// unit, standing on the dispute being still open.
pub async fn resolve(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    id: &str,
    resolution: Resolution,
    note: Option<Text>,
) -> Result<Dispute, Error> {
    let dispute = get(ctx, tenant, id).await?;
    let (status, outcome, adjustment) = match resolution {
        Resolution::Rejected => ("rejected", "rejected", 0),
        Resolution::Upheld { adjustment: None } => ("upheld", "upheld", 0),
        Resolution::Upheld { adjustment: Some(amount) } => {
            check_adjustment(ctx, tenant, &dispute, amount).await?;
            ("resolving", "upheld", amount)
        }
    };
    let note = note.map(Text::into_string).unwrap_or_default();
    let now = ctx.clock.now_us();
    let recorded = actor.recorded();
    let decision = disputes::Decision { status, outcome, note: &note, adjustment, at: now, actor: &recorded };
    let money = if status == "resolving" {
        let cashout = flow::load(ctx, tenant, &dispute.cashout_id).await?;
        let before = disputes::adjusted(&ctx.db, &cashout.id).await?;
        let owed = Dispute { adjustment, ..dispute.clone() };
        adjustment_unit(tenant, &cashout, &owed, before, now)?
    } else {
        Unit::fixed(Vec::new(), Vec::new(), Vec::new(), Vec::new())
    };
    let data = serde_json::json!({"cashout_id": dispute.cashout_id, "resolution": outcome, "amount": adjustment});
    let resolved = Happened::new(tenant, actor, id, Kind::DisputeResolved, data, now);
    let guard = Guard {
        row: disputes::decide_guard(tenant, id, &decision),
        refusal: Refusal::new("invalid_state", "the dispute is resolved already"),
    };
    let inner = money.plan.clone();
    let money = Unit {
        plan: Arc::new(move |book: &Book| {
            let plan = inner(book)?;
            let mut event = resolved.clone();
            event.data["transfers"] = crate::services::cashout::money::listed(book, &plan.transfers);
            Ok(plan.with_event(event))
        }),
        ..money
    };
    if !ctx.committer.apply_unit(money.with_guard(guard)).await? {
        return Err(Error::conflict("invalid_state", "the dispute is resolved already"));
    }
    get(ctx, tenant, id).await
}

/// An adjustment is owed only by a cash-out whose money did not come back, and is at most
/// what the cash-out took less what earlier disputes paid back.
async fn check_adjustment(ctx: &Context, tenant: &str, dispute: &Dispute, amount: i64) -> Result<(), Error> {
    let cashout = flow::load(ctx, tenant, &dispute.cashout_id).await?;
    if flow::RELEASING.contains(&cashout.status.as_str()) {
        let message = format!("the cash-out is {}: its money came back already, so nothing is owed", cashout.status);
        return Err(Error::conflict("invalid_state", message));
    }
    let left = cashout.quote.gross - disputes::adjusted(&ctx.db, &cashout.id).await?;
    if amount <= 0 || amount > left {
        let left = money(left, &cashout.quote.currency, Lang::En);
        let message = format!("adjustment is a positive amount of at most {left}");
        return Err(Error::invalid("invalid_adjustment", message, "adjustment"));
    }
    Ok(())
}
