//! The group committer: the one path by which ledger writes reach the database.
//!
//! Callers submit a [`Command`] (a request's accounts or transfers, or a wallet use case's
//! [`Unit`] of transfers plus the domain rows that explain them) and wait. A single task
//! drains the bounded queue into a batch of at most `batch_events_max` events, loads what the
//! batch touches (locking those accounts on PostgreSQL, so several processes can share the
//! database), applies every command in order in a [`ledger::Book`], writes the result, the
//! units' rows and each command's idempotency record in one database transaction, and only then answers
//! every caller. The cost of a durable commit is shared by the whole batch.
//!
//! If writing a batch fails (another process inserted the same id first, say), the batch is
//! rolled back and its commands are retried one per transaction, so one bad command fails
//! alone and nothing acknowledged is lost.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use ledger::{Account, AccountResult, Book, Transfer, TransferResult};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::events::Happened;
use crate::metrics::Metrics;
use crate::store::batch::{BatchStore, SqliteBatch, SqlxBatch};
use crate::store::idempotency::{NewRecord, StoredResponse};
use crate::store::sqlite_raw::RawConnection;
use crate::store::wallet::Wallets;
use crate::store::{self, Db};
use crate::unit::{self, GuardedUnit, Refusal, Unit, UnitOutput, WalletOf, WalletUnit, Written};

/// How the committer batches.
#[derive(Clone, Debug)]
pub struct CommitterSettings {
    /// Most events (accounts + transfers) in one database transaction.
    pub batch_events_max: usize,
    /// Longest time the first command of a batch waits for others to join it.
    pub batch_wait_max: Duration,
    /// Most commands waiting in the queue; submitters wait when it is full.
    pub queue_commands_max: usize,
    /// SQLite: commit with `synchronous=FULL`.
    pub sqlite_durable: bool,
    /// SQLite: the committer connection's page cache, in MiB.
    pub sqlite_cache_mb: u32,
}

/// What a caller asks the ledger to do.
#[derive(Clone, Debug)]
pub enum Command {
    CreateAccounts(Vec<Account>),
    Transfers(Vec<Transfer>),
    /// A use case's transfers and domain rows, committed together (see [`crate::unit`]).
    Unit(Unit),
    /// The same, planned from a user's pockets read in the batch's transaction.
    Wallet(WalletUnit),
    /// A unit standing on a conditional change (see [`GuardedUnit`]).
    Guarded(GuardedUnit),
    /// A low-level ledger request recorded as one event (see [`ledger_event`]).
    Recorded(Box<Command>, Happened),
}

impl From<Unit> for Command {
    fn from(unit: Unit) -> Command {
        Command::Unit(unit)
    }
}

impl From<GuardedUnit> for Command {
    fn from(unit: GuardedUnit) -> Command {
        Command::Guarded(unit)
    }
}

impl From<WalletUnit> for Command {
    fn from(unit: WalletUnit) -> Command {
        Command::Wallet(unit)
    }
}

impl Command {
    fn events(&self) -> usize {
        match self {
            Command::CreateAccounts(accounts) => accounts.len(),
            Command::Transfers(transfers) => transfers.len(),
            Command::Unit(unit) => unit.events(),
            Command::Wallet(unit) => unit.events(),
            Command::Guarded(guarded) => guarded.unit.events() + 1,
            Command::Recorded(command, _) => command.events() + 1,
        }
    }

    /// The command itself, unwrapped from its record.
    fn inner(&self) -> &Command {
        match self {
            Command::Recorded(command, _) => command.inner(),
            other => other,
        }
    }
}

/// Per-event results, in the order of the command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    Accounts(Vec<AccountResult>),
    Transfers(Vec<TransferResult>),
    Unit(UnitOutput),
}

/// Turns an output into the response to remember under an idempotency key.
pub type Render = Box<dyn Fn(&Output) -> (u16, String) + Send + Sync>;

/// An idempotency key to record, with the command's effect, in the same transaction.
pub struct Idempotency {
    pub scoped_key: String,
    pub request_hash: String,
    pub render: Render,
}

/// The committer's answer to one command.
#[derive(Debug)]
pub enum Reply {
    Applied(Output),
    /// The key was used before with the same request: here is the first answer.
    Replayed(StoredResponse),
    /// The key was used before with a different request.
    KeyReused,
}

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("the committer has stopped")]
    Stopped,
    #[error("the batch could not be written: {0}")]
    Failed(String),
}

struct Job {
    command: Command,
    idempotency: Option<Idempotency>,
    reply: oneshot::Sender<Result<Reply, CommitError>>,
}

