//! Payout destinations as the operator registers them, checked and masked, and the name
//! comparison that ties them to the user's verified legal name.

use unicode_normalization::UnicodeNormalization;

pub use super::Invalid;

/// Where money can be paid out, with the fields each rail needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    BankAccount { bank_code: String, account_number: String, holder_name: String },
    EWallet { provider: String, wallet_id: String, holder_name: String },
    CashPickup { network: String },
}

fn invalid(code: &'static str, message: &'static str, param: &'static str) -> Invalid {
    Invalid::new(code, message, param)
}

/// Digits an account number may have, separators aside.
const ACCOUNT_DIGITS_MIN: usize = 6;
const ACCOUNT_DIGITS_MAX: usize = 20;
const HOLDER_NAME_LEN_MAX: usize = 100;
const SHORT_FIELD_LEN_MAX: usize = 32;
const WALLET_ID_LEN_MAX: usize = 64;

impl Destination {
    /// Every kind's `type`, as stored and shown.
    pub const TYPE_NAMES: [&'static str; 3] = ["bank_account", "e_wallet", "cash_pickup"];

    pub fn type_name(&self) -> &'static str {
        match self {
            Destination::BankAccount { .. } => "bank_account",
            Destination::EWallet { .. } => "e_wallet",
            Destination::CashPickup { .. } => "cash_pickup",
        }
    }

    /// Checks each field; account numbers keep only their digits.
    pub fn checked(self) -> Result<Destination, Invalid> {
        match self {
            Destination::BankAccount { bank_code, account_number, holder_name } => {
                if !(2..=11).contains(&bank_code.len()) || !bank_code.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(invalid("invalid_bank_code", "bank_code is 2 to 11 letters or digits", "bank_code"));
                }
                let digits: String = account_number.chars().filter(|c| *c != '-' && *c != ' ').collect();
                let ok = (ACCOUNT_DIGITS_MIN..=ACCOUNT_DIGITS_MAX).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit());
                if !ok {
                    let message = "account_number is 6 to 20 digits (dashes and spaces allowed)";
                    return Err(invalid("invalid_account_number", message, "account_number"));
                }
                let holder_name = check_holder(holder_name)?;
                Ok(Destination::BankAccount {
                    bank_code: bank_code.to_ascii_uppercase(),
                    account_number: digits,
                    holder_name,
                })
            }
            Destination::EWallet { provider, wallet_id, holder_name } => {
                if !short_token(&provider) {
                    return Err(invalid("invalid_provider", "provider is 1 to 32 of a-z, 0-9, _ and -", "provider"));
                }
                if wallet_id.is_empty()
                    || wallet_id.len() > WALLET_ID_LEN_MAX
                    || wallet_id.chars().any(char::is_whitespace)
                {
                    return Err(invalid("invalid_wallet_id", "wallet_id is 1 to 64 visible characters", "wallet_id"));
                }
                Ok(Destination::EWallet { provider, wallet_id, holder_name: check_holder(holder_name)? })
            }
            Destination::CashPickup { network } => {
                if !short_token(&network) {
                    return Err(invalid("invalid_network", "network is 1 to 32 of a-z, 0-9, _ and -", "network"));
                }
                Ok(Destination::CashPickup { network })
            }
        }
    }

    /// What may be shown: the last four characters of the number, the rest hidden.
    pub fn masked(&self) -> String {
        match self {
            Destination::BankAccount { bank_code, account_number, .. } => {
                format!("{bank_code} {}", mask(account_number))
            }
            Destination::EWallet { provider, wallet_id, .. } => format!("{provider} {}", mask(wallet_id)),
            Destination::CashPickup { network } => network.clone(),
        }
    }

    /// The name the rail pays to; a cash pickup is collected by the user in person.
    pub fn holder_name(&self) -> Option<&str> {
        match self {
            Destination::BankAccount { holder_name, .. } | Destination::EWallet { holder_name, .. } => {
                Some(holder_name)
            }
            Destination::CashPickup { .. } => None,
        }
    }
}

/// Whether a payout's `failure_reason` (`<rail>:<reason>`) says the destination itself is
/// closed: ISO 20022 `AC04` from a bank (or the sandbox), or a provider's "…closed".
pub fn closed_by(failure_reason: &str) -> bool {
    let reason = failure_reason.split_once(':').map_or(failure_reason, |(_, reason)| reason);
    reason.eq_ignore_ascii_case("AC04") || reason.to_ascii_lowercase().contains("closed")
}

fn short_token(text: &str) -> bool {
    (1..=SHORT_FIELD_LEN_MAX).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn check_holder(name: String) -> Result<String, Invalid> {
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > HOLDER_NAME_LEN_MAX {
        return Err(invalid("invalid_holder_name", "holder_name is 1 to 100 characters", "holder_name"));
    }
    Ok(name)
}

fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let shown = chars.len().min(4);
    let hidden = "•".repeat(chars.len() - shown);
    format!("{hidden}{}", chars[chars.len() - shown..].iter().collect::<String>())
}

/// A name as compared: Unicode NFC, white space removed, case folded. Hangul is compared
/// as written (NFC keeps precomposed syllables; no romanisation).
pub fn normalized_name(name: &str) -> String {
    name.nfc().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_after_nfc_spaces_and_case() {
        assert_eq!(normalized_name("Kim  Min Su"), normalized_name("kim minsu"));
        // "김" precomposed vs. the same syllable as conjoining jamo.
        assert_eq!(normalized_name("\u{AE40}민수"), normalized_name("\u{1100}\u{1175}\u{11B7}민수"));
        assert_ne!(normalized_name("김민수"), normalized_name("김민서"));
        assert_ne!(normalized_name("김민수"), normalized_name("Kim Minsu"), "no romanisation");
    }

    #[test]
    fn closed_destinations_are_told_by_their_failures() {
        assert!(closed_by("sandbox:AC04") && closed_by("bank:AC04") && closed_by("ewallet:wallet_closed"));
        assert!(!closed_by("bank:AC01") && !closed_by("otp_locked") && !closed_by("ewallet:timeout"));
    }

    #[test]
    fn account_numbers_are_checked_and_masked() {
        let bank = Destination::BankAccount {
            bank_code: "004".into(),
            account_number: "123-456-789012".into(),
            holder_name: " 김민수 ".into(),
        };
        let checked = bank.checked().unwrap();
        assert_eq!(checked.masked(), "004 ••••••••9012");
        assert_eq!(checked.holder_name(), Some("김민수"));
        let short = Destination::BankAccount {
            bank_code: "004".into(),
            account_number: "12-34".into(),
            holder_name: "a".into(),
        };
        assert_eq!(short.checked().unwrap_err().param, "account_number");
    }
}
