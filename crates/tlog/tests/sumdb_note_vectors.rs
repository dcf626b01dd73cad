//! Our notes against Go's: the PeterNeumann and EnochRoot keys, text and signatures from
//! `golang.org/x/mod/sumdb/note` (`note_test.go`). Ed25519 signing is deterministic, so a
//! signer built from Peter's seed must write Go's note byte for byte.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tlog::note::{Checkpoint, Signer, Verifier};
use tlog::Error;

const PETER_VERIFIER_KEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SIGNER_KEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VERIFIER_KEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIGNATURE: &str =
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIGNATURE: &str =
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> Verifier {
    Verifier::from_verifier_key(PETER_VERIFIER_KEY).unwrap()
}

/// Go's private key string is "PRIVATE+KEY+<name>+<key id>+base64(0x01 || seed)"; the
/// base64 may hold '+' itself.
fn peter_seed() -> [u8; 32] {
    let typed_seed = STANDARD.decode(PETER_SIGNER_KEY.splitn(5, '+').nth(4).unwrap()).unwrap();
    assert_eq!(typed_seed[0], 0x01, "an Ed25519 key");
    typed_seed[1..].try_into().unwrap()
}

#[test]
fn gos_note_opens() {
    let verifier = peter();
    assert_eq!(verifier.name(), "PeterNeumann");
    assert_eq!(verifier.open(&format!("{TEXT}\n{PETER_SIGNATURE}")), Ok(TEXT.to_owned()));
}

#[test]
fn a_signer_from_peters_seed_writes_gos_note() {
    let signer = Signer::from_seed("PeterNeumann", peter_seed()).unwrap();
    assert_eq!(signer.key_id(), [0xc7, 0x4f, 0x20, 0xa3]);
    assert_eq!(signer.verifier_key(), PETER_VERIFIER_KEY);
    assert_eq!(signer.sign(TEXT), format!("{TEXT}\n{PETER_SIGNATURE}"));
}

#[test]
fn other_keys_signatures_are_ignored() {
    let both = format!("{TEXT}\n{PETER_SIGNATURE}{ENOCH_SIGNATURE}");
    assert_eq!(peter().open(&both), Ok(TEXT.to_owned()));
    let enoch = Verifier::from_verifier_key(ENOCH_VERIFIER_KEY).unwrap();
    assert_eq!(enoch.open(&both), Ok(TEXT.to_owned()));
    let only_enoch = format!("{TEXT}\n{ENOCH_SIGNATURE}");
    assert_eq!(peter().open(&only_enoch), Err(Error::NoteNotSignedByKey("PeterNeumann".into())));
}

#[test]
fn a_changed_text_or_signature_is_refused() {
    let changed_text = format!("{}\n{PETER_SIGNATURE}", TEXT.replace("cryptography", "cryptographY"));
    assert_eq!(peter().open(&changed_text), Err(Error::SignatureInvalid));
    let longer_signature = format!("{TEXT}\n{}ABCD{}", &PETER_SIGNATURE[..60], &PETER_SIGNATURE[60..]);
    assert_eq!(peter().open(&longer_signature), Err(Error::SignatureInvalid));
    let changed_signature = format!("{TEXT}\n{}", PETER_SIGNATURE.replace("pZSNX", "pZSNY"));
    assert_eq!(peter().open(&changed_signature), Err(Error::SignatureInvalid));
}

#[test]
fn mangled_verifier_keys_are_refused() {
    // As Go's TestNewVerifier: every proper substring and every single-byte change.
    let key = PETER_VERIFIER_KEY.as_bytes();
    for start in 0..=key.len() {
        for end in start + 1..=key.len() {
            if (start, end) != (0, key.len()) {
                let part = std::str::from_utf8(&key[start..end]).unwrap();
                assert!(Verifier::from_verifier_key(part).is_err(), "accepted {part:?}");
            }
        }
    }
    for position in 0..key.len() {
        let mut mangled = key.to_vec();
        mangled[position] += 1;
        let mangled = String::from_utf8(mangled).unwrap();
        assert!(Verifier::from_verifier_key(&mangled).is_err(), "accepted {mangled:?}");
    }
    for key in [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ] {
        assert!(Verifier::from_verifier_key(key).is_err(), "accepted {key:?}");
    }
}

#[test]
fn a_signed_checkpoint_round_trips() {
    let signer = Signer::from_seed("smallchange.example/audit/tenant-7", [42; 32]).unwrap();
    let checkpoint = Checkpoint { origin: "smallchange.example/audit/tenant-7".into(), size: 300, root: [9; 32] };
    let note = signer.sign(&checkpoint.body());
    let verifier = Verifier::from_verifier_key(&signer.verifier_key()).unwrap();
    assert_eq!(verifier.name(), signer.name());
    let body = verifier.open(&note).unwrap();
    assert_eq!(Checkpoint::parse_body(&body), Ok(checkpoint));

    let other_key = Signer::from_seed(signer.name(), [43; 32]).unwrap();
    assert!(matches!(verifier.open(&other_key.sign(&body)), Err(Error::NoteNotSignedByKey(_))));
    assert_eq!(verifier.open(&note.replace("\n300\n", "\n301\n")), Err(Error::SignatureInvalid));
}

#[test]
fn key_names_are_checked() {
    for name in ["", "a+b", "a b"] {
        assert!(matches!(Signer::from_seed(name, [1; 32]), Err(Error::KeyNameInvalid(_))), "accepted {name:?}");
    }
}
