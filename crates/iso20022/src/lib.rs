//! ISO 20022 for smallchange's bank payout rail, as pure functions: no IO, no database, no
//! clock, nothing of smallchange but the money types of the `ledger` crate.
//!
//! A payout batch goes to the operator's bank as one pain.001.001.09 credit-transfer
//! initiation ([`pain001`]; [`problem`] says first why a batch could not be one); the bank
//! answers with pain.002 status reports and camt.054 notifications ([`parse_report`]). The cash-out id travels as each payment's
//! `EndToEndId` and comes back in every report, which is how an outcome finds its cash-out;
//! applying it (and applying it only once) is the caller's job.

mod pain001;
mod reports;
mod tree;

pub use pain001::{account_problem, pain001, problem, CreditTransfer, Debtor};
pub use reports::{parse_report, Outcome, Report, ReportEntry, ReportError, ReportKind, REPORT_LEN_MAX_BYTES};

#[cfg(test)]
mod tests;
