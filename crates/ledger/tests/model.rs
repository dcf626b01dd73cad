//! Model-based tests of the money kernel: random requests run through the real [`Book`] and
//! through a deliberately plain reference model, which must agree on every result, every
//! balance and every invariant after every batch.
//!
//! The model keeps accounts and stored transfers in vectors searched linearly and applies a
//! linked chain to a clone of itself, dropped when the chain fails: slow, and easy to check by
//! reading. The kernel is driven the way the store drives it: a fresh book per batch, loaded
//! with all or only the referenced accounts and transfers, one or several requests applied
//! (as the group committer does), and the write set folded back into a persisted state.
//! Where the crate's documentation does not say which of two errors wins, the model checks in
//! the kernel's order, which is TigerBeetle's. A few plain tests pin the named edge cases.

use std::collections::{BTreeMap, BTreeSet};

use ledger::{
    Account, AccountFlags, AccountId, AccountResult, Amount, Book, Currency, StoredTransfer, TimestampUs, Transfer,
    TransferFlags, TransferId, TransferResult, WriteSet,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const SECOND_US: i64 = 1_000_000;
const START_US: TimestampUs = 1_700_000_000 * SECOND_US;
/// Two of these overflow an i64 counter.
const AMOUNT_HUGE: i64 = i64::MAX / 2 + 1;
const COUNTER_MAX: i128 = i64::MAX as i128;
const GHOST_ACCOUNT: &str = "ghost";
const CASES: u32 = 256;

// Slots of the model's counters.
const DP: usize = 0;
const DPO: usize = 1;
const CP: usize = 2;
const CPO: usize = 3;

const LINKED: TransferFlags = TransferFlags::LINKED;
const PENDING: TransferFlags = TransferFlags::PENDING;
const POST: TransferFlags = TransferFlags::POST_PENDING;
const VOID: TransferFlags = TransferFlags::VOID_PENDING;
const EXPIRY: TransferFlags = TransferFlags::EXPIRY;

// ---------------------------------------------------------------------------------------------
// The reference model.

#[derive(Clone, Debug, PartialEq, Eq)]
struct ModelAccount {
    id: String,
    currency: Currency,
    flags: u32,
    /// [debits_pending, debits_posted, credits_pending, credits_posted]
    counters: [i128; 4],
}

impl ModelAccount {
    fn of(account: &Account) -> ModelAccount {
        ModelAccount {
            id: account.id.0.clone(),
            currency: account.currency,
            flags: account.flags.bits(),
            counters: [account.debits_pending, account.debits_posted, account.credits_pending, account.credits_posted]
                .map(|a| i128::from(a.minor_units())),
        }
    }
}

#[derive(Clone, Debug)]
struct ModelTransfer {
    id: String,
    debit: String,
    credit: String,
    amount: i128,
    currency: Currency,
    code: u16,
    flags: TransferFlags,
    pending_id: Option<String>,
    timeout_s: u32,
    created_at: TimestampUs,
}

impl ModelTransfer {
    fn to_stored(&self) -> StoredTransfer {
        StoredTransfer {
            id: TransferId(self.id.clone()),
            debit_account: AccountId(self.debit.clone()),
            credit_account: AccountId(self.credit.clone()),
            amount: Amount::new(i64::try_from(self.amount).unwrap()).unwrap(),
            currency: self.currency,
            code: self.code,
            flags: self.flags,
            pending_id: self.pending_id.clone().map(TransferId),
            timeout_s: self.timeout_s,
            created_at: self.created_at,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Model {
    accounts: Vec<ModelAccount>,
    transfers: Vec<ModelTransfer>,
}

fn ok(result: TransferResult) -> bool {
    matches!(result, TransferResult::Created | TransferResult::Exists)
}

fn units(amount: Amount) -> i128 {
    i128::from(amount.minor_units())
}

impl Model {
    fn account_index(&self, id: &str) -> Option<usize> {
        self.accounts.iter().position(|a| a.id == id)
    }

    fn transfer(&self, id: &str) -> Option<&ModelTransfer> {
        self.transfers.iter().find(|t| t.id == id)
    }

    fn resolution(&self, pending_id: &str) -> Option<&ModelTransfer> {
        self.transfers.iter().find(|t| t.pending_id.as_deref() == Some(pending_id))
    }

    /// One request: independent transfers, and chains of `linked` ones that stand or fall
    /// together. A chain still open at the end of the request fails as a whole.
    fn apply(&mut self, now: TimestampUs, request: &[Transfer]) -> Vec<TransferResult> {
        let mut results = Vec::new();
        let mut start = 0;
        while start < request.len() {
            let close = (start..request.len()).find(|&i| !request[i].flags.contains(LINKED));
            let end = close.unwrap_or(request.len() - 1);
            if close == Some(start) {
                results.push(self.apply_one(now, &request[start]));
            } else {
                results.extend(self.apply_chain(now, &request[start..=end], close.is_none()));
            }
            start = end + 1;
        }
        results
    }

    fn apply_chain(&mut self, now: TimestampUs, chain: &[Transfer], open: bool) -> Vec<TransferResult> {
        let saved = self.clone();
        let mut results = vec![TransferResult::LinkedEventFailed; chain.len()];
        let runnable = if open { chain.len() - 1 } else { chain.len() };
        let mut failed = false;
        for (index, transfer) in chain[..runnable].iter().enumerate() {
            results[index] = self.apply_one(now, transfer);
            if !ok(results[index]) {
                failed = true;
                break;
            }
        }
        if open && !failed {
            // The documented precedence: linked_event_failed before linked_event_chain_open.
            results[chain.len() - 1] = TransferResult::LinkedEventChainOpen;
            failed = true;
        }
        if failed {
            *self = saved;
            for result in &mut results {
                if ok(*result) {
                    *result = TransferResult::LinkedEventFailed;
                }
            }
        }
        results
    }

    fn apply_one(&mut self, now: TimestampUs, transfer: &Transfer) -> TransferResult {
        if let Some(stored) = self.transfer(&transfer.id.0) {
            return if retry_matches(stored, transfer) {
                TransferResult::Exists
            } else {
                TransferResult::ExistsWithDifferentFields
            };
        }
        let flags = transfer.flags;
        let phases = [PENDING, POST, VOID].iter().filter(|p| flags.contains(**p)).count();
        if phases > 1 || (flags.contains(EXPIRY) && !flags.contains(VOID)) {
            return TransferResult::FlagsAreMutuallyExclusive;
        }
        let outcome = if flags.contains(POST) || flags.contains(VOID) {
            self.resolve(now, transfer)
        } else {
            self.create(now, transfer)
        };
        match outcome {
            Ok(stored) => {
                self.transfers.push(stored);
                TransferResult::Created
            }
            Err(result) => result,
        }
    }

    /// A single-phase transfer or a pending one; changes nothing unless it succeeds.
    fn create(&mut self, now: TimestampUs, t: &Transfer) -> Result<ModelTransfer, TransferResult> {
        use TransferResult::*;
        let pending = t.flags.contains(PENDING);
        if t.pending_id.is_some() {
            return Err(PendingIdMustBeAbsent);
        }
        if t.timeout_s > 0 && !pending {
            return Err(TimeoutReservedForPendingTransfer);
        }
        let (Some(debit), Some(credit)) = (&t.debit_account, &t.credit_account) else {
            return Err(AccountsRequired);
        };
        let amount = t.amount.map_or(0, units);
        if amount == 0 {
            return Err(AmountMustNotBeZero);
        }
        if debit == credit {
            return Err(AccountsMustBeDifferent);
        }
        let (Some(d), Some(c)) = (self.account_index(&debit.0), self.account_index(&credit.0)) else {
            return Err(AccountNotFound);
        };
        let currency = t.currency.ok_or(CurrencyMismatch)?;
        if self.accounts[d].currency != currency || self.accounts[c].currency != currency {
            return Err(CurrencyMismatch);
        }
        let (debit_slot, credit_slot) = if pending { (DP, CP) } else { (DPO, CPO) };
        let mut new_debit = self.accounts[d].clone();
        let mut new_credit = self.accounts[c].clone();
        new_debit.counters[debit_slot] += amount;
        new_credit.counters[credit_slot] += amount;
        if new_debit.counters[debit_slot] > COUNTER_MAX || new_credit.counters[credit_slot] > COUNTER_MAX {
            return Err(Overflow);
        }
        limits(&new_debit)?;
        limits(&new_credit)?;
        self.accounts[d] = new_debit;
        self.accounts[c] = new_credit;
        Ok(ModelTransfer {
            id: t.id.0.clone(),
            debit: debit.0.clone(),
            credit: credit.0.clone(),
            amount,
            currency,
            code: t.code,
            flags: t.flags,
            pending_id: None,
            timeout_s: t.timeout_s,
            created_at: now,
        })
    }

    /// A post or void (or the timeout's expiry) of a pending transfer.
    fn resolve(&mut self, now: TimestampUs, t: &Transfer) -> Result<ModelTransfer, TransferResult> {
        use TransferResult::*;
        let pending_id = t.pending_id.as_ref().ok_or(PendingIdRequired)?;
        if t.timeout_s > 0 {
            return Err(TimeoutReservedForPendingTransfer);
        }
        let p = self.transfer(&pending_id.0).ok_or(PendingNotFound)?.clone();
        if !p.flags.contains(PENDING) {
            return Err(PendingNotPending);
        }
        let differs = |given: &Option<AccountId>, actual: &str| given.as_ref().is_some_and(|g| g.0 != actual);
        if differs(&t.debit_account, &p.debit) || differs(&t.credit_account, &p.credit) {
            return Err(PendingHasDifferentFields);
        }
        if t.currency.is_some_and(|c| c != p.currency) {
            return Err(CurrencyMismatch);
        }
        if let Some(earlier) = self.resolution(&pending_id.0) {
            return Err(if earlier.flags.contains(POST) {
                PendingAlreadyPosted
            } else if earlier.flags.contains(EXPIRY) {
                PendingExpired
            } else {
                PendingAlreadyVoided
            });
        }
        let timed_out = p.timeout_s > 0 && p.created_at + i64::from(p.timeout_s) * SECOND_US <= now;
        if timed_out != t.flags.contains(EXPIRY) {
            return Err(PendingExpired);
        }
        let post = t.flags.contains(POST);
        let moved = if post {
            let moved = t.amount.map_or(p.amount, units);
            if moved == 0 {
                return Err(AmountMustNotBeZero);
            }
            if moved > p.amount {
                return Err(ExceedsPendingAmount);
            }
            moved
        } else {
            if t.amount.is_some_and(|a| units(a) != p.amount) {
                return Err(PendingHasDifferentFields);
            }
            p.amount
        };
        let d = self.account_index(&p.debit).ok_or(AccountNotFound)?;
        let c = self.account_index(&p.credit).ok_or(AccountNotFound)?;
        self.accounts[d].counters[DP] -= p.amount;
        self.accounts[c].counters[CP] -= p.amount;
        if post {
            self.accounts[d].counters[DPO] += moved;
            self.accounts[c].counters[CPO] += moved;
        }
        Ok(ModelTransfer {
            id: t.id.0.clone(),
            debit: p.debit,
            credit: p.credit,
            amount: moved,
            currency: p.currency,
            code: t.code,
            flags: t.flags,
            pending_id: Some(pending_id.0.clone()),
            timeout_s: 0,
            created_at: now,
        })
    }
}

fn limits(account: &ModelAccount) -> Result<(), TransferResult> {
    let debits = account.counters[DP] + account.counters[DPO];
    let credits = account.counters[CP] + account.counters[CPO];
    if debits > COUNTER_MAX || credits > COUNTER_MAX {
        return Err(TransferResult::Overflow);
    }
    if account.flags & AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS.bits() != 0 && debits > account.counters[CPO] {
        return Err(TransferResult::ExceedsCredits);
    }
    if account.flags & AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS.bits() != 0 && credits > account.counters[DPO] {
        return Err(TransferResult::ExceedsDebits);
    }
    Ok(())
}

/// TigerBeetle's idempotency rule: a retry must repeat every field, except the ones a post or
/// void may leave out, which then match whatever was stored.
fn retry_matches(stored: &ModelTransfer, asked: &Transfer) -> bool {
    let resolves = asked.flags.contains(POST) || asked.flags.contains(VOID);
    let field = |same: Option<bool>| same.unwrap_or(resolves);
    stored.flags == asked.flags
        && stored.code == asked.code
        && stored.pending_id.as_deref() == asked.pending_id.as_ref().map(|p| p.0.as_str())
        && stored.timeout_s == asked.timeout_s
        && field(asked.debit_account.as_ref().map(|d| d.0 == stored.debit))
        && field(asked.credit_account.as_ref().map(|c| c.0 == stored.credit))
        && field(asked.currency.map(|c| c == stored.currency))
        && field(asked.amount.map(|a| units(a) == stored.amount))
}

// ---------------------------------------------------------------------------------------------
// The persisted state, written only from write sets, and what it must always satisfy.

#[derive(Default)]
struct Store {
    accounts: BTreeMap<AccountId, Account>,
    transfers: Vec<StoredTransfer>,
    expiries: BTreeMap<TransferId, TimestampUs>,
}

impl Store {
    fn transfer(&self, id: &TransferId) -> Option<&StoredTransfer> {
        self.transfers.iter().find(|t| &t.id == id)
    }

    fn resolution(&self, pending_id: &TransferId) -> Option<&StoredTransfer> {
        self.transfers.iter().find(|t| t.pending_id.as_ref() == Some(pending_id))
    }

    /// A book for a batch: everything, or only what the batch's transfers refer to (with the
    /// resolution of every pending transfer loaded), as the store does.
    fn book(&self, now: TimestampUs, requests: &[Vec<Transfer>], load_all: bool) -> Book {
        let mut book = Book::new(now);
        if load_all {
            self.accounts.values().for_each(|a| book.load_account(a.clone()));
            self.transfers.iter().for_each(|t| book.load_transfer(t.clone()));
            return book;
        }
        let mut transfer_ids = BTreeSet::new();
        let mut account_ids = BTreeSet::new();
        for t in requests.iter().flatten() {
            transfer_ids.insert(t.id.clone());
            transfer_ids.extend(t.pending_id.clone());
            account_ids.extend(t.debit_account.clone());
            account_ids.extend(t.credit_account.clone());
        }
        for id in &transfer_ids {
            let Some(stored) = self.transfer(id) else { continue };
            account_ids.insert(stored.debit_account.clone());
            account_ids.insert(stored.credit_account.clone());
            if let Some(resolution) = self.resolution(id) {
                book.load_resolution(id.clone(), resolution.flags);
            }
            book.load_transfer(stored.clone());
        }
        for id in &account_ids {
            if let Some(account) = self.accounts.get(id) {
                book.load_account(account.clone());
            }
        }
        book
    }

    fn fold(&mut self, writes: WriteSet) {
        for account in writes.accounts_created {
            assert!(self.accounts.insert(account.id.clone(), account).is_none(), "account created twice");
        }
        for account in writes.accounts_updated {
            assert!(self.accounts.insert(account.id.clone(), account).is_some(), "update of a missing account");
        }
        for transfer in writes.transfers {
            assert!(self.transfer(&transfer.id).is_none(), "transfer {} written twice", transfer.id.0);
            self.transfers.push(transfer);
        }
        for (id, at) in writes.expiries_added {
            self.expiries.insert(id, at);
        }
        for id in writes.expiries_removed {
            self.expiries.remove(&id);
        }
    }

    /// Conservation, limits, single resolution, balances recomputed from the transfers, and
    /// an expiry for exactly the unresolved pending transfers with a timeout.
    fn check_invariants(&self) {
        let mut sums: BTreeMap<Currency, [i128; 4]> = BTreeMap::new();
        for account in self.accounts.values() {
            let model = ModelAccount::of(account);
            assert_eq!(limits(&model), Ok(()), "{} is past its limits", account.id.0);
            assert!(account.within_limits());
            let sum = sums.entry(account.currency).or_default();
            for (slot, value) in model.counters.iter().enumerate() {
                sum[slot] += value;
            }
        }
        for (currency, sum) in &sums {
            assert_eq!(sum[DP], sum[CP], "{currency}: pending debits and credits differ");
            assert_eq!(sum[DPO], sum[CPO], "{currency}: posted debits and credits differ");
        }
        let resolved = self.check_resolutions();
        let mut recomputed: BTreeMap<&AccountId, [i128; 4]> = BTreeMap::new();
        for t in &self.transfers {
            let (debit_slot, credit_slot) = if t.flags.contains(PENDING) {
                if resolved.contains(&t.id) {
                    continue;
                }
                (DP, CP)
            } else if t.flags.contains(VOID) {
                continue;
            } else {
                (DPO, CPO)
            };
            recomputed.entry(&t.debit_account).or_default()[debit_slot] += units(t.amount);
            recomputed.entry(&t.credit_account).or_default()[credit_slot] += units(t.amount);
        }
        for account in self.accounts.values() {
            let expected = recomputed.get(&account.id).copied().unwrap_or_default();
            assert_eq!(ModelAccount::of(account).counters, expected, "{} disagrees with its transfers", account.id.0);
        }
        let expected: BTreeMap<TransferId, TimestampUs> = self
            .transfers
            .iter()
            .filter(|t| !resolved.contains(&t.id))
            .filter_map(|t| Some((t.id.clone(), t.expires_at()?)))
            .collect();
        assert_eq!(self.expiries, expected, "expiries table");
    }

    /// Every post or void names a stored pending transfer, fits it, and is its only one.
    fn check_resolutions(&self) -> BTreeSet<TransferId> {
        let mut resolved = BTreeSet::new();
        for t in &self.transfers {
            let Some(pending_id) = &t.pending_id else { continue };
            let p = self.transfer(pending_id).expect("a resolution names a stored transfer");
            assert!(p.flags.contains(PENDING), "{} resolves a transfer that is not pending", t.id.0);
            assert!(resolved.insert(pending_id.clone()), "{} is resolved more than once", pending_id.0);
            assert_eq!((&t.debit_account, &t.credit_account), (&p.debit_account, &p.credit_account));
            assert!(t.amount <= p.amount && (t.flags.contains(POST) || t.amount == p.amount));
            assert!(t.created_at >= p.created_at);
        }
        resolved
    }
}

// ---------------------------------------------------------------------------------------------
// What the generator produces: abstract events, turned into transfers against the current
// state (indices pick accounts and earlier ids, so shrinking keeps them meaningful).

#[derive(Clone, Debug)]
struct AccountSpec {
    flags: u32,
    usd: bool,
}

#[derive(Clone, Debug)]
enum Change {
    Same,
    Amount,
    Code,
    Linked,
    DebitDropped,
    CurrencyDropped,
    DebitSwapped,
}

#[derive(Clone, Copy, Debug)]
enum Odd {
    PendingAndPost,
    ExpiryWithoutVoid,
    AmountMissing,
    SameAccounts,
    AccountsMissing,
    PendingIdOnMove,
    TimeoutOnMove,
    TimeoutOnPost,
    PendingIdMissing,
    PostOfAnyTransfer,
    WrongAccountOnPost,
    WrongCurrencyOnPost,
    VoidWrongAmount,
}

#[derive(Clone, Debug)]
enum Step {
    /// Single-phase, or pending (with `timeout_s`, 0 for none). A `plausible` one moves
    /// between two different open accounts of its currency; the others pick anything.
    Move {
        debit: u8,
        credit: u8,
        amount: i64,
        currency: u8,
        pending: bool,
        timeout_s: u32,
        plausible: bool,
    },
    /// `named`: repeat the pending transfer's accounts and currency, as a caller may.
    Post {
        target: u8,
        amount: Option<i64>,
        named: bool,
    },
    Void {
        target: u8,
        named: bool,
    },
    /// The timeout worker's void; `due_only` picks among the expiries already due.
    Expiry {
        target: u8,
        due_only: bool,
    },
    Retry {
        target: u8,
        change: Change,
    },
    Odd {
        kind: Odd,
        pick: u8,
    },
}

#[derive(Clone, Debug)]
struct Event {
    step: Step,
    linked: bool,
    code: u16,
}

#[derive(Clone, Debug)]
struct Batch {
    advance_s: u32,
    requests: Vec<Vec<Event>>,
    load_all: bool,
}

#[derive(Clone, Debug)]
struct Scenario {
    accounts: Vec<AccountSpec>,
    /// Whether a first batch gives every limited account some room, as a real wallet's
    /// top-ups would.
    funded: bool,
    batches: Vec<Batch>,
}

fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![12 => 1..=20i64, 1 => Just(0i64), 1 => Just(AMOUNT_HUGE)]
}

fn plausible() -> impl Strategy<Value = bool> {
    prop::bool::weighted(0.8)
}

fn step() -> impl Strategy<Value = Step> {
    let byte = any::<u8>;
    let timeout_s = prop_oneof![Just(0u32), 1..=5u32];
    let post_amount = prop_oneof![2 => Just(None), 4 => (1..=25i64).prop_map(Some), 1 => Just(Some(0))];
    let change = prop_oneof![
        3 => Just(Change::Same),
        1 => Just(Change::Amount),
        1 => Just(Change::Code),
        1 => Just(Change::Linked),
        1 => Just(Change::DebitDropped),
        1 => Just(Change::CurrencyDropped),
        1 => Just(Change::DebitSwapped),
    ];
    let odd = prop::sample::select(vec![
        Odd::PendingAndPost,
        Odd::ExpiryWithoutVoid,
        Odd::AmountMissing,
        Odd::SameAccounts,
        Odd::AccountsMissing,
        Odd::PendingIdOnMove,
        Odd::TimeoutOnMove,
        Odd::TimeoutOnPost,
        Odd::PendingIdMissing,
        Odd::PostOfAnyTransfer,
        Odd::WrongAccountOnPost,
        Odd::WrongCurrencyOnPost,
        Odd::VoidWrongAmount,
    ]);
    prop_oneof![
        6 => (byte(), byte(), amount(), byte(), plausible()).prop_map(|(debit, credit, amount, currency, plausible)| {
            Step::Move { debit, credit, amount, currency, pending: false, timeout_s: 0, plausible }
        }),
        5 => (byte(), byte(), amount(), byte(), timeout_s, plausible()).prop_map(
            |(debit, credit, amount, currency, timeout_s, plausible)| Step::Move {
                debit, credit, amount, currency, pending: true, timeout_s, plausible,
            }
        ),
        4 => (byte(), post_amount, any::<bool>())
            .prop_map(|(target, amount, named)| Step::Post { target, amount, named }),
        2 => (byte(), any::<bool>()).prop_map(|(target, named)| Step::Void { target, named }),
        2 => (byte(), any::<bool>()).prop_map(|(target, due_only)| Step::Expiry { target, due_only }),
        3 => (byte(), change).prop_map(|(target, change)| Step::Retry { target, change }),
        2 => (odd, byte()).prop_map(|(kind, pick)| Step::Odd { kind, pick }),
    ]
}

fn request() -> impl Strategy<Value = Vec<Event>> {
    let event =
        (step(), prop::bool::weighted(0.2), 0..3u16).prop_map(|(step, linked, code)| Event { step, linked, code });
    prop::collection::vec(event, 1..=6)
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let requests =
        prop_oneof![4 => prop::collection::vec(request(), 1..=1), 1 => prop::collection::vec(request(), 2..=3)];
    let advance_s = prop_oneof![3 => Just(0u32), 1 => 1..=6u32];
    let batch = (advance_s, requests, any::<bool>()).prop_map(|(advance_s, requests, load_all)| Batch {
        advance_s,
        requests,
        load_all,
    });
    let account =
        (prop::sample::select(vec![0u32, 1, 2]), any::<bool>()).prop_map(|(flags, usd)| AccountSpec { flags, usd });
    let accounts = (any::<bool>(), prop::collection::vec(account, 3..=6)).prop_map(|(two_currencies, mut accounts)| {
        accounts.iter_mut().for_each(|a| a.usd &= two_currencies);
        accounts
    });
    (accounts, prop::bool::weighted(0.7), prop::collection::vec(batch, 1..=32))
        .prop_map(|(accounts, funded, batches)| Scenario { accounts, funded, batches })
}

// ---------------------------------------------------------------------------------------------
// The harness: kernel and model side by side.

struct Harness {
    now: TimestampUs,
    accounts: Vec<Account>,
    store: Store,
    model: Model,
    /// Every transfer submitted, in order, for retries and for naming a pending's fields.
    history: Vec<Transfer>,
    pending_ids: Vec<TransferId>,
    ids_issued: u32,
    seen: BTreeSet<&'static str>,
}

fn other(currency: Currency) -> Currency {
    if currency == Currency::KRW {
        Currency::USD
    } else {
        Currency::KRW
    }
}

impl Harness {
    /// Opens the accounts through a book, and checks that opening them again is idempotent.
    fn open(specs: &[AccountSpec]) -> Harness {
        let mut book = Book::new(START_US);
        let mut model = Model::default();
        let mut accounts = Vec::new();
        for (index, spec) in specs.iter().enumerate() {
            let currency = if spec.usd { Currency::USD } else { Currency::KRW };
            let flags = AccountFlags::from_bits(spec.flags).unwrap();
            let account = Account::open(AccountId(format!("a{index}")), currency, 1, flags);
            assert_eq!(book.create_account(account.clone()), AccountResult::Created);
            model.accounts.push(ModelAccount::of(&account));
            accounts.push(account);
        }
        let mut store = Store::default();
        store.fold(book.into_writes().expect("opening accounts conserves money"));
        let mut again = store.book(START_US, &[], true);
        assert_eq!(again.create_account(accounts[0].clone()), AccountResult::Exists);
        let mut changed = accounts[1].clone();
        changed.currency = other(changed.currency);
        assert_eq!(again.create_account(changed), AccountResult::ExistsWithDifferentFields);
        let writes = again.into_writes().unwrap();
        assert!(writes.accounts_created.is_empty() && writes.accounts_updated.is_empty());
        Harness {
            now: START_US,
            accounts,
            store,
            model,
            history: Vec::new(),
            pending_ids: Vec::new(),
            ids_issued: 0,
            seen: BTreeSet::new(),
        }
    }

    fn run(&mut self, batches: &[Batch]) {
        for batch in batches {
            self.now += i64::from(batch.advance_s) * SECOND_US;
            let mut requests = Vec::new();
            for events in &batch.requests {
                requests.push(events.iter().map(|e| self.build(e)).collect::<Vec<_>>());
            }
            self.commit(&requests, batch.load_all);
        }
    }

    /// One batch through one book, as the group committer does, and through the model.
    fn commit(&mut self, requests: &[Vec<Transfer>], load_all: bool) {
        let mut book = self.store.book(self.now, requests, load_all);
        for request in requests {
            let kernel = book.apply(request);
            let model = self.model.apply(self.now, request);
            assert_eq!(kernel, model, "results differ at {} for {request:#?}", self.now);
            self.seen.extend(kernel.iter().map(|r| r.code()));
            self.assert_book_matches(&book);
        }
        let writes = book.into_writes().expect("into_writes never fails");
        self.store.fold(writes);
        self.assert_store_matches_model();
        self.store.check_invariants();
    }

    /// Credits every account that may not overdraw, and debits every account whose credits
    /// may not exceed its debits, from a partner of the same currency that can take it.
    fn fund(&mut self) {
        let mut request = Vec::new();
        for account in self.accounts.clone() {
            let partner = self.accounts.iter().find(|p| p.currency == account.currency && p.flags != account.flags);
            let (Some(partner), false) = (partner, account.flags.bits() == 0) else { continue };
            let customer = account.flags.contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS);
            let (debit, credit) = if customer { (&partner.id, &account.id) } else { (&account.id, &partner.id) };
            let (debit, credit) = (debit.clone(), credit.clone());
            let transfer = movement(self.fresh_id(), &debit, &credit, 50, Some(account.currency));
            self.history.push(transfer.clone());
            request.push(transfer);
        }
        self.commit(&[request], true);
    }

    fn assert_book_matches(&self, book: &Book) {
        for account in &self.model.accounts {
            if let Some(loaded) = book.account(&AccountId(account.id.clone())) {
                assert_eq!(&ModelAccount::of(loaded), account, "book and model balances differ");
            }
        }
    }

    fn assert_store_matches_model(&self) {
        let stored: Vec<ModelAccount> = self.store.accounts.values().map(ModelAccount::of).collect();
        let mut modelled = self.model.accounts.clone();
        modelled.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(stored, modelled, "persisted and model balances differ");
        let transfers: Vec<StoredTransfer> = self.model.transfers.iter().map(ModelTransfer::to_stored).collect();
        assert_eq!(self.store.transfers, transfers, "persisted and model transfers differ");
    }

    fn fresh_id(&mut self) -> TransferId {
        self.ids_issued += 1;
        TransferId(format!("t{}", self.ids_issued))
    }

    /// Mostly an existing account, sometimes one nobody opened.
    fn account(&self, pick: u8) -> AccountId {
        match pick % 8 {
            7 => AccountId(GHOST_ACCOUNT.to_string()),
            n => self.accounts[usize::from(n) % self.accounts.len()].id.clone(),
        }
    }

    /// Two different open accounts of one currency, when the debit account has a partner.
    fn plausible_pair(&self, debit: u8, credit: u8) -> (AccountId, AccountId) {
        let debit = &self.accounts[usize::from(debit) % self.accounts.len()];
        let partners: Vec<&Account> =
            self.accounts.iter().filter(|a| a.currency == debit.currency && a.id != debit.id).collect();
        match partners.len() {
            0 => (debit.id.clone(), self.account(credit)),
            n => (debit.id.clone(), partners[usize::from(credit) % n].id.clone()),
        }
    }

    fn currency_of(&self, id: &AccountId) -> Currency {
        self.accounts.iter().find(|a| &a.id == id).map_or(Currency::KRW, |a| a.currency)
    }

    /// Mostly a recently stored pending transfer, often an unresolved one; sometimes any
    /// pending id submitted (perhaps earlier in this batch), any id at all, or one never issued.
    fn pending_target(&self, pick: u8) -> TransferId {
        let pending = |t: &&ModelTransfer| t.flags.contains(PENDING);
        let stored: Vec<&str> = self.model.transfers.iter().filter(pending).map(|t| t.id.as_str()).collect();
        let open: Vec<&str> = stored.iter().copied().filter(|id| self.model.resolution(id).is_none()).collect();
        let back = usize::from(pick / 16);
        let recent = |ids: &[&str]| TransferId(ids[ids.len() - 1 - back % ids.len()].to_string());
        let submitted = &self.pending_ids;
        match pick % 16 {
            0 => TransferId(format!("missing{pick}")),
            1 if !self.history.is_empty() => {
                self.history[self.history.len() - 1 - back % self.history.len()].id.clone()
            }
            2..=4 if !submitted.is_empty() => submitted[submitted.len() - 1 - back % submitted.len()].clone(),
            2..=10 if !open.is_empty() => recent(&open),
            _ if !stored.is_empty() => recent(&stored),
            _ if !submitted.is_empty() => submitted[submitted.len() - 1 - back % submitted.len()].clone(),
            _ => TransferId(format!("missing{pick}")),
        }
    }

    /// The pending transfer as it was last submitted, if it was.
    fn submitted_pending(&self, id: &TransferId) -> Option<&Transfer> {
        self.history.iter().rev().find(|t| &t.id == id && t.flags.contains(PENDING))
    }

    fn build(&mut self, event: &Event) -> Transfer {
        let mut transfer = match &event.step {
            Step::Retry { target, change } if !self.history.is_empty() => self.retry(*target, change),
            Step::Retry { .. } => self.odd(Odd::AccountsMissing, 0),
            Step::Odd { kind, pick } => self.odd(*kind, *pick),
            step => self.fresh(step),
        };
        if !matches!(event.step, Step::Retry { .. }) {
            transfer.code = event.code;
            if event.linked {
                transfer.flags = transfer.flags.union(LINKED);
            }
        }
        if transfer.flags.contains(PENDING) {
            self.pending_ids.push(transfer.id.clone());
        }
        self.history.push(transfer.clone());
        transfer
    }

    fn fresh(&mut self, step: &Step) -> Transfer {
        let id = self.fresh_id();
        match *step {
            Step::Move { debit, credit, amount, currency, pending, timeout_s, plausible } => {
                let (debit, credit) = match plausible {
                    true => self.plausible_pair(debit, credit),
                    false => (self.account(debit), self.account(credit)),
                };
                let own = self.currency_of(&debit);
                let currency = match (plausible, currency % 10) {
                    (false, 0) => None,
                    (false, 1) => Some(other(own)),
                    _ => Some(own),
                };
                let mut t = movement(id, &debit, &credit, amount, currency);
                if pending {
                    t.flags = PENDING;
                    t.timeout_s = timeout_s;
                }
                t
            }
            Step::Post { target, amount, named } => {
                let mut t = self.resolution(id, POST, self.pending_target(target), named);
                t.amount = amount.map(|a| Amount::new(a).unwrap());
                t
            }
            Step::Void { target, named } => self.resolution(id, VOID, self.pending_target(target), named),
            Step::Expiry { target, due_only } => {
                let due: Vec<&TransferId> =
                    self.store.expiries.iter().filter(|(_, at)| **at <= self.now).map(|(id, _)| id).collect();
                let pending_id = match due.len() {
                    n if due_only && n > 0 => due[usize::from(target) % n].clone(),
                    _ => self.pending_target(target),
                };
                self.resolution(id, VOID.union(EXPIRY), pending_id, false)
            }
            Step::Retry { .. } | Step::Odd { .. } => unreachable!("built elsewhere"),
        }
    }

    /// A post or void of `pending_id`; `named` repeats the pending's fields (and, for a
    /// void, its amount).
    fn resolution(&self, id: TransferId, flags: TransferFlags, pending_id: TransferId, named: bool) -> Transfer {
        let mut t = blank(id, flags);
        if let (true, Some(p)) = (named, self.submitted_pending(&pending_id)) {
            t.debit_account = p.debit_account.clone();
            t.credit_account = p.credit_account.clone();
            t.currency = p.currency;
            if flags.contains(VOID) {
                t.amount = p.amount;
            }
        }
        t.pending_id = Some(pending_id);
        t
    }

    fn retry(&mut self, target: u8, change: &Change) -> Transfer {
        let n = self.history.len();
        let mut t = self.history[n - 1 - usize::from(target) % n.min(32)].clone();
        match change {
            Change::Same => {}
            Change::Amount => {
                t.amount = Some(Amount::new(t.amount.map_or(1, |a| a.minor_units().saturating_add(1))).unwrap())
            }
            Change::Code => t.code += 1,
            Change::Linked => t.flags = TransferFlags::from_bits(t.flags.bits() ^ LINKED.bits()).unwrap(),
            Change::DebitDropped => t.debit_account = None,
            Change::CurrencyDropped => t.currency = None,
            Change::DebitSwapped => t.debit_account = t.credit_account.clone().or(Some(self.account(0))),
        }
        t
    }

    fn odd(&mut self, kind: Odd, pick: u8) -> Transfer {
        let id = self.fresh_id();
        let debit = self.account(pick);
        let credit = self.account(pick.wrapping_add(1));
        let currency = Some(self.currency_of(&debit));
        let target = self.pending_target(pick);
        let pending_currency = self.submitted_pending(&target).and_then(|p| p.currency).unwrap_or(Currency::KRW);
        let mut t = movement(id.clone(), &debit, &credit, 3, currency);
        match kind {
            Odd::PendingAndPost => {
                t.flags = PENDING.union(POST);
                t.pending_id = Some(target);
            }
            Odd::ExpiryWithoutVoid => {
                t.flags = EXPIRY.union(POST);
                t.pending_id = Some(target);
            }
            Odd::AmountMissing => t.amount = None,
            Odd::SameAccounts => t.credit_account = Some(debit),
            Odd::AccountsMissing => t.debit_account = None,
            Odd::PendingIdOnMove => t.pending_id = Some(target),
            Odd::TimeoutOnMove => t.timeout_s = 3,
            Odd::TimeoutOnPost => {
                t = self.resolution(id, POST, target, false);
                t.timeout_s = 1;
            }
            Odd::PendingIdMissing => t = blank(id, POST),
            Odd::PostOfAnyTransfer => {
                let n = self.history.len();
                let any = if n == 0 { target } else { self.history[n - 1 - usize::from(pick) % n].id.clone() };
                t = self.resolution(id, POST, any, false);
            }
            Odd::WrongAccountOnPost => {
                t = self.resolution(id, POST, target, false);
                t.debit_account = Some(debit);
            }
            Odd::WrongCurrencyOnPost => {
                t = self.resolution(id, POST, target, false);
                t.currency = Some(other(pending_currency));
            }
            Odd::VoidWrongAmount => {
                let held = self.submitted_pending(&target).and_then(|p| p.amount).map_or(0, |a| a.minor_units());
                t = self.resolution(id, VOID, target, false);
                t.amount = Amount::new(held.saturating_add(1));
            }
        }
        t
    }
}

fn blank(id: TransferId, flags: TransferFlags) -> Transfer {
    Transfer {
        id,
        debit_account: None,
        credit_account: None,
        amount: None,
        currency: None,
        code: 0,
        flags,
        pending_id: None,
        timeout_s: 0,
    }
}

fn movement(
    id: TransferId,
    debit: &AccountId,
    credit: &AccountId,
    amount: i64,
    currency: Option<Currency>,
) -> Transfer {
    Transfer {
        debit_account: Some(debit.clone()),
        credit_account: Some(credit.clone()),
        amount: Some(Amount::new(amount).unwrap()),
        currency,
        ..blank(id, TransferFlags::default())
    }
}

fn run_scenario(scenario: &Scenario) -> BTreeSet<&'static str> {
    let mut harness = Harness::open(&scenario.accounts);
    if scenario.funded {
        harness.fund();
    }
    harness.run(&scenario.batches);
    harness.seen
}

/// `CASES`, or `PROPTEST_CASES` from the environment for a longer run.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(CASES)
}

