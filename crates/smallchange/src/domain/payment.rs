//! A micropayment's input: the merchant it pays and what the user is told it was for.

use super::Invalid;

/// Longest merchant id and payment description accepted.
const MERCHANT_LEN_MAX: usize = 64;
const DESCRIPTION_LEN_MAX: usize = 200;

/// The operator's id for a merchant: 1–64 characters of `A-Za-z0-9_.-`. Its ledger account
/// opens on first use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merchant(String);

impl Merchant {
    pub fn parse(text: String) -> Result<Merchant, Invalid> {
        let allowed = |b: u8| b.is_ascii_alphanumeric() || b"_.-".contains(&b);
        if text.is_empty() || text.len() > MERCHANT_LEN_MAX || !text.bytes().all(allowed) {
            let message = "merchant is 1 to 64 characters of A-Z, a-z, 0-9, _, . and -";
            return Err(Invalid::new("invalid_merchant", message, "merchant"));
        }
        Ok(Merchant(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// What a payment was for, as the user's statement shows it: at most 200 characters,
/// trimmed.
pub fn description(text: Option<String>) -> Result<Option<String>, Invalid> {
    let text = text.map(|d| d.trim().to_string());
    if text.as_ref().is_some_and(|d| d.chars().count() > DESCRIPTION_LEN_MAX) {
        return Err(Invalid::new("invalid_description", "description is at most 200 characters", "description"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merchants_are_short_plain_ids() {
        assert!(Merchant::parse("coffee-shop_1.kr".into()).is_ok());
        for bad in ["", "with space", "카페", &"m".repeat(65)] {
            assert_eq!(Merchant::parse(bad.to_string()).unwrap_err().code, "invalid_merchant");
        }
    }

    #[test]
    fn descriptions_are_trimmed_and_bounded() {
        assert_eq!(description(Some("  latte ".into())).unwrap().as_deref(), Some("latte"));
        assert_eq!(description(None).unwrap(), None);
        assert_eq!(description(Some("가".repeat(201))).unwrap_err().code, "invalid_description");
    }
}
