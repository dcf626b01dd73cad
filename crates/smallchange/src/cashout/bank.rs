//! The bank-transfer rail: cash-outs are gathered into batches, each written as an ISO
//! 20022 pain.001 file the operator sends to its bank; the bank's pain.002 or camt.054
//! reports come back and mark each payment paid (hold posted) or failed (hold released).
//!
//! When the tenant has a bank link (`[cashout.bank_link]`), the same files travel over
//! HTTP: each closed batch is uploaded by a `bank_upload` job, and a `bank_reports` job
//! polls the bank for new reports (see [`crate::workers::bank`]).
//!
//! A payment's EndToEndId is its cash-out id, so a report is matched without any state of
//! its own, and applying a report twice changes nothing the second time: each status
//! change is conditional on the state before it. A payment the bank reports made and later
//! returns (a reversal) goes from `paid` to `failed`, and its whole gross goes back.

use std::collections::BTreeMap;

use futures::future::BoxFuture;
use ledger::Currency;
use serde::Serialize;
use serde_json::json;

use super::flow;
use super::rail::{carry_on, Rail, Waiting};
use crate::config::Settings;
use crate::context::Context;
use crate::domain::bank_link::BankLink;
use crate::domain::cutoff;
use crate::services::Error;
use crate::store::cashouts::{self, Cashout, Transition};
use crate::store::payout_batches::{self, Batch};
use crate::store::{self, bank_link, destinations, jobs};
use crate::unit::Param;
use iso20022::{CreditTransfer, Debtor, Outcome, ReportKind};

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
    fn submit<'a>(&'a self, app: &'a Context, waiting: Waiting, now: i64) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let mut groups: BTreeMap<(String, String), Vec<Cashout>> = BTreeMap::new();
            for (tenant, cashout) in waiting.into_iter().filter(|(tenant, c)| cut_off(app, tenant, c, now)) {
                groups.entry((tenant, cashout.quote.currency.clone())).or_default().push(cashout);
            }
            for ((tenant, currency), cashouts) in groups {
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
                    carry_on(flow::change(app, t).await, "adding to a bank batch", &cashout.id);
                }
                close(app, &tenant, &batch_id, now, now).await?;
            }
            Ok(())
        })
    }

    /// Closes batches whose gathering was cut short, and asks each bank link that is due
    /// for its new status reports.
    fn advance<'a>(&'a self, app: &'a Context, now: i64) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            for (tenant, batch_id, created_at) in payout_batches::open_before(&app.db, now - STALE_OPEN_US, 100).await?
            {
                close(app, &tenant, &batch_id, created_at, now).await?;
            }
            for link in links(&app.settings) {
                let job = jobs::enqueue_row("", REPORTS_JOB, &json!({ "link": link.url }), store::now_us());
                bank_link::claim_poll(&app.db, &link.url, now, link.reports_poll_s * 1_000_000, job).await?;
            }
            Ok(())
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
/// tenant's bank is reached over HTTP. A batch no pain.001 can carry is closed without a
/// file: downloading it says why (409).
async fn close(app: &Context, tenant: &str, batch_id: &str, created_at: i64, now: i64) -> anyhow::Result<bool> {
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
    payout_batches::close(&app.db, batch_id, now, file.as_deref(), then).await
}

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
    let debtor = Debtor {
        name: policy.bank.name.clone(),
        account: policy.bank.account.clone(),
        bank_code: policy.bank.bank_code.clone(),
    };
    let mut payments = Vec::new();
    for id in payout_batches::items(&app.db, batch_id).await? {
        let cashout = flow::load(app, tenant, &id).await?;
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
            remittance: format!("{} cash-out {}", policy.business_name, cashout.id),
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
    /// `not_applied` when this payment could not be applied now (nothing changed; send
    /// the report again later); absent when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Which cash-outs a report may move: those of the tenant that uploaded it, or of the
/// tenants whose bank link it was fetched from.
pub enum Scope<'a> {
    Tenant(&'a str),
    Link(&'a str),
}

impl Scope<'_> {
    fn covers(&self, app: &Context, tenant: &str) -> bool {
        match self {
            Scope::Tenant(own) => *own == tenant,
            Scope::Link(url) => app.settings.cashout_policy(tenant).bank_link.url == *url,
        }
    }
}

/// Applies a pain.002 or camt.054 report to the bank cash-outs in `scope`.
pub async fn apply_report(app: &Context, scope: Scope<'_>, xml: &str) -> Result<Applied, Error> {
    let report = iso20022::parse_report(xml).map_err(|e| Error::bad_request("invalid_report", e.to_string()))?;
    Ok(apply(app, scope, report).await?)
}

/// Applies a report that was read already. Each payment is applied on its own: one that
/// cannot be applied now (the database refused, say) is answered with `error` and left as
/// it was, and the others still apply; the same report may simply be sent again.
pub async fn apply(app: &Context, scope: Scope<'_>, report: iso20022::Report) -> anyhow::Result<Applied> {
    let mut applied = Applied {
        kind: match report.kind {
            ReportKind::Pain002 => "pain.002",
            ReportKind::Camt054 => "camt.054",
        },
        message_id: report.message_id.clone(),
        results: Vec::new(),
        unknown: Vec::new(),
    };
    for entry in latest_news(report.entries) {
        let Some((tenant, cashout)) = bank_cashout(app, &scope, &entry.end_to_end_id).await? else {
            applied.unknown.push(entry.end_to_end_id);
            continue;
        };
        let outcome = match entry.outcome {
            Outcome::Paid => "paid",
            Outcome::Rejected => "rejected",
            Outcome::Pending => "pending",
        };
        let (changed, error) = match apply_entry(app, &tenant, &cashout, &entry, &report.message_id).await {
            Ok(changed) => (changed, None),
            Err(error) => {
                tracing::error!(cashout = %cashout.id, report = %report.message_id, error = %format!("{error:#}"), "a bank report entry could not be applied");
                (false, Some("not_applied".to_string()))
            }
        };
        let status = match cashouts::get(&app.db, &tenant, &cashout.id).await {
            Ok(Some(now)) => now.status,
            _ => cashout.status,
        };
        applied.results.push(PaymentResult {
            cashout_id: cashout.id,
            outcome,
            reason: entry.reason,
            changed,
            status,
            error,
        });
    }
    Ok(applied)
}

/// The bank cash-out a report names, if it is one of `scope`'s.
async fn bank_cashout(app: &Context, scope: &Scope<'_>, id: &str) -> anyhow::Result<Option<(String, Cashout)>> {
    let Some(tenant) = cashouts::tenant_of(&app.db, id).await?.filter(|t| scope.covers(app, t)) else {
        return Ok(None);
    };
    let cashout = cashouts::get(&app.db, &tenant, id).await?.filter(|c| c.quote.rail == RAIL);
    Ok(cashout.map(|c| (tenant, c)))
}

/// Moves one cash-out as its report entry says: whether it changed.
async fn apply_entry(
    app: &Context,
    tenant: &str,
    cashout: &Cashout,
    entry: &iso20022::ReportEntry,
    message_id: &str,
) -> anyhow::Result<bool> {
    let now = app.clock.now_us();
    match entry.outcome {
        Outcome::Paid => {
            let mut t = transition(tenant, &cashout.id, "paid", format!("bank reports it paid ({message_id})"), now);
            t.set = vec![("paid_at", now.into())];
            flow::change(app, t).await
        }
        Outcome::Rejected => {
            let reason = entry.reason.clone().unwrap_or_else(|| "rejected".into());
            // A payment reported made may still come back (returned, reversed): then
            // the whole gross goes back to the user's pockets.
            let note = if cashout.status == "paid" {
                format!("the bank returned it after paying it: {reason} ({message_id})")
            } else {
                format!("bank rejected it: {reason} ({message_id})")
            };
            let mut t = transition(tenant, &cashout.id, "failed", note, now);
            t.from = &["in_transit", "paid"];
            t.set = vec![("failure_reason", Param::from(format!("bank:{reason}")))];
            flow::change(app, t).await
        }
        Outcome::Pending => Ok(false),
    }
}

/// Each payment's last entry, in the order payments first appear: a report may name one
/// payment twice (booked, then reversed), and the later entry is the later news.
fn latest_news(entries: Vec<iso20022::ReportEntry>) -> Vec<iso20022::ReportEntry> {
    let mut latest: Vec<iso20022::ReportEntry> = Vec::with_capacity(entries.len());
    let mut position: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for entry in entries {
        match position.get(&entry.end_to_end_id) {
            Some(&at) => latest[at] = entry,
            None => {
                position.insert(entry.end_to_end_id.clone(), latest.len());
                latest.push(entry);
            }
        }
    }
    latest
}

fn transition<'a>(tenant: &'a str, id: &'a str, to: &'a str, note: String, at: i64) -> Transition<'a> {
    Transition { tenant, id, from: &["in_transit"], to, note, at, set: Vec::new(), rows: Vec::new() }
}
