//! Parsed input types: built once from a request by `parse`, so everything past the
//! handler can rely on them being valid.
//!
//! Nothing here names what is above it (`config`, `services`, the doors): a parser takes the
//! limit it needs as an argument (`parse_amount(value, amount_max, field)`), not the
//! settings, and answers its own [`Invalid`], which `services::Error` takes in with `?`.

pub mod bank_link;
pub mod cashout_policy;
pub mod cutoff;
pub mod destination;
pub mod ewallet_partner;
pub mod fees;
pub mod gift_card;
pub mod invalid;
pub mod money;
pub mod operator;
pub mod payment;
pub mod pocket;
pub mod policy;
pub mod spend;
pub mod statement;
pub mod text;
pub mod topup;
pub mod totp;
pub mod user;
pub mod webhook;

pub use invalid::Invalid;
