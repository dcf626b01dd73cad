//! The pain.001.001.09 credit-transfer initiation handed to the operator's bank for one
//! payout batch: one payment-information block per currency, one transaction per cash-out
//! whose `EndToEndId` is the cash-out id, so that every status report the bank sends back
//! names the cash-out it is about.
//!
//! quick-xml's writer escapes every text we put in; amounts are written from integer minor
//! units with the currency's exponent, never through floats. The batch builder owns the
//! inputs, so a batch that breaks the standard's hard limits (ids over 35 characters,
//! amounts that are not positive, duplicate ids) is a bug there and panics here rather than
//! leave as a file the bank would refuse or, worse, misread.

use std::collections::{BTreeMap, HashSet};
use std::io;

use ledger::Currency;
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use time::macros::format_description;
use time::OffsetDateTime;

const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";
/// ISO 20022 `Max35Text`: message ids, payment-information ids, end-to-end ids, bank codes.
const ID_LEN_MAX_CHARS: usize = 35;
/// `Max34Text`: an account number under `Othr/Id` (an IBAN is at most 34 too).
const ACCOUNT_LEN_MAX_CHARS: usize = 34;
/// `Max140Text`: names and the unstructured remittance line.
const TEXT_LEN_MAX_CHARS: usize = 140;
/// The suffix "-KRW" that makes a payment-information id unique within its message.
const CURRENCY_SUFFIX_LEN_CHARS: usize = 4;

/// The operator's account that pays out (from settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debtor {
    pub name: String,
    /// IBAN or domestic account number (dashes and spaces are dropped when written).
    pub account: String,
    /// BIC or domestic bank/clearing code.
    pub bank_code: String,
}

/// One payout to one creditor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditTransfer {
    /// The cash-out id, at most 35 characters.
    pub end_to_end_id: String,
    pub amount_minor: i64,
    pub currency: Currency,
    pub creditor_name: String,
    /// Domestic account number (digits, maybe dashes) or IBAN.
    pub creditor_account: String,
    /// E.g. the Korean bank code "004", or a BIC.
    pub creditor_bank_code: String,
    /// Short unstructured text; cut to 140 characters.
    pub remittance: String,
}

/// A pain.001.001.09 CustomerCreditTransferInitiation document for one batch.
///
/// # Panics
/// When the batch is empty, when `message_id` or an `end_to_end_id` is blank, longer than
/// 35 characters or holds control characters, when two payments share an `end_to_end_id`,
/// when an amount is not positive, or when an account or bank code is blank or too long.
pub fn pain001(message_id: &str, created_at: OffsetDateTime, debtor: &Debtor, payments: &[CreditTransfer]) -> String {
    if let Some(problem) = problem(message_id, debtor, payments) {
        panic!("{problem}");
    }
    let batch = Batch { message_id, created_at, debtor, by_currency: by_currency(payments) };
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_document(&mut writer, &batch).expect("writing XML into memory cannot fail");
    let mut xml = String::from_utf8(writer.into_inner()).expect("quick-xml writes the UTF-8 text it is given");
    xml.push('\n');
    xml
}

struct Batch<'a> {
    message_id: &'a str,
    created_at: OffsetDateTime,
    debtor: &'a Debtor,
    /// Ordered by currency, payments in the order given.
    by_currency: BTreeMap<Currency, Vec<&'a CreditTransfer>>,
}

type Xml = Writer<Vec<u8>>;

/// Why these payments cannot be written as a pain.001, if they cannot: no payments, an id
/// that is not 1 to 35 printable characters or appears twice, an amount that is not
/// positive, an account or bank code blank or too long.
pub fn problem(message_id: &str, debtor: &Debtor, payments: &[CreditTransfer]) -> Option<String> {
    if payments.is_empty() {
        return Some("a pain.001 needs at least one payment".into());
    }
    if !is_iso_id(message_id) {
        return Some(format!("message id {message_id:?} is not 1 to 35 printable characters"));
    }
    if let Some(problem) = account_problem(&debtor.account, &debtor.bank_code) {
        return Some(format!("the debtor's {problem}"));
    }
    let mut seen = HashSet::new();
    for payment in payments {
        let id = &payment.end_to_end_id;
        if !is_iso_id(id) {
            return Some(format!("end-to-end id {id:?} is not 1 to 35 printable characters"));
        }
        if !seen.insert(id.as_str()) {
            return Some(format!("end-to-end id {id:?} appears twice in one batch"));
        }
        if payment.amount_minor <= 0 {
            return Some(format!("payment {id:?} has a non-positive amount"));
        }
        if let Some(problem) = account_problem(&payment.creditor_account, &payment.creditor_bank_code) {
            return Some(format!("payment {id:?}: the creditor's {problem}"));
        }
    }
    None
}

