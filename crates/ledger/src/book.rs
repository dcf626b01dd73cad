//! The in-memory working set of one batch, and the rules that apply transfers to it.
//!
//! The store loads into a [`Book`] every account and transfer the batch refers to; the book
//! then applies the batch's requests one after another, exactly as the database would see
//! them, and finally hands back a [`WriteSet`]: the rows to insert and update, checked once
//! more for conservation of money before any of it reaches the database.

use std::collections::BTreeMap;

use crate::account::{Account, AccountFlags, AccountId};
use crate::amount::{Amount, Currency};
use crate::hash::{FastMap, FastSet};
use crate::transfer::{Transfer, TransferFlags, TransferId, TransferResult};
use crate::TimestampUs;

/// A transfer as it is stored: every field resolved, the amount the one that moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTransfer {
    pub id: TransferId,
    pub debit_account: AccountId,
    pub credit_account: AccountId,
    pub amount: Amount,
    pub currency: Currency,
    pub code: u16,
    pub flags: TransferFlags,
    pub pending_id: Option<TransferId>,
    pub timeout_s: u32,
    pub created_at: TimestampUs,
}

impl StoredTransfer {
    /// When a pending transfer with a timeout voids itself.
    pub fn expires_at(&self) -> Option<TimestampUs> {
        (self.flags.contains(TransferFlags::PENDING) && self.timeout_s > 0)
            .then(|| self.created_at + i64::from(self.timeout_s) * 1_000_000)
    }
}

/// Where a pending transfer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PendingState {
    Pending,
    Posted,
    Voided,
    Expired,
}

/// What creating an account did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountResult {
    Created,
    Exists,
    ExistsWithDifferentFields,
}

impl AccountResult {
    pub fn code(self) -> &'static str {
        match self {
            AccountResult::Created => "created",
            AccountResult::Exists => "exists",
            AccountResult::ExistsWithDifferentFields => "exists_with_different_fields",
        }
    }
}

/// Everything a batch changes, ready to be written in one database transaction.
#[derive(Debug, Default)]
pub struct WriteSet {
    /// New accounts, with their counters as the batch left them.
    pub accounts_created: Vec<Account>,
    /// Existing accounts whose counters the batch changed, with their new values.
    pub accounts_updated: Vec<Account>,
    pub transfers: Vec<StoredTransfer>,
    /// Pending transfers with a timeout: (id, expires_at).
    pub expiries_added: Vec<(TransferId, TimestampUs)>,
    /// Pending transfers the batch resolved, whose timeout no longer applies.
    pub expiries_removed: Vec<TransferId>,
}

/// Broken conservation or limits found before writing: a bug, never a caller's mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantViolation(pub String);

/// One step that undoes a change, kept while a linked chain is open.
enum Undo {
    Account(Account),
    Transfer(TransferId),
    Pending(TransferId, Option<PendingState>),
}

pub struct Book {
    now: TimestampUs,
    accounts: FastMap<AccountId, Account>,
    /// Counters as loaded (zero for accounts this batch creates), to check conservation.
    initial: FastMap<AccountId, Account>,
    created_accounts: Vec<AccountId>,
    dirty_accounts: Vec<AccountId>,
    dirty_set: FastSet<AccountId>,
    transfers: FastMap<TransferId, StoredTransfer>,
    created_transfers: Vec<TransferId>,
    pending: FastMap<TransferId, PendingState>,
    undo: Vec<Undo>,
}

impl Book {
    pub fn new(now: TimestampUs) -> Book {
        Book {
            now,
            accounts: FastMap::default(),
            initial: FastMap::default(),
            created_accounts: Vec::new(),
            dirty_accounts: Vec::new(),
            dirty_set: FastSet::default(),
            transfers: FastMap::default(),
            created_transfers: Vec::new(),
            pending: FastMap::default(),
            undo: Vec::new(),
        }
    }

    pub fn now(&self) -> TimestampUs {
        self.now
    }

    pub fn load_account(&mut self, account: Account) {
        self.initial.insert(account.id.clone(), account.clone());
        self.accounts.insert(account.id.clone(), account);
    }

    /// Loads a stored transfer; a pending one is taken as still pending unless
    /// [`Book::load_resolution`] says otherwise.
    pub fn load_transfer(&mut self, transfer: StoredTransfer) {
        if transfer.flags.contains(TransferFlags::PENDING) {
            self.pending.entry(transfer.id.clone()).or_insert(PendingState::Pending);
        }
        if let Some(pending_id) = &transfer.pending_id {
            self.pending.insert(pending_id.clone(), resolution_of(transfer.flags));
        }
        self.transfers.insert(transfer.id.clone(), transfer);
    }

    /// Records that `pending_id` was resolved by a transfer with `flags`.
    pub fn load_resolution(&mut self, pending_id: TransferId, flags: TransferFlags) {
        self.pending.insert(pending_id, resolution_of(flags));
    }

