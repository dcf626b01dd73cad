//! The 8-leaf test tree every Certificate Transparency implementation checks itself
//! against. Leaves, node hashes, roots and proofs are copied from transparency-dev/merkle
//! (`testonly/constants.go` and `proof/verify_test.go`), whose proof tables number leaves
//! from 1; here they are the 0-based indexes the RFC uses.

use std::collections::HashMap;

use tlog::{
    consistency_nodes, consistency_proof, empty_root, inclusion_proof, leaf_hash, root_from_nodes, root_of,
    verify_consistency, verify_inclusion, Error, Frontier, Hash,
};

const LEAF_INPUTS: [&str; 8] =
    ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

/// Roots of the trees of the first 1..=8 leaves.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

const EMPTY_ROOT: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Every complete subtree of the 8-leaf tree, by level then index.
const NODE_HASHES: [&[&str]; 4] = [
    &[
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    &[
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    &[
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

/// (leaf index, tree size, audit path).
const INCLUSION_PROOFS: [(u64, u64, &[&str]); 4] = [
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (old size, new size, consistency proof).
const CONSISTENCY_PROOFS: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits")).collect()
}

fn hash(hex: &str) -> Hash {
    bytes(hex).try_into().expect("32 bytes")
}

fn hashes(hexes: &[&str]) -> Vec<Hash> {
    hexes.iter().map(|hex| hash(hex)).collect()
}

fn leaves() -> Vec<Hash> {
    LEAF_INPUTS.iter().map(|input| leaf_hash(&bytes(input))).collect()
}

/// The whole test tree grown leaf by leaf, with every node the frontier finished.
fn grown_tree() -> (Frontier, HashMap<(u8, u64), Hash>) {
    let mut frontier = Frontier::new();
    let mut nodes = HashMap::new();
    for leaf in leaves() {
        for (level, index, hash) in frontier.append(leaf) {
            nodes.insert((level, index), hash);
        }
    }
    (frontier, nodes)
}

#[test]
fn roots_match_for_every_size() {
    assert_eq!(empty_root(), hash(EMPTY_ROOT));
    assert_eq!(root_of(&[]), hash(EMPTY_ROOT));
    let leaves = leaves();
    let mut frontier = Frontier::new();
    for (size, root) in (1..=8).zip(ROOTS) {
        frontier.append(leaves[size - 1]);
        assert_eq!(frontier.root(), hash(root), "frontier root of {size} leaves");
        assert_eq!(root_of(&leaves[..size]), hash(root), "reference root of {size} leaves");
    }
}

#[test]
fn the_frontier_finishes_exactly_the_known_nodes() {
    let (_, nodes) = grown_tree();
    let mut expected = HashMap::new();
    for (level, row) in NODE_HASHES.iter().enumerate() {
        for (index, hex) in row.iter().enumerate() {
            expected.insert((level as u8, index as u64), hash(hex));
        }
    }
    assert_eq!(nodes, expected);
    for (size, root) in (1..=8).zip(ROOTS) {
        assert_eq!(root_from_nodes(&nodes, size), Ok(hash(root)));
    }
}

#[test]
fn inclusion_proofs_match() {
    let (_, nodes) = grown_tree();
    let leaves = leaves();
    for (index, size, expected) in INCLUSION_PROOFS {
        let proof = inclusion_proof(&nodes, index, size).unwrap();
        assert_eq!(proof, hashes(expected), "proof of leaf {index} in {size}");
        let root = hash(ROOTS[size as usize - 1]);
        assert!(verify_inclusion(&leaves[index as usize], index, size, &proof, &root));
    }
}

#[test]
fn consistency_proofs_match() {
    let (_, nodes) = grown_tree();
    for (from, to, expected) in CONSISTENCY_PROOFS {
        let proof = consistency_proof(&nodes, from, to).unwrap();
        assert_eq!(proof, hashes(expected), "proof from {from} to {to}");
        let (from_root, to_root) = (hash(ROOTS[from as usize - 1]), hash(ROOTS[to as usize - 1]));
        assert!(verify_consistency(from, to, &from_root, &to_root, &proof));
        if !proof.is_empty() {
            assert!(!verify_consistency(from, to, &to_root, &from_root, &proof), "swapped roots from {from} to {to}");
        }
    }
}

#[test]
fn edge_sizes_follow_rfc_9162() {
    let root = hash(ROOTS[0]);
    let some_hash = [0xab; 32];
    assert!(verify_consistency(0, 0, &empty_root(), &empty_root(), &[]));
    assert!(verify_consistency(0, 1, &empty_root(), &root, &[]));
    assert!(!verify_consistency(0, 1, &empty_root(), &root, &[root]));
    assert!(!verify_consistency(1, 0, &root, &empty_root(), &[]));
    assert!(!verify_consistency(1, 1, &root, &some_hash, &[]));
    assert!(!verify_consistency(1, 2, &root, &hash(ROOTS[1]), &[]));
    assert!(verify_inclusion(&root, 0, 1, &[], &root));
    assert!(!verify_inclusion(&root, 0, 0, &[], &root));
    assert!(!verify_inclusion(&root, 1, 1, &[], &root));
}

#[test]
fn proofs_refuse_impossible_sizes_and_missing_nodes() {
    let (_, nodes) = grown_tree();
    assert_eq!(inclusion_proof(&nodes, 8, 8), Err(Error::LeafOutOfRange { index: 8, size: 8 }));
    assert_eq!(consistency_nodes(5, 4), Err(Error::SizesOutOfOrder { from: 5, to: 4 }));
    let mut partial = nodes.clone();
    partial.remove(&(2, 1));
    let error = inclusion_proof(&partial, 0, 8).unwrap_err();
    assert_eq!(error.to_string(), "the proof is missing node (2, 1)");
}
