//! Free text a person writes for the record — a reason, a note, a name — trimmed and
//! bounded in characters, so what is stored and shown has a known size.

/// Text of at least one character after trimming, and at most a given number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    /// `value` trimmed, if it then has 1 to `len_max` characters.
    pub fn parse(value: &str, len_max: usize) -> Option<Text> {
        let value = value.trim();
        (!value.is_empty() && value.chars().count() <= len_max).then(|| Text(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded_in_characters() {
        assert_eq!(Text::parse("  a note ", 10).map(Text::into_string), Some("a note".into()));
        assert_eq!(Text::parse("   ", 10), None);
        assert_eq!(Text::parse("", 10), None);
        assert_eq!(Text::parse("가나다", 3).map(Text::into_string), Some("가나다".into()));
        assert_eq!(Text::parse("가나다라", 3), None);
    }
}