fn is_iso_id(id: &str) -> bool {
    !id.trim().is_empty() && id.chars().count() <= ID_LEN_MAX_CHARS && !id.chars().any(char::is_control)
}

/// What is wrong with an account and bank code for a pain.001, if anything: an account
/// is an IBAN, or a domestic number of at most 34 letters and digits once the dashes and
/// spaces people write in it are dropped.
pub fn account_problem(account: &str, bank_code: &str) -> Option<String> {
    let domestic = domestic_account(account);
    if !(1..=ACCOUNT_LEN_MAX_CHARS).contains(&domestic.chars().count()) {
        return Some(format!("account {account:?} is blank or too long"));
    }
    if iban(account).is_none() && !domestic.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Some(format!("account {account:?} holds characters other than letters, digits, dashes and spaces"));
    }
    let bank_len = bank_code.trim().chars().count();
    if !(1..=ID_LEN_MAX_CHARS).contains(&bank_len) {
        return Some(format!("bank code {bank_code:?} is blank or too long"));
    }
    None
}

fn by_currency(payments: &[CreditTransfer]) -> BTreeMap<Currency, Vec<&CreditTransfer>> {
    let mut groups: BTreeMap<Currency, Vec<&CreditTransfer>> = BTreeMap::new();
    for payment in payments {
        groups.entry(payment.currency).or_default().push(payment);
    }
    groups
}

fn write_document(w: &mut Xml, batch: &Batch<'_>) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("Document").with_attribute(("xmlns", NAMESPACE)).write_inner_content(|w| {
        parent(w, "CstmrCdtTrfInitn", |w| {
            write_group_header(w, batch)?;
            for (currency, payments) in &batch.by_currency {
                write_payment_information(w, batch, *currency, payments)?;
            }
            Ok(())
        })
    })?;
    Ok(())
}

fn write_group_header(w: &mut Xml, batch: &Batch<'_>) -> io::Result<()> {
    let all: Vec<&CreditTransfer> = batch.by_currency.values().flatten().copied().collect();
    parent(w, "GrpHdr", |w| {
        text(w, "MsgId", batch.message_id)?;
        text(w, "CreDtTm", &iso_date_time(batch.created_at))?;
        text(w, "NbOfTxs", &all.len().to_string())?;
        // The standard sums every amount "irrespective of currencies".
        text(w, "CtrlSum", &control_sum(&all))?;
        party(w, "InitgPty", &batch.debtor.name)
    })
}

fn write_payment_information(
    w: &mut Xml,
    batch: &Batch<'_>,
    currency: Currency,
    payments: &[&CreditTransfer],
) -> io::Result<()> {
    parent(w, "PmtInf", |w| {
        text(w, "PmtInfId", &payment_information_id(batch.message_id, currency))?;
        text(w, "PmtMtd", "TRF")?;
        text(w, "NbOfTxs", &payments.len().to_string())?;
        text(w, "CtrlSum", &control_sum(payments))?;
        parent(w, "ReqdExctnDt", |w| text(w, "Dt", &iso_date(batch.created_at)))?;
        party(w, "Dbtr", &batch.debtor.name)?;
        account(w, "DbtrAcct", &batch.debtor.account)?;
        agent(w, "DbtrAgt", &batch.debtor.bank_code)?;
        // DEBT: the operator bears every bank charge, so the user receives exactly the net
        // amount the quote promised. SLEV defers to a scheme's rules (SEPA's), and our rails
        // (domestic KRW transfers, USD wires) have no such scheme to defer to.
        text(w, "ChrgBr", "DEBT")?;
        payments.iter().try_for_each(|payment| write_credit_transfer(w, payment))
    })
}

