//! The `Smallchange-Signature` header: how a receiver knows a POST came from us (webhooks,
//! the e-wallet rail) and how we know a partner's callback came from it.
//!
//! The value is `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, the scheme
//! Stripe made familiar. Signing the timestamp with the body lets a receiver refuse a
//! captured request replayed later ([`TOLERANCE_S`]); allowing several `v1` values lets a
//! sender sign with an old and a new secret while a secret is being rotated. Comparison is
//! constant-time, so timing says nothing about how much of a forged signature was right.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header's name.
pub const HEADER: &str = "Smallchange-Signature";
/// How far a signature's timestamp may be from the receiver's clock, either way.
pub const TOLERANCE_S: i64 = 300;
/// Longest header accepted, and most `v1` values in it: a header is parsed before anything
/// is known about its sender.
const HEADER_LEN_MAX: usize = 4_096;
const SIGNATURES_MAX: usize = 8;
/// Hex characters in one HMAC-SHA256.
const SIGNATURE_HEX_LEN: usize = 64;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is not `t=<unix seconds>,v1=<64 hex characters>`")]
    Malformed,
    #[error("the signature's timestamp is older than the tolerance")]
    TooOld,
    #[error("the signature's timestamp is further in the future than the tolerance")]
    InFuture,
    #[error("no signature matches the body under this secret")]
    Mismatch,
}

/// The header value signing `body` at `timestamp_s` with `secret`.
pub fn sign(secret: &[u8], timestamp_s: i64, body: &[u8]) -> String {
    let digest = keyed(secret, timestamp_s, body).finalize().into_bytes();
    format!("t={timestamp_s},v1={}", hex::encode(digest))
}

/// Checks `header` against `body`: well formed, one of its `v1` values matching, and its
/// timestamp within `tolerance_s` of `now_s`. The signature is checked first, so `TooOld`
/// and `InFuture` are only ever said of a request that really came from the secret's holder.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now_s: i64, tolerance_s: i64) -> Result<(), SignatureError> {
    let parsed = parse(header)?;
    let expected = keyed(secret, parsed.timestamp_s, body);
    if !parsed.signatures.iter().any(|candidate| expected.clone().verify_slice(candidate).is_ok()) {
        return Err(SignatureError::Mismatch);
    }
    if now_s.saturating_sub(parsed.timestamp_s) > tolerance_s {
        return Err(SignatureError::TooOld);
    }
    if parsed.timestamp_s.saturating_sub(now_s) > tolerance_s {
        return Err(SignatureError::InFuture);
    }
    Ok(())
}

/// The MAC over `"<t>.<body>"`, before it is finalized.
fn keyed(secret: &[u8], timestamp_s: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp_s.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

struct Parsed {
    timestamp_s: i64,
    signatures: Vec<Vec<u8>>,
}

/// Exactly one `t` of decimal digits and 1 to [`SIGNATURES_MAX`] `v1` values of 64 hex
/// characters; other schemes (`v0=…`) are ignored, as a later version may add some.
fn parse(header: &str) -> Result<Parsed, SignatureError> {
    if header.len() > HEADER_LEN_MAX {
        return Err(SignatureError::Malformed);
    }
    let mut timestamp_s = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match key {
            "t" if timestamp_s.is_none() => timestamp_s = Some(parse_timestamp(value)?),
            "t" => return Err(SignatureError::Malformed),
            "v1" if signatures.len() < SIGNATURES_MAX => signatures.push(parse_signature(value)?),
            "v1" => return Err(SignatureError::Malformed),
            _ => {}
        }
    }
    match timestamp_s {
        Some(timestamp_s) if !signatures.is_empty() => Ok(Parsed { timestamp_s, signatures }),
        _ => Err(SignatureError::Malformed),
    }
}

fn parse_timestamp(text: &str) -> Result<i64, SignatureError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::Malformed);
    }
    text.parse().map_err(|_| SignatureError::Malformed)
}

