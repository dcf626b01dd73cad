//! A tenant's cash-out policy: fees per rail and speed, the minimum, limits per KYC level,
//! how long quotes and unconfirmed cash-outs live, the risk thresholds, and the operator's
//! registered name, the one name every SMS, page and receipt signs with ([`Operator`]).
//! Read from `[cashout]` (and `[cashout_tenants."<id>"]`).

use std::collections::BTreeMap;

use rules::RiskThresholds;
use serde::{Deserialize, Serialize};

use super::bank_link::BankLink;
use super::ewallet_partner::EwalletPartner;
use super::fees::FeeSchedule;
use super::user::KycLevel;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CashoutPolicy {
    /// The smallest gross amount that may be withdrawn, in minor units.
    pub minimum: i64,
    /// How long a quote binds.
    pub quote_ttl_s: i64,
    /// How long a cash-out waits for its one-time code before it expires and its hold is released.
    pub confirm_ttl_s: i64,
    /// The lowest KYC level that may cash out: `basic` or `verified`.
    pub kyc_level_required: String,
    /// Codes compared per cash-out, right or wrong (each takes an attempt before it is
    /// compared); a wrong one at the last attempt locks the cash-out and releases its hold.
    pub otp_attempts_max: i64,
    /// A payout not paid this long after submission raises an operator alert.
    pub sla_hours: i64,
    /// How long a cash-out held for review usually waits for an operator's decision: what
    /// the person is told while their money stays held. A promise, not a timer.
    pub review_hours: i64,
    /// The operator's name as people read it in every SMS, page and receipt; unset (empty),
    /// the tenant's own name (see [`CashoutPolicy::operator`]).
    pub business_name: String,
    /// Printed on receipts beside the name; unset (empty), receipts show the name alone
    /// and `serve` warns at start.
    pub business_registration_number: String,
    /// Limits by KYC level (`basic`, `verified`).
    pub limits: BTreeMap<String, Limits>,
    /// Fees by rail, then speed (`standard`, `instant`).
    pub fees: BTreeMap<String, BTreeMap<String, FeeSchedule>>,
    /// Promised time to arrival by rail, then speed, in seconds.
    pub eta_s: BTreeMap<String, BTreeMap<String, i64>>,
    /// Which rail pays each kind of destination.
    pub rails: Rails,
    pub risk: RiskThresholds,
    /// The sandbox rail settles this long after submission.
    pub sandbox_settle_s: i64,
    /// The operator's account that bank payouts are paid from (the pain.001 debtor).
    pub bank: BankAccount,
    /// How the bank is reached over HTTP (unset: the operator carries the files).
    pub bank_link: BankLink,
    /// Times of day (`"HH:MM"`, the tenant's local time) at which waiting bank payouts are
    /// gathered into a batch. Empty: a batch on every pass of the worker.
    pub bank_cutoffs: Vec<String>,
    /// Auto-cash-outs go ahead without a one-time code, on the user's standing consent
    /// given when they turned auto-cash-out on. Off: each needs its code like any other.
    pub auto_standing_authorisation: bool,
    /// Vouchers of the cash-pickup rail.
    pub pickup: CashPickup,
    /// The e-wallet partner payouts on the `e_wallet` rail go to (unset: the rail is off).
    pub ewallet: EwalletPartner,
    /// How a person gets their identity checked on this platform, by language (`ko`, `en`),
    /// told in the web wallet to a user who has not had it checked. A language not given
    /// gets the wallet's own general sentence.
    pub kyc_instructions: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BankAccount {
    /// The account holder's name; unset (empty), the operator's name.
    pub name: String,
    /// An IBAN, or the domestic account number.
    pub account: String,
    /// A BIC, or the domestic bank code.
    pub bank_code: String,
}

impl Default for BankAccount {
    fn default() -> BankAccount {
        BankAccount { name: String::new(), account: "000-000000-00-000".into(), bank_code: "004".into() }
    }
}

/// The cash-pickup rail: how long a voucher may be collected, and how many wrong PINs an
/// agent may type before it locks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CashPickup {
    /// A voucher not redeemed this long after it is issued expires; its hold is released.
    pub voucher_ttl_h: i64,
    /// PINs compared per voucher, right or wrong (each takes an attempt before it is
    /// compared); a wrong one at the last attempt locks the voucher and fails its cash-out.
    pub pin_attempts_max: i64,
}

