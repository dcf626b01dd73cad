//! Gift cards: programs, issuing a card the operator sold, checking a code, redeeming it
//! into a per-card pocket, and refunding a remainder where the program's rule allows.
//!
//! A card's value sits in a ledger account of its own from issue until redemption. The
//! redemption moves all of it to the user's `gift:<card id>` pocket, planned in the
//! committer with the card's account locked: a code redeems once, whoever races for it.
//! Codes are kept sealed (AES-256-GCM) and found by a keyed hash; they are shown in full
//! only in the answer that issues them.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use ledger::{Amount, Currency};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, READERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::ledger::{parse_amount, parse_currency};
use super::submit::{refused, submit, submit_sealed, write_rows};
use super::users::{existing, rfc3339};
use super::{idempotency, AppState};
use crate::domain::gift_card::{self, RefundRule, BPS_WHOLE};
use crate::domain::pocket::{self, codes, Pocket, Source};
use crate::store::gift_cards::{self, Card, NewCard, Program};
use crate::store::wallet::{available, pocket_row, NewEntry};
use crate::unit::{linked, transfer, Plan, Refusal, Unit, UnitOutput};

/// Limits on what a program may say.
const BRAND_LEN_MAX: usize = 64;
const FACE_VALUES_MAX: usize = 20;
const VALIDITY_DAYS_MAX: i64 = 10 * 366;
const PURCHASER_REF_LEN_MAX: usize = 128;
/// What a code hash is keyed for: codes are unique per tenant.
const CODE_LOOKUP_PURPOSE: &str = "gift_card_code";
const DAY_US: i64 = 86_400 * 1_000_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/gift-card-programs", post(create_program))
        .route("/v1/gift-card-programs/{id}", get(get_program))
        .route("/v1/gift-cards", post(issue_card))
        .route("/v1/gift-cards/check", post(check_card))
        .route("/v1/gift-cards/{id}", get(get_card))
        .route("/v1/gift-cards/{id}/refund-remainder", post(refund_remainder))
        .route("/v1/users/{id}/gift-cards", post(redeem_card))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramRequest {
    /// The card's brand as users type it, e.g. `CultureLand`.
    brand: String,
    currency: String,
    /// ISO 3166-1 alpha-2 region the cards may be used in, e.g. `KR`.
    region: String,
    /// The values cards are sold at (1–20 of them).
    face_values: Vec<i64>,
    /// How long a card can be spent after it is issued.
    validity_days: i64,
    /// Default: the Korean standard terms (60 % over ₩10,000, 80 % at or under).
    refund_rule: Option<RefundRule>,
}

#[derive(Serialize, ToSchema)]
pub struct ProgramResponse {
    id: String,
    brand: String,
    currency: String,
    region: String,
    face_values: Vec<i64>,
    validity_days: i64,
    refund_rule: RefundRule,
    created_at: String,
}

fn program_response(program: Program) -> ProgramResponse {
    ProgramResponse {
        created_at: rfc3339(program.created_at),
        id: program.id,
        brand: program.brand,
        currency: program.currency,
        region: program.region,
        face_values: program.face_values,
        validity_days: program.validity_days,
        refund_rule: program.refund_rule,
    }
}

/// Create a gift-card program.
#[utoipa::path(post, path = "/v1/gift-card-programs", request_body = ProgramRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = ProgramResponse), (status = 400, body = ErrorBody)),
    security(("bearer" = [])), tag = "gift cards")]
