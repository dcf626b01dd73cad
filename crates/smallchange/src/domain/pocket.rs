//! Pockets by provenance, the top-up sources that fill them, and the ledger accounts behind
//! both.
//!
//! Every unit of a user's value sits in the pocket its source decides, and no path moves it
//! to a pocket of different provenance: that is how carrier-billed and card-funded value
//! stays spend-only whatever happens to it.
//!
//! Account ids: a user's pocket is `<tenant>/<user id>:<pocket>:<currency>`; the operator's
//! side of the wallet (funding sources, merchants, gift cards, counters) is
//! `<tenant>/:<kind>:…`. Callers' own ledger ids cannot contain `:`, so none of these can
//! be forged or collide through the low-level ledger API.

use ledger::{Account, AccountFlags, AccountId, Currency};

use super::gift_card::GiftTerms;

/// Ledger codes of the wallet's accounts and transfers, to tell them apart in the books.
pub mod codes {
    pub const POCKET: u16 = 100;
    pub const OPERATOR: u16 = 101;
    pub const MERCHANT: u16 = 102;
    pub const GIFT_CARD: u16 = 103;
    pub const COUNTER: u16 = 109;

    pub const TOPUP: u16 = 110;
    pub const PAYMENT: u16 = 111;
    pub const PAYMENT_REFUND: u16 = 112;
    pub const GIFT_CARD_ISSUE: u16 = 113;
    pub const GIFT_CARD_REDEEM: u16 = 114;
    pub const GIFT_CARD_REMAINDER: u16 = 115;
    pub const COUNT: u16 = 119;
    pub const CASHOUT_HOLD: u16 = 120;
    pub const CASHOUT_RELEASE: u16 = 121;
    pub const CASHOUT_PAY: u16 = 122;
    pub const CASHOUT_FEE: u16 = 123;
    pub const CASHOUT_SENT: u16 = 124;
    pub const DISPUTE_ADJUSTMENT: u16 = 125;
    pub const CASHOUT_RETURN: u16 = 126;
}

/// A pocket account of a user, with its gift card's terms if it is one (read by
/// `store::wallet`, planned on by the committer's units).
#[derive(Clone, Debug)]
pub struct PocketAccount {
    pub pocket: Pocket,
    pub account: Account,
    pub gift_card_expires_at: Option<i64>,
    pub gift_card: Option<GiftTerms>,
}

impl PocketAccount {
    /// What can be spent or withdrawn now: credits less debits, holds included.
    pub fn available(&self) -> i64 {
        available(&self.account)
    }
}

/// An account's credits less all its debits, posted and pending.
pub fn available(account: &Account) -> i64 {
    account.credits_posted.minor_units() - account.debits_posted.minor_units() - account.debits_pending.minor_units()
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pocket {
    Cash,
    Refund,
    Cashback,
    Promo,
    Carrier,
    Card,
    /// One per redeemed gift card, named by the card's id.
    Gift(String),
}

impl Pocket {
    pub fn name(&self) -> String {
        match self {
            Pocket::Gift(card) => format!("gift:{card}"),
            other => other.fixed_name().to_string(),
        }
    }

    fn fixed_name(&self) -> &'static str {
        match self {
            Pocket::Cash => "cash",
            Pocket::Refund => "refund",
            Pocket::Cashback => "cashback",
            Pocket::Promo => "promo",
            Pocket::Carrier => "carrier",
            Pocket::Card => "card",
            Pocket::Gift(_) => "gift",
        }
    }

    pub fn parse(name: &str) -> Option<Pocket> {
        Some(match name {
            "cash" => Pocket::Cash,
            "refund" => Pocket::Refund,
            "cashback" => Pocket::Cashback,
            "promo" => Pocket::Promo,
            "carrier" => Pocket::Carrier,
            "card" => Pocket::Card,
            _ => Pocket::Gift(name.strip_prefix("gift:").filter(|card| !card.is_empty())?.to_string()),
        })
    }

    /// Where this pocket comes in the spend order of API.md: gift cards first (the caller
    /// orders those by expiry), withdrawable value last.
    pub fn spend_rank(&self) -> u8 {
        match self {
            Pocket::Gift(_) => 0,
            Pocket::Carrier => 1,
            Pocket::Card => 2,
            Pocket::Promo => 3,
            Pocket::Cashback => 4,
            Pocket::Refund => 5,
            Pocket::Cash => 6,
        }
    }
}

/// Where a top-up's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    BankTransfer,
    Earning,
    Refund,
    Cashback,
    Promo,
    CarrierBilling,
    Card,
}

impl Source {
    pub const ALL: [Source; 7] = [
        Source::BankTransfer,
        Source::Earning,
        Source::Refund,
        Source::Cashback,
        Source::Promo,
        Source::CarrierBilling,
        Source::Card,
    ];

