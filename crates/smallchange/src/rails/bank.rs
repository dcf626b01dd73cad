//! The bank-transfer rail: cash-outs are gathered into batches, each written as an ISO
//! 20022 pain.001 file the operator sends to its bank; the bank's pain.002 or camt.054
//! reports come back and mark each payment paid (hold posted) or failed (hold released).
//!
//! When the tenant has a bank link (`[cashout.bank_link]`), the same files travel over
//! HTTP: each closed batch is uploaded by a `bank_upload` job, and a `bank_reports` job
//! polls the bank for new reports (see [`crate::workers::bank`]).
//!
//! A payment's EndToEndId is its cash-out id, so a report is matched without any state of
//! its own; applying a report to the cash-outs is a use case
//! ([`crate::services::cashout::bank_reports`]).

use std::collections::BTreeMap;

use futures::future::BoxFuture;
use ledger::Currency;
use serde_json::json;

use super::{Moved, Outcome, Outcomes, Rail, Waiting};
use crate::config::Settings;
use crate::context::Context;
use crate::domain::bank_link::BankLink;
use crate::domain::cutoff;
use crate::events::{Happened, Kind};
use crate::services::{Actor, Error};
use crate::store::cashouts::{self, Cashout};
use crate::store::payout_batches::{self, Batch};
use crate::store::{self, bank_link, destinations, jobs};
use crate::unit::{Guard, Refusal, Unit};
use iso20022::{CreditTransfer, Debtor};

pub const RAIL: &str = "bank_transfer";
/// The job that uploads one closed batch to the tenant's bank link.
pub const UPLOAD_JOB: &str = "bank_upload";
/// The job that fetches and applies a bank link's new status reports.
pub const REPORTS_JOB: &str = "bank_reports";
/// A batch still open this long after it was made had its gathering cut short (a crash):
/// it is closed as it is.
const STALE_OPEN_US: i64 = 60 * 1_000_000;

pub struct Bank;

impl Rail for Bank {
    fn name(&self) -> &'static str {
        RAIL
    }

    /// Puts the cash-outs whose cut-off has come into a new batch per tenant and currency,
    /// each `in_transit` (from here the operator's bank has it), then closes the batch: only
    /// then may it be downloaded, or uploaded when the tenant has a bank link.
    fn submit<'a>(&'a self, app: &'a Context, waiting: Waiting, now: i64) -> Outcomes<'a> {
        Box::pin(async move {
            let mut groups: BTreeMap<(String, String), Vec<Cashout>> = BTreeMap::new();
            for (tenant, cashout) in waiting.into_iter().filter(|(tenant, c)| cut_off(app, tenant, c, now)) {
                groups.entry((tenant, cashout.quote.currency.clone())).or_default().push(cashout);
            }
            let mut taken = Vec::new();
            for ((tenant, currency), cashouts) in groups {
                let batch_id = crate::ids::time_ordered("pb", now);
                payout_batches::create(&app.db, &tenant, &batch_id, RAIL, &currency, now).await?;
                for cashout in cashouts {
                    let moved = Moved::Taken { reference: Some(batch_id.clone()) };
                    let mut outcome =
                        Outcome::new(&tenant, &cashout.id, moved, format!("in bank batch {batch_id}"), now);
                    outcome.rows = vec![payout_batches::item_row(&batch_id, &cashout.id, cashout.quote.net)];
                    taken.push(outcome);
                }
            }
            Ok(taken)
        })
    }

    /// Closes each batch the cash-outs just taken went into: only then may it be
    /// downloaded, or uploaded when the tenant has a bank link.
    fn submitted<'a>(
        &'a self,
        app: &'a Context,
        outcomes: &'a [Outcome],
        now: i64,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let mut batches: Vec<(&str, &str)> = outcomes
                .iter()
                .filter_map(|o| match &o.moved {
                    Moved::Taken { reference: Some(batch_id) } => Some((o.tenant.as_str(), batch_id.as_str())),
                    _ => None,
                })
                .collect();
            batches.sort_unstable();
            batches.dedup();
            for (tenant, batch_id) in batches {
                close(app, tenant, batch_id, now, now).await?;
            }
            Ok(())
        })
    }

    /// Closes batches whose gathering was cut short, and asks each bank link that is due
    /// for its new status reports.
    fn advance<'a>(&'a self, app: &'a Context, now: i64) -> Outcomes<'a> {
        Box::pin(async move {
            for (tenant, batch_id, created_at) in payout_batches::open_before(&app.db, now - STALE_OPEN_US, 100).await?
            {
                close(app, &tenant, &batch_id, created_at, now).await?;
            }
            for link in links(&app.settings) {
                let job = jobs::enqueue_row("", REPORTS_JOB, &json!({ "link": link.url }), store::now_us());
                bank_link::claim_poll(&app.db, &link.url, now, link.reports_poll_s * 1_000_000, job).await?;
            }
            Ok(Vec::new())
        })
    }
}

