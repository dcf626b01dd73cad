//! A user's phone number (E.164), KYC level and the operator's identity record.

use std::fmt;

/// A phone number in E.164 form: `+`, a country code not starting with 0, at most 15
/// digits in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

/// The fewest digits an E.164 number can have (country code and subscriber number).
const PHONE_DIGITS_MIN: usize = 8;
/// The most digits E.164 allows.
const PHONE_DIGITS_MAX: usize = 15;

impl Phone {
    pub fn parse(text: &str) -> Option<Phone> {
        let digits = text.strip_prefix('+')?;
        let well_formed = (PHONE_DIGITS_MIN..=PHONE_DIGITS_MAX).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        well_formed.then(|| Phone(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How far the operator has checked a user's identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KycLevel {
    None,
    Basic,
    Verified,
}

impl KycLevel {
    pub fn parse(text: &str) -> Option<KycLevel> {
        match text {
            "none" => Some(KycLevel::None),
            "basic" => Some(KycLevel::Basic),
            "verified" => Some(KycLevel::Verified),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KycLevel::None => "none",
            KycLevel::Basic => "basic",
            KycLevel::Verified => "verified",
        }
    }
}

/// The result of the operator's identity check, as it records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kyc {
    pub level: KycLevel,
    pub legal_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub document_ref: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_e164() {
        assert!(Phone::parse("+821012345678").is_some());
        assert!(Phone::parse("+14155550100").is_some());
        for bad in ["01012345678", "+0101234567", "+82 10 1234 5678", "+8210", "+1234567890123456", "+82-10-1234", ""] {
            assert_eq!(Phone::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn kyc_levels_are_ordered() {
        assert!(KycLevel::Verified > KycLevel::Basic && KycLevel::Basic > KycLevel::None);
        assert_eq!(KycLevel::parse("verified").map(KycLevel::as_str), Some("verified"));
        assert_eq!(KycLevel::parse("Verified"), None);
    }
}