proptest! {
    #![proptest_config(Config { cases: cases(), ..Config::default() })]

    #[test]
    fn kernel_agrees_with_the_model(scenario in scenario()) {
        run_scenario(&scenario);
    }
}

/// Guards the generator: a fixed set of scenarios must reach every result there is, so the
/// property above cannot pass by never getting near a rule.
#[test]
fn generator_reaches_every_result() {
    use proptest::strategy::ValueTree;
    let mut runner = TestRunner::deterministic();
    let strategy = scenario();
    let mut seen = BTreeSet::new();
    for _ in 0..64 {
        let scenario = strategy.new_tree(&mut runner).unwrap().current();
        seen.extend(run_scenario(&scenario));
    }
    use TransferResult::*;
    let all = [
        Created,
        Exists,
        ExistsWithDifferentFields,
        LinkedEventFailed,
        LinkedEventChainOpen,
        FlagsAreMutuallyExclusive,
        AmountMustNotBeZero,
        AccountsMustBeDifferent,
        AccountsRequired,
        AccountNotFound,
        CurrencyMismatch,
        PendingIdRequired,
        PendingIdMustBeAbsent,
        TimeoutReservedForPendingTransfer,
        PendingNotFound,
        PendingNotPending,
        PendingHasDifferentFields,
        PendingAlreadyPosted,
        PendingAlreadyVoided,
        PendingExpired,
        ExceedsPendingAmount,
        ExceedsCredits,
        ExceedsDebits,
        Overflow,
    ];
    let missing: Vec<&str> = all.iter().map(|r| r.code()).filter(|c| !seen.contains(c)).collect();
    assert!(missing.is_empty(), "never produced: {missing:?}");
}

