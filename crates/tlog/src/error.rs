//! The one error type of the crate. Messages are written for the person reading a log line
//! or an audit report, so they name the tree sizes and nodes involved in plain words.

/// Everything that can go wrong building, storing, proving or signing the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("a tree of {size} leaves has {expected} frontier hashes, not {found}")]
    FrontierHashCount { size: u64, expected: usize, found: usize },
    #[error("a stored frontier is {length} bytes long, which is not 8 bytes of size plus whole hashes")]
    FrontierBytesLength { length: usize },
    #[error("the proof is missing node ({level}, {index})")]
    MissingNode { level: u8, index: u64 },
    #[error("leaf {index} is not in a tree of {size} leaves")]
    LeafOutOfRange { index: u64, size: u64 },
    #[error("a tree of {from} leaves cannot grow into a tree of {to} leaves")]
    SizesOutOfOrder { from: u64, to: u64 },
    #[error("the checkpoint is malformed: {0}")]
    CheckpointMalformed(&'static str),
    #[error("the key name {0:?} is not allowed: it must be non-empty and contain no '+' or spaces")]
    KeyNameInvalid(String),
    #[error("the verifier key is malformed: {0}")]
    VerifierKeyMalformed(&'static str),
    #[error("the note is malformed: {0}")]
    NoteMalformed(&'static str),
    #[error("the note has no signature by the key {0}")]
    NoteNotSignedByKey(String),
    #[error("the note's signature does not verify")]
    SignatureInvalid,
}
