//! Money as people write it: `₩30,000` in English and `30,000원` in Korean, digits grouped
//! by thousands and the currency's minor unit shown as decimals (`$12.34`, `12.34달러`).
//! Currencies without a common symbol or word read `SGD 12.34` / `12.34 SGD`.

use ledger::Currency;

use super::Lang;

/// `minor_units` of `currency` (an ISO 4217 code) as a person writes it in `lang`. A code we
/// do not know is shown with no decimals and its code, rather than a wrong amount.
pub fn money(minor_units: i64, currency: &str, lang: Lang) -> String {
    let exponent = Currency::parse(currency).map(|c| c.exponent()).unwrap_or(0);
    let number = grouped(minor_units.unsigned_abs(), exponent);
    let sign = if minor_units < 0 { "-" } else { "" };
    match (lang, symbol(currency), word(currency)) {
        (Lang::En, Some(symbol), _) => format!("{sign}{symbol}{number}"),
        (Lang::En, None, _) => format!("{sign}{currency} {number}"),
        (Lang::Ko, _, Some(word)) => format!("{sign}{number}{word}"),
        (Lang::Ko, _, None) => format!("{sign}{number} {currency}"),
    }
}

/// A count as people read it, grouped by thousands: `12,345`.
pub fn count(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", grouped(n.unsigned_abs(), 0))
}

/// The English symbol of the currencies people know by one.
fn symbol(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "KRW" => "₩",
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        _ => return None,
    })
}

/// The Korean word written after the number.
fn word(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "KRW" => "원",
        "USD" => "달러",
        "EUR" => "유로",
        "GBP" => "파운드",
        "JPY" => "엔",
        "CNY" => "위안",
        _ => return None,
    })
}

/// `value` minor units with `exponent` decimals, the whole part grouped by thousands.
fn grouped(value: u64, exponent: u8) -> String {
    let scale = 10u64.pow(u32::from(exponent));
    let (whole, fraction) = (value / scale, value % scale);
    let digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 4);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if exponent > 0 {
        out.push_str(&format!(".{fraction:0width$}", width = usize::from(exponent)));
    }
    out
}

/// A share in basis points as people write it: `80%`, `85.5%`, `0.25%` (no trailing zeros).
pub fn percent(bps: i64) -> String {
    let whole = format!("{}", bps / 100);
    match bps.rem_euclid(100) {
        0 => format!("{whole}%"),
        cents if cents % 10 == 0 => format!("{whole}.{}%", cents / 10),
        cents => format!("{whole}.{cents:02}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn won_has_no_decimals_and_is_grouped_by_thousands() {
        assert_eq!(money(30_000, "KRW", Lang::En), "₩30,000");
        assert_eq!(money(30_000, "KRW", Lang::Ko), "30,000원");
        assert_eq!(money(999_999_999, "KRW", Lang::En), "₩999,999,999");
        assert_eq!(money(146_800, "KRW", Lang::Ko), "146,800원");
        assert_eq!(money(0, "KRW", Lang::En), "₩0");
        assert_eq!(money(999, "KRW", Lang::Ko), "999원");
        assert_eq!(money(1_000, "KRW", Lang::Ko), "1,000원");
        assert_eq!(money(-5_500, "KRW", Lang::En), "-₩5,500");
    }

    #[test]
    fn dollars_show_their_cents() {
        assert_eq!(money(1_234, "USD", Lang::En), "$12.34");
        assert_eq!(money(1_234, "USD", Lang::Ko), "12.34달러");
        assert_eq!(money(123_456_705, "USD", Lang::En), "$1,234,567.05");
        assert_eq!(money(5, "USD", Lang::En), "$0.05");
        assert_eq!(money(-100, "EUR", Lang::En), "-€1.00");
    }

    #[test]
    fn other_currencies_are_named_by_their_code() {
        assert_eq!(money(1_234, "SGD", Lang::En), "SGD 12.34");
        assert_eq!(money(1_234, "SGD", Lang::Ko), "12.34 SGD");
        assert_eq!(money(5_000, "VND", Lang::En), "VND 5,000");
        assert_eq!(money(i64::MIN, "KRW", Lang::En), "-₩9,223,372,036,854,775,808");
    }

    #[test]
    fn percentages_drop_trailing_zeros() {
        assert_eq!(super::percent(8_000), "80%");
        assert_eq!(super::percent(0), "0%");
        assert_eq!(super::percent(8_550), "85.5%");
        assert_eq!(super::percent(25), "0.25%");
        assert_eq!(super::percent(10_000), "100%");
    }
}
