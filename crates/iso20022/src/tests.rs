//! Whole documents: the pain.001 we write, read back as the bank would read it, and status
//! reports as banks write them. Schema validation and the vendored samples are in
//! `tests/iso20022.rs`.

use super::tree::{self, Element};
use super::*;
use ledger::Currency;
use time::macros::datetime;

fn debtor() -> Debtor {
    Debtor { name: "Smallchange Operator Co.".into(), account: "1002-345-678901".into(), bank_code: "088".into() }
}

fn transfer(id: &str, amount_minor: i64, currency: Currency) -> CreditTransfer {
    CreditTransfer {
        end_to_end_id: id.into(),
        amount_minor,
        currency,
        creditor_name: "김민수".into(),
        creditor_account: "123-456-789012".into(),
        creditor_bank_code: "004".into(),
        remittance: "smallchange cash-out".into(),
    }
}

fn written(payments: &[CreditTransfer]) -> String {
    pain001("pob_0lmbq7v2c1k00x1y2z3", datetime!(2026-04-10 09:30:00 +09:00), &debtor(), payments)
}

/// The message element of a pain.001 we wrote.
fn initiation(xml: &str) -> Element {
    let document = tree::parse(xml).unwrap();
    assert_eq!(document.name, "Document");
    document.child("CstmrCdtTrfInitn").unwrap().clone()
}

