//! Amounts and currencies as a request gives them: an amount is a positive number of minor
//! units no larger than the server's `amount_max`; a currency is a known ISO 4217 code.
//! The field at fault is named in the error (`transfers[3].amount`).

use ledger::{Amount, Currency, CurrencyError};

use crate::config::Settings;
use crate::services::Error;

/// A known currency from its ISO 4217 code.
pub fn parse_currency(code: &str, param: String) -> Result<Currency, Error> {
    Currency::parse(code).map_err(|e| match e {
        CurrencyError::Malformed => {
            Error::invalid("invalid_currency", "currency is an ISO 4217 code such as KRW", param)
        }
        CurrencyError::Unknown => {
            Error::invalid("unknown_currency", format!("currency {code} is not supported"), param)
        }
    })
}

/// A positive amount of minor units, at most the server's `amount_max`.
pub fn parse_amount(value: i64, settings: &Settings, param: String) -> Result<Amount, Error> {
    if value <= 0 {
        return Err(Error::invalid("invalid_amount", "amount must be a positive integer of minor units", param));
    }
    if value > settings.amount_max {
        let message = format!("amount may be at most {}", settings.amount_max);
        return Err(Error::invalid("amount_too_large", message, param));
    }
    Ok(Amount::new(value).expect("checked positive"))
}
