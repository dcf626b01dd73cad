//! A tenant's wallet policy: its currency, which pockets may be withdrawn, and the carrier
//! billing limit. Read from the settings file (`[wallet]`, and `[wallet_tenants."<id>"]`
//! per tenant); a policy that would let carrier-billed, card-funded or promotional value
//! out as cash is refused at start-up.

use ledger::Currency;
use serde::{Deserialize, Serialize};

use super::pocket::Pocket;
use crate::people::{self, Lang};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WalletPolicy {
    /// The tenant's currency: balances default to it, and carrier billing is in it.
    pub currency: String,
    /// Most a user may top up by carrier billing in one calendar month, in minor units.
    pub carrier_monthly_limit: i64,
    /// The offset from UTC, in minutes, of the clock that decides calendar months.
    pub month_utc_offset_minutes: i32,
    /// `cashback` is withdrawable only while its pocket holds at least this much.
    pub cashback_withdrawable_min: i64,
    pub withdrawable: Withdrawable,
    /// A gift card with value left this many days before it expires raises
    /// `gift_card.expiring`, once (0: never).
    pub gift_card_expiry_notice_days: i64,
}

/// Which pockets may be withdrawn. `promo`, `carrier` and `card` must stay `false`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Withdrawable {
    pub cash: bool,
    pub refund: bool,
    pub cashback: bool,
    pub promo: bool,
    pub carrier: bool,
    pub card: bool,
}

impl Default for WalletPolicy {
    /// A Korean operator's defaults: won, the usual ₩1,000,000 carrier cap, KST months.
    fn default() -> WalletPolicy {
        WalletPolicy {
            currency: "KRW".into(),
            carrier_monthly_limit: 1_000_000,
            month_utc_offset_minutes: 9 * 60,
            cashback_withdrawable_min: 10_000,
            withdrawable: Withdrawable::default(),
            gift_card_expiry_notice_days: 30,
        }
    }
}

impl Default for Withdrawable {
    fn default() -> Withdrawable {
        Withdrawable { cash: true, refund: true, cashback: true, promo: false, carrier: false, card: false }
    }
}

/// Whether a pocket's balance may be withdrawn now, and why: as data ([`Why`], which the
/// wallet's pages turn into catalog words) and in words for the API (`reason`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub withdrawable: bool,
    pub why: Why,
    pub reason: String,
}

/// Why a pocket may or may not be withdrawn, with the amounts the explanation names (minor
/// units of the policy's currency). [`Why::code`] is stable: the web wallet's catalogs name
/// a sentence per code (`pocket-why-own_money`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// Topped up from a bank or earned: the person's own money.
    OwnMoney,
    /// Refunds of purchases paid from withdrawable money.
    WithdrawableRefund,
    /// Cashback that reached `minimum`.
    CashbackEnough {
        minimum: i64,
        held: i64,
    },
    /// Cashback short of `minimum`.
    CashbackTooLittle {
        minimum: i64,
        held: i64,
    },
    /// A pocket the law would let out that this operator keeps in.
    OperatorPolicy,
    Promo,
    Carrier,
    Card,
    /// Gift-card value, its card's terms not at hand.
    Gift,
    /// A gift card used `used_bps`, past its threshold: `left` may be refunded now.
    GiftRefundable {
        used_bps: i64,
        left: i64,
    },
    /// A gift card used `used_bps`: `to_spend` more reaches `threshold_bps`, and then its
    /// remainder may be refunded.
    GiftSpendMore {
        used_bps: i64,
        threshold_bps: i64,
        to_spend: i64,
    },
    /// A gift card that expired at `at_us`.
    GiftExpired {
        at_us: i64,
    },
}

impl Why {
    /// The stable name of the explanation.
    pub fn code(&self) -> &'static str {
        match self {
            Why::OwnMoney => "own_money",
            Why::WithdrawableRefund => "withdrawable_refund",
            Why::CashbackEnough { .. } => "cashback_enough",
            Why::CashbackTooLittle { .. } => "cashback_too_little",
            Why::OperatorPolicy => "operator_policy",
            Why::Promo => "promo",
            Why::Carrier => "carrier",
            Why::Card => "card",
            Why::Gift => "gift",
            Why::GiftRefundable { .. } => "gift_refundable",
            Why::GiftSpendMore { .. } => "gift_spend_more",
            Why::GiftExpired { .. } => "gift_expired",
        }
    }
}

