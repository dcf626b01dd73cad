//! Gift cards: programs and their refund rule, card codes, and how much of a card is used;
//! a program's terms, a sale and a presented card as requests give them, checked.
//!
//! The refund rule is the Korean standard terms by default: the remainder of a card is
//! refundable at face value once 60 % of it is used for a face value over ₩10,000, or 80 %
//! for ₩10,000 or less. Nothing is ever bought back at a discount.

use ledger::Currency;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::money::{parse_amount, parse_currency};
use super::pocket::Source;
use super::Invalid;

/// Basis points in a whole.
pub const BPS_WHOLE: i64 = 10_000;

/// When a card's remainder may be refunded: once `threshold_bps_over` of a card with a face
/// value over `small_face_max` is used, or `threshold_bps_small` of a smaller one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRule {
    pub threshold_bps_over: i64,
    pub threshold_bps_small: i64,
    pub small_face_max: i64,
}

impl Default for RefundRule {
    /// The Korean standard terms (공정거래위원회 신유형 상품권 표준약관).
    fn default() -> RefundRule {
        RefundRule { threshold_bps_over: 6_000, threshold_bps_small: 8_000, small_face_max: 10_000 }
    }
}

/// What a gift-card pocket's card says about refunding its remainder.
#[derive(Clone, Copy, Debug)]
pub struct GiftTerms {
    pub face_value: i64,
    pub rule: RefundRule,
}

impl RefundRule {
    /// The share of `face_value` that must be used before the remainder is refundable.
    pub fn threshold_bps(&self, face_value: i64) -> i64 {
        if face_value > self.small_face_max {
            self.threshold_bps_over
        } else {
            self.threshold_bps_small
        }
    }

    /// Whether a card of `face_value` with `remaining` left may have its remainder refunded.
    pub fn allows_refund(&self, face_value: i64, remaining: i64) -> bool {
        remaining > 0 && used_bps(face_value, remaining) >= self.threshold_bps(face_value)
    }

    /// How much more of a card of `face_value` with `remaining` left must be spent before its
    /// remainder is refundable: the used share must reach the threshold, in whole minor units
    /// rounded up ([`used_bps`] rounds down, so this is the first amount it counts as enough).
    pub fn still_to_spend(&self, face_value: i64, remaining: i64) -> i64 {
        let threshold = i128::from(self.threshold_bps(face_value));
        let face = i128::from(face_value);
        let needed_used = (threshold * face + 9_999) / 10_000;
        let used = face - i128::from(remaining);
        i64::try_from((needed_used - used).max(0)).unwrap_or(i64::MAX)
    }
}

/// How much of a card is used, in basis points, rounded down (never in the user's disfavour
/// by more than a rounding step: 5,999.9 bps used is not yet 6,000).
/// A day, in the microseconds times are kept in.
pub const DAY_US: i64 = 86_400 * 1_000_000;
/// A card with value left that expires within this many days "expires soon": people are
/// told of it (the wallet's home names the next such card; its card list marks each).
pub const EXPIRING_SOON_DAYS: i64 = 30;

/// Whether a card with `remaining` value left, expiring at `expires_at`, expires soon at `now`.
pub fn expires_soon(remaining: i64, expires_at: i64, now: i64) -> bool {
    remaining > 0 && expires_at > now && expires_at <= now + EXPIRING_SOON_DAYS * DAY_US
}

pub fn used_bps(face_value: i64, remaining: i64) -> i64 {
    if face_value <= 0 {
        return 0;
    }
    let used = (face_value - remaining).clamp(0, face_value);
    ((i128::from(used) * i128::from(BPS_WHOLE)) / i128::from(face_value)) as i64
}

/// Digits in a card code: every code is this many (grouped by four when printed).
pub const CODE_DIGITS: usize = 16;

