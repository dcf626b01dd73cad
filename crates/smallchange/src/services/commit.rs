//! Committing a use case's unit of work (see [`crate::unit`]) once, even when its request
//! comes again: a door (the API's `Idempotency-Key`, a page's form token) hands the service
//! a [`Retry`], and the service's answer is written down under it in the same transaction
//! as the change. A second request with the same key gets that first answer, not a second
//! change.
//!
//! How an answer is written down (as the JSON and status the API sent) is the door's
//! business: it passes the function in, so nothing here knows HTTP.

use std::sync::Arc;

use super::Error;
use crate::committer::{Command, Committer, Idempotency, Output, Reply};
use crate::config::Settings;
use crate::context::Context;
use crate::events::Happened;
use crate::metrics::Metrics;
use crate::store::idempotency::StoredResponse;
use crate::store::Db;
use crate::unit::{Row, Unit, UnitOutput, MISSING};

/// Writes an answer down as a status and body, the way the door will give it again.
pub type WriteDown<T> = Arc<dyn Fn(Result<&T, &Error>) -> (u16, String) + Send + Sync>;

/// A request that may come again: its key (scoped to who may use it), the fingerprint of
/// what was asked, and how the door writes the answer down.
pub struct Retry<T> {
    pub scoped_key: String,
    pub request_hash: String,
    pub write_down: WriteDown<T>,
}

/// What a use case that may be retried answers.
#[derive(Debug)]
pub enum Answer<T> {
    /// Done now.
    Done(T),
    /// Done before under the same key: the answer written down then.
    Again(StoredResponse),
}

impl<T> Answer<T> {
    /// The result when done now; `None` for a repeat.
    pub fn done(&self) -> Option<&T> {
        match self {
            Answer::Done(value) => Some(value),
            Answer::Again(_) => None,
        }
    }
}

/// Reads what a use case answers from its unit's outcome.
pub type Interpret<T> = Arc<dyn Fn(&UnitOutput) -> Result<T, Error> + Send + Sync>;

/// Commits `unit` (a [`Unit`] or a [`crate::unit::WalletUnit`]) once per key and answers
/// what `interpret` reads from its outcome.
pub async fn commit<T: 'static>(
    ctx: &Context,
    retry: Option<Retry<T>>,
    unit: impl Into<Command>,
    interpret: Interpret<T>,
) -> Result<Answer<T>, Error> {
    commit_with_outcome(ctx, retry, unit, interpret).await.map(|(answer, _)| answer)
}

/// As [`commit`], also handing back the unit's outcome when it ran now, for work that must
/// follow it once (sending a code).
pub async fn commit_with_outcome<T: 'static>(
    ctx: &Context,
    retry: Option<Retry<T>>,
    unit: impl Into<Command>,
    interpret: Interpret<T>,
) -> Result<(Answer<T>, Option<UnitOutput>), Error> {
    let idempotency = retry.map(|retry| {
        let read = interpret.clone();
        let write_down = retry.write_down;
        Idempotency {
            scoped_key: retry.scoped_key,
            request_hash: retry.request_hash,
            render: Box::new(move |output: &Output| match outcome_of(output).and_then(|o| read(o)) {
                Ok(value) => write_down(Ok(&value)),
                Err(error) => write_down(Err(&error)),
            }),
        }
    });
    match ctx.committer.submit(unit.into(), idempotency).await? {
        Reply::Applied(Output::Unit(outcome)) => {
            let value = interpret(&outcome)?;
            Ok((Answer::Done(value), Some(outcome)))
        }
        Reply::Applied(other) => Err(Error::internal(format!("a unit answered {other:?}"))),
        Reply::Replayed(first) => Ok((Answer::Again(first), None)),
        Reply::KeyReused => Err(key_reused()),
    }
}

/// Writes rows that move no money, once per key. Going through the committer, a retry
/// racing its first attempt gets that attempt's answer instead of writing twice.
pub async fn write_rows<T: Clone + Send + Sync + 'static>(
    ctx: &Context,
    retry: Option<Retry<T>>,
    rows: Vec<Row>,
    answer: T,
) -> Result<Answer<T>, Error> {
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), rows);
    commit(ctx, retry, unit, Arc::new(move |_: &UnitOutput| Ok(answer.clone()))).await
}

/// As [`write_rows`], recording `event` in the same commit as the rows.
pub async fn write_rows_recording<T: Clone + Send + Sync + 'static>(
    ctx: &Context,
    retry: Option<Retry<T>>,
    rows: Vec<Row>,
    event: Happened,
    answer: T,
) -> Result<Answer<T>, Error> {
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), rows).with_event(event);
    commit(ctx, retry, unit, Arc::new(move |_: &UnitOutput| Ok(answer.clone()))).await
}

/// Commits one command through a committer started for it, and stops that committer: for
/// a command run by hand (the CLI), with no server's committer at hand. What it commits
/// moves no money a server's committer may be moving at the same time.
pub async fn alone(db: &Db, settings: &Settings, command: Command) -> anyhow::Result<UnitOutput> {
    let (committer, task) = Committer::start(db.clone(), settings.committer(), Arc::new(Metrics::default()))?;
    let reply = committer.submit(command, None).await;
    drop(committer);
    task.await?;
    match reply.map_err(|e| anyhow::anyhow!("{e}"))? {
        Reply::Applied(Output::Unit(outcome)) => Ok(outcome),
        other => Err(anyhow::anyhow!("a unit answered {other:?}")),
    }
}

fn outcome_of(output: &Output) -> Result<&UnitOutput, Error> {
    match output {
        Output::Unit(outcome) => Ok(outcome),
        other => Err(Error::internal(format!("a unit answered {other:?}"))),
    }
}

/// The conflict a refusing unit answers with.
pub fn refused(outcome: &UnitOutput) -> Option<Error> {
    match outcome {
        UnitOutput::Refused(refusal) if refusal.code == MISSING => Some(Error::not_found(refusal.message.clone())),
        UnitOutput::Refused(refusal) => Some(Error::conflict(refusal.code, refusal.message.clone())),
        UnitOutput::Applied { .. } => None,
    }
}

pub fn key_reused() -> Error {
    Error::conflict("idempotency_key_reused", "this Idempotency-Key was used with a different request")
}
