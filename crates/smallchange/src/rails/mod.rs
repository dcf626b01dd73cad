//! Payout rails: how a cash-out leaves smallchange, one module per partner's language.

pub mod ewallet;
