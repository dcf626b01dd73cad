//! RFC 6962 §2.1 hashing. Leaves and interior nodes get different one-byte prefixes so a
//! leaf can never be passed off as a node (the second-preimage attack the RFC guards
//! against).

use sha2::{Digest, Sha256};

/// A SHA-256 digest: a leaf hash, a node hash or a tree root.
pub type Hash = [u8; 32];

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// The hash of one log entry: SHA-256(0x00 || entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    Sha256::new().chain_update([LEAF_PREFIX]).chain_update(entry).finalize().into()
}

/// The hash of two adjacent subtrees: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new().chain_update([NODE_PREFIX]).chain_update(left).chain_update(right).finalize().into()
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// `MTH(D[n])` written straight from RFC 6962 §2.1, for verifiers and tests that hold every
/// leaf hash; the log itself uses [`crate::Frontier`] or [`crate::root_from_nodes`].
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let split = largest_power_of_two_below(n as u64) as usize;
            node_hash(&root_of(&leaves[..split]), &root_of(&leaves[split..]))
        }
    }
}

/// The k of RFC 6962: the largest power of two smaller than `n` (n > 1).
pub(crate) fn largest_power_of_two_below(n: u64) -> u64 {
    debug_assert!(n > 1);
    1 << (63 - (n - 1).leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_points_follow_the_rfc() {
        let splits: Vec<u64> = (2..=9).map(largest_power_of_two_below).collect();
        assert_eq!(splits, [1, 2, 2, 4, 4, 4, 4, 8]);
    }
}
