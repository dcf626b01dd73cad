//! Background work that happens after a request: pending-transfer timeouts, the clean-up
//! of old idempotency records, and cash-outs moving on. Each worker stops when told to,
//! between rounds.

pub mod cashouts;
pub mod expiry;
pub mod purge;
