//! The kinds of event, each with a stable string: stored with the event, encoded in its
//! audit entry, and read by consumers. A string, once shipped, never changes meaning;
//! docs/EVENTS.md lists every kind with its data (a test keeps the two in step).

use std::fmt;

macro_rules! kinds {
    ($($variant:ident = $text:literal,)*) => {
        /// What happened.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Kind {
            $($variant,)*
        }

        impl Kind {
            /// Every kind, in the order docs/EVENTS.md lists them.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Kind::$variant => $text,)*
                }
            }

            pub fn parse(text: &str) -> Option<Kind> {
                match text {
                    $($text => Some(Kind::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

kinds! {
    // Tenants and their keys, endpoints and settings.
    TenantCreated = "tenant.created",
    ApiKeyCreated = "api_key.created",
    ApiKeyRevoked = "api_key.revoked",
    WebhookEndpointCreated = "webhook_endpoint.created",
    WebhookEndpointDisabled = "webhook_endpoint.disabled",
    // People and what they own.
    UserCreated = "user.created",
    UserErased = "user.erased",
    KycRecorded = "user.kyc_recorded",
    TotpEnrolled = "user.totp_enrolled",
    TotpSetupStarted = "user.totp_setup_started",
    TotpReset = "user.totp_reset",
    UserFrozen = "user.frozen",
    UserUnfrozen = "user.unfrozen",
    DestinationAdded = "destination.added",
    AutoCashoutSet = "auto_cashout.set",
    // Wallet access.
    WalletLinkCreated = "wallet.link_created",
    WalletLinkOpened = "wallet.link_opened",
    WalletSignInStarted = "wallet.sign_in_started",
    WalletSignInFailed = "wallet.sign_in_failed",
    WalletSignedIn = "wallet.signed_in",
    WalletSessionEnded = "wallet.session_ended",
    // Console operators.
    OperatorCreated = "operator.created",
    OperatorSetUp = "operator.set_up",
    OperatorSignedIn = "operator.signed_in",
    OperatorSessionEnded = "operator.session_ended",
    OperatorDisabled = "operator.disabled",
    OperatorReset = "operator.reset",
    // Money in, money spent.
    TopUpReceived = "topup.received",
    PaymentMade = "payment.made",
    PaymentRefunded = "payment.refunded",
    GiftCardProgramCreated = "gift_card.program_created",
    GiftCardIssued = "gift_card.issued",
    GiftCardRedeemed = "gift_card.redeemed",
    GiftCardRemainderRefunded = "gift_card.remainder_refunded",
    GiftCardExpiring = "gift_card.expiring",
    BalanceThresholdReached = "balance.threshold_reached",
    // Cash-outs: creation, every status they can reach, and what operators do to them.
    CashoutCreated = "cashout.created",
    CashoutCodeSent = "cashout.code_sent",
    CashoutCodeFailed = "cashout.code_failed",
    CashoutProcessing = "cashout.processing",
    CashoutInReview = "cashout.in_review",
    CashoutApproved = "cashout.approved",
    CashoutRejected = "cashout.rejected",
    CashoutInTransit = "cashout.in_transit",
    CashoutPaid = "cashout.paid",
    CashoutFailed = "cashout.failed",
    CashoutCanceled = "cashout.canceled",
    CashoutExpired = "cashout.expired",
    CashoutSlaBreached = "cashout.sla_breached",
    CashoutStuck = "cashout.stuck",
    CashoutReceiptOpened = "cashout.receipt_opened",
    CashoutReviewClaimed = "cashout.review_claimed",
    VoucherIssued = "cash_pickup.voucher_issued",
    VoucherRedeemed = "cash_pickup.voucher_redeemed",
    PayoutBatchFiled = "payout_batch.filed",
    BankReportApplied = "payout_batch.report_applied",
    DisputeOpened = "dispute.opened",
    DisputeResolved = "dispute.resolved",
    // The low-level ledger API: one event per request.
    LedgerAccountsCreated = "ledger.accounts_created",
    LedgerTransfersCreated = "ledger.transfers_created",
    // The audit log itself.
    AuditKeyRotated = "audit.key_rotated",
}

impl Kind {
    /// The kind a cash-out's move to `status` is recorded as.
    pub fn of_cashout_status(status: &str) -> Option<Kind> {
        Kind::parse(&format!("cashout.{status}")).filter(|kind| kind.as_str().starts_with("cashout."))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_string() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(*kind));
        }
    }

    #[test]
    fn every_kind_is_listed_in_the_docs() {
        let docs = include_str!("../../../../docs/EVENTS.md");
        for kind in Kind::ALL {
            assert!(docs.contains(&format!("`{}`", kind.as_str())), "docs/EVENTS.md does not list {kind}");
        }
    }

    #[test]
    fn a_cash_out_status_has_its_kind() {
        assert_eq!(Kind::of_cashout_status("paid"), Some(Kind::CashoutPaid));
        assert_eq!(Kind::of_cashout_status("teleported"), None);
    }
}
