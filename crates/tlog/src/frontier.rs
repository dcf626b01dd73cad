//! The right edge of the tree: one hash per set bit of the size, the roots of the perfect
//! subtrees the leaves so far fall into, largest first. It is all the log needs in memory
//! (O(log n) hashes) to append a leaf and to know the current root, and it is small enough
//! to store beside each tenant's latest checkpoint.

use crate::hash::{node_hash, Hash};
use crate::subtree::fold_from_right;
use crate::Error;

const SIZE_BYTES: usize = 8;
const HASH_BYTES: usize = 32;

/// The right edge of a tree: the roots of its perfect subtrees, largest first. Enough to
/// append and to compute the root, in O(log n).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// How many leaves the tree holds.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect subtree roots, largest first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Rebuilt from stored parts; Err if the number of hashes is not popcount(size).
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<Frontier, Error> {
        let expected = size.count_ones() as usize;
        if hashes.len() != expected {
            return Err(Error::FrontierHashCount { size, expected, found: hashes.len() });
        }
        Ok(Frontier { size, hashes })
    }

    /// Appends a leaf hash; returns every complete subtree this append finished, as
    /// (level, index, hash): level 0 is the leaf itself (index = its leaf index), level k
    /// the node covering leaves [index << k, (index + 1) << k).
    pub fn append(&mut self, leaf: Hash) -> Vec<(u8, u64, Hash)> {
        assert!(self.size < u64::MAX, "a tree cannot hold more than u64::MAX leaves");
        let mut finished = vec![(0, self.size, leaf)];
        let (mut level, mut index, mut hash) = (0u8, self.size, leaf);
        self.hashes.push(leaf);
        // Each set low bit of the old size is a perfect subtree of the new leaf's height
        // waiting on its left: merge them, like a carry rippling through a binary counter.
        while self.size >> level & 1 == 1 {
            self.hashes.pop();
            let left = self.hashes.pop().expect("a set bit of the size has its subtree in the frontier");
            hash = node_hash(&left, &hash);
            level += 1;
            index >>= 1;
            self.hashes.push(hash);
            finished.push((level, index, hash));
        }
        self.size += 1;
        debug_assert_eq!(self.hashes.len(), self.size.count_ones() as usize);
        finished
    }

    /// RFC 6962 MTH of all leaves so far.
    pub fn root(&self) -> Hash {
        fold_from_right(&self.hashes)
    }

    /// Serialized for storage: 8-byte big-endian size then the hashes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(SIZE_BYTES + HASH_BYTES * self.hashes.len());
        bytes.extend_from_slice(&self.size.to_be_bytes());
        for hash in &self.hashes {
            bytes.extend_from_slice(hash);
        }
        bytes
    }

    /// Reads what [`Frontier::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Frontier, Error> {
        let length_error = Error::FrontierBytesLength { length: bytes.len() };
        if bytes.len() < SIZE_BYTES || !(bytes.len() - SIZE_BYTES).is_multiple_of(HASH_BYTES) {
            return Err(length_error);
        }
        let (size_bytes, hash_bytes) = bytes.split_at(SIZE_BYTES);
        let size = u64::from_be_bytes(size_bytes.try_into().expect("split at 8 bytes"));
        let hashes =
            hash_bytes.chunks_exact(HASH_BYTES).map(|chunk| chunk.try_into().expect("32-byte chunk")).collect();
        Frontier::from_parts(size, hashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{empty_root, leaf_hash};

    #[test]
    fn the_empty_frontier_has_the_empty_root() {
        assert_eq!(Frontier::new().root(), empty_root());
        assert_eq!(Frontier::from_bytes(&Frontier::new().to_bytes()), Ok(Frontier::new()));
    }

    #[test]
    fn appending_the_fourth_leaf_finishes_three_subtrees() {
        let mut frontier = Frontier::new();
        for entry in [b"a", b"b", b"c"] {
            frontier.append(leaf_hash(entry));
        }
        let finished = frontier.append(leaf_hash(b"d"));
        let positions: Vec<(u8, u64)> = finished.iter().map(|&(level, index, _)| (level, index)).collect();
        assert_eq!(positions, [(0, 3), (1, 1), (2, 0)]);
        assert_eq!(frontier.hashes(), [finished[2].2]);
    }

    #[test]
    fn a_wrong_hash_count_is_refused() {
        let error = Frontier::from_parts(3, vec![[0; 32]]).unwrap_err();
        assert_eq!(error.to_string(), "a tree of 3 leaves has 2 frontier hashes, not 1");
        assert!(Frontier::from_bytes(&[0; 7]).is_err());
        assert!(Frontier::from_bytes(&[0; 9]).is_err());
    }
}
