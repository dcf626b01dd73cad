//! How a person gets into the web wallet (`/wallet/`) and stays in: a one-time link the
//! operator makes for its user ([`links`]), or a phone number and a code sent by SMS
//! ([`sign_in`]); either opens a server-side session ([`sessions`]) that reaches only that
//! user. Secrets are random, shown once, and stored as keyed hashes.

pub mod links;
pub mod sessions;
pub mod sign_in;

use crate::services::tokens::{new_token, plausible_token};