/// Every element down `path`, taking every match at each step.
fn all_at<'a>(element: &'a Element, path: &[&'a str]) -> Vec<&'a Element> {
    match path.split_first() {
        None => vec![element],
        Some((name, rest)) => element.children_named(name).flat_map(|child| all_at(child, rest)).collect(),
    }
}

fn texts(element: &Element, path: &[&str]) -> Vec<String> {
    all_at(element, path).into_iter().map(|found| found.text().to_string()).collect()
}

#[test]
fn amounts_take_their_currency_exponent_and_control_sums_add_up() {
    let xml = written(&[
        transfer("po_usd", 1234, Currency::USD),
        transfer("po_krw1", 15000, Currency::KRW),
        transfer("po_krw2", 2500, Currency::KRW),
    ]);
    assert!(xml.contains(r#"<InstdAmt Ccy="KRW">15000</InstdAmt>"#), "{xml}");
    assert!(xml.contains(r#"<InstdAmt Ccy="USD">12.34</InstdAmt>"#), "{xml}");
    let message = initiation(&xml);
    assert_eq!(message.text_at(&["GrpHdr", "NbOfTxs"]), Some("3"));
    assert_eq!(message.text_at(&["GrpHdr", "CtrlSum"]), Some("17512.34"), "every amount, whatever its currency");
    let blocks = all_at(&message, &["PmtInf"]);
    assert_eq!(blocks.len(), 2, "one payment information block per currency");
    let (krw, usd) = (blocks[0], blocks[1]);
    assert_eq!(krw.text_at(&["PmtInfId"]), Some("pob_0lmbq7v2c1k00x1y2z3-KRW"));
    assert_eq!((krw.text_at(&["NbOfTxs"]), krw.text_at(&["CtrlSum"])), (Some("2"), Some("17500")));
    assert_eq!(texts(krw, &["CdtTrfTxInf", "Amt", "InstdAmt"]), ["15000", "2500"]);
    assert_eq!(texts(krw, &["CdtTrfTxInf", "PmtId", "EndToEndId"]), ["po_krw1", "po_krw2"]);
    assert_eq!((usd.text_at(&["NbOfTxs"]), usd.text_at(&["CtrlSum"])), (Some("1"), Some("12.34")));
}

#[test]
fn header_dates_debtor_and_charges() {
    let message = initiation(&written(&[transfer("po_1", 15000, Currency::KRW)]));
    assert_eq!(message.text_at(&["GrpHdr", "MsgId"]), Some("pob_0lmbq7v2c1k00x1y2z3"));
    assert_eq!(message.text_at(&["GrpHdr", "CreDtTm"]), Some("2026-04-10T09:30:00+09:00"));
    assert_eq!(message.text_at(&["GrpHdr", "InitgPty", "Nm"]), Some("Smallchange Operator Co."));
    let block = message.child("PmtInf").unwrap();
    assert_eq!(block.text_at(&["PmtMtd"]), Some("TRF"));
    assert_eq!(block.text_at(&["ReqdExctnDt", "Dt"]), Some("2026-04-10"));
    // Written as creditor accounts are: the dashes dropped, so a bank matching on digits
    // finds the operator's account.
    assert_eq!(block.text_at(&["DbtrAcct", "Id", "Othr", "Id"]), Some("1002345678901"));
    assert_eq!(block.text_at(&["DbtrAgt", "FinInstnId", "ClrSysMmbId", "MmbId"]), Some("088"));
    assert_eq!(block.text_at(&["ChrgBr"]), Some("DEBT"));
}

#[test]
fn accounts_and_agents_take_the_form_the_number_has() {
    let mut domestic = transfer("po_domestic", 15000, Currency::KRW);
    domestic.creditor_account = " 123-456-789012 ".into();
    let mut international = transfer("po_iban", 1234, Currency::USD);
    international.creditor_account = "de89 3704 0044 0532 0130 00".into();
    international.creditor_bank_code = "deutdeffxxx".into();
    let message = initiation(&written(&[domestic, international]));
    let transactions = all_at(&message, &["PmtInf", "CdtTrfTxInf"]);
    let (domestic, international) = (transactions[0], transactions[1]);
    assert_eq!(domestic.text_at(&["CdtrAcct", "Id", "Othr", "Id"]), Some("123456789012"));
    assert_eq!(domestic.text_at(&["CdtrAgt", "FinInstnId", "ClrSysMmbId", "MmbId"]), Some("004"));
    assert!(domestic.find(&["CdtrAgt", "FinInstnId", "BICFI"]).is_none());
    assert_eq!(international.text_at(&["CdtrAcct", "Id", "IBAN"]), Some("DE89370400440532013000"));
    assert_eq!(international.text_at(&["CdtrAgt", "FinInstnId", "BICFI"]), Some("DEUTDEFFXXX"));
}

#[test]
fn an_account_must_fit_othr_id_or_be_an_iban() {
    assert_eq!(account_problem("1002-345-678901", "088"), None);
    assert_eq!(account_problem("DE89 3704 0044 0532 0130 00", "DEUTDEFFXXX"), None);
    assert_eq!(account_problem("GB29NWBK60161331926819", "NWBKGB2L"), None);
    assert!(account_problem("1002/345#678901", "088").unwrap().contains("characters"));
    assert!(account_problem(" - ", "088").unwrap().contains("blank"));
    assert!(account_problem(&"1".repeat(35), "088").unwrap().contains("too long"));
    assert!(account_problem("1002345678901", " ").unwrap().contains("bank code"));
}

#[test]
fn special_characters_are_escaped_and_korean_is_kept() {
    let mut payment = transfer("po_1", 15000, Currency::KRW);
    payment.creditor_name = r#"Kim & "Lee" <Co> 'x'"#.into();
    payment.remittance = "출금 </Ustrd><Evil/> &amp;".into();
    let mut korean = transfer("po_2", 3000, Currency::KRW);
    korean.creditor_name = "홍길동".into();
    let xml = written(&[payment, korean]);
    assert!(xml.contains("<Nm>Kim &amp; &quot;Lee&quot; &lt;Co&gt; &apos;x&apos;</Nm>"), "{xml}");
    assert!(xml.contains("<Nm>홍길동</Nm>"), "Korean is written as UTF-8 text: {xml}");
    assert!(!xml.contains("<Evil/>"));
    let message = initiation(&xml);
    assert_eq!(texts(&message, &["PmtInf", "CdtTrfTxInf", "Cdtr", "Nm"]), [r#"Kim & "Lee" <Co> 'x'"#, "홍길동"]);
    assert_eq!(message.text_at(&["PmtInf", "CdtTrfTxInf", "RmtInf", "Ustrd"]), Some("출금 </Ustrd><Evil/> &amp;"));
}

#[test]
fn remittance_is_cut_to_140_characters_or_left_out_when_blank() {
    let mut long = transfer("po_long", 15000, Currency::KRW);
    long.remittance = "환급".repeat(100);
    let mut blank = transfer("po_blank", 15000, Currency::KRW);
    blank.remittance = "  ".into();
    let message = initiation(&written(&[long, blank]));
    let transactions = all_at(&message, &["PmtInf", "CdtTrfTxInf"]);
    let remittance = transactions[0].text_at(&["RmtInf", "Ustrd"]).unwrap();
    assert_eq!(remittance.chars().count(), 140);
    assert!(transactions[1].child("RmtInf").is_none());
}

#[test]
#[should_panic(expected = "appears twice")]
fn duplicate_end_to_end_ids_are_refused() {
    written(&[transfer("po_1", 1, Currency::KRW), transfer("po_1", 2, Currency::KRW)]);
}

#[test]
#[should_panic(expected = "non-positive amount")]
fn zero_amounts_are_refused() {
    written(&[transfer("po_1", 0, Currency::KRW)]);
}

#[test]
#[should_panic(expected = "1 to 35 printable characters")]
fn end_to_end_ids_over_35_characters_are_refused() {
    written(&[transfer(&"p".repeat(36), 1, Currency::KRW)]);
}

#[test]
#[should_panic(expected = "at least one payment")]
fn empty_batches_are_refused() {
    written(&[]);
}

fn entry(id: &str, outcome: Outcome, reason: Option<&str>) -> ReportEntry {
    ReportEntry { end_to_end_id: id.into(), outcome, reason: reason.map(str::to_string) }
}

fn pain002(group: &str, blocks: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
  <GrpHdr><MsgId>STS-1</MsgId><CreDtTm>2026-04-10T10:00:00</CreDtTm></GrpHdr>
  <OrgnlGrpInfAndSts><OrgnlMsgId>pob_1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
    {group}</OrgnlGrpInfAndSts>
  {blocks}
</CstmrPmtStsRpt></Document>"#
    )
}

fn transaction(id: &str, status: &str) -> String {
    format!("<TxInfAndSts><OrgnlEndToEndId>{id}</OrgnlEndToEndId>{status}</TxInfAndSts>")
}

#[test]
fn pain002_statuses_map_to_outcomes_with_reasons() {
    let rejected = "<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf>";
    let block = format!(
        "<OrgnlPmtInfAndSts><OrgnlPmtInfId>pob_1-KRW</OrgnlPmtInfId>{}{}{}{}{}</OrgnlPmtInfAndSts>",
        transaction("po_a", "<TxSts>ACSC</TxSts>"),
        transaction("po_b", rejected),
        transaction("po_c", "<TxSts>ACSP</TxSts>"),
        transaction("po_d", "<TxSts>ACCC</TxSts>"),
        transaction("po_e", "<TxSts>CANC</TxSts><StsRsnInf><Rsn><Prtry>USER</Prtry></Rsn></StsRsnInf>"),
    );
    let report = parse_report(&pain002("<GrpSts>PART</GrpSts>", &block)).unwrap();
    assert_eq!(report.kind, ReportKind::Pain002);
    assert_eq!(report.message_id, "STS-1");
    assert_eq!(
        report.entries,
        [
            entry("po_a", Outcome::Paid, None),
            entry("po_b", Outcome::Rejected, Some("AC04")),
            entry("po_c", Outcome::Pending, None),
            entry("po_d", Outcome::Paid, None),
            entry("po_e", Outcome::Rejected, Some("USER")),
        ]
    );
}

#[test]
fn pain002_transactions_without_status_inherit_their_block_or_group() {
    let from_block = "<OrgnlPmtInfAndSts><OrgnlPmtInfId>B1</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts>\
        <StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf>"
        .to_string()
        + &transaction("po_a", "")
        + "</OrgnlPmtInfAndSts>";
    let from_group = format!("<OrgnlPmtInfAndSts><OrgnlPmtInfId>B2</OrgnlPmtInfId>{}</OrgnlPmtInfAndSts>", {
        transaction("po_b", "")
    });
    let report = parse_report(&pain002("<GrpSts>ACSC</GrpSts>", &(from_block + &from_group))).unwrap();
    assert_eq!(report.entries, [entry("po_a", Outcome::Rejected, Some("AM04")), entry("po_b", Outcome::Paid, None)]);
}

#[test]
fn pain002_group_status_alone_is_read_only_when_it_changes_nothing() {
    let accepted = parse_report(&pain002("<GrpSts>ACTC</GrpSts>", "")).unwrap();
    assert_eq!(accepted.entries, []);
    let error = parse_report(&pain002("<GrpSts>RJCT</GrpSts>", "")).unwrap_err();
    assert!(matches!(&error, ReportError::StatusWithoutPayments { status, .. } if status == "RJCT"), "{error}");
    assert!(error.to_string().contains(r#"message "pob_1""#), "{error}");
    let block =
        "<OrgnlPmtInfAndSts><OrgnlPmtInfId>pob_1-USD</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts></OrgnlPmtInfAndSts>";
    let error = parse_report(&pain002("", block)).unwrap_err();
    assert!(error.to_string().contains(r#"payment information "pob_1-USD""#), "{error}");
}

#[test]
fn pain002_unknown_codes_and_missing_ids_are_errors_with_a_path() {
    let block = |tx: String| format!("<OrgnlPmtInfAndSts><OrgnlPmtInfId>B</OrgnlPmtInfId>{tx}</OrgnlPmtInfAndSts>");
    let unknown = parse_report(&pain002("", &block(transaction("po_a", "<TxSts>WHAT</TxSts>")))).unwrap_err();
    assert!(matches!(&unknown, ReportError::UnknownCode { code, .. } if code == "WHAT"), "{unknown}");
    let no_id = block("<TxInfAndSts><TxSts>ACSC</TxSts></TxInfAndSts>".into());
    let missing = parse_report(&pain002("", &no_id)).unwrap_err().to_string();
    assert_eq!(missing, "the report has no CstmrPmtStsRpt/OrgnlPmtInfAndSts[1]/TxInfAndSts[1]/OrgnlEndToEndId");
    let no_status = parse_report(&pain002("", &block(transaction("po_a", "")))).unwrap_err().to_string();
    assert!(no_status.ends_with("TxInfAndSts[1]/TxSts"), "{no_status}");
}

fn camt054(entries: &str) -> String {
    format!(
        r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
  <GrpHdr><MsgId>NTF-1</MsgId><CreDtTm>2026-04-10T18:00:00</CreDtTm></GrpHdr>
  <Ntfctn><Id>N1</Id><Acct><Id><Othr><Id>1</Id></Othr></Id></Acct>{entries}</Ntfctn>
</BkToCstmrDbtCdtNtfctn></Document>"#
    )
}

fn camt_entry(direction: &str, status: &str, extra: &str, details: &str) -> String {
    let head = format!(r#"<Amt Ccy="KRW">1</Amt><CdtDbtInd>{direction}</CdtDbtInd>{extra}<Sts>{status}</Sts>"#);
    format!("<Ntry>{head}<NtryDtls>{details}</NtryDtls></Ntry>")
}

fn details(id: &str, return_reason: Option<&str>) -> String {
    let returned = return_reason.map(|code| format!("<RtrInf><Rsn><Cd>{code}</Cd></Rsn></RtrInf>")).unwrap_or_default();
    format!("<TxDtls><Refs><EndToEndId>{id}</EndToEndId></Refs>{returned}</TxDtls>")
}

#[test]
fn camt054_debits_reversals_and_returns() {
    let xml = camt054(
        &[
            camt_entry("DBIT", "<Cd>BOOK</Cd>", "", &(details("po_a", None) + &details("po_b", None))),
            camt_entry("DBIT", "PDNG", "", &details("po_c", None)),
            camt_entry("CRDT", "BOOK", "<RvslInd>true</RvslInd>", &details("po_d", Some("AC04"))),
            camt_entry("CRDT", "BOOK", "", &details("po_e", Some("AC06"))),
            camt_entry("CRDT", "BOOK", "", &details("TOPUP-77", None)),
        ]
        .concat(),
    );
    let report = parse_report(&xml).unwrap();
    assert_eq!((report.kind.clone(), report.message_id.as_str()), (ReportKind::Camt054, "NTF-1"));
    assert_eq!(
        report.entries,
        [
            entry("po_a", Outcome::Paid, None),
            entry("po_b", Outcome::Paid, None),
            entry("po_c", Outcome::Pending, None),
            entry("po_d", Outcome::Rejected, Some("AC04")),
            entry("po_e", Outcome::Rejected, Some("AC06")),
        ],
        "an ordinary incoming credit is no news about a payout"
    );
}

#[test]
fn camt054_missing_end_to_end_ids_and_unknown_statuses_are_errors() {
    let no_refs = camt054(&camt_entry("DBIT", "BOOK", "", "<TxDtls><Refs><TxId>T1</TxId></Refs></TxDtls>"));
    let error = parse_report(&no_refs).unwrap_err().to_string();
    assert_eq!(error, "the report has no BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/NtryDtls/TxDtls/Refs/EndToEndId");
    let no_details = camt054(&camt_entry("DBIT", "BOOK", "", ""));
    assert!(matches!(parse_report(&no_details), Err(ReportError::MissingField { .. })));
    let odd = camt054(&camt_entry("DBIT", "<Cd>ODD</Cd>", "", &details("po_a", None)));
    assert!(matches!(parse_report(&odd), Err(ReportError::UnknownCode { code, .. }) if code == "ODD"));
}

#[test]
fn other_documents_and_broken_xml_are_refused_clearly() {
    let initiation = written(&[transfer("po_1", 15000, Currency::KRW)]);
    let error = parse_report(&initiation).unwrap_err().to_string();
    assert!(error.contains("<CstmrCdtTrfInitn>") && error.contains("pain.001.001.09"), "{error}");
    let error = parse_report("<Document><CstmrPmtStsRpt><GrpHdr></CstmrPmtStsRpt>").unwrap_err();
    assert!(matches!(error, ReportError::Malformed(_)), "{error}");
    assert!(error.to_string().starts_with("the report is not well-formed XML"), "{error}");
    let error = parse_report("not xml at all").unwrap_err();
    assert!(matches!(error, ReportError::Malformed(_)), "{error}");
    let huge = " ".repeat(REPORT_LEN_MAX_BYTES + 1);
    assert!(matches!(parse_report(&huge), Err(ReportError::TooLarge { .. })));
}

#[test]
fn prefixes_and_a_bare_message_root_are_accepted() {
    let prefixed = pain002(
        "",
        &format!("<OrgnlPmtInfAndSts><OrgnlPmtInfId>B</OrgnlPmtInfId>{}</OrgnlPmtInfAndSts>", {
            transaction("po_a", "<TxSts>ACSC</TxSts>")
        }),
    )
    .replace("<Document xmlns=", "<x:Document xmlns:x=")
    .replace("</Document>", "</x:Document>")
    .replace("<CstmrPmtStsRpt>", "<x:CstmrPmtStsRpt>")
    .replace("</CstmrPmtStsRpt>", "</x:CstmrPmtStsRpt>");
    assert_eq!(parse_report(&prefixed).unwrap().entries, [entry("po_a", Outcome::Paid, None)]);
    let bare = "<CstmrPmtStsRpt><GrpHdr><MsgId>S</MsgId></GrpHdr><OrgnlGrpInfAndSts><GrpSts>ACTC</GrpSts>\
        </OrgnlGrpInfAndSts></CstmrPmtStsRpt>";
    assert_eq!(parse_report(bare).unwrap().message_id, "S");
}
