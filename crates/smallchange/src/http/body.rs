//! Request bodies: read whole up to `body_bytes_max` (a larger one is a JSON 413, like
//! every other error), then JSON parsed strictly (unknown fields refused). A body that does
//! not parse is answered in plain words naming the field at fault as `param`; serde's own
//! text never reaches the client (what it says is read in [`super::serde_message`]).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::error::Category;

use super::error::ApiError;
use super::serde_message::{self, Fault};
use super::AppState;

/// Fields that carry money: a wrong value there is explained in minor units.
const MONEY_FIELDS: [&str; 6] = ["amount", "face_value", "face_values", "threshold", "adjustment", "small_face_max"];

/// The raw request body. Use it instead of [`Bytes`], whose rejections are plain text.
pub struct RawBody(pub Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, app: &AppState) -> Result<RawBody, ApiError> {
        match Bytes::from_request(request, app).await {
            Ok(bytes) => Ok(RawBody(bytes)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                let message = format!("the request body may be at most {} bytes", app.settings.body_bytes_max);
                Err(ApiError::too_large(message))
            }
            Err(_) => Err(ApiError::bad_request("invalid_body", "the request body could not be read to its end")),
        }
    }
}

/// Parses a JSON object into `T`, or says in words what is wrong with the body.
pub fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    require_object(body)?;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        refusal(error.inner(), &path, body)
    })?;
    deserializer.end().map_err(|error| not_json(&error))?;
    Ok(parsed)
}

/// An empty body, or JSON that is not an object, is refused before its fields are read
/// (serde would take a list for a struct, and name its items as fields).
fn require_object(body: &Bytes) -> Result<(), ApiError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        None => {
            Err(ApiError::bad_request("invalid_json", "the request body is empty: this endpoint takes a JSON object"))
        }
        Some(_) => match serde_json::from_slice::<IgnoredAny>(body) {
            Ok(_) => Err(ApiError::bad_request("invalid_type", "the body must be a JSON object")),
            Err(error) => Err(not_json(&error)),
        },
    }
}

fn not_json(error: &serde_json::Error) -> ApiError {
    let message = format!("the body is not valid JSON (at line {}, column {})", error.line(), error.column());
    ApiError::bad_request("invalid_json", message)
}

/// The answer to a body that did not deserialize at `path` (`.` is the body itself).
fn refusal(error: &serde_json::Error, path: &str, body: &Bytes) -> ApiError {
    if error.classify() != Category::Data {
        // serde_json reports some shape errors as syntax (a number where an enum's name
        // belongs): only a body that does not parse on its own is not JSON.
        return match serde_json::from_slice::<IgnoredAny>(body) {
            Ok(_) => wrong(path, None),
            Err(_) => not_json(error),
        };
    }
    match serde_message::read(error) {
        Fault::Missing(field) => {
            let param = field_path(path, &field);
            ApiError::invalid("missing_field", format!("{param} is required"), param)
        }
        Fault::Unknown(field) => {
            let param = field_path(path, &field);
            ApiError::invalid("unknown_field", format!("{param} is not a field of this request"), param)
        }
        Fault::Duplicate(field) => {
            let param = field_path(path, &field);
            ApiError::invalid("invalid_type", format!("{param} is given more than once"), param)
        }
        Fault::NotOneOf(allowed) => {
            let param = at(path);
            ApiError::invalid("invalid_type", format!("{param} must be one of {}", allowed.join(", ")), param)
        }
        Fault::WrongType(_) | Fault::OutOfRange(_) if is_money(path) => {
            let param = at(path);
            let message =
                format!("{param} must be an integer number of minor units (KRW has none: 20000 means ₩20,000)");
            ApiError::invalid("invalid_type", message, param)
        }
        Fault::WrongType(expected) => wrong(path, expected.words().map(|words| format!("must be {words}"))),
        Fault::OutOfRange(_) => wrong(path, Some("is out of range".into())),
        Fault::Other => wrong(path, None),
    }
}

/// `<field> <what>`, or `<field> has the wrong type` when serde's message said nothing we
/// can put in words.
fn wrong(path: &str, what: Option<String>) -> ApiError {
    let param = at(path);
    let what = what.unwrap_or_else(|| "has the wrong type".into());
    ApiError::invalid("invalid_type", format!("{param} {what}"), param)
}

/// The field at `path`; the body itself is called `body`.
fn at(path: &str) -> String {
    if path == "." {
        "body".into()
    } else {
        path.to_string()
    }
}

