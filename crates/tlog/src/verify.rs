//! The client's side: RFC 9162 §2.1.3.2 and §2.1.4.2, which accept exactly the RFC 6962
//! proofs `proof` builds. Both walk a proof from the leaf end upwards, tracking
//! the node's index (`node`) and the index of the last node on its level (`last`); a
//! hash goes on the left when the node is a right child or the rightmost node of an
//! unbalanced level.

use crate::hash::{empty_root, node_hash, Hash};

/// Whether `proof` shows that `leaf` is leaf number `index` of the tree of `size` leaves
/// whose root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut node, mut last) = (index, size - 1);
    let mut hash = *leaf;
    for sibling in proof {
        if last == 0 {
            return false;
        }
        if node & 1 == 1 || node == last {
            hash = node_hash(sibling, &hash);
            climb_past_missing_right_siblings(&mut node, &mut last);
        } else {
            hash = node_hash(&hash, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    last == 0 && hash == *root
}

/// Whether `proof` shows that the tree of `from` leaves with root `from_root` is a prefix of
/// the tree of `to` leaves with root `to_root` (RFC 9162 §2.1.4.2). Equal sizes need an empty
/// proof and equal roots; the empty tree (whose root must be [`crate::empty_root`]) is a
/// prefix of every tree, with an empty proof.
pub fn verify_consistency(from: u64, to: u64, from_root: &Hash, to_root: &Hash, proof: &[Hash]) -> bool {
    if from > to {
        return false;
    }
    if from == to {
        return proof.is_empty() && from_root == to_root;
    }
    if from == 0 {
        return proof.is_empty() && *from_root == empty_root();
    }
    // When the old tree is a perfect subtree its root is the proof's unstated first hash.
    let (start, rest) = if from.is_power_of_two() {
        (from_root, proof)
    } else {
        match proof.split_first() {
            Some(split) => split,
            None => return false,
        }
    };
    if rest.is_empty() {
        return false;
    }
    let (mut node, mut last) = (from - 1, to - 1);
    while node & 1 == 1 {
        node >>= 1;
        last >>= 1;
    }
    let (mut old_hash, mut new_hash) = (*start, *start);
    for sibling in rest {
        if last == 0 {
            return false;
        }
        if node & 1 == 1 || node == last {
            old_hash = node_hash(sibling, &old_hash);
            new_hash = node_hash(sibling, &new_hash);
            climb_past_missing_right_siblings(&mut node, &mut last);
        } else {
            new_hash = node_hash(&new_hash, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    last == 0 && old_hash == *from_root && new_hash == *to_root
}

/// A rightmost node that is a left child has no sibling on its level: it moves up
/// unchanged until it becomes a right child or reaches the left edge.
fn climb_past_missing_right_siblings(node: &mut u64, last: &mut u64) {
    while *node & 1 == 0 && *node != 0 {
        *node >>= 1;
        *last >>= 1;
    }
}