// ---------------------------------------------------------------------------------------------
// The named edge cases, one by one.

const WORLD: &str = "world";
const ALICE: &str = "alice";
const SHOP: &str = "shop";

/// A book with a funding account, a customer (who may not go below zero) and a merchant.
fn edge_book(now: TimestampUs) -> Book {
    let mut book = Book::new(now);
    let customer = AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS;
    for (id, flags) in [(WORLD, AccountFlags::default()), (ALICE, customer), (SHOP, AccountFlags::default())] {
        book.load_account(Account::open(AccountId(id.to_string()), Currency::KRW, 1, flags));
    }
    book
}

fn single(id: &str, debit: &str, credit: &str, amount: i64) -> Transfer {
    movement(
        TransferId(id.to_string()),
        &AccountId(debit.to_string()),
        &AccountId(credit.to_string()),
        amount,
        Some(Currency::KRW),
    )
}

fn pending(id: &str, debit: &str, credit: &str, amount: i64, timeout_s: u32) -> Transfer {
    Transfer { flags: PENDING, timeout_s, ..single(id, debit, credit, amount) }
}

fn resolve(id: &str, flags: TransferFlags, pending_id: &str, amount: Option<i64>) -> Transfer {
    Transfer {
        amount: amount.map(|a| Amount::new(a).unwrap()),
        pending_id: Some(TransferId(pending_id.to_string())),
        ..blank(TransferId(id.to_string()), flags)
    }
}

