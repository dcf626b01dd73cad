//! What a user holds: balances per pocket (available, held, how much may be withdrawn and
//! why) and the statement (every movement with the running balance).

use ledger::Currency;

use super::{users, Actor, Error};
use crate::context::Context;
use crate::domain::gift_card;
use crate::domain::pocket::Pocket;
use crate::domain::policy::{WalletPolicy, Why};
use crate::domain::statement::Period;
use crate::people::{self, local_time, Lang};
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
    /// Why the pocket is or is not withdrawable, as data (the pages' words come from it).
    pub why: Why,
    /// Why the pocket is or is not withdrawable, in words (the API's `reason`).
    pub reason: String,
    /// Gift-card pockets: when the card's value can no longer be spent.
    pub expires_at: Option<i64>,
}

/// The fixed pockets every user is shown, even before anything lands in them.
pub const FIXED_POCKETS: [Pocket; 6] =
    [Pocket::Cash, Pocket::Refund, Pocket::Cashback, Pocket::Promo, Pocket::Carrier, Pocket::Card];

/// `user_id`'s balances in `currency` (default: the tenant's), per pocket, each with why it
/// is or is not withdrawable in `lang`. Reading records nothing: `_actor` is taken as every
/// use case takes it.
pub async fn balances(
    ctx: &Context,
    _actor: &Actor,
    tenant: &str,
    user_id: &str,
    currency: Option<Currency>,
    lang: Lang,
) -> Result<Balances, Error> {
    let policy = ctx.settings.wallet_policy(tenant);
    let currency = currency.unwrap_or_else(|| policy.currency());
    let user = users::existing(ctx, tenant, user_id).await?;
    let held = wallet::pockets(&ctx.db, tenant, &user.id, currency.code()).await?;
    let mut pockets: Vec<PocketBalance> = Vec::new();
    for pocket in FIXED_POCKETS.iter() {
        if !held.iter().any(|p| p.pocket == *pocket) {
            pockets.push(pocket_balance(policy, pocket, 0, 0, None, lang));
        }
    }
    let now = ctx.clock.now_us();
    for p in &held {
        let pending = p.account.debits_pending.minor_units();
        let mut balance = pocket_balance(policy, &p.pocket, p.available(), pending, p.gift_card_expires_at, lang);
        let words = Words { lang, currency: currency.code(), utc_offset_minutes: policy.month_utc_offset_minutes };
        if let Some(terms) = p.gift_card {
            balance.why = gift_why(terms, p.available());
            balance.reason = words.gift_reason(terms, p.available());
        }
        if let Some(expired) = p.gift_card_expires_at.filter(|at| *at <= now) {
            balance.why = Why::GiftExpired { at_us: expired };
            balance.reason = words.gift_expired(expired);
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
    lang: Lang,
) -> PocketBalance {
    let verdict = policy.verdict(pocket, available, lang);
    PocketBalance {
        pocket: pocket.clone(),
        available,
        pending,
        withdrawable: if verdict.withdrawable { available.max(0) } else { 0 },
        why: verdict.why,
        reason: verdict.reason,
        expires_at,
    }
}

/// Why a gift card's pocket, holding `available`, is not withdrawable: refundable now, or
/// how much more must be spent first.
fn gift_why(terms: GiftTerms, available: i64) -> Why {
    let used_bps = gift_card::used_bps(terms.face_value, available);
    if terms.rule.allows_refund(terms.face_value, available) {
        Why::GiftRefundable { used_bps, left: available }
    } else {
        let threshold_bps = terms.rule.threshold_bps(terms.face_value);
        Why::GiftSpendMore { used_bps, threshold_bps, to_spend: to_spend_for_refund(terms, available) }
    }
}

/// How a gift card's pocket is explained to its holder.
struct Words<'a> {
    lang: Lang,
    currency: &'a str,
    utc_offset_minutes: i32,
}

impl Words<'_> {
    /// Why a gift card's pocket is not withdrawable, and how much more must be spent before
    /// its remainder is refundable (`10,000원 더 사용하면 …`).
    fn gift_reason(&self, terms: GiftTerms, available: i64) -> String {
        let used = gift_card::used_bps(terms.face_value, available);
        let threshold = terms.rule.threshold_bps(terms.face_value);
        let (used_pct, threshold_pct) = (people::percent(used), people::percent(threshold));
        let left = people::money(available, self.currency, self.lang);
        let to_spend = people::money(to_spend_for_refund(terms, available), self.currency, self.lang);
        match (terms.rule.allows_refund(terms.face_value, available), self.lang) {
            (true, Lang::Ko) => format!(
                "상품권을 {used_pct} 사용해서 남은 금액({left})을 지금 환불받을 수 있어요. 그대로 \
                 출금할 수는 없어요."
            ),
            (true, Lang::En) => format!(
                "gift card, {used_pct} used: the remainder ({left}) can be refunded now; not \
                 withdrawable as such"
            ),
            (false, Lang::Ko) => format!(
                "{to_spend} 더 사용하면 남은 금액을 환불받을 수 있어요. 지금 {used_pct} 사용, \
                 {threshold_pct} 이상 사용하면 환불 가능."
            ),
            (false, Lang::En) => format!(
                "gift card, {used_pct} used: spendable; its remainder becomes refundable once \
                 {threshold_pct} is used, after {to_spend} more"
            ),
        }
    }

    /// Why an expired gift card's pocket can no longer be spent.
    fn gift_expired(&self, expired_at: i64) -> String {
        let at = local_time(expired_at, self.utc_offset_minutes);
        match self.lang {
            Lang::Ko => format!(
                "상품권이 {at}에 만료돼 더 쓸 수 없어요. 상품권 조건이 허락하면 남은 금액은 환불받을 수 있어요."
            ),
            Lang::En => format!(
                "gift card expired at {at}: it can no longer be spent; its remainder can still be refunded if the \
                 card's terms allow it"
            ),
        }
    }
}

