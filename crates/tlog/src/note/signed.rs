//! The C2SP `signed-note` wire format: the text, a blank line, then one line per signature,
//! `— <key name> <base64(key id || signature)>`. The signature covers the text including
//! its final newline but not the blank line. Reading follows Go's `note.Open`: the last
//! blank line is the split, so the text itself may hold blank lines but the signatures may
//! not.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::Error;

/// An em dash (U+2014) and a space open every signature line.
const SIGNATURE_LINE_PREFIX: &str = "\u{2014} ";
/// Go's `note.Open` refuses notes with more signatures than this; so do we.
const SIGNATURES_MAX: usize = 100;
const KEY_ID_BYTES: usize = 4;

/// One signature line, read but not yet checked.
pub(crate) struct SignatureLine<'a> {
    pub key_name: &'a str,
    pub key_id: [u8; KEY_ID_BYTES],
    pub signature: Vec<u8>,
}

/// A key name is non-empty and has no '+' (the verifier key separator) or whitespace (the
/// signature line separator).
pub(crate) fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c == '+' || c.is_whitespace())
}

/// `— <key name> <base64(key id || signature)>\n`.
pub(crate) fn signature_line(key_name: &str, key_id: [u8; KEY_ID_BYTES], signature: &[u8]) -> String {
    let blob = [&key_id[..], signature].concat();
    format!("{SIGNATURE_LINE_PREFIX}{key_name} {}\n", STANDARD.encode(blob))
}

/// Splits a signed note into its text and its signature lines.
pub(crate) fn split(note: &str) -> Result<(&str, Vec<SignatureLine<'_>>), Error> {
    let blank_line = note.rfind("\n\n").ok_or(Error::NoteMalformed("there is no blank line before the signatures"))?;
    let (text, signatures) = (&note[..blank_line + 1], &note[blank_line + 2..]);
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(Error::NoteMalformed("the text has control characters"));
    }
    let signatures = signatures.strip_suffix('\n').ok_or(Error::NoteMalformed("the last signature line is cut off"))?;
    let lines: Vec<&str> = signatures.split('\n').collect();
    if lines.len() > SIGNATURES_MAX {
        return Err(Error::NoteMalformed("it has more than 100 signatures"));
    }
    let lines = lines.into_iter().map(parse_signature_line).collect::<Result<_, _>>()?;
    Ok((text, lines))
}

fn parse_signature_line(line: &str) -> Result<SignatureLine<'_>, Error> {
    let malformed = Error::NoteMalformed("a signature line is not \"— <key name> <base64 signature>\"");
    let rest = line.strip_prefix(SIGNATURE_LINE_PREFIX).ok_or(malformed.clone())?;
    let (key_name, blob) = rest.split_once(' ').ok_or(malformed.clone())?;
    let blob = STANDARD.decode(blob).map_err(|_| malformed.clone())?;
    if !is_valid_key_name(key_name) || blob.len() <= KEY_ID_BYTES {
        return Err(malformed);
    }
    let (key_id, signature) = blob.split_at(KEY_ID_BYTES);
    Ok(SignatureLine { key_name, key_id: key_id.try_into().expect("split at 4 bytes"), signature: signature.to_vec() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "origin\n1\nAAAA\n";

    #[test]
    fn a_note_splits_at_its_last_blank_line() {
        let note =
            format!("{TEXT}\n{}{}", signature_line("a", [1, 2, 3, 4], &[9; 64]), signature_line("b", [5; 4], &[8]));
        let (text, lines) = split(&note).unwrap();
        assert_eq!(text, TEXT);
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].key_name, lines[0].key_id, lines[0].signature.len()), ("a", [1, 2, 3, 4], 64));
        assert_eq!((lines[1].key_name, lines[1].signature.as_slice()), ("b", &[8][..]));
    }

    #[test]
    fn broken_notes_are_refused() {
        let line = signature_line("a", [1, 2, 3, 4], &[9; 64]);
        let refused = [
            TEXT.to_owned(),
            format!("{TEXT}\n"),
            format!("{TEXT}\n{}", line.trim_end()),
            format!("\x01{TEXT}\n{line}"),
            format!("{TEXT}\n{}", line.replace('\u{2014}', "-")),
            format!("{TEXT}\n{}", line.replace("a ", "a b ")),
            format!("{TEXT}\n{line}unexpected line\n"),
            format!("{TEXT}\n{}", line.repeat(101)),
        ];
        for note in refused {
            assert!(split(&note).is_err(), "accepted {note:?}");
        }
    }

    #[test]
    fn key_names_have_no_plus_or_spaces() {
        assert!(is_valid_key_name("smallchange.example/audit"));
        for name in ["", "a+b", "a b", "a\tb", "a\u{3000}b"] {
            assert!(!is_valid_key_name(name), "accepted {name:?}");
        }
    }
}