fn linked(transfer: Transfer) -> Transfer {
    Transfer { flags: transfer.flags.union(LINKED), ..transfer }
}

fn balances(book: &Book, id: &str) -> [i64; 4] {
    let a = book.account(&AccountId(id.to_string())).unwrap();
    [a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted].map(Amount::minor_units)
}

#[test]
fn a_chain_open_at_the_end_of_a_request_fails_as_a_whole() {
    use TransferResult::*;
    let mut book = edge_book(START_US);
    let request =
        [single("t0", WORLD, ALICE, 10), linked(single("t1", WORLD, ALICE, 5)), linked(single("t2", WORLD, SHOP, 5))];
    assert_eq!(book.apply(&request), [Created, LinkedEventFailed, LinkedEventChainOpen]);
    assert_eq!(balances(&book, ALICE), [0, 0, 0, 10]);
    assert_eq!(balances(&book, SHOP), [0, 0, 0, 0]);
    // When an earlier link fails on its own, it keeps its error and the open end reports
    // linked_event_failed, which TigerBeetle documents as the higher precedence.
    let request = [linked(single("t3", ALICE, SHOP, 11)), linked(single("t4", WORLD, SHOP, 1))];
    assert_eq!(book.apply(&request), [ExceedsCredits, LinkedEventFailed]);
    let writes = book.into_writes().unwrap();
    let written: Vec<&str> = writes.transfers.iter().map(|t| t.id.0.as_str()).collect();
    assert_eq!(written, ["t0"]);
}

