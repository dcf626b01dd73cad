//! Worker steps that keep failing. The worker's pass runs each step per subject (release
//! this cash-out's hold, pay that dispute's adjustment); a step that fails is tried again,
//! but after a wait that doubles with each failure in a row (capped at
//! [`STEP_RETRY_MAX_S`]) rather than on every pass, and once it has failed
//! [`STUCK_AFTER_FAILURES`] times in a row it is reported, once: an error in the log and,
//! for a cash-out, the `cashout.stuck` event (a webhook), recorded with the mark that
//! it was reported. A step that succeeds
//! again is forgotten.
//!
//! The failures live in the database (`stuck_steps`), so several servers back off
//! together and report a step once between them. Waits are measured by the real clock.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use serde_json::json;

use crate::context::Context;
use crate::events::{Happened, Kind};
use crate::services::Actor;
use crate::store::stuck_steps::{self, Failure, StuckStep};
use crate::store::{self, jobs::Backoff};
use crate::unit::{Guard, Refusal, Unit};

/// Failures in a row after which a step is reported.
pub const STUCK_AFTER_FAILURES: i64 = 5;
/// The longest wait between two tries of a failing step.
pub const STEP_RETRY_MAX_S: u64 = 300;
/// Most failing steps one pass keeps in view.
const STEPS_LOADED_MAX: i64 = 10_000;

/// What the worker does for one subject, by the name the log and the event give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Expiring an unconfirmed cash-out.
    Expire,
    /// Moving a cash-out's money where its status says (release, pay out, give back).
    MoveMoney,
    /// Paying an upheld dispute's adjustment.
    PayAdjustment,
    /// Raising a late payout's SLA alert.
    SlaAlert,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Expire => "expire",
            Step::MoveMoney => "move_money",
            Step::PayAdjustment => "pay_adjustment",
            Step::SlaAlert => "sla_alert",
        }
    }

    /// What the step does, for an operator.
    fn description(self) -> &'static str {
        match self {
            Step::Expire => "expiring the unconfirmed cash-out and releasing its hold",
            Step::MoveMoney => "moving the cash-out's money where its status says (release, pay out or give back)",
            Step::PayAdjustment => "paying the upheld dispute's adjustment to the user",
            Step::SlaAlert => "raising the late payout's SLA alert",
        }
    }
}

/// The failing steps as one pass found them.
pub struct Steps {
    failing: HashMap<(String, String), StuckStep>,
    backoff: Backoff,
}

impl Steps {
    pub async fn load(app: &Context) -> anyhow::Result<Steps> {
        let failing = stuck_steps::list(&app.db, STEPS_LOADED_MAX).await?;
        let mut backoff = app.settings.jobs().backoff;
        backoff.max = backoff.max.min(Duration::from_secs(STEP_RETRY_MAX_S));
        let failing = failing.into_iter().map(|s| ((s.step.clone(), s.subject_id.clone()), s)).collect();
        Ok(Steps { failing, backoff })
    }

    /// Runs `step` for `subject` (a cash-out's, or a dispute's with its `cashout_id`) unless
    /// it is waiting after a failure; counts a failure, or forgets earlier ones.
    pub async fn run<T>(
        &self,
        app: &Context,
        step: Step,
        subject: Subject<'_>,
        work: impl Future<Output = anyhow::Result<T>>,
    ) {
        let key = (step.name().to_string(), subject.id.to_string());
        let known = self.failing.get(&key);
        if known.is_some_and(|k| k.retry_at > store::now_us()) {
            return;
        }
        let outcome = match work.await {
            Ok(_) if known.is_none() => Ok(()),
            Ok(_) => stuck_steps::clear(&app.db, step.name(), subject.id).await.map(|()| {
                tracing::info!(step = step.name(), id = subject.id, "a failing worker step succeeded again");
            }),
            Err(error) => self.failed(app, step, &subject, &format!("{error:#}")).await,
        };
        if let Err(error) = outcome {
            tracing::warn!(step = step.name(), id = subject.id, error = %format!("{error:#}"), "recording a worker step failed");
        }
    }

    async fn failed(&self, app: &Context, step: Step, subject: &Subject<'_>, error: &str) -> anyhow::Result<()> {
        let at = store::now_us();
        let failure = Failure { step: step.name(), subject_id: subject.id, tenant_id: subject.tenant, error, at };
        let since =
            self.failing.get(&(step.name().to_string(), subject.id.to_string())).map_or(at, |k| k.first_failed_at);
        let retry_after = |failures: i64| i64::try_from(self.backoff.delay(failures).as_micros()).unwrap_or(i64::MAX);
        let (failures, _) = stuck_steps::record_failure(&app.db, &failure, retry_after, |_| None).await?;
        let alerted = failures >= STUCK_AFTER_FAILURES && report(app, step, subject, failures, since, at).await?;
        if alerted {
            tracing::error!(
                step = step.name(),
                id = subject.id,
                failures,
                error,
                "a worker step keeps failing: an operator must look at it (cashout.stuck raised)"
            );
        } else if failures == 1 {
            tracing::warn!(
                step = step.name(),
                id = subject.id,
                error,
                "a worker step failed; it is tried again with backoff"
            );
        }
        Ok(())
    }
}

/// Reports a step that keeps failing, once: the step marked reported and, for a cash-out,
/// the `cashout.stuck` event, in one unit. Whether it was reported now.
async fn report(
    app: &Context,
    step: Step,
    subject: &Subject<'_>,
    failures: i64,
    since: i64,
    at: i64,
) -> anyhow::Result<bool> {
    let data = json!({
        "id": subject.cashout_id,
        "step": step.name(),
        "description": step.description(),
        "subject_id": subject.id,
        "failures": failures,
        "since": crate::clock::rfc3339(since),
    });
    let stuck = Happened::new(subject.tenant, &STUCK_REPORTER, subject.cashout_id, Kind::CashoutStuck, data, at);
    let refusal = Refusal::new("reported", "the step was reported before");
    let guard = Guard { row: stuck_steps::reported_guard(step.name(), subject.id, at), refusal };
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), Vec::new()).with_event(stuck).with_guard(guard);
    Ok(app.committer.apply_unit(unit).await?)
}

/// Who reports a stuck step.
const STUCK_REPORTER: Actor = Actor::System("cashout-worker");

/// What a step works on.
pub struct Subject<'a> {
    pub tenant: &'a str,
    /// The cash-out itself, or a dispute.
    pub id: &'a str,
    /// The cash-out it is about.
    pub cashout_id: &'a str,
}

impl<'a> Subject<'a> {
    pub fn cashout(tenant: &'a str, id: &'a str) -> Subject<'a> {
        Subject { tenant, id, cashout_id: id }
    }
}