/// A handle for submitting commands; cheap to clone.
#[derive(Clone)]
pub struct Committer {
    sender: mpsc::Sender<Job>,
}

impl Committer {
    /// Starts the committer. It stops once every handle is dropped and the queue is
    /// drained; await the returned handle to finish the batch in flight.
    ///
    /// On SQLite it runs on a thread of its own with its own connection (see
    /// [`store::sqlite_raw`]); on PostgreSQL it is a task using the pool.
    pub fn start(
        db: Db,
        settings: CommitterSettings,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<(Committer, JoinHandle<()>)> {
        let (sender, receiver) = mpsc::channel(settings.queue_commands_max.max(1));
        let task = match &db {
            Db::Sqlite(pool) => {
                let path = pool.connect_options().get_filename().to_owned();
                let connection = RawConnection::open(&path, settings.sqlite_durable, settings.sqlite_cache_mb)?;
                let store = SqliteBatch::new(connection);
                tokio::task::spawn_blocking(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_time()
                        .build()
                        .expect("a runtime for the committer thread");
                    runtime.block_on(run(store, settings, receiver, metrics));
                })
            }
            Db::Postgres(_) => tokio::spawn(run(SqlxBatch::new(db), settings, receiver, metrics)),
        };
        Ok((Committer { sender }, task))
    }

    /// Applies a unit (guarded or not) with no idempotency key; `true` if every transfer it planned was
    /// created, `false` if it refused or a transfer failed.
    pub async fn apply_unit(&self, unit: impl Into<Command>) -> Result<bool, CommitError> {
        Ok(match self.submit(unit.into(), None).await? {
            Reply::Applied(Output::Unit(outcome)) => outcome.succeeded(),
            _ => false,
        })
    }

    pub async fn submit(&self, command: Command, idempotency: Option<Idempotency>) -> Result<Reply, CommitError> {
        let (reply, answer) = oneshot::channel();
        let job = Job { command, idempotency, reply };
        self.sender.send(job).await.map_err(|_| CommitError::Stopped)?;
        answer.await.map_err(|_| CommitError::Stopped)?
    }
}

async fn run(
    mut store: impl BatchStore,
    settings: CommitterSettings,
    mut receiver: mpsc::Receiver<Job>,
    metrics: Arc<Metrics>,
) {
    let mut carried: Option<Job> = None;
    loop {
        let first = match carried.take() {
            Some(job) => job,
            None => match receiver.recv().await {
                Some(job) => job,
                None => break,
            },
        };
        let (batch, next) = gather(first, &mut receiver, &settings).await;
        carried = next;
        let started = Instant::now();
        let events: usize = batch.iter().map(|job| job.command.events()).sum();
        process(&mut store, batch).await;
        metrics.observe_batch(events, started.elapsed(), store.take_pages_written());
    }
}

/// Collects queued jobs behind `first` until the batch is full or the wait is over. Returns
/// the batch and a job that did not fit, which starts the next batch.
async fn gather(
    first: Job,
    receiver: &mut mpsc::Receiver<Job>,
    settings: &CommitterSettings,
) -> (Vec<Job>, Option<Job>) {
    let deadline = Instant::now() + settings.batch_wait_max;
    let mut events = first.command.events();
    let mut batch = vec![first];
    loop {
        let job = match receiver.try_recv() {
            Ok(job) => job,
            Err(_) if Instant::now() >= deadline => break,
            Err(_) => match tokio::time::timeout_at(deadline, receiver.recv()).await {
                Ok(Some(job)) => job,
                _ => break,
            },
        };
        if events + job.command.events() > settings.batch_events_max {
            return (batch, Some(job));
        }
        events += job.command.events();
        batch.push(job);
    }
    (batch, None)
}

async fn process(store: &mut impl BatchStore, batch: Vec<Job>) {
    match commit(store, &batch).await.or_else(guarded_answer(batch.len())) {
        Ok(replies) => {
            for (job, reply) in batch.into_iter().zip(replies) {
                let _ = job.reply.send(Ok(reply));
            }
        }
        Err(error) if batch.len() > 1 => {
            tracing::warn!(error = %format!("{error:#}"), jobs = batch.len(), "batch failed; retrying its commands one by one");
            for job in batch {
                let result = commit(store, std::slice::from_ref(&job)).await.or_else(guarded_answer(1));
                let answer = result.map(|mut replies| replies.remove(0)).map_err(|e| failed(&e));
                let _ = job.reply.send(answer);
            }
        }
        Err(error) => {
            let CommitError::Failed(message) = failed(&error) else { unreachable!() };
            for job in batch {
                let _ = job.reply.send(Err(CommitError::Failed(message.clone())));
            }
        }
    }
}

