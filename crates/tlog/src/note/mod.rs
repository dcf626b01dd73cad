//! Checkpoints and the signed notes that carry them, in the C2SP formats
//! (<https://c2sp.org/tlog-checkpoint>, <https://c2sp.org/signed-note>) that Go's
//! `golang.org/x/mod/sumdb/note` reads, so an auditor can check our checkpoints with
//! tools we did not write.
//!
//! - [`Checkpoint`]: the note body naming a log, its size and its root.
//! - [`Signer`] / [`Verifier`]: Ed25519 keys with their C2SP names and key ids.

mod checkpoint;
mod keys;
mod signed;

pub use checkpoint::Checkpoint;
pub use keys::{verifier_key, Signer, Verifier};