impl WalletPolicy {
    /// Refuses a policy that would cross the lawful line or cannot work.
    pub fn check(&self, name: &str) -> anyhow::Result<()> {
        let never = [
            ("carrier", self.withdrawable.carrier),
            ("card", self.withdrawable.card),
            ("promo", self.withdrawable.promo),
        ];
        for (pocket, allowed) in never {
            anyhow::ensure!(
                !allowed,
                "{name}.withdrawable.{pocket} = true is refused: {pocket} value can be spent but never withdrawn as \
                 cash (carrier-billed and card-funded value must never become cash; promotional credit is not the \
                 user's money)"
            );
        }
        Currency::parse(&self.currency)
            .map_err(|_| anyhow::anyhow!("{name}.currency {:?} is not a known ISO 4217 code", self.currency))?;
        anyhow::ensure!(self.carrier_monthly_limit >= 0, "{name}.carrier_monthly_limit must not be negative");
        anyhow::ensure!(self.cashback_withdrawable_min >= 0, "{name}.cashback_withdrawable_min must not be negative");
        anyhow::ensure!(
            (-14 * 60..=14 * 60).contains(&self.month_utc_offset_minutes),
            "{name}.month_utc_offset_minutes must be within ±14 hours"
        );
        Ok(())
    }

    pub fn currency(&self) -> Currency {
        Currency::parse(&self.currency).expect("checked at start-up")
    }

    /// Whether `pocket`, holding `available`, is withdrawable under this policy, and why in
    /// `lang` (amounts in the policy's currency, as people write them).
    pub fn verdict(&self, pocket: &Pocket, available: i64, lang: Lang) -> Verdict {
        let minimum = self.cashback_withdrawable_min;
        let (withdrawable, why) = match pocket {
            Pocket::Cash if self.withdrawable.cash => (true, Why::OwnMoney),
            Pocket::Refund if self.withdrawable.refund => (true, Why::WithdrawableRefund),
            Pocket::Cashback if self.withdrawable.cashback && available >= minimum => {
                (true, Why::CashbackEnough { minimum, held: available })
            }
            Pocket::Cashback if self.withdrawable.cashback => {
                (false, Why::CashbackTooLittle { minimum, held: available })
            }
            Pocket::Cash | Pocket::Refund | Pocket::Cashback => (false, Why::OperatorPolicy),
            Pocket::Promo => (false, Why::Promo),
            Pocket::Carrier => (false, Why::Carrier),
            Pocket::Card => (false, Why::Card),
            Pocket::Gift(_) => (false, Why::Gift),
        };
        let reason = self.reason(&why, lang);
        Verdict { withdrawable, why, reason }
    }

