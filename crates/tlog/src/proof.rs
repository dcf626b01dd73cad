//! RFC 6962 §2.1.1 audit paths and §2.1.2 consistency proofs, built from stored nodes.
//!
//! A proof is a list of `MTH(D[lo:hi])` values. We first work out which leaf ranges the RFC's
//! recursion asks for (the proof's shape, which depends only on the sizes), then read each
//! range's hash from its complete, aligned subtrees. The same shape answers both "which
//! nodes should I fetch" (`*_nodes`) and "build the proof" (`*_proof`), so the two cannot
//! drift apart.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::hash::{largest_power_of_two_below, Hash};
use crate::subtree::{decompose, range_hash, NodeId};
use crate::Error;

/// Complete, aligned subtree hashes, supplied by the caller (from storage).
pub trait Nodes {
    /// The hash of the complete subtree at (level, index) (see [`crate::Frontier::append`]).
    fn node(&self, level: u8, index: u64) -> Option<Hash>;
}

impl Nodes for HashMap<(u8, u64), Hash> {
    fn node(&self, level: u8, index: u64) -> Option<Hash> {
        self.get(&(level, index)).copied()
    }
}

/// Which complete nodes an inclusion proof of leaf `index` in a tree of `size` leaves
/// needs; fetch these, then call [`inclusion_proof`].
pub fn inclusion_nodes(index: u64, size: u64) -> Result<Vec<(u8, u64)>, Error> {
    Ok(nodes_of(&inclusion_ranges(index, size)?))
}

/// `PATH(index, D[size])` of RFC 6962 §2.1.1, nearest the leaf first.
pub fn inclusion_proof(nodes: &impl Nodes, index: u64, size: u64) -> Result<Vec<Hash>, Error> {
    hashes_of(nodes, inclusion_ranges(index, size)?)
}

/// Which complete nodes a consistency proof from `from` to `to` leaves needs.
pub fn consistency_nodes(from: u64, to: u64) -> Result<Vec<(u8, u64)>, Error> {
    Ok(nodes_of(&consistency_ranges(from, to)?))
}

/// `PROOF(from, D[to])` of RFC 6962 §2.1.2; empty when `from` is 0 or equals `to`.
pub fn consistency_proof(nodes: &impl Nodes, from: u64, to: u64) -> Result<Vec<Hash>, Error> {
    hashes_of(nodes, consistency_ranges(from, to)?)
}

/// The root of a tree of `size` leaves from its complete nodes (the nodes of its frontier).
pub fn root_nodes(size: u64) -> Vec<(u8, u64)> {
    decompose(0..size)
}

/// MTH of the first `size` leaves, from the nodes [`root_nodes`] lists.
pub fn root_from_nodes(nodes: &impl Nodes, size: u64) -> Result<Hash, Error> {
    range_hash(nodes, 0..size)
}

/// The leaf ranges whose hashes make up `PATH(index, D[0:size])`, nearest the leaf first.
fn inclusion_ranges(index: u64, size: u64) -> Result<Vec<Range<u64>>, Error> {
    if index >= size {
        return Err(Error::LeafOutOfRange { index, size });
    }
    // Walk down from the root; the RFC appends each sibling after the deeper path, so the
    // siblings met on the way down come out in reverse.
    let mut siblings = Vec::new();
    let mut subtree = 0..size;
    while subtree.end - subtree.start > 1 {
        let middle = subtree.start + largest_power_of_two_below(subtree.end - subtree.start);
        if index < middle {
            siblings.push(middle..subtree.end);
            subtree = subtree.start..middle;
        } else {
            siblings.push(subtree.start..middle);
            subtree = middle..subtree.end;
        }
    }
    siblings.reverse();
    Ok(siblings)
}

/// The leaf ranges whose hashes make up `PROOF(from, D[0:to])` (RFC 6962 §2.1.2 SUBPROOF).
fn consistency_ranges(from: u64, to: u64) -> Result<Vec<Range<u64>>, Error> {
    if from > to {
        return Err(Error::SizesOutOfOrder { from, to });
    }
    if from == 0 || from == to {
        return Ok(Vec::new());
    }
    let mut ranges = Vec::new();
    let mut subtree = 0..to;
    // Whether the old tree's root is this very subtree, which the verifier already holds.
    let mut old_root_is_known = true;
    let mut old_leaves = from;
    while old_leaves < subtree.end - subtree.start {
        let split = largest_power_of_two_below(subtree.end - subtree.start);
        let middle = subtree.start + split;
        if old_leaves <= split {
            ranges.push(middle..subtree.end);
            subtree = subtree.start..middle;
        } else {
            ranges.push(subtree.start..middle);
            subtree = middle..subtree.end;
            old_leaves -= split;
            old_root_is_known = false;
        }
    }
    if !old_root_is_known {
        ranges.push(subtree);
    }
    ranges.reverse();
    Ok(ranges)
}

/// Every complete node the ranges decompose into, each once, in first-use order.
fn nodes_of(ranges: &[Range<u64>]) -> Vec<NodeId> {
    let mut seen = HashSet::new();
    ranges.iter().flat_map(|range| decompose(range.clone())).filter(|node| seen.insert(*node)).collect()
}

fn hashes_of(nodes: &impl Nodes, ranges: Vec<Range<u64>>) -> Result<Vec<Hash>, Error> {
    ranges.into_iter().map(|range| range_hash(nodes, range)).collect()
}
