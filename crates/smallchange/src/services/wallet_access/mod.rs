//! How a person gets into the web wallet (`/wallet/`) and stays in: a one-time link the
//! operator makes for its user ([`links`]), or a phone number and a code sent by SMS
//! ([`sign_in`]); either opens a server-side session ([`sessions`]) that reaches only that
//! user. Secrets are random, shown once, and stored as keyed hashes.

pub mod links;
pub mod sessions;
pub mod sign_in;

use rand::distributions::Alphanumeric;
use rand::Rng;

/// A fresh secret token: 43 random letters and digits (about 256 bits).
fn new_token() -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(43).map(char::from).collect()
}

/// Tokens are at most this long; anything longer is not one of ours and is not hashed.
const TOKEN_LEN: usize = 43;

fn plausible_token(token: &str) -> bool {
    token.len() == TOKEN_LEN && token.bytes().all(|b| b.is_ascii_alphanumeric())
}
