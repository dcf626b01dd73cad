//! What a user holds: `GET /v1/users/{id}/balances` (per pocket: available, held, how much
//! may be withdrawn and why) and `GET /v1/users/{id}/statement` (every movement with the
//! running balance, as JSON pages or CSV). The use cases are [`crate::services::balances`].

use super::path::Path;
use super::query::Query;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Operator, READERS};
use super::error::{ApiError, ErrorBody};
use super::paging;
use super::users::rfc3339;
use super::AppState;
use crate::domain::money::parse_currency;
use crate::domain::statement::Period;
use crate::services::balances::{self, StatementPage};

/// Most lines one CSV statement download may hold (JSON pages hold at most 100).
const CSV_LINES_MAX: i64 = 10_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/users/{id}/balances", get(balances)).route("/v1/users/{id}/statement", get(statement))
}

#[derive(Deserialize, IntoParams)]
pub struct BalanceQuery {
    /// ISO 4217; default: the tenant's currency.
    currency: Option<String>,
    /// The language of each pocket's `reason`, for showing to the user: `ko` or `en`;
    /// default: `Accept-Language`, else Korean.
    lang: Option<String>,
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
    /// Why the pocket is or is not withdrawable, in words for the user (Korean unless `lang`
    /// or `Accept-Language` asks for English), money written as people write it.
    reason: String,
    /// Gift-card pockets: when the card's value can no longer be spent.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
}

/// A user's balances, per pocket, with what is withdrawable and why.
#[utoipa::path(get, path = "/v1/users/{id}/balances", params(("id" = String, Path, description = "The user id"), BalanceQuery),
    responses((status = 200, body = Balances), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "wallet")]
async fn balances(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    Query(query): Query<BalanceQuery>,
    headers: HeaderMap,
) -> Result<Json<Balances>, ApiError> {
    operator.require(READERS)?;
    let currency = query.currency.as_deref().map(|code| parse_currency(code, "currency".into())).transpose()?;
    let lang = super::receipts::api_lang(query.lang.as_deref(), &headers)?;
    let found = balances::balances(&app, &operator.actor(), operator.tenant_id(), &user_id, currency, lang).await?;
    let pockets: Vec<PocketBalance> = found
        .pockets
        .iter()
        .map(|p| PocketBalance {
            pocket: p.pocket.name(),
            available: p.available,
            pending: p.pending,
            withdrawable: p.withdrawable,
            reason: p.reason.clone(),
            expires_at: p.expires_at.map(rfc3339),
        })
        .collect();
    Ok(Json(Balances {
        currency: found.currency.code().to_string(),
        total: found.available() + found.pending(),
        available: found.available(),
        pending: found.pending(),
        withdrawable: found.withdrawable(),
        user_id: found.user_id,
        pockets,
    }))
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
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::invalid("invalid_format", "format is json or csv", "format")),
    };
    let currency = query.currency.as_deref().map(|code| parse_currency(code, "currency".into())).transpose()?;
    let period = Period::parse(query.from.as_deref(), query.to.as_deref())?;
    let limit = paging::limit(query.limit.as_deref(), if csv { CSV_LINES_MAX } else { paging::PAGE_LIMIT_MAX })?;
    let limit = if csv && query.limit.is_none() { CSV_LINES_MAX } else { limit };
    let cursor = paging::PageQuery { limit: None, starting_after: query.starting_after.clone() };
    let page = StatementPage { currency, period, starting_after: cursor.starting_after()?.map(str::to_string), limit };
    let found = balances::statement(&app, &operator.actor(), operator.tenant_id(), &user_id, &page).await?;
    let lines: Vec<StatementLine> = found
        .lines
        .into_iter()
        .map(|line| StatementLine {
            id: line.entry.id,
            created_at: rfc3339(line.entry.created_at),
            kind: line.entry.kind,
            pocket: line.entry.pocket,
            amount: line.entry.amount,
            balance: line.balance,
            reference_id: line.entry.reference_id,
            description: line.entry.description,
        })
        .collect();
    if csv {
        let has_more = if found.has_more { "true" } else { "false" };
        let headers = [("content-type", "text/csv; charset=utf-8"), ("x-has-more", has_more)];
        return Ok((headers, to_csv(&lines)).into_response());
    }
    let currency = found.currency.code().to_string();
    let body = Statement { user_id: found.user_id, currency, data: lines, has_more: found.has_more };
    Ok(Json(body).into_response())
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
