//! The summary report: in one answer, what came in, what was spent and what went out over a
//! period, and what the platform owes and has under way right now — the figures the
//! console's overview draws. docs/REPORTS.md says exactly what each figure counts; the rules
//! that decide it are here (which statuses, which pockets may be withdrawn, when a payout is
//! late), the sums in `store::reports`.
//!
//! Every key of a breakdown is always there, zero when nothing happened (every top-up
//! source, cash-out status, rail and fixed pocket; the three risk decisions), so a chart
//! keeps its shape on a quiet day.

use std::collections::BTreeMap;

use ledger::Currency;

use super::balances::FIXED_POCKETS;
use super::cashout::sla;
use super::{Actor, Error};
use crate::context::Context;
use crate::domain::cashout_policy::RAILS;
use crate::domain::pocket::{Pocket, Source};
use crate::domain::policy::WalletPolicy;
use crate::domain::statement::{Bounds, Month, Period, Span, DAY_US};
use crate::people::Lang;
pub use crate::store::reports::Tally;
use crate::store::reports::{self, Ask, Figures, PocketSums};

/// The longest period one report covers: a year, a leap day included.
pub const SPAN_MAX_DAYS: i64 = 366;

/// Every status a cash-out can be in, in the order of its life.
pub const CASHOUT_STATUSES: [&str; 8] =
    ["awaiting_confirmation", "in_review", "processing", "in_transit", "paid", "failed", "canceled", "expired"];
/// The status of a cash-out waiting in the review queue.
const IN_REVIEW: &str = "in_review";
/// The key of every gift card's pocket in `float.by_pocket`.
pub const GIFT_POCKETS: &str = "gift";
/// The reason key of a risk decision given without a reason (every `allow`).
pub const NO_REASON: &str = "none";

/// What a report is asked for.
#[derive(Clone, Copy, Debug, Default)]
pub struct Asked {
    /// Absent bounds are today's, in the tenant's time zone.
    pub bounds: Bounds,
    /// Default: the tenant's currency.
    pub currency: Option<Currency>,
}

/// The figures of one tenant in one currency. Amounts are minor units of `currency`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub period: Period,
    pub currency: Currency,
    /// The moment the figures of the moment (float, in flight, review queue) were read.
    pub as_of_us: i64,
    /// Top-ups received in the period, by source.
    pub topups_by_source: BTreeMap<String, Tally>,
    /// Payments made in the period, as made (refunds are not taken off).
    pub payments: Tally,
    /// Refunds of payments made in the period, whenever the payment was.
    pub payment_refunds: Tally,
    /// Cash-outs created in the period, by their status now; the amount is the gross.
    pub cashouts_by_status: BTreeMap<String, Tally>,
    /// The same cash-outs by rail.
    pub cashouts_by_rail: BTreeMap<String, Tally>,
    /// The fees of the cash-outs paid in the period (and not returned since).
    pub fees: Tally,
    pub float: Float,
    /// Cash-outs approved and not final, now; the amount is the gross.
    pub in_flight: Tally,
    /// Those of them past the SLA.
    pub past_sla: Tally,
    pub review_queue: ReviewQueue,
    /// Risk decisions taken in the period: decision → reason → count.
    pub risk_decisions: BTreeMap<String, BTreeMap<String, i64>>,
}

/// What the platform owes its users now: the sum of their balances.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Float {
    /// Every pocket's posted balance, held value included.
    pub total: i64,
    /// What the users may withdraw now, by the tenant's wallet policy.
    pub withdrawable: i64,
    /// `total` by pocket: the fixed pockets, and `gift` for all gift cards'.
    pub by_pocket: BTreeMap<String, i64>,
}

/// The cash-outs waiting for a reviewer now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReviewQueue {
    pub count: i64,
    /// How long the longest-waiting one has waited, in whole seconds; `None` when none waits.
    pub oldest_age_s: Option<i64>,
}

