//! Complete, aligned subtrees: the only nodes the log ever stores. A node at (level, index)
//! covers leaves [index << level, (index + 1) << level). Any range of leaves a proof talks
//! about splits into such nodes, largest first, and its RFC 6962 hash is those nodes folded
//! together from the right, the same way a frontier makes a root.

use std::ops::Range;

use crate::hash::{empty_root, node_hash, Hash};
use crate::proof::Nodes;
use crate::Error;

/// The position of a complete, aligned subtree: (level, index).
pub(crate) type NodeId = (u8, u64);

/// The complete, aligned subtrees that make up `leaves`, left to right. For the ranges an
/// RFC 6962 proof uses (whose start is aligned to the size of the range rounded up to a
/// power of two) they come out largest first, matching the RFC's own split points.
pub(crate) fn decompose(leaves: Range<u64>) -> Vec<NodeId> {
    let mut parts = Vec::new();
    let mut start = leaves.start;
    while start < leaves.end {
        let level_by_alignment = if start == 0 { 63 } else { start.trailing_zeros() };
        let level_by_length = 63 - (leaves.end - start).leading_zeros();
        let level = level_by_alignment.min(level_by_length);
        parts.push((level as u8, start >> level));
        start += 1 << level;
    }
    parts
}

/// MTH of `leaves`, read from stored complete nodes.
pub(crate) fn range_hash(nodes: &impl Nodes, leaves: Range<u64>) -> Result<Hash, Error> {
    let hashes = decompose(leaves)
        .into_iter()
        .map(|(level, index)| nodes.node(level, index).ok_or(Error::MissingNode { level, index }))
        .collect::<Result<Vec<Hash>, Error>>()?;
    Ok(fold_from_right(&hashes))
}

/// Joins the hashes of adjacent subtrees, largest first, into the hash of their union.
pub(crate) fn fold_from_right(hashes: &[Hash]) -> Hash {
    let Some((last, rest)) = hashes.split_last() else {
        return empty_root();
    };
    rest.iter().rev().fold(*last, |right, left| node_hash(left, &right))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_of_seven_is_four_two_one() {
        assert_eq!(decompose(0..7), [(2, 0), (1, 2), (0, 6)]);
    }

    #[test]
    fn an_aligned_range_starts_where_it_is_told() {
        assert_eq!(decompose(8..14), [(2, 2), (1, 6)]);
        assert_eq!(decompose(5..6), [(0, 5)]);
        assert!(decompose(3..3).is_empty());
    }
}