fn write_credit_transfer(w: &mut Xml, payment: &CreditTransfer) -> io::Result<()> {
    parent(w, "CdtTrfTxInf", |w| {
        parent(w, "PmtId", |w| text(w, "EndToEndId", &payment.end_to_end_id))?;
        parent(w, "Amt", |w| {
            let amount = decimal(i128::from(payment.amount_minor), payment.currency.exponent());
            w.create_element("InstdAmt")
                .with_attribute(("Ccy", payment.currency.code()))
                .write_text_content(BytesText::new(&amount))?;
            Ok(())
        })?;
        agent(w, "CdtrAgt", &payment.creditor_bank_code)?;
        party(w, "Cdtr", &payment.creditor_name)?;
        account(w, "CdtrAcct", &payment.creditor_account)?;
        let remittance = free_text(&payment.remittance, TEXT_LEN_MAX_CHARS);
        if !remittance.is_empty() {
            parent(w, "RmtInf", |w| text(w, "Ustrd", &remittance))?;
        }
        Ok(())
    })
}

/// `<name><Nm>…</Nm></name>`; a blank name is left out, which the schema allows.
fn party(w: &mut Xml, name: &str, party_name: &str) -> io::Result<()> {
    let party_name = free_text(party_name, TEXT_LEN_MAX_CHARS);
    parent(w, name, |w| if party_name.is_empty() { Ok(()) } else { text(w, "Nm", &party_name) })
}

/// An IBAN when the number is one (checksum included), else the number under `Othr/Id`.
fn account(w: &mut Xml, name: &str, number: &str) -> io::Result<()> {
    parent(w, name, |w| {
        parent(w, "Id", |w| match iban(number) {
            Some(iban) => text(w, "IBAN", &iban),
            None => parent(w, "Othr", |w| text(w, "Id", &domestic_account(number))),
        })
    })
}

/// A BIC when the code is one, else a clearing-system member id (a domestic bank code).
fn agent(w: &mut Xml, name: &str, bank_code: &str) -> io::Result<()> {
    let code = bank_code.trim().to_ascii_uppercase();
    parent(w, name, |w| {
        parent(w, "FinInstnId", |w| {
            if looks_like_bic(&code) {
                text(w, "BICFI", &code)
            } else {
                parent(w, "ClrSysMmbId", |w| text(w, "MmbId", &code))
            }
        })
    })
}

fn parent(w: &mut Xml, name: &str, inner: impl FnOnce(&mut Xml) -> io::Result<()>) -> io::Result<()> {
    w.create_element(name).write_inner_content(inner)?;
    Ok(())
}

fn text(w: &mut Xml, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(value))?;
    Ok(())
}

/// The message id and the currency: unique within the message, as the standard asks. A
/// message id too long to leave room for the currency is shortened here (only here).
fn payment_information_id(message_id: &str, currency: Currency) -> String {
    let kept: String = message_id.chars().take(ID_LEN_MAX_CHARS - CURRENCY_SUFFIX_LEN_CHARS).collect();
    format!("{kept}-{}", currency.code())
}

/// The sum of the amounts as one decimal, each scaled to the finest exponent among them.
fn control_sum(payments: &[&CreditTransfer]) -> String {
    let exponent = payments.iter().map(|payment| payment.currency.exponent()).max().unwrap_or(0);
    let total = payments.iter().fold(0i128, |total, payment| {
        let scale = 10i128.pow(u32::from(exponent - payment.currency.exponent()));
        let scaled = i128::from(payment.amount_minor).checked_mul(scale).expect("an i64 scaled by 10^k fits i128");
        total.checked_add(scaled).expect("a batch's control sum fits i128")
    });
    decimal(total, exponent)
}

/// `minor` units with `exponent` decimals as text: (15000, 0) → "15000", (1234, 2) → "12.34".
fn decimal(minor: i128, exponent: u8) -> String {
    assert!(minor >= 0, "amounts in a pain.001 are never negative");
    if exponent == 0 {
        return minor.to_string();
    }
    let unit = 10i128.pow(u32::from(exponent));
    let width = usize::from(exponent);
    format!("{}.{:0width$}", minor / unit, minor % unit)
}

fn iso_date_time(at: OffsetDateTime) -> String {
    let format = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    at.format(&format).expect("a date and time within ISO 8601's four-digit years")
}

