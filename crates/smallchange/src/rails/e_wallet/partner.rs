//! The e-wallet partner's language, pure: the payout request we POST, the answer the
//! partner gives to it, and the callback it sends when a payout it accepted ends.
//!
//! Both directions are JSON signed with `Smallchange-Signature` (see [`crate::signature`])
//! under the secret the operator shares with the partner. The cash-out id travels as `id`
//! and as the `Idempotency-Key`: the partner pays one id at most once, so a payout call
//! that timed out can be repeated safely. What the partner says is bounded here before
//! anything else reads it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest partner reference kept, in characters.
pub const REFERENCE_LEN_MAX: usize = 100;
/// Longest reason kept, in characters; a longer one is cut.
pub const REASON_LEN_MAX: usize = 200;

/// The body of a payout request: the net amount of one cash-out to one wallet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PayoutRequest<'a> {
    /// The cash-out id: the partner's idempotency key.
    pub id: &'a str,
    /// What reaches the wallet: the quote's net, in minor units.
    pub amount: i64,
    pub currency: &'a str,
    pub provider: &'a str,
    pub wallet_id: &'a str,
    pub holder_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<&'a str>,
}

impl PayoutRequest<'_> {
    /// The exact bytes sent and signed.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a payout request serializes")
    }
}

/// What the partner did with a payout request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Taken; the outcome comes later by callback. The reference is the partner's.
    Accepted {
        reference: String,
    },
    Paid {
        reference: String,
    },
    Rejected {
        reference: Option<String>,
        reason: String,
    },
}

#[derive(Deserialize)]
struct RawAnswer {
    status: String,
    reference: Option<String>,
    reason: Option<String>,
}

/// Reads a 2xx answer: `{"status": "accepted"|"paid"|"rejected", "reference", "reason"?}`.
/// Other fields are ignored; `accepted` and `paid` need a reference, as a payout the
/// partner made must be traceable on its side. `Err` says what was wrong.
pub fn parse_answer(body: &[u8]) -> Result<Answer, String> {
    let raw: RawAnswer =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not the expected JSON: {e}"))?;
    let reference = raw.reference.map(|r| checked_reference(&r)).transpose()?;
    let needs_reference = |reference: Option<String>| reference.ok_or("the answer has no reference".to_string());
    match raw.status.as_str() {
        "accepted" => Ok(Answer::Accepted { reference: needs_reference(reference)? }),
        "paid" => Ok(Answer::Paid { reference: needs_reference(reference)? }),
        "rejected" => Ok(Answer::Rejected { reference, reason: reason(raw.reason.as_deref()) }),
        other => Err(format!("the answer's status {:?} is not accepted, paid or rejected", cut(other, 40))),
    }
}

/// The partner's callback: how a payout it accepted ended. Fields we do not know (an
/// event id, the amount) are ignored, as in [`parse_answer`]: the signature authenticates
/// the whole body, which is stored as received, and refusing a partner's added field
/// would strand every cash-out in transit on this rail.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[schema(as = EwalletCallback)]
pub struct Callback {
    /// The cash-out id, as sent in the payout request.
    pub id: String,
    pub status: CallbackStatus,
    /// The partner's reference for the payout.
    pub reference: String,
    /// Why it failed, in the partner's words (kept as `failure_reason` `ewallet:<reason>`).
    pub reason: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = EwalletCallbackStatus)]
pub enum CallbackStatus {
    Paid,
    Failed,
}

impl Callback {
    /// The reference, checked: `Err((code, message, param))` for a 400.
    pub fn checked_reference(&self) -> Result<String, (&'static str, String, &'static str)> {
        checked_reference(&self.reference).map_err(|message| ("invalid_reference", message, "reference"))
    }

    /// The reason, cut to [`REASON_LEN_MAX`] characters (`failed` if none was given).
    pub fn reason(&self) -> String {
        reason(self.reason.as_deref())
    }
}

/// 1 to [`REFERENCE_LEN_MAX`] characters, none of them a control character.
fn checked_reference(reference: &str) -> Result<String, String> {
    let length = reference.chars().count();
    if length == 0 || length > REFERENCE_LEN_MAX || reference.chars().any(char::is_control) {
        return Err(format!("reference is 1 to {REFERENCE_LEN_MAX} printable characters"));
    }
    Ok(reference.to_string())
}

/// A reason as kept: control characters dropped, cut to [`REASON_LEN_MAX`] characters.
fn reason(reason: Option<&str>) -> String {
    let kept: String = reason.unwrap_or_default().chars().filter(|c| !c.is_control()).collect();
    let kept = cut(kept.trim(), REASON_LEN_MAX);
    if kept.is_empty() {
        "failed".into()
    } else {
        kept
    }
}

fn cut(text: &str, chars_max: usize) -> String {
    text.chars().take(chars_max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_body_is_the_documented_json() {
        let request = PayoutRequest {
            id: "po_1",
            amount: 19_701,
            currency: "KRW",
            provider: "kakaopay",
            wallet_id: "010-1234-5678",
            holder_name: "김민지",
            callback_url: None,
        };
        let body: serde_json::Value = serde_json::from_slice(&request.body()).unwrap();
        let expected = serde_json::json!({"id": "po_1", "amount": 19_701, "currency": "KRW", "provider": "kakaopay",
            "wallet_id": "010-1234-5678", "holder_name": "김민지"});
        assert_eq!(body, expected);
        let with_callback = PayoutRequest { callback_url: Some("https://w.example/cb"), ..request };
        assert!(String::from_utf8(with_callback.body()).unwrap().contains(r#""callback_url":"https://w.example/cb""#));
    }

    #[test]
    fn answers_are_read_strictly_where_it_matters() {
        let parse = |text: &str| parse_answer(text.as_bytes());
        assert_eq!(
            parse(r#"{"status": "accepted", "reference": "ew_1", "extra": 1}"#),
            Ok(Answer::Accepted { reference: "ew_1".into() })
        );
        assert_eq!(parse(r#"{"status": "paid", "reference": "ew_2"}"#), Ok(Answer::Paid { reference: "ew_2".into() }));
        assert_eq!(
            parse(r#"{"status": "rejected", "reason": "wallet_closed"}"#),
            Ok(Answer::Rejected { reference: None, reason: "wallet_closed".into() })
        );
        assert_eq!(
            parse(r#"{"status": "rejected", "reference": "ew_3"}"#),
            Ok(Answer::Rejected { reference: Some("ew_3".into()), reason: "failed".into() })
        );
        let long = "x".repeat(REFERENCE_LEN_MAX + 1);
        for bad in [
            "".to_string(),
            "not json".into(),
            r#"{"status": "paid"}"#.into(),
            r#"{"status": "accepted", "reference": ""}"#.into(),
            r#"{"status": "sent", "reference": "ew_1"}"#.into(),
            format!(r#"{{"status": "paid", "reference": "{long}"}}"#),
            r#"{"status": "paid", "reference": "a\nb"}"#.into(),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reasons_are_bounded_and_never_empty() {
        let long = "r".repeat(REASON_LEN_MAX * 2);
        assert_eq!(reason(Some(&long)).chars().count(), REASON_LEN_MAX);
        assert_eq!(reason(Some(" bad\u{0}\ncard ")), "badcard");
        assert_eq!(reason(None), "failed");
        assert_eq!(reason(Some("  ")), "failed");
    }
}
