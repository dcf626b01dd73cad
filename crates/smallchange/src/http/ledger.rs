//! `/v1/ledger/…`: the low-level ledger for operators who keep their own books, and for
//! benchmarks. Handlers parse the body into kernel types once, submit one command to the
//! group committer and map its results back to the caller's ids.

use super::path::Path;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ledger::{Account, AccountFlags, AccountId, Transfer, TransferFlags, TransferId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Operator, READERS, WRITERS};
use super::body::{parse_json, RawBody};
use super::error::{ApiError, ErrorBody};
use super::idempotency;
use super::AppState;
use crate::committer::{Command, Output, Reply};
use crate::config::Settings;
pub(super) use crate::domain::money::{parse_amount, parse_currency};
use crate::events::{Happened, Kind};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/ledger/accounts", post(create_accounts))
        .route("/v1/ledger/accounts/{id}", get(get_account))
        .route("/v1/ledger/transfers", post(create_transfers))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountsRequest {
    accounts: Vec<AccountInput>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// 1–35 characters of `A-Za-z0-9_-`, chosen by the caller, unique in the tenant.
    id: String,
    /// ISO 4217 code, e.g. `KRW`.
    currency: String,
    /// The caller's chart-of-accounts code, 1–65535.
    code: i64,
    /// Any of `debits_must_not_exceed_credits`, `credits_must_not_exceed_debits`.
    #[serde(default)]
    flags: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTransfersRequest {
    transfers: Vec<TransferInput>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    /// 1–35 characters of `A-Za-z0-9_-`; the transfer's idempotency key.
    id: String,
    /// Required unless the transfer posts or voids a pending one.
    debit_account: Option<String>,
    credit_account: Option<String>,
    /// Minor units, positive. Optional on `post_pending` (default: the whole hold); leave
    /// it out on `void_pending`.
    amount: Option<i64>,
    currency: Option<String>,
    /// The caller's transfer code, 1–65535.
    code: i64,
    /// Any of `linked`, `pending`, `post_pending`, `void_pending`.
    #[serde(default)]
    flags: Vec<String>,
    /// The pending transfer a post or void resolves.
    pending_id: Option<String>,
    /// A pending transfer voids itself after this many seconds; 0 or absent: never.
    timeout_s: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ResultsResponse {
    results: Vec<EventResult>,
}

#[derive(Serialize, ToSchema)]
pub struct EventResult {
    id: String,
    /// `created`, `exists`, or an error code such as `exceeds_credits`.
    result: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct AccountResponse {
    id: String,
    currency: String,
    code: u16,
    flags: Vec<&'static str>,
    debits_pending: i64,
    debits_posted: i64,
    credits_pending: i64,
    credits_posted: i64,
}

/// Create ledger accounts.
#[utoipa::path(post, path = "/v1/ledger/accounts", request_body = CreateAccountsRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = ResultsResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])), tag = "ledger")]
async fn create_accounts(
    State(app): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    accept(&app, &operator, &headers, &body, "/v1/ledger/accounts", |request: CreateAccountsRequest| {
        let ids = request.accounts.iter().map(|a| a.id.clone()).collect();
        Ok((ids, Command::CreateAccounts(parse_accounts(operator.tenant_id(), request)?)))
    })
    .await
}

/// Create transfers; each `linked` chain is applied atomically.
#[utoipa::path(post, path = "/v1/ledger/transfers", request_body = CreateTransfersRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key")),
    responses((status = 200, body = ResultsResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])), tag = "ledger")]
async fn create_transfers(
    State(app): State<AppState>,
    operator: Operator,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    accept(&app, &operator, &headers, &body, "/v1/ledger/transfers", |request: CreateTransfersRequest| {
        let ids = request.transfers.iter().map(|t| t.id.clone()).collect();
        Ok((ids, Command::Transfers(parse_transfers(operator.tenant_id(), request, &app.settings)?)))
    })
    .await
}

/// Read one account's four counters.
#[utoipa::path(get, path = "/v1/ledger/accounts/{id}", params(("id" = String, Path, description = "The account id")),
    responses((status = 200, body = AccountResponse), (status = 404, body = ErrorBody)),
    security(("bearer" = [])), tag = "ledger")]
