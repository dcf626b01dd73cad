//! Top-ups: value coming into a user's wallet from one source, into the pocket that source
//! decides, with the operator's reference kept beside it. Carrier billing counts toward a
//! monthly limit, checked in the committer so concurrent top-ups cannot both slip in.

use std::sync::Arc;

use ledger::{Amount, Currency, Transfer};
use serde_json::json;

use super::commit::{self, refused, Answer, Retry};
use super::page::{fetch_limit, Page};
use super::{users, Actor, Error};
use crate::context::Context;
use crate::domain::pocket::{self, codes, Pocket, Source};
use crate::domain::policy::WalletPolicy;
use crate::domain::topup::TopupOrder;
use crate::events::{self, Happened, Kind};
use crate::store::topups::{self, TopupRecord};
use crate::store::wallet::{pocket_row, NewEntry};
use crate::unit::{linked, transfer, Plan, Refusal, Unit, UnitOutput};

/// A top-up as it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topup {
    pub id: String,
    pub user: String,
    pub source: Source,
    pub refund_of: Option<Source>,
    pub pocket: Pocket,
    pub amount: Amount,
    pub currency: Currency,
    pub reference: String,
    pub at: i64,
}

/// Tops up `user_id`'s wallet as `order` says, once per `retry` key, recorded as
/// `topup.received` by `actor`.
pub async fn top_up(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    user_id: &str,
    order: TopupOrder,
    retry: Option<Retry<Topup>>,
) -> Result<Answer<Topup>, Error> {
    let policy = ctx.settings.wallet_policy(tenant).clone();
    let user = users::existing(ctx, tenant, user_id).await?;
    let at = ctx.clock.now_us();
    let topup = Topup {
        id: crate::ids::time_ordered("top", at),
        user: user.id,
        source: order.source(),
        refund_of: order.refund_of(),
        pocket: order.pocket(),
        amount: order.amount(),
        currency: order.currency(),
        reference: order.reference().to_string(),
        at,
    };
    let unit = topup_unit(tenant, actor, &topup, &policy);
    commit::commit(ctx, retry, unit, Arc::new(move |outcome: &UnitOutput| made(&topup, outcome))).await
}

/// A page of user `user_id`'s top-ups, newest first.
pub async fn of_user(
    ctx: &Context,
    _actor: &Actor,
    tenant: &str,
    user_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Page<Topup>, Error> {
    let user = users::existing(ctx, tenant, user_id).await?;
    let found = crate::store::topups::of_user(&ctx.db, tenant, &user.id, before, fetch_limit(limit)).await?;
    let Page { items, has_more } = Page::of(found, limit);
    let items = items.into_iter().map(read_back).collect::<anyhow::Result<_>>()?;
    Ok(Page { items, has_more })
}

/// A stored top-up in its parsed form; a value that does not parse is a bug, not input.
fn read_back(record: TopupRecord) -> anyhow::Result<Topup> {
    let unknown = |what: &str, value: &str| anyhow::anyhow!("top-up {} has an unknown {what} {value}", record.id);
    let source = Source::parse(&record.source).ok_or_else(|| unknown("source", &record.source))?;
    let refund_of = match &record.refund_of {
        Some(name) => Some(Source::parse(name).ok_or_else(|| unknown("refund_of", name))?),
        None => None,
    };
    let pocket = Pocket::parse(&record.pocket).ok_or_else(|| unknown("pocket", &record.pocket))?;
    let amount = Amount::new(record.amount).ok_or_else(|| unknown("amount", &record.amount.to_string()))?;
    let currency = Currency::parse(&record.currency).map_err(|_| unknown("currency", &record.currency))?;
    Ok(Topup {
        id: record.id,
        user: record.user_id,
        source,
        refund_of,
        pocket,
        amount,
        currency,
        reference: record.reference,
        at: record.created_at,
    })
}

/// The month a carrier top-up counts toward, as `YYYY-MM` in the policy's time zone.
fn billing_month(at_us: i64, policy: &WalletPolicy) -> String {
    let local = at_us / 1_000_000 + i64::from(policy.month_utc_offset_minutes) * 60;
    let date = time::OffsetDateTime::from_unix_timestamp(local).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}", date.year(), u8::from(date.month()))
}

