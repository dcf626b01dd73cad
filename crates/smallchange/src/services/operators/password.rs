//! Operators' passwords as argon2id hashes (RFC 9106) in PHC strings, with the argon2
//! crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's recommended minimum). Hashing takes
//! tens of milliseconds by design, so it runs off the async threads.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::services::Error;

/// `password`'s hash, with a new random salt.
pub async fn hash(password: &str) -> Result<String, Error> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(Error::internal)?
    .map_err(Error::internal)
}

/// Whether `password` is the one `stored` was made from. With nothing stored (no such
/// operator, or one not set up) a hash is still checked, against a password nobody has, so
/// the answer takes as long either way and says nothing of who exists.
pub async fn matches(password: &str, stored: Option<&str>) -> bool {
    let password = password.to_string();
    let stored = stored.map(String::from);
    tokio::task::spawn_blocking(move || {
        let stored = stored.as_deref().unwrap_or_else(|| nobodys_hash());
        PasswordHash::new(stored)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            && stored != nobodys_hash()
    })
    .await
    .unwrap_or(false)
}

/// The hash of a random password made once per process.
fn nobodys_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let nobody = crate::services::tokens::new_token();
        Argon2::default().hash_password(nobody.as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_matches_its_password_only() {
        let stored = hash("correct horse battery").await.unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(matches("correct horse battery", Some(&stored)).await);
        assert!(!matches("correct horse batterY", Some(&stored)).await);
        assert!(!matches("correct horse battery", None).await);
        assert!(!matches("anything", Some("not a hash")).await);
    }
}
