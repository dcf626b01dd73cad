//! `POST /v1/users/{id}/topups`: value coming into a user's wallet from one source, into
//! the pocket that source decides, with the operator's reference kept beside it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use ledger::{Amount, Currency};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::ledger::{parse_amount, parse_currency};
use super::submit::{refused, submit};
use super::users::{existing, rfc3339};
use super::{idempotency, AppState};
use crate::domain::pocket::{self, codes, Pocket, Source};
use crate::domain::policy::WalletPolicy;
use crate::store::wallet::{pocket_row, NewEntry};
use crate::unit::{linked, transfer, Param, Plan, Refusal, Row, Unit, UnitOutput};

/// Longest operator reference kept with a top-up.
const REFERENCE_LEN_MAX: usize = 128;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/users/{id}/topups", post(create_topup))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopupRequest {
    /// `bank_transfer`, `earning`, `refund`, `cashback`, `promo`, `carrier_billing` or `card`.
    source: String,
    /// Minor units, positive.
    amount: i64,
    currency: String,
    /// The operator's own reference for this top-up (1–128 characters), kept with it.
    reference: String,
    /// For `source: refund` only, and required there: the source the refunded purchase was
    /// paid with. Its provenance is kept: a refunded carrier-billed purchase lands in `carrier`.
    refund_of: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TopupResponse {
    id: String,
    user_id: String,
    source: &'static str,
    refund_of: Option<&'static str>,
    /// The pocket credited.
    pocket: String,
    amount: i64,
    currency: String,
    reference: String,
    created_at: String,
}

/// A validated top-up.
struct Topup {
    id: String,
    user: String,
    source: Source,
    refund_of: Option<Source>,
    pocket: Pocket,
    amount: Amount,
    currency: Currency,
    reference: String,
    at: i64,
}

/// Top up a user's wallet from one source.
#[utoipa::path(post, path = "/v1/users/{id}/topups", request_body = TopupRequest,
    params(("id" = String, Path, description = "The user id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = TopupResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`carrier_monthly_limit`, `idempotency_key_reused`")),
    security(("bearer" = [])), tag = "wallet")]
async fn create_topup(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id().to_string();
    let path = format!("/v1/users/{user_id}/topups");
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, &tenant, &path, &body));
    let request: TopupRequest = parse_json(&body)?;
    let policy = app.settings.wallet_policy(&tenant).clone();
    let user = existing(&app, &tenant, &user_id).await?;
    let at = app.clock.now_us();
    let topup = parse(request, &app, &policy, user.id, at)?;
    let unit = topup_unit(&tenant, &topup, &policy);
    let render = Arc::new(move |outcome: &UnitOutput| render(&topup, outcome));
    submit(&app, checked, unit, render).await
}

fn parse(
    request: TopupRequest,
    app: &AppState,
    policy: &WalletPolicy,
    user: String,
    at: i64,
) -> Result<Topup, ApiError> {
    let source = Source::parse(&request.source).ok_or_else(|| {
        let names: Vec<&str> = Source::ALL.iter().map(|s| s.as_str()).collect();
        ApiError::invalid("invalid_source", format!("source is one of {}", names.join(", ")), "source")
    })?;
    let amount = parse_amount(request.amount, &app.settings, "amount".into())?;
    let currency = parse_currency(&request.currency, "currency".into())?;
    let reference = request.reference.trim().to_string();
    if reference.is_empty() || reference.chars().count() > REFERENCE_LEN_MAX || reference.chars().any(char::is_control)
    {
        return Err(ApiError::invalid("invalid_reference", "reference is 1 to 128 visible characters", "reference"));
    }
    let refund_of = match (source, request.refund_of.as_deref()) {
        (Source::Refund, None) => {
            let message = "a refund must say what the refunded purchase was paid with (refund_of)";
            return Err(ApiError::invalid("missing_field", message, "refund_of"));
        }
        (Source::Refund, Some(name)) => Some(Source::parse(name).ok_or_else(|| {
            ApiError::invalid("invalid_source", "refund_of is one of the top-up sources", "refund_of")
        })?),
        (_, Some(_)) => {
            return Err(ApiError::invalid("unexpected_field", "refund_of is only for source refund", "refund_of"))
        }
        (_, None) => None,
    };
    if source == Source::CarrierBilling && currency != policy.currency() {
        let message = format!("carrier billing is charged in {}", policy.currency);
        return Err(ApiError::invalid("invalid_currency", message, "currency"));
    }
    Ok(Topup {
        id: crate::ids::time_ordered("top", at),
        user,
        source,
        refund_of,
        pocket: source.pocket(refund_of),
        amount,
        currency,
        reference,
        at,
    })
}

/// The month a carrier top-up counts toward, as `YYYY-MM` in the policy's time zone.
pub fn billing_month(at_us: i64, policy: &WalletPolicy) -> String {
    let local = at_us / 1_000_000 + i64::from(policy.month_utc_offset_minutes) * 60;
    let date = time::OffsetDateTime::from_unix_timestamp(local).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}", date.year(), u8::from(date.month()))
}

fn topup_unit(tenant: &str, topup: &Topup, policy: &WalletPolicy) -> Unit {
    let pocket_account = pocket::pocket_account(tenant, &topup.user, &topup.pocket, topup.currency);
    let source_account = pocket::source_account(tenant, topup.source, topup.currency);
    let (amount, currency) = (topup.amount, topup.currency);
    let credit_id = format!("{tenant}/{}", topup.id);
    let credit = transfer(credit_id, &source_account.id, &pocket_account.id, amount, currency, codes::TOPUP);
    let mut rows =
        vec![pocket_row(tenant, &topup.user, &topup.pocket, &pocket_account, topup.at), topup_row(tenant, topup)];
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
        return Unit::fixed(open, Vec::new(), vec![credit], rows);
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
            Ok(Plan { transfers: linked(vec![credit.clone(), count.clone()]), rows: rows.clone() })
        }),
    }
}

fn topup_row(tenant: &str, topup: &Topup) -> Row {
    Row {
        sql: "INSERT INTO topups (id, tenant_id, user_id, source, refund_of, pocket, amount, currency, reference, \
              created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        params: vec![
            topup.id.as_str().into(),
            tenant.into(),
            topup.user.as_str().into(),
            topup.source.as_str().into(),
            Param::from(topup.refund_of.map(Source::as_str)),
            topup.pocket.name().into(),
            topup.amount.minor_units().into(),
            topup.currency.code().into(),
            topup.reference.as_str().into(),
            topup.at.into(),
        ],
    }
}

fn render(topup: &Topup, outcome: &UnitOutput) -> Result<String, ApiError> {
    if let Some(error) = refused(outcome) {
        return Err(error);
    }
    if let UnitOutput::Applied { results, .. } = outcome {
        if let Some(failed) = results.iter().find(|r| !r.is_ok()) {
            return Err(ApiError::internal(format!("a top-up transfer failed: {}", failed.code())));
        }
    }
    let response = TopupResponse {
        id: topup.id.clone(),
        user_id: topup.user.clone(),
        source: topup.source.as_str(),
        refund_of: topup.refund_of.map(Source::as_str),
        pocket: topup.pocket.name(),
        amount: topup.amount.minor_units(),
        currency: topup.currency.code().to_string(),
        reference: topup.reference.clone(),
        created_at: rfc3339(topup.at),
    };
    Ok(serde_json::to_string(&response).expect("a top-up serializes"))
}
