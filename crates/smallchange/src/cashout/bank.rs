//! The bank-transfer rail: cash-outs are gathered into batches, each written as an ISO
//! 20022 pain.001 file the operator sends to its bank; the bank's pain.002 or camt.054
//! reports come back and mark each payment paid (hold posted) or failed (hold released).
//!
//! A payment's EndToEndId is its cash-out id, so a report is matched without any state of
//! its own, and applying a report twice changes nothing the second time: each status
//! change is conditional on the state before it.

use std::collections::BTreeMap;

use ledger::Currency;
use serde::Serialize;

use super::flow;
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::rails::iso20022::{self, CreditTransfer, Debtor, Outcome, ReportKind};
use crate::store::cashouts::{self, Cashout, Transition};
use crate::store::destinations;
use crate::store::payout_batches::{self, Batch};
use crate::unit::Param;

pub const RAIL: &str = "bank_transfer";

/// Puts every `processing` bank-transfer cash-out into a new batch per tenant and currency
/// and marks it `in_transit`: from here the operator's bank has it.
pub async fn gather(app: &AppState, waiting: Vec<(String, Cashout)>) -> anyhow::Result<()> {
    let mut groups: BTreeMap<(String, String), Vec<Cashout>> = BTreeMap::new();
    for (tenant, cashout) in waiting.into_iter().filter(|(_, c)| c.quote.rail == RAIL) {
        groups.entry((tenant, cashout.quote.currency.clone())).or_default().push(cashout);
    }
    for ((tenant, currency), cashouts) in groups {
        let now = app.clock.now_us();
        let batch_id = crate::ids::time_ordered("pb", now);
        payout_batches::create(&app.db, &tenant, &batch_id, RAIL, &currency, now).await?;
        for cashout in cashouts {
            let t = Transition {
                tenant: &tenant,
                id: &cashout.id,
                from: &["processing"],
                to: "in_transit",
                note: format!("in bank batch {batch_id}"),
                at: now,
                set: vec![("rail_reference", Param::from(batch_id.clone())), ("submitted_at", now.into())],
                rows: vec![payout_batches::item_row(&batch_id, &cashout.id, cashout.quote.net)],
            };
            flow::change(app, t).await?;
        }
    }
    Ok(())
}

/// The pain.001 file of a batch.
pub async fn pain001(app: &AppState, tenant: &str, batch: &Batch) -> Result<String, ApiError> {
    let policy = app.settings.cashout_policy(tenant);
    let debtor = Debtor {
        name: policy.bank.name.clone(),
        account: policy.bank.account.clone(),
        bank_code: policy.bank.bank_code.clone(),
    };
    let mut payments = Vec::new();
    for id in payout_batches::items(&app.db, &batch.id).await? {
        let cashout = flow::load(app, tenant, &id).await?;
        let destination = destinations::get(&app.db, tenant, &cashout.quote.destination_id)
            .await?
            .ok_or_else(|| ApiError::internal(format!("cash-out {id} has no destination")))?;
        let details = destinations::details_of(&app.db, &app.secrets, tenant, &destination.id)
            .await?
            .ok_or_else(|| ApiError::internal(format!("destination {} has no details", destination.id)))?;
        let field = |name: &str| details[name].as_str().unwrap_or_default().to_string();
        payments.push(CreditTransfer {
            end_to_end_id: cashout.id.clone(),
            amount_minor: cashout.quote.net,
            currency: Currency::parse(&cashout.quote.currency)
                .map_err(|_| ApiError::internal("bad stored currency"))?,
            creditor_name: destination.holder_name.clone(),
            creditor_account: field("account_number"),
            creditor_bank_code: field("bank_code"),
            remittance: format!("{} cash-out {}", policy.business_name, cashout.id),
        });
    }
    let created = time::OffsetDateTime::from_unix_timestamp(batch.created_at / 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Ok(iso20022::pain001(&batch.id, created, &debtor, &payments))
}

/// What a status report did to each payment it named.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Applied {
    /// `pain.002` or `camt.054`.
    pub kind: &'static str,
    pub message_id: String,
    pub results: Vec<PaymentResult>,
    /// EndToEndIds the report names that are no cash-out of this tenant on this rail.
    pub unknown: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PaymentResult {
    pub cashout_id: String,
    /// `paid`, `rejected` or `pending`, as the bank reports it.
    pub outcome: &'static str,
    pub reason: Option<String>,
    /// Whether this report changed the cash-out (false when it was applied before).
    pub changed: bool,
    /// The cash-out's status now.
    pub status: String,
}

/// Applies a pain.002 or camt.054 report to the tenant's bank cash-outs.
pub async fn apply_report(app: &AppState, tenant: &str, xml: &str) -> Result<Applied, ApiError> {
    let report = iso20022::parse_report(xml).map_err(|e| ApiError::bad_request("invalid_report", e.to_string()))?;
    let mut applied = Applied {
        kind: match report.kind {
            ReportKind::Pain002 => "pain.002",
            ReportKind::Camt054 => "camt.054",
        },
        message_id: report.message_id.clone(),
        results: Vec::new(),
        unknown: Vec::new(),
    };
    for entry in report.entries {
        let Some(cashout) =
            cashouts::get(&app.db, tenant, &entry.end_to_end_id).await?.filter(|c| c.quote.rail == RAIL)
        else {
            applied.unknown.push(entry.end_to_end_id);
            continue;
        };
        let now = app.clock.now_us();
        let (outcome, changed) = match entry.outcome {
            Outcome::Paid => {
                let mut t = transition(
                    tenant,
                    &cashout.id,
                    "paid",
                    format!("bank reports it paid ({})", report.message_id),
                    now,
                );
                t.set = vec![("paid_at", now.into())];
                ("paid", flow::change(app, t).await?)
            }
            Outcome::Rejected => {
                let reason = entry.reason.clone().unwrap_or_else(|| "rejected".into());
                let mut t = transition(tenant, &cashout.id, "failed", format!("bank rejected it: {reason}"), now);
                t.set = vec![("failure_reason", Param::from(format!("bank:{reason}")))];
                ("rejected", flow::change(app, t).await?)
            }
            Outcome::Pending => ("pending", false),
        };
        let status = flow::load(app, tenant, &cashout.id).await?.status;
        applied.results.push(PaymentResult { cashout_id: cashout.id, outcome, reason: entry.reason, changed, status });
    }
    Ok(applied)
}

fn transition<'a>(tenant: &'a str, id: &'a str, to: &'a str, note: String, at: i64) -> Transition<'a> {
    Transition { tenant, id, from: &["in_transit"], to, note, at, set: Vec::new(), rows: Vec::new() }
}
