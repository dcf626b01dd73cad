//! Transfers between two accounts of one currency, their flags, and the result of each.

use crate::account::AccountId;
use crate::amount::{Amount, Currency};

/// The store's key for a transfer: opaque to the kernel, unique, and the idempotency key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransferId(pub String);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TransferFlags(u32);

impl TransferFlags {
    /// This transfer succeeds or fails together with the next one in the request.
    pub const LINKED: TransferFlags = TransferFlags(1);
    /// Reserve the amount (phase one); a later post or void resolves it.
    pub const PENDING: TransferFlags = TransferFlags(2);
    /// Post (all or part of) the pending transfer named by `pending_id`.
    pub const POST_PENDING: TransferFlags = TransferFlags(4);
    /// Release the pending transfer named by `pending_id`.
    pub const VOID_PENDING: TransferFlags = TransferFlags(8);
    /// Set by the server only: this void is the pending transfer's timeout firing.
    pub const EXPIRY: TransferFlags = TransferFlags(16);
    const ALL: u32 = 31;

    pub fn from_bits(bits: u32) -> Option<TransferFlags> {
        (bits & !Self::ALL == 0).then_some(TransferFlags(bits))
    }
    pub fn bits(self) -> u32 {
        self.0
    }
    pub fn contains(self, other: TransferFlags) -> bool {
        self.0 & other.0 == other.0
    }
    pub fn union(self, other: TransferFlags) -> TransferFlags {
        TransferFlags(self.0 | other.0)
    }
    pub fn without(self, other: TransferFlags) -> TransferFlags {
        TransferFlags(self.0 & !other.0)
    }
    /// Post or void: the transfer resolves an earlier pending one.
    pub fn resolves_pending(self) -> bool {
        self.contains(Self::POST_PENDING) || self.contains(Self::VOID_PENDING)
    }
}

/// A transfer as a caller asks for it. For a post or void, the accounts, currency and
/// amount may be left out and are taken from the pending transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub id: TransferId,
    pub debit_account: Option<AccountId>,
    pub credit_account: Option<AccountId>,
    pub amount: Option<Amount>,
    pub currency: Option<Currency>,
    pub code: u16,
    pub flags: TransferFlags,
    pub pending_id: Option<TransferId>,
    /// Seconds after which a pending transfer voids itself; 0 means never.
    pub timeout_s: u32,
}

/// The outcome of one transfer. The `code()` strings are part of the public API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransferResult {
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
}

impl TransferResult {
    pub fn code(self) -> &'static str {
        use TransferResult::*;
        match self {
            Created => "created",
            Exists => "exists",
            ExistsWithDifferentFields => "exists_with_different_fields",
            LinkedEventFailed => "linked_event_failed",
            LinkedEventChainOpen => "linked_event_chain_open",
            FlagsAreMutuallyExclusive => "flags_are_mutually_exclusive",
            AmountMustNotBeZero => "amount_must_not_be_zero",
            AccountsMustBeDifferent => "accounts_must_be_different",
            AccountsRequired => "accounts_required",
            AccountNotFound => "account_not_found",
            CurrencyMismatch => "currency_mismatch",
            PendingIdRequired => "pending_id_required",
            PendingIdMustBeAbsent => "pending_id_must_be_absent",
            TimeoutReservedForPendingTransfer => "timeout_reserved_for_pending_transfer",
            PendingNotFound => "pending_not_found",
            PendingNotPending => "pending_not_pending",
            PendingHasDifferentFields => "pending_has_different_fields",
            PendingAlreadyPosted => "pending_already_posted",
            PendingAlreadyVoided => "pending_already_voided",
            PendingExpired => "pending_expired",
            ExceedsPendingAmount => "exceeds_pending_amount",
            ExceedsCredits => "exceeds_credits",
            ExceedsDebits => "exceeds_debits",
            Overflow => "overflow",
        }
    }

    /// Whether the transfer was applied now or had been applied before with these fields.
    pub fn is_ok(self) -> bool {
        matches!(self, TransferResult::Created | TransferResult::Exists)
    }
}
