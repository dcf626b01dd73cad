//! A cash-out's state in a person's words: its status, and why one ended unpaid — from the
//! stored `failure_reason` code (`sandbox:AC04`, `otp_locked`, `voucher_expired` …), never
//! the code itself alone.

use super::Lang;

/// The statuses in which a cash-out ended without paying, its money back in the wallet.
pub const UNPAID_ENDINGS: [&str; 3] = ["failed", "canceled", "expired"];

/// The status as a person reads it.
pub fn status(status: &str, lang: Lang) -> String {
    let (ko, en) = match status {
        "awaiting_confirmation" => ("확인 대기 중", "Waiting for confirmation"),
        "in_review" => ("검토 중", "Being reviewed"),
        "processing" => ("처리 중", "Processing"),
        "in_transit" => ("보내는 중", "On its way"),
        "paid" => ("지급 완료", "Paid"),
        "failed" => ("실패", "Failed"),
        "canceled" => ("취소됨", "Canceled"),
        "expired" => ("만료됨", "Expired"),
        other => (other, other),
    };
    pick(lang, ko, en).to_string()
}

/// Why a cash-out ended unpaid, in a sentence.
pub fn unpaid_reason(status: &str, failure_reason: Option<&str>, lang: Lang) -> String {
    let reason = failure_reason.unwrap_or("");
    let (rail_code, code) = match reason.split_once(':') {
        Some((rail, code)) => (Some(rail), code),
        None => (None, reason),
    };
    if let Some(words) = rail_code.and(bank_code(code, lang)) {
        return words.to_string();
    }
    let (ko, en) = match (status, code) {
        ("expired", _) => ("정해진 시간 안에 출금을 확인하지 않았어요.", "It was not confirmed in time."),
        (_, "canceled") => ("보내기 전에 출금이 취소됐어요.", "It was canceled before the money was sent."),
        (_, "otp_locked") => {
            ("확인 코드를 너무 많이 틀렸어요.", "The confirmation code was entered wrongly too many times.")
        }
        (_, "rejected") => ("검토 결과 출금이 승인되지 않았어요.", "It was not approved in review."),
        (_, "operator") => ("운영사가 지급 실패로 처리했어요.", "The operator recorded the payout as failed."),
        (_, "voucher_expired") => {
            ("찾을 수 있는 기한 안에 현금을 찾지 않았어요.", "The cash was not collected in time.")
        }
        (_, "voucher_locked") => (
            "현금 찾는 곳에서 PIN을 너무 많이 틀렸어요.",
            "A wrong PIN was entered too many times at the pickup point.",
        ),
        _ if rail_code.is_some() => {
            return match lang {
                Lang::Ko => format!("받는 곳에서 지급을 거절했어요 (코드 {code})."),
                Lang::En => format!("The receiving bank or provider refused the payout (code {code})."),
            }
        }
        ("canceled", _) if !code.is_empty() => {
            return match lang {
                Lang::Ko => format!("출금 한도나 확인 기준에 맞지 않아 거절됐어요 ({}).", code.replace(',', ", ")),
                Lang::En => format!("It was refused by the wallet's limits or checks ({}).", code.replace(',', ", ")),
            }
        }
        ("canceled", _) => ("출금이 취소됐어요.", "It was canceled."),
        _ => ("돈을 보내지 못했어요.", "The money could not be sent."),
    };
    pick(lang, ko, en).to_string()
}

/// The ISO 20022 reason codes banks return most, in words.
fn bank_code(code: &str, lang: Lang) -> Option<&'static str> {
    let (ko, en) = match code {
        "AC01" => ("받는 계좌번호가 올바르지 않아요.", "The receiving account number is not valid."),
        "AC04" => ("받는 계좌가 해지된 계좌예요.", "The receiving account is closed."),
        "AC06" => ("받는 계좌가 막혀 있어요.", "The receiving account is blocked."),
        "AG01" => {
            ("받는 계좌로는 이런 송금을 받을 수 없어요.", "The receiving account cannot take this kind of payment.")
        }
        "BE01" => ("받는 사람 이름이 계좌와 맞지 않아요.", "The name does not match the receiving account."),
        "MD07" => {
            ("받는 계좌의 주인이 사망한 것으로 확인됐어요.", "The receiving account holder is reported deceased.")
        }
        _ => return None,
    };
    Some(pick(lang, ko, en))
}

fn pick<'a>(lang: Lang, ko: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Ko => ko,
        Lang::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rail_codes_become_sentences() {
        assert_eq!(unpaid_reason("failed", Some("sandbox:AC04"), Lang::En), "The receiving account is closed.");
        assert_eq!(unpaid_reason("failed", Some("bank:AC04"), Lang::Ko), "받는 계좌가 해지된 계좌예요.");
        let unknown = unpaid_reason("failed", Some("ewallet:wallet_closed"), Lang::En);
        assert!(unknown.contains("refused") && unknown.contains("wallet_closed"), "{unknown}");
    }

    #[test]
    fn every_ending_has_words_in_both_languages() {
        for (status, reason) in [
            ("canceled", Some("canceled")),
            ("canceled", Some("otp_locked")),
            ("canceled", Some("rejected")),
            ("canceled", Some("limit_exceeded,velocity")),
            ("failed", Some("operator")),
            ("failed", Some("voucher_expired")),
            ("failed", Some("voucher_locked")),
            ("expired", None),
            ("failed", None),
        ] {
            let (ko, en) = (unpaid_reason(status, reason, Lang::Ko), unpaid_reason(status, reason, Lang::En));
            assert!(ko.ends_with('.') && en.ends_with('.') && ko != en, "{status} {reason:?}: {ko} / {en}");
            assert!(!ko.is_ascii(), "Korean for {status} {reason:?}: {ko}");
        }
        assert!(
            unpaid_reason("canceled", Some("limit_exceeded,velocity"), Lang::En).contains("limit_exceeded, velocity")
        );
    }

    #[test]
    fn statuses_read_as_words() {
        assert_eq!(status("in_transit", Lang::En), "On its way");
        assert_eq!(status("paid", Lang::Ko), "지급 완료");
        assert_eq!(status("something_new", Lang::Ko), "something_new");
    }
}
