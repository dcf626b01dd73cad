//! The C2SP `tlog-checkpoint` body: three lines, origin, size, root. The spec allows
//! extension lines after the root; we write none and refuse any, so a checkpoint we accept
//! says exactly what we checked and nothing a reader might mistake for signed fact.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::hash::Hash;
use crate::Error;

/// What a log commits to at one moment: its name, how many leaves it has and their root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's unique name, by convention a schema-less URL such as `example.com/log/7`.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// `"<origin>\n<size>\n<base64 root>\n"` (std base64 with padding).
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root))
    }

    /// Reads a body written by [`Checkpoint::body`]; extension lines are refused.
    pub fn parse_body(text: &str) -> Result<Checkpoint, Error> {
        let lines = text.strip_suffix('\n').ok_or(Error::CheckpointMalformed("it does not end with a newline"))?;
        let lines: Vec<&str> = lines.split('\n').collect();
        let [origin, size, root] = lines[..] else {
            return Err(Error::CheckpointMalformed("it must have exactly three lines: origin, size and root"));
        };
        if origin.is_empty() || origin.chars().any(char::is_control) {
            return Err(Error::CheckpointMalformed("the origin line is empty or has control characters"));
        }
        Ok(Checkpoint { origin: origin.to_owned(), size: parse_size(size)?, root: parse_root(root)? })
    }
}

/// A decimal tree size, written the one way [`Checkpoint::body`] writes it.
fn parse_size(line: &str) -> Result<u64, Error> {
    let malformed = Error::CheckpointMalformed("the size line is not a plain decimal number");
    let canonical =
        !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) && (line == "0" || !line.starts_with('0'));
    if !canonical {
        return Err(malformed);
    }
    line.parse().map_err(|_| malformed)
}

fn parse_root(line: &str) -> Result<Hash, Error> {
    let malformed = Error::CheckpointMalformed("the root line is not 32 bytes of standard base64");
    let bytes = STANDARD.decode(line).map_err(|_| malformed.clone())?;
    bytes.try_into().map_err(|_| malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Checkpoint {
        Checkpoint { origin: "smallchange.example/audit/tenant-7".into(), size: 8, root: [7; 32] }
    }

    #[test]
    fn a_body_reads_back() {
        let body = example().body();
        assert_eq!(body, "smallchange.example/audit/tenant-7\n8\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n");
        assert_eq!(Checkpoint::parse_body(&body), Ok(example()));
    }

    #[test]
    fn anything_but_the_three_lines_is_refused() {
        let body = example().body();
        let refused = [
            body.trim_end().to_owned(),
            format!("{body}extension line\n"),
            body.replace("\n8\n", "\n08\n"),
            body.replace("\n8\n", "\n+8\n"),
            body.replace("\n8\n", "\n\n"),
            body.replace("Bwc=", "Bw=="),
            body.replace("Bwc=", "Bwc"),
            body.replace("smallchange.example/audit/tenant-7", ""),
        ];
        for text in refused {
            assert!(Checkpoint::parse_body(&text).is_err(), "accepted {text:?}");
        }
    }
}