    pub fn account(&self, id: &AccountId) -> Option<&Account> {
        self.accounts.get(id)
    }

    pub fn transfer(&self, id: &TransferId) -> Option<&StoredTransfer> {
        self.transfers.get(id)
    }

    /// Opens an account unless one with this id exists.
    pub fn create_account(&mut self, account: Account) -> AccountResult {
        if let Some(existing) = self.accounts.get(&account.id) {
            let same = existing.currency == account.currency
                && existing.code == account.code
                && existing.flags == account.flags;
            return if same { AccountResult::Exists } else { AccountResult::ExistsWithDifferentFields };
        }
        let opened = Account::open(account.id.clone(), account.currency, account.code, account.flags);
        self.initial.insert(opened.id.clone(), opened.clone());
        self.created_accounts.push(opened.id.clone());
        self.accounts.insert(opened.id.clone(), opened);
        AccountResult::Created
    }

    /// Applies one request's transfers in order; `linked` chains are all-or-nothing.
    pub fn apply(&mut self, transfers: &[Transfer]) -> Vec<TransferResult> {
        let mut results = Vec::with_capacity(transfers.len());
        let mut chain_start = 0;
        let mut chain_failed = false;
        for (index, transfer) in transfers.iter().enumerate() {
            let linked = transfer.flags.contains(TransferFlags::LINKED);
            let result = if chain_failed {
                TransferResult::LinkedEventFailed
            } else if linked && index + 1 == transfers.len() {
                TransferResult::LinkedEventChainOpen
            } else {
                self.apply_one(transfer)
            };
            let in_chain = linked || index > chain_start;
            if !result.is_ok() && in_chain && !chain_failed {
                self.roll_back_chain();
                for earlier in &mut results[chain_start..] {
                    *earlier = TransferResult::LinkedEventFailed;
                }
                chain_failed = true;
            }
            results.push(result);
            if !linked {
                self.undo.clear();
                chain_start = index + 1;
                chain_failed = false;
            }
        }
        self.undo.clear();
        results
    }

    fn roll_back_chain(&mut self) {
        while let Some(step) = self.undo.pop() {
            match step {
                Undo::Account(previous) => {
                    self.accounts.insert(previous.id.clone(), previous);
                }
                Undo::Transfer(id) => {
                    self.transfers.remove(&id);
                    let popped = self.created_transfers.pop();
                    debug_assert_eq!(popped.as_ref(), Some(&id));
                }
                Undo::Pending(id, previous) => match previous {
                    Some(state) => {
                        self.pending.insert(id, state);
                    }
                    None => {
                        self.pending.remove(&id);
                    }
                },
            }
        }
    }

    fn apply_one(&mut self, transfer: &Transfer) -> TransferResult {
        if let Some(existing) = self.transfers.get(&transfer.id) {
            return if same_fields(existing, transfer) {
                TransferResult::Exists
            } else {
                TransferResult::ExistsWithDifferentFields
            };
        }
        let flags = transfer.flags;
        let phases = [TransferFlags::PENDING, TransferFlags::POST_PENDING, TransferFlags::VOID_PENDING]
            .into_iter()
            .filter(|phase| flags.contains(*phase))
            .count();
        let stray_expiry = flags.contains(TransferFlags::EXPIRY) && !flags.contains(TransferFlags::VOID_PENDING);
        if phases > 1 || stray_expiry {
            return TransferResult::FlagsAreMutuallyExclusive;
        }
        let applied = if flags.resolves_pending() { self.resolve_pending(transfer) } else { self.move_value(transfer) };
        match applied {
            Ok(()) => TransferResult::Created,
            Err(result) => result,
        }
    }