async fn create_program(
    State(app): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let checked =
        crate::keyed!(idempotency::check(&app.db, &headers, operator.tenant_id(), "/v1/gift-card-programs", &body));
    let request: ProgramRequest = parse_json(&body)?;
    let brand = request.brand.trim().to_string();
    if brand.is_empty() || brand.chars().count() > BRAND_LEN_MAX || brand.chars().any(char::is_control) {
        return Err(ApiError::invalid("invalid_brand", "brand is 1 to 64 characters", "brand"));
    }
    let currency = parse_currency(&request.currency, "currency".into())?;
    if request.region.len() != 2 || !request.region.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::invalid("invalid_region", "region is an ISO 3166-1 alpha-2 code such as KR", "region"));
    }
    if request.face_values.is_empty() || request.face_values.len() > FACE_VALUES_MAX {
        return Err(ApiError::invalid("invalid_face_values", "face_values holds 1 to 20 amounts", "face_values"));
    }
    for (n, value) in request.face_values.iter().enumerate() {
        parse_amount(*value, &app.settings, format!("face_values[{n}]"))?;
    }
    if !(1..=VALIDITY_DAYS_MAX).contains(&request.validity_days) {
        return Err(ApiError::invalid("invalid_validity", "validity_days is 1 to 3660", "validity_days"));
    }
    let rule = request.refund_rule.unwrap_or_default();
    for (value, param) in [
        (rule.threshold_bps_over, "refund_rule.threshold_bps_over"),
        (rule.threshold_bps_small, "refund_rule.threshold_bps_small"),
    ] {
        if !(0..=BPS_WHOLE).contains(&value) {
            return Err(ApiError::invalid("invalid_refund_rule", "thresholds are 0 to 10000 basis points", param));
        }
    }
    if rule.small_face_max < 0 {
        let message = "small_face_max is an amount, 0 or more";
        return Err(ApiError::invalid("invalid_refund_rule", message, "refund_rule.small_face_max"));
    }
    let mut face_values = request.face_values;
    face_values.sort_unstable();
    face_values.dedup();
    let created_at = app.clock.now_us();
    let program = Program {
        id: crate::ids::time_ordered("gcp", created_at),
        brand,
        currency: currency.code().to_string(),
        region: request.region,
        face_values,
        validity_days: request.validity_days,
        refund_rule: rule,
        created_at,
    };
    let row = gift_cards::program_row(operator.tenant_id(), &program);
    let body = serde_json::to_string(&program_response(program)).expect("a program serializes");
    write_rows(&app, checked, vec![row], body).await
}

/// Read a gift-card program.
#[utoipa::path(get, path = "/v1/gift-card-programs/{id}", params(("id" = String, Path, description = "The program id")),
    responses((status = 200, body = ProgramResponse), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "gift cards")]
