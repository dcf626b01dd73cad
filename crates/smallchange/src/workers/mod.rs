//! Background work that happens after a request: pending-transfer timeouts and the
//! clean-up of old idempotency records. Each worker stops when told to, between rounds.

pub mod expiry;
pub mod purge;
