//! Ed25519 note keys as C2SP `signed-note` names them. A key is known by its name and a
//! 4-byte key id, the start of SHA-256(name || "\n" || 0x01 || public key); a verifier key
//! is `<name>+<8 hex key id>+<base64(0x01 || public key)>`, the string Go's
//! `note.NewVerifier` reads. The seed comes from the caller, so this crate needs no RNG.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::signed::{is_valid_key_name, signature_line, split};
use crate::Error;

/// The signature type byte C2SP assigns to Ed25519.
const ALGORITHM_ED25519: u8 = 0x01;

/// Signs note bodies under one key name.
#[derive(Clone)]
pub struct Signer {
    name: String,
    key: SigningKey,
}

impl Signer {
    /// A signer from a 32-byte Ed25519 seed; the name must be non-empty with no '+' or
    /// whitespace.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Signer, Error> {
        if !is_valid_key_name(name) {
            return Err(Error::KeyNameInvalid(name.to_owned()));
        }
        Ok(Signer { name: name.to_owned(), key: SigningKey::from_bytes(&seed) })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The first 4 bytes of SHA-256(name || "\n" || 0x01 || public key).
    pub fn key_id(&self) -> [u8; 4] {
        key_id(&self.name, &self.public_key())
    }

    /// `<name>+<8 hex key id>+<base64(0x01 || public key)>`, as sumdb/note reads it.
    pub fn verifier_key(&self) -> String {
        verifier_key(&self.name, &self.public_key())
    }

    /// The signed note: body, blank line, `— <name> <base64(key id || signature)>\n`, the
    /// signature over the body bytes. The body must be note text: non-empty, ending in a
    /// newline, with no control characters but newlines (as [`super::Checkpoint::body`] is).
    pub fn sign(&self, body: &str) -> String {
        debug_assert!(body.ends_with('\n'), "a note body ends with a newline");
        let signature = self.key.sign(body.as_bytes());
        format!("{body}\n{}", signature_line(&self.name, self.key_id(), &signature.to_bytes()))
    }
}

impl fmt::Debug for Signer {
    // Never print the secret key, even in a debug log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("verifier_key", &self.verifier_key()).finish()
    }
}

/// Checks signed notes against one Ed25519 key.
#[derive(Clone, Debug)]
pub struct Verifier {
    name: String,
    key_id: [u8; 4],
    key: VerifyingKey,
}

impl Verifier {
    /// Reads `<name>+<8 hex key id>+<base64(0x01 || public key)>`; refuses a key id that does
    /// not match the name and key.
    pub fn from_verifier_key(vkey: &str) -> Result<Verifier, Error> {
        // The base64 part may itself contain '+', so split off only the first two fields.
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(key_id_hex), Some(typed_key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Error::VerifierKeyMalformed("it is not <name>+<key id>+<key>"));
        };
        if !is_valid_key_name(name) {
            return Err(Error::VerifierKeyMalformed("the name is empty or has '+' or spaces"));
        }
        let key_id_given = parse_key_id(key_id_hex)?;
        let key = parse_typed_key(typed_key)?;
        if key_id(name, &key.to_bytes()) != key_id_given {
            return Err(Error::VerifierKeyMalformed("the key id does not match the name and key"));
        }
        Ok(Verifier { name: name.to_owned(), key_id: key_id_given, key })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks a signed note's signature by this key and returns its body text. Other keys'
    /// signatures are ignored; as in Go's `note.Open`, the first line by this key decides.
    pub fn open(&self, note: &str) -> Result<String, Error> {
        let (text, lines) = split(note)?;
        let line = lines
            .iter()
            .find(|line| line.key_name == self.name && line.key_id == self.key_id)
            .ok_or_else(|| Error::NoteNotSignedByKey(self.name.clone()))?;
        let signature = Signature::from_slice(&line.signature).map_err(|_| Error::SignatureInvalid)?;
        self.key.verify_strict(text.as_bytes(), &signature).map_err(|_| Error::SignatureInvalid)?;
        Ok(text.to_owned())
    }
}

/// The verifier key (`<name>+<key id>+<base64 key>`) of an Ed25519 public key known only by
/// its bytes, as kept for retired signers; Go's `note.NewVerifier` reads it.
pub fn verifier_key(name: &str, public_key: &[u8; 32]) -> String {
    let key_id: String = key_id(name, public_key).iter().map(|byte| format!("{byte:02x}")).collect();
    let typed_key = [&[ALGORITHM_ED25519][..], public_key].concat();
    format!("{name}+{key_id}+{}", STANDARD.encode(typed_key))
}

fn key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let digest =
        Sha256::new().chain_update(name).chain_update(b"\n").chain_update([ALGORITHM_ED25519]).chain_update(public_key);
    digest.finalize()[..4].try_into().expect("a SHA-256 digest has 4 bytes")
}

fn parse_key_id(hex: &str) -> Result<[u8; 4], Error> {
    let malformed = Error::VerifierKeyMalformed("the key id is not 8 hex digits");
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed);
    }
    u32::from_str_radix(hex, 16).map(u32::to_be_bytes).map_err(|_| malformed)
}

/// Reads base64(0x01 || 32-byte Ed25519 public key), refusing keys of small order, which
/// would accept signatures on messages nobody signed.
fn parse_typed_key(base64: &str) -> Result<VerifyingKey, Error> {
    let bytes = STANDARD.decode(base64).map_err(|_| Error::VerifierKeyMalformed("the key is not standard base64"))?;
    let Some((&ALGORITHM_ED25519, public_key)) = bytes.split_first() else {
        return Err(Error::VerifierKeyMalformed("the key is not an Ed25519 key"));
    };
    let public_key: [u8; 32] =
        public_key.try_into().map_err(|_| Error::VerifierKeyMalformed("an Ed25519 key is 32 bytes"))?;
    match VerifyingKey::from_bytes(&public_key) {
        Ok(key) if !key.is_weak() => Ok(key),
        _ => Err(Error::VerifierKeyMalformed("the key is not a usable Ed25519 public key")),
    }
}
