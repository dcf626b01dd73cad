//! Parsed input types: built once from a request by `parse`, so everything past the
//! handler can rely on them being valid.

pub mod bank_link;
pub mod cashout_policy;
pub mod cutoff;
pub mod destination;
pub mod ewallet_partner;
pub mod fees;
pub mod gift_card;
pub mod money;
pub mod pocket;
pub mod policy;
pub mod spend;
pub mod statement;
pub mod topup;
pub mod totp;
pub mod user;
