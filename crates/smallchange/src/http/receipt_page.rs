//! The printable receipt page a person reads, in Korean or English: plain HTML with its own
//! small stylesheet, every value escaped, nothing loaded from elsewhere. It shows the
//! cash-out as it is now; one that ended unpaid says so at the top, says why, and says the
//! money went back to the wallet — it never calls anything "paid to you". Also the plain
//! pages a receipt link answers when it opens nothing.

use crate::people::cashout::{status, unpaid_reason, UNPAID_ENDINGS};
use crate::people::{local_time, money, Lang};
use crate::services::audit::ProvedEntry;
use crate::services::cashout::receipt_link::Refused;
use crate::services::cashout::view::Receipt;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Picks the Korean or the English words.
fn t<'a>(lang: Lang, ko: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Ko => ko,
        Lang::En => en,
    }
}

/// The receipt page of `r`, in `lang`, with the audit proof of its latest status change.
pub fn render(r: &Receipt, lang: Lang, proof: Option<&ProvedEntry>) -> String {
    let c = &r.cashout;
    let q = &c.quote;
    let amount = |minor: i64| money(minor, &q.currency, lang);
    let unpaid = UNPAID_ENDINGS.contains(&c.status.as_str());
    let summary = if unpaid {
        let reason = unpaid_reason(&c.status, c.failure_reason.as_deref(), lang);
        let returned = match lang {
            Lang::Ko => format!("출금하려던 {} 전액이 지갑으로 돌아왔어요.", amount(q.gross)),
            Lang::En => format!("The full {} went back to your wallet.", amount(q.gross)),
        };
        let headline = match c.status.as_str() {
            "canceled" => t(lang, "출금이 취소됐어요", "This cash-out was canceled"),
            "expired" => t(lang, "출금이 만료됐어요", "This cash-out expired"),
            _ => t(lang, "출금에 실패했어요", "This cash-out failed"),
        };
        format!(
            "<div class=\"notice\" role=\"alert\"><h2>{}</h2><p>{}: {}</p><p><strong>{}</strong></p></div>",
            escape(headline),
            t(lang, "사유", "Why"),
            escape(&reason),
            escape(&returned)
        )
    } else {
        let label = match (c.status.as_str(), lang) {
            ("paid", Lang::Ko) => "받은 금액".to_string(),
            ("paid", Lang::En) => "Paid to you".to_string(),
            (_, Lang::Ko) => format!("받을 금액 · {}", status(&c.status, lang)),
            (_, Lang::En) => format!("To be paid to you · {}", status(&c.status, lang)),
        };
        format!("<p class=\"label\">{}</p><p class=\"amount\">{}</p>", escape(&label), escape(&amount(q.net)))
    };
    let rows: String = lines(r, lang, unpaid)
        .iter()
        .map(|(label, value)| format!("<tr><th>{}</th><td>{}</td></tr>\n", escape(label), escape(value)))
        .collect();
    let name = &r.operator.name;
    let operator = match (lang, &r.operator.registration_number) {
        (Lang::Ko, Some(number)) => format!("운영: {name} (사업자등록번호 {number})"),
        (Lang::En, Some(number)) => format!("Operator: {name} (registration no. {number})"),
        (Lang::Ko, None) => format!("운영: {name}"),
        (Lang::En, None) => format!("Operator: {name}"),
    };
    // The print button is shown by the wallet's script (`[data-print]`), loaded from this
    // server: without JavaScript there is no button that does nothing, and no inline handler
    // for the Content-Security-Policy to allow.
    let script = crate::assets::path("wallet.js").unwrap_or_default();
    let body = format!(
        "{summary}<table>\n{rows}</table><p>{}</p>{}<p><button type=\"button\" data-print hidden>{}</button></p>\
         <script src=\"{}\" defer></script>",
        escape(&operator),
        super::receipt_proof::section(proof, lang),
        t(lang, "인쇄하기", "Print"),
        escape(&script)
    );
    document(lang, t(lang, "출금 영수증", "Cash-out receipt"), &body)
}