async fn get_program(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<ProgramResponse>, ApiError> {
    operator.require(READERS)?;
    let program = gift_cards::program(&app.db, operator.tenant_id(), &id).await?;
    program.map(|p| Json(program_response(p))).ok_or_else(|| ApiError::not_found(format!("no gift-card program {id}")))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    program_id: String,
    /// One of the program's face values.
    face_value: i64,
    /// The top-up source the buyer paid with; decides where a refunded remainder goes.
    purchased_with: String,
    /// The operator's reference for the sale.
    purchaser_ref: String,
}

#[derive(Serialize, ToSchema)]
pub struct GiftCardResponse {
    id: String,
    program_id: String,
    brand: String,
    currency: String,
    region: String,
    face_value: i64,
    /// What is left to spend: the face value until redeemed, then the pocket's balance.
    remaining: i64,
    /// How much is used, in basis points of the face value.
    used_bps: i64,
    /// Whether the remainder may be refunded now (`refund-remainder`).
    refundable: bool,
    /// The share that must be used before the remainder is refundable, in basis points.
    refund_threshold_bps: i64,
    purchased_with: String,
    /// `issued`, `redeemed` or `expired`.
    status: &'static str,
    /// The code, in full: only in the answer that issues the card.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    masked_code: String,
    redeemed_by: Option<String>,
    issued_at: String,
    expires_at: String,
}

fn card_response(card: &Card, remaining: i64, now: i64) -> GiftCardResponse {
    let rule = card.program.refund_rule;
    let status = match (&card.redeemed_by, card.expires_at <= now) {
        (Some(_), _) => "redeemed",
        (None, true) => "expired",
        (None, false) => "issued",
    };
    GiftCardResponse {
        id: card.id.clone(),
        program_id: card.program.id.clone(),
        brand: card.program.brand.clone(),
        currency: card.program.currency.clone(),
        region: card.program.region.clone(),
        face_value: card.face_value,
        remaining,
        used_bps: gift_card::used_bps(card.face_value, remaining),
        refundable: card.redeemed_by.is_some() && rule.allows_refund(card.face_value, remaining),
        refund_threshold_bps: rule.threshold_bps(card.face_value),
        purchased_with: card.purchased_with.clone(),
        status,
        code: None,
        masked_code: gift_card::masked(&card.code_last4),
        redeemed_by: card.redeemed_by.clone(),
        issued_at: rfc3339(card.issued_at),
        expires_at: rfc3339(card.expires_at),
    }
}

/// Issue a card the operator has sold; the answer shows its code, once.
#[utoipa::path(post, path = "/v1/gift-cards", request_body = IssueRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = GiftCardResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "gift cards")]
async fn issue_card(
    State(app): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id().to_string();
    let checked =
        crate::keyed!(idempotency::check_sealed(&app.db, &app.secrets, &headers, &tenant, "/v1/gift-cards", &body));
    let request: IssueRequest = parse_json(&body)?;
    let program = gift_cards::program(&app.db, &tenant, &request.program_id)
        .await?
        .ok_or_else(|| ApiError::invalid("unknown_program", "no such gift-card program", "program_id"))?;
    if !program.face_values.contains(&request.face_value) {
        let message = format!("face_value is one of the program's: {:?}", program.face_values);
        return Err(ApiError::invalid("invalid_face_value", message, "face_value"));
    }
    let purchased_with = Source::parse(&request.purchased_with).ok_or_else(|| {
        ApiError::invalid("invalid_source", "purchased_with is one of the top-up sources", "purchased_with")
    })?;
    let purchaser_ref = request.purchaser_ref.trim();
    if purchaser_ref.is_empty() || purchaser_ref.chars().count() > PURCHASER_REF_LEN_MAX {
        return Err(ApiError::invalid("invalid_reference", "purchaser_ref is 1 to 128 characters", "purchaser_ref"));
    }
    let currency =
        Currency::parse(&program.currency).map_err(|_| ApiError::internal("a stored currency is unknown"))?;
    let issued_at = app.clock.now_us();
    let code = gift_card::new_code();
    let normalized = gift_card::normalize_code(&code);
    let card = Card {
        id: crate::ids::time_ordered("gc", issued_at),
        face_value: request.face_value,
        purchased_with: purchased_with.as_str().to_string(),
        purchaser_ref: purchaser_ref.to_string(),
        code_last4: gift_card::last4(&normalized),
        issued_at,
        expires_at: issued_at + program.validity_days * DAY_US,
        redeemed_by: None,
        redeemed_at: None,
        program,
    };
    let new_card = NewCard {
        id: &card.id,
        program_id: &card.program.id,
        face_value: card.face_value,
        currency: currency.code(),
        purchased_with: &card.purchased_with,
        purchaser_ref: &card.purchaser_ref,
        code_sealed: app.secrets.seal(code.as_bytes()),
        code_lookup: code_lookup(&app, &tenant, &normalized),
        code_last4: &card.code_last4,
        issued_at,
        expires_at: card.expires_at,
    };
    let card_account = pocket::gift_card_account(&tenant, &card.id, currency);
    let float = pocket::gift_card_float(&tenant, currency);
    let value = Amount::new(card.face_value).expect("checked positive");
    let issue = transfer(
        format!("{tenant}/{}:issue", card.id),
        &float.id,
        &card_account.id,
        value,
        currency,
        codes::GIFT_CARD_ISSUE,
    );
    let unit = Unit::fixed(vec![card_account, float], Vec::new(), vec![issue], vec![new_card.row(&tenant)]);
    let render = Arc::new(move |outcome: &UnitOutput| {
        let mut response = card_response(&card, card.face_value, issued_at);
        response.code = Some(code.clone());
        match outcome {
            UnitOutput::Applied { results, .. } if results.iter().all(|r| r.is_ok()) => {
                Ok(serde_json::to_string(&response).expect("a card serializes"))
            }
            other => Err(ApiError::internal(format!("issuing a card failed: {other:?}"))),
        }
    });
    // The answer holds the code: its idempotency copy is sealed like the code itself.
    submit_sealed(&app, checked, unit, render).await
}

fn code_lookup(app: &AppState, tenant: &str, normalized: &str) -> String {
    app.secrets.lookup_hash(CODE_LOOKUP_PURPOSE, &format!("{tenant}/{normalized}"))
}

/// What the card holds now: its own account until redeemed, then its pocket.
async fn remaining(app: &AppState, tenant: &str, card: &Card) -> Result<i64, ApiError> {
    Ok(gift_cards::remaining(&app.db, tenant, card).await?)
}

/// Read a gift card (masked).
#[utoipa::path(get, path = "/v1/gift-cards/{id}", params(("id" = String, Path, description = "The card id")),
    responses((status = 200, body = GiftCardResponse), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "gift cards")]
