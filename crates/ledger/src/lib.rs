//! The money kernel of smallchange: amounts, currencies, accounts, transfers and the rules
//! that decide whether a batch of transfers may be applied.
//!
//! The model is TigerBeetle's: an account keeps four counters (`debits_pending`,
//! `debits_posted`, `credits_pending`, `credits_posted`); a transfer is single-phase or
//! two-phase (pending, then post or void, optionally timing out); transfers may be `linked`
//! into all-or-nothing chains; a transfer id is its idempotency key. This crate does no IO:
//! the store loads the accounts and transfers a batch touches into a [`Book`], the book
//! applies the batch in memory and hands back what must be written, and the store writes it
//! in one database transaction. Every money write asserts its invariants on both sides.

mod account;
mod amount;
mod book;
mod hash;
mod transfer;

pub use account::{Account, AccountFlags, AccountId};
pub use amount::{Amount, Currency, CurrencyError};
pub use book::{AccountResult, Book, InvariantViolation, PendingState, StoredTransfer, WriteSet};
pub use transfer::{Transfer, TransferFlags, TransferId, TransferResult};

/// The most transfers one request, and one committed batch, may carry (as in TigerBeetle).
pub const BATCH_TRANSFERS_MAX: usize = 8_190;

/// The longest id a caller may choose: ids travel in ISO 20022 fields of 35 characters.
pub const ID_LEN_MAX: usize = 35;

/// A point in time as microseconds since the Unix epoch, UTC.
pub type TimestampUs = i64;