/// For a batch of one, a guarded unit that failed after its guard is an answer (the unit's
/// refusal or failed transfers, nothing written), not an error.
fn guarded_answer(jobs: usize) -> impl FnOnce(anyhow::Error) -> anyhow::Result<Vec<Reply>> {
    move |error| match error.downcast::<GuardedUnitFailed>() {
        Ok(GuardedUnitFailed(outcome)) if jobs == 1 => Ok(vec![Reply::Applied(Output::Unit(outcome))]),
        Ok(failed) => Err(failed.into()),
        Err(error) => Err(error),
    }
}

fn failed(error: &anyhow::Error) -> CommitError {
    tracing::error!(error = %format!("{error:#}"), "commit failed");
    CommitError::Failed(format!("{error:#}"))
}

/// The ids a batch refers to, gathered before anything is loaded.
#[derive(Default)]
struct Touched<'a> {
    accounts: BTreeSet<&'a str>,
    transfers: HashSet<&'a str>,
    pendings: HashSet<&'a str>,
    keys: Vec<&'a str>,
    wallets: Vec<&'a WalletOf>,
}

fn touched(batch: &[Job]) -> Touched<'_> {
    let mut touched = Touched::default();
    for job in batch {
        if let Some(idempotency) = &job.idempotency {
            touched.keys.push(&idempotency.scoped_key);
        }
        match job.command.inner() {
            Command::Recorded(..) => unreachable!("inner() unwraps records"),
            Command::CreateAccounts(accounts) => touched.accounts.extend(accounts.iter().map(|a| a.id.0.as_str())),
            Command::Transfers(transfers) => {
                for t in transfers {
                    touched.transfers.insert(&t.id.0);
                    touched.accounts.extend(t.debit_account.iter().chain(&t.credit_account).map(|a| a.0.as_str()));
                    if let Some(pending) = &t.pending_id {
                        touched.pendings.insert(&pending.0);
                    }
                }
            }
            Command::Unit(unit) | Command::Guarded(GuardedUnit { unit, .. }) => {
                touched.accounts.extend(unit.open.iter().map(|a| a.id.0.as_str()));
                touched.accounts.extend(unit.read.iter().map(|a| a.0.as_str()));
                // Loaded like pending transfers: with their accounts and whether they are resolved,
                // so a unit can both see what ran before and post or void a hold.
                touched.pendings.extend(unit.prior.iter().map(|t| t.0.as_str()));
            }
            Command::Wallet(unit) => {
                touched.accounts.extend(unit.open.iter().map(|a| a.id.0.as_str()));
                touched.wallets.push(&unit.wallet);
            }
        }
    }
    touched
}

/// How often a batch is tried again when another process wrote the same new row first.
const RACE_RETRIES: usize = 3;

/// Applies a batch in one transaction and returns each job's reply, in order. On any error
/// the transaction is rolled back and nothing of the batch remains.
///
/// Another process may create an account this batch also creates (it did not exist, so
/// it could not be locked), or write a transfer between our load and our write: the
/// database refuses the second insert. The batch is then tried again, and this time
/// loads what the other process wrote.
async fn commit(store: &mut impl BatchStore, batch: &[Job]) -> anyhow::Result<Vec<Reply>> {
    let mut tries = 0;
    loop {
        match commit_once(store, batch).await {
            Err(error) if tries < RACE_RETRIES && lost_a_race(&error) => {
                tries += 1;
                tracing::debug!(error = %format!("{error:#}"), tries, "another process wrote first; trying the batch again");
            }
            outcome => return outcome,
        }
    }
}

/// Whether the database refused a row because another transaction inserted it first.
fn lost_a_race(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<sqlx::Error>()
            .is_some_and(|e| matches!(e, sqlx::Error::Database(d) if d.is_unique_violation()))
    })
}

async fn commit_once(store: &mut impl BatchStore, batch: &[Job]) -> anyhow::Result<Vec<Reply>> {
    store.begin().await?;
    let outcome = async {
        let replies = load_apply_write(store, batch).await?;
        store.commit().await?;
        Ok(replies)
    }
    .await;
    if outcome.is_err() {
        store.rollback().await;
    }
    outcome
}

