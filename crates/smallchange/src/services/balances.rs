//! What a user holds: balances per pocket (available, held, how much may be withdrawn and
//! why) and the statement (every movement with the running balance).

use ledger::Currency;

use super::{users, Actor, Error};
use crate::clock::rfc3339;
use crate::context::Context;
use crate::domain::gift_card;
use crate::domain::pocket::Pocket;
use crate::domain::policy::WalletPolicy;
use crate::domain::statement::Period;
use crate::store::wallet::{self, Entry, EntryQuery, GiftTerms};

/// A user's balances in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balances {
    pub user_id: String,
    pub currency: Currency,
    /// Every pocket: the fixed ones in their usual order, then gift cards by name.
    pub pockets: Vec<PocketBalance>,
}

impl Balances {
    /// What can be spent now, over every pocket.
    pub fn available(&self) -> i64 {
        self.pockets.iter().map(|p| p.available).sum()
    }

    /// What is held for cash-outs in progress.
    pub fn pending(&self) -> i64 {
        self.pockets.iter().map(|p| p.pending).sum()
    }

    /// What may be withdrawn now.
    pub fn withdrawable(&self) -> i64 {
        self.pockets.iter().map(|p| p.withdrawable).sum()
    }
}

/// One pocket's balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PocketBalance {
    pub pocket: Pocket,
    pub available: i64,
    pub pending: i64,
    /// How much of `available` may be withdrawn now.
    pub withdrawable: i64,
    /// Why the pocket is or is not withdrawable.
    pub reason: String,
    /// Gift-card pockets: when the card's value can no longer be spent.
    pub expires_at: Option<i64>,
}

/// The fixed pockets every user is shown, even before anything lands in them.
const FIXED_POCKETS: [Pocket; 6] =
    [Pocket::Cash, Pocket::Refund, Pocket::Cashback, Pocket::Promo, Pocket::Carrier, Pocket::Card];

/// `user_id`'s balances in `currency` (default: the tenant's), per pocket. Reading records
/// nothing: `_actor` is taken as every use case takes it.
pub async fn balances(
    ctx: &Context,
    _actor: &Actor,
    tenant: &str,
    user_id: &str,
    currency: Option<Currency>,
) -> Result<Balances, Error> {
    let policy = ctx.settings.wallet_policy(tenant);
    let currency = currency.unwrap_or_else(|| policy.currency());
    let user = users::existing(ctx, tenant, user_id).await?;
    let held = wallet::pockets(&ctx.db, tenant, &user.id, currency.code()).await?;
    let mut pockets: Vec<PocketBalance> = Vec::new();
    for pocket in FIXED_POCKETS.iter() {
        if !held.iter().any(|p| p.pocket == *pocket) {
            pockets.push(pocket_balance(policy, pocket, 0, 0, None));
        }
    }
    let now = ctx.clock.now_us();
    for p in &held {
        let pending = p.account.debits_pending.minor_units();
        let mut balance = pocket_balance(policy, &p.pocket, p.available(), pending, p.gift_card_expires_at);
        if let Some(terms) = p.gift_card {
            balance.reason = gift_reason(terms, p.available());
        }
        if let Some(expired) = p.gift_card_expires_at.filter(|at| *at <= now) {
            balance.reason = format!(
                "gift card expired at {}: it can no longer be spent; {}",
                rfc3339(expired),
                "its remainder can still be refunded if the card's terms allow it"
            );
        }
        pockets.push(balance);
    }
    pockets.sort_by_key(|p| {
        let position = FIXED_POCKETS.iter().position(|f| *f == p.pocket).unwrap_or(FIXED_POCKETS.len());
        (position, p.pocket.name())
    });
    Ok(Balances { user_id: user.id, currency, pockets })
}

fn pocket_balance(
    policy: &WalletPolicy,
    pocket: &Pocket,
    available: i64,
    pending: i64,
    expires_at: Option<i64>,
) -> PocketBalance {
    let verdict = policy.verdict(pocket, available);
    PocketBalance {
        pocket: pocket.clone(),
        available,
        pending,
        withdrawable: if verdict.withdrawable { available.max(0) } else { 0 },
        reason: verdict.reason,
        expires_at,
    }
}

/// Why a gift card's pocket is not withdrawable, and when its remainder is refundable.
fn gift_reason(terms: GiftTerms, available: i64) -> String {
    let used = gift_card::used_bps(terms.face_value, available);
    let threshold = terms.rule.threshold_bps(terms.face_value);
    let used_pct = format!("{}.{:02}", used / 100, used % 100);
    let threshold_pct = format!("{}.{:02}", threshold / 100, threshold % 100);
    if terms.rule.allows_refund(terms.face_value, available) {
        format!("gift card, {used_pct}% used: the remainder can be refunded now (refund-remainder); not withdrawable as such")
    } else {
        format!(
            "gift card, {used_pct}% used: spendable; its remainder becomes refundable (refund-remainder) once \
             {threshold_pct}% is used"
        )
    }
}

/// Which page of a statement to read.
#[derive(Clone, Debug)]
pub struct StatementPage {
    /// Default: the tenant's currency.
    pub currency: Option<Currency>,
    pub period: Period,
    /// The id of the last line of the previous page.
    pub starting_after: Option<String>,
    /// Most lines on the page.
    pub limit: i64,
}

/// A page of a user's statement, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub user_id: String,
    pub currency: Currency,
    pub lines: Vec<StatementLine>,
    pub has_more: bool,
}

/// A movement of value, with the user's total in the currency after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLine {
    pub entry: Entry,
    pub balance: i64,
}

/// One page of `user_id`'s statement, with the running balance. Reading records nothing:
/// `_actor` is taken as every use case takes it.
pub async fn statement(
    ctx: &Context,
    _actor: &Actor,
    tenant: &str,
    user_id: &str,
    page: &StatementPage,
) -> Result<Statement, Error> {
    let currency = page.currency.unwrap_or_else(|| ctx.settings.wallet_policy(tenant).currency());
    let user = users::existing(ctx, tenant, user_id).await?;
    let query = EntryQuery {
        tenant,
        user: &user.id,
        currency: currency.code(),
        from_us: page.period.from_us(),
        to_us: page.period.to_us(),
        starting_after: page.starting_after.as_deref(),
        limit: page.limit + 1,
    };
    let mut entries = wallet::entries(&ctx.db, &query).await?;
    // One more than the page was read, to tell whether there is more.
    let has_more = entries.len() as i64 > page.limit;
    entries.truncate(page.limit as usize);
    let mut balance = match entries.first() {
        Some(first) => wallet::balance_before(&ctx.db, tenant, &user.id, currency.code(), &first.id).await?,
        None => 0,
    };
    let lines = entries
        .into_iter()
        .map(|entry| {
            balance += entry.amount;
            StatementLine { entry, balance }
        })
        .collect();
    Ok(Statement { user_id: user.id, currency, lines, has_more })
}
