//! The one place that reads serde's error text. serde says *what* went wrong with a value
//! only in its Display message, whose wording is no stable format; where (the field path)
//! and whether the JSON itself is broken come structurally from `serde_path_to_error` and
//! `serde_json::Error::classify`. Each shape read here has a unit test built from a real
//! serde error, so a change of wording fails a test; anything unrecognised is
//! [`Fault::Other`], which the caller words without echoing serde's text.

/// What a value failed at, as far as serde's message tells.
#[derive(Debug, PartialEq, Eq)]
pub enum Fault {
    /// A required field is absent: its name.
    Missing(String),
    /// A field the request does not have: its name.
    Unknown(String),
    /// The same field twice: its name.
    Duplicate(String),
    /// A value of the wrong JSON type, and what was expected.
    WrongType(Expected),
    /// A number the field cannot hold (too large, or negative where it may not be).
    OutOfRange(Expected),
    /// A value outside a fixed set: the values allowed.
    NotOneOf(Vec<String>),
    /// Anything else.
    Other,
}

/// The JSON type a field takes, in the words a person would use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    WholeNumber,
    Number,
    String,
    Boolean,
    List,
    Object,
    /// serde's expectation was not one of the above.
    Unknown,
}

impl Expected {
    /// "a string", "true or false" …; `None` when unknown.
    pub fn words(self) -> Option<&'static str> {
        match self {
            Expected::WholeNumber => Some("a whole number"),
            Expected::Number => Some("a number"),
            Expected::String => Some("a string"),
            Expected::Boolean => Some("true or false"),
            Expected::List => Some("a list"),
            Expected::Object => Some("an object"),
            Expected::Unknown => None,
        }
    }
}

/// Reads a data error (`Category::Data`) of serde_json into a [`Fault`].
pub fn read(error: &serde_json::Error) -> Fault {
    let text = error.to_string();
    // serde_json appends the position to serde's message.
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    if let Some(rest) = message.strip_prefix("missing field ") {
        return first_quoted(rest).map_or(Fault::Other, Fault::Missing);
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return first_quoted(rest).map_or(Fault::Other, Fault::Unknown);
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        return first_quoted(rest).map_or(Fault::Other, Fault::Duplicate);
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        // "`x`, expected one of `a`, `b`" / "expected `a` or `b`" / "expected `a`"
        let allowed = rest.split_once(", expected ").map(|(_, expected)| quoted(expected)).unwrap_or_default();
        return if allowed.is_empty() { Fault::Other } else { Fault::NotOneOf(allowed) };
    }
    // "invalid type: string \"20000\", expected i64": the value may itself hold the
    // separator, the expectation never does.
    let expected = |rest: &str| rest.rfind(", expected ").map(|at| expectation(&rest[at + ", expected ".len()..]));
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        return expected(rest).map_or(Fault::Other, Fault::WrongType);
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        return match expected(rest) {
            Some(e @ (Expected::WholeNumber | Expected::Number)) => Fault::OutOfRange(e),
            _ => Fault::Other,
        };
    }
    // A list given for an object: serde reads a struct from a list too, and counts.
    if let Some(rest) = message.strip_prefix("invalid length ") {
        return match expected(rest) {
            Some(Expected::Object) => Fault::WrongType(Expected::Object),
            _ => Fault::Other,
        };
    }
    Fault::Other
}

/// serde's name of what it expected ("i64", "a string", "struct RefundRule" …).
fn expectation(expected: &str) -> Expected {
    const INTEGERS: [&str; 12] =
        ["i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize"];
    match expected {
        e if INTEGERS.contains(&e) => Expected::WholeNumber,
        "f32" | "f64" => Expected::Number,
        "a string" | "a borrowed string" | "a character" => Expected::String,
        "a boolean" => Expected::Boolean,
        "a sequence" => Expected::List,
        "a map" => Expected::Object,
        e if e.starts_with("struct ") || e.starts_with("internally tagged enum ") => Expected::Object,
        _ => Expected::Unknown,
    }
}

