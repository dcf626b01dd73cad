//! Reading the bank's answers to our pain.001: pain.002 payment status reports and camt.054
//! debit/credit notifications, each turned into one outcome per payment, named by the
//! end-to-end id we gave it (the cash-out id).
//!
//! Elements are matched on local names, so neither the version in the namespace nor a
//! prefix matters: the fields read here kept their names and places from pain.002.001.03 to
//! .001.12 and from camt.054.001.02 to .001.08, except camt.054's entry status, a bare code
//! until .001.06 and `Sts/Cd` from .001.07 on; both are read. A status code we do not know
//! is an error, never a guess: the caller must not pay out or refund on a misreading.

use super::tree::{self, Element};

/// The largest report accepted; a day of payout notifications is far smaller.
pub const REPORT_LEN_MAX_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The money reached, or was booked towards, the creditor.
    Paid,
    /// The bank refused, cancelled, returned or reversed the payment.
    Rejected,
    /// Accepted or in progress; nothing to apply yet.
    Pending,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEntry {
    pub end_to_end_id: String,
    pub outcome: Outcome,
    /// The status or return reason code (e.g. "AC04"), or a proprietary reason.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportKind {
    Pain002,
    Camt054,
}

/// A report's outcomes in document order; one payment may appear more than once (booked,
/// then reversed), and the later entry is the later news.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub kind: ReportKind,
    /// The report's own `GrpHdr/MsgId`.
    pub message_id: String,
    pub entries: Vec<ReportEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the report is {len_bytes} bytes; at most {REPORT_LEN_MAX_BYTES} are accepted")]
    TooLarge { len_bytes: usize },
    #[error("the report is not well-formed XML: {0}")]
    Malformed(String),
    #[error("not a pain.002 status report nor a camt.054 notification: the document holds <{element}>{}",
        in_namespace(.namespace))]
    UnknownDocument { element: String, namespace: Option<String> },
    #[error("the report has no {path}")]
    MissingField { path: String },
    #[error("{path} holds {code:?}, a code this reader does not know")]
    UnknownCode { path: String, code: String },
    #[error(
        "the pain.002 gives status {status} to {scope} but names none of its payments; \
        apply it to those payments by hand"
    )]
    StatusWithoutPayments { scope: String, status: String },
}

fn in_namespace(namespace: &Option<String>) -> String {
    namespace.as_ref().map(|namespace| format!(" in namespace {namespace}")).unwrap_or_default()
}

/// Reads a pain.002 (any version .001.03 to .001.12, whatever its namespace) or a camt.054
/// (.001.02 to .001.08).
///
/// The message is the root element or the child of a root `Document`. For pain.002 each
/// `TxInfAndSts` gives one entry; a transaction without its own `TxSts` takes the status
/// (and reason) of its `OrgnlPmtInfAndSts`, or failing that of the group. A group or
/// payment-information block that names no transaction is read only when its status is
/// one that changes nothing (accepted, pending); a final status there (RJCT, ACSC, PART …)
/// cannot be tied to our payments and is an error, so that the caller shows it to a person
/// instead of losing it.
///
/// For camt.054 each `NtryDtls/TxDtls` of an entry gives one entry, named by its
/// `Refs/EndToEndId`: a reversal (`RvslInd` true) or a credit that returns a payment
/// (`RtrInf`) is Rejected with the return reason; a debit is Paid once booked (`BOOK`) and
/// Pending before; any other credit is money coming in, no news about a payout, and is
/// left out.
pub fn parse_report(xml: &str) -> Result<Report, ReportError> {
    if xml.len() > REPORT_LEN_MAX_BYTES {
        return Err(ReportError::TooLarge { len_bytes: xml.len() });
    }
    let root = tree::parse(xml).map_err(ReportError::Malformed)?;
    let message = message_element(&root);
    match message.name.as_str() {
        "CstmrPmtStsRpt" => pain002(message),
        "BkToCstmrDbtCdtNtfctn" => camt054(message),
        _ => Err(ReportError::UnknownDocument { element: message.name.clone(), namespace: root.namespace.clone() }),
    }
}

fn message_element(root: &Element) -> &Element {
    match root.children.first() {
        Some(message) if root.name == "Document" => message,
        _ => root,
    }
}