#[test]
fn a_chain_failing_in_the_middle_undoes_its_earlier_links() {
    use TransferResult::*;
    let mut book = edge_book(START_US);
    let request = [
        linked(single("t1", WORLD, ALICE, 10)),
        linked(pending("t2", ALICE, SHOP, 4, 0)),
        linked(resolve("t3", POST, "t2", Some(5))),
        single("t4", WORLD, SHOP, 1),
        single("t5", WORLD, SHOP, 2),
    ];
    let results = book.apply(&request);
    assert_eq!(results, [LinkedEventFailed, LinkedEventFailed, ExceedsPendingAmount, LinkedEventFailed, Created]);
    assert_eq!(balances(&book, ALICE), [0, 0, 0, 0]);
    assert_eq!(balances(&book, SHOP), [0, 0, 0, 2]);
    // The failed chain's pending transfer was never stored, so it cannot be posted later.
    assert_eq!(book.apply(&[resolve("t6", POST, "t2", None)]), [PendingNotFound]);
}

#[test]
fn a_partial_post_releases_the_rest_of_the_hold() {
    use TransferResult::*;
    let mut book = edge_book(START_US);
    assert_eq!(book.apply(&[single("fund", WORLD, ALICE, 10), pending("hold", ALICE, SHOP, 8, 0)]), [Created, Created]);
    assert_eq!(balances(&book, ALICE), [8, 0, 0, 10]);
    assert_eq!(book.apply(&[resolve("pay", POST, "hold", Some(5))]), [Created]);
    assert_eq!(balances(&book, ALICE), [0, 5, 0, 10]);
    assert_eq!(balances(&book, SHOP), [0, 0, 0, 5]);
    assert_eq!(book.account(&AccountId(ALICE.to_string())).unwrap().available_credit(), 5);
    assert_eq!(book.transfer(&TransferId("pay".to_string())).unwrap().amount, Amount::new(5).unwrap());
    // The released 3 is spendable again, and the hold cannot be resolved a second time.
    let again =
        [resolve("pay2", POST, "hold", Some(3)), resolve("drop", VOID, "hold", None), single("spend", ALICE, SHOP, 5)];
    assert_eq!(book.apply(&again), [PendingAlreadyPosted, PendingAlreadyPosted, Created]);
    let writes = book.into_writes().unwrap();
    assert_eq!(writes.expiries_added, []);
    assert_eq!(writes.expiries_removed, [TransferId("hold".to_string())]);
}

