//! Secret tokens for links and sessions: random, shown once, stored only as keyed hashes.

use rand::distributions::Alphanumeric;
use rand::Rng;

/// Tokens are this long: 43 random letters and digits (about 256 bits).
const TOKEN_LEN: usize = 43;

/// A fresh secret token.
pub fn new_token() -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(TOKEN_LEN).map(char::from).collect()
}

/// Whether `token` could be one of ours; anything else is not even hashed.
pub fn plausible_token(token: &str) -> bool {
    token.len() == TOKEN_LEN && token.bytes().all(|b| b.is_ascii_alphanumeric())
}