async fn get_card(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<GiftCardResponse>, ApiError> {
    operator.require(READERS)?;
    let card = found(&app, operator.tenant_id(), &id).await?;
    let left = remaining(&app, operator.tenant_id(), &card).await?;
    Ok(Json(card_response(&card, left, app.clock.now_us())))
}

async fn found(app: &AppState, tenant: &str, id: &str) -> Result<Card, ApiError> {
    let card = gift_cards::card(&app.db, tenant, id).await?;
    card.ok_or_else(|| ApiError::not_found(format!("no gift card {id}")))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    brand: String,
    code: String,
    /// The region the card would be used in (ISO 3166-1 alpha-2).
    region: String,
}

#[derive(Serialize, ToSchema)]
pub struct CheckResponse {
    eligible: bool,
    /// Every reason the card cannot be redeemed: `card_brand_unsupported`,
    /// `card_not_found`, `card_expired`, `card_region_locked`, `card_already_redeemed`.
    reasons: Vec<&'static str>,
    face_value: Option<i64>,
    remaining: Option<i64>,
    expires_at: Option<String>,
}

/// Why a card cannot be redeemed by `brand` in `region` now; empty if it can.
fn reasons(card: &Card, brand: &str, region: Option<&str>, now: i64) -> Vec<&'static str> {
    let mut reasons = Vec::new();
    if card.expires_at <= now {
        reasons.push("card_expired");
    }
    if region.is_some_and(|r| r != card.program.region) {
        reasons.push("card_region_locked");
    }
    if card.redeemed_by.is_some() {
        reasons.push("card_already_redeemed");
    }
    if card.program.brand != brand {
        reasons.clear();
        reasons.push("card_not_found");
    }
    reasons
}

/// Whether a code can be redeemed, with every reason it cannot.
#[utoipa::path(post, path = "/v1/gift-cards/check", request_body = CheckRequest,
    responses((status = 200, body = CheckResponse), (status = 400, body = ErrorBody)),
    security(("bearer" = [])), tag = "gift cards")]
