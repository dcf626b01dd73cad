//! The figures of the summary report (`services::reports`), each one aggregate statement,
//! all read in one snapshot so that they agree with each other.
//!
//! The console draws them over millions of rows, so nothing here reads a row per object:
//! the period's rows are found by an index range and summed by the database. Top-ups,
//! payments, refunds and cash-outs are found by their primary key: their ids begin with
//! their creation time (`crate::ids`: `pay_<created_at in base 36>…`, the very `created_at`
//! of the row), so `id >= floor(from) AND id < floor(to)` is a range over an index every
//! such table already has, and the payment path — the hottest write there is — pays for no
//! index of the report's. The exact `created_at` bounds are checked as well. Cash-outs paid
//! and confirmed in the period have indexes of their own (migration 0031); those in flight
//! or in review are found by status (`cashouts_status`). SQLite has no statistics to choose
//! by, so the tenant is kept out of its choice where another index narrows better
//! ([`Dialect::filter_only`]). The float is the one figure that reads a row per pocket: it
//! is a sum of balances, and balances live on the accounts. docs/REPORTS.md has the plans
//! and what they cost.

use std::collections::BTreeMap;

use super::{AnyRow, Db, Dialect, Tx};
use crate::ids::time_ordered_floor;
use crate::on_tx;
use crate::unit::Param;

/// What the report is asked for: one tenant's rows in one currency, created from `from_us`
/// (inclusive) to `to_us` (exclusive), and the figures of the moment, judged by the rules
/// the caller passes.
pub struct Ask<'a> {
    pub tenant: &'a str,
    pub currency: &'a str,
    pub from_us: i64,
    pub to_us: i64,
    /// The statuses of a cash-out sent on to its rail and not final.
    pub in_flight: &'a [&'a str],
    /// A cash-out in flight since (submitted, else confirmed, else created) at or before
    /// this is past its SLA …
    pub late_since_us: i64,
    /// … unless it is in `waiting.0` on one of the rails `waiting.1`, which wait on the
    /// user (a cash-pickup voucher not collected yet).
    pub waiting: (&'a str, &'a [&'a str]),
    /// The status of a cash-out waiting in the review queue.
    pub in_review: &'a str,
    /// The least a pocket must hold for its value to count in
    /// [`PocketSums::available_from_min`] (the cashback minimum).
    pub pocket_min: i64,
}

/// How many, and how much in minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: i64,
    pub amount: i64,
}

/// The balances of one kind of pocket (`cash` … `card`, and `gift` for every gift card's),
/// summed over the tenant's users.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PocketSums {
    /// Posted credits less posted debits: what the users hold, holds for cash-outs included.
    pub held: i64,
    /// What they may spend now: `held` less the holds.
    pub available: i64,
    /// `available` of the pockets holding at least [`Ask::pocket_min`].
    pub available_from_min: i64,
}

/// The figures as read, before the rules of the report name and complete them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub topups_by_source: BTreeMap<String, Tally>,
    pub payments: Tally,
    pub refunds: Tally,
    /// Cash-outs created in the period, by (status, rail); the amount is the gross.
    pub cashouts: BTreeMap<(String, String), Tally>,
    /// Cash-outs paid in the period and paid still; the amount is their fees.
    pub fees: Tally,
    pub pockets: BTreeMap<String, PocketSums>,
    pub in_flight: Tally,
    pub past_sla: Tally,
    pub in_review: i64,
    /// When the longest-waiting cash-out in review went there.
    pub in_review_since_us: Option<i64>,
    /// Risk decisions taken in the period (at confirmation): (decision, reasons) → count.
    pub risk: BTreeMap<(String, Vec<String>), i64>,
}

/// Reads every figure for `ask` in one snapshot.
pub async fn summary(db: &Db, ask: &Ask<'_>) -> anyhow::Result<Figures> {
    let mut tx = db.begin_snapshot().await?;
    let topups_by_source = created(&mut tx, ask).await?;
    let payments = payments(&mut tx, ask).await?;
    let refunds = refunds(&mut tx, ask).await?;
    let cashouts = cashouts_created(&mut tx, ask).await?;
    let fees = fees(&mut tx, ask).await?;
    let pockets = pockets(&mut tx, ask).await?;
    let (in_flight, past_sla) = in_flight(&mut tx, ask).await?;
    let (in_review, in_review_since_us) = in_review(&mut tx, ask).await?;
    let risk = risk(&mut tx, ask).await?;
    tx.commit().await?; // read only: nothing to keep
    Ok(Figures {
        topups_by_source,
        payments,
        refunds,
        cashouts,
        fees,
        pockets,
        in_flight,
        past_sla,
        in_review,
        in_review_since_us,
        risk,
    })
}