/// The names serde quotes between backticks, in order.
fn quoted(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

fn first_quoted(text: &str) -> Option<String> {
    quoted(text).into_iter().next()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::Deserialize;

    use super::*;

    #[allow(dead_code)]
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Request {
        amount: i64,
        code: Option<u16>,
        rate: Option<f64>,
        name: Option<String>,
        enabled: Option<bool>,
        flags: Option<Vec<String>>,
        rule: Option<Rule>,
        labels: Option<HashMap<String, String>>,
        status: Option<Status>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize)]
    struct Rule {
        small: i64,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Status {
        Paid,
        Failed,
        Returned,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Pair {
        Paid,
        Failed,
    }

    fn fault_of(json: &str) -> Fault {
        let error = serde_json::from_str::<Request>(json).err().expect("an error");
        assert_eq!(error.classify(), serde_json::error::Category::Data, "{error}");
        read(&error)
    }

    fn with(field: &str, value: &str) -> Fault {
        fault_of(&format!(r#"{{"amount": 1, "{field}": {value}}}"#))
    }

    #[test]
    fn missing_unknown_and_duplicate_fields_are_named() {
        assert_eq!(fault_of("{}"), Fault::Missing("amount".into()));
        assert_eq!(with("bogus", "1"), Fault::Unknown("bogus".into()));
        assert_eq!(with("amount", "2"), Fault::Duplicate("amount".into()));
        assert_eq!(fault_of(r#"{"amount": 1, "rule": {}}"#), Fault::Missing("small".into()));
    }

    #[test]
    fn a_wrong_type_says_what_was_expected() {
        assert_eq!(fault_of(r#"{"amount": "20000"}"#), Fault::WrongType(Expected::WholeNumber));
        assert_eq!(fault_of(r#"{"amount": 1.5}"#), Fault::WrongType(Expected::WholeNumber));
        assert_eq!(fault_of(r#"{"amount": null}"#), Fault::WrongType(Expected::WholeNumber));
        assert_eq!(with("code", "\"1\""), Fault::WrongType(Expected::WholeNumber));
        assert_eq!(with("rate", "\"x\""), Fault::WrongType(Expected::Number));
        assert_eq!(with("name", "5"), Fault::WrongType(Expected::String));
        assert_eq!(with("enabled", "\"yes\""), Fault::WrongType(Expected::Boolean));
        assert_eq!(with("flags", "\"linked\""), Fault::WrongType(Expected::List));
        assert_eq!(with("rule", "[]"), Fault::WrongType(Expected::Object));
        assert_eq!(with("rule", "7"), Fault::WrongType(Expected::Object));
        assert_eq!(with("labels", "7"), Fault::WrongType(Expected::Object));
        // The value quoted in the message may hold serde's own separator.
        assert_eq!(fault_of(r#"{"amount": "1, expected a string"}"#), Fault::WrongType(Expected::WholeNumber));
    }

    #[test]
    fn a_number_too_large_or_negative_is_out_of_range() {
        assert_eq!(fault_of(r#"{"amount": 18446744073709551615}"#), Fault::OutOfRange(Expected::WholeNumber));
        assert_eq!(with("code", "70000"), Fault::OutOfRange(Expected::WholeNumber));
        assert_eq!(with("code", "-1"), Fault::OutOfRange(Expected::WholeNumber));
    }

    #[test]
    fn an_unknown_enum_value_lists_the_allowed_ones() {
        let three = vec!["paid".to_string(), "failed".into(), "returned".into()];
        assert_eq!(with("status", "\"lost\""), Fault::NotOneOf(three));
        let error = serde_json::from_str::<Pair>("\"lost\"").err().expect("an error");
        assert_eq!(read(&error), Fault::NotOneOf(vec!["paid".into(), "failed".into()]));
    }

    #[test]
    fn anything_else_is_other() {
        let custom = <serde_json::Error as serde::de::Error>::custom("the flux capacitor `x` broke");
        assert_eq!(read(&custom), Fault::Other);
        let no_fields = <serde_json::Error as serde::de::Error>::custom("unknown variant, there are no variants");
        assert_eq!(read(&no_fields), Fault::Other);
        assert_eq!(Expected::Unknown.words(), None);
    }
}
