//! smallchange's risk rules: the decision taken when a cash-out is confirmed, before
//! anything reaches a rail. A pure function over facts the caller loaded beforehand and the
//! tenant's thresholds, so rules can be added (and tested) without touching the flow around
//! them; every decision carries its reason codes. No IO, no clock, no database.

use serde::{Deserialize, Serialize};

/// When a cash-out goes to review instead of straight to the rail (the tenant's
/// `[cashout.risk]` settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskThresholds {
    /// The window over which velocity is counted.
    pub velocity_window_s: i64,
    /// More cash-outs than this in the window → review.
    pub velocity_count_max: i64,
    /// More gross than this in the window → review.
    pub velocity_amount_max: i64,
    /// The first cash-out to a destination goes to review.
    pub review_new_destination: bool,
}

impl Default for RiskThresholds {
    fn default() -> RiskThresholds {
        RiskThresholds {
            velocity_window_s: 3600,
            velocity_count_max: 3,
            velocity_amount_max: 1_000_000,
            review_new_destination: true,
        }
    }
}

/// What is known about a cash-out and its user when it is confirmed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// The user's KYC level reaches the tenant's level for cash-out.
    pub kyc_sufficient: bool,
    /// The cash-out fits the per-transaction, daily and monthly limits.
    pub within_limits: bool,
    /// Cash-outs (other than this one) and their gross in the velocity window.
    pub recent_count: i64,
    pub recent_gross: i64,
    pub gross: i64,
    /// No cash-out to this destination has been paid before.
    pub new_destination: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Review,
    Deny,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Review => "review",
            Decision::Deny => "deny",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub decision: Decision,
    pub reasons: Vec<&'static str>,
}

/// Deny what the tenant's rules forbid; send to review what looks unusual; allow the rest.
pub fn decide(facts: &Facts, thresholds: &RiskThresholds) -> Verdict {
    let mut deny = Vec::new();
    if !facts.kyc_sufficient {
        deny.push("kyc_required");
    }
    if !facts.within_limits {
        deny.push("limit_exceeded");
    }
    if !deny.is_empty() {
        return Verdict { decision: Decision::Deny, reasons: deny };
    }
    let mut review = Vec::new();
    if facts.recent_count + 1 > thresholds.velocity_count_max {
        review.push("velocity_count");
    }
    if facts.recent_gross + facts.gross > thresholds.velocity_amount_max {
        review.push("velocity_amount");
    }
    if facts.new_destination && thresholds.review_new_destination {
        review.push("new_destination");
    }
    let decision = if review.is_empty() { Decision::Allow } else { Decision::Review };
    Verdict { decision, reasons: review }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordinary() -> Facts {
        Facts {
            kyc_sufficient: true,
            within_limits: true,
            recent_count: 0,
            recent_gross: 0,
            gross: 10_000,
            new_destination: false,
        }
    }

    #[test]
    fn each_rule_gives_its_reason() {
        let thresholds = RiskThresholds::default();
        assert_eq!(decide(&ordinary(), &thresholds), Verdict { decision: Decision::Allow, reasons: vec![] });
        let cases = [
            (Facts { kyc_sufficient: false, ..ordinary() }, Decision::Deny, vec!["kyc_required"]),
            (Facts { within_limits: false, ..ordinary() }, Decision::Deny, vec!["limit_exceeded"]),
            (Facts { recent_count: 3, ..ordinary() }, Decision::Review, vec!["velocity_count"]),
            (Facts { recent_gross: 995_000, ..ordinary() }, Decision::Review, vec!["velocity_amount"]),
            (Facts { new_destination: true, ..ordinary() }, Decision::Review, vec!["new_destination"]),
            (
                Facts { new_destination: true, recent_count: 9, ..ordinary() },
                Decision::Review,
                vec!["velocity_count", "new_destination"],
            ),
        ];
        for (facts, decision, reasons) in cases {
            assert_eq!(decide(&facts, &thresholds), Verdict { decision, reasons }, "{facts:?}");
        }
        let lenient = RiskThresholds { review_new_destination: false, ..thresholds };
        assert_eq!(decide(&Facts { new_destination: true, ..ordinary() }, &lenient).decision, Decision::Allow);
    }
}