/// How much more of a card must be spent before its remainder is refundable.
fn to_spend_for_refund(terms: GiftTerms, available: i64) -> i64 {
    terms.rule.still_to_spend(terms.face_value, available)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::gift_card::RefundRule;

    fn terms(face_value: i64) -> GiftTerms {
        let rule = RefundRule { small_face_max: 10_000, threshold_bps_small: 8_000, threshold_bps_over: 6_000 };
        GiftTerms { face_value, rule }
    }

    #[test]
    fn the_amount_still_to_spend_reaches_the_threshold_exactly() {
        // ₩50,000 at 60%: ₩30,000 must be used; ₩5,000 used so far leaves ₩25,000 to spend.
        assert_eq!(to_spend_for_refund(terms(50_000), 45_000), 25_000);
        let t = terms(50_000);
        assert!(!t.rule.allows_refund(50_000, 45_000 - 24_999) && t.rule.allows_refund(50_000, 45_000 - 25_000));
        assert_eq!(to_spend_for_refund(terms(50_000), 10_000), 0);
        // 80% of ₩9,999 is ₩7,999.2: ₩8,000 must be used.
        assert_eq!(to_spend_for_refund(terms(9_999), 9_999), 8_000);
    }

    #[test]
    fn gift_reasons_name_the_amount_to_spend() {
        let words = Words { lang: Lang::Ko, currency: "KRW", utc_offset_minutes: 540 };
        let ko = words.gift_reason(terms(50_000), 40_000);
        assert!(ko.starts_with("20,000원 더 사용하면"), "{ko}");
        let words = Words { lang: Lang::En, ..words };
        let en = words.gift_reason(terms(50_000), 10_000);
        assert!(en.contains("refunded now") && en.contains("₩10,000"), "{en}");
        assert_eq!(gift_why(terms(50_000), 10_000), Why::GiftRefundable { used_bps: 8_000, left: 10_000 });
        assert_eq!(
            gift_why(terms(50_000), 40_000),
            Why::GiftSpendMore { used_bps: 2_000, threshold_bps: 6_000, to_spend: 20_000 }
        );
        assert_eq!(
            words.gift_expired(1_796_280_179_000_000),
            "gift card expired at 2026-12-03 15:42 KST: it can no longer be spent; its remainder can still be \
             refunded if the card's terms allow it"
        );
    }
}
