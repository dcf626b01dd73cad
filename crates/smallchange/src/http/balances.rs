//! What a user holds: `GET /v1/users/{id}/balances` (per pocket: available, held, how much
//! may be withdrawn and why) and `GET /v1/users/{id}/statement` (every movement with the
//! running balance, as JSON pages or CSV).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Operator, READERS};
use super::error::{ApiError, ErrorBody};
use super::ledger::parse_currency;
use super::paging;
use super::users::{existing, rfc3339};
use super::AppState;
use crate::domain::gift_card;
use crate::domain::pocket::Pocket;
use crate::store::wallet::{self, Entry, EntryQuery, GiftTerms};

/// Most lines one CSV statement download may hold (JSON pages hold at most 100).
const CSV_LINES_MAX: i64 = 10_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/users/{id}/balances", get(balances)).route("/v1/users/{id}/statement", get(statement))
}

#[derive(Deserialize, IntoParams)]
pub struct BalanceQuery {
    /// ISO 4217; default: the tenant's currency.
    currency: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Balances {
    user_id: String,
    currency: String,
    /// Everything the user holds: available plus pending.
    total: i64,
    /// What can be spent now (holds subtracted).
    available: i64,
    /// Held for cash-outs in progress.
    pending: i64,
    /// What may be withdrawn now.
    withdrawable: i64,
    pockets: Vec<PocketBalance>,
}

#[derive(Serialize, ToSchema)]
pub struct PocketBalance {
    /// `cash`, `refund`, `cashback`, `promo`, `carrier`, `card` or `gift:<card id>`.
    pocket: String,
    available: i64,
    pending: i64,
    /// How much of `available` may be withdrawn now.
    withdrawable: i64,
    /// Why the pocket is or is not withdrawable.
    reason: String,
    /// Gift-card pockets: when the card's value can no longer be spent.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
}

/// The fixed pockets every user is shown, even before anything lands in them.
const FIXED_POCKETS: [Pocket; 6] =
    [Pocket::Cash, Pocket::Refund, Pocket::Cashback, Pocket::Promo, Pocket::Carrier, Pocket::Card];

/// A user's balances, per pocket, with what is withdrawable and why.
#[utoipa::path(get, path = "/v1/users/{id}/balances", params(("id" = String, Path, description = "The user id"), BalanceQuery),
    responses((status = 200, body = Balances), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "wallet")]
