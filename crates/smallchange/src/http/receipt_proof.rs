//! The audit proof on the keyless receipt page: the entry of the cash-out's latest status
//! change, its leaf hash, the hashes that lead from it to the root, and the signed
//! checkpoint that root is in, so the person holding the receipt (or anyone they show it
//! to) can check it with no key and no account (docs/AUDIT.md shows how). Words in Korean
//! and English, as on the rest of the page.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::receipt_page::escape;
use crate::people::Lang;
use crate::services::audit::ProvedEntry;

fn t<'a>(lang: Lang, ko: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Ko => ko,
        Lang::En => en,
    }
}

/// The section, or nothing when the cash-out has no entry (made before the audit log).
pub fn section(proved: Option<&ProvedEntry>, lang: Lang) -> String {
    let Some(proved) = proved else { return String::new() };
    let index = proved.stored.index;
    let mut rows = vec![
        (t(lang, "기록 번호", "Entry"), format!("{} (#{index})", proved.stored.id)),
        (t(lang, "기록 종류", "Kind"), proved.stored.kind.clone()),
        (t(lang, "리프 해시", "Leaf hash"), STANDARD.encode(proved.leaf_hash)),
    ];
    let Some(proof) = &proved.proof else {
        let pending = t(
            lang,
            "이 기록은 아직 서명된 체크포인트에 들어가지 않았어요. 잠시 후 이 페이지를 다시 열면 증명이 보여요.",
            "This entry is not under a signed checkpoint yet. Open this page again in a moment to see its proof.",
        );
        return wrap(lang, &table(&rows), &format!("<p>{}</p>", escape(pending)), "");
    };
    let size = proof.tree.size;
    let says = match lang {
        Lang::Ko => format!(
            "이 출금의 마지막 상태 변경이 운영사의 감사 로그(추가만 되고 고칠 수 없는 기록)의 #{index}번 기록이며, 아래 서명된 \
             체크포인트({size}개 기록)에 들어 있다는 증명이에요."
        ),
        Lang::En => format!(
            "This proves that this cash-out's latest status change is entry #{index} of the operator's audit log \
             (which can only grow, never be edited), in the log of {size} entries the signed checkpoint below commits to."
        ),
    };
    rows.push((t(lang, "트리 크기", "Tree size"), size.to_string()));
    rows.push((t(lang, "루트 해시", "Root hash"), STANDARD.encode(proof.tree.root)));
    let hashes: String =
        proof.hashes.iter().map(|hash| format!("<li><code>{}</code></li>", escape(&STANDARD.encode(hash)))).collect();
    let details = format!(
        "<p>{}</p><ol>{hashes}</ol><p>{}</p><pre>{}</pre>\
         <details><summary>{}</summary><p><code>{}</code></p></details>",
        escape(t(lang, "증명 해시 (리프에 가까운 것부터)", "Proof hashes (nearest the leaf first)")),
        escape(t(lang, "서명된 체크포인트", "Signed checkpoint")),
        escape(&proof.tree.note),
        escape(t(lang, "기록 원본 (base64)", "The entry's bytes (base64)")),
        escape(&STANDARD.encode(&proved.bytes)),
    );
    wrap(lang, &table(&rows), &format!("<p>{}</p>", escape(&says)), &details)
}

fn table(rows: &[(&str, String)]) -> String {
    let rows: String = rows
        .iter()
        .map(|(label, value)| format!("<tr><th>{}</th><td><code>{}</code></td></tr>", escape(label), escape(value)))
        .collect();
    format!("<table>{rows}</table>")
}

fn wrap(lang: Lang, table: &str, says: &str, details: &str) -> String {
    format!(
        "<section class=\"proof\"><h2>{}</h2>{says}{table}{details}</section>",
        escape(t(lang, "감사 기록 증명", "Audit proof"))
    )
}
