//! Submitting a unit of work (see [`crate::unit`]) from a handler: the answer is rendered
//! once from the unit's outcome, and the same rendering is stored under the request's
//! `Idempotency-Key` in the unit's own transaction, so a retry gets the first answer.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::idempotency::{self, Checked};
use super::AppState;
use crate::committer::{Command, Output, Reply};
use crate::crypto::Secrets;
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

/// As [`submit`], also handing back the unit's outcome when it ran now (not on a replay),
/// for work that must follow it once (sending a code).
pub async fn submit_then(
    app: &AppState,
    checked: Option<Checked>,
    unit: Unit,
    render: Arc<Render>,
) -> Result<(Response, Option<UnitOutput>), ApiError> {
    run(app, checked, unit, render, None).await
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
    let for_key = render.clone();
    let opener = sealed.clone();
    let idempotency = checked.map(|c| {
        c.with_render(Box::new(move |output: &Output| {
            let (status, body) = match answer(&*for_key, output) {
                Ok(body) => (200, body),
                Err(error) => error.to_parts(),
            };
            match &sealed {
                Some(secrets) => (status, secrets.seal(body.as_bytes())),
                None => (status, body),
            }
        }))
    });
    match app.committer.submit(Command::Unit(unit), idempotency).await? {
        Reply::Applied(output) => {
            let body = answer(&*render, &output)?;
            let outcome = match output {
                Output::Unit(outcome) => Some(outcome),
                _ => None,
            };
            Ok(((StatusCode::OK, [("content-type", "application/json")], body).into_response(), outcome))
        }
        Reply::Replayed(first) => match opener {
            Some(secrets) => Ok((idempotency::replay_sealed(first, &secrets)?, None)),
            None => Ok((idempotency::replay(first), None)),
        },
        Reply::KeyReused => Err(idempotency::reused()),
    }
}

fn answer(render: &Render, output: &Output) -> Result<String, ApiError> {
    match output {
        Output::Unit(outcome) => render(outcome),
        other => Err(ApiError::internal(format!("a unit answered {other:?}"))),
    }
}

/// The conflict a refusing unit answers with.
pub fn refused(outcome: &UnitOutput) -> Option<ApiError> {
    match outcome {
        UnitOutput::Refused(refusal) => Some(ApiError::conflict(refusal.code, refusal.message.clone())),
        UnitOutput::Applied { .. } => None,
    }
}
