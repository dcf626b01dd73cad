//! Helpers for the bank-rail tests: users with confirmed bank cash-outs, status reports
//! uploaded as an operator does, reports written from our ids (pain.002 and camt.054.001.08
//! as a bank sends them), and the official schemas that check what we write and read.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use smallchange::clock::Clock;

use super::TestServer;

/// A file under crates/iso20022/tests/fixtures.
pub fn fixture(path: &str) -> String {
    let file: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "iso20022", "tests", "fixtures", path].iter().collect();
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// Fails unless `xml` is valid against the official schema `xsd` (checked by xmllint).
pub fn assert_schema_valid(xsd: &str, xml: &str) {
    let schema: PathBuf =
        [env!("CARGO_MANIFEST_DIR"), "..", "iso20022", "tests", "fixtures", "xsd", xsd].iter().collect();
    let mut file = tempfile::Builder::new().suffix(".xml").tempfile().unwrap();
    std::io::Write::write_all(&mut file, xml.as_bytes()).unwrap();
    let output = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&schema)
        .arg(file.path())
        .output()
        .expect("xmllint runs (scripts/test installs libxml2-utils)");
    assert!(output.status.success(), "not valid against {xsd}: {}\n{xml}", String::from_utf8_lossy(&output.stderr));
}

/// Waits (30 s at most) until `check` holds.
pub async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub async fn status_of(server: &TestServer, id: &str) -> String {
    server.get(&format!("/v1/cashouts/{id}")).await.1["status"].as_str().unwrap().to_string()
}

/// A user with ₩500,000 of cash, a bank destination and a confirmed SMS cash-out per
/// amount: the user's id and the cash-outs' ids.
pub async fn confirmed_cashouts(server: &TestServer, clock: &Clock, n: u32, amounts: &[i64]) -> (String, Vec<String>) {
    let (user, destination) = bank_user(server, n).await;
    let mut ids = Vec::new();
    for amount in amounts {
        ids.push(confirmed_cashout(server, clock, &user, &destination, *amount).await);
    }
    (user, ids)
}

/// A user with ₩500,000 of cash, verified, with a bank destination: the user's id and the
/// destination's.
pub async fn bank_user(server: &TestServer, n: u32) -> (String, String) {
    let user = server.create_user(n).await;
    let kyc =
        json!({"level": "verified", "legal_name": "Kim & Lee <Ltd>", "birth_date": "1990-01-01", "document_ref": "d"});
    server.post(&format!("/v1/users/{user}/kyc"), kyc).await;
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-789012", "holder_name": "Kim & Lee <Ltd>"});
    let (_, destination) = server.post(&format!("/v1/users/{user}/payout-destinations"), bank).await;
    server.topup(&user, "bank_transfer", 500_000).await;
    (user, destination["id"].as_str().unwrap().to_string())
}

/// A cash-out of `amount` to `destination`, quoted, held and confirmed with its SMS code:
/// its id.
pub async fn confirmed_cashout(
    server: &TestServer,
    clock: &Clock,
    user: &str,
    destination: &str,
    amount: i64,
) -> String {
    // A second apart, so the newest code is first in the outbox.
    clock.set(clock.now_us() + 1_000_000);
    let body = json!({"amount": amount, "currency": "KRW", "destination_id": destination});
    let (status, quote) = server.post(&format!("/v1/users/{user}/cashout-quotes"), body).await;
    assert_eq!(status, 200, "{quote}");
    let (_, cashout) = server.post("/v1/cashouts", json!({"quote_id": quote["id"]})).await;
    let id = cashout["id"].as_str().unwrap().to_string();
    let (_, outbox) = server.get("/v1/dev/sms-outbox").await;
    let text = outbox[0]["text"].as_str().unwrap();
    let code: String = text.split(": ").nth(1).unwrap().chars().take(6).collect();
    let (status, confirmed) = server.post(&format!("/v1/cashouts/{id}/confirm"), json!({"otp": code})).await;
    assert_eq!((status, confirmed["status"].as_str()), (200, Some("processing")), "{confirmed}");
    id
}

/// Uploads a status report as the operator does: its status and answer.
pub async fn upload_report(server: &TestServer, xml: String) -> (u16, Value) {
    let url = format!("{}/v1/payout-batches/status-reports", server.base);
    let request = server.client.post(url).bearer_auth(&server.key).header("content-type", "application/xml");
    let response = request.body(xml).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}")))
}

/// A pain.002.001.12 naming each payment with its status (`ACSC`, `RJCT` …) and reason.
pub fn pain002(message_id: &str, payments: &[(&str, &str, Option<&str>)]) -> String {
    let mut transactions = String::new();
    for (id, status, reason) in payments {
        let reason = reason.map(|r| format!("<StsRsnInf><Rsn><Cd>{r}</Cd></Rsn></StsRsnInf>")).unwrap_or_default();
        transactions.push_str(&format!(
            "<TxInfAndSts><OrgnlEndToEndId>{id}</OrgnlEndToEndId><TxSts>{status}</TxSts>{reason}</TxInfAndSts>"
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.12"><CstmrPmtStsRpt>
<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-11-12T18:00:00+09:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>pb_batch</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>pb_batch-KRW</OrgnlPmtInfId>{transactions}</OrgnlPmtInfAndSts>
</CstmrPmtStsRpt></Document>"#
    )
}

/// One camt.054.001.08 booking entry for a payment.
pub enum Booking<'a> {
    /// The payment debited from the operator's account (`DBIT`, `BOOK`): paid.
    Paid,
    /// The payment's money credited back by the creditor's bank (`CRDT`, `BOOK`, with
    /// `RtrInf/Rsn/Cd`): returned.
    Returned(&'a str),
}

/// A camt.054.001.08 notification with one booked entry per payment (id, amount, booking).
pub fn camt054(message_id: &str, entries: &[(&str, i64, Booking<'_>)]) -> String {
    let mut booked = String::new();
    for (id, amount, booking) in entries {
        let (indicator, family, returned) = match booking {
            Booking::Paid => ("DBIT", "DMCT", String::new()),
            Booking::Returned(reason) => ("CRDT", "RRTN", format!("<RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf>")),
        };
        booked.push_str(&format!(
            "<Ntry><Amt Ccy=\"KRW\">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\
             <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>{family}</SubFmlyCd></Fmly></Domn></BkTxCd>\
             <NtryDtls><TxDtls><Refs><EndToEndId>{id}</EndToEndId></Refs>{returned}</TxDtls></NtryDtls></Ntry>"
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-11-12T18:00:00+09:00</CreDtTm></GrpHdr>
<Ntfctn><Id>{message_id}-1</Id><Acct><Id><Othr><Id>1002345678901</Id></Othr></Id></Acct>{booked}</Ntfctn>
</BkToCstmrDbtCdtNtfctn></Document>"#
    )
}
