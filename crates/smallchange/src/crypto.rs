//! Secrets at rest: the one server key, what it seals and the blind indexes it computes.
//!
//! Values that would let someone act as a user if the database leaked (TOTP secrets,
//! gift-card codes) are stored sealed with AES-256-GCM under a 32-byte key that lives
//! outside the database: the `encryption_key` setting, or on SQLite a `PATH.key` file
//! beside the database. A sealed value is `v1:` + base64(nonce ‖ ciphertext ‖ tag); the
//! version lets a later key or cipher be introduced without guessing. A value that must be
//! found by what it is (a code typed at redemption) is also stored as a keyed hash,
//! [`Secrets::lookup_hash`], so an index can match it without holding it in plain text.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::Context;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::config::Settings;

/// Bytes in the key, and hex characters in its written form.
const KEY_LEN: usize = 32;
const KEY_HEX_LEN: usize = 2 * KEY_LEN;
/// AES-GCM's standard 96-bit nonce, random for every seal.
const NONCE_LEN: usize = 12;
/// What every value sealed by this version starts with.
const SEALED_V1: &str = "v1:";

/// The server key. Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct Secrets {
    key: [u8; KEY_LEN],
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets([redacted])")
    }
}

impl Secrets {
    pub fn from_key(key: [u8; KEY_LEN]) -> Secrets {
        Secrets { key }
    }

    /// The key from `encryption_key`; if that is empty, from (or, the first time, into) the
    /// key file beside a SQLite database. PostgreSQL has no file of ours to keep it in, so
    /// there the setting is required.
    pub fn load(settings: &Settings) -> anyhow::Result<Secrets> {
        if !settings.encryption_key.is_empty() {
            // The message never repeats the value: it may be a real key with a typo.
            return parse_key(&settings.encryption_key).context("encryption_key is malformed");
        }
        match sqlite_path(&settings.db) {
            Some(SqliteFile::Memory) => Ok(Secrets::from_key(random_key())),
            Some(SqliteFile::Path(db_path)) => key_file(&key_path(&db_path)),
            None => anyhow::bail!(
                "encryption_key is not set: on PostgreSQL smallchange needs it to protect TOTP secrets and \
                 gift-card codes. Set encryption_key in the settings file or SMALLCHANGE_ENCRYPTION_KEY to 64 \
                 hex characters (e.g. the output of `openssl rand -hex 32`), and back it up"
            ),
        }
    }

