//! Cash-out use cases: binding quotes, the hold, confirmation with a one-time code, the risk
//! decision, cancellation, and what the rails' partners report, with the money following
//! every step. The rails themselves (how a payout travels) are in [`crate::rails`].
//!
//! See docs/CASHOUT.md for the states and the rules.

pub mod auto;
pub mod bank_reports;
pub mod cash_pickup;
pub mod e_wallet;
pub mod flow;
pub mod money;
pub mod otp;
pub mod quote;
