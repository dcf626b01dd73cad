//! The canonical bytes of an audit entry: what its leaf hash is computed over, and what
//! `GET /v1/audit/entries/{id}` hands out so anyone can recompute it.
//!
//! Each field is its UTF-8 bytes preceded by their length as a 4-byte big-endian number,
//! in this order: the format name `smallchange-audit/1`, tenant id, index (decimal), event
//! id, kind, subject, actor, time (RFC 3339 UTC with microseconds) and data (JSON, keys
//! sorted, no spaces). Length prefixes, not separators: no value can be read as two.

use sha2::{Digest, Sha256};

/// The first field of every entry; a new encoding gets a new name.
pub const FORMAT: &str = "smallchange-audit/1";

/// What an entry is made of, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub tenant: &'a str,
    pub index: u64,
    pub id: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub actor: &'a str,
    pub at_us: i64,
    /// Canonical JSON.
    pub data: &'a str,
}

impl Entry<'_> {
    pub fn bytes(&self) -> Vec<u8> {
        let index = self.index.to_string();
        let at = time_text(self.at_us);
        let fields = [FORMAT, self.tenant, &index, self.id, self.kind, self.subject, self.actor, &at, self.data];
        let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 4).sum());
        for field in fields {
            out.extend_from_slice(&(field.len() as u32).to_be_bytes());
            out.extend_from_slice(field.as_bytes());
        }
        out
    }

    /// The RFC 6962 leaf hash: SHA-256 of 0x00 followed by the entry's bytes.
    pub fn leaf_hash(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update([0u8]);
        hasher.update(self.bytes());
        hasher.finalize().into()
    }
}

/// RFC 3339 in UTC with exactly six fractional digits, e.g. `2026-12-07T20:49:01.000000Z`.
pub fn time_text(at_us: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_us) * 1_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    at.format(&format).expect("a UTC time formats")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry<'static> {
        Entry {
            tenant: "ten_1",
            index: 7,
            id: "evt_1",
            kind: "payment.made",
            subject: "pay_1",
            actor: "api_key:key_1",
            at_us: 1_700_000_000_000_001,
            data: r#"{"amount":"10"}"#,
        }
    }

    #[test]
    fn fields_are_length_prefixed_in_order() {
        let bytes = entry().bytes();
        assert_eq!(&bytes[..4], &(FORMAT.len() as u32).to_be_bytes());
        assert_eq!(&bytes[4..4 + FORMAT.len()], FORMAT.as_bytes());
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("2023-11-14T22:13:20.000001Z"));
    }

    #[test]
    fn a_value_cannot_pass_for_two() {
        let one = Entry { subject: "a", actor: "bc", ..entry() };
        let other = Entry { subject: "ab", actor: "c", ..entry() };
        assert_ne!(one.leaf_hash(), other.leaf_hash());
    }
}