async fn balances(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    Query(query): Query<BalanceQuery>,
) -> Result<Json<Balances>, ApiError> {
    operator.require(READERS)?;
    let tenant = operator.tenant_id();
    let policy = app.settings.wallet_policy(tenant);
    let currency = match &query.currency {
        Some(code) => parse_currency(code, "currency".into())?,
        None => policy.currency(),
    };
    let user = existing(&app, tenant, &user_id).await?;
    let held = wallet::pockets(&app.db, tenant, &user.id, currency.code()).await?;
    let mut pockets: Vec<PocketBalance> = Vec::new();
    for pocket in FIXED_POCKETS.iter() {
        if !held.iter().any(|p| p.pocket == *pocket) {
            pockets.push(pocket_balance(policy, pocket, 0, 0, None));
        }
    }
    let now = app.clock.now_us();
    for p in &held {
        let pending = p.account.debits_pending.minor_units();
        let expires_at = p.gift_card_expires_at.map(rfc3339);
        let mut balance = pocket_balance(policy, &p.pocket, p.available(), pending, expires_at);
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
    // The fixed pockets in their usual order, then gift cards by name.
    pockets.sort_by_key(|p| {
        let position = FIXED_POCKETS.iter().position(|f| f.name() == p.pocket).unwrap_or(FIXED_POCKETS.len());
        (position, p.pocket.clone())
    });
    let available = pockets.iter().map(|p| p.available).sum();
    let pending = pockets.iter().map(|p| p.pending).sum::<i64>();
    Ok(Json(Balances {
        user_id: user.id,
        currency: currency.code().to_string(),
        total: available + pending,
        available,
        pending,
        withdrawable: pockets.iter().map(|p| p.withdrawable).sum(),
        pockets,
    }))
}

fn pocket_balance(
    policy: &crate::domain::policy::WalletPolicy,
    pocket: &Pocket,
    available: i64,
    pending: i64,
    expires_at: Option<String>,
) -> PocketBalance {
    let verdict = policy.verdict(pocket, available);
    PocketBalance {
        pocket: pocket.name(),
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

#[derive(Deserialize, IntoParams)]
pub struct StatementQuery {
    /// RFC 3339; default: the beginning.
    from: Option<String>,
    /// RFC 3339, exclusive; default: now.
    to: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
    /// ISO 4217; default: the tenant's currency.
    currency: Option<String>,
    /// JSON: 1–100, default 20. CSV: 1–10,000, default 10,000.
    limit: Option<String>,
    /// The id of the last line of the previous page.
    starting_after: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Statement {
    user_id: String,
    currency: String,
    data: Vec<StatementLine>,
    has_more: bool,
}

#[derive(Serialize, ToSchema)]
pub struct StatementLine {
    id: String,
    created_at: String,
    /// `topup`, `payment`, `payment_refund`, `gift_card_redeem`, `gift_card_remainder`, …
    kind: String,
    pocket: String,
    /// Signed: positive into the pocket, negative out of it.
    amount: i64,
    /// The user's total in this currency after this line.
    balance: i64,
    /// The top-up, payment, refund or card this line belongs to.
    reference_id: String,
    description: Option<String>,
}

/// Every movement of a user's value, oldest first, with the running balance.
#[utoipa::path(get, path = "/v1/users/{id}/statement", params(("id" = String, Path, description = "The user id"), StatementQuery),
    responses((status = 200, body = Statement, description = "JSON, or CSV with `format=csv`"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "wallet")]
async fn statement(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    Query(query): Query<StatementQuery>,
) -> Result<Response, ApiError> {
    operator.require(READERS)?;
    let tenant = operator.tenant_id();
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::invalid("invalid_format", "format is json or csv", "format")),
    };
    let currency = match &query.currency {
        Some(code) => parse_currency(code, "currency".into())?,
        None => app.settings.wallet_policy(tenant).currency(),
    };
    let from_us = query.from.as_deref().map(|t| parse_time(t, "from")).transpose()?.unwrap_or(0);
    let to_us = query.to.as_deref().map(|t| parse_time(t, "to")).transpose()?.unwrap_or(i64::MAX);
    let limit = paging::limit(query.limit.as_deref(), if csv { CSV_LINES_MAX } else { paging::PAGE_LIMIT_MAX })?;
    let limit = if csv && query.limit.is_none() { CSV_LINES_MAX } else { limit };
    let page = paging::PageQuery { limit: None, starting_after: query.starting_after.clone() };
    let user = existing(&app, tenant, &user_id).await?;
    let entries_query = EntryQuery {
        tenant,
        user: &user.id,
        currency: currency.code(),
        from_us,
        to_us,
        starting_after: page.starting_after()?,
        limit: limit + 1,
    };
    let (entries, has_more) = paging::page(wallet::entries(&app.db, &entries_query).await?, limit);
    let mut balance = match entries.first() {
        Some(first) => wallet::balance_before(&app.db, tenant, &user.id, currency.code(), &first.id).await?,
        None => 0,
    };
    let lines: Vec<StatementLine> = entries
        .into_iter()
        .map(|entry: Entry| {
            balance += entry.amount;
            StatementLine {
                id: entry.id,
                created_at: rfc3339(entry.created_at),
                kind: entry.kind,
                pocket: entry.pocket,
                amount: entry.amount,
                balance,
                reference_id: entry.reference_id,
                description: entry.description,
            }
        })
        .collect();
    if csv {
        let headers =
            [("content-type", "text/csv; charset=utf-8"), ("x-has-more", if has_more { "true" } else { "false" })];
        return Ok((headers, to_csv(&lines)).into_response());
    }
    let body = Statement { user_id: user.id, currency: currency.code().to_string(), data: lines, has_more };
    Ok(Json(body).into_response())
}

fn parse_time(text: &str, param: &'static str) -> Result<i64, ApiError> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| ApiError::invalid("invalid_time", format!("{param} is an RFC 3339 time"), param))?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000)
        .map_err(|_| ApiError::invalid("invalid_time", format!("{param} is out of range"), param))
}

fn to_csv(lines: &[StatementLine]) -> String {
    let mut out = String::from("id,created_at,kind,pocket,amount,balance,reference_id,description\r\n");
    for line in lines {
        let fields = [
            line.id.clone(),
            line.created_at.clone(),
            line.kind.clone(),
            line.pocket.clone(),
            line.amount.to_string(),
            line.balance.to_string(),
            line.reference_id.clone(),
            csv_text(line.description.as_deref().unwrap_or("")),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A free-text CSV field: quoted when it must be, and never read as a formula by a
/// spreadsheet (a leading `=`, `+`, `-`, `@` gets a `'`).
fn csv_text(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_text_is_quoted_and_never_a_formula() {
        assert_eq!(super::csv_text("coffee"), "coffee");
        assert_eq!(super::csv_text("a, \"b\""), "\"a, \"\"b\"\"\"");
        assert_eq!(super::csv_text("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
