//! A unit of work: everything one use case (a top-up, a payment, a redemption) writes — the
//! ledger transfers it needs and the domain rows that explain them.
//!
//! The committer applies a unit inside its batch: it opens the unit's missing accounts, asks
//! the unit to plan its transfers against the balances as they are at that moment (locked,
//! so no other writer can change them), applies the transfers, and keeps the rows only if
//! every transfer was created. Money and the records that explain it commit together, and a
//! decision that depends on a balance (which pockets pay, whether a limit is reached) is
//! taken where it cannot race.

use std::sync::Arc;

use ledger::{Account, AccountId, Amount, Book, Currency, Transfer, TransferFlags, TransferId, TransferResult};

use crate::domain::pocket::PocketAccount;
use crate::events::Happened;

/// Plans a unit's transfers and rows from the current state of the accounts it named.
pub type Planner = dyn Fn(&Book) -> Result<Plan, Refusal> + Send + Sync;

#[derive(Clone)]
pub struct Unit {
    /// Accounts the unit credits; each is opened first if it does not exist yet.
    pub open: Vec<Account>,
    /// Other accounts the planner reads or debits; missing ones stay missing.
    pub read: Vec<AccountId>,
    /// Transfers the planner may look up (`book.transfer`) to see whether a step already ran,
    /// and pending transfers it may post or void.
    pub prior: Vec<TransferId>,
    pub plan: Arc<Planner>,
}

/// A unit that stands on a conditional change (a cash-out's status moving on): the guard
/// runs first, in the batch's transaction; if it changes no row, the unit is refused and
/// nothing of it is written. If it changes its row, the unit's money and rows commit with
/// it or, should they fail, the change is rolled back with them.
#[derive(Clone, Debug)]
pub struct GuardedUnit {
    pub unit: Unit,
    pub guard: Guard,
}

/// An `UPDATE … WHERE <condition>` that must change exactly one row, and the refusal to
/// answer when it changes none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    pub row: Row,
    pub refusal: Refusal,
}

impl std::fmt::Debug for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open: Vec<&str> = self.open.iter().map(|a| a.id.0.as_str()).collect();
        f.debug_struct("Unit").field("open", &open).field("read", &self.read).finish_non_exhaustive()
    }
}

impl Unit {
    /// A unit whose transfers and rows do not depend on any balance.
    pub fn fixed(open: Vec<Account>, read: Vec<AccountId>, transfers: Vec<Transfer>, rows: Vec<Row>) -> Unit {
        let plan = Arc::new(move |_: &Book| Ok(Plan::new(transfers.clone(), rows.clone())));
        Unit { open, read, prior: Vec::new(), plan }
    }

    /// The unit, recording `event` whenever it succeeds.
    pub fn with_event(mut self, event: Happened) -> Unit {
        let inner = self.plan;
        self.plan = Arc::new(move |book: &Book| inner(book).map(|plan| plan.with_event(event.clone())));
        self
    }

    /// The unit, standing on `guard` (see [`GuardedUnit`]).
    pub fn with_guard(self, guard: Guard) -> GuardedUnit {
        GuardedUnit { unit: self, guard }
    }

    /// How many events the unit may add to a batch, for the batch size limit.
    pub fn events(&self) -> usize {
        self.open.len() + self.read.len() + self.prior.len() + 1
    }
}

/// What a unit writes when its transfers are all created.
pub struct Plan {
    pub transfers: Vec<Transfer>,
    pub rows: Vec<Row>,
    /// What happened, recorded with the change (see [`crate::events`]).
    pub events: Vec<Happened>,
}

impl Plan {
    pub fn new(transfers: Vec<Transfer>, rows: Vec<Row>) -> Plan {
        Plan { transfers, rows, events: Vec::new() }
    }

    pub fn with_event(mut self, event: Happened) -> Plan {
        self.events.push(event);
        self
    }
}

/// A unit that declined to plan, with the stable error code to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal { code, message: message.into() }
    }

    /// What the unit was to act on does not exist (answered as not found).
    pub fn missing(message: impl Into<String>) -> Refusal {
        Refusal::new(MISSING, message)
    }
}

/// The code of [`Refusal::missing`].
pub const MISSING: &str = "resource_missing";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnitOutput {
    Refused(Refusal),
    /// The planned transfers with their results; the rows were written iff all are created.
    Applied {
        transfers: Vec<Transfer>,
        results: Vec<TransferResult>,
    },
}

impl UnitOutput {
    /// Whether the unit planned and every transfer it planned was created.
    pub fn succeeded(&self) -> bool {
        matches!(self, UnitOutput::Applied { results, .. } if results.iter().all(|r| r.is_ok()))
    }
}