async fn check_card(
    State(app): State<AppState>,
    operator: Operator,
    RawBody(body): RawBody,
) -> Result<Json<CheckResponse>, ApiError> {
    operator.require(READERS)?;
    let tenant = operator.tenant_id();
    let request: CheckRequest = parse_json(&body)?;
    let now = app.clock.now_us();
    let mut reasons_found = Vec::new();
    if !gift_cards::brand_supported(&app.db, tenant, &request.brand).await? {
        reasons_found.push("card_brand_unsupported");
    }
    let lookup = code_lookup(&app, tenant, &gift_card::normalize_code(&request.code));
    let card = gift_cards::card_by_code(&app.db, tenant, &lookup).await?;
    let Some(card) = card else {
        reasons_found.push("card_not_found");
        let none = CheckResponse {
            eligible: false,
            reasons: reasons_found,
            face_value: None,
            remaining: None,
            expires_at: None,
        };
        return Ok(Json(none));
    };
    if reasons_found.is_empty() {
        reasons_found = reasons(&card, &request.brand, Some(&request.region), now);
    }
    let left = remaining(&app, tenant, &card).await?;
    let shown = reasons_found.iter().all(|r| *r != "card_not_found");
    Ok(Json(CheckResponse {
        eligible: reasons_found.is_empty(),
        reasons: reasons_found,
        face_value: shown.then_some(card.face_value),
        remaining: shown.then_some(left),
        expires_at: shown.then(|| rfc3339(card.expires_at)),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    brand: String,
    code: String,
    /// Where the user is (ISO 3166-1 alpha-2); checked against the program's region when given.
    region: Option<String>,
}

/// Redeem a card into the user's wallet, as a pocket of its own.
#[utoipa::path(post, path = "/v1/users/{id}/gift-cards", request_body = RedeemRequest,
    params(("id" = String, Path, description = "The user id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = GiftCardResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`card_expired`, `card_region_locked`, `card_already_redeemed`")),
    security(("bearer" = [])), tag = "gift cards")]
async fn redeem_card(
    State(app): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id().to_string();
    let path = format!("/v1/users/{user_id}/gift-cards");
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, &tenant, &path, &body));
    let request: RedeemRequest = parse_json(&body)?;
    let user = existing(&app, &tenant, &user_id).await?;
    if !gift_cards::brand_supported(&app.db, &tenant, &request.brand).await? {
        return Err(ApiError::invalid("card_brand_unsupported", "no gift-card program of this brand", "brand"));
    }
    let lookup = code_lookup(&app, &tenant, &gift_card::normalize_code(&request.code));
    let not_found = || ApiError::invalid("card_not_found", "no card of this brand has this code", "code");
    let card = gift_cards::card_by_code(&app.db, &tenant, &lookup).await?.ok_or_else(not_found)?;
    let now = app.clock.now_us();
    if let Some(reason) = reasons(&card, &request.brand, request.region.as_deref(), now).first() {
        return Err(match *reason {
            "card_not_found" => not_found(),
            "card_expired" => {
                ApiError::conflict("card_expired", format!("the card expired at {}", rfc3339(card.expires_at)))
            }
            "card_region_locked" => ApiError::conflict(
                "card_region_locked",
                format!("the card can be used in {} only", card.program.region),
            ),
            _ => ApiError::conflict("card_already_redeemed", "the card has been redeemed"),
        });
    }
    let currency = Currency::parse(&card.program.currency).map_err(|_| ApiError::internal("bad stored currency"))?;
    let card_account = pocket::gift_card_account(&tenant, &card.id, currency);
    let gift = Pocket::Gift(card.id.clone());
    let pocket_account = pocket::pocket_account(&tenant, &user.id, &gift, currency);
    let value = Amount::new(card.face_value).expect("positive");
    let id = format!("{tenant}/{}:redeem", card.id);
    let redeem = transfer(id, &card_account.id, &pocket_account.id, value, currency, codes::GIFT_CARD_REDEEM);
    let entry = NewEntry {
        tenant: &tenant,
        user: &user.id,
        currency: currency.code(),
        pocket: &gift,
        amount: card.face_value,
        kind: "gift_card_redeem",
        reference_id: &card.id,
        description: Some(&card.program.brand),
        at: now,
    };
    let rows = vec![
        pocket_row(&tenant, &user.id, &gift, &pocket_account, now),
        gift_cards::redeemed_row(&card.id, &user.id, now),
        entry.row(0),
    ];
    let card_id = card_account.id.clone();
    let unit = Unit {
        open: vec![pocket_account],
        read: vec![card_account.id],
        prior: Vec::new(),
        plan: Arc::new(move |book| {
            // The card's account holds its value until the one redemption that takes it all.
            if book.account(&card_id).map_or(0, available) < value.minor_units() {
                return Err(Refusal::new("card_already_redeemed", "the card has been redeemed"));
            }
            Ok(Plan { transfers: vec![redeem.clone()], rows: rows.clone() })
        }),
    };
    let redeemed = Card { redeemed_by: Some(user.id), redeemed_at: Some(now), ..card };
    let render = Arc::new(move |outcome: &UnitOutput| {
        if let Some(error) = refused(outcome) {
            return Err(error);
        }
        match outcome {
            UnitOutput::Applied { results, .. } if results.iter().all(|r| r.is_ok()) => {
                let response = card_response(&redeemed, redeemed.face_value, now);
                Ok(serde_json::to_string(&response).expect("a card serializes"))
            }
            _ => Err(ApiError::conflict("card_already_redeemed", "the card has been redeemed")),
        }
    });
    submit(&app, checked, unit, render).await
}

#[derive(Serialize, ToSchema)]
pub struct RemainderRefund {
    gift_card: GiftCardResponse,
    /// How much went back.
    amount: i64,
    /// Where it went: `cash` only for a card bought from a withdrawable source.
    pocket: String,
}

