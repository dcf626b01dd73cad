//! Why a value was refused when it was parsed: a stable code, a message in words, and the
//! input field at fault. `services::Error` takes it in unchanged (`From<Invalid>`, kind `Invalid`).

/// A value that did not parse, and the field it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
    pub param: String,
}

impl Invalid {
    pub fn new(code: &'static str, message: impl Into<String>, param: impl Into<String>) -> Invalid {
        Invalid { code, message: message.into(), param: param.into() }
    }
}
