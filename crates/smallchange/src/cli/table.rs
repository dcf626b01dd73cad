//! Plain-text tables for people: columns aligned by their displayed width (a Hangul
//! character takes two), two spaces apart, no trailing spaces.

use unicode_width::UnicodeWidthStr;

pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            text.push_str(cell);
            if i + 1 < cells.len() {
                text.push_str(&" ".repeat(width - cell.width() + 2));
            }
        }
        text.trim_end().to_string()
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// A time column (µs since the epoch) in UTC, to the second: `2025-03-01 09:14:05 UTC`.
pub fn utc(us: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .ok()
        .and_then(|at| at.format(format).ok())
        .unwrap_or_else(|| us.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_under_wide_characters() {
        let rows = vec![
            vec!["ten_a".to_string(), "김민지".to_string(), "x".to_string()],
            vec!["ten_bb".into(), "demo".into(), "y".into()],
        ];
        let text = render(&["ID", "NAME", "CREATED"], &rows);
        assert_eq!(text, "ID      NAME    CREATED\nten_a   김민지  x\nten_bb  demo    y");
    }

    #[test]
    fn times_are_utc_to_the_second() {
        assert_eq!(utc(1_700_000_000_123_456), "2023-11-14 22:13:20 UTC");
    }
}