/// `$1` tenant, `$2` currency, `$3`/`$4` the period, `$5`/`$6` the least ids of rows
/// created at `from` and at `to` under `prefix`.
fn window(ask: &Ask<'_>, prefix: &str) -> Vec<Param> {
    vec![
        ask.tenant.into(),
        ask.currency.into(),
        ask.from_us.into(),
        ask.to_us.into(),
        time_ordered_floor(prefix, ask.from_us).into(),
        time_ordered_floor(prefix, ask.to_us).into(),
    ]
}

/// The rows created in the period, found by the primary key's range (see above); `t` is
/// the table's alias.
fn created_in(d: Dialect) -> String {
    let tenant = d.filter_only("t.tenant_id");
    format!("t.id >= $5 AND t.id < $6 AND {tenant} = $1 AND t.created_at >= $3 AND t.created_at < $4")
}

async fn created(tx: &mut Tx, ask: &Ask<'_>) -> anyhow::Result<BTreeMap<String, Tally>> {
    let sql = format!(
        "SELECT t.source, COUNT(*), CAST(SUM(t.amount) AS BIGINT) FROM topups t WHERE {} AND t.currency = $2 \
         GROUP BY t.source",
        created_in(tx.dialect())
    );
    let rows: Vec<(String, i64, Sum)> = fetch(tx, &sql, &window(ask, "top")).await?;
    Ok(rows.into_iter().map(|(source, count, amount)| (source, tally(count, amount))).collect())
}

async fn payments(tx: &mut Tx, ask: &Ask<'_>) -> anyhow::Result<Tally> {
    let sql = format!(
        "SELECT COUNT(*), CAST(SUM(t.amount) AS BIGINT) FROM payments t WHERE {} AND t.currency = $2",
        created_in(tx.dialect())
    );
    one_tally(tx, &sql, &window(ask, "pay")).await
}

/// Refunds made in the period, of payments in the currency (a refund row has none itself).
async fn refunds(tx: &mut Tx, ask: &Ask<'_>) -> anyhow::Result<Tally> {
    let sql = format!(
        "SELECT COUNT(*), CAST(SUM(t.amount) AS BIGINT) FROM payment_refunds t \
         JOIN payments p ON p.id = t.payment_id WHERE {} AND p.currency = $2",
        created_in(tx.dialect())
    );
    one_tally(tx, &sql, &window(ask, "rfd")).await
}

async fn cashouts_created(tx: &mut Tx, ask: &Ask<'_>) -> anyhow::Result<BTreeMap<(String, String), Tally>> {
    let sql = format!(
        "SELECT t.status, t.rail, COUNT(*), CAST(SUM(t.gross) AS BIGINT) FROM cashouts t WHERE {} \
         AND t.currency = $2 GROUP BY t.status, t.rail",
        created_in(tx.dialect())
    );
    let rows: Vec<(String, String, i64, Sum)> = fetch(tx, &sql, &window(ask, "po")).await?;
    Ok(rows.into_iter().map(|(status, rail, count, gross)| ((status, rail), tally(count, gross))).collect())
}

/// The fees of the cash-outs paid in the period that are paid still (a payment the bank
/// returned gave its fee back). `paid_at` is set only by the change to `paid`.
async fn fees(tx: &mut Tx, ask: &Ask<'_>) -> anyhow::Result<Tally> {
    let sql = "SELECT COUNT(*), CAST(SUM(fee) AS BIGINT) FROM cashouts \
               WHERE tenant_id = $1 AND paid_at >= $3 AND paid_at < $4 AND currency = $2 AND status = 'paid'";
    one_tally(tx, sql, &window(ask, "po")[..4]).await
}

/// Every pocket of the tenant's users in the currency, summed by kind.
async fn pockets(tx: &mut Tx, ask: &Ask<'_>) -> anyhow::Result<BTreeMap<String, PocketSums>> {
    const AVAILABLE: &str = "a.credits_posted - a.debits_posted - a.debits_pending";
    let sql = format!(
        "SELECT CASE WHEN p.gift_card_id IS NULL THEN p.pocket ELSE 'gift' END AS kind, \
         CAST(SUM(a.credits_posted - a.debits_posted) AS BIGINT), CAST(SUM({AVAILABLE}) AS BIGINT), \
         CAST(SUM(CASE WHEN {AVAILABLE} >= $3 THEN {AVAILABLE} ELSE 0 END) AS BIGINT) \
         FROM wallet_pockets p JOIN ledger_accounts a ON a.id = p.account_id \
         WHERE p.tenant_id = $1 AND p.currency = $2 GROUP BY kind"
    );
    let params = [ask.tenant.into(), ask.currency.into(), ask.pocket_min.into()];
    let rows: Vec<(String, Sum, Sum, Sum)> = fetch(tx, &sql, &params).await?;
    Ok(rows
        .into_iter()
        .map(|(kind, held, available, from_min)| {
            let sums = PocketSums {
                held: held.unwrap_or(0),
                available: available.unwrap_or(0),
                available_from_min: from_min.unwrap_or(0),
            };
            (kind, sums)
        })
        .collect())
}

