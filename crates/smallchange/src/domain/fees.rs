//! Cash-out fees: a percentage in basis points plus a fixed part, kept between a minimum
//! and a maximum. Every part is a line the user sees before confirming and again on the
//! receipt, and the lines add up to the fee exactly.
//!
//! Rounding is stated and in the user's favour: the percentage is rounded down to the
//! currency's minor unit.

use serde::{Deserialize, Serialize};

/// Basis points in a whole.
const BPS_WHOLE: i128 = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeSchedule {
    /// The percentage part, in basis points of the gross amount (100 = 1 %).
    pub bps: i64,
    /// The fixed part, in minor units.
    pub fixed: i64,
    /// The least and the most the fee may be, in minor units.
    pub min: i64,
    pub max: i64,
}

/// One itemised part of a fee.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeeLine {
    /// `percentage`, `fixed`, `minimum_fee` (raises the fee to the minimum) or `maximum_fee`
    /// (a negative line that caps it).
    pub kind: String,
    pub amount: i64,
}

impl FeeSchedule {
    pub fn check(&self, name: &str) -> anyhow::Result<()> {
        anyhow::ensure!((0..=10_000).contains(&self.bps), "{name}.bps must be 0 to 10000");
        anyhow::ensure!(self.fixed >= 0, "{name}.fixed must not be negative");
        anyhow::ensure!(0 <= self.min && self.min <= self.max, "{name} needs 0 <= min <= max");
        Ok(())
    }

    /// The itemised fee on `gross`; the lines sum to a fee within `min..=max`.
    pub fn lines(&self, gross: i64) -> Vec<FeeLine> {
        let percentage = (i128::from(gross) * i128::from(self.bps) / BPS_WHOLE) as i64;
        let mut lines = Vec::new();
        if percentage > 0 {
            lines.push(FeeLine { kind: "percentage".into(), amount: percentage });
        }
        if self.fixed > 0 {
            lines.push(FeeLine { kind: "fixed".into(), amount: self.fixed });
        }
        let subtotal = percentage + self.fixed;
        if subtotal < self.min {
            lines.push(FeeLine { kind: "minimum_fee".into(), amount: self.min - subtotal });
        } else if subtotal > self.max {
            lines.push(FeeLine { kind: "maximum_fee".into(), amount: self.max - subtotal });
        }
        lines
    }
}

/// The total of itemised lines.
pub fn total(lines: &[FeeLine]) -> i64 {
    lines.iter().map(|l| l.amount).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn percentage_rounds_down_and_the_bounds_hold() {
        let schedule = FeeSchedule { bps: 150, fixed: 300, min: 500, max: 5_000 };
        // 1.5 % of 10,001 is 150.015: the user pays 150.
        let lines = schedule.lines(10_001);
        assert_eq!(lines[0], FeeLine { kind: "percentage".into(), amount: 150 });
        assert_eq!(total(&lines), 500, "raised to the minimum: {lines:?}");
        assert_eq!(total(&schedule.lines(1_000_000)), 5_000, "capped at the maximum");
        assert_eq!(total(&schedule.lines(100_000)), 1_800);
    }

    proptest! {
        #[test]
        fn fees_are_never_negative_and_stay_in_bounds(
            gross in 1i64..10_000_000_000,
            bps in 0i64..=10_000,
            fixed in 0i64..100_000,
            min in 0i64..50_000,
            extra in 0i64..1_000_000,
        ) {
            let schedule = FeeSchedule { bps, fixed, min, max: min + extra };
            let lines = schedule.lines(gross);
            let fee = total(&lines);
            prop_assert!(fee >= 0);
            prop_assert!(fee >= schedule.min && fee <= schedule.max);
            // Never more than the exact percentage plus the fixed part, unless the minimum says so.
            let exact = i128::from(gross) * i128::from(bps);
            prop_assert!(i128::from(fee) * 10_000 <= exact + i128::from(fixed) * 10_000 || fee == schedule.min);
        }
    }
}