impl Default for CashPickup {
    fn default() -> CashPickup {
        CashPickup { voucher_ttl_h: 72, pin_attempts_max: 5 }
    }
}

/// How much one user may withdraw: at once, per day and per calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub per_transaction: i64,
    pub daily: i64,
    pub monthly: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rails {
    pub bank_account: String,
    pub e_wallet: String,
    pub cash_pickup: String,
}

/// The rails smallchange knows.
pub const RAILS: [&str; 4] = ["bank_transfer", "e_wallet", "cash_pickup", "sandbox"];
pub const SPEEDS: [&str; 2] = ["standard", "instant"];

/// How fast a quoted payout goes: one of [`SPEEDS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    Standard,
    Instant,
}

impl Speed {
    /// The speed called `name`; `None` for any other name.
    pub fn parse(name: &str) -> Option<Speed> {
        match name {
            "standard" => Some(Speed::Standard),
            "instant" => Some(Speed::Instant),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Speed::Standard => "standard",
            Speed::Instant => "instant",
        }
    }
}

fn schedule(bps: i64, fixed: i64, min: i64, max: i64) -> FeeSchedule {
    FeeSchedule { bps, fixed, min, max }
}

impl Default for CashoutPolicy {
    /// Won amounts: ₩5,000 minimum, flat ₩500 for a standard bank transfer.
    fn default() -> CashoutPolicy {
        let speeds = |standard: FeeSchedule, instant: FeeSchedule| {
            BTreeMap::from([("standard".to_string(), standard), ("instant".to_string(), instant)])
        };
        let bank = speeds(schedule(0, 500, 500, 500), schedule(100, 500, 1_000, 5_000));
        let fees = BTreeMap::from([
            ("bank_transfer".to_string(), bank.clone()),
            ("sandbox".to_string(), bank),
            ("e_wallet".to_string(), speeds(schedule(50, 0, 300, 3_000), schedule(150, 0, 500, 5_000))),
            (
                "cash_pickup".to_string(),
                speeds(schedule(200, 1_000, 1_500, 10_000), schedule(200, 1_000, 1_500, 10_000)),
            ),
        ]);
        let etas = |standard: i64, instant: i64| {
            BTreeMap::from([("standard".to_string(), standard), ("instant".to_string(), instant)])
        };
        let eta_s = BTreeMap::from([
            ("bank_transfer".to_string(), etas(24 * 3600, 600)),
            ("sandbox".to_string(), etas(60, 10)),
            ("e_wallet".to_string(), etas(3600, 60)),
            ("cash_pickup".to_string(), etas(600, 600)),
        ]);
        let limits = BTreeMap::from([
            ("basic".to_string(), Limits { per_transaction: 500_000, daily: 1_000_000, monthly: 3_000_000 }),
            ("verified".to_string(), Limits { per_transaction: 2_000_000, daily: 5_000_000, monthly: 20_000_000 }),
        ]);
        CashoutPolicy {
            minimum: 5_000,
            quote_ttl_s: 600,
            confirm_ttl_s: 900,
            kyc_level_required: "basic".into(),
            otp_attempts_max: 5,
            sla_hours: 24,
            review_hours: 24,
            business_name: String::new(),
            business_registration_number: String::new(),
            limits,
            fees,
            eta_s,
            rails: Rails::default(),
            risk: RiskThresholds::default(),
            sandbox_settle_s: 2,
            bank: BankAccount::default(),
            bank_link: BankLink::default(),
            bank_cutoffs: Vec::new(),
            auto_standing_authorisation: false,
            pickup: CashPickup::default(),
            ewallet: EwalletPartner::default(),
            kyc_instructions: BTreeMap::new(),
        }
    }
}