    pub fn parse(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::BankTransfer => "bank_transfer",
            Source::Earning => "earning",
            Source::Refund => "refund",
            Source::Cashback => "cashback",
            Source::Promo => "promo",
            Source::CarrierBilling => "carrier_billing",
            Source::Card => "card",
        }
    }

    /// The pocket value from this source lands in. A refund inherits the provenance of what
    /// the refunded purchase was paid with (`refund_of`): a refunded carrier-billed purchase
    /// goes back to `carrier`, never to a withdrawable pocket.
    pub fn pocket(self, refund_of: Option<Source>) -> Pocket {
        match self {
            Source::BankTransfer | Source::Earning => Pocket::Cash,
            Source::Cashback => Pocket::Cashback,
            Source::Promo => Pocket::Promo,
            Source::CarrierBilling => Pocket::Carrier,
            Source::Card => Pocket::Card,
            Source::Refund => match refund_of {
                Some(Source::Refund) | None => Pocket::Refund,
                Some(Source::BankTransfer | Source::Earning) => Pocket::Refund,
                Some(original) => original.pocket(None),
            },
        }
    }
}

/// A user's pocket account.
pub fn pocket_account(tenant: &str, user: &str, pocket: &Pocket, currency: Currency) -> Account {
    let id = AccountId(format!("{tenant}/{user}:{}:{}", pocket.name(), currency.code()));
    Account::open(id, currency, codes::POCKET, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
}

/// The operator's side of top-ups from `source`: it goes negative as value is issued.
pub fn source_account(tenant: &str, source: Source, currency: Currency) -> Account {
    operator_account(tenant, &format!("source:{}", source.as_str()), currency)
}

/// Where issued gift cards' value comes from.
pub fn gift_card_float(tenant: &str, currency: Currency) -> Account {
    operator_account(tenant, "source:gift_cards", currency)
}

/// Where held cash-outs wait: credited when a hold is paid out, then emptied into the fee
/// income and the rail's payouts.
pub fn cashout_clearing(tenant: &str, currency: Currency) -> Account {
    operator_account(tenant, "cashouts", currency)
}

/// The operator's cash-out fee income.
pub fn fee_income(tenant: &str, currency: Currency) -> Account {
    operator_account(tenant, "fees", currency)
}

/// Money that left through a rail to users' destinations.
pub fn payouts_sent(tenant: &str, rail: &str, currency: Currency) -> Account {
    operator_account(tenant, &format!("payouts:{rail}"), currency)
}

/// Where dispute adjustments paid to users come from (the operator's cost).
pub fn operator_adjustments(tenant: &str, currency: Currency) -> Account {
    operator_account(tenant, "adjustments", currency)
}

/// The other side of every counter (see [`counter_account`]).
pub fn counter_source(tenant: &str, currency: Currency) -> Account {
    operator_account(tenant, "counters", currency)
}

fn operator_account(tenant: &str, name: &str, currency: Currency) -> Account {
    let id = AccountId(format!("{tenant}/:{name}:{}", currency.code()));
    Account::open(id, currency, codes::OPERATOR, AccountFlags::default())
}

/// A merchant's account: it can refund no more than it was paid.
pub fn merchant_account(tenant: &str, merchant: &str, currency: Currency) -> Account {
    let id = AccountId(format!("{tenant}/:merchant:{merchant}:{}", currency.code()));
    Account::open(id, currency, codes::MERCHANT, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
}

/// An issued gift card's value until it is redeemed.
pub fn gift_card_account(tenant: &str, card: &str, currency: Currency) -> Account {
    let id = AccountId(format!("{tenant}/:gift_card:{card}"));
    Account::open(id, currency, codes::GIFT_CARD, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
}

/// A running total kept in the ledger so that a limit can be checked where it cannot race
/// (in the committer, with the account locked): its credits are the total so far.
pub fn counter_account(tenant: &str, name: &str, currency: Currency) -> Account {
    let id = AccountId(format!("{tenant}/:counter:{name}"));
    Account::open(id, currency, codes::COUNTER, AccountFlags::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refunds_inherit_the_provenance_of_what_was_refunded() {
        assert_eq!(Source::Refund.pocket(Some(Source::CarrierBilling)), Pocket::Carrier);
        assert_eq!(Source::Refund.pocket(Some(Source::Card)), Pocket::Card);
        assert_eq!(Source::Refund.pocket(Some(Source::Promo)), Pocket::Promo);
        assert_eq!(Source::Refund.pocket(Some(Source::BankTransfer)), Pocket::Refund);
        assert_eq!(Source::Refund.pocket(Some(Source::Earning)), Pocket::Refund);
    }

    #[test]
    fn pocket_names_round_trip() {
        for pocket in [Pocket::Cash, Pocket::Carrier, Pocket::Gift("gc_1".into())] {
            assert_eq!(Pocket::parse(&pocket.name()), Some(pocket));
        }
        assert_eq!(Pocket::parse("gift:"), None);
        assert_eq!(Pocket::parse("savings"), None);
    }
}
