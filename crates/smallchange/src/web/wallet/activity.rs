//! The activity page (`/wallet/activity`): a month of the person's statement in their
//! tenant's zone (`?month=YYYY-MM`, this month by default), each movement in plain words with
//! its signed amount and the balance after it, with links to the months before and after;
//! and the same month as a CSV file for a spreadsheet (`/wallet/activity.csv`).
//!
//! The statement writes one line per pocket a movement touched; a payment paid from a gift
//! card and cash reads as two. Here the lines of one movement are shown as one, with the
//! kinds of money it touched. Money that came back from a cash-out says how the cash-out
//! ended (failed, canceled, not confirmed in time), and a gift card's remainder, which moves
//! within the wallet, shows how much moved.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use minijinja::context;
use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use crate::domain::pocket::Pocket;
use crate::domain::statement::Month;
use crate::people::i18n;
use crate::people::{self, csv, Lang};
use crate::services::balances::{self, StatementLine, StatementPage};
use crate::services::cashout::view;
use crate::services::Error;
use crate::web::visitor::Signed;
use crate::web::{page, Ui};

pub fn router() -> Router<Ui> {
    Router::new().route("/wallet/activity", get(activity)).route("/wallet/activity.csv", get(download))
}

/// Statement lines read for one page of a month; more follow behind a link.
const PAGE_LINES: i64 = 200;
/// Most statement lines one month's CSV holds.
const CSV_LINES_MAX: i64 = 10_000;

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
    /// The id of the last statement line of the page before.
    after: Option<String>,
}

/// One movement as the page shows it.
#[derive(Serialize, Debug, PartialEq, Eq)]
struct Line {
    at: i64,
    /// What it was, in words.
    what: String,
    /// The kinds of money it touched, in words.
    pockets: String,
    amount: i64,
    /// What moved from one kind of money to another (a gift card's remainder), when
    /// `amount`, the change to the total, is nothing.
    moved: Option<i64>,
    balance: i64,
    /// The last statement line it was made of.
    last_id: String,
    /// The cash-out it belongs to, whose page it links to.
    cashout: Option<String>,
}

/// The month asked for, or the one it is now in the tenant's zone.
fn month_asked(ui: &Ui, signed: &Signed, query: &MonthQuery) -> Result<(Month, Month, i32), Error> {
    let offset = ui.settings.wallet_policy(signed.tenant()).month_utc_offset_minutes;
    let now = Month::containing(ui.clock.now_us(), offset);
    let month = query.month.as_deref().map(Month::parse).transpose()?.unwrap_or(now);
    Ok((month, now, offset))
}