    /// The API's `reason` for the fixed pockets' explanations, in `lang` (amounts in the
    /// policy's currency). A gift card's own explanations are written where its terms are
    /// read (`services::balances`).
    fn reason(&self, why: &Why, lang: Lang) -> String {
        let money = |minor: i64| people::money(minor, &self.currency, lang);
        let t = |ko: &str, en: &str| match lang {
            Lang::Ko => ko.to_string(),
            Lang::En => en.to_string(),
        };
        match (why, lang) {
            (Why::OwnMoney, _) => t(
                "계좌 충전이나 수입으로 받은 내 돈이라 출금할 수 있어요.",
                "your own money (bank top-ups, earnings): withdrawable",
            ),
            (Why::WithdrawableRefund, _) => t(
                "출금할 수 있는 돈으로 결제한 구매의 환불금이라 출금할 수 있어요.",
                "refunds of purchases paid from withdrawable sources: withdrawable",
            ),
            (Why::CashbackEnough { minimum, held }, Lang::Ko) => {
                format!("캐시백이 {} 이상이라 출금할 수 있어요 (지금 {}).", money(*minimum), money(*held))
            }
            (Why::CashbackEnough { minimum, held }, Lang::En) => {
                format!("cashback of {} or more is withdrawable; this pocket holds {}", money(*minimum), money(*held))
            }
            (Why::CashbackTooLittle { minimum, held }, Lang::Ko) => {
                format!("캐시백은 {} 이상 모이면 출금할 수 있어요 (지금 {}).", money(*minimum), money(*held))
            }
            (Why::CashbackTooLittle { minimum, held }, Lang::En) => {
                format!("cashback becomes withdrawable once it reaches {}; it holds {}", money(*minimum), money(*held))
            }
            (Why::Promo, _) => t(
                "프로모션 적립금은 쓸 수만 있고 출금할 수 없어요.",
                "promotional credit can be spent, never withdrawn",
            ),
            (Why::Carrier, _) => t(
                "휴대폰 요금으로 결제한 금액이라 쓸 수만 있고 현금으로 출금할 수 없어요.",
                "charged to a phone bill: can be spent, never withdrawn as cash",
            ),
            (Why::Card, _) => t(
                "카드로 결제한 금액이라 쓸 수만 있고 현금으로 출금할 수 없어요.",
                "charged to a card: can be spent, never withdrawn as cash",
            ),
            (Why::Gift | Why::GiftRefundable { .. } | Why::GiftSpendMore { .. } | Why::GiftExpired { .. }, _) => t(
                "상품권 잔액은 쓸 수 있고, 상품권 조건을 채우면 남은 금액을 환불받을 수 있어요.",
                "gift card balance: can be spent; the remainder can be refunded only once the \
                 card's terms allow it",
            ),
            (Why::OperatorPolicy, _) => {
                t("이 운영사의 정책상 출금할 수 없어요.", "not withdrawable under this operator's policy")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_lawful_and_carrier_card_promo_can_never_be_withdrawable() {
        assert!(WalletPolicy::default().check("wallet").is_ok());
        for pocket in ["carrier", "card", "promo"] {
            let mut policy = WalletPolicy::default();
            match pocket {
                "carrier" => policy.withdrawable.carrier = true,
                "card" => policy.withdrawable.card = true,
                _ => policy.withdrawable.promo = true,
            }
            let error = policy.check("wallet").unwrap_err().to_string();
            assert!(error.contains(&format!("wallet.withdrawable.{pocket} = true is refused")), "{error}");
        }
    }

    #[test]
    fn cashback_is_withdrawable_from_the_threshold_on() {
        let policy = WalletPolicy::default();
        assert!(!policy.verdict(&Pocket::Cashback, 9_999, Lang::Ko).withdrawable);
        assert!(policy.verdict(&Pocket::Cashback, 10_000, Lang::Ko).withdrawable);
        assert!(!policy.verdict(&Pocket::Carrier, 1_000_000, Lang::Ko).withdrawable);
        assert!(!policy.verdict(&Pocket::Gift("gc_1".into()), 5_000, Lang::Ko).withdrawable);
    }

    #[test]
    fn reasons_are_in_the_person_s_language_with_money_as_people_write_it() {
        let policy = WalletPolicy::default();
        let ko = policy.verdict(&Pocket::Cashback, 9_000, Lang::Ko).reason;
        assert!(ko.contains("10,000원") && ko.contains("9,000원"), "{ko}");
        let en = policy.verdict(&Pocket::Cashback, 9_000, Lang::En).reason;
        assert!(en.contains("₩10,000") && en.contains("₩9,000") && !en.contains("10000"), "{en}");
        assert!(policy.verdict(&Pocket::Carrier, 0, Lang::En).reason.contains("never withdrawn"));
        assert!(policy.verdict(&Pocket::Carrier, 0, Lang::Ko).reason.contains("출금할 수 없어요"));
        let why = policy.verdict(&Pocket::Cashback, 9_000, Lang::En).why;
        assert_eq!(why, Why::CashbackTooLittle { minimum: 10_000, held: 9_000 });
        assert_eq!(why.code(), "cashback_too_little");
    }
}