    /// A single-phase transfer, or the first phase of a two-phase one.
    fn move_value(&mut self, transfer: &Transfer) -> Result<(), TransferResult> {
        use TransferResult::*;
        let is_pending = transfer.flags.contains(TransferFlags::PENDING);
        if transfer.pending_id.is_some() {
            return Err(PendingIdMustBeAbsent);
        }
        if transfer.timeout_s > 0 && !is_pending {
            return Err(TimeoutReservedForPendingTransfer);
        }
        let (Some(debit_id), Some(credit_id)) = (&transfer.debit_account, &transfer.credit_account) else {
            return Err(AccountsRequired);
        };
        let amount = transfer.amount.filter(|a| !a.is_zero()).ok_or(AmountMustNotBeZero)?;
        if debit_id == credit_id {
            return Err(AccountsMustBeDifferent);
        }
        let (Some(debit), Some(credit)) = (self.accounts.get(debit_id), self.accounts.get(credit_id)) else {
            return Err(AccountNotFound);
        };
        let currency = transfer.currency.ok_or(CurrencyMismatch)?;
        if debit.currency != currency || credit.currency != currency {
            return Err(CurrencyMismatch);
        }
        let mut new_debit = debit.clone();
        let mut new_credit = credit.clone();
        if is_pending {
            new_debit.debits_pending = new_debit.debits_pending.checked_add(amount).ok_or(Overflow)?;
            new_credit.credits_pending = new_credit.credits_pending.checked_add(amount).ok_or(Overflow)?;
        } else {
            new_debit.debits_posted = new_debit.debits_posted.checked_add(amount).ok_or(Overflow)?;
            new_credit.credits_posted = new_credit.credits_posted.checked_add(amount).ok_or(Overflow)?;
        }
        check_limits(&new_debit)?;
        check_limits(&new_credit)?;
        let stored = StoredTransfer {
            id: transfer.id.clone(),
            debit_account: debit_id.clone(),
            credit_account: credit_id.clone(),
            amount,
            currency,
            code: transfer.code,
            flags: transfer.flags,
            pending_id: None,
            timeout_s: transfer.timeout_s,
            created_at: self.now,
        };
        self.set_account(new_debit);
        self.set_account(new_credit);
        if is_pending {
            self.set_pending(stored.id.clone(), PendingState::Pending);
        }
        self.add_transfer(stored);
        Ok(())
    }

    /// The second phase: post (all or part of) a pending transfer, or void it.
    fn resolve_pending(&mut self, transfer: &Transfer) -> Result<(), TransferResult> {
        use TransferResult::*;
        let pending_id = transfer.pending_id.as_ref().ok_or(PendingIdRequired)?;
        if transfer.timeout_s > 0 {
            return Err(TimeoutReservedForPendingTransfer);
        }
        let pending = self.transfers.get(pending_id).ok_or(PendingNotFound)?;
        if !pending.flags.contains(TransferFlags::PENDING) {
            return Err(PendingNotPending);
        }
        let differs = |given: &Option<AccountId>, actual: &AccountId| given.as_ref().is_some_and(|g| g != actual);
        if differs(&transfer.debit_account, &pending.debit_account)
            || differs(&transfer.credit_account, &pending.credit_account)
        {
            return Err(PendingHasDifferentFields);
        }
        if transfer.currency.is_some_and(|c| c != pending.currency) {
            return Err(CurrencyMismatch);
        }
        match self.pending.get(pending_id).copied().unwrap_or(PendingState::Pending) {
            PendingState::Pending => {}
            PendingState::Posted => return Err(PendingAlreadyPosted),
            PendingState::Voided => return Err(PendingAlreadyVoided),
            PendingState::Expired => return Err(PendingExpired),
        }
        let timed_out = pending.expires_at().is_some_and(|at| at <= self.now);
        let is_expiry = transfer.flags.contains(TransferFlags::EXPIRY);
        if timed_out != is_expiry {
            // A caller is too late, or the timeout worker too early (another clock).
            return Err(PendingExpired);
        }
        let is_post = transfer.flags.contains(TransferFlags::POST_PENDING);
        let moved = if is_post {
            let posted = transfer.amount.unwrap_or(pending.amount);
            if posted.is_zero() {
                return Err(AmountMustNotBeZero);
            }
            if posted > pending.amount {
                return Err(ExceedsPendingAmount);
            }
            posted
        } else {
            if transfer.amount.is_some_and(|a| a != pending.amount) {
                return Err(PendingHasDifferentFields);
            }
            pending.amount
        };
        let held = pending.amount;
        let mut debit = self.accounts.get(&pending.debit_account).ok_or(AccountNotFound)?.clone();
        let mut credit = self.accounts.get(&pending.credit_account).ok_or(AccountNotFound)?.clone();
        debit.debits_pending = debit.debits_pending.checked_sub(held).ok_or(Overflow)?;
        credit.credits_pending = credit.credits_pending.checked_sub(held).ok_or(Overflow)?;
        if is_post {
            debit.debits_posted = debit.debits_posted.checked_add(moved).ok_or(Overflow)?;
            credit.credits_posted = credit.credits_posted.checked_add(moved).ok_or(Overflow)?;
        }
        // Resolving never raises a sum a limit watches, but say so rather than assume it.
        check_limits(&debit)?;
        check_limits(&credit)?;
        let stored = StoredTransfer {
            id: transfer.id.clone(),
            debit_account: pending.debit_account.clone(),
            credit_account: pending.credit_account.clone(),
            amount: moved,
            currency: pending.currency,
            code: transfer.code,
            flags: transfer.flags,
            pending_id: Some(pending_id.clone()),
            timeout_s: 0,
            created_at: self.now,
        };
        self.set_account(debit);
        self.set_account(credit);
        self.set_pending(pending_id.clone(), resolution_of(transfer.flags));
        self.add_transfer(stored);
        Ok(())
    }