/// Whether the tenant's next bank cut-off since the cash-out became `processing` has come
/// (always, without cut-offs).
fn cut_off(app: &Context, tenant: &str, cashout: &Cashout, now: i64) -> bool {
    let cutoffs = app.settings.cashout_policy(tenant).bank_cutoff_minutes();
    let offset = i64::from(app.settings.wallet_policy(tenant).month_utc_offset_minutes);
    cutoff::next(cashout.updated_at, &cutoffs, offset).is_none_or(|at| at <= now)
}

/// Closes a batch with its pain.001 written once and kept, and its upload job when the
/// tenant's bank is reached over HTTP, recorded as `payout_batch.filed`: one unit, standing
/// on the batch being still open. A batch no pain.001 can carry is closed without a file:
/// downloading it says why (409). A batch that gathered nothing is dropped.
async fn close(app: &Context, tenant: &str, batch_id: &str, created_at: i64, now: i64) -> anyhow::Result<bool> {
    let Some((currency, cashouts, total)) = payout_batches::gathered(&app.db, batch_id).await? else {
        return Ok(false);
    };
    if cashouts == 0 {
        return payout_batches::close(&app.db, batch_id, now, None, Vec::new()).await;
    }
    let file = match write_pain001(app, tenant, batch_id, created_at).await {
        Ok(file) => Some(file),
        Err(error) => {
            tracing::error!(batch = batch_id, tenant, error = ?error, "a payout batch cannot be written as pain.001");
            None
        }
    };
    let mut then = Vec::new();
    if app.settings.cashout_policy(tenant).bank_link.configured() {
        then.push(jobs::enqueue_row(tenant, UPLOAD_JOB, &json!({ "batch_id": batch_id }), store::now_us()));
    }
    let data = json!({"rail": RAIL, "cashouts": cashouts, "total": total, "currency": currency});
    let filed = Happened::new(tenant, &FILER, batch_id, Kind::PayoutBatchFiled, data, now);
    let guard = Guard {
        row: payout_batches::close_guard(batch_id, now, file.as_deref()),
        refusal: Refusal::new("invalid_state", format!("batch {batch_id} was closed before")),
    };
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), then).with_event(filed).with_guard(guard);
    Ok(app.committer.apply_unit(unit).await?)
}

/// Who files batches: the cash-out worker, driving this rail.
const FILER: Actor = Actor::System("cashout-worker");

/// Every bank link configured, each once.
pub fn links(settings: &Settings) -> Vec<BankLink> {
    let mut links: Vec<BankLink> = std::iter::once(&settings.cashout)
        .chain(settings.cashout_tenants.values())
        .map(|policy| policy.bank_link.clone())
        .filter(BankLink::configured)
        .collect();
    links.sort_by(|a, b| a.url.cmp(&b.url));
    links.dedup_by(|a, b| a.url == b.url);
    links
}

/// The pain.001 file of a closed batch: the one written when it closed.
pub async fn pain001(app: &Context, tenant: &str, batch: &Batch) -> Result<String, Error> {
    match payout_batches::stored_pain001(&app.db, &batch.id).await? {
        Some(file) => Ok(file),
        None => write_pain001(app, tenant, &batch.id, batch.created_at).await,
    }
}

/// Writes the pain.001 of the payments in a batch, from their cash-outs and destinations.
async fn write_pain001(app: &Context, tenant: &str, batch_id: &str, created_at: i64) -> Result<String, Error> {
    let policy = app.settings.cashout_policy(tenant);
    let operator = crate::services::operator::of(app, tenant).await?;
    let debtor = Debtor {
        name: policy.debtor_name(&operator),
        account: policy.bank.account.clone(),
        bank_code: policy.bank.bank_code.clone(),
    };
    let mut payments = Vec::new();
    for id in payout_batches::items(&app.db, batch_id).await? {
        let cashout = cashouts::get(&app.db, tenant, &id)
            .await?
            .ok_or_else(|| Error::internal(format!("batch {batch_id} names no cash-out {id}")))?;
        let destination = destinations::get(&app.db, tenant, &cashout.quote.destination_id)
            .await?
            .ok_or_else(|| Error::internal(format!("cash-out {id} has no destination")))?;
        let details = destinations::details_of(&app.db, &app.secrets, tenant, &destination.id)
            .await?
            .ok_or_else(|| Error::internal(format!("destination {} has no details", destination.id)))?;
        let field = |name: &str| details[name].as_str().unwrap_or_default().to_string();
        payments.push(CreditTransfer {
            end_to_end_id: cashout.id.clone(),
            amount_minor: cashout.quote.net,
            currency: Currency::parse(&cashout.quote.currency).map_err(|_| Error::internal("bad stored currency"))?,
            creditor_name: destination.holder_name.clone(),
            creditor_account: field("account_number"),
            creditor_bank_code: field("bank_code"),
            remittance: format!("{} cash-out {}", operator.name, cashout.id),
        });
    }
    let created =
        time::OffsetDateTime::from_unix_timestamp(created_at / 1_000_000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    if let Some(problem) = iso20022::problem(batch_id, &debtor, &payments) {
        let message = format!("batch {batch_id} cannot be written as pain.001: {problem}");
        return Err(Error::conflict("invalid_state", message));
    }
    Ok(iso20022::pain001(batch_id, created, &debtor, &payments))
}