async fn get_account(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<AccountResponse>, ApiError> {
    operator.require(READERS)?;
    let missing = || ApiError::not_found(format!("no account {id}"));
    if !valid_id(&id) {
        return Err(missing());
    }
    let account =
        crate::store::ledger::get_account(&app.db, &scoped(operator.tenant_id(), &id)).await?.ok_or_else(missing)?;
    Ok(Json(AccountResponse {
        currency: account.currency.code().to_string(),
        code: account.code,
        flags: account_flag_names(account.flags),
        debits_pending: account.debits_pending.minor_units(),
        debits_posted: account.debits_posted.minor_units(),
        credits_pending: account.credits_pending.minor_units(),
        credits_posted: account.credits_posted.minor_units(),
        id,
    }))
}

/// The shared shape of a write: a key that may write, the idempotency key checked before
/// the body is even parsed (a retry gets its first answer), the body parsed into a command
/// and the callers' ids, then [`submit`].
async fn accept<R: serde::de::DeserializeOwned>(
    app: &AppState,
    operator: &Operator,
    headers: &HeaderMap,
    body: &Bytes,
    path: &str,
    to_command: impl FnOnce(R) -> Result<(Vec<String>, Command), ApiError>,
) -> Result<Response, ApiError> {
    operator.require(WRITERS)?;
    let checked = crate::keyed!(idempotency::check(&app.db, headers, operator.tenant_id(), path, body));
    let (ids, command) = to_command(parse_json(body)?)?;
    // One event for the whole request, listing what it created (see `Command::Recorded`).
    let kind = match &command {
        Command::Transfers(_) => Kind::LedgerTransfersCreated,
        _ => Kind::LedgerAccountsCreated,
    };
    let subject = ids.first().cloned().unwrap_or_default();
    let at = app.clock.now_us();
    let event = Happened::new(operator.tenant_id(), &operator.actor(), &subject, kind, json!({ "ids": &ids }), at);
    submit(app, checked, ids, Command::Recorded(Box::new(command), event)).await
}

/// Submits the command (with its idempotency record, if any) and answers `{"results": […]}`.
async fn submit(
    app: &AppState,
    checked: Option<idempotency::Checked>,
    ids: Vec<String>,
    command: Command,
) -> Result<Response, ApiError> {
    let render_ids = ids.clone();
    let idempotency =
        checked.map(|c| c.with_render(Box::new(move |output: &Output| (200, results_json(&render_ids, output)))));
    match app.committer.submit(command, idempotency).await? {
        Reply::Applied(output) => {
            Ok(([("content-type", "application/json")], results_json(&ids, &output)).into_response())
        }
        Reply::Replayed(first) => Ok(idempotency::replay(first)),
        Reply::KeyReused => Err(idempotency::reused()),
    }
}

fn results_json(ids: &[String], output: &Output) -> String {
    let codes: Vec<&'static str> = match output {
        Output::Accounts(results) => results.iter().map(|r| r.code()).collect(),
        Output::Transfers(results) => results.iter().map(|r| r.code()).collect(),
        Output::Unit(_) => unreachable!("the ledger API submits no units"),
    };
    let results = ids.iter().zip(codes).map(|(id, result)| EventResult { id: id.clone(), result }).collect();
    serde_json::to_string(&ResultsResponse { results }).expect("results serialize")
}

fn scoped(tenant_id: &str, id: &str) -> String {
    format!("{tenant_id}/{id}")
}