/// One domain row to write, as SQL with `$1…$n` placeholders (valid on both backends).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub sql: &'static str,
    pub params: Vec<Param>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    Text(String),
    Int(i64),
    Null,
}

impl From<&str> for Param {
    fn from(text: &str) -> Param {
        Param::Text(text.to_string())
    }
}

impl From<String> for Param {
    fn from(text: String) -> Param {
        Param::Text(text)
    }
}

impl From<i64> for Param {
    fn from(value: i64) -> Param {
        Param::Int(value)
    }
}

impl<T: Into<Param>> From<Option<T>> for Param {
    fn from(value: Option<T>) -> Param {
        value.map_or(Param::Null, Into::into)
    }
}

/// Whose pockets a [`WalletUnit`] plans from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WalletOf {
    pub tenant: String,
    pub user: String,
    pub currency: Currency,
}

/// Plans from the accounts and the user's pockets as they are now (`None`: the tenant has
/// no such user).
pub type WalletPlanner = dyn Fn(&Book, Option<&[PocketAccount]>) -> Result<Plan, Refusal> + Send + Sync;

/// A unit that plans from one user's pockets, read by the committer in its own
/// transaction: which pockets there are and in what order they pay are decided together
/// with their balances, and the request needs no database read of its own before it (the
/// hot path of a payment).
#[derive(Clone)]
pub struct WalletUnit {
    pub wallet: WalletOf,
    /// Accounts the unit credits; each is opened first if it does not exist yet.
    pub open: Vec<Account>,
    pub plan: Arc<WalletPlanner>,
}

impl std::fmt::Debug for WalletUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalletUnit").field("wallet", &self.wallet).finish_non_exhaustive()
    }
}

impl WalletUnit {
    /// How many events the unit may add to a batch: its accounts and a few pockets.
    pub fn events(&self) -> usize {
        self.open.len() + 4
    }

    /// The unit, recording `event` whenever it succeeds.
    pub fn with_event(mut self, event: Happened) -> WalletUnit {
        let inner = self.plan;
        self.plan = Arc::new(move |book: &Book, pockets: Option<&[PocketAccount]>| {
            inner(book, pockets).map(|plan| plan.with_event(event.clone()))
        });
        self
    }
}

/// What a batch's successful units write besides their transfers.
#[derive(Default)]
pub(crate) struct Written {
    pub rows: Vec<Row>,
    pub events: Vec<Happened>,
}

/// Applies `unit` to `book`; what it writes is appended to `written`.
pub(crate) fn apply(book: &mut Book, unit: &Unit, written: &mut Written) -> UnitOutput {
    open_missing(book, &unit.open);
    let planned = (unit.plan)(book);
    apply_plan(book, planned, written)
}

/// Applies a [`WalletUnit`] given the user's pockets as the committer read them.
pub(crate) fn apply_wallet(
    book: &mut Book,
    unit: &WalletUnit,
    pockets: Option<&[PocketAccount]>,
    written: &mut Written,
) -> UnitOutput {
    open_missing(book, &unit.open);
    let planned = (unit.plan)(book, pockets);
    apply_plan(book, planned, written)
}

fn open_missing(book: &mut Book, accounts: &[Account]) {
    for account in accounts {
        if book.account(&account.id).is_none() {
            book.create_account(account.clone());
        }
    }
}

fn apply_plan(book: &mut Book, planned: Result<Plan, Refusal>, written: &mut Written) -> UnitOutput {
    match planned {
        Err(refusal) => UnitOutput::Refused(refusal),
        Ok(plan) => {
            let results = book.apply(&plan.transfers);
            if results.iter().all(|r| *r == TransferResult::Created) {
                written.rows.extend(plan.rows);
                written.events.extend(plan.events);
            }
            UnitOutput::Applied { transfers: plan.transfers, results }
        }
    }
}

/// A single-phase transfer of `amount` from `from` to `to`.
pub fn transfer(
    id: String,
    from: &AccountId,
    to: &AccountId,
    amount: Amount,
    currency: Currency,
    code: u16,
) -> Transfer {
    Transfer {
        id: TransferId(id),
        debit_account: Some(from.clone()),
        credit_account: Some(to.clone()),
        amount: Some(amount),
        currency: Some(currency),
        code,
        flags: TransferFlags::default(),
        pending_id: None,
        timeout_s: 0,
    }
}

/// Marks every transfer but the last as linked, so the list is applied all-or-nothing.
pub fn linked(mut transfers: Vec<Transfer>) -> Vec<Transfer> {
    let last = transfers.len().saturating_sub(1);
    for transfer in &mut transfers[..last] {
        transfer.flags = transfer.flags.union(TransferFlags::LINKED);
    }
    transfers
}