/// The labelled lines under the summary.
fn lines(r: &Receipt, lang: Lang, unpaid: bool) -> Vec<(String, String)> {
    let c = &r.cashout;
    let q = &c.quote;
    let amount = |minor: i64| money(minor, &q.currency, lang);
    let at = |us: i64| local_time(us, r.utc_offset_minutes);
    let mut lines = vec![
        (t(lang, "출금 번호", "Cash-out").to_string(), c.id.clone()),
        (t(lang, "상태", "Status").into(), status(&c.status, lang)),
        (t(lang, "출금 금액", "Amount withdrawn").into(), amount(q.gross)),
    ];
    if unpaid {
        lines.push((t(lang, "지갑으로 돌아온 금액", "Returned to your wallet").into(), amount(q.gross)));
    } else {
        for fee in &q.fees {
            lines.push((format!("{}: {}", t(lang, "수수료", "Fee"), fee_kind(&fee.kind, lang)), amount(fee.amount)));
        }
        lines.push((t(lang, "수수료 합계", "Fees").into(), amount(q.fee)));
        let net_label = match c.status.as_str() {
            "paid" => t(lang, "받은 금액", "Paid to you"),
            _ => t(lang, "받을 금액", "To be paid to you"),
        };
        lines.push((net_label.into(), amount(q.net)));
    }
    lines.push((t(lang, "받는 곳", "To").into(), crate::people::destination::shown(lang, &r.destination)));
    lines.push((t(lang, "송금 방법", "Rail").into(), rail(&q.rail, lang)));
    lines.push((
        t(lang, "송금 참조번호", "Rail reference").into(),
        c.rail_reference.clone().unwrap_or_else(|| "-".into()),
    ));
    lines.push((t(lang, "요청 시각", "Requested").into(), at(c.created_at)));
    lines.push((t(lang, "확인 시각", "Confirmed").into(), at(r.confirmed_at)));
    if let Some(submitted) = c.submitted_at {
        lines.push((t(lang, "보낸 시각", "Sent").into(), at(submitted)));
    }
    if let Some(paid) = c.paid_at.filter(|_| !unpaid) {
        lines.push((t(lang, "지급 시각", "Paid").into(), at(paid)));
    }
    if let Some(ended) = r.timeline.last().filter(|_| unpaid) {
        lines.push((t(lang, "종료 시각", "Ended").into(), at(ended.at)));
    }
    lines
}

fn fee_kind(kind: &str, lang: Lang) -> String {
    let (ko, en) = match kind {
        "fixed" => ("기본", "fixed"),
        "percentage" => ("비율", "percentage"),
        "minimum_fee" => ("최소 수수료 보정", "minimum fee"),
        "maximum_fee" => ("최대 수수료 보정", "maximum fee"),
        other => (other, other),
    };
    t(lang, ko, en).replace('_', " ")
}

fn rail(rail: &str, lang: Lang) -> String {
    let (ko, en) = match rail {
        "bank" => ("은행 송금", "bank transfer"),
        "sandbox" => ("시험용 송금", "sandbox"),
        "e_wallet" => ("전자지갑", "e-wallet"),
        "cash_pickup" => ("현금 찾기", "cash pickup"),
        other => (other, other),
    };
    t(lang, ko, en).to_string()
}

/// The page a receipt link answers when it opens nothing: invalid, expired, or too many
/// failed tries from this address.
pub fn refusal(lang: Lang, why: Option<Refused>) -> String {
    let (title, text) = match why {
        Some(Refused::Expired) => (
            t(lang, "링크가 만료됐어요", "This link has expired"),
            t(lang, "지갑 앱에서 영수증을 다시 열어 주세요.", "Open the receipt again from your wallet app."),
        ),
        Some(Refused::Invalid) => (
            t(lang, "영수증을 찾을 수 없어요", "Receipt not found"),
            t(
                lang,
                "링크가 올바르지 않아요. 지갑 앱에서 영수증을 다시 열어 주세요.",
                "This link is not valid. Open the receipt again from your wallet app.",
            ),
        ),
        None => (
            t(lang, "잠시 후 다시 시도해 주세요", "Please try again later"),
            t(
                lang,
                "이 기기에서 잘못된 링크를 너무 많이 열었어요. 잠시 후 다시 시도해 주세요.",
                "Too many links that were not valid were opened from here. Please wait a little and try again.",
            ),
        ),
    };
    document(lang, title, &format!("<p>{}</p>", escape(text)))
}

/// The pages' own stylesheet, inline; the Content-Security-Policy allows it by its hash.
const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ddd}td{text-align:right;font-variant-numeric:tabular-nums}.amount{font-size:2rem;font-weight:700;margin:0}.label{margin-bottom:0}.notice{border-left:.4rem solid #b00;padding:.2rem 1rem;margin:1rem 0}.proof code,.proof pre{font-size:.75rem;word-break:break-all;white-space:pre-wrap}.proof td{text-align:left}.proof th{white-space:nowrap}@media print{button{display:none}}";

/// What a receipt page may load and run: the wallet's script from this server, its own
/// inline stylesheet (by hash), nothing else; no framing, no forms, no base.
pub fn content_security_policy() -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; script-src 'self'; style-src 'sha256-{hash}'; img-src 'self' data:; \
         form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    )
}

fn document(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title>\
         <style>{STYLE}</style>\
         </head><body><h1>{title}</h1>{body}</body></html>\n",
        lang = lang.code(),
        title = escape(title),
        STYLE = STYLE,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_escaped() {
        assert_eq!(super::escape("<script>alert('x') & \"y\""), "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;");
        let page = super::document(super::Lang::En, "A <b>", "<p>ok</p>");
        assert!(page.contains("A &lt;b&gt;") && !page.contains("A <b>"), "{page}");
    }

    #[test]
    fn no_inline_script_and_the_style_is_allowed_by_its_hash() {
        let page = super::document(super::Lang::Ko, "영수증", "<p>ok</p>");
        assert!(!page.contains("onclick") && page.contains(super::STYLE));
        let policy = super::content_security_policy();
        assert!(policy.contains("style-src 'sha256-") && policy.contains("script-src 'self'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"));
    }
}
