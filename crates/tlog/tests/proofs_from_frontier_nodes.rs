//! Properties of trees of random size: every proof built from the nodes the frontier
//! handed out verifies against both the frontier's root and the reference root, needs
//! exactly the nodes `*_nodes` lists, and stops verifying when anything in it is changed.

use std::collections::HashMap;

use proptest::prelude::*;
use tlog::{
    consistency_nodes, consistency_proof, inclusion_nodes, inclusion_proof, leaf_hash, root_from_nodes, root_nodes,
    root_of, verify_consistency, verify_inclusion, Frontier, Hash,
};

const TREE_SIZE_MAX: u64 = 300;

type Store = HashMap<(u8, u64), Hash>;

struct Tree {
    leaves: Vec<Hash>,
    frontier: Frontier,
    store: Store,
}

fn grow(size: u64) -> Tree {
    let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let mut frontier = Frontier::new();
    let mut store = Store::new();
    for leaf in &leaves {
        for (level, index, hash) in frontier.append(*leaf) {
            assert!(store.insert((level, index), hash).is_none(), "node ({level}, {index}) finished twice");
        }
    }
    Tree { leaves, frontier, store }
}

/// Only the listed nodes, so a proof that reads any other node fails.
fn only(store: &Store, wanted: &[(u8, u64)]) -> Store {
    let mut unique = wanted.to_vec();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), wanted.len(), "the node list has duplicates: {wanted:?}");
    wanted.iter().map(|node| (*node, store[node])).collect()
}

/// Every listed node is needed: without any one of them the proof cannot be built.
fn each_node_is_needed(listed: &Store, wanted: &[(u8, u64)], build: impl Fn(&Store) -> bool) {
    for node in wanted {
        let mut fewer = listed.clone();
        fewer.remove(node);
        assert!(!build(&fewer), "node {node:?} was listed but not needed");
    }
}

fn changed(proof: &[Hash], position: usize) -> Vec<Hash> {
    let mut proof = proof.to_vec();
    proof[position][0] ^= 1;
    proof
}

fn check_inclusion(tree: &Tree, index: u64) {
    let size = tree.frontier.size();
    let root = tree.frontier.root();
    let leaf = tree.leaves[index as usize];
    let wanted = inclusion_nodes(index, size).unwrap();
    let listed = only(&tree.store, &wanted);
    let proof = inclusion_proof(&listed, index, size).unwrap();
    each_node_is_needed(&listed, &wanted, |nodes| inclusion_proof(nodes, index, size).is_ok());

    assert!(verify_inclusion(&leaf, index, size, &proof, &root));
    assert!(verify_inclusion(&leaf, index, size, &proof, &root_of(&tree.leaves)));
    for position in 0..proof.len() {
        assert!(!verify_inclusion(&leaf, index, size, &changed(&proof, position), &root));
    }
    for other in [index.wrapping_sub(1), index + 1, index ^ 2] {
        assert!(!verify_inclusion(&leaf, other, size, &proof, &root), "leaf {index} passed as {other} in {size}");
    }
}

fn check_consistency(tree: &Tree, from: u64) {
    let to = tree.frontier.size();
    let from_root = root_of(&tree.leaves[..from as usize]);
    let to_root = tree.frontier.root();
    let wanted = consistency_nodes(from, to).unwrap();
    let listed = only(&tree.store, &wanted);
    let proof = consistency_proof(&listed, from, to).unwrap();
    each_node_is_needed(&listed, &wanted, |nodes| consistency_proof(nodes, from, to).is_ok());

    assert!(verify_consistency(from, to, &from_root, &to_root, &proof), "from {from} to {to}");
    assert!(verify_consistency(from, to, &from_root, &root_of(&tree.leaves), &proof));
    for position in 0..proof.len() {
        assert!(!verify_consistency(from, to, &from_root, &to_root, &changed(&proof, position)));
    }
    if !proof.is_empty() {
        for other in [from - 1, from + 1] {
            assert!(!verify_consistency(other, to, &from_root, &to_root, &proof), "{from} passed as {other}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn every_proof_verifies_and_no_changed_one_does(size in 1..=TREE_SIZE_MAX) {
        let tree = grow(size);
        for index in 0..size {
            check_inclusion(&tree, index);
        }
        for from in 0..=size {
            check_consistency(&tree, from);
        }
    }

    #[test]
    fn the_frontier_agrees_with_stored_nodes_and_storage(size in 0..=TREE_SIZE_MAX) {
        let tree = grow(size);
        prop_assert_eq!(tree.frontier.root(), root_of(&tree.leaves));
        let frontier_nodes = only(&tree.store, &root_nodes(size));
        prop_assert_eq!(root_from_nodes(&frontier_nodes, size), Ok(tree.frontier.root()));
        let stored: Vec<Hash> = root_nodes(size).iter().map(|node| tree.store[node]).collect();
        prop_assert_eq!(tree.frontier.hashes(), &stored[..]);
        prop_assert_eq!(Frontier::from_bytes(&tree.frontier.to_bytes()), Ok(tree.frontier.clone()));
        prop_assert_eq!(Frontier::from_parts(size, stored), Ok(tree.frontier.clone()));
    }
}