/// A new random code, `1234-5678-9012-3456`.
pub fn new_code() -> String {
    let mut rng = rand::thread_rng();
    let digits: Vec<String> = (0..CODE_DIGITS).map(|_| rng.gen_range(0..10).to_string()).collect();
    digits.chunks(4).map(|group| group.concat()).collect::<Vec<_>>().join("-")
}

/// A code as typed (any spaces, dashes or case) reduced to what identifies it.
pub fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// Whether a normalised code (see [`normalize_code`]) has the shape every code is issued
/// in, [`CODE_DIGITS`] digits: one that has not matches no card, so a door may turn it away
/// before it is looked up, without counting a guess.
pub fn has_code_shape(normalized: &str) -> bool {
    normalized.len() == CODE_DIGITS && normalized.bytes().all(|b| b.is_ascii_digit())
}

/// The last four characters of a normalised code, for showing the code masked.
pub fn last4(normalized: &str) -> String {
    normalized[normalized.len().saturating_sub(4)..].to_string()
}

pub fn masked(last4: &str) -> String {
    format!("••••-••••-••••-{last4}")
}

/// Limits on what a program may say.
const BRAND_LEN_MAX: usize = 64;
const FACE_VALUES_MAX: usize = 20;
const VALIDITY_DAYS_MAX: i64 = 10 * 366;
/// Longest operator reference kept with a sale.
const PURCHASER_REF_LEN_MAX: usize = 128;

impl RefundRule {
    /// Refuses thresholds outside 0–100 % and a negative amount, naming the field.
    pub fn checked(self) -> Result<RefundRule, Invalid> {
        for (value, param) in [
            (self.threshold_bps_over, "refund_rule.threshold_bps_over"),
            (self.threshold_bps_small, "refund_rule.threshold_bps_small"),
        ] {
            if !(0..=BPS_WHOLE).contains(&value) {
                return Err(Invalid::new("invalid_refund_rule", "thresholds are 0 to 10000 basis points", param));
            }
        }
        if self.small_face_max < 0 {
            let message = "small_face_max is an amount, 0 or more";
            return Err(Invalid::new("invalid_refund_rule", message, "refund_rule.small_face_max"));
        }
        Ok(self)
    }
}

/// A program's terms as an operator asks for them, checked: a brand as users type it, an
/// ISO 3166-1 region, 1–20 face values (sorted, each once), how long a card can be spent
/// and when its remainder is refundable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramTerms {
    brand: String,
    currency: Currency,
    region: String,
    face_values: Vec<i64>,
    validity_days: i64,
    refund_rule: RefundRule,
}

impl ProgramTerms {
    /// Checks each field in the request's order, naming the one at fault; no refund rule
    /// means the Korean standard terms.
    pub fn parse(
        brand: &str,
        currency: &str,
        region: &str,
        mut face_values: Vec<i64>,
        validity_days: i64,
        refund_rule: Option<RefundRule>,
        amount_max: i64,
    ) -> Result<ProgramTerms, Invalid> {
        let brand = brand.trim().to_string();
        if brand.is_empty() || brand.chars().count() > BRAND_LEN_MAX || brand.chars().any(char::is_control) {
            return Err(Invalid::new("invalid_brand", "brand is 1 to 64 characters", "brand"));
        }
        let currency = parse_currency(currency, "currency".into())?;
        if region.len() != 2 || !region.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Invalid::new("invalid_region", "region is an ISO 3166-1 alpha-2 code such as KR", "region"));
        }
        if face_values.is_empty() || face_values.len() > FACE_VALUES_MAX {
            return Err(Invalid::new("invalid_face_values", "face_values holds 1 to 20 amounts", "face_values"));
        }
        for (n, value) in face_values.iter().enumerate() {
            parse_amount(*value, amount_max, format!("face_values[{n}]"))?;
        }
        if !(1..=VALIDITY_DAYS_MAX).contains(&validity_days) {
            return Err(Invalid::new("invalid_validity", "validity_days is 1 to 3660", "validity_days"));
        }
        let refund_rule = refund_rule.unwrap_or_default().checked()?;
        face_values.sort_unstable();
        face_values.dedup();
        Ok(ProgramTerms { brand, currency, region: region.to_string(), face_values, validity_days, refund_rule })
    }

    /// The brand, trimmed.
    pub fn brand(&self) -> &str {
        &self.brand
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The face values, ascending, each once.
    pub fn face_values(&self) -> &[i64] {
        &self.face_values
    }

    pub fn validity_days(&self) -> i64 {
        self.validity_days
    }

    pub fn refund_rule(&self) -> RefundRule {
        self.refund_rule
    }
}

