//! Amounts and currencies as a request gives them: an amount is a positive number of minor
//! units no larger than the limit the caller passes (the server's `amount_max`); a currency
//! is a known ISO 4217 code. The field at fault is named in the error (`transfers[3].amount`).

use ledger::{Amount, Currency, CurrencyError};

use super::Invalid;

/// A known currency from its ISO 4217 code.
pub fn parse_currency(code: &str, param: String) -> Result<Currency, Invalid> {
    Currency::parse(code).map_err(|e| match e {
        CurrencyError::Malformed => Invalid::new("invalid_currency", "currency is an ISO 4217 code such as KRW", param),
        CurrencyError::Unknown => Invalid::new("unknown_currency", format!("currency {code} is not supported"), param),
    })
}

/// A positive amount of minor units, at most `amount_max` (the server's setting).
pub fn parse_amount(value: i64, amount_max: i64, param: String) -> Result<Amount, Invalid> {
    if value <= 0 {
        return Err(Invalid::new("invalid_amount", "amount must be a positive integer of minor units", param));
    }
    if value > amount_max {
        let message = format!("amount may be at most {amount_max}");
        return Err(Invalid::new("amount_too_large", message, param));
    }
    Ok(Amount::new(value).expect("checked positive"))
}