async fn load_apply_write(store: &mut impl BatchStore, batch: &[Job]) -> anyhow::Result<Vec<Reply>> {
    let now = store::now_us();
    let clock = std::time::Instant::now();
    let mut touched = touched(batch);
    let pendings: Vec<&str> = touched.pendings.iter().copied().collect();
    let pending_rows = store.load_transfers(&pendings).await?;
    let pending_accounts: Vec<String> =
        pending_rows.iter().flat_map(|p| [p.debit_account.0.clone(), p.credit_account.0.clone()]).collect();
    touched.accounts.extend(pending_accounts.iter().map(String::as_str));
    let wallets = store.load_wallets(&touched.wallets).await?;
    let pocket_accounts: Vec<&str> =
        wallets.values().flatten().flatten().map(|pocket| pocket.account.id.0.as_str()).collect();
    touched.accounts.extend(pocket_accounts);
    let account_ids: Vec<&str> = touched.accounts.iter().copied().collect();
    // Locked in id order: two processes' batches can never wait on each other in a cycle.
    let accounts = store.lock_accounts(&account_ids).await?;
    let loaded_pendings: HashSet<&str> = pending_rows.iter().map(|p| p.id.0.as_str()).collect();
    let others: Vec<&str> = touched.transfers.iter().copied().filter(|id| !loaded_pendings.contains(id)).collect();
    let existing = store.load_transfers(&others).await?;
    // Read after the account locks: any resolution committed by another process is visible.
    let resolutions = store.load_resolutions(&pendings).await?;
    let answered: HashMap<String, StoredResponse> = store.load_answers(&touched.keys).await?.into_iter().collect();
    let guarded = run_guards(store, batch, &answered).await?;
    let loaded = clock.elapsed();

    let mut book = Book::new(now);
    accounts.into_iter().for_each(|a| book.load_account(a));
    pending_rows.into_iter().chain(existing).for_each(|t| book.load_transfer(t));
    resolutions.into_iter().for_each(|(id, flags)| book.load_resolution(id, flags));
    let (replies, records, mut written) = apply(&mut book, batch, answered, &wallets, &guarded)?;
    let writes = book.into_writes().map_err(|violation| anyhow::anyhow!("invariant violated: {}", violation.0))?;
    let applied = clock.elapsed();
    if !written.events.is_empty() {
        let tenants: BTreeSet<&str> = written.events.iter().map(|e| e.tenant.as_str()).collect();
        let tenants: Vec<&str> = tenants.into_iter().collect();
        let mut heads: BTreeMap<String, crate::store::audit_tree::TreeHead> =
            store.lock_trees(&tenants).await?.into_iter().collect();
        let entries = crate::store::audit_tree::append(&mut heads, &written.events, now)?;
        written.rows.extend(entries);
    }
    store.write(&writes, &records, now).await?;
    store.write_rows(&written.rows).await?;
    tracing::debug!(jobs = batch.len(), ?loaded, ?applied, written = ?clock.elapsed(), "batch");
    Ok(replies)
}

/// What each job's guard did: `None` for a job without one (or answered from its key),
/// `Some(Ok(()))` when the guard changed its row, `Some(Err(refusal))` when it changed none.
type Guarded = Vec<Option<Result<(), Refusal>>>;

/// Runs the guards of the batch's units, in order, after the accounts are locked: of two
/// units in one batch standing on the same row, the first moves it on and the second is
/// refused.
async fn run_guards(
    store: &mut impl BatchStore,
    batch: &[Job],
    answered: &HashMap<String, StoredResponse>,
) -> anyhow::Result<Guarded> {
    let mut guarded = Vec::with_capacity(batch.len());
    for job in batch {
        let repeated = job.idempotency.as_ref().is_some_and(|i| repeats(answered, i));
        let guard = match job.command.inner() {
            Command::Guarded(guarded) if !repeated => Some(&guarded.guard),
            _ => None,
        };
        guarded.push(match guard {
            None => None,
            Some(guard) if store.run_guard(&guard.row).await? == 1 => Some(Ok(())),
            Some(guard) => Some(Err(guard.refusal.clone())),
        });
    }
    Ok(guarded)
}

/// Whether a job's key was answered before: a claim made by the job's own request (the
/// same fingerprint, no answer yet) is not an answer.
fn repeats(answered: &HashMap<String, StoredResponse>, idempotency: &Idempotency) -> bool {
    answered.get(&idempotency.scoped_key).is_some_and(|first| !first.is_claim_of(&idempotency.request_hash))
}

/// A unit whose guard moved its row on but whose money or rows then failed: the batch is
/// rolled back, so the row is as it was, and the unit answers what it did.
#[derive(Debug, thiserror::Error)]
#[error("a guarded unit failed after its guard")]
struct GuardedUnitFailed(UnitOutput);

