//! Amounts of money as integers of a currency's minor unit, and the currencies we know.
//!
//! An [`Amount`] is never negative and every arithmetic step is checked: an overflow is an
//! error the caller must handle, never a wrap-around. No floats come near money.

use std::fmt;

/// A non-negative amount in a currency's minor unit (KRW: 1 = ₩1; USD: 1 = 1 cent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// The amount, if `minor_units` is not negative.
    pub fn new(minor_units: i64) -> Option<Amount> {
        (minor_units >= 0).then_some(Amount(minor_units))
    }

    /// The amount, if `minor_units` is above zero: for optional legs of a movement (a fee,
    /// an adjustment), which are left out rather than written as a zero transfer, since
    /// the ledger refuses those.
    pub fn positive(minor_units: i64) -> Option<Amount> {
        (minor_units > 0).then_some(Amount(minor_units))
    }

    pub fn minor_units(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// `self - other`, if that is not negative.
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).and_then(Amount::new)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An ISO 4217 currency that smallchange knows, with its minor-unit exponent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// Why a currency code was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurrencyError {
    /// Not three upper-case letters.
    Malformed,
    /// Well-formed but not a currency smallchange supports.
    Unknown,
}

/// The currencies we support and their minor-unit exponents (ISO 4217).
const KNOWN: &[(&str, u8)] = &[
    ("AUD", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("IDR", 2),
    ("INR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("MYR", 2),
    ("NZD", 2),
    ("PHP", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TWD", 2),
    ("USD", 2),
    ("VND", 0),
];

impl Currency {
    pub const KRW: Currency = Currency { code: *b"KRW", exponent: 0 };
    pub const USD: Currency = Currency { code: *b"USD", exponent: 2 };

    pub fn parse(code: &str) -> Result<Currency, CurrencyError> {
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(CurrencyError::Malformed);
        }
        let (_, exponent) = KNOWN.iter().find(|(known, _)| *known == code).ok_or(CurrencyError::Unknown)?;
        Ok(Currency { code: [bytes[0], bytes[1], bytes[2]], exponent: *exponent })
    }

    pub fn code(&self) -> &str {
        // The bytes are checked upper-case ASCII at construction.
        std::str::from_utf8(&self.code).expect("currency codes are ASCII")
    }

    /// How many decimal places the minor unit has (KRW 0, USD 2).
    pub fn exponent(&self) -> u8 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_never_negative_and_never_wrap() {
        assert_eq!(Amount::new(-1), None);
        let max = Amount::new(i64::MAX).unwrap();
        assert_eq!(max.checked_add(Amount::new(1).unwrap()), None);
        assert_eq!(Amount::ZERO.checked_sub(Amount::new(1).unwrap()), None);
        assert_eq!(Amount::new(5).unwrap().checked_sub(Amount::new(5).unwrap()), Some(Amount::ZERO));
    }

    #[test]
    fn currencies_parse_strictly() {
        assert_eq!(Currency::parse("KRW"), Ok(Currency::KRW));
        assert_eq!(Currency::parse("USD").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("krw"), Err(CurrencyError::Malformed));
        assert_eq!(Currency::parse("KRWX"), Err(CurrencyError::Malformed));
        assert_eq!(Currency::parse("XXX"), Err(CurrencyError::Unknown));
    }
}