/// serde reports a missing field at its parent's path, and so does an unknown one inside
/// an internally tagged enum: name the field itself.
fn field_path(path: &str, field: &str) -> String {
    if path == "." {
        field.to_string()
    } else if path == field || path.ends_with(&format!(".{field}")) {
        path.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// Whether the field at `path` (e.g. `transfers[0].amount`, `face_values[1]`) holds money.
fn is_money(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    let name = last.split('[').next().unwrap_or(last);
    MONEY_FIELDS.contains(&name)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Request {
        amount: i64,
        face_values: Option<Vec<i64>>,
        code: Option<u16>,
        name: Option<String>,
        lines: Option<Vec<Line>>,
        status: Option<Status>,
    }

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Line {
        id: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Status {
        Paid,
        Failed,
    }

    /// (code, message, param) of the refusal of `json`.
    fn refused(json: &str) -> (&'static str, String, Option<String>) {
        let error = parse_json::<Request>(&Bytes::from(json.to_string())).expect_err("refused");
        (error.code(), error.message().to_string(), error.param().map(str::to_string))
    }

    fn field(code: &'static str, message: &str, param: &str) -> (&'static str, String, Option<String>) {
        (code, message.to_string(), Some(param.to_string()))
    }

    fn whole(code: &'static str, message: &str) -> (&'static str, String, Option<String>) {
        (code, message.to_string(), None)
    }

    #[test]
    fn money_of_the_wrong_type_is_explained_in_minor_units() {
        let money = "must be an integer number of minor units (KRW has none: 20000 means ₩20,000)";
        assert_eq!(refused(r#"{"amount": "20000"}"#), field("invalid_type", &format!("amount {money}"), "amount"));
        assert_eq!(refused(r#"{"amount": 1.5}"#), field("invalid_type", &format!("amount {money}"), "amount"));
        let too_large = r#"{"amount": 18446744073709551615}"#;
        assert_eq!(refused(too_large), field("invalid_type", &format!("amount {money}"), "amount"));
        let list = r#"{"amount": 1, "face_values": [1, "2"]}"#;
        assert_eq!(refused(list), field("invalid_type", &format!("face_values[1] {money}"), "face_values[1]"));
    }

    #[test]
    fn other_wrong_types_say_what_the_field_takes() {
        assert_eq!(refused(r#"{"amount": 1, "name": 5}"#), field("invalid_type", "name must be a string", "name"));
        assert_eq!(
            refused(r#"{"amount": 1, "code": "1"}"#),
            field("invalid_type", "code must be a whole number", "code")
        );
        assert_eq!(refused(r#"{"amount": 1, "code": 70000}"#), field("invalid_type", "code is out of range", "code"));
        assert_eq!(refused(r#"{"amount": 1, "lines": {}}"#), field("invalid_type", "lines must be a list", "lines"));
        assert_eq!(
            refused(r#"{"amount": 1, "lines": [5]}"#),
            field("invalid_type", "lines[0] must be an object", "lines[0]")
        );
        assert_eq!(
            refused(r#"{"amount": 1, "status": "lost"}"#),
            field("invalid_type", "status must be one of paid, failed", "status")
        );
        // serde_json calls this one a syntax error; the body is valid JSON all the same.
        assert_eq!(
            refused(r#"{"amount": 1, "status": 5}"#),
            field("invalid_type", "status has the wrong type", "status")
        );
    }

    #[test]
    fn missing_unknown_and_repeated_fields_are_named() {
        assert_eq!(refused("{}"), field("missing_field", "amount is required", "amount"));
        assert_eq!(
            refused(r#"{"amount": 1, "lines": [{}]}"#),
            field("missing_field", "lines[0].id is required", "lines[0].id")
        );
        assert_eq!(
            refused(r#"{"amount": 1, "tip": 5}"#),
            field("unknown_field", "tip is not a field of this request", "tip")
        );
        assert_eq!(
            refused(r#"{"amount": 1, "lines": [{"id": "a", "x": 1}]}"#),
            field("unknown_field", "lines[0].x is not a field of this request", "lines[0].x")
        );
        assert_eq!(
            refused(r#"{"amount": 1, "amount": 2}"#),
            field("invalid_type", "amount is given more than once", "amount")
        );
    }

    #[test]
    fn a_body_that_is_not_a_json_object_says_so() {
        assert_eq!(refused(""), whole("invalid_json", "the request body is empty: this endpoint takes a JSON object"));
        assert_eq!(
            refused(" \n"),
            whole("invalid_json", "the request body is empty: this endpoint takes a JSON object")
        );
        assert_eq!(refused("[1, 2]"), whole("invalid_type", "the body must be a JSON object"));
        assert_eq!(refused("\"amount\""), whole("invalid_type", "the body must be a JSON object"));
        assert_eq!(refused("not json"), whole("invalid_json", "the body is not valid JSON (at line 1, column 2)"));
        assert_eq!(
            refused("{\n\"amount\": 1,"),
            whole("invalid_json", "the body is not valid JSON (at line 2, column 12)")
        );
        assert_eq!(
            refused(r#"{"amount": 1} {}"#),
            whole("invalid_json", "the body is not valid JSON (at line 1, column 15)")
        );
    }

    #[test]
    fn no_serde_wording_reaches_the_message() {
        let bodies = [r#"{"amount": "1"}"#, "{}", r#"{"amount": 1, "x": 1}"#, "{", r#"{"amount": 1, "status": 5}"#];
        for body in bodies {
            let (_, message, _) = refused(body);
            for serde_word in ["`", "invalid type", "expected", "i64", "u16", "line 1 column", "variant"] {
                assert!(!message.contains(serde_word), "{body} → {message}");
            }
        }
    }
}
