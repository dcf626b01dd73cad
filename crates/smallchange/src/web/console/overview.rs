//! `/console/` and `/console/overview.csv`: the summary report ([`reports::summary`], the
//! same use case as `GET /v1/reports/summary`) for a period the operator picks, drawn as
//! bar charts and told as tables. The charts are SVG written by the template from lengths
//! worked out here (whole units of the drawing, from integers: no float ever touches an
//! amount); each sits beside a table of the same numbers, which is what screen readers and
//! copy-paste use, so the drawing itself is hidden from assistive technology. The period is
//! a GET parameter, so Back, reload and a shared link show the same figures.

use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use minijinja::context;
use serde::Serialize;

use super::Staff;
use crate::clock::rfc3339;
use crate::domain::statement::Span;
use crate::people::{self, csv, i18n, Lang};
use crate::services::reports::{self, Asked, Summary, Tally, GIFT_POCKETS};
use crate::web::{page, Ui};

/// The widest bar, in units of the drawing (the SVG is 480 wide; the rest is its number).
const BAR_WIDTH_MAX: i64 = 300;
/// The shortest bar drawn for a figure that is not zero, so it never looks like nothing.
const BAR_WIDTH_MIN: i64 = 2;
/// How many calendar months the period picker offers, this one included.
const MONTHS_OFFERED: usize = 12;

/// One line of a figure: a row of its table and, in a chart, a bar.
#[derive(Serialize)]
struct Row {
    key: String,
    label: String,
    count: Option<i64>,
    amount: Option<i64>,
    /// The bar's length in units of the drawing, 0 to [`BAR_WIDTH_MAX`].
    bar: i64,
    /// The bar's number as written beside it.
    shown: String,
}

/// A figure's rows, with which columns its table has; `any` when a bar would show.
#[derive(Serialize)]
struct Chart {
    rows: Vec<Row>,
    counts: bool,
    amounts: bool,
    any: bool,
}

/// How one page's words and money are written.
struct Writer {
    lang: Lang,
    currency: String,
}

impl Writer {
    fn word(&self, id: &str, fallback: &str) -> String {
        i18n::text(self.lang, id, &[]).unwrap_or_else(|| fallback.to_string())
    }

    /// Rows of `(key, label, count, amount)`, with bars drawn by amount when there is one.
    fn chart(&self, lines: Vec<(String, String, Option<i64>, Option<i64>)>) -> Chart {
        let counts = lines.iter().any(|l| l.2.is_some());
        let amounts = lines.iter().any(|l| l.3.is_some());
        let value = |l: &(String, String, Option<i64>, Option<i64>)| l.3.or(l.2).unwrap_or(0).max(0);
        let max = lines.iter().map(value).max().unwrap_or(0);
        let rows = lines
            .iter()
            .map(|line| {
                let v = value(line);
                let shown = match line.3 {
                    Some(amount) => people::money(amount, &self.currency, self.lang),
                    None => people::money::count(v),
                };
                let (key, label, count, amount) = line.clone();
                Row { key, label, count, amount, bar: bar_width(v, max), shown }
            })
            .collect();
        Chart { rows, counts, amounts, any: max > 0 }
    }

    fn tallies(&self, map: &BTreeMap<String, Tally>, order: &[&str], prefix: &str) -> Chart {
        let mut keys: Vec<&str> = order.iter().copied().filter(|k| map.contains_key(*k)).collect();
        keys.extend(map.keys().map(String::as_str).filter(|k| !order.contains(k)));
        let lines = keys
            .into_iter()
            .map(|k| (k.to_string(), self.word(&format!("{prefix}{k}"), k), Some(map[k].count), Some(map[k].amount)))
            .collect();
        self.chart(lines)
    }
}

/// `value` of `max` as a bar's length: integers only, at least [`BAR_WIDTH_MIN`] if not 0.
fn bar_width(value: i64, max: i64) -> i64 {
    if value <= 0 || max <= 0 {
        return 0;
    }
    let scaled = i128::from(value) * i128::from(BAR_WIDTH_MAX) / i128::from(max);
    i64::try_from(scaled).unwrap_or(BAR_WIDTH_MAX).max(BAR_WIDTH_MIN)
}