fn parse_signature(text: &str) -> Result<Vec<u8>, SignatureError> {
    if text.len() != SIGNATURE_HEX_LEN {
        return Err(SignatureError::Malformed);
    }
    hex::decode(text).map_err(|_| SignatureError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"cashout.paid"}"#;
    const NOW: i64 = 1_700_000_000;

    fn check(header: &str, body: &[u8], now_s: i64) -> Result<(), SignatureError> {
        verify(SECRET, header, body, now_s, TOLERANCE_S)
    }

    #[test]
    fn a_signed_body_verifies() {
        let header = sign(SECRET, NOW, BODY);
        assert!(header.starts_with(&format!("t={NOW},v1=")), "{header}");
        assert_eq!(header.len(), format!("t={NOW},v1=").len() + SIGNATURE_HEX_LEN);
        assert_eq!(check(&header, BODY, NOW), Ok(()));
        assert_eq!(check(&header, BODY, NOW + TOLERANCE_S), Ok(()), "at the edge of the tolerance");
        assert_eq!(check(&header.replace(',', " , "), BODY, NOW), Ok(()), "spaces around parts");
    }

    #[test]
    fn a_known_vector() {
        // printf '1700000000.hello' | openssl dgst -sha256 -hmac key
        let expected = "t=1700000000,v1=4d583a269f4f276a3fa80ff31b5a01879a848096983222a17893d198418939aa";
        assert_eq!(sign(b"key", NOW, b"hello"), expected);
        assert_eq!(verify(b"key", expected, b"hello", NOW, TOLERANCE_S), Ok(()));
    }

    #[test]
    fn a_tampered_body_or_another_secret_mismatches() {
        let header = sign(SECRET, NOW, BODY);
        let mut tampered = BODY.to_vec();
        tampered[10] ^= 1;
        assert_eq!(check(&header, &tampered, NOW), Err(SignatureError::Mismatch));
        assert_eq!(check(&header, b"", NOW), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"whsec_other", &header, BODY, NOW, TOLERANCE_S), Err(SignatureError::Mismatch));
        let moved = header.replacen(&format!("t={NOW}"), &format!("t={}", NOW + 1), 1);
        assert_eq!(check(&moved, BODY, NOW), Err(SignatureError::Mismatch), "the timestamp is signed too");
    }

    #[test]
    fn timestamps_beyond_the_tolerance_are_refused() {
        let old = sign(SECRET, NOW - TOLERANCE_S - 1, BODY);
        assert_eq!(check(&old, BODY, NOW), Err(SignatureError::TooOld));
        let future = sign(SECRET, NOW + TOLERANCE_S + 1, BODY);
        assert_eq!(check(&future, BODY, NOW), Err(SignatureError::InFuture));
        assert_eq!(check(&sign(SECRET, NOW + TOLERANCE_S, BODY), BODY, NOW), Ok(()));
        let ancient = sign(SECRET, 0, BODY);
        assert_eq!(verify(SECRET, &ancient, BODY, i64::MAX, TOLERANCE_S), Err(SignatureError::TooOld));
    }

    #[test]
    fn malformed_headers_are_refused() {
        let good = sign(SECRET, NOW, BODY);
        let v1 = good.split_once(",v1=").unwrap().1.to_string();
        let long = format!("t={NOW},{}", vec![format!("v0={v1}"); 100].join(","));
        let cases = [
            String::new(),
            "garbage".into(),
            format!("v1={v1}"),
            format!("t={NOW}"),
            format!("t={NOW},v1="),
            format!("t=,v1={v1}"),
            format!("t=-5,v1={v1}"),
            format!("t=+{NOW},v1={v1}"),
            format!("t=12x,v1={v1}"),
            format!("t=99999999999999999999,v1={v1}"),
            format!("t={NOW},t={NOW},v1={v1}"),
            format!("t={NOW},v1={}", &v1[1..]),
            format!("t={NOW},v1={}zz", &v1[2..]),
            format!("t={NOW};v1={v1}"),
            format!("t={NOW},v1={v1},"),
            format!("t={NOW},{}", vec![format!("v1={v1}"); SIGNATURES_MAX + 1].join(",")),
            long,
        ];
        for header in cases {
            assert_eq!(check(&header, BODY, NOW), Err(SignatureError::Malformed), "{header}");
        }
    }

    #[test]
    fn any_matching_v1_is_enough() {
        let good = sign(SECRET, NOW, BODY);
        let v1 = good.split_once(",v1=").unwrap().1;
        let other = sign(b"whsec_old", NOW, BODY);
        let other_v1 = other.split_once(",v1=").unwrap().1;
        for header in [
            format!("t={NOW},v1={other_v1},v1={v1}"),
            format!("v1={v1},t={NOW},v1={other_v1}"),
            format!("t={NOW},v0=anything,v1={v1}"),
        ] {
            assert_eq!(check(&header, BODY, NOW), Ok(()), "{header}");
        }
        assert_eq!(check(&format!("t={NOW},v1={other_v1},v1={other_v1}"), BODY, NOW), Err(SignatureError::Mismatch));
    }
}
