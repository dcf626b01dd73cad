//! TOTP (RFC 6238) as smallchange uses it: HMAC-SHA-1, 6 digits, a 30 s step, and a code
//! accepted during its own step and one step either side, for clocks that drift and
//! users who type slowly. The secret is 160 bits, the size RFC 4226 recommends.

use rand::RngCore;
use totp_rs::{Algorithm, TOTP};

/// Digits in a code.
pub const DIGITS: usize = 6;
/// Seconds one code is current.
pub const STEP_S: u64 = 30;
/// Steps before and after the current one whose codes are still accepted.
const SKEW_STEPS: u8 = 1;
/// Bytes of a new secret.
const SECRET_LEN: usize = 20;
/// The fewest bytes totp-rs accepts (128 bits, RFC 4226's minimum).
const SECRET_LEN_MIN: usize = 16;
/// The issuer shown in authenticator apps when the tenant's name cannot be.
const ISSUER_DEFAULT: &str = "smallchange";

/// A user's shared TOTP secret. Its `Debug` shows nothing of it.
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl TotpSecret {
    pub fn generate() -> TotpSecret {
        let mut bytes = vec![0u8; SECRET_LEN];
        rand::thread_rng().fill_bytes(&mut bytes);
        TotpSecret(bytes)
    }

    /// A stored secret; `None` if it is too short to be one of ours.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<TotpSecret> {
        (bytes.len() >= SECRET_LEN_MIN).then_some(TotpSecret(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret as authenticator apps take it when typed in: RFC 4648 base32, unpadded.
    pub fn base32(&self) -> String {
        self.totp("", "").get_secret_base32()
    }

    /// The `otpauth://totp/ISSUER:ACCOUNT?…` URI an authenticator app reads from a QR code.
    /// totp-rs leaves out parameters at their default values; some apps assume other
    /// defaults, so all three are spelled out.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let uri = self.totp(issuer, account).get_url();
        format!("{uri}&algorithm=SHA1&digits={DIGITS}&period={STEP_S}")
    }

    /// Whether `code` is the code of the step holding `now_unix_s` or of a step next to it.
    pub fn accepts(&self, code: &str, now_unix_s: u64) -> bool {
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        // totp-rs subtracts the skew from the step number, which cannot go below zero; a
        // clock inside the first step of 1970 is broken anyway.
        self.totp("", "").check(code, now_unix_s.max(STEP_S))
    }

    /// The step whose code `code` is (this step or one either side of it), if any: a
    /// caller remembers it to accept each code once.
    pub fn step_of(&self, code: &str, now_unix_s: u64) -> Option<u64> {
        if !self.accepts(code, now_unix_s) {
            return None;
        }
        let now_step = now_unix_s.max(STEP_S) / STEP_S;
        let totp = self.totp("", "");
        (now_step - u64::from(SKEW_STEPS)..=now_step + u64::from(SKEW_STEPS))
            .find(|step| constant_time_eq(totp.generate(step * STEP_S).as_bytes(), code.as_bytes()))
    }

    fn totp(&self, issuer: &str, account: &str) -> TOTP {
        let issuer = (!issuer.is_empty()).then(|| issuer.to_string());
        TOTP::new_unchecked(Algorithm::SHA1, DIGITS, SKEW_STEPS, STEP_S, self.0.clone(), issuer, account.to_string())
    }
}

/// Compares without stopping at the first difference, so timing tells nothing of a code.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The issuer to show for a tenant: its name, without the `:` that separates issuer and
/// account in an otpauth label.
pub fn issuer(tenant_name: Option<&str>) -> String {
    let name = tenant_name.unwrap_or_default().replace(':', " ");
    let name = name.trim();
    if name.is_empty() {
        ISSUER_DEFAULT.to_string()
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret; its 8-digit codes end in these 6 digits.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = TotpSecret::from_bytes(RFC_SECRET.to_vec()).unwrap();
        for (time, code) in [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924")] {
            assert!(secret.accepts(code, time), "{time}");
        }
    }

    #[test]
    fn one_step_either_side_and_no_further() {
        let secret = TotpSecret::generate();
        let now = 1_700_000_000;
        let code = secret.totp("", "").generate(now);
        for (at, accepted) in [(now, true), (now - 30, true), (now + 30, true), (now - 90, false), (now + 90, false)] {
            assert_eq!(secret.accepts(&code, at), accepted, "at {at}");
        }
        for bad in ["", "12345", "1234567", "12345a", " 12345"] {
            assert!(!secret.accepts(bad, now), "{bad:?}");
        }
        assert_eq!(secret.step_of(&code, now), Some(now / 30));
        assert_eq!(secret.step_of(&code, now + 30), Some(now / 30));
        assert_eq!(secret.step_of(&code, now + 90), None);
        // A clock at the epoch is refused or accepted, but never panics.
        let _ = secret.accepts(&code, 0);
    }

    #[test]
    fn the_uri_names_everything() {
        let secret = TotpSecret::from_bytes(RFC_SECRET.to_vec()).unwrap();
        assert_eq!(secret.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let uri = secret.otpauth_uri("My Shop", "+821012345678");
        assert_eq!(
            uri,
            "otpauth://totp/My%20Shop:%2B821012345678?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=My%20Shop\
             &algorithm=SHA1&digits=6&period=30"
        );
        assert!(TotpSecret::from_bytes(vec![1; 15]).is_none());
    }

    #[test]
    fn issuers_never_hold_a_colon() {
        assert_eq!(issuer(Some("Shop: Seoul")), "Shop  Seoul");
        assert_eq!(issuer(Some(" : ")), "smallchange");
        assert_eq!(issuer(None), "smallchange");
    }
}
