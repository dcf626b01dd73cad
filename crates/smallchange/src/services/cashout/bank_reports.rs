//! Applying a bank's status report (pain.002 or camt.054) to the bank-transfer cash-outs it
//! names, uploaded by an operator or fetched over the tenant's bank link
//! ([`crate::workers::bank`]): each payment paid (hold posted) or failed (hold released).
//!
//! A payment's EndToEndId is its cash-out id, so a report is matched without any state of
//! its own, and applying a report twice changes nothing the second time: each status
//! change is conditional on the state before it. A payment the bank reports made and later
//! returns (a reversal) goes from `paid` to `failed`, and its whole gross goes back.

use serde::Serialize;

use super::flow;
use crate::context::Context;
use crate::events::{Happened, Kind};
use crate::rails::bank::RAIL;
use crate::services::{Actor, Error};
use crate::store::cashouts::{self, Cashout, Transition};
use crate::unit::Param;
use iso20022::{Outcome, ReportKind};

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

/// Applies a pain.002 or camt.054 report to the bank cash-outs in `scope`; `actor` (who
/// uploaded or fetched it) is recorded on each change.
pub async fn apply_report(app: &Context, actor: &Actor, scope: Scope<'_>, xml: &str) -> Result<Applied, Error> {
    let report = iso20022::parse_report(xml).map_err(|e| Error::bad_request("invalid_report", e.to_string()))?;
    Ok(apply(app, actor, scope, report).await?)
}

/// Applies a report that was read already. Each payment is applied on its own: one that
/// cannot be applied now (the database refused, say) is answered with `error` and left as
/// it was, and the others still apply; the same report may simply be sent again.
pub async fn apply(
    app: &Context,
    actor: &Actor,
    scope: Scope<'_>,
    report: iso20022::Report,
) -> anyhow::Result<Applied> {
    let mut applied = Applied {
        kind: match report.kind {
            ReportKind::Pain002 => "pain.002",
            ReportKind::Camt054 => "camt.054",
        },
        message_id: report.message_id.clone(),
        results: Vec::new(),
        unknown: Vec::new(),
    };
    let mut batches: std::collections::BTreeMap<(String, String), (i64, i64)> = Default::default();
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
        let (changed, error) = match apply_entry(app, actor, &tenant, &cashout, &entry, &report.message_id).await {
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
        if changed {
            let batch = cashout.rail_reference.clone().unwrap_or_default();
            let counts = batches.entry((tenant.clone(), batch)).or_insert((0, 0));
            if outcome == "paid" {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
        }
        applied.results.push(PaymentResult {
            cashout_id: cashout.id,
            outcome,
            reason: entry.reason,
            changed,
            status,
            error,
        });
    }
    if let Err(error) = record_applied(app, actor, &report.message_id, batches).await {
        tracing::warn!(report = %report.message_id, error = %format!("{error:#}"), "a report's event could not be recorded");
    }
    Ok(applied)
}

/// Records `payout_batch.report_applied` for each batch whose payments the report moved on:
/// how many it paid and failed. Each payment's change is recorded by its own unit (its
/// `cashout.paid` or `cashout.failed`); this is the report's own fact, a unit of its own.
async fn record_applied(
    app: &Context,
    actor: &Actor,
    message_id: &str,
    batches: std::collections::BTreeMap<(String, String), (i64, i64)>,
) -> anyhow::Result<()> {
    let now = app.clock.now_us();
    for ((tenant, batch), (paid, failed)) in batches {
        let data = serde_json::json!({"report_id": message_id, "paid": paid, "failed": failed});
        let event = Happened::new(&tenant, actor, &batch, Kind::BankReportApplied, data, now);
        let unit = crate::unit::Unit::fixed(Vec::new(), Vec::new(), Vec::new(), Vec::new()).with_event(event);
        app.committer.apply_unit(unit).await?;
    }
    Ok(())
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
    actor: &Actor,
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
            flow::change(app, actor, t).await
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
            flow::change(app, actor, t).await
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