    /// Encrypts `plaintext` under a fresh random nonce.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ciphertext =
            self.cipher().encrypt(Nonce::from_slice(&nonce), plaintext).expect("AES-GCM encrypts any length we store");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        format!("{SEALED_V1}{}", BASE64.encode(out))
    }

    /// Decrypts what [`Secrets::seal`] made; fails if it was sealed under another key, was
    /// altered, or is not a sealed value of a version we know.
    pub fn open(&self, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let encoded = sealed.strip_prefix(SEALED_V1).context("not a sealed value of a known version")?;
        let bytes = BASE64.decode(encoded).context("a sealed value is not valid base64")?;
        anyhow::ensure!(bytes.len() > NONCE_LEN, "a sealed value is too short");
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.cipher()
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| anyhow::anyhow!("a sealed value does not open with this key (wrong key or altered)"))
    }

    /// HMAC-SHA256 of `value` under a key derived for `purpose`, in hex: equal values give
    /// equal hashes, and hashes for one purpose say nothing about another's.
    pub fn lookup_hash(&self, purpose: &str, value: &str) -> String {
        let subkey = hmac_sha256(&self.key, format!("smallchange lookup {purpose}").as_bytes());
        hex::encode(hmac_sha256(&subkey, value.as_bytes()))
    }

    /// Whether `value` has the `stored` lookup hash for `purpose`: for checking a typed
    /// secret (a code, a PIN) kept only as its hash. Compares in constant time.
    pub fn lookup_matches(&self, purpose: &str, value: &str, stored: &str) -> bool {
        let given = self.lookup_hash(purpose, value);
        given.len() == stored.len() && given.bytes().zip(stored.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    /// HMAC-SHA256 of `message` under a key derived for signing `purpose` (a receipt link),
    /// in hex. The derivation label differs from [`Secrets::lookup_hash`]'s, so no signing
    /// key is ever a lookup key or the sealing key, and one purpose's signatures are worthless
    /// for another.
    pub fn sign(&self, purpose: &str, message: &str) -> String {
        let subkey = hmac_sha256(&self.key, format!("smallchange signature {purpose}").as_bytes());
        hex::encode(hmac_sha256(&subkey, message.as_bytes()))
    }

    /// Whether `given` is [`Secrets::sign`]'s signature of `message` for `purpose`. Compares
    /// in constant time, so timing says nothing about how much of a forgery was right.
    pub fn signature_matches(&self, purpose: &str, message: &str, given: &str) -> bool {
        let expected = self.sign(purpose, message);
        expected.len() == given.len() && expected.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(&self.key).expect("a 32-byte key")
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn random_key() -> [u8; KEY_LEN] {
    let mut key = [0u8; KEY_LEN];
    rand::thread_rng().fill_bytes(&mut key);
    key
}

fn parse_key(text: &str) -> anyhow::Result<Secrets> {
    let text = text.trim();
    let bytes = hex::decode(text).ok().filter(|_| text.len() == KEY_HEX_LEN);
    let key = bytes.and_then(|b| <[u8; KEY_LEN]>::try_from(b).ok()).with_context(|| {
        format!("the key must be {KEY_HEX_LEN} hexadecimal characters (32 bytes), e.g. from `openssl rand -hex 32`")
    })?;
    Ok(Secrets::from_key(key))
}

enum SqliteFile {
    Memory,
    Path(PathBuf),
}

/// The database file of a `sqlite:` URL; `None` for any other database.
fn sqlite_path(url: &str) -> Option<SqliteFile> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.split('&').any(|p| p == "mode=memory") {
        return Some(SqliteFile::Memory);
    }
    Some(SqliteFile::Path(PathBuf::from(path)))
}

/// `PATH.key` for the database at `PATH`.
fn key_path(db_path: &Path) -> PathBuf {
    let mut name = db_path.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

/// Reads the key file, or creates it with a new key if there is none.
fn key_file(path: &Path) -> anyhow::Result<Secrets> {
    if !path.exists() {
        create_key_file(path)?;
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the key file {}", path.display()))?;
    parse_key(&text).with_context(|| format!("the key file {} is malformed", path.display()))
}

/// Writes a new random key to `path`, readable by its owner only. The key is written to a
/// temporary file first and then linked into place, which fails if the file exists: two
/// servers starting at once on one database end up sharing whichever key was first, and
/// nobody ever reads a half-written file.
fn create_key_file(path: &Path) -> anyhow::Result<()> {
    let temporary = PathBuf::from(format!("{}.{:016x}.tmp", path.display(), rand::random::<u64>()));
    let written = write_private(&temporary, hex::encode(random_key()).as_bytes());
    let linked = written.and_then(|()| link_if_absent(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    let created = linked
        .with_context(|| format!("cannot create the key file {} (or set encryption_key instead)", path.display()))?;
    if created {
        tracing::warn!(
            key_file = %path.display(),
            "generated a new encryption key for TOTP secrets and gift-card codes: back this file up \
             with the database; without it they cannot be read"
        );
    }
    Ok(())
}

/// Links `from` as `to` unless `to` exists; `false` if it did (another server made it).
fn link_if_absent(from: &Path, to: &Path) -> std::io::Result<bool> {
    match std::fs::hard_link(from, to) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(error) => Err(error),
    }
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(byte: u8) -> Secrets {
        Secrets::from_key([byte; KEY_LEN])
    }

    #[test]
    fn sealed_values_open_again() {
        let s = secrets(7);
        for plaintext in [&b""[..], b"JBSWY3DPEHPK3PXP", &[0u8; 1000]] {
            let sealed = s.seal(plaintext);
            assert!(sealed.starts_with("v1:"), "{sealed}");
            assert_eq!(s.open(&sealed).unwrap(), plaintext);
        }
        assert_ne!(s.seal(b"same"), s.seal(b"same"), "a fresh nonce every time");
    }

    #[test]
    fn tampering_is_detected() {
        let s = secrets(7);
        let sealed = s.seal(b"a secret");
        let mut bytes = BASE64.decode(&sealed[3..]).unwrap();
        for at in [0, NONCE_LEN, bytes.len() - 1] {
            bytes[at] ^= 1;
            assert!(s.open(&format!("v1:{}", BASE64.encode(&bytes))).is_err(), "byte {at} flipped");
            bytes[at] ^= 1;
        }
        assert!(s.open(&sealed.replacen("v1:", "v2:", 1)).is_err(), "unknown version");
        assert!(s.open("v1:AAAA").is_err(), "too short");
        assert!(s.open("plain text").is_err());
    }

    #[test]
    fn another_key_cannot_open() {
        let sealed = secrets(7).seal(b"a secret");
        let error = secrets(8).open(&sealed).unwrap_err();
        assert!(error.to_string().contains("wrong key"), "{error}");
    }

    #[test]
    fn lookup_hashes_are_deterministic_and_kept_apart_by_purpose() {
        let s = secrets(7);
        let hash = s.lookup_hash("gift_card", "ABCD-1234");
        assert_eq!(hash, s.lookup_hash("gift_card", "ABCD-1234"));
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, s.lookup_hash("gift_card", "ABCD-1235"));
        assert_ne!(hash, s.lookup_hash("voucher", "ABCD-1234"));
        assert_ne!(hash, secrets(8).lookup_hash("gift_card", "ABCD-1234"));
        assert!(s.lookup_matches("gift_card", "ABCD-1234", &hash));
        assert!(!s.lookup_matches("gift_card", "ABCD-1235", &hash));
        assert!(!s.lookup_matches("voucher", "ABCD-1234", &hash));
        assert!(!s.lookup_matches("gift_card", "ABCD-1234", &hash[..63]));
    }

    #[test]
    fn signatures_use_a_key_of_their_own() {
        let s = secrets(7);
        let sig = s.sign("receipt-link", "po_1.1800000000");
        assert_eq!(sig.len(), 64);
        assert!(s.signature_matches("receipt-link", "po_1.1800000000", &sig));
        assert!(!s.signature_matches("receipt-link", "po_2.1800000000", &sig), "another message");
        assert!(!s.signature_matches("other", "po_1.1800000000", &sig), "another purpose");
        assert!(!secrets(8).signature_matches("receipt-link", "po_1.1800000000", &sig), "another key");
        assert!(!s.signature_matches("receipt-link", "po_1.1800000000", &sig[..63]));
        assert_ne!(sig, s.lookup_hash("receipt-link", "po_1.1800000000"), "not the lookup key");
    }

    fn settings(db: &str, encryption_key: &str) -> Settings {
        Settings { db: db.into(), encryption_key: encryption_key.into(), ..Settings::default() }
    }

    #[test]
    fn the_setting_wins_and_must_be_well_formed() {
        let key = "0f".repeat(32);
        let loaded = Secrets::load(&settings("postgres://x/y", &key)).unwrap();
        assert_eq!(loaded.key, [0x0f; KEY_LEN]);
        for bad in ["0f".repeat(31), "zz".repeat(32), "0f".repeat(33), "not a key".into()] {
            let error = format!("{:#}", Secrets::load(&settings("postgres://x/y", &bad)).unwrap_err());
            assert!(error.contains("encryption_key is malformed") && error.contains("64 hexadecimal"), "{error}");
            assert!(!error.contains(&bad), "the value is never repeated: {error}");
        }
    }

    #[test]
    fn postgres_needs_the_setting() {
        let error = format!("{:#}", Secrets::load(&settings("postgres://x/y", "")).unwrap_err());
        assert!(error.contains("SMALLCHANGE_ENCRYPTION_KEY"), "{error}");
    }

    #[test]
    fn sqlite_keeps_a_private_key_file_beside_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("wallet.db");
        let url = format!("sqlite://{}?mode=rwc", db.display());
        let first = Secrets::load(&settings(&url, "")).unwrap();
        let file = dir.path().join("wallet.db.key");
        let again = Secrets::load(&settings(&url, "")).unwrap();
        assert_eq!(first.key, again.key, "the second start reads the same key");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), hex::encode(first.key));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");

        std::fs::write(&file, "short").unwrap();
        let error = format!("{:#}", Secrets::load(&settings(&url, "")).unwrap_err());
        assert!(error.contains("wallet.db.key") && error.contains("malformed"), "{error}");
        assert!(Secrets::load(&settings("sqlite::memory:", "")).is_ok());
    }

    #[test]
    fn servers_starting_together_share_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("wallet.db").display());
        let keys: Vec<[u8; KEY_LEN]> = std::thread::scope(|scope| {
            let loads: Vec<_> =
                (0..8).map(|_| scope.spawn(|| Secrets::load(&settings(&url, "")).unwrap().key)).collect();
            loads.into_iter().map(|l| l.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]), "every start got the key that was linked first");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
    }
}
