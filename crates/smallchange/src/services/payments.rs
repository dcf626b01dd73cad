//! Micropayments: a user pays a merchant from their pockets in spend order, as one linked
//! group (all or nothing); a payment is refunded, in full or in part, to the pockets that
//! paid it.
//!
//! Which pockets pay is decided inside the committer against the locked balances, so
//! concurrent payments can never together spend more than is there.

use std::sync::Arc;

use ledger::{AccountId, Amount, Currency, Transfer, TransferResult};
use serde_json::json;

use super::commit::{self, refused, Answer, Retry};
use super::page::{fetch_limit, Page};
use super::{Actor, Error};
use crate::context::Context;
use crate::domain::payment::Merchant;
use crate::domain::pocket::{self, codes, Pocket};
use crate::domain::spend;
use crate::events::{self, Happened, Kind};
use crate::people::{self, Lang};
use crate::store::payments::{self, Leg, Payment, Refund};
use crate::store::wallet::{available, NewEntry, PocketAccount};
use crate::unit::{linked, transfer, Plan, Refusal, Unit, UnitOutput, WalletOf, WalletUnit};

/// What a user pays, parsed.
pub struct NewPayment {
    pub merchant: Merchant,
    pub amount: Amount,
    pub currency: Currency,
    pub description: Option<String>,
}

/// Pays `input.merchant` from user `user_id`'s wallet: the payment as made, with the
/// pockets that paid, recorded as `payment.made` by `actor`.
pub async fn pay(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    user_id: &str,
    input: NewPayment,
    retry: Option<Retry<Payment>>,
) -> Result<Answer<Payment>, Error> {
    let at = ctx.clock.now_us();
    let payment = Payment {
        id: crate::ids::time_ordered("pay", at),
        user_id: user_id.to_string(),
        merchant: input.merchant.into_string(),
        amount: input.amount.minor_units(),
        currency: input.currency.code().to_string(),
        description: input.description,
        legs: Vec::new(),
        created_at: at,
    };
    let unit = payment_unit(tenant, actor, payment.clone(), input.amount, input.currency);
    let interpret = Arc::new(move |outcome: &UnitOutput| {
        fail_on(outcome)?;
        Ok(Payment { legs: legs_moved(outcome, codes::PAYMENT, pocket_name, true), ..payment.clone() })
    });
    commit::commit(ctx, retry, unit, interpret).await
}

/// A payment, with how much of it was refunded so far.
pub async fn get(ctx: &Context, tenant: &str, id: &str) -> Result<(Payment, i64), Error> {
    let payment = found(ctx, tenant, id).await?;
    let refunded = payments::refunded(&ctx.db, tenant, id).await?;
    Ok((payment, refunded))
}