/// The top-up's credit, its row and statement line; for carrier billing also the month's
/// counter, checked against the limit when the committer plans it.
fn topup_unit(tenant: &str, actor: &Actor, topup: &Topup, policy: &WalletPolicy) -> Unit {
    let pocket_account = pocket::pocket_account(tenant, &topup.user, &topup.pocket, topup.currency);
    let source_account = pocket::source_account(tenant, topup.source, topup.currency);
    let (amount, currency) = (topup.amount, topup.currency);
    let credit_id = format!("{tenant}/{}", topup.id);
    let credit = transfer(credit_id, &source_account.id, &pocket_account.id, amount, currency, codes::TOPUP);
    let mut rows = vec![
        pocket_row(tenant, &topup.user, &topup.pocket, &pocket_account, topup.at),
        topups::row(tenant, &record_of(topup)),
    ];
    let entry = NewEntry {
        tenant,
        user: &topup.user,
        currency: topup.currency.code(),
        pocket: &topup.pocket,
        amount: topup.amount.minor_units(),
        kind: "topup",
        reference_id: &topup.id,
        description: Some(topup.source.as_str()),
        at: topup.at,
    };
    rows.push(entry.row(0));
    let mut open = vec![pocket_account, source_account];
    if topup.source != Source::CarrierBilling {
        let event = received_event(tenant, actor, topup, std::slice::from_ref(&credit));
        return Unit::fixed(open, Vec::new(), vec![credit], rows).with_event(event);
    }
    // Carrier billing counts toward a monthly total kept in a ledger counter, checked here
    // in the committer with the counter locked, so concurrent top-ups cannot both slip in.
    let month = billing_month(topup.at, policy);
    let counter = pocket::counter_account(tenant, &format!("carrier:{}:{month}", topup.user), topup.currency);
    let counter_source = pocket::counter_source(tenant, topup.currency);
    let count_id = format!("{tenant}/{}:count", topup.id);
    let count = transfer(count_id, &counter_source.id, &counter.id, amount, currency, codes::COUNT);
    let counter_id = counter.id.clone();
    open.extend([counter, counter_source]);
    let transfers = linked(vec![credit, count]);
    let event = received_event(tenant, actor, topup, &transfers);
    let limit = policy.carrier_monthly_limit;
    let amount = amount.minor_units();
    Unit {
        open,
        read: Vec::new(),
        prior: Vec::new(),
        plan: Arc::new(move |book| {
            let used = book.account(&counter_id).map_or(0, |c| c.credits_posted.minor_units());
            if used + amount > limit {
                let message = format!(
                    "carrier billing is limited to {limit} a calendar month; {used} is used in {month}, so at most {} more",
                    (limit - used).max(0)
                );
                return Err(Refusal::new("carrier_monthly_limit", message));
            }
            Ok(Plan::new(transfers.clone(), rows.clone()).with_event(event.clone()))
        }),
    }
}

/// `topup.received`: how much came in from where, into which pocket, and the transfers that
/// moved it (the credit; for carrier billing also its count toward the month).
fn received_event(tenant: &str, actor: &Actor, topup: &Topup, transfers: &[Transfer]) -> Happened {
    let data = json!({
        "user_id": topup.user,
        "source": topup.source.as_str(),
        "refund_of": topup.refund_of.map(Source::as_str),
        "pocket": topup.pocket.name(),
        "amount": topup.amount.minor_units(),
        "currency": topup.currency.code(),
        "transfers": events::transfers_data(tenant, transfers),
    });
    Happened::new(tenant, actor, &topup.id, Kind::TopUpReceived, data, topup.at)
}

/// The top-up as the row `store::topups` writes for it (the reverse of [`read_back`]).
fn record_of(topup: &Topup) -> TopupRecord {
    TopupRecord {
        id: topup.id.clone(),
        user_id: topup.user.clone(),
        source: topup.source.as_str().to_string(),
        refund_of: topup.refund_of.map(|source| source.as_str().to_string()),
        pocket: topup.pocket.name(),
        amount: topup.amount.minor_units(),
        currency: topup.currency.code().to_string(),
        reference: topup.reference.clone(),
        created_at: topup.at,
    }
}

/// The top-up made, or why the committer refused it.
fn made(topup: &Topup, outcome: &UnitOutput) -> Result<Topup, Error> {
    if let Some(error) = refused(outcome) {
        return Err(error);
    }
    if let UnitOutput::Applied { results, .. } = outcome {
        if let Some(failed) = results.iter().find(|r| !r.is_ok()) {
            return Err(Error::internal(format!("a top-up transfer failed: {}", failed.code())));
        }
    }
    Ok(topup.clone())
}