impl Default for Rails {
    fn default() -> Rails {
        Rails { bank_account: "bank_transfer".into(), e_wallet: "e_wallet".into(), cash_pickup: "cash_pickup".into() }
    }
}

/// Who the people of a wallet deal with: the name every SMS, page and receipt signs with,
/// and the registration number receipts print beside it, if one is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    pub name: String,
    pub registration_number: Option<String>,
}

impl CashoutPolicy {
    /// The operator as people read it: `business_name`, or, unset, `tenant_name` (the name
    /// the tenant was created with).
    pub fn operator(&self, tenant_name: &str) -> Operator {
        let set = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
        Operator {
            name: set(&self.business_name).unwrap_or_else(|| tenant_name.trim().to_string()),
            registration_number: set(&self.business_registration_number),
        }
    }

    /// The name on the operator's bank account (the pain.001 debtor): `bank.name`, or,
    /// unset, the operator's name.
    pub fn debtor_name(&self, operator: &Operator) -> String {
        Some(self.bank.name.trim()).filter(|n| !n.is_empty()).unwrap_or(&operator.name).to_string()
    }

    pub fn check(&self, name: &str) -> anyhow::Result<()> {
        anyhow::ensure!(self.minimum > 0, "{name}.minimum must be positive");
        anyhow::ensure!(
            self.quote_ttl_s > 0 && self.confirm_ttl_s > 0,
            "{name}: quote and confirm TTLs must be positive"
        );
        anyhow::ensure!(
            matches!(KycLevel::parse(&self.kyc_level_required), Some(KycLevel::Basic | KycLevel::Verified)),
            "{name}.kyc_level_required is basic or verified"
        );
        anyhow::ensure!(self.review_hours >= 1, "{name}.review_hours must be at least 1");
        anyhow::ensure!(self.otp_attempts_max >= 1, "{name}.otp_attempts_max must be at least 1");
        anyhow::ensure!(self.pickup.voucher_ttl_h >= 1, "{name}.pickup.voucher_ttl_h must be at least 1");
        anyhow::ensure!(self.pickup.pin_attempts_max >= 1, "{name}.pickup.pin_attempts_max must be at least 1");
        for (rail, speeds) in &self.fees {
            anyhow::ensure!(RAILS.contains(&rail.as_str()), "{name}.fees: unknown rail {rail:?}");
            for (speed, schedule) in speeds {
                anyhow::ensure!(SPEEDS.contains(&speed.as_str()), "{name}.fees.{rail}: unknown speed {speed:?}");
                schedule.check(&format!("{name}.fees.{rail}.{speed}"))?;
            }
        }
        // Each kind of destination only on a rail that can pay it (or the sandbox).
        let rails = [
            ("bank_account", &self.rails.bank_account, "bank_transfer"),
            ("e_wallet", &self.rails.e_wallet, "e_wallet"),
            ("cash_pickup", &self.rails.cash_pickup, "cash_pickup"),
        ];
        for (kind, rail, fits) in rails {
            anyhow::ensure!(
                rail == fits || rail == "sandbox",
                "{name}.rails.{kind} is {fits:?} or \"sandbox\", not {rail:?}"
            );
        }
        if let Some(problem) = iso20022::account_problem(&self.bank.account, &self.bank.bank_code) {
            anyhow::bail!("{name}.bank: the {problem}");
        }
        self.ewallet.check(&format!("{name}.ewallet"))?;
        for lang in self.kyc_instructions.keys() {
            anyhow::ensure!(matches!(lang.as_str(), "ko" | "en"), "{name}.kyc_instructions: {lang:?} is not ko or en");
        }
        self.bank_link.check(&format!("{name}.bank_link"))?;
        for time in &self.bank_cutoffs {
            anyhow::ensure!(
                super::cutoff::parse(time).is_some(),
                "{name}.bank_cutoffs: {time:?} is not a time \"HH:MM\""
            );
        }
        for (level, limits) in &self.limits {
            anyhow::ensure!(KycLevel::parse(level).is_some(), "{name}.limits: unknown KYC level {level:?}");
            anyhow::ensure!(
                limits.per_transaction > 0 && limits.daily > 0 && limits.monthly > 0,
                "{name}.limits.{level} must be positive"
            );
        }
        Ok(())
    }

