//! One fact per change. Every use case that changes something adds one [`Happened`] to the
//! unit that makes the change (see [`crate::unit::Plan`]), so the fact exists if and only if
//! the change committed — money, rows, idempotency answer and event in one transaction.
//!
//! The committer gives each event its index in its tenant's audit tree in the batch that
//! writes it ([`crate::store::audit_tree`]), so there is no moment when an event is stored but not yet chained.
//! Consumers (webhooks, SMS, and whatever comes later) read the events afterwards, off the
//! request path ([`crate::workers::events`]); a use case never writes their rows itself.
//!
//! docs/EVENTS.md lists every kind with its data; docs/AUDIT.md the encoding of an entry.

pub mod encoding;
pub mod kind;

use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub use kind::Kind;

/// Something that happened: who did what to which subject, with the facts of the change.
#[derive(Clone, Debug, PartialEq)]
pub struct Happened {
    pub id: String,
    pub tenant: String,
    /// Who asked, in its recorded form (`api_key:key_…`, `user:usr_…`, `system:…`).
    pub actor: String,
    /// What the event is about: a cash-out `po_…`, a user `usr_…`, a request's id.
    pub subject: String,
    pub kind: Kind,
    /// The facts of the change, amounts included; never personal data (see `personal`).
    pub data: Value,
    /// Microseconds since the epoch.
    pub at: i64,
    /// Personal data the event concerns, kept beside the entry: the entry holds only a
    /// salted commitment to each value, so erasing the person removes the value and its
    /// salt and leaves the log verifiable.
    pub personal: Vec<Personal>,
}

/// One piece of personal data beside an event, with the salt of its commitment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Personal {
    /// The user the data belongs to (`usr_…`), whose erasure removes it.
    pub person: String,
    pub field: &'static str,
    pub value: String,
    pub salt: String,
}

impl Happened {
    /// An event of `kind` about `subject`, caused by `actor` at `at` (µs).
    /// `actor` is who asked (a `services::Actor`), written in its recorded form.
    pub fn new(
        tenant: &str,
        actor: &impl std::fmt::Display,
        subject: &str,
        kind: Kind,
        data: Value,
        at: i64,
    ) -> Happened {
        Happened::recorded_by(tenant, actor.to_string(), subject, kind, data, at)
    }

    /// As [`Happened::new`], with the actor already in its recorded form.
    pub fn recorded_by(tenant: &str, actor: String, subject: &str, kind: Kind, data: Value, at: i64) -> Happened {
        Happened {
            id: crate::ids::time_ordered("evt", at),
            tenant: tenant.to_string(),
            actor,
            subject: subject.to_string(),
            kind,
            data,
            at,
            personal: Vec::new(),
        }
    }

    /// Adds a piece of personal data: the value is kept beside the entry, and the entry's
    /// data gets `personal.<field>`, the hex SHA-256 of salt, field and value.
    pub fn with_personal(mut self, person: &str, field: &'static str, value: &str) -> Happened {
        let salt = new_salt();
        let commitment = commitment(&salt, field, value);
        if !self.data.is_object() {
            self.data = json!({});
        }
        let personal = self.data.as_object_mut().expect("an object").entry("personal").or_insert_with(|| json!({}));
        if let Some(map) = personal.as_object_mut() {
            map.insert(field.to_string(), Value::String(commitment));
        }
        self.personal.push(Personal { person: person.to_string(), field, value: value.to_string(), salt });
        self
    }

    /// The data as stored and hashed: JSON with keys sorted and no spaces.
    pub fn canonical_data(&self) -> String {
        canonical_json(&self.data)
    }
}

/// The commitment to a piece of personal data: hex SHA-256 over the length-prefixed salt,
/// field and value (see docs/AUDIT.md).
pub fn commitment(salt: &str, field: &str, value: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [salt, field, value] {
        hasher.update((part.len() as u32).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

fn new_salt() -> String {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    hex::encode(salt)
}

/// The `transfers` of an event's data: each ledger transfer a change wrote, by its id as
/// its tenant names it (the ledger's id without the `<tenant>/` scope, as the ledger API
/// answers it) and its amount in minor units (a post or void of a pending transfer with no
/// amount of its own: `null`).
pub fn transfers_data(tenant: &str, transfers: &[ledger::Transfer]) -> Value {
    let scope = format!("{tenant}/");
    let listed = transfers.iter().map(|transfer| {
        let id = transfer.id.0.strip_prefix(&scope).unwrap_or(&transfer.id.0);
        json!({"id": id, "amount": transfer.amount.map(|a| a.minor_units())})
    });
    Value::Array(listed.collect())
}

/// JSON with every object's keys sorted and no insignificant whitespace, so the same facts
/// always encode to the same bytes. serde_json's maps keep their keys sorted (its
/// `preserve_order` feature is off; the test below fails if a dependency turns it on), so
/// serializing is all it takes.
pub fn canonical_json(value: &Value) -> String {
    serde_json::to_string(value).expect("JSON values serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value = json!({"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": "₩"}});
        assert_eq!(canonical_json(&value), r#"{"a":{"c":"₩","d":[{"y":2,"z":1}]},"b":1}"#);
    }

    #[test]
    fn personal_data_stays_beside_the_entry() {
        let event = Happened::recorded_by("ten_1", "cli".into(), "usr_1", Kind::UserCreated, json!({"id": "usr_1"}), 0)
            .with_personal("usr_1", "phone", "+821012345678");
        assert!(!event.canonical_data().contains("+8210"));
        let kept = &event.personal[0];
        assert_eq!(event.data["personal"]["phone"], commitment(&kept.salt, "phone", "+821012345678"));
    }
}