/// A cursor as the statement writes its ids; anything else starts the month afresh.
fn cursor(after: Option<&str>) -> Option<String> {
    after.filter(|a| a.len() <= 100 && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')).map(String::from)
}

async fn activity(State(ui): State<Ui>, signed: Signed, Query(query): Query<MonthQuery>) -> Response {
    let (month, now, offset) = match month_asked(&ui, &signed, &query) {
        Ok(found) => found,
        Err(error) => return page::failure(&ui, &signed.visitor, error),
    };
    let after = cursor(query.after.as_deref());
    let asked = StatementPage {
        currency: None,
        period: month.period(offset),
        starting_after: after.clone(),
        limit: PAGE_LINES,
    };
    let found = match balances::statement(&ui, &signed.actor(), signed.tenant(), signed.user_id(), &asked).await {
        Ok(found) => found,
        Err(error) => return page::failure(&ui, &signed.visitor, error),
    };
    let lang = signed.visitor.lang;
    let endings = match cash_out_endings(&ui, &signed, &found.lines).await {
        Ok(endings) => endings,
        Err(error) => return page::failure(&ui, &signed.visitor, error),
    };
    let lines = movements(lang, &found.lines, &endings);
    let more = found.has_more.then(|| lines.last().map(|l| l.last_id.clone())).flatten();
    let values = context! {
        month => month.to_string(),
        month_label => month_label(lang, month),
        previous => month.previous().to_string(),
        previous_label => month_label(lang, month.previous()),
        next => (month < now).then(|| month.next().to_string()),
        next_label => month_label(lang, month.next()),
        continued => after.is_some(),
        lines,
        more,
        nav => "activity",
        here => format!("/wallet/activity?month={month}"),
    };
    page::show_signed(&ui, &signed, StatusCode::OK, "activity.html", values)
}

async fn download(State(ui): State<Ui>, signed: Signed, Query(query): Query<MonthQuery>) -> Response {
    let (month, _, offset) = match month_asked(&ui, &signed, &query) {
        Ok(found) => found,
        Err(error) => return page::failure(&ui, &signed.visitor, error),
    };
    let asked =
        StatementPage { currency: None, period: month.period(offset), starting_after: None, limit: CSV_LINES_MAX };
    let found = match balances::statement(&ui, &signed.actor(), signed.tenant(), signed.user_id(), &asked).await {
        Ok(found) => found,
        Err(error) => return page::failure(&ui, &signed.visitor, error),
    };
    let lang = signed.visitor.lang;
    let endings = match cash_out_endings(&ui, &signed, &found.lines).await {
        Ok(endings) => endings,
        Err(error) => return page::failure(&ui, &signed.visitor, error),
    };
    let body = to_csv(lang, found.currency.code(), offset, &movements(lang, &found.lines, &endings));
    let disposition = format!("attachment; filename=\"smallchange-{month}.csv\"");
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response()
}

/// How each cash-out whose money came back in `lines` ended (`failed`, `canceled`,
/// `expired`), by its id.
async fn cash_out_endings(ui: &Ui, signed: &Signed, lines: &[StatementLine]) -> Result<HashMap<String, String>, Error> {
    let mut ids: Vec<&str> =
        lines.iter().filter(|l| l.entry.kind == "cashout_released").map(|l| l.entry.reference_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    view::statuses(ui, signed.tenant(), signed.user_id(), &ids).await
}

/// The month's name as people say it: `2026년 11월`, `November 2026`.
fn month_label(lang: Lang, month: Month) -> String {
    let name = text(lang, &format!("activity-month-{}", month.number()), &[]);
    text(lang, "activity-month", &[("year", month.year().to_string()), ("name", name)])
}

fn text(lang: Lang, id: &str, args: &[(&str, String)]) -> String {
    i18n::text(lang, id, args).unwrap_or_else(|| id.to_string())
}

/// The statement's lines with those of one movement (same kind and reference, one after
/// the other) taken together.
fn movements(lang: Lang, lines: &[StatementLine], endings: &HashMap<String, String>) -> Vec<Line> {
    let mut groups: Vec<Vec<&StatementLine>> = Vec::new();
    for line in lines {
        match groups.last_mut() {
            Some(group)
                if group[0].entry.kind == line.entry.kind && group[0].entry.reference_id == line.entry.reference_id =>
            {
                group.push(line)
            }
            _ => groups.push(vec![line]),
        }
    }
    groups.iter().map(|group| movement(lang, group, endings)).collect()
}

fn movement(lang: Lang, group: &[&StatementLine], endings: &HashMap<String, String>) -> Line {
    let (first, last) = (group[0], group[group.len() - 1]);
    let mut pockets: Vec<String> = Vec::new();
    for line in group {
        let label = pocket_label(lang, &line.entry.pocket);
        if !pockets.contains(&label) {
            pockets.push(label);
        }
    }
    let amount = group.iter().map(|l| l.entry.amount).sum();
    let moved: i64 = group.iter().map(|l| l.entry.amount).filter(|a| *a > 0).sum();
    Line {
        at: first.entry.created_at,
        what: what(lang, group, endings),
        pockets: pockets.join(" · "),
        amount,
        moved: (amount == 0 && moved > 0).then_some(moved),
        balance: last.balance,
        last_id: last.entry.id.clone(),
        cashout: first.entry.kind.starts_with("cashout_").then(|| first.entry.reference_id.clone()),
    }
}

/// What a movement was, in words: a payment to whom, a top-up from where, a gift card …
fn what(lang: Lang, group: &[&StatementLine], endings: &HashMap<String, String>) -> String {
    let entry = &group[0].entry;
    let said = entry.description.clone().unwrap_or_default();
    let source_id = format!("activity-topup-{said}");
    match entry.kind.as_str() {
        "topup" if i18n::has(lang, &source_id) => text(lang, &source_id, &[]),
        "topup" => text(lang, "activity-topup", &[]),
        "payment" => text(lang, "activity-payment", &[("merchant", said)]),
        "payment_refund" => text(lang, "activity-payment-refund", &[]),
        "gift_card_redeem" => text(lang, "activity-gift-card-redeem", &[("brand", said)]),
        "gift_card_remainder" => {
            let to = group.iter().find(|l| l.entry.amount > 0).map(|l| pocket_label(lang, &l.entry.pocket));
            text(lang, "activity-gift-card-remainder", &[("to", to.unwrap_or_default())])
        }
        "cashout_hold" => text(lang, "activity-cashout", &[]),
        "cashout_released" => match endings.get(&entry.reference_id).map(String::as_str) {
            Some(ending @ ("failed" | "canceled" | "expired")) => {
                text(lang, &format!("activity-cashout-released-{ending}"), &[])
            }
            _ => text(lang, "activity-cashout-released", &[]),
        },
        "cashout_returned" => text(lang, "activity-cashout-returned", &[]),
        "dispute_adjustment" => text(lang, "activity-dispute-adjustment", &[]),
        _ => text(lang, "activity-other", &[]),
    }
}

/// A kind of money in words: the home page's names, and "gift card" for any card.
fn pocket_label(lang: Lang, pocket: &str) -> String {
    match Pocket::parse(pocket) {
        Some(Pocket::Gift(_)) | None => text(lang, "activity-pocket-gift", &[]),
        Some(fixed) => text(lang, &format!("pocket-{}", fixed.name()), &[]),
    }
}

/// The month as a spreadsheet reads it: a header in the person's language, then each
/// movement with its amount and balance as plain integers of minor units and as written.
fn to_csv(lang: Lang, currency: &str, offset: i32, lines: &[Line]) -> String {
    let header: Vec<String> = ["when", "what", "pockets", "amount", "amount-shown", "balance", "balance-shown"]
        .iter()
        .map(|column| text(lang, &format!("activity-csv-{column}"), &[]))
        .collect();
    let mut out = String::from(csv::BOM);
    out.push_str(&csv::line(&header));
    for line in lines {
        out.push_str(&csv::line(&[
            people::local_time(line.at, offset),
            line.what.clone(),
            line.pockets.clone(),
            line.amount.to_string(),
            shown(line.amount, currency, lang),
            line.balance.to_string(),
            shown(line.balance, currency, lang),
        ]));
    }
    out
}

/// An amount as written, a negative one with a minus sign (U+2212) that no spreadsheet takes
/// for the start of a formula.
fn shown(amount: i64, currency: &str, lang: Lang) -> String {
    let written = people::money(amount.abs(), currency, lang);
    if amount < 0 {
        format!("\u{2212}{written}")
    } else {
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::wallet::Entry;

    fn line(
        id: &str,
        kind: &str,
        reference: &str,
        pocket: &str,
        amount: i64,
        balance: i64,
        said: &str,
    ) -> StatementLine {
        let entry = Entry {
            id: id.into(),
            pocket: pocket.into(),
            amount,
            kind: kind.into(),
            reference_id: reference.into(),
            description: Some(said.into()),
            created_at: 1_793_491_200_000_000,
        };
        StatementLine { entry, balance }
    }

    #[test]
    fn the_lines_of_one_movement_read_as_one() {
        let lines = [
            line("e1", "topup", "top_1", "cash", 30_000, 30_000, "bank_transfer"),
            line("e2", "payment", "pay_1", "gift:gc_1", -10_000, 20_000, "Coffee"),
            line("e3", "payment", "pay_1", "cash", -2_000, 18_000, "Coffee"),
            line("e4", "gift_card_remainder", "gc_2", "gift:gc_2", -4_000, 14_000, "x"),
            line("e5", "gift_card_remainder", "gc_2", "carrier", 4_000, 18_000, "x"),
            line("e6", "something_new", "r", "cash", 1, 18_001, ""),
        ];
        let shown = movements(Lang::Ko, &lines, &HashMap::new());
        let said: Vec<(&str, &str, i64, i64)> =
            shown.iter().map(|l| (l.what.as_str(), l.pockets.as_str(), l.amount, l.balance)).collect();
        assert_eq!(
            said,
            [
                ("계좌이체로 충전", "충전한 돈", 30_000, 30_000),
                ("Coffee 결제", "상품권 · 충전한 돈", -12_000, 18_000),
                (
                    "상품권 남은 돈 환불 · 돌아간 곳: 휴대폰 결제로 충전한 돈",
                    "상품권 · 휴대폰 결제로 충전한 돈",
                    0,
                    18_000
                ),
                ("기타", "충전한 돈", 1, 18_001),
            ]
        );
        assert_eq!(shown[1].last_id, "e3");
        assert_eq!((shown[2].amount, shown[2].moved, shown[1].moved), (0, Some(4_000), None));
        let en = movements(Lang::En, &lines[1..3], &HashMap::new());
        assert_eq!(en[0].what, "Payment to Coffee");
    }

    #[test]
    fn money_back_from_a_cash_out_says_how_it_ended() {
        let lines = [
            line("e1", "cashout_released", "po_failed", "cash", 5_000, 5_000, "sandbox"),
            line("e2", "cashout_released", "po_canceled", "cash", 1_000, 6_000, "sandbox"),
            line("e3", "cashout_released", "po_expired", "cash", 1_000, 7_000, "sandbox"),
            line("e4", "cashout_released", "po_unknown", "cash", 1_000, 8_000, "sandbox"),
        ];
        let endings: HashMap<String, String> =
            [("po_failed", "failed"), ("po_canceled", "canceled"), ("po_expired", "expired")]
                .into_iter()
                .map(|(id, status)| (id.to_string(), status.to_string()))
                .collect();
        let said: Vec<String> = movements(Lang::Ko, &lines, &endings).into_iter().map(|l| l.what).collect();
        assert_eq!(
            said,
            [
                "출금 실패로 돌아온 돈",
                "출금 취소로 돌아온 돈",
                "출금 확인 시간이 지나 돌아온 돈",
                "출금되지 않아 돌아온 돈"
            ]
        );
    }

    #[test]
    fn the_csv_has_a_bom_a_header_and_formula_safe_fields() {
        let lines = [line("e1", "payment", "pay_1", "cash", -5_000, 25_000, "=cmd")];
        let csv = to_csv(Lang::En, "KRW", 540, &movements(Lang::En, &lines, &HashMap::new()));
        assert!(csv.starts_with('\u{feff}'));
        let rows: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(rows[0], "Date and time,What,Kind of money,Amount,Amount as written,Balance,Balance as written");
        assert_eq!(
            rows[1],
            "2026-11-01 09:00 KST,Payment to =cmd,Money you added,-5000,\"\u{2212}₩5,000\",25000,\"₩25,000\""
        );
        assert_eq!(month_label(Lang::Ko, Month::parse("2026-11").unwrap()), "2026년 11월");
        assert_eq!(month_label(Lang::En, Month::parse("2026-11").unwrap()), "November 2026");
    }
}