    /// The rail that pays a destination of this type.
    /// The bank cut-offs in minutes after local midnight (checked at start-up).
    pub fn bank_cutoff_minutes(&self) -> Vec<i64> {
        self.bank_cutoffs.iter().filter_map(|time| super::cutoff::parse(time)).collect()
    }

    pub fn rail_for(&self, destination_type: &str) -> &str {
        match destination_type {
            "bank_account" => &self.rails.bank_account,
            "e_wallet" => &self.rails.e_wallet,
            _ => &self.rails.cash_pickup,
        }
    }

    pub fn fee_schedule(&self, rail: &str, speed: &str) -> Option<FeeSchedule> {
        self.fees.get(rail)?.get(speed).copied()
    }

    pub fn eta_s(&self, rail: &str, speed: &str) -> i64 {
        self.eta_s.get(rail).and_then(|s| s.get(speed)).copied().unwrap_or(24 * 3600)
    }

    /// The limits for a KYC level; none (nothing may be withdrawn) if the policy has none.
    pub fn limits_for(&self, level: &str) -> Option<Limits> {
        self.limits.get(level).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_destination_goes_to_a_rail_that_can_pay_it() {
        assert!(CashoutPolicy::default().check("cashout").is_ok());
        let mut wrong = CashoutPolicy::default();
        wrong.rails.e_wallet = "bank_transfer".into();
        let error = wrong.check("cashout").unwrap_err().to_string();
        assert!(error.contains("cashout.rails.e_wallet"), "{error}");
        let mut sandboxed = CashoutPolicy::default();
        sandboxed.rails.bank_account = "sandbox".into();
        assert!(sandboxed.check("cashout").is_ok());
    }

    #[test]
    fn the_debtor_account_must_fit_a_pain001() {
        let mut blank = CashoutPolicy::default();
        blank.bank.account = " ".into();
        assert!(blank.check("cashout").unwrap_err().to_string().contains("cashout.bank"));
        let mut long = CashoutPolicy::default();
        long.bank.account = "1".repeat(35);
        assert!(long.check("cashout").is_err());
        let mut odd = CashoutPolicy::default();
        odd.bank.account = "1002/345#678901".into();
        assert!(odd.check("cashout").unwrap_err().to_string().contains("letters, digits"));
        let mut dashed = CashoutPolicy::default();
        dashed.bank.account = "1002-345-678901".into();
        assert!(dashed.check("cashout").is_ok());
    }

    #[test]
    fn unset_the_operator_is_the_tenant() {
        let unset = CashoutPolicy::default();
        let operator = unset.operator("작은돈");
        assert_eq!(operator, Operator { name: "작은돈".into(), registration_number: None });
        assert_eq!(unset.debtor_name(&operator), "작은돈");
        let set = CashoutPolicy {
            business_name: " 작은돈 주식회사 ".into(),
            business_registration_number: "123-45-67890".into(),
            bank: BankAccount { name: "작은돈(주)".into(), ..BankAccount::default() },
            ..CashoutPolicy::default()
        };
        let operator = set.operator("demo");
        assert_eq!(operator.name, "작은돈 주식회사");
        assert_eq!(operator.registration_number.as_deref(), Some("123-45-67890"));
        assert_eq!(set.debtor_name(&operator), "작은돈(주)");
    }
}
