//! A per-tenant append-only audit log, kept as an RFC 6962 Merkle tree and published as
//! Ed25519-signed checkpoints that Go's `golang.org/x/mod/sumdb/note` can verify.
//!
//! The crate does no IO: the caller stores leaves and the complete subtree hashes that
//! [`Frontier::append`] hands back, and passes them in (through [`Nodes`]) when it needs a
//! root or a proof. Keeping only complete, aligned subtrees in storage means every stored
//! hash is final the moment it is written, so storage stays append-only like the log.
//!
//! - `hash`: leaf and node hashing, and the reference root of a list of leaves.
//! - `frontier`: the right edge of the tree, enough to append and to compute the root.
//! - `subtree`: how a range of leaves splits into the complete nodes storage holds.
//! - `proof`: which stored nodes a proof needs, and the RFC 6962 proofs built from them.
//! - `verify`: the RFC 9162 checks a client runs on those proofs.
//! - [`note`]: checkpoints in the C2SP `tlog-checkpoint` and `signed-note` formats.

mod error;
mod frontier;
mod hash;
pub mod note;
mod proof;
mod subtree;
mod verify;

pub use error::Error;
pub use frontier::Frontier;
pub use hash::{empty_root, leaf_hash, node_hash, root_of, Hash};
pub use proof::{
    consistency_nodes, consistency_proof, inclusion_nodes, inclusion_proof, root_from_nodes, root_nodes, Nodes,
};
pub use verify::{verify_consistency, verify_inclusion};
