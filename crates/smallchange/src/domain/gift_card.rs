//! Gift cards: programs and their refund rule, card codes, and how much of a card is used.
//!
//! The refund rule is the Korean standard terms by default: the remainder of a card is
//! refundable at face value once 60 % of it is used for a face value over ₩10,000, or 80 %
//! for ₩10,000 or less. Nothing is ever bought back at a discount.

use rand::Rng;
use serde::{Deserialize, Serialize};

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
}

/// How much of a card is used, in basis points, rounded down (never in the user's disfavour
/// by more than a rounding step: 5,999.9 bps used is not yet 6,000).
pub fn used_bps(face_value: i64, remaining: i64) -> i64 {
    if face_value <= 0 {
        return 0;
    }
    let used = (face_value - remaining).clamp(0, face_value);
    ((i128::from(used) * i128::from(BPS_WHOLE)) / i128::from(face_value)) as i64
}

/// Digits in a card code.
const CODE_DIGITS: usize = 16;

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

/// The last four characters of a normalised code, for showing the code masked.
pub fn last4(normalized: &str) -> String {
    normalized[normalized.len().saturating_sub(4)..].to_string()
}

pub fn masked(last4: &str) -> String {
    format!("••••-••••-••••-{last4}")
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
        assert_eq!(masked(&last4("12345678")), "••••-••••-••••-5678");
    }
}