    fn set_account(&mut self, account: Account) {
        if self.dirty_set.insert(account.id.clone()) {
            self.dirty_accounts.push(account.id.clone());
        }
        if let Some(previous) = self.accounts.insert(account.id.clone(), account) {
            self.undo.push(Undo::Account(previous));
        }
    }

    fn set_pending(&mut self, id: TransferId, state: PendingState) {
        let previous = self.pending.insert(id.clone(), state);
        self.undo.push(Undo::Pending(id, previous));
    }

    fn add_transfer(&mut self, transfer: StoredTransfer) {
        self.undo.push(Undo::Transfer(transfer.id.clone()));
        self.created_transfers.push(transfer.id.clone());
        self.transfers.insert(transfer.id.clone(), transfer);
    }

    /// The rows to write, after checking that the batch conserved money per currency and
    /// left every account within its limits.
    pub fn into_writes(mut self) -> Result<WriteSet, InvariantViolation> {
        self.check_conservation()?;
        let created: FastSet<&AccountId> = self.created_accounts.iter().collect();
        let mut writes = WriteSet::default();
        for id in &self.created_accounts {
            writes.accounts_created.push(self.accounts[id].clone());
        }
        for id in self.dirty_accounts.iter().filter(|id| !created.contains(id)) {
            writes.accounts_updated.push(self.accounts[id].clone());
        }
        for id in &self.created_transfers {
            let transfer = self.transfers.remove(id).expect("created transfers are kept");
            if let Some(at) = transfer.expires_at() {
                writes.expiries_added.push((transfer.id.clone(), at));
            }
            if let Some(pending_id) = &transfer.pending_id {
                writes.expiries_removed.push(pending_id.clone());
            }
            writes.transfers.push(transfer);
        }
        Ok(writes)
    }

    fn check_conservation(&self) -> Result<(), InvariantViolation> {
        // Per currency: [Δdebits_pending, Δdebits_posted, Δcredits_pending, Δcredits_posted].
        let mut deltas: BTreeMap<Currency, [i128; 4]> = BTreeMap::new();
        for id in &self.dirty_accounts {
            let now = &self.accounts[id];
            let before = &self.initial[id];
            if !now.within_limits() {
                return Err(InvariantViolation(format!("account {} is past its limits", id.0)));
            }
            let sums = deltas.entry(now.currency).or_default();
            let pairs = [
                (now.debits_pending, before.debits_pending),
                (now.debits_posted, before.debits_posted),
                (now.credits_pending, before.credits_pending),
                (now.credits_posted, before.credits_posted),
            ];
            for (sum, (after, before)) in sums.iter_mut().zip(pairs) {
                *sum += i128::from(after.minor_units()) - i128::from(before.minor_units());
            }
        }
        for (currency, [dp, dpo, cp, cpo]) in deltas {
            if dp != cp || dpo != cpo {
                return Err(InvariantViolation(format!(
                    "{currency}: debits and credits moved apart (pending {dp} vs {cp}, posted {dpo} vs {cpo})"
                )));
            }
        }
        Ok(())
    }
}

fn resolution_of(flags: TransferFlags) -> PendingState {
    if flags.contains(TransferFlags::POST_PENDING) {
        PendingState::Posted
    } else if flags.contains(TransferFlags::EXPIRY) {
        PendingState::Expired
    } else {
        PendingState::Voided
    }
}

fn check_limits(account: &Account) -> Result<(), TransferResult> {
    let debits = account.debits_pending.checked_add(account.debits_posted).ok_or(TransferResult::Overflow)?;
    let credits = account.credits_pending.checked_add(account.credits_posted).ok_or(TransferResult::Overflow)?;
    if account.flags.contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS) && debits > account.credits_posted {
        return Err(TransferResult::ExceedsCredits);
    }
    if account.flags.contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS) && credits > account.debits_posted {
        return Err(TransferResult::ExceedsDebits);
    }
    Ok(())
}

/// Whether a retried transfer asks for what the stored one did. Fields a post or void may
/// leave out match whatever was stored.
fn same_fields(stored: &StoredTransfer, asked: &Transfer) -> bool {
    let resolves = asked.flags.resolves_pending();
    let account_matches =
        |given: &Option<AccountId>, actual: &AccountId| given.as_ref().map_or(resolves, |g| g == actual);
    let amount_matches = match asked.amount {
        Some(amount) => amount == stored.amount,
        None => resolves,
    };
    stored.flags == asked.flags
        && stored.code == asked.code
        && stored.pending_id == asked.pending_id
        && stored.timeout_s == asked.timeout_s
        && account_matches(&asked.debit_account, &stored.debit_account)
        && account_matches(&asked.credit_account, &stored.credit_account)
        && asked.currency.map_or(resolves, |c| c == stored.currency)
        && amount_matches
}