fn iso_date(at: OffsetDateTime) -> String {
    at.format(&format_description!("[year]-[month]-[day]")).expect("a date within ISO 8601's four-digit years")
}

/// Text the schema and XML 1.0 accept: control characters (and the non-characters XML
/// forbids) become spaces, the ends are trimmed and the rest is cut to `len_max` characters.
fn free_text(value: &str, len_max: usize) -> String {
    let cleaned: String =
        value.chars().map(|c| if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') { ' ' } else { c }).collect();
    cleaned.trim().chars().take(len_max).collect::<String>().trim_end().to_string()
}

/// An account number without the spaces people write in it.
fn compact(number: &str) -> String {
    number.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A domestic account number as banks match it: without the dashes and spaces people
/// write in it ("1002-345-678901" is 1002345678901), for the debtor's account as for
/// every creditor's.
fn domestic_account(number: &str) -> String {
    number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect()
}

/// The IBAN, compacted and upper-cased, if `number` is one: country letters, two check
/// digits, 11 to 30 letters or digits, and a checksum that holds (ISO 13616 mod 97).
fn iban(number: &str) -> Option<String> {
    let iban = compact(number).to_ascii_uppercase();
    let bytes = iban.as_bytes();
    let shaped = (15..=ACCOUNT_LEN_MAX_CHARS).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..4].iter().all(u8::is_ascii_digit)
        && bytes[4..].iter().all(u8::is_ascii_alphanumeric);
    (shaped && iban_checksum_holds(bytes)).then_some(iban)
}

fn iban_checksum_holds(iban: &[u8]) -> bool {
    let rearranged = iban[4..].iter().chain(&iban[..4]);
    let remainder = rearranged.fold(0u32, |remainder, byte| {
        let value = u32::from(if byte.is_ascii_digit() { byte - b'0' } else { byte - b'A' + 10 });
        let shift = if value < 10 { 10 } else { 100 };
        (remainder * shift + value) % 97
    });
    remainder == 1
}

/// Four bank letters or digits, two country letters, two location characters and an
/// optional three-character branch (ISO 9362).
fn looks_like_bic(code: &str) -> bool {
    let bytes = code.as_bytes();
    matches!(bytes.len(), 8 | 11)
        && bytes.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && bytes[4..6].iter().all(u8::is_ascii_uppercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_use_the_currency_exponent() {
        assert_eq!(decimal(15000, Currency::KRW.exponent()), "15000");
        assert_eq!(decimal(1234, Currency::USD.exponent()), "12.34");
        assert_eq!(decimal(5, 2), "0.05");
        assert_eq!(decimal(100, 2), "1.00");
        assert_eq!(decimal(i128::from(i64::MAX), 2), "92233720368547758.07");
    }

    #[test]
    fn ibans_need_their_shape_and_checksum() {
        assert_eq!(iban("DE89 3704 0044 0532 0130 00").as_deref(), Some("DE89370400440532013000"));
        assert_eq!(iban("gb29nwbk60161331926819").as_deref(), Some("GB29NWBK60161331926819"));
        assert_eq!(iban("DE88370400440532013000"), None, "one check digit off");
        assert_eq!(iban("123-456-789012"), None);
        assert_eq!(iban("KR12"), None);
    }

    #[test]
    fn bics_are_eight_or_eleven_with_a_country() {
        assert!(looks_like_bic("DEUTDEFF") && looks_like_bic("DEUTDEFFXXX") && looks_like_bic("SHBKKRSE"));
        assert!(!looks_like_bic("004") && !looks_like_bic("12345678") && !looks_like_bic("DEUTDEFFX"));
    }

    #[test]
    fn free_text_is_cleaned_trimmed_and_cut_by_characters() {
        assert_eq!(free_text("  a\u{0}b\nc\u{FFFF} ", 140), "a b c");
        let korean = "가".repeat(200);
        assert_eq!(free_text(&korean, TEXT_LEN_MAX_CHARS).chars().count(), 140);
        assert_eq!(free_text("ab cd", 3), "ab");
    }

    #[test]
    fn payment_information_ids_fit_max35() {
        assert_eq!(payment_information_id("pob_1", Currency::KRW), "pob_1-KRW");
        let long = "m".repeat(35);
        assert_eq!(payment_information_id(&long, Currency::USD).chars().count(), 35);
    }
}