/// The figures as the page shows them.
fn figures(found: &Summary, w: &Writer) -> minijinja::Value {
    let sources: Vec<&str> = crate::domain::pocket::Source::ALL.iter().map(|s| s.as_str()).collect();
    let rails = crate::domain::cashout_policy::RAILS;
    let line = |key: &str, id: &str, t: Tally| (key.to_string(), w.word(id, key), Some(t.count), Some(t.amount));
    let spending = w.chart(vec![
        line("payments", "console-overview-payments", found.payments),
        line("payment_refunds", "console-overview-payment-refunds", found.payment_refunds),
        line("fees", "console-overview-fees", found.fees),
    ]);
    let pockets = found
        .float
        .by_pocket
        .iter()
        .map(|(k, amount)| {
            let id = if k == GIFT_POCKETS { "console-pocket-gift".to_string() } else { format!("pocket-{k}") };
            (k.clone(), w.word(&id, k), None, Some(*amount))
        })
        .collect();
    let not_withdrawable = found.float.total.saturating_sub(found.float.withdrawable);
    let float = w.chart(vec![
        (
            "withdrawable".into(),
            w.word("console-overview-withdrawable", "withdrawable"),
            None,
            Some(found.float.withdrawable),
        ),
        ("not_withdrawable".into(), w.word("console-overview-not-withdrawable", "not"), None, Some(not_withdrawable)),
        ("total".into(), w.word("console-overview-float-total", "total"), None, Some(found.float.total)),
    ]);
    let payouts = w.chart(vec![
        line("in_flight", "console-overview-in-flight", found.in_flight),
        line("past_sla", "console-overview-past-sla", found.past_sla),
    ]);
    let age = found.review_queue.oldest_age_s.map(|s| {
        let args = [("hours", (s / 3_600).to_string()), ("minutes", (s % 3_600 / 60).to_string())];
        i18n::text(w.lang, "console-age", &args).unwrap_or_else(|| format!("{s} s"))
    });
    let period = [found.payments, found.payment_refunds, found.fees]
        .iter()
        .chain(found.topups_by_source.values())
        .chain(found.cashouts_by_status.values())
        .all(|t| t.count == 0)
        && found.risk_decisions.values().all(BTreeMap::is_empty);
    context! {
        quiet => period,
        from_us => found.period.from_us(),
        last_us => found.period.to_us() - 1,
        as_of_us => found.as_of_us,
        topups => w.tallies(&found.topups_by_source, &sources, "activity-topup-"),
        spending => spending,
        by_status => w.tallies(&found.cashouts_by_status, &reports::CASHOUT_STATUSES, "status-"),
        by_rail => w.tallies(&found.cashouts_by_rail, &rails, "rail-"),
        pockets => w.chart(pockets),
        float => float,
        float_total => found.float.total,
        float_withdrawable => found.float.withdrawable,
        payments => context! { count => found.payments.count, amount => found.payments.amount },
        payouts => payouts,
        past_sla => found.past_sla.count,
        review_count => found.review_queue.count,
        review_age_s => found.review_queue.oldest_age_s,
        review_age => age,
        risk => risk(found, w),
    }
}

/// Risk decisions as rows: `decision.reason` → how many, in words.
fn risk(found: &Summary, w: &Writer) -> Chart {
    let lines = found
        .risk_decisions
        .iter()
        .flat_map(|(decision, reasons)| {
            let decided = w.word(&format!("console-decision-{decision}"), decision);
            reasons.iter().map(move |(reason, count)| {
                let because = w.word(&format!("console-reason-{reason}"), reason);
                (format!("{decision}.{reason}"), format!("{decided} · {because}"), Some(*count), None)
            })
        })
        .collect();
    w.chart(lines)
}

/// The `period` a query asks for: today when there is none; `Err` with what was typed.
fn span_asked(query: Option<&str>) -> Result<Span, String> {
    let fields: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
    match fields.into_iter().find(|(name, _)| name == "period") {
        None => Ok(Span::Today),
        Some((_, text)) => Span::parse(text.trim()).map_err(|_| text),
    }
}

/// The choices of the period picker: `(value, label)`.
fn choices(ui: &Ui, staff: &Staff, w: &Writer, chosen: Option<Span>) -> Vec<(String, String)> {
    let mut spans = vec![Span::Today];
    spans.extend(Span::DAYS.map(Span::Days));
    spans.extend(reports::recent_months(ui, staff.tenant(), MONTHS_OFFERED).into_iter().map(Span::Month));
    if let Some(chosen) = chosen.filter(|c| !spans.contains(c)) {
        spans.push(chosen);
    }
    let label = |span: Span| match span {
        Span::Today => w.word("console-period-today", "today"),
        Span::Days(days) => {
            i18n::text(w.lang, "console-period-days", &[("days", days.to_string())]).unwrap_or_else(|| span.to_string())
        }
        Span::Month(month) => {
            let name = w.word(&format!("console-month-{}", month.number()), &month.number().to_string());
            let args = [("year", month.year().to_string()), ("month_name", name)];
            i18n::text(w.lang, "console-period-month", &args).unwrap_or_else(|| month.to_string())
        }
    };
    spans.into_iter().map(|span| (span.to_string(), label(span))).collect()
}