#[test]
fn a_retry_is_exists_only_with_the_same_fields() {
    use TransferResult::*;
    let mut book = edge_book(START_US);
    let fund = single("fund", WORLD, ALICE, 10);
    assert_eq!(book.apply(&[fund.clone(), pending("hold", ALICE, SHOP, 4, 0)]), [Created, Created]);
    assert_eq!(book.apply(&[resolve("pay", POST, "hold", Some(4))]), [Created]);
    let changed = [
        Transfer { amount: Amount::new(11), ..fund.clone() },
        Transfer { code: 7, ..fund.clone() },
        Transfer { credit_account: Some(AccountId(SHOP.to_string())), ..fund.clone() },
        // A single-phase transfer has no fields to leave out: missing ones differ.
        Transfer { debit_account: None, ..fund.clone() },
        Transfer { currency: None, ..fund.clone() },
        Transfer { flags: PENDING, ..fund.clone() },
    ];
    for retry in changed {
        assert_eq!(book.apply(std::slice::from_ref(&retry)), [ExistsWithDifferentFields], "{retry:?}");
    }
    assert_eq!(book.apply(std::slice::from_ref(&fund)), [Exists]);
    // A post may leave out what the pending transfer fixes, or repeat it.
    let post = resolve("pay", POST, "hold", None);
    let named =
        Transfer { debit_account: Some(AccountId(ALICE.to_string())), currency: Some(Currency::KRW), ..post.clone() };
    assert_eq!(book.apply(&[post.clone(), named]), [Exists, Exists]);
    assert_eq!(book.apply(&[resolve("pay", POST, "hold", Some(3))]), [ExistsWithDifferentFields]);
    // Inside a linked chain, `exists` counts as success; the link flag is a field like any other.
    let first = linked(single("first", WORLD, ALICE, 1));
    assert_eq!(book.apply(&[first.clone(), single("second", WORLD, SHOP, 1)]), [Created, Created]);
    assert_eq!(book.apply(&[first, single("third", WORLD, ALICE, 1)]), [Exists, Created]);
    assert_eq!(
        book.apply(&[linked(fund), single("fourth", WORLD, ALICE, 1)]),
        [ExistsWithDifferentFields, LinkedEventFailed]
    );
    assert_eq!(balances(&book, ALICE), [0, 4, 0, 12]);
}

