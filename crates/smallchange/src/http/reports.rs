//! `GET /v1/reports/summary`: a tenant's figures over a period (top-ups, payments,
//! cash-outs, fees, risk decisions) and of the moment (the float, payouts in flight and
//! late, the review queue), as the console's overview shows them. What each figure counts
//! is in docs/REPORTS.md; the use case is [`crate::services::reports`].

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Operator, READERS};
use super::error::{ApiError, ErrorBody};
use super::query::Query;
use super::users::rfc3339;
use super::AppState;
use crate::domain::money::parse_currency;
use crate::domain::statement::Bounds;
use crate::services::reports::{self, Asked, Tally};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/reports/summary", get(summary))
}

#[derive(Deserialize, IntoParams)]
pub struct SummaryQuery {
    /// RFC 3339, inclusive; default: the start of today in the tenant's time zone.
    #[param(format = DateTime, example = "2026-11-01T00:00:00+09:00")]
    from: Option<String>,
    /// RFC 3339, exclusive; default: the end of today in the tenant's time zone. At most
    /// 366 days after `from`.
    #[param(format = DateTime, example = "2026-12-01T00:00:00+09:00")]
    to: Option<String>,
    /// ISO 4217; default: the tenant's currency. Every amount is in it.
    #[param(pattern = "^[A-Z]{3}$", example = "KRW")]
    currency: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SummaryReport {
    /// The period's first moment.
    from: String,
    /// The first moment after the period.
    to: String,
    /// The currency of every amount, in its minor unit.
    currency: String,
    /// When the figures of the moment (`float`, `in_flight`, `past_sla`, `review_queue`)
    /// were read.
    as_of: String,
    /// Top-ups received in the period, by source (every source, zero when none).
    topups_by_source: BTreeMap<String, CountAmount>,
    /// Payments made in the period, as made: refunds are not taken off (see `payment_refunds`).
    payments: CountAmount,
    /// Refunds of payments made in the period, whenever the payment was.
    payment_refunds: CountAmount,
    /// Cash-outs created in the period, by their status now; `amount` is the gross.
    cashouts_by_status: BTreeMap<String, CountAmount>,
    /// The same cash-outs by rail.
    cashouts_by_rail: BTreeMap<String, CountAmount>,
    /// The fees of the cash-outs paid in the period (and not returned since); `count` is
    /// how many cash-outs.
    fees: CountAmount,
    float: FloatNow,
    /// Cash-outs approved and not final now (`processing`, `in_transit`); `amount` is the gross.
    in_flight: CountAmount,
    /// Those of `in_flight` past the tenant's SLA.
    past_sla: CountAmount,
    review_queue: ReviewQueueNow,
    /// Risk decisions taken in the period (when the cash-outs were confirmed): decision
    /// (`allow`, `review`, `deny`) → reason code → count. A decision with several reasons
    /// counts under each; one without (every `allow`) under `none`.
    risk_decisions: BTreeMap<String, BTreeMap<String, i64>>,
}

#[derive(Serialize, ToSchema)]
pub struct CountAmount {
    count: i64,
    /// Minor units of `currency`.
    amount: i64,
}

/// What the platform owes its users now: the sum of their balances.
#[derive(Serialize, ToSchema)]
pub struct FloatNow {
    /// Every user pocket's balance, value held for cash-outs in progress included.
    total: i64,
    /// What the users may withdraw now (holds taken off; never carrier-billed, card-funded,
    /// promotional or gift-card value).
    withdrawable: i64,
    /// `total` by pocket: `cash`, `refund`, `cashback`, `promo`, `carrier`, `card`, and
    /// `gift` for all gift cards'.
    by_pocket: BTreeMap<String, i64>,
}

/// The cash-outs waiting for a reviewer now.
#[derive(Serialize, ToSchema)]
pub struct ReviewQueueNow {
    count: i64,
    /// How long the longest-waiting one has waited, in seconds; null when none waits.
    oldest_age_s: Option<i64>,
}

/// The tenant's figures over a period and of the moment (docs/REPORTS.md). Any role reads it.
#[utoipa::path(get, path = "/v1/reports/summary", params(SummaryQuery),
    responses((status = 200, body = SummaryReport),
        (status = 400, body = ErrorBody, description = "`invalid_time`, `invalid_period` (from not before to), \
            `period_too_long` (over 366 days), `invalid_currency`, `unknown_currency`")),
    security(("bearer" = [])), tag = "reports")]
async fn summary(
    State(app): State<AppState>,
    operator: Operator,
    Query(query): Query<SummaryQuery>,
) -> Result<Json<SummaryReport>, ApiError> {
    operator.require(READERS)?;
    let bounds = Bounds::parse(query.from.as_deref(), query.to.as_deref())?;
    let currency = query.currency.as_deref().map(|code| parse_currency(code, "currency".into())).transpose()?;
    let asked = Asked { bounds, currency };
    let found = reports::summary(&app, &operator.actor(), operator.tenant_id(), &asked).await?;
    let figures = |map: BTreeMap<String, Tally>| map.into_iter().map(|(key, t)| (key, figure(t))).collect();
    Ok(Json(SummaryReport {
        from: rfc3339(found.period.from_us()),
        to: rfc3339(found.period.to_us()),
        currency: found.currency.code().to_string(),
        as_of: rfc3339(found.as_of_us),
        topups_by_source: figures(found.topups_by_source),
        payments: figure(found.payments),
        payment_refunds: figure(found.payment_refunds),
        cashouts_by_status: figures(found.cashouts_by_status),
        cashouts_by_rail: figures(found.cashouts_by_rail),
        fees: figure(found.fees),
        float: FloatNow {
            total: found.float.total,
            withdrawable: found.float.withdrawable,
            by_pocket: found.float.by_pocket,
        },
        in_flight: figure(found.in_flight),
        past_sla: figure(found.past_sla),
        review_queue: ReviewQueueNow { count: found.review_queue.count, oldest_age_s: found.review_queue.oldest_age_s },
        risk_decisions: found.risk_decisions,
    }))
}

fn figure(tally: Tally) -> CountAmount {
    CountAmount { count: tally.count, amount: tally.amount }
}