async fn overview(State(ui): State<Ui>, staff: Staff, RawQuery(query): RawQuery) -> Response {
    let policy = ui.settings.wallet_policy(staff.tenant());
    let w = Writer { lang: staff.visitor.lang, currency: policy.currency().code().to_string() };
    let operator = &staff.live.operator;
    let base = context! {
        nav => "overview",
        here => "/console/",
        operator_email => operator.email,
        operator_role => crate::services::operators::role_of(operator).as_str(),
    };
    let span = match span_asked(query.as_deref()) {
        Ok(span) => span,
        Err(typed) => {
            let values = context! { invalid => typed, choices => choices(&ui, &staff, &w, None), chosen => "", ..base };
            return page::show_for_tenant(
                &ui,
                &staff.visitor,
                StatusCode::BAD_REQUEST,
                "console/overview.html",
                values,
                staff.tenant(),
            );
        }
    };
    let found = match summary(&ui, &staff, span).await {
        Ok(found) => found,
        Err(error) => return page::failure(&ui, &staff.visitor, error),
    };
    let values = context! {
        chosen => span.to_string(),
        choices => choices(&ui, &staff, &w, Some(span)),
        figures => figures(&found, &w),
        ..base
    };
    page::show_for_tenant(&ui, &staff.visitor, StatusCode::OK, "console/overview.html", values, staff.tenant())
}

async fn summary(ui: &Ui, staff: &Staff, span: Span) -> Result<Summary, crate::services::Error> {
    let asked = Asked { bounds: reports::span_period(ui, staff.tenant(), span).into(), currency: None };
    reports::summary(ui, &staff.live.actor(), staff.tenant(), &asked).await
}

/// The figures as CSV, one per line, each carrying its period and currency so that a line
/// copied elsewhere still says what it is. Amounts are integers in minor units.
async fn overview_csv(State(ui): State<Ui>, staff: Staff, RawQuery(query): RawQuery) -> Response {
    let Ok(span) = span_asked(query.as_deref()) else {
        return page::message(
            &ui,
            &staff.visitor,
            StatusCode::BAD_REQUEST,
            "title-cannot",
            "console-overview-bad-period",
        );
    };
    let found = match summary(&ui, &staff, span).await {
        Ok(found) => found,
        Err(error) => return page::failure(&ui, &staff.visitor, error),
    };
    let disposition = format!("attachment; filename=\"overview-{span}.csv\"");
    (
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        csv_of(&found),
    )
        .into_response()
}

fn csv_of(found: &Summary) -> String {
    let (from, to, currency) = (rfc3339(found.period.from_us()), rfc3339(found.period.to_us()), found.currency.code());
    let mut out = String::from(csv::BOM);
    out.push_str(&csv::line(&["from", "to", "figure", "key", "count", "amount", "currency"]));
    let mut put = |figure: &str, key: &str, count: Option<i64>, amount: Option<i64>| {
        let (count, amount) = (count.map(|c| c.to_string()), amount.map(|a| a.to_string()));
        let money = if amount.is_some() { currency } else { "" };
        let fields =
            [from.as_str(), &to, figure, key, count.as_deref().unwrap_or(""), amount.as_deref().unwrap_or(""), money];
        out.push_str(&csv::line(&fields));
    };
    let tallies = [
        ("topups_by_source", &found.topups_by_source),
        ("cashouts_by_status", &found.cashouts_by_status),
        ("cashouts_by_rail", &found.cashouts_by_rail),
    ];
    for (figure, map) in tallies {
        for (key, t) in map {
            put(figure, key, Some(t.count), Some(t.amount));
        }
    }
    for (figure, t) in [("payments", found.payments), ("payment_refunds", found.payment_refunds), ("fees", found.fees)]
    {
        put(figure, "", Some(t.count), Some(t.amount));
    }
    put("float", "total", None, Some(found.float.total));
    put("float", "withdrawable", None, Some(found.float.withdrawable));
    for (pocket, amount) in &found.float.by_pocket {
        put("float_by_pocket", pocket, None, Some(*amount));
    }
    put("in_flight", "", Some(found.in_flight.count), Some(found.in_flight.amount));
    put("past_sla", "", Some(found.past_sla.count), Some(found.past_sla.amount));
    put("review_queue", "count", Some(found.review_queue.count), None);
    put("review_queue", "oldest_age_s", found.review_queue.oldest_age_s, None);
    for (decision, reasons) in &found.risk_decisions {
        for (reason, count) in reasons {
            put("risk_decisions", &format!("{decision}.{reason}"), Some(*count), None);
        }
    }
    out
}

pub fn router() -> Router<Ui> {
    Router::new()
        .route("/console/", get(overview))
        .route("/console/overview.csv", get(overview_csv))
        .route("/console", get(|| async { Redirect::permanent("/console/") }))
}