/// The summary of `tenant`'s figures over the period asked (default: today in the tenant's
/// time zone). Reading records nothing: `_actor` is taken as every use case takes it; any
/// role may read it.
pub async fn summary(ctx: &Context, _actor: &Actor, tenant: &str, asked: &Asked) -> Result<Summary, Error> {
    let wallet = ctx.settings.wallet_policy(tenant);
    let cashout = ctx.settings.cashout_policy(tenant);
    let now = ctx.clock.now_us();
    let today = Period::day_containing(now, wallet.month_utc_offset_minutes);
    let period = Period::bounded(asked.bounds, today, SPAN_MAX_DAYS * DAY_US)?;
    let currency = asked.currency.unwrap_or_else(|| wallet.currency());
    let waiting = sla::waiting_rails();
    let ask = Ask {
        tenant,
        currency: currency.code(),
        from_us: period.from_us(),
        to_us: period.to_us(),
        in_flight: &sla::IN_FLIGHT,
        late_since_us: sla::late_since_us(cashout, now),
        waiting: (sla::WAITING_STATUS, &waiting),
        in_review: IN_REVIEW,
        pocket_min: wallet.cashback_withdrawable_min,
    };
    let figures = reports::summary(&ctx.db, &ask).await?;
    Ok(summarised(figures, wallet, period, currency, now))
}

/// The period `span` covers now, in `tenant`'s time zone (the console's overview asks by span).
pub fn span_period(ctx: &Context, tenant: &str, span: Span) -> Period {
    span.period(ctx.clock.now_us(), ctx.settings.wallet_policy(tenant).month_utc_offset_minutes)
}

/// This month in `tenant`'s time zone and the `count - 1` before it, newest first.
pub fn recent_months(ctx: &Context, tenant: &str, count: usize) -> Vec<Month> {
    let offset = ctx.settings.wallet_policy(tenant).month_utc_offset_minutes;
    std::iter::successors(Some(Month::containing(ctx.clock.now_us(), offset)), |m| Some(m.previous()))
        .take(count)
        .collect()
}

/// The figures as the report shows them: named, complete, and judged by the policy.
fn summarised(figures: Figures, wallet: &WalletPolicy, period: Period, currency: Currency, now: i64) -> Summary {
    let Figures { topups_by_source, payments, refunds, cashouts, fees, pockets, in_flight, past_sla, .. } = figures;
    let mut by_source = keyed(Source::ALL.iter().map(|s| s.as_str()));
    by_source.extend(topups_by_source);
    let (mut by_status, mut by_rail) = (keyed(CASHOUT_STATUSES), keyed(RAILS));
    for ((status, rail), tally) in cashouts {
        add(by_status.entry(status).or_default(), tally);
        add(by_rail.entry(rail).or_default(), tally);
    }
    let oldest_age_s = figures.in_review_since_us.map(|since| now.saturating_sub(since).max(0) / 1_000_000);
    Summary {
        period,
        currency,
        as_of_us: now,
        topups_by_source: by_source,
        payments,
        payment_refunds: refunds,
        cashouts_by_status: by_status,
        cashouts_by_rail: by_rail,
        fees,
        float: float(wallet, &pockets),
        in_flight,
        past_sla,
        review_queue: ReviewQueue { count: figures.in_review, oldest_age_s },
        risk_decisions: risk_decisions(figures.risk),
    }
}

/// The float by pocket, and how much of it the policy lets the users withdraw now.
fn float(wallet: &WalletPolicy, pockets: &BTreeMap<String, PocketSums>) -> Float {
    let names = FIXED_POCKETS.iter().map(Pocket::name).chain([GIFT_POCKETS.to_string()]);
    let mut by_pocket: BTreeMap<String, i64> = names.map(|name| (name, 0)).collect();
    let mut withdrawable = 0;
    for (kind, sums) in pockets {
        *by_pocket.entry(kind.clone()).or_default() += sums.held;
        withdrawable += withdrawable_of(wallet, kind, sums);
    }
    Float { total: by_pocket.values().sum(), withdrawable, by_pocket }
}

