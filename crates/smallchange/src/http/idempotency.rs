//! The `Idempotency-Key` header: the same key with the same request answers the first
//! response again; with a different request it is a 409 `idempotency_key_reused`.
//!
//! An answer that holds a secret (a TOTP enrolment) is stored sealed with the server key
//! and opened only to be replayed: see [`check_sealed`].

use std::sync::Arc;

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::body::RawBody;
use super::error::ApiError;
use super::AppState;
use crate::committer::Idempotency;
use crate::crypto::Secrets;
use crate::store::idempotency::StoredResponse;
use crate::store::{self, Db};

/// Longest key accepted.
const KEY_LEN_MAX: usize = 255;

/// The key of this request, scoped to the tenant, if it sent one.
pub fn key(headers: &HeaderMap, tenant_id: &str) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value
        .to_str()
        .ok()
        .filter(|k| (1..=KEY_LEN_MAX).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::invalid(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
                "Idempotency-Key",
            )
        })?;
    Ok(Some(format!("{tenant_id}/{key}")))
}

/// The scope of a cash-pickup agent's keys, in place of a tenant id: its tenant and itself,
/// so two agents' keys never meet. Keys are visible ASCII, without spaces, so no operator's
/// key of the tenant (`<tenant>/<key>`) is ever an agent's (`<tenant>/agent <id>/<key>`).
pub fn agent_scope(tenant_id: &str, agent_id: &str) -> String {
    format!("{tenant_id}/agent {agent_id}")
}