/// Runs each job against the book, answering repeated idempotency keys from their record.
/// Returns the replies, the idempotency records and what the units write besides money.
fn apply(
    book: &mut Book,
    batch: &[Job],
    mut answered: HashMap<String, StoredResponse>,
    wallets: &Wallets,
    guarded: &Guarded,
) -> anyhow::Result<(Vec<Reply>, Vec<NewRecord>, Written)> {
    let mut replies = Vec::with_capacity(batch.len());
    let mut records = Vec::new();
    let mut written = Written::default();
    for (job, guard) in batch.iter().zip(guarded) {
        let mut claimed = false;
        if let Some(idempotency) = &job.idempotency {
            claimed = answered.get(&idempotency.scoped_key).is_some_and(|f| f.is_claim_of(&idempotency.request_hash));
            if let Some(first) = answered.get(&idempotency.scoped_key).filter(|_| !claimed) {
                replies.push(if first.request_hash == idempotency.request_hash {
                    Reply::Replayed(first.clone())
                } else {
                    Reply::KeyReused
                });
                continue;
            }
        }
        let output = match guard {
            Some(Err(refusal)) => Output::Unit(UnitOutput::Refused(refusal.clone())),
            _ => run_command(book, &job.command, wallets, &mut written),
        };
        if let (Some(Ok(())), Output::Unit(outcome)) = (guard, &output) {
            if !outcome.succeeded() {
                return Err(GuardedUnitFailed(outcome.clone()).into());
            }
        }
        if let Some(idempotency) = &job.idempotency {
            let (status, body) = (idempotency.render)(&output);
            let response = StoredResponse { request_hash: idempotency.request_hash.clone(), status, body };
            answered.insert(idempotency.scoped_key.clone(), response.clone());
            if claimed {
                // The request claimed its key before it came (see `http::idempotency::Once`):
                // the claim becomes the answer.
                written.rows.push(store::idempotency::answer_row(&idempotency.scoped_key, &response));
            } else {
                records.push(NewRecord { scoped_key: idempotency.scoped_key.clone(), response });
            }
        }
        replies.push(Reply::Applied(output));
    }
    Ok((replies, records, written))
}

/// Runs one command against the book.
fn run_command(book: &mut Book, command: &Command, wallets: &Wallets, written: &mut Written) -> Output {
    match command {
        Command::CreateAccounts(accounts) => {
            Output::Accounts(accounts.iter().map(|a| book.create_account(a.clone())).collect())
        }
        Command::Transfers(transfers) => Output::Transfers(book.apply(transfers)),
        Command::Unit(unit) | Command::Guarded(GuardedUnit { unit, .. }) => {
            Output::Unit(unit::apply(book, unit, written))
        }
        Command::Wallet(unit) => {
            let pockets = wallets.get(&unit.wallet).and_then(Option::as_deref);
            Output::Unit(unit::apply_wallet(book, unit, pockets, written))
        }
        Command::Recorded(inner, event) => {
            let output = run_command(book, inner, wallets, written);
            if let Some(event) = ledger_event(inner, &output, event) {
                written.events.push(event);
            }
            output
        }
    }
}

/// The one event of a low-level ledger request: `template.data.ids` holds the caller's ids
/// in request order; the event lists those created (transfers with their amounts), and is
/// not recorded when nothing was.
fn ledger_event(command: &Command, output: &Output, template: &Happened) -> Option<Happened> {
    let ids: Vec<&str> = template.data["ids"].as_array()?.iter().filter_map(|id| id.as_str()).collect();
    let created: Vec<serde_json::Value> = match (command, output) {
        (Command::Transfers(transfers), Output::Transfers(results)) => (transfers.iter().zip(results).zip(&ids))
            .filter(|((_, result), _)| **result == TransferResult::Created)
            .map(|((transfer, _), id)| {
                serde_json::json!({
                    "id": id,
                    "amount": transfer.amount.map(|a| a.minor_units()),
                    "currency": transfer.currency.as_ref().map(|c| c.code()),
                })
            })
            .collect(),
        (Command::CreateAccounts(_), Output::Accounts(results)) => (results.iter().zip(&ids))
            .filter(|(result, _)| **result == AccountResult::Created)
            .map(|(_, id)| serde_json::json!(id))
            .collect(),
        _ => return None,
    };
    if created.is_empty() {
        return None;
    }
    let field = if matches!(command, Command::Transfers(_)) { "transfers" } else { "accounts" };
    let mut event = template.clone();
    event.data = serde_json::json!({ field: created });
    Some(event)
}