/// Refund a card's remainder at face value, where the program's rule allows it.
#[utoipa::path(post, path = "/v1/gift-cards/{id}/refund-remainder",
    params(("id" = String, Path, description = "The card id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = RemainderRefund), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`not_withdrawable` (the rule does not allow it yet), `invalid_state`")),
    security(("bearer" = [])), tag = "gift cards")]
async fn refund_remainder(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let tenant = operator.tenant_id().to_string();
    let path = format!("/v1/gift-cards/{id}/refund-remainder");
    let checked = crate::keyed!(idempotency::check(&app.db, &headers, &tenant, &path, &body));
    let card = found(&app, &tenant, &id).await?;
    let Some(user) = card.redeemed_by.clone() else {
        return Err(ApiError::conflict("invalid_state", "the card is not redeemed: there is no remainder to refund"));
    };
    let purchased_with =
        Source::parse(&card.purchased_with).ok_or_else(|| ApiError::internal("a stored source is unknown"))?;
    // The remainder goes where the card's purchase money came from: `cash` only if that
    // was withdrawable; a card bought by carrier billing or card goes back to that pocket.
    let destination = purchased_with.pocket(None);
    let currency = Currency::parse(&card.program.currency).map_err(|_| ApiError::internal("bad stored currency"))?;
    let gift = Pocket::Gift(card.id.clone());
    let gift_account = pocket::pocket_account(&tenant, &user, &gift, currency);
    let to_account = pocket::pocket_account(&tenant, &user, &destination, currency);
    let now = app.clock.now_us();
    let (rule, face_value) = (card.program.refund_rule, card.face_value);
    let (from_id, to_id) = (gift_account.id.clone(), to_account.id.clone());
    let pocket_record = pocket_row(&tenant, &user, &destination, &to_account, now);
    let (tenant_for_plan, user_for_plan, card_id, to_pocket) =
        (tenant.clone(), user.clone(), card.id.clone(), destination.clone());
    let unit = Unit {
        open: vec![to_account],
        read: vec![gift_account.id],
        prior: Vec::new(),
        plan: Arc::new(move |book| {
            let left = book.account(&from_id).map_or(0, available);
            if left <= 0 {
                return Err(Refusal::new("invalid_state", "nothing is left on the card"));
            }
            if !rule.allows_refund(face_value, left) {
                let message = format!(
                    "the card's terms allow a refund once {}% of it is used; {}% is",
                    rule.threshold_bps(face_value) / 100,
                    gift_card::used_bps(face_value, left) / 100
                );
                return Err(Refusal::new("not_withdrawable", message));
            }
            let value = Amount::new(left).expect("positive");
            let id = format!("{tenant_for_plan}/{card_id}:remainder:{now}");
            let moved = transfer(id, &from_id, &to_id, value, currency, codes::GIFT_CARD_REMAINDER);
            let entry = |pocket: &Pocket, amount: i64, n: usize| {
                NewEntry {
                    tenant: &tenant_for_plan,
                    user: &user_for_plan,
                    currency: currency.code(),
                    pocket,
                    amount,
                    kind: "gift_card_remainder",
                    reference_id: &card_id,
                    description: Some("gift card remainder refunded"),
                    at: now,
                }
                .row(n)
            };
            let rows = vec![
                pocket_record.clone(),
                entry(&Pocket::Gift(card_id.clone()), -left, 0),
                entry(&to_pocket, left, 1),
            ];
            Ok(Plan { transfers: linked(vec![moved]), rows })
        }),
    };
    let render = Arc::new(move |outcome: &UnitOutput| {
        if let Some(error) = refused(outcome) {
            return Err(error);
        }
        let UnitOutput::Applied { transfers, results } = outcome else { unreachable!("refusals handled above") };
        if !results.iter().all(|r| r.is_ok()) {
            return Err(ApiError::conflict("invalid_state", "the card's balance changed; try again"));
        }
        let amount = transfers.iter().filter_map(|t| t.amount).map(Amount::minor_units).sum();
        let response = RemainderRefund { gift_card: card_response(&card, 0, now), amount, pocket: destination.name() };
        Ok(serde_json::to_string(&response).expect("a refund serializes"))
    });
    submit(&app, checked, unit, render).await
}