/// What of one kind of pocket may be withdrawn now: all that is available in a pocket the
/// policy lets out; of `cashback`, only what pockets holding the policy's minimum have.
/// Gift-card value never (its remainder may be refunded, which is not a withdrawal).
fn withdrawable_of(wallet: &WalletPolicy, kind: &str, sums: &PocketSums) -> i64 {
    match Pocket::parse(kind) {
        Some(Pocket::Cashback) => {
            let at_minimum = wallet.verdict(&Pocket::Cashback, wallet.cashback_withdrawable_min, Lang::En);
            if at_minimum.withdrawable {
                sums.available_from_min
            } else {
                0
            }
        }
        Some(pocket @ (Pocket::Cash | Pocket::Refund | Pocket::Promo | Pocket::Carrier | Pocket::Card)) => {
            if wallet.verdict(&pocket, sums.available, Lang::En).withdrawable {
                sums.available
            } else {
                0
            }
        }
        Some(Pocket::Gift(_)) | None => 0,
    }
}

/// Decision → reason → count; a decision given for several reasons counts under each, one
/// given for none (every `allow`) under [`NO_REASON`].
fn risk_decisions(found: BTreeMap<(String, Vec<String>), i64>) -> BTreeMap<String, BTreeMap<String, i64>> {
    let decisions = [rules::Decision::Allow, rules::Decision::Review, rules::Decision::Deny];
    let mut by_decision: BTreeMap<String, BTreeMap<String, i64>> =
        decisions.iter().map(|d| (d.as_str().to_string(), BTreeMap::new())).collect();
    for ((decision, reasons), count) in found {
        let by_reason = by_decision.entry(decision).or_default();
        if reasons.is_empty() {
            *by_reason.entry(NO_REASON.to_string()).or_default() += count;
        }
        for reason in reasons {
            *by_reason.entry(reason).or_default() += count;
        }
    }
    by_decision
}

fn keyed<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, Tally> {
    names.into_iter().map(|name| (name.to_string(), Tally::default())).collect()
}

fn add(sum: &mut Tally, more: Tally) {
    sum.count += more.count;
    sum.amount += more.amount;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(held: i64, available: i64, available_from_min: i64) -> PocketSums {
        PocketSums { held, available, available_from_min }
    }

    #[test]
    fn only_what_the_policy_lets_out_is_withdrawable() {
        let pockets = BTreeMap::from([
            ("cash".to_string(), sums(50_000, 40_000, 40_000)),
            ("refund".to_string(), sums(7_000, 7_000, 0)),
            ("cashback".to_string(), sums(25_000, 25_000, 20_000)),
            ("promo".to_string(), sums(5_000, 5_000, 0)),
            ("carrier".to_string(), sums(30_000, 30_000, 30_000)),
            ("card".to_string(), sums(25_000, 25_000, 25_000)),
            (GIFT_POCKETS.to_string(), sums(6_000, 6_000, 0)),
        ]);
        let mut wallet = WalletPolicy::default();
        let float = float(&wallet, &pockets);
        assert_eq!(float.total, 148_000);
        // Cash and refunds as available (holds off); of cashback only the pockets at the
        // minimum; never promo, carrier, card or gift-card value.
        assert_eq!(float.withdrawable, 40_000 + 7_000 + 20_000);
        assert_eq!(float.by_pocket.len(), 7);
        wallet.withdrawable.refund = false;
        wallet.withdrawable.cashback = false;
        assert_eq!(super::float(&wallet, &pockets).withdrawable, 40_000);
        // A quiet tenant still has every pocket, at zero.
        let empty = super::float(&wallet, &BTreeMap::new());
        assert_eq!((empty.total, empty.by_pocket.get("carrier")), (0, Some(&0)));
    }

    #[test]
    fn risk_decisions_count_under_each_reason() {
        let found = BTreeMap::from([
            (("allow".to_string(), vec![]), 4),
            (("review".to_string(), vec!["velocity_count".to_string(), "new_destination".to_string()]), 2),
            (("review".to_string(), vec!["new_destination".to_string()]), 1),
        ]);
        let decisions = risk_decisions(found);
        assert_eq!(decisions["allow"], BTreeMap::from([(NO_REASON.to_string(), 4)]));
        let review = BTreeMap::from([("new_destination".to_string(), 3), ("velocity_count".to_string(), 2)]);
        assert_eq!(decisions["review"], review);
        assert!(decisions["deny"].is_empty());
    }
}
