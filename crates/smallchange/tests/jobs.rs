//! Durable jobs on both backends: a job written by a unit exists iff the unit committed, and
//! then runs once; a failing job backs off with growing delays and ends dead; concurrent
//! claimers (tasks, and separate connection pools) never get the same job; an expired lease
//! brings a job back after a crash; and the runner stops cleanly, finishing what it runs.

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use ledger::{AccountId, Amount, Currency};
use serde_json::json;
use smallchange::committer::{Command, Committer, Output, Reply};
use smallchange::metrics::Metrics;
use smallchange::store::jobs::{self, Backoff, Job, Status};
use smallchange::store::{self, Db};
use smallchange::unit::{transfer, Refusal, Row, Unit, UnitOutput};
use smallchange::workers::jobs::{Handler, JobError, RunnerSettings};
use support::{fresh_db, open, test_settings, Backend, TestDb};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

const TENANT: &str = "ten_jobs";
/// How long a test waits for something asynchronous before it fails.
const DEADLINE: Duration = Duration::from_secs(60);

both_backends!(unit_jobs_exist_iff_the_unit_commits, super::unit_jobs_exist_iff_the_unit_commits);
both_backends!(failures_back_off_then_die, super::failures_back_off_then_die);
both_backends!(the_runner_retries_buries_and_survives_panics, super::the_runner_retries_buries_and_survives_panics);
both_backends!(concurrent_claimers_never_share_a_job, super::concurrent_claimers_never_share_a_job);
both_backends!(an_expired_lease_brings_a_job_back, super::an_expired_lease_brings_a_job_back);
both_backends!(
    stopping_finishes_running_jobs_and_claims_no_more,
    super::stopping_finishes_running_jobs_and_claims_no_more
);

/// What a scripted handler answers for a job.
type Answer = Box<dyn Fn(&Job) -> Result<(), JobError> + Send + Sync>;

/// A handler that records every job it runs and answers what `answer` says.
struct Scripted {
    kind: &'static str,
    runs: Mutex<Vec<Job>>,
    answer: Answer,
}

impl Scripted {
    fn new(kind: &'static str, answer: impl Fn(&Job) -> Result<(), JobError> + Send + Sync + 'static) -> Arc<Scripted> {
        Arc::new(Scripted { kind, runs: Mutex::default(), answer: Box::new(answer) })
    }

    fn runs(&self) -> Vec<Job> {
        self.runs.lock().unwrap().clone()
    }
}

impl Handler for Scripted {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            self.runs.lock().unwrap().push(job.clone());
            (self.answer)(job)
        })
    }
}

fn fast(batch_max: i64, max_attempts: i64) -> RunnerSettings {
    RunnerSettings {
        poll: Duration::from_millis(10),
        batch_max,
        lease: Duration::from_secs(60),
        backoff: Backoff { base: Duration::from_millis(10), max: Duration::from_millis(100), max_attempts },
    }
}

