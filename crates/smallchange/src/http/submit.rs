//! Submitting a unit of work (see [`crate::unit`]) from a handler: the answer is rendered
//! once from the unit's outcome, and the same rendering is stored under the request's
//! `Idempotency-Key` in the unit's own transaction, so a retry gets the first answer.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::idempotency::{self, Checked};
use super::AppState;
use crate::crypto::Secrets;
use crate::services::commit::{self, Answer, Retry};
use crate::unit::{Row, Unit, UnitOutput};

/// Turns a unit's outcome into the JSON body of a 200, or the error to answer.
pub type Render = dyn Fn(&UnitOutput) -> Result<String, ApiError> + Send + Sync;

pub async fn submit(
    app: &AppState,
    checked: Option<Checked>,
    unit: Unit,
    render: Arc<Render>,
) -> Result<Response, ApiError> {
    run(app, checked, unit, render, None).await.map(|(response, _)| response)
}

/// Writes domain rows that move no money, with the request's idempotency answer in the same
/// transaction. Going through the committer, a retry racing its first attempt is answered
/// with that attempt's answer instead of writing twice.
pub async fn write_rows(
    app: &AppState,
    checked: Option<Checked>,
    rows: Vec<Row>,
    body: String,
) -> Result<Response, ApiError> {
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), rows);
    submit(app, checked, unit, Arc::new(move |_: &UnitOutput| Ok(body.clone()))).await
}

/// As [`write_rows`] for an answer that holds a secret (a webhook signing secret): its
/// idempotency copy is stored sealed, as with [`submit_sealed`].
pub async fn write_rows_sealed(
    app: &AppState,
    checked: Option<Checked>,
    rows: Vec<Row>,
    body: String,
) -> Result<Response, ApiError> {
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), rows);
    submit_sealed(app, checked, unit, Arc::new(move |_: &UnitOutput| Ok(body.clone()))).await
}

/// As [`submit`] for an answer that holds a secret (a gift-card code): its idempotency
/// copy is stored sealed, and a replay opens it (see [`idempotency::check_sealed`]).
pub async fn submit_sealed(
    app: &AppState,
    checked: Option<Checked>,
    unit: Unit,
    render: Arc<Render>,
) -> Result<Response, ApiError> {
    run(app, checked, unit, render, Some(app.secrets.clone())).await.map(|(response, _)| response)
}

async fn run(
    app: &AppState,
    checked: Option<Checked>,
    unit: Unit,
    render: Arc<Render>,
    sealed: Option<Arc<Secrets>>,
) -> Result<(Response, Option<UnitOutput>), ApiError> {
    let retry = retry(checked, |body: &String| body.clone(), sealed.clone());
    let interpret = Arc::new(move |outcome: &UnitOutput| render(outcome));
    let (answer, outcome) = commit::commit_with_outcome(app, retry, unit, interpret).await?;
    let response = respond(answer, |body: String| body, sealed.as_deref())?;
    Ok((response, outcome))
}

/// The [`Retry`] a service records its answer under, from a request's checked
/// `Idempotency-Key`: the answer is written down as this API sends it (`to_json` for a
/// success, the error body otherwise), sealed with `sealed` when it holds a secret.
pub fn retry<T: 'static>(
    checked: Option<Checked>,
    to_json: impl Fn(&T) -> String + Send + Sync + 'static,
    sealed: Option<Arc<Secrets>>,
) -> Option<Retry<T>> {
    checked.map(|checked| {
        let (scoped_key, request_hash) = checked.into_parts();
        let write_down = Arc::new(move |answer: Result<&T, &ApiError>| {
            let (status, body) = match answer {
                Ok(value) => (200, to_json(value)),
                Err(error) => error.to_parts(),
            };
            match &sealed {
                Some(secrets) => (status, secrets.seal(body.as_bytes())),
                None => (status, body),
            }
        });
        Retry { scoped_key, request_hash, write_down }
    })
}

/// The response to a service's [`Answer`]: a 200 with `to_json` of what was done now, or
/// the answer written down the first time (opened with `sealed` if it was sealed).
pub fn respond<T>(
    answer: Answer<T>,
    to_json: impl FnOnce(T) -> String,
    sealed: Option<&Secrets>,
) -> Result<Response, ApiError> {
    match answer {
        Answer::Done(value) => {
            Ok((StatusCode::OK, [("content-type", "application/json")], to_json(value)).into_response())
        }
        Answer::Again(first) => match sealed {
            Some(secrets) => idempotency::replay_sealed(first, secrets),
            None => Ok(idempotency::replay(first)),
        },
    }
}

pub use crate::services::commit::refused;
