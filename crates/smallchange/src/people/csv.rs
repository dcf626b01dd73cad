//! CSV as people open it, in a spreadsheet: a byte-order mark first (Excel in Korea reads
//! a file without one as the local code page and garbles Hangul), lines ending `\r\n`, and
//! text fields quoted when they must be and never read as a formula (a leading `=`, `+`,
//! `-`, `@`, tab or carriage return gets a `'`).

/// What a CSV file starts with, so that spreadsheets read it as UTF-8.
pub const BOM: &str = "\u{feff}";

/// One line of fields, each written as [`text`] writes it, ending `\r\n`.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = fields.iter().map(|f| text(f.as_ref())).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

/// A field: quoted when it must be, never a formula. A plain integer (`-5000`) stays a
/// number.
pub fn text(field: &str) -> String {
    let number = field.strip_prefix('-').unwrap_or(field);
    let is_integer = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    let field = if !is_integer && field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_string()
    };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_never_a_formula() {
        assert_eq!(text("coffee"), "coffee");
        assert_eq!(text("a, \"b\""), "\"a, \"\"b\"\"\"");
        assert_eq!(text("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(text("-5000"), "-5000", "an integer stays a number");
        assert_eq!(text("-1+1"), "'-1+1");
        assert_eq!(text("₩30,000"), "\"₩30,000\"");
        assert_eq!(line(&["a", "1"]), "a,1\r\n");
    }
}