/// A page of user `user_id`'s payments, newest first, each with how much of it was refunded
/// so far. Reading records nothing: `_actor` is taken as every use case takes it.
pub async fn of_user(
    ctx: &Context,
    _actor: &Actor,
    tenant: &str,
    user_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Page<(Payment, i64)>, Error> {
    let user = super::users::existing(ctx, tenant, user_id).await?;
    let found = payments::of_user(&ctx.db, tenant, &user.id, before, fetch_limit(limit)).await?;
    let Page { items, has_more } = Page::of(found, limit);
    let mut with_refunds = Vec::with_capacity(items.len());
    for payment in items {
        let refunded = payments::refunded(&ctx.db, tenant, &payment.id).await?;
        with_refunds.push((payment, refunded));
    }
    Ok(Page { items: with_refunds, has_more })
}

/// A refund as made, in its payment's currency.
#[derive(Clone, Debug)]
pub struct Refunded {
    pub refund: Refund,
    pub currency: String,
}

/// Refunds `amount` of payment `id` (default: all that is not refunded yet) to the pockets
/// that paid it, recorded as `payment.refunded` by `actor`.
pub async fn refund(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    id: &str,
    amount: Option<Amount>,
    retry: Option<Retry<Refunded>>,
) -> Result<Answer<Refunded>, Error> {
    let payment = found(ctx, tenant, id).await?;
    let at = ctx.clock.now_us();
    let refund_id = crate::ids::time_ordered("rfd", at);
    let refund = NewRefund { id: refund_id.clone(), amount: amount.map(Amount::minor_units), at };
    let unit = refund_unit(tenant, actor, &payment, refund)?;
    let interpret = Arc::new(move |outcome: &UnitOutput| {
        fail_on(outcome)?;
        let legs = legs_moved(outcome, codes::PAYMENT_REFUND, pocket_name, false);
        let amount = legs.iter().map(|l| l.amount).sum();
        let refund = Refund { id: refund_id.clone(), payment_id: payment.id.clone(), amount, legs, created_at: at };
        Ok(Refunded { refund, currency: payment.currency.clone() })
    });
    commit::commit(ctx, retry, unit, interpret).await
}

async fn found(ctx: &Context, tenant: &str, id: &str) -> Result<Payment, Error> {
    let payment = payments::get(&ctx.db, tenant, id).await?;
    payment.ok_or_else(|| Error::not_found(format!("no payment {id}")))
}

/// Pays from the user's pockets in spend order, as the committer reads them: an expired
/// gift card's balance cannot be spent, and an unknown user is not found.
fn payment_unit(tenant: &str, actor: &Actor, payment: Payment, amount: Amount, currency: Currency) -> WalletUnit {
    let merchant = pocket::merchant_account(tenant, &payment.merchant, currency);
    let merchant_id = merchant.id.clone();
    let tenant = tenant.to_string();
    let actor = actor.recorded();
    let wallet = WalletOf { tenant: tenant.clone(), user: payment.user_id.clone(), currency };
    WalletUnit {
        wallet,
        open: vec![merchant],
        plan: Arc::new(move |book, pockets| {
            let Some(pockets) = pockets else {
                return Err(Refusal::missing(format!("no user {}", payment.user_id)));
            };
            let mut pockets: Vec<&PocketAccount> = pockets
                .iter()
                .filter(|p| p.gift_card_expires_at.is_none_or(|expires| expires > payment.created_at))
                .collect();
            spend::sort_for_spending(&mut pockets, |p| (&p.pocket, p.gift_card_expires_at));
            let held: Vec<i64> = pockets.iter().map(|p| book.account(&p.account.id).map_or(0, available)).collect();
            let Some(taken) = spend::draw(&held, amount.minor_units()) else {
                let money = |minor: i64| people::money(minor, currency.code(), Lang::En);
                let message = format!(
                    "the wallet holds {} of the {} to pay",
                    money(held.iter().sum()),
                    money(amount.minor_units())
                );
                return Err(Refusal::new("insufficient_funds", message));
            };
            let mut payment = payment.clone();
            let mut transfers = Vec::new();
            let mut rows = Vec::new();
            for (pocket, take) in pockets.iter().zip(taken).filter(|(_, take)| *take > 0) {
                let id = format!("{tenant}/{}:{}", payment.id, transfers.len());
                let share = Amount::new(take).expect("positive");
                transfers.push(transfer(id, &pocket.account.id, &merchant_id, share, currency, codes::PAYMENT));
                payment.legs.push(Leg { pocket: pocket.pocket.name(), amount: take });
                let entry = NewEntry {
                    tenant: &tenant,
                    user: &payment.user_id,
                    currency: currency.code(),
                    pocket: &pocket.pocket,
                    amount: -take,
                    kind: "payment",
                    reference_id: &payment.id,
                    description: Some(payment.description.as_deref().unwrap_or(&payment.merchant)),
                    at: payment.created_at,
                };
                rows.push(entry.row(transfers.len()));
            }
            rows.push(payment.row(&tenant));
            let event = made_event(&tenant, &actor, &payment, &transfers);
            Ok(Plan::new(linked(transfers), rows).with_event(event))
        }),
    }
}

/// `payment.made`: who paid whom how much, and the transfers that moved it.
fn made_event(tenant: &str, actor: &str, payment: &Payment, transfers: &[Transfer]) -> Happened {
    let data = json!({
        "user_id": payment.user_id,
        "merchant": payment.merchant,
        "description": payment.description,
        "amount": payment.amount,
        "currency": payment.currency,
        "transfers": events::transfers_data(tenant, transfers),
    });
    Happened::recorded_by(tenant, actor.to_string(), &payment.id, Kind::PaymentMade, data, payment.created_at)
}

/// `payment.refunded`: how much of which payment went back, and the transfers that moved
/// it (the refund's legs, then its count toward the payment).
fn refunded_event(tenant: &str, actor: &str, payment: &Payment, refund: &Refund, transfers: &[Transfer]) -> Happened {
    let data = json!({
        "refund_id": refund.id,
        "user_id": payment.user_id,
        "amount": refund.amount,
        "currency": payment.currency,
        "transfers": events::transfers_data(tenant, transfers),
    });
    Happened::recorded_by(tenant, actor.to_string(), &payment.id, Kind::PaymentRefunded, data, refund.created_at)
}

/// The legs a unit moved: each transfer with `code`, named by the pocket account on
/// `side` (its debit side for a payment, its credit side for a refund).
fn legs_moved(
    outcome: &UnitOutput,
    code: u16,
    pockets_by_account: impl Fn(&str) -> Option<String>,
    debit_side: bool,
) -> Vec<Leg> {
    let UnitOutput::Applied { transfers, .. } = outcome else { return Vec::new() };
    transfers
        .iter()
        .filter(|t| t.code == code)
        .filter_map(|t| {
            let account = if debit_side { t.debit_account.as_ref() } else { t.credit_account.as_ref() }?;
            let amount = t.amount?.minor_units();
            Some(Leg { pocket: pockets_by_account(&account.0)?, amount })
        })
        .collect()
}

/// The pocket name in an account id `<tenant>/<user>:<pocket>:<currency>`.
fn pocket_name(account_id: &str) -> Option<String> {
    let (_, rest) = account_id.split_once(':')?;
    let (pocket, _currency) = rest.rsplit_once(':')?;
    Some(pocket.to_string())
}

/// Fails with the error a unit's outcome calls for, if any.
fn fail_on(outcome: &UnitOutput) -> Result<(), Error> {
    if let Some(error) = refused(outcome) {
        return Err(error);
    }
    let UnitOutput::Applied { results, .. } = outcome else { return Ok(()) };
    let failed = results.iter().find(|r| !matches!(r, TransferResult::Created | TransferResult::LinkedEventFailed));
    match failed {
        None => Ok(()),
        Some(TransferResult::ExceedsCredits) => {
            Err(Error::conflict("insufficient_funds", "a pocket no longer holds enough"))
        }
        Some(other) => Err(Error::internal(format!("a wallet transfer failed: {}", other.code()))),
    }
}

/// A refund to make: its id, how much (`None`: all that is left) and when.
struct NewRefund {
    id: String,
    amount: Option<i64>,
    at: i64,
}

fn refund_unit(tenant: &str, actor: &Actor, payment: &Payment, refund: NewRefund) -> Result<Unit, Error> {
    let NewRefund { id: refund_id, amount, at } = refund;
    let actor = actor.recorded();
    let currency = Currency::parse(&payment.currency).map_err(|_| Error::internal("a stored currency is unknown"))?;
    let merchant = pocket::merchant_account(tenant, &payment.merchant, currency);
    let mut legs: Vec<(Pocket, AccountId)> = Vec::new();
    let mut open = Vec::new();
    for leg in &payment.legs {
        let pocket = Pocket::parse(&leg.pocket).ok_or_else(|| Error::internal("a stored pocket is unknown"))?;
        let account = pocket::pocket_account(tenant, &payment.user_id, &pocket, currency);
        legs.push((pocket, account.id.clone()));
        open.push(account);
    }
    // How much was refunded is kept in a ledger counter, read under lock in the committer:
    // two refunds racing cannot together return more than was paid.
    let counter = pocket::counter_account(tenant, &format!("refunds:{}", payment.id), currency);
    let counter_source = pocket::counter_source(tenant, currency);
    let counter_id = counter.id.clone();
    let (merchant_id, counter_source_id) = (merchant.id.clone(), counter_source.id.clone());
    let payment = payment.clone();
    let tenant = tenant.to_string();
    open.extend([counter, counter_source]);
    Ok(Unit {
        open,
        read: vec![merchant.id],
        prior: Vec::new(),
        plan: Arc::new(move |book| {
            let refunded = book.account(&counter_id).map_or(0, |c| c.credits_posted.minor_units());
            let left = payment.amount - refunded;
            if left == 0 {
                return Err(Refusal::new("invalid_state", format!("payment {} is refunded in full", payment.id)));
            }
            let amount = amount.unwrap_or(left);
            if amount > left {
                let message = format!("at most {left} of payment {} is left to refund", payment.id);
                return Err(Refusal::new("refund_exceeds_payment", message));
            }
            let paid: Vec<i64> = payment.legs.iter().map(|l| l.amount).collect();
            let shares = spend::refund_shares(&paid, refunded, amount);
            let mut refund = Refund {
                id: refund_id.clone(),
                payment_id: payment.id.clone(),
                amount,
                legs: Vec::new(),
                created_at: at,
            };
            let mut transfers = Vec::new();
            let mut rows = Vec::new();
            for ((pocket, account), share) in legs.iter().zip(shares).filter(|(_, share)| *share > 0) {
                let id = format!("{tenant}/{}:{}", refund.id, transfers.len());
                let value = Amount::new(share).expect("positive");
                transfers.push(transfer(id, &merchant_id, account, value, currency, codes::PAYMENT_REFUND));
                refund.legs.push(Leg { pocket: pocket.name(), amount: share });
                let entry = NewEntry {
                    tenant: &tenant,
                    user: &payment.user_id,
                    currency: currency.code(),
                    pocket,
                    amount: share,
                    kind: "payment_refund",
                    reference_id: &refund.id,
                    description: Some(&payment.id),
                    at,
                };
                rows.push(entry.row(transfers.len()));
            }
            let count_id = format!("{tenant}/{}:count", refund.id);
            let counted = Amount::new(amount).expect("positive");
            transfers.push(transfer(count_id, &counter_source_id, &counter_id, counted, currency, codes::COUNT));
            rows.push(refund.row(&tenant));
            let event = refunded_event(&tenant, &actor, &payment, &refund, &transfers);
            Ok(Plan::new(linked(transfers), rows).with_event(event))
        }),
    })
}
