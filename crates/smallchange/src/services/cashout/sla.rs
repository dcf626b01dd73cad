//! When a payout is late. A cash-out is *in flight* from its approval (`processing`) until
//! its rail says it is paid or failed; it is *past its SLA* once it has been in flight
//! longer than the tenant's `sla_hours`, counted from its submission to the rail (else its
//! confirmation, else its creation) — except on a rail that waits on the user (a
//! cash-pickup voucher not collected yet is not the operator's delay). The worker's alert
//! (`workers::cashouts`) judges one cash-out by [`is_late`]; the summary report counts them
//! all in SQL by the same rule (`store::reports`, given [`IN_FLIGHT`], [`late_since_us`],
//! [`WAITING_STATUS`] and [`waiting_rails`]).

use crate::domain::cashout_policy::CashoutPolicy;
use crate::rails;
use crate::store::cashouts::Cashout;

/// The statuses of a payout under way: approved, and not final yet.
pub const IN_FLIGHT: [&str; 2] = ["processing", "in_transit"];
/// The status in which a rail that waits on the user is never late.
pub const WAITING_STATUS: &str = "in_transit";

const HOUR_US: i64 = 3_600 * 1_000_000;

/// The tenant's SLA, in microseconds.
pub fn sla_us(policy: &CashoutPolicy) -> i64 {
    policy.sla_hours.saturating_mul(HOUR_US)
}

/// A cash-out in flight since this or earlier is late at `now`.
pub fn late_since_us(policy: &CashoutPolicy, now: i64) -> i64 {
    now.saturating_sub(sla_us(policy))
}

/// The rails whose `in_transit` waits on the user.
pub fn waiting_rails() -> Vec<&'static str> {
    rails::ALL.into_iter().filter(|rail| rail.waits_on_user()).map(|rail| rail.name()).collect()
}

/// Since when the SLA counts: submission to the rail, else confirmation, else creation.
pub fn since(cashout: &Cashout) -> i64 {
    cashout.submitted_at.or(cashout.confirmed_at).unwrap_or(cashout.created_at)
}

/// Whether `cashout`, in flight, is past its SLA at `now`.
pub fn is_late(cashout: &Cashout, policy: &CashoutPolicy, now: i64) -> bool {
    let waits_on_user = cashout.status == WAITING_STATUS && waiting_rails().contains(&cashout.quote.rail.as_str());
    !waits_on_user && since(cashout) <= late_since_us(policy, now)
}
