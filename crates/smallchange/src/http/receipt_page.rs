//! The printable receipt page: plain HTML with its own small stylesheet, every value
//! escaped, nothing loaded from elsewhere.

/// What the page shows.
pub struct Page {
    pub title: String,
    /// The operator's registered name and number.
    pub operator: String,
    /// Labelled lines, in order.
    pub lines: Vec<(String, String)>,
}

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

pub fn render(page: &Page) -> String {
    let rows: String = page
        .lines
        .iter()
        .map(|(label, value)| format!("<tr><th>{}</th><td>{}</td></tr>\n", escape(label), escape(value)))
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}}\
         table{{border-collapse:collapse;width:100%}}th,td{{text-align:left;padding:.4rem;border-bottom:1px solid #ddd}}\
         td{{text-align:right;font-variant-numeric:tabular-nums}}@media print{{button{{display:none}}}}</style>\
         </head><body><h1>{title}</h1><p>{operator}</p><table>\n{rows}</table>\
         <p><button onclick=\"window.print()\">Print</button></p></body></html>\n",
        title = escape(&page.title),
        operator = escape(&page.operator),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_escaped() {
        let page = super::Page {
            title: "Receipt <po_1>".into(),
            operator: "A & B".into(),
            lines: vec![("To".into(), "<script>alert(1)</script>".into())],
        };
        let html = super::render(&page);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;") && html.contains("A &amp; B"));
    }
}