/// A runner on its own task, stopped by [`Runner::stop`].
struct Runner {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Runner {
    fn start(db: &Db, handlers: Vec<Arc<dyn Handler>>, settings: RunnerSettings) -> Runner {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(smallchange::workers::jobs::run(db.clone(), handlers, settings, stopped));
        Runner { stop, task }
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        self.task.await.expect("the runner ends without panicking");
    }
}

/// Polls `check` until it holds, failing the test after [`DEADLINE`].
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn status(db: &Db, id: &str) -> jobs::JobState {
    jobs::state(db, id).await.unwrap().unwrap_or_else(|| panic!("no job {id}"))
}

async fn ids(db: &Db, kind: &str, status: Status) -> Vec<String> {
    jobs::ids_of(db, kind, status, 10_000).await.unwrap()
}

async fn committer(db: &Db, test_db: &TestDb) -> (Committer, JoinHandle<()>) {
    Committer::start(db.clone(), test_settings(test_db).committer(), Arc::new(Metrics::default())).unwrap()
}

async fn submit(committer: &Committer, unit: Unit) -> UnitOutput {
    match committer.submit(Command::Unit(unit), None).await.unwrap() {
        Reply::Applied(Output::Unit(output)) => output,
        other => panic!("a unit answered {other:?}"),
    }
}

fn job_row(n: i64) -> Row {
    jobs::enqueue_row(TENANT, "test.once", &json!({ "n": n }), store::now_us())
}

async fn unit_jobs_exist_iff_the_unit_commits(backend: Backend) {
    let test_db = fresh_db(backend).await;
    let db = open(&test_db).await;
    let (committer, committer_task) = committer(&db, &test_db).await;

    let committed = submit(&committer, Unit::fixed(vec![], vec![], vec![], vec![job_row(1)])).await;
    assert!(matches!(committed, UnitOutput::Applied { .. }), "{committed:?}");
    // Refused by its planner: its rows, the job among them, are never written.
    let row = job_row(2);
    let refusing = Unit {
        open: vec![],
        read: vec![],
        prior: vec![],
        plan: Arc::new(move |_| {
            let _never_written = &row;
            Err(Refusal::new("insufficient_funds", "refused for the test"))
        }),
    };
    assert!(matches!(submit(&committer, refusing).await, UnitOutput::Refused(_)));
    // Its transfer fails (the accounts do not exist): the rows go with it.
    let (from, to) = (AccountId(format!("{TENANT}/nobody")), AccountId(format!("{TENANT}/nowhere")));
    let payment = transfer("t-jobs-1".into(), &from, &to, Amount::new(5).unwrap(), Currency::KRW, 1);
    let failing = Unit::fixed(vec![], vec![from.clone(), to.clone()], vec![payment], vec![job_row(3)]);
    let UnitOutput::Applied { results, .. } = submit(&committer, failing).await else { panic!("applied") };
    assert_ne!(results, vec![ledger::TransferResult::Created]);
    drop(committer);
    committer_task.await.unwrap();

    let queued = ids(&db, "test.once", Status::Queued).await;
    assert_eq!(queued.len(), 1, "only the committed unit's job exists");
    let handler = Scripted::new("test.once", |_| Ok(()));
    let runner = Runner::start(&db, vec![handler.clone()], fast(8, 3));
    eventually("the job is done", || async { status(&db, &queued[0]).await.status == Status::Done }).await;
    // Give the runner many more rounds: a done job is never run again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    runner.stop().await;
    let runs = handler.runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!((runs[0].payload.clone(), runs[0].attempts, runs[0].tenant_id.as_str()), (json!({"n": 1}), 1, TENANT));
    let done = status(&db, &queued[0]).await;
    assert_eq!((done.attempts, done.lease_until, done.last_error), (1, None, None));
}

async fn failures_back_off_then_die(backend: Backend) {
    let test_db = fresh_db(backend).await;
    let db = open(&test_db).await;
    let t0 = store::now_us();
    let id = jobs::enqueue(&db, TENANT, "test.fail", &json!({}), t0).await.unwrap();
    let backoff = Backoff { base: Duration::from_secs(1), max: Duration::from_secs(60), max_attempts: 5 };
    let lease = Duration::from_secs(60);
    let (mut now, mut previous_delay) = (t0, 0);
    for attempt in 1..=5 {
        assert!(jobs::claim(&db, &["test.fail"], now - 1, lease, 10).await.unwrap().is_empty(), "not due yet");
        let claimed = jobs::claim(&db, &["test.fail"], now, lease, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!((claimed[0].id.as_str(), claimed[0].attempts), (id.as_str(), attempt));
        jobs::fail(&db, &claimed[0], &format!("boom {attempt}"), now, &backoff).await.unwrap();
        let state = status(&db, &id).await;
        assert_eq!(state.last_error.as_deref(), Some(format!("boom {attempt}").as_str()));
        if attempt == 5 {
            assert_eq!(state.status, Status::Dead, "dead after max_attempts");
            break;
        }
        assert_eq!((state.status, state.lease_until), (Status::Queued, None));
        let delay = state.run_at - now;
        let full = 1_000_000 << (attempt - 1);
        assert!(delay >= full / 2 && delay <= full, "attempt {attempt}: waits {delay} µs of at most {full}");
        assert!(delay >= previous_delay, "attempt {attempt}: {delay} µs after {previous_delay} µs");
        (now, previous_delay) = (state.run_at, delay);
    }
    let far = now + 86_400_000_000;
    assert!(jobs::claim(&db, &["test.fail"], far, lease, 10).await.unwrap().is_empty(), "a dead job stays dead");

    // A permanent failure is dead at once.
    let id = jobs::enqueue(&db, TENANT, "test.fail", &json!({}), t0).await.unwrap();
    let claimed = jobs::claim(&db, &["test.fail"], t0, lease, 10).await.unwrap();
    jobs::bury(&db, &claimed[0], "no such thing", t0).await.unwrap();
    assert_eq!(status(&db, &id).await.status, Status::Dead);
}

async fn the_runner_retries_buries_and_survives_panics(backend: Backend) {
    let test_db = fresh_db(backend).await;
    let db = open(&test_db).await;
    let now = store::now_us();
    let failing = jobs::enqueue(&db, TENANT, "test.retry", &json!({}), now).await.unwrap();
    let permanent = jobs::enqueue(&db, TENANT, "test.permanent", &json!({}), now).await.unwrap();
    let panicking = jobs::enqueue(&db, TENANT, "test.panic", &json!({}), now).await.unwrap();
    let retry = Scripted::new("test.retry", |job| Err(JobError::Retry(format!("down, attempt {}", job.attempts))));
    let give_up = Scripted::new("test.permanent", |_| Err(JobError::Permanent("cannot ever work".into())));
    let panics_once = Scripted::new("test.panic", |job| {
        assert!(job.attempts > 1, "the first attempt panics");
        Ok(())
    });
    let handlers: Vec<Arc<dyn Handler>> = vec![retry.clone(), give_up.clone(), panics_once.clone()];
    let runner = Runner::start(&db, handlers, fast(8, 4));
    for id in [&failing, &permanent] {
        eventually("the job is dead", || async { status(&db, id).await.status == Status::Dead }).await;
    }
    eventually("the panicking job is done", || async { status(&db, &panicking).await.status == Status::Done }).await;
    runner.stop().await;

    let attempts: Vec<i64> = retry.runs().iter().map(|j| j.attempts).collect();
    assert_eq!(attempts, vec![1, 2, 3, 4], "retried until jobs_attempts_max, then dead");
    assert_eq!(status(&db, &failing).await.last_error.as_deref(), Some("down, attempt 4"));
    assert_eq!(give_up.runs().len(), 1, "a permanent failure is not retried");
    assert_eq!(status(&db, &permanent).await.last_error.as_deref(), Some("cannot ever work"));
    assert_eq!(panics_once.runs().len(), 2);
    assert_eq!(status(&db, &panicking).await.attempts, 2);
}

async fn concurrent_claimers_never_share_a_job(backend: Backend) {
    const JOBS: i64 = 300;
    let test_db = fresh_db(backend).await;
    let db = open(&test_db).await;
    let rows: Vec<Row> = (0..JOBS).map(|n| jobs::enqueue_row(TENANT, "test.claim", &json!({ "n": n }), 0)).collect();
    let mut tx = db.begin().await.unwrap();
    store::write_rows(&mut tx, &rows).await.unwrap();
    tx.commit().await.unwrap();
    let all: HashSet<String> = ids(&db, "test.claim", Status::Queued).await.into_iter().collect();
    assert_eq!(all.len(), JOBS as usize);

    // Two pools on the same database (as two processes would have), two claimers on each.
    let other = open(&test_db).await;
    let claimers: Vec<JoinHandle<Vec<String>>> = [&db, &db, &other, &other]
        .into_iter()
        .map(|pool| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let now = store::now_us();
                    let claimed = jobs::claim(&pool, &["test.claim"], now, Duration::from_secs(600), 7).await.unwrap();
                    if claimed.is_empty() {
                        return mine;
                    }
                    mine.extend(claimed.into_iter().map(|j| j.id));
                }
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut per_claimer = Vec::new();
    for claimer in claimers {
        let mine = claimer.await.unwrap();
        per_claimer.push(mine.len());
        for id in mine {
            assert!(seen.insert(id.clone()), "job {id} was claimed twice");
        }
    }
    assert_eq!(seen, all, "every job was claimed, each once (claims per claimer: {per_claimer:?})");
}

async fn an_expired_lease_brings_a_job_back(backend: Backend) {
    let test_db = fresh_db(backend).await;
    let db = open(&test_db).await;
    let t0 = store::now_us();
    let lease = Duration::from_secs(10);
    let id = jobs::enqueue(&db, TENANT, "test.lease", &json!({}), t0).await.unwrap();
    let first = jobs::claim(&db, &["test.lease"], t0, lease, 10).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(status(&db, &id).await.lease_until, Some(t0 + 10_000_000));
    assert!(jobs::claim(&db, &["test.lease"], t0 + 9_999_999, lease, 10).await.unwrap().is_empty(), "leased");
    // Its worker died: the lease runs out and another claims it.
    let second = jobs::claim(&db, &["test.lease"], t0 + 10_000_000, lease, 10).await.unwrap();
    assert_eq!((second.len(), second[0].attempts), (1, 2));
    // The first worker waking up late cannot reschedule the job its successor holds.
    let backoff = Backoff { base: Duration::from_secs(1), max: Duration::from_secs(1), max_attempts: 1 };
    jobs::fail(&db, &first[0], "late", t0 + 11_000_000, &backoff).await.unwrap();
    let state = status(&db, &id).await;
    assert_eq!((state.status, state.attempts, state.last_error), (Status::Queued, 2, None));

    // Crash recovery with a runner: a job claimed by a worker that never came back runs
    // once its short lease is over.
    let orphan = jobs::enqueue(&db, TENANT, "test.orphan", &json!({}), store::now_us()).await.unwrap();
    let short = Duration::from_millis(200);
    assert_eq!(jobs::claim(&db, &["test.orphan"], store::now_us(), short, 10).await.unwrap().len(), 1);
    let handler = Scripted::new("test.orphan", |_| Ok(()));
    let runner = Runner::start(&db, vec![handler.clone()], fast(8, 3));
    eventually("the orphan runs", || async { status(&db, &orphan).await.status == Status::Done }).await;
    runner.stop().await;
    let attempts: Vec<i64> = handler.runs().iter().map(|j| j.attempts).collect();
    assert_eq!(attempts, vec![2], "run once, by the second claim");
}

/// A handler that reports each start and finishes only when released.
struct Gated {
    started: tokio::sync::mpsc::UnboundedSender<String>,
    release: Arc<Notify>,
}

impl Handler for Gated {
    fn kind(&self) -> &'static str {
        "test.gated"
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            self.started.send(job.id.clone()).unwrap();
            self.release.notified().await;
            Ok(())
        })
    }
}

async fn stopping_finishes_running_jobs_and_claims_no_more(backend: Backend) {
    let test_db = fresh_db(backend).await;
    let db = open(&test_db).await;
    for n in 0..3 {
        jobs::enqueue(&db, TENANT, "test.gated", &json!({ "n": n }), store::now_us()).await.unwrap();
    }
    let (started, mut starts) = tokio::sync::mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let handler = Arc::new(Gated { started, release: release.clone() });
    let runner = Runner::start(&db, vec![handler], fast(1, 3));
    let running = tokio::time::timeout(DEADLINE, starts.recv()).await.expect("a job starts").unwrap();
    // Stop while the job runs (one at a time: batch_max 1), then let the job finish.
    runner.stop.send(true).unwrap();
    release.notify_one();
    runner.task.await.expect("the runner stops cleanly");

    assert_eq!(status(&db, &running).await.status, Status::Done, "the job in flight was finished");
    let waiting = ids(&db, "test.gated", Status::Queued).await;
    assert_eq!(waiting.len(), 2);
    for id in &waiting {
        assert_eq!(status(&db, id).await.attempts, 0, "nothing was claimed after the stop");
    }
    assert!(starts.try_recv().is_err(), "no other job started");
}
