//! The language a person reads: Korean by default, English when asked for — by an explicit
//! `?lang=ko|en`, or else by the browser's `Accept-Language` (its q-values honoured).

/// A language we write in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// 한국어, in plain polite style (해요체).
    #[default]
    Ko,
    En,
}

impl Lang {
    /// `ko` or `en` (a region such as `en-US` is allowed), any case; `None` otherwise.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "ko" => Some(Lang::Ko),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The code for `<html lang>` and links.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }

    /// The language of an `Accept-Language` header: the one we write with the highest
    /// q-value (the first on a tie); Korean if the header names neither.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(Lang, u16)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else { continue };
            let q = parts.find_map(|p| p.trim().strip_prefix("q=").map(quality)).unwrap_or(1000);
            if q > 0 && best.is_none_or(|(_, best_q)| q > best_q) {
                best = Some((lang, q));
            }
        }
        best.map(|(lang, _)| lang).unwrap_or_default()
    }

    /// An explicit choice (`?lang=`) wins over the header; then the header; then Korean.
    pub fn choose(explicit: Option<&str>, accept_language: Option<&str>) -> Lang {
        explicit.and_then(Lang::parse).or_else(|| accept_language.map(Lang::from_accept_language)).unwrap_or_default()
    }
}

/// A q-value (`0`, `0.5`, `1.000`) in thousandths; malformed counts as 0 (not acceptable).
fn quality(value: &str) -> u16 {
    let value = value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().unwrap_or(0);
    match whole {
        "0" => thousandths,
        "1" if thousandths == 0 => 1000,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_unless_english_is_preferred() {
        assert_eq!(Lang::from_accept_language(""), Lang::Ko);
        assert_eq!(Lang::from_accept_language("fr-FR, de"), Lang::Ko);
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language("ko-KR,ko;q=0.9,en-US;q=0.8"), Lang::Ko);
        assert_eq!(Lang::from_accept_language("fr;q=1, en;q=0.5, ko;q=0.7"), Lang::Ko);
        assert_eq!(Lang::from_accept_language("ko;q=0.2, EN;q=0.8"), Lang::En);
        assert_eq!(Lang::from_accept_language("en;q=0, ko;q=0.1"), Lang::Ko, "q=0 means not acceptable");
        assert_eq!(Lang::from_accept_language("en;q=0.5, ko;q=0.5"), Lang::En, "the first wins a tie");
        assert_eq!(Lang::from_accept_language("en;q=bogus"), Lang::Ko);
    }

    #[test]
    fn an_explicit_choice_wins_over_the_header() {
        assert_eq!(Lang::choose(Some("en"), Some("ko")), Lang::En);
        assert_eq!(Lang::choose(Some("ko"), Some("en")), Lang::Ko);
        assert_eq!(Lang::choose(Some("xx"), Some("en")), Lang::En, "an unknown choice falls back to the header");
        assert_eq!(Lang::choose(None, None), Lang::Ko);
    }

    #[test]
    fn q_values_are_read_in_thousandths() {
        assert_eq!((quality("1"), quality("1.000"), quality("0.8"), quality("0.125")), (1000, 1000, 800, 125));
        assert_eq!((quality("1.5"), quality("2"), quality("0.1234"), quality("")), (0, 0, 0, 0));
    }
}