/// A card the operator has sold, as it asks for it to be issued: the program and face
/// value (checked against the program when it is loaded), the top-up source the buyer paid
/// with and the operator's reference for the sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardOrder {
    program_id: String,
    face_value: i64,
    purchased_with: Source,
    purchaser_ref: String,
}

impl CardOrder {
    pub fn parse(
        program_id: &str,
        face_value: i64,
        purchased_with: &str,
        purchaser_ref: &str,
    ) -> Result<CardOrder, Invalid> {
        let purchased_with = Source::parse(purchased_with).ok_or_else(|| {
            Invalid::new("invalid_source", "purchased_with is one of the top-up sources", "purchased_with")
        })?;
        let purchaser_ref = purchaser_ref.trim();
        if purchaser_ref.is_empty() || purchaser_ref.chars().count() > PURCHASER_REF_LEN_MAX {
            return Err(Invalid::new("invalid_reference", "purchaser_ref is 1 to 128 characters", "purchaser_ref"));
        }
        let purchaser_ref = purchaser_ref.to_string();
        Ok(CardOrder { program_id: program_id.to_string(), face_value, purchased_with, purchaser_ref })
    }

    pub fn program_id(&self) -> &str {
        &self.program_id
    }

    /// One of the program's face values, once checked against it.
    pub fn face_value(&self) -> i64 {
        self.face_value
    }

    /// Decides where a refunded remainder goes.
    pub fn purchased_with(&self) -> Source {
        self.purchased_with
    }

    /// The operator's reference, trimmed.
    pub fn purchaser_ref(&self) -> &str {
        &self.purchaser_ref
    }
}

/// A card as a user presents it to be checked or redeemed: the brand they name, the code as
/// typed (kept normalised) and, if known, the region they are in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presented {
    brand: String,
    code: String,
    region: Option<String>,
}

impl Presented {
    pub fn new(brand: String, code: &str, region: Option<String>) -> Presented {
        Presented { brand, code: normalize_code(code), region }
    }

    pub fn brand(&self) -> &str {
        &self.brand
    }

    /// The code, normalised (see [`normalize_code`]).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Where the user is; checked against the program's region when given.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_korean_standard_terms() {
        let rule = RefundRule::default();
        // Over ₩10,000: 60 %.
        assert!(!rule.allows_refund(50_000, 20_001));
        assert!(rule.allows_refund(50_000, 20_000));
        // ₩10,000 or less: 80 %.
        assert!(!rule.allows_refund(10_000, 2_001));
        assert!(rule.allows_refund(10_000, 2_000));
        assert!(!rule.allows_refund(10_000, 0), "nothing left, nothing to refund");
        assert_eq!(used_bps(30_000, 10_000), 6_666);
    }

    #[test]
    fn codes_are_sixteen_digits_and_normalise() {
        let code = new_code();
        assert_eq!(code.len(), 19);
        assert_eq!(normalize_code(&code).len(), 16);
        assert_eq!(normalize_code(" 1234 5678-abcd "), "12345678ABCD");
        assert!(has_code_shape(&normalize_code(&code)));
        assert!(!has_code_shape("123456781234567") && !has_code_shape("12345678ABCD5678"));
        assert_eq!(masked(&last4("12345678")), "••••-••••-••••-5678");
    }
}