#[test]
fn a_timeout_decides_between_expiry_and_the_caller() {
    use TransferResult::*;
    let mut book = edge_book(START_US);
    let request =
        [single("fund", WORLD, ALICE, 10), pending("hold", ALICE, SHOP, 6, 2), pending("hold2", ALICE, SHOP, 1, 2)];
    assert_eq!(book.apply(&request), [Created, Created, Created]);
    // Before the timeout the worker is early; at it the caller is late.
    assert_eq!(book.apply(&[resolve("x1", VOID.union(EXPIRY), "hold", None)]), [PendingExpired]);
    let accounts = [WORLD, ALICE, SHOP]
        .map(|id| (AccountId(id.to_string()), book.account(&AccountId(id.to_string())).unwrap().clone()))
        .into();
    let mut store = Store { accounts, ..Store::default() };
    store.fold(book.into_writes().unwrap());
    let mut later = store.book(START_US + 2 * SECOND_US, &[], true);
    assert_eq!(
        later.apply(&[resolve("p1", POST, "hold", None), resolve("v1", VOID, "hold", None)]),
        [PendingExpired, PendingExpired]
    );
    let expire = [resolve("x2", VOID.union(EXPIRY), "hold", None), resolve("x3", VOID.union(EXPIRY), "hold", None)];
    assert_eq!(later.apply(&expire), [Created, PendingExpired]);
    assert_eq!(balances(&later, ALICE), [1, 0, 0, 10]);
    store.fold(later.into_writes().unwrap());
    store.check_invariants();
    assert_eq!(store.expiries.keys().map(|id| id.0.as_str()).collect::<Vec<_>>(), ["hold2"]);
}
