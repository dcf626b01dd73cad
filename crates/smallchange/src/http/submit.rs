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
use crate::store::idempotency::StoredResponse;
use crate::unit::{Unit, UnitOutput};

/// Turns a unit's outcome into the JSON body of a 200, or the error to answer.
pub type Render = dyn Fn(&UnitOutput) -> Result<String, ApiError> + Send + Sync;

pub async fn submit(
    app: &AppState,
    checked: Option<Checked>,
    unit: Unit,
    render: Arc<Render>,
) -> Result<Response, ApiError> {
    match submit_recorded(app, checked, unit, render.clone(), render).await? {
        Submitted::Answered(body) => Ok(json(body)),
        Submitted::Replayed(first) => Ok(idempotency::replay(first)),
    }
}

/// What became of a submitted unit.
pub enum Submitted {
    /// The JSON body of this request's 200.
    Answered(String),
    /// An earlier request with the same key answered this.
    Replayed(StoredResponse),
}

/// As [`submit`], with the answer stored under the idempotency key rendered by `record`
/// (which may leave out or seal what must not be kept in plain text).
pub async fn submit_recorded(
    app: &AppState,
    checked: Option<Checked>,
    unit: Unit,
    render: Arc<Render>,
    record: Arc<Render>,
) -> Result<Submitted, ApiError> {
    let idempotency = checked.map(|c| {
        c.with_render(Box::new(move |output: &Output| match answer(&*record, output) {
            Ok(body) => (200, body),
            Err(error) => error.to_parts(),
        }))
    });
    match app.committer.submit(Command::Unit(unit), idempotency).await? {
        Reply::Applied(output) => Ok(Submitted::Answered(answer(&*render, &output)?)),
        Reply::Replayed(first) => Ok(Submitted::Replayed(first)),
        Reply::KeyReused => Err(idempotency::reused()),
    }
}

pub fn json(body: String) -> Response {
    (StatusCode::OK, [("content-type", "application/json")], body).into_response()
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
