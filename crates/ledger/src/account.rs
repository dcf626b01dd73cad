//! Ledger accounts: four counters, a currency, a code and the balance limits their flags set.

use crate::amount::{Amount, Currency};

/// The store's key for an account. The kernel treats it as opaque; the server scopes the
/// caller's id by tenant before it gets here.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(pub String);

/// Balance limits an account enforces on every transfer that touches it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AccountFlags(u32);

impl AccountFlags {
    /// Debits (pending and posted) may never exceed posted credits: a customer's balance.
    pub const DEBITS_MUST_NOT_EXCEED_CREDITS: AccountFlags = AccountFlags(1);
    /// Credits (pending and posted) may never exceed posted debits.
    pub const CREDITS_MUST_NOT_EXCEED_DEBITS: AccountFlags = AccountFlags(2);
    const ALL: u32 = 3;

    pub fn from_bits(bits: u32) -> Option<AccountFlags> {
        (bits & !Self::ALL == 0).then_some(AccountFlags(bits))
    }
    pub fn bits(self) -> u32 {
        self.0
    }
    pub fn contains(self, other: AccountFlags) -> bool {
        self.0 & other.0 == other.0
    }
    pub fn union(self, other: AccountFlags) -> AccountFlags {
        AccountFlags(self.0 | other.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub currency: Currency,
    pub code: u16,
    pub flags: AccountFlags,
    pub debits_pending: Amount,
    pub debits_posted: Amount,
    pub credits_pending: Amount,
    pub credits_posted: Amount,
}

impl Account {
    /// A new account with all counters at zero.
    pub fn open(id: AccountId, currency: Currency, code: u16, flags: AccountFlags) -> Account {
        Account {
            id,
            currency,
            code,
            flags,
            debits_pending: Amount::ZERO,
            debits_posted: Amount::ZERO,
            credits_pending: Amount::ZERO,
            credits_posted: Amount::ZERO,
        }
    }

    /// Whether the counters respect the limits the flags set. Sums that overflow do not.
    pub fn within_limits(&self) -> bool {
        let debits = self.debits_pending.checked_add(self.debits_posted);
        let credits = self.credits_pending.checked_add(self.credits_posted);
        let (Some(debits), Some(credits)) = (debits, credits) else {
            return false;
        };
        let debit_ok =
            !self.flags.contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS) || debits <= self.credits_posted;
        let credit_ok =
            !self.flags.contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS) || credits <= self.debits_posted;
        debit_ok && credit_ok
    }

    /// Posted credits minus posted debits minus pending debits: what a customer can spend.
    /// Negative for an account on the other side of the books.
    pub fn available_credit(&self) -> i128 {
        i128::from(self.credits_posted.minor_units())
            - i128::from(self.debits_posted.minor_units())
            - i128::from(self.debits_pending.minor_units())
    }
}