fn valid_id(id: &str) -> bool {
    (1..=ledger::ID_LEN_MAX).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn check_batch_len(len: usize, param: &str) -> Result<(), ApiError> {
    if len == 0 {
        return Err(ApiError::invalid("empty_batch", format!("{param} must not be empty"), param));
    }
    if len > ledger::BATCH_TRANSFERS_MAX {
        let message = format!("{param} may hold at most {} items", ledger::BATCH_TRANSFERS_MAX);
        return Err(ApiError::invalid("batch_too_large", message, param));
    }
    Ok(())
}

fn parse_id(id: &str, param: String) -> Result<String, ApiError> {
    if valid_id(id) {
        Ok(id.to_string())
    } else {
        Err(ApiError::invalid("invalid_id", "ids are 1 to 35 characters of A-Z, a-z, 0-9, _ and -", param))
    }
}

fn parse_code(code: i64, param: String) -> Result<u16, ApiError> {
    u16::try_from(code)
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(|| ApiError::invalid("invalid_code", "code is an integer from 1 to 65535", param))
}

fn parse_accounts(tenant_id: &str, request: CreateAccountsRequest) -> Result<Vec<Account>, ApiError> {
    check_batch_len(request.accounts.len(), "accounts")?;
    let mut accounts = Vec::with_capacity(request.accounts.len());
    for (i, input) in request.accounts.into_iter().enumerate() {
        let field = |name: &str| format!("accounts[{i}].{name}");
        let id = parse_id(&input.id, field("id"))?;
        let currency = parse_currency(&input.currency, field("currency"))?;
        let code = parse_code(input.code, field("code"))?;
        let mut flags = AccountFlags::default();
        for name in &input.flags {
            let flag = match name.as_str() {
                "debits_must_not_exceed_credits" => AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
                "credits_must_not_exceed_debits" => AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS,
                _ => {
                    return Err(ApiError::invalid(
                        "unknown_flag",
                        format!(
                        "{name} is not an account flag: debits_must_not_exceed_credits, credits_must_not_exceed_debits"
                    ),
                        field("flags"),
                    ))
                }
            };
            flags = flags.union(flag);
        }
        if flags.bits() == 3 {
            let message = "an account cannot limit both debits and credits";
            return Err(ApiError::invalid("flags_are_mutually_exclusive", message, field("flags")));
        }
        accounts.push(Account::open(AccountId(scoped(tenant_id, &id)), currency, code, flags));
    }
    Ok(accounts)
}

fn parse_transfers(
    tenant_id: &str,
    request: CreateTransfersRequest,
    settings: &Settings,
) -> Result<Vec<Transfer>, ApiError> {
    check_batch_len(request.transfers.len(), "transfers")?;
    request.transfers.into_iter().enumerate().map(|(i, input)| parse_transfer(tenant_id, i, input, settings)).collect()
}

fn parse_transfer(tenant_id: &str, i: usize, input: TransferInput, settings: &Settings) -> Result<Transfer, ApiError> {
    let field = |name: &str| format!("transfers[{i}].{name}");
    let id = parse_id(&input.id, field("id"))?;
    let flags = parse_transfer_flags(&input.flags, field("flags"))?;
    let resolves = flags.resolves_pending();
    let account = |value: Option<String>, name: &str| -> Result<Option<AccountId>, ApiError> {
        match value {
            Some(v) => Ok(Some(AccountId(scoped(tenant_id, &parse_id(&v, field(name))?)))),
            None if resolves => Ok(None),
            None => Err(ApiError::invalid("missing_field", format!("{} is required", field(name)), field(name))),
        }
    };
    let debit_account = account(input.debit_account, "debit_account")?;
    let credit_account = account(input.credit_account, "credit_account")?;
    let amount = match input.amount {
        Some(value) => Some(parse_amount(value, settings.amount_max, field("amount"))?),
        None if resolves => None,
        None => {
            return Err(ApiError::invalid("missing_field", format!("{} is required", field("amount")), field("amount")))
        }
    };
    let currency = match input.currency {
        Some(code) => Some(parse_currency(&code, field("currency"))?),
        None if resolves => None,
        None => {
            let message = format!("{} is required", field("currency"));
            return Err(ApiError::invalid("missing_field", message, field("currency")));
        }
    };
    let pending_id = match input.pending_id {
        Some(p) => Some(TransferId(scoped(tenant_id, &parse_id(&p, field("pending_id"))?))),
        None => None,
    };
    let timeout_s = input.timeout_s.unwrap_or(0);
    let timeout_s =
        u32::try_from(timeout_s).ok().filter(|t| *t <= settings.pending_timeout_max_s).ok_or_else(|| {
            let message = format!("timeout_s is 0 to {} seconds", settings.pending_timeout_max_s);
            ApiError::invalid("invalid_timeout", message, field("timeout_s"))
        })?;
    Ok(Transfer {
        id: TransferId(scoped(tenant_id, &id)),
        debit_account,
        credit_account,
        amount,
        currency,
        code: parse_code(input.code, field("code"))?,
        flags,
        pending_id,
        timeout_s,
    })
}

fn parse_transfer_flags(names: &[String], param: String) -> Result<TransferFlags, ApiError> {
    let mut flags = TransferFlags::default();
    for name in names {
        let flag = match name.as_str() {
            "linked" => TransferFlags::LINKED,
            "pending" => TransferFlags::PENDING,
            "post_pending" => TransferFlags::POST_PENDING,
            "void_pending" => TransferFlags::VOID_PENDING,
            _ => {
                let message = format!("{name} is not a transfer flag: linked, pending, post_pending, void_pending");
                return Err(ApiError::invalid("unknown_flag", message, param));
            }
        };
        flags = flags.union(flag);
    }
    Ok(flags)
}

fn account_flag_names(flags: AccountFlags) -> Vec<&'static str> {
    let mut names = Vec::new();
    if flags.contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS) {
        names.push("debits_must_not_exceed_credits");
    }
    if flags.contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS) {
        names.push("credits_must_not_exceed_debits");
    }
    names
}
