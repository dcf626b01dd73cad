//! Cash-out: binding quotes, the hold, confirmation with a one-time code, the risk
//! decision, review, and the rails' progress, with the money following every step.
//!
//! See docs/CASHOUT.md for the states and the rules.

pub mod auto;
pub mod bank;
pub mod disputes;
pub mod ewallet;
pub mod flow;
pub mod money;
pub mod otp;
pub mod pickup;
pub mod quote;
pub mod rail;
pub mod sandbox;