/// Cash-outs in flight now, and those of them past their SLA: the rule of
/// `services::cashout::sla::is_late` (the worker's SLA alert), over every one at once.
async fn in_flight(tx: &mut Tx, ask: &Ask<'_>) -> anyhow::Result<(Tally, Tally)> {
    let d = tx.dialect();
    let late = format!(
        "COALESCE(submitted_at, confirmed_at, created_at) <= $3 AND NOT (status = $4 AND {})",
        d.in_id_list("rail", 5)
    );
    anyhow::ensure!(!ask.in_flight.is_empty(), "no status is in flight");
    // A placeholder per status, so that both planners see a plain list to look up.
    let statuses: Vec<String> = (0..ask.in_flight.len()).map(|n| format!("${}", n + 6)).collect();
    let sql = format!(
        "SELECT COUNT(*), CAST(SUM(gross) AS BIGINT), CAST(SUM(CASE WHEN {late} THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN {late} THEN gross ELSE 0 END) AS BIGINT) FROM cashouts \
         WHERE status IN ({}) AND {} = $1 AND currency = $2",
        statuses.join(", "),
        d.filter_only("tenant_id")
    );
    let mut params = vec![
        ask.tenant.into(),
        ask.currency.into(),
        ask.late_since_us.into(),
        ask.waiting.0.into(),
        d.id_list(ask.waiting.1.iter().copied()).into(),
    ];
    params.extend(ask.in_flight.iter().map(|status| Param::from(*status)));
    let rows: Vec<(i64, Sum, Sum, Sum)> = fetch(tx, &sql, &params).await?;
    let (count, gross, late_count, late_gross) = rows.into_iter().next().unwrap_or_default();
    Ok((tally(count, gross), tally(late_count.unwrap_or(0), late_gross)))
}

/// How many cash-outs wait in review (in every currency: the queue is one), and since when
/// the oldest has: it went there at its confirmation.
async fn in_review(tx: &mut Tx, ask: &Ask<'_>) -> anyhow::Result<(i64, Option<i64>)> {
    let sql = format!(
        "SELECT COUNT(*), MIN(COALESCE(confirmed_at, updated_at)) FROM cashouts WHERE status = $2 AND {} = $1",
        tx.dialect().filter_only("tenant_id")
    );
    let rows: Vec<(i64, Sum)> = fetch(tx, &sql, &[ask.tenant.into(), ask.in_review.into()]).await?;
    Ok(rows.into_iter().next().unwrap_or_default())
}

/// The risk decisions taken in the period, in every currency: a cash-out's decision and its
/// reasons are recorded with `confirmed_at`, when it is taken.
async fn risk(tx: &mut Tx, ask: &Ask<'_>) -> anyhow::Result<BTreeMap<(String, Vec<String>), i64>> {
    let sql = "SELECT risk_decision, risk_reasons, COUNT(*) FROM cashouts \
               WHERE tenant_id = $1 AND confirmed_at >= $2 AND confirmed_at < $3 AND risk_decision IS NOT NULL \
               GROUP BY risk_decision, risk_reasons";
    let params = [ask.tenant.into(), ask.from_us.into(), ask.to_us.into()];
    let rows: Vec<(String, Option<String>, i64)> = fetch(tx, sql, &params).await?;
    let mut found = BTreeMap::new();
    for (decision, reasons, count) in rows {
        let reasons: Vec<String> = reasons.map(|r| serde_json::from_str(&r)).transpose()?.unwrap_or_default();
        *found.entry((decision, reasons)).or_insert(0) += count;
    }
    Ok(found)
}

/// A `SUM`: NULL over no rows.
type Sum = Option<i64>;

fn tally(count: i64, amount: Sum) -> Tally {
    Tally { count, amount: amount.unwrap_or(0) }
}

async fn one_tally(tx: &mut Tx, sql: &str, params: &[Param]) -> anyhow::Result<Tally> {
    let rows: Vec<(i64, Sum)> = fetch(tx, sql, params).await?;
    let (count, amount) = rows.into_iter().next().unwrap_or_default();
    Ok(tally(count, amount))
}

/// Runs a query with `$1…$n` bound to `params`, in `tx`.
async fn fetch<R: AnyRow>(tx: &mut Tx, sql: &str, params: &[Param]) -> anyhow::Result<Vec<R>> {
    Ok(on_tx!(tx, |c, _d| {
        let mut query = sqlx::query_as::<_, R>(sql);
        for param in params {
            query = match param {
                Param::Text(text) => query.bind(text.as_str()),
                Param::Int(value) => query.bind(*value),
                Param::Null => query.bind(None::<String>),
            };
        }
        query.fetch_all(c).await?
    }))
}