fn required<'a>(element: &'a Element, path: &[&str], at: &str) -> Result<&'a str, ReportError> {
    element.text_at(path).ok_or_else(|| ReportError::MissingField { path: format!("{at}/{}", path.join("/")) })
}

/// A status and its reason, at one level of a pain.002.
#[derive(Clone, Copy)]
struct Status<'a> {
    code: Option<&'a str>,
    reason: Option<&'a str>,
}

impl<'a> Status<'a> {
    fn read(element: &'a Element, status_field: &str) -> Status<'a> {
        let reason = element.find(&["StsRsnInf", "Rsn"]).and_then(reason_code);
        Status { code: element.text_at(&[status_field]), reason }
    }

    /// This level's status, or the enclosing level's when this one gives none.
    fn or_inherited(self, outer: Status<'a>) -> Status<'a> {
        match self.code {
            Some(_) => self,
            None => Status { code: outer.code, reason: self.reason.or(outer.reason) },
        }
    }
}

/// `Cd` or, failing that, `Prtry` under a `Rsn`.
fn reason_code(reason: &Element) -> Option<&str> {
    reason.text_at(&["Cd"]).or_else(|| reason.text_at(&["Prtry"]))
}

fn pain002(report: &Element) -> Result<Report, ReportError> {
    const AT: &str = "CstmrPmtStsRpt";
    let message_id = required(report, &["GrpHdr", "MsgId"], AT)?.to_string();
    let group = report.child("OrgnlGrpInfAndSts").ok_or_else(|| missing(format!("{AT}/OrgnlGrpInfAndSts")))?;
    let original_message_id = group.text_at(&["OrgnlMsgId"]).unwrap_or("(no OrgnlMsgId)");
    let group_status = Status::read(group, "GrpSts");
    let mut entries = Vec::new();
    let mut blocks = report.children_named("OrgnlPmtInfAndSts").peekable();
    if blocks.peek().is_none() {
        refuse_final_status_without_payments(group_status, || format!("message {original_message_id:?}"))?;
    }
    for (index, block) in blocks.enumerate() {
        let block_status = Status::read(block, "PmtInfSts").or_inherited(group_status);
        let mut transactions = block.children_named("TxInfAndSts").peekable();
        if transactions.peek().is_none() {
            let block_id = block.text_at(&["OrgnlPmtInfId"]).unwrap_or("(no OrgnlPmtInfId)");
            let scope = || format!("payment information {block_id:?} of message {original_message_id:?}");
            refuse_final_status_without_payments(block_status, scope)?;
        }
        for (number, transaction) in transactions.enumerate() {
            let at = format!("{AT}/OrgnlPmtInfAndSts[{}]/TxInfAndSts[{}]", index + 1, number + 1);
            entries.push(pain002_entry(transaction, block_status, &at)?);
        }
    }
    Ok(Report { kind: ReportKind::Pain002, message_id, entries })
}

fn pain002_entry(transaction: &Element, inherited: Status<'_>, at: &str) -> Result<ReportEntry, ReportError> {
    let end_to_end_id = required(transaction, &["OrgnlEndToEndId"], at)?.to_string();
    let status = Status::read(transaction, "TxSts").or_inherited(inherited);
    let code = status.code.ok_or_else(|| missing(format!("{at}/TxSts")))?;
    let outcome = pain002_outcome(code)
        .ok_or_else(|| ReportError::UnknownCode { path: format!("{at}/TxSts"), code: code.to_string() })?;
    Ok(ReportEntry { end_to_end_id, outcome, reason: status.reason.map(str::to_string) })
}

/// ExternalPaymentTransactionStatus1Code, and the older closed lists it grew from.
fn pain002_outcome(code: &str) -> Option<Outcome> {
    match code {
        // Settled on the debtor's account / credited to the creditor's.
        "ACSC" | "ACCC" => Some(Outcome::Paid),
        // Rejected, or cancelled before it was executed: no money left.
        "RJCT" | "CANC" => Some(Outcome::Rejected),
        "ACCP" | "ACFC" | "ACIS" | "ACSP" | "ACTC" | "ACWC" | "ACWP" | "BLCK" | "PATC" | "PDNG" | "RCVD" => {
            Some(Outcome::Pending)
        }
        _ => None,
    }
}

/// Ok when a level that names no payment says nothing that would change one.
fn refuse_final_status_without_payments(status: Status<'_>, scope: impl FnOnce() -> String) -> Result<(), ReportError> {
    match status.code {
        None => Ok(()),
        Some(code) if pain002_outcome(code) == Some(Outcome::Pending) => Ok(()),
        Some(code) => Err(ReportError::StatusWithoutPayments { scope: scope(), status: code.to_string() }),
    }
}

fn camt054(notification_message: &Element) -> Result<Report, ReportError> {
    const AT: &str = "BkToCstmrDbtCdtNtfctn";
    let message_id = required(notification_message, &["GrpHdr", "MsgId"], AT)?.to_string();
    let mut entries = Vec::new();
    for (index, notification) in notification_message.children_named("Ntfctn").enumerate() {
        for (number, entry) in notification.children_named("Ntry").enumerate() {
            let at = format!("{AT}/Ntfctn[{}]/Ntry[{}]", index + 1, number + 1);
            camt054_entry(entry, &at, &mut entries)?;
        }
    }
    Ok(Report { kind: ReportKind::Camt054, message_id, entries })
}

/// How one booking entry reads, given the facts [`camt054_outcome`] weighs.
struct Booking<'a> {
    debit: bool,
    reversal: bool,
    status: &'a str,
}

fn camt054_entry(entry: &Element, at: &str, entries: &mut Vec<ReportEntry>) -> Result<(), ReportError> {
    let status_path = format!("{at}/Sts");
    let booking = Booking {
        debit: is_debit(entry, at)?,
        reversal: is_reversal(entry),
        status: entry_status(entry, &status_path)?,
    };
    let transactions: Vec<&Element> =
        entry.children_named("NtryDtls").flat_map(|details| details.children_named("TxDtls")).collect();
    if transactions.is_empty() && camt054_outcome(&booking, false, &status_path)?.is_some() {
        return Err(missing(format!("{at}/NtryDtls/TxDtls/Refs/EndToEndId")));
    }
    for transaction in transactions {
        let returned = transaction.child("RtrInf").is_some();
        let Some(outcome) = camt054_outcome(&booking, returned, &status_path)? else { continue };
        let end_to_end_id = required(transaction, &["Refs", "EndToEndId"], &format!("{at}/NtryDtls/TxDtls"))?;
        let reason = transaction.find(&["RtrInf", "Rsn"]).and_then(reason_code).map(str::to_string);
        entries.push(ReportEntry { end_to_end_id: end_to_end_id.to_string(), outcome, reason });
    }
    Ok(())
}

fn is_debit(entry: &Element, at: &str) -> Result<bool, ReportError> {
    match required(entry, &["CdtDbtInd"], at)? {
        "DBIT" => Ok(true),
        "CRDT" => Ok(false),
        code => Err(ReportError::UnknownCode { path: format!("{at}/CdtDbtInd"), code: code.to_string() }),
    }
}

fn is_reversal(entry: &Element) -> bool {
    matches!(entry.text_at(&["RvslInd"]), Some("true" | "1"))
}

/// Up to .001.06 the status is the code itself; from .001.07 it is under `Cd` (or `Prtry`).
fn entry_status<'a>(entry: &'a Element, status_path: &str) -> Result<&'a str, ReportError> {
    let status = entry.child("Sts").and_then(|status| reason_code(status).or(Some(status.text())));
    status.filter(|code| !code.is_empty()).ok_or_else(|| missing(status_path.to_string()))
}

/// What a transaction of this booking means for its payout, if anything (see
/// [`parse_report`]); the pending statuses are PDNG, INFO and FUTR.
fn camt054_outcome(booking: &Booking<'_>, returned: bool, status_path: &str) -> Result<Option<Outcome>, ReportError> {
    if booking.reversal || (returned && !booking.debit) {
        return Ok(Some(Outcome::Rejected));
    }
    if !booking.debit {
        return Ok(None);
    }
    match booking.status {
        "BOOK" => Ok(Some(Outcome::Paid)),
        "PDNG" | "INFO" | "FUTR" => Ok(Some(Outcome::Pending)),
        code => Err(ReportError::UnknownCode { path: status_path.to_string(), code: code.to_string() }),
    }
}

fn missing(path: String) -> ReportError {
    ReportError::MissingField { path }
}