/// What identifies "the same request": the path and the exact body.
pub fn request_hash(path: &str, body: &Bytes) -> String {
    let mut hasher = Sha256::new();
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// The first answer if this key was used before with the same request (opened with
/// `sealed` if it was stored sealed); a 409 if with another; `None` if the key is new.
pub async fn earlier_answer(
    db: &Db,
    scoped_key: &str,
    request_hash: &str,
    sealed: Option<&Secrets>,
) -> Result<Option<Response>, ApiError> {
    match store::idempotency::find(db, scoped_key).await? {
        None => Ok(None),
        Some(first) if first.request_hash == request_hash && first.status == IN_PROGRESS => Err(in_progress()),
        Some(first) if first.request_hash == request_hash => match sealed {
            None => Ok(Some(replay(first))),
            Some(secrets) => replay_sealed(first, secrets).map(Some),
        },
        Some(_) => Err(reused()),
    }
}

/// A request's key and fingerprint, checked against earlier answers.
pub struct Checked {
    scoped_key: String,
    request_hash: String,
}

impl Checked {
    /// The scoped key and the request's fingerprint.
    pub fn into_parts(self) -> (String, String) {
        (self.scoped_key, self.request_hash)
    }

    /// What the committer needs to record the answer together with the effect.
    pub fn with_render(self, render: crate::committer::Render) -> Idempotency {
        Idempotency { scoped_key: self.scoped_key, request_hash: self.request_hash, render }
    }
}

/// The request's checked `Idempotency-Key` (if any) from [`check`] or [`check_sealed`];
/// when the key was used before, the calling handler returns that earlier answer (or the
/// 409) at once, like `?` returns an error.
#[macro_export]
macro_rules! keyed {
    ($check:expr) => {
        match $check.await {
            Ok(checked) => checked,
            Err(earlier) => return earlier,
        }
    };
}

/// Checks the key (if any) before the body is even parsed: `Err` carries the earlier answer
/// (or the 409) to send instead of doing the work again.
pub async fn check(
    db: &Db,
    headers: &HeaderMap,
    tenant_id: &str,
    path: &str,
    body: &Bytes,
) -> Result<Option<Checked>, Result<Response, ApiError>> {
    check_opening(db, None, headers, tenant_id, path, body).await
}

/// [`check`] for an endpoint whose answers are stored sealed with [`Secrets::seal`]
/// because they hold a secret: the earlier answer is opened before it is replayed. Like
/// every answer it is forgotten after `idempotency_retention_h`.
pub async fn check_sealed(
    db: &Db,
    secrets: &Secrets,
    headers: &HeaderMap,
    tenant_id: &str,
    path: &str,
    body: &Bytes,
) -> Result<Option<Checked>, Result<Response, ApiError>> {
    check_opening(db, Some(secrets), headers, tenant_id, path, body).await
}

/// The request's key and fingerprint without looking for an earlier answer first: for a
/// request whose whole effect is one committer unit, since the committer looks the key up
/// in the transaction that would record it and answers a repeat from there (before any
/// planning). It saves the hot path a database read; a repeat still does the handler's
/// own reads before it is answered.
pub fn check_in_commit(
    headers: &HeaderMap,
    tenant_id: &str,
    path: &str,
    body: &Bytes,
) -> Result<Option<Checked>, ApiError> {
    let scoped_key = key(headers, tenant_id)?;
    Ok(scoped_key.map(|scoped_key| Checked { scoped_key, request_hash: request_hash(path, body) }))
}

async fn check_opening(
    db: &Db,
    sealed: Option<&Secrets>,
    headers: &HeaderMap,
    tenant_id: &str,
    path: &str,
    body: &Bytes,
) -> Result<Option<Checked>, Result<Response, ApiError>> {
    let Some(scoped_key) = key(headers, tenant_id).map_err(Err)? else { return Ok(None) };
    let request_hash = request_hash(path, body);
    match earlier_answer(db, &scoped_key, &request_hash, sealed).await {
        Ok(None) => Ok(Some(Checked { scoped_key, request_hash })),
        Ok(Some(answer)) => Err(Ok(answer)),
        Err(error) => Err(Err(error)),
    }
}

/// How long a claimed key may wait for its answer before a retry may take it over (its
/// request's server died while working).
const CLAIM_STALE_US: i64 = 60 * 1_000_000;

/// A request whose effect is a status change rather than a committer unit, with what its
/// `Idempotency-Key` needs: the headers, the path and the body (taken in place of
/// [`RawBody`]). [`Once::run`] does its work once per key.
pub struct Once {
    headers: HeaderMap,
    path: String,
    body: Bytes,
    /// The running server, in whose name the key is claimed.
    boot: Arc<str>,
}

impl FromRequest<AppState> for Once {
    type Rejection = ApiError;

    async fn from_request(request: Request, app: &AppState) -> Result<Once, ApiError> {
        let (headers, path) = (request.headers().clone(), request.uri().path().to_string());
        let RawBody(body) = RawBody::from_request(request, app).await?;
        Ok(Once { headers, path, body, boot: app.boot.clone() })
    }
}

impl Once {
    /// Runs `work` on the body as a request with this key (if any) may: once. The key is
    /// claimed before the work, so a retry racing its original does no work and hears 409
    /// `request_in_progress`; the answer (2xx or 4xx) is recorded after it, and later
    /// retries get it again. A 5xx is not recorded: the work may be tried again. A claim
    /// whose server died before answering is taken over by the first retry once that
    /// server is seen gone (at most [`store::boots::GONE_AFTER_US`] after its last sign of
    /// life; at once after it stopped), and by any retry after a minute whatever happened;
    /// the work then runs again, which a status change refuses (409) rather than repeats.
    pub async fn run<T, Work>(self, db: &Db, tenant_id: &str, work: impl FnOnce(Bytes) -> Work) -> Response
    where
        T: serde::Serialize,
        Work: std::future::Future<Output = Result<axum::Json<T>, ApiError>>,
    {
        let checked = match self.claim_key(db, tenant_id).await {
            Ok(Some(checked)) => checked,
            Ok(None) => return work(self.body).await.into_response(),
            Err(answer) => return answer,
        };
        let outcome = work(self.body).await;
        let (status, text) = match &outcome {
            Ok(axum::Json(value)) => (200, serde_json::to_string(value).expect("an answer serializes")),
            Err(error) => error.to_parts(),
        };
        settle(db, &checked.scoped_key, (status < 500).then_some((status, text.as_str()))).await;
        outcome.into_response()
    }
}

impl Once {
    /// As [`Once::run`] for work whose effect is one committer unit that records its own
    /// answer: `work` gets the request's checked key, to pass down as the use case's
    /// `Retry`, and the answer is written down in the transaction that makes the change.
    /// The claim still keeps copies racing the first from doing any work (they hear 409
    /// `request_in_progress`); but once the change commits, its answer is there — a retry
    /// right after a crash gets it, never a second change. An answer given before the unit
    /// (a wrong code) is recorded after it, as [`Once::run`] does.
    pub async fn run_committed<Work>(
        self,
        db: &Db,
        tenant_id: &str,
        work: impl FnOnce(Bytes, Option<Checked>) -> Work,
    ) -> Response
    where
        Work: std::future::Future<Output = Result<Response, ApiError>>,
    {
        let checked = match self.claim_key(db, tenant_id).await {
            Ok(Some(checked)) => checked,
            Ok(None) => return work(self.body, None).await.unwrap_or_else(IntoResponse::into_response),
            Err(answer) => return answer,
        };
        let scoped_key = checked.scoped_key.clone();
        let outcome = work(self.body, Some(checked)).await;
        // Recording where the unit did not (a refusal before it, or no commit at all): a
        // key answered in the commit is no longer claimed, so this changes nothing then.
        let refusal = match &outcome {
            Err(error) if error.to_parts().0 < 500 => Some(error.to_parts()),
            _ => None,
        };
        settle(db, &scoped_key, refusal.as_ref().map(|(status, text)| (*status, text.as_str()))).await;
        outcome.unwrap_or_else(IntoResponse::into_response)
    }

    /// Claims the request's key: `None` when it carries none, the checked key once claimed,
    /// or the answer to give instead of working (the first answer, `idempotency_key_reused`,
    /// `request_in_progress`, a malformed key).
    async fn claim_key(&self, db: &Db, tenant_id: &str) -> Result<Option<Checked>, Response> {
        let Some(scoped_key) = key(&self.headers, tenant_id).map_err(IntoResponse::into_response)? else {
            return Ok(None);
        };
        let request_hash = request_hash(&self.path, &self.body);
        match claim(db, &scoped_key, &request_hash, &self.boot).await {
            Ok(None) => Ok(Some(Checked { scoped_key, request_hash })),
            Ok(Some(answer)) => Err(answer),
            Err(error) => Err(error.into_response()),
        }
    }
}

/// Settles a claimed key after its work: records `answer` for later retries, or, with
/// none (a 5xx, or an answer the change recorded itself), releases the claim.
async fn settle(db: &Db, scoped_key: &str, answer: Option<(u16, &str)>) {
    let recorded = match answer {
        Some((status, text)) => store::idempotency::answer(db, scoped_key, status, text).await,
        None => store::idempotency::release(db, scoped_key).await,
    };
    if let Err(error) = recorded {
        tracing::warn!(error = %format!("{error:#}"), "an Idempotency-Key answer could not be recorded");
    }
}

/// Claims the key for this request; `Some` is the answer to give instead of working: the
/// first answer, `idempotency_key_reused`, or `request_in_progress`.
async fn claim(db: &Db, scoped_key: &str, request_hash: &str, boot: &str) -> Result<Option<Response>, ApiError> {
    let now = store::now_us();
    if store::idempotency::claim(db, scoped_key, request_hash, boot, now).await? {
        return Ok(None);
    }
    match store::idempotency::find(db, scoped_key).await? {
        Some(first) if first.request_hash != request_hash => Err(reused()),
        Some(first) if first.status != IN_PROGRESS => Ok(Some(replay(first))),
        _ if store::idempotency::take_over(db, scoped_key, boot, now, now - CLAIM_STALE_US).await? => Ok(None),
        _ => Err(in_progress()),
    }
}

/// The status of a claimed key whose answer is not known yet.
pub const IN_PROGRESS: u16 = store::idempotency::CLAIMED;

fn in_progress() -> ApiError {
    ApiError::conflict(
        "request_in_progress",
        "a request with this Idempotency-Key is still being handled: retry in a moment for its answer",
    )
}

pub fn reused() -> ApiError {
    ApiError::conflict("idempotency_key_reused", "this Idempotency-Key was used with a different request")
}

/// A first answer that was stored sealed, opened and replayed.
pub fn replay_sealed(first: StoredResponse, secrets: &Secrets) -> Result<Response, ApiError> {
    let opened = secrets.open(&first.body).context("opening a sealed idempotency answer")?;
    let body = String::from_utf8(opened).context("a sealed idempotency answer is not UTF-8")?;
    Ok(replay(StoredResponse { body, ..first }))
}

/// The stored first answer, marked as a replay.
pub fn replay(first: StoredResponse) -> Response {
    let status = StatusCode::from_u16(first.status).unwrap_or(StatusCode::OK);
    let mut response = (status, first.body).into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
