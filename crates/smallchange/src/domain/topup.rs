//! A top-up as an operator asks for it, checked: where the value comes from (and, for a
//! refund, what the refunded purchase was paid with), how much, in which currency, and the
//! operator's reference. The pocket it lands in follows from the source.

use ledger::{Amount, Currency};

use super::money::{parse_amount, parse_currency};
use super::pocket::{Pocket, Source};
use super::policy::WalletPolicy;
use super::Invalid;

/// Longest operator reference kept with a top-up.
const REFERENCE_LEN_MAX: usize = 128;

/// A checked top-up request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopupOrder {
    source: Source,
    refund_of: Option<Source>,
    amount: Amount,
    currency: Currency,
    reference: String,
}

impl TopupOrder {
    /// Checks each field as the request names it; an amount up to `amount_max`, carrier
    /// billing only in the tenant's currency (`policy`).
    pub fn parse(
        source: &str,
        amount: i64,
        currency: &str,
        reference: &str,
        refund_of: Option<&str>,
        policy: &WalletPolicy,
        amount_max: i64,
    ) -> Result<TopupOrder, Invalid> {
        let source = Source::parse(source).ok_or_else(|| {
            let names: Vec<&str> = Source::ALL.iter().map(|s| s.as_str()).collect();
            Invalid::new("invalid_source", format!("source is one of {}", names.join(", ")), "source")
        })?;
        let amount = parse_amount(amount, amount_max, "amount".into())?;
        let currency = parse_currency(currency, "currency".into())?;
        let reference = reference.trim().to_string();
        if reference.is_empty()
            || reference.chars().count() > REFERENCE_LEN_MAX
            || reference.chars().any(char::is_control)
        {
            return Err(Invalid::new("invalid_reference", "reference is 1 to 128 visible characters", "reference"));
        }
        let refund_of = match (source, refund_of) {
            (Source::Refund, None) => {
                let message = "a refund must say what the refunded purchase was paid with (refund_of)";
                return Err(Invalid::new("missing_field", message, "refund_of"));
            }
            (Source::Refund, Some(name)) => Some(Source::parse(name).ok_or_else(|| {
                Invalid::new("invalid_source", "refund_of is one of the top-up sources", "refund_of")
            })?),
            (_, Some(_)) => {
                return Err(Invalid::new("unexpected_field", "refund_of is only for source refund", "refund_of"))
            }
            (_, None) => None,
        };
        if source == Source::CarrierBilling && currency != policy.currency() {
            let message = format!("carrier billing is charged in {}", policy.currency);
            return Err(Invalid::new("invalid_currency", message, "currency"));
        }
        Ok(TopupOrder { source, refund_of, amount, currency, reference })
    }

    pub fn source(&self) -> Source {
        self.source
    }

    /// For a refund: the source the refunded purchase was paid with.
    pub fn refund_of(&self) -> Option<Source> {
        self.refund_of
    }

    /// The pocket the value lands in, decided by its source.
    pub fn pocket(&self) -> Pocket {
        self.source.pocket(self.refund_of)
    }

    pub fn amount(&self) -> Amount {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The operator's reference, trimmed.
    pub fn reference(&self) -> &str {
        &self.reference
    }
}
