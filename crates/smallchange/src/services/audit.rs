//! The audit log as its readers meet it: the deployment's signing key (created on first
//! need, its seed sealed with the encryption key), the signed checkpoints of each tenant's
//! tree, and proofs read from stored hashes — an entry's inclusion in the latest checkpoint,
//! and the consistency of two tree sizes. docs/AUDIT.md says how to check them by hand.
//!
//! An entry is chained the moment it commits, but it is proved against a *signed* tree:
//! until the checkpoint worker (at least once a second) signs a tree that holds it, the entry
//! answers `proof: null`, and the same request a moment later answers its proof.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use tlog::note::{Checkpoint, Signer};
use tlog::Hash;

use crate::crypto::Secrets;
use crate::events::encoding::Entry;
use crate::services::{Error, Kind};
use crate::store::audit::{self as rows, CheckpointRow, KeyRow};
use crate::store::audit_tree::{TreeHead, NODE_LEVEL_STEP};
use crate::store::events::{self, Stored};
use crate::store::Db;

/// The signing key's name, the first part of its verifier key and of its signature lines.
pub const KEY_NAME: &str = "smallchange";

/// The kinds that record a cash-out's status (its creation included): the entry a cash-out
/// and its receipt point at is the latest of these.
pub const CASHOUT_STATUS_KINDS: &[&str] = &[
    "cashout.created",
    "cashout.processing",
    "cashout.in_review",
    "cashout.approved",
    "cashout.rejected",
    "cashout.in_transit",
    "cashout.paid",
    "cashout.failed",
    "cashout.canceled",
    "cashout.expired",
];

/// The first line of every checkpoint of `tenant`'s tree.
pub fn origin(tenant: &str) -> String {
    format!("smallchange/{tenant}")
}

/// The key that signs now, with its row id.
#[derive(Clone, Debug)]
pub struct SigningKey {
    pub id: String,
    pub signer: Signer,
}

/// The current signing key, created (and stored sealed) if the deployment has none yet.
pub async fn signing_key(db: &Db, secrets: &Secrets) -> anyhow::Result<SigningKey> {
    for _ in 0..2 {
        if let Some(row) = rows::current_key(db).await? {
            return open_key(secrets, &row);
        }
        // Two servers may both find no key: the unique index keeps one, the other reads it.
        rows::insert_key(db, &new_key(secrets, crate::store::now_us())?.0).await?;
    }
    anyhow::bail!("no current audit signing key after creating one")
}

/// Retires the current key and makes a new one; answers the new key and how many were
/// retired. Checkpoints signed before keep verifying with the retired public keys.
pub async fn rotate_key(db: &Db, secrets: &Secrets, now: i64) -> anyhow::Result<(SigningKey, u64)> {
    let retired = rows::retire_current(db, now).await?;
    let (row, key) = new_key(secrets, now)?;
    anyhow::ensure!(rows::insert_key(db, &row).await?, "another process made a new audit key at the same time");
    Ok((key, retired))
}

fn new_key(secrets: &Secrets, now: i64) -> anyhow::Result<(KeyRow, SigningKey)> {
    let mut seed = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut seed);
    let signer = Signer::from_seed(KEY_NAME, seed)?;
    let row = KeyRow {
        id: crate::ids::time_ordered("akey", now),
        name: KEY_NAME.to_string(),
        public_key: STANDARD.encode(signer.public_key()),
        sealed_seed: secrets.seal(&seed),
        created_at: now,
        retired_at: None,
    };
    Ok((row.clone(), SigningKey { id: row.id, signer }))
}

fn open_key(secrets: &Secrets, row: &KeyRow) -> anyhow::Result<SigningKey> {
    let seed: [u8; 32] = secrets
        .open(&row.sealed_seed)?
        .try_into()
        .map_err(|_| anyhow::anyhow!("the audit key {} has a seed that is not 32 bytes", row.id))?;
    let signer = Signer::from_seed(&row.name, seed)?;
    anyhow::ensure!(
        STANDARD.encode(signer.public_key()) == row.public_key,
        "the audit key {}'s seed does not match its public key",
        row.id
    );
    Ok(SigningKey { id: row.id.clone(), signer })
}

/// The verifier key (`name+id+key`) of a stored key, which Go's `sumdb/note` reads.
pub fn verifier_key_of(row: &KeyRow) -> anyhow::Result<String> {
    let public_key: [u8; 32] = STANDARD
        .decode(&row.public_key)?
        .try_into()
        .map_err(|_| anyhow::anyhow!("the audit key {}'s public key is not 32 bytes", row.id))?;
    Ok(tlog::note::verifier_key(&row.name, &public_key))
}

/// Signs a checkpoint of every tree that has grown since its last one, with the key that
/// signs now (read each time, so a rotated key signs from the next call); answers how many
/// were stored (a tree another server signed first is not counted).
pub async fn checkpoint_heads(db: &Db, secrets: &Secrets, now: i64) -> anyhow::Result<usize> {
    let heads = rows::heads_ahead_of_checkpoints(db).await?;
    if heads.is_empty() {
        return Ok(0);
    }
    let key = signing_key(db, secrets).await?;
    let mut stored = 0;
    for (tenant, size, frontier) in heads {
        let root = TreeHead { size, frontier }.frontier()?.root();
        let body = Checkpoint { origin: origin(&tenant), size, root }.body();
        let row = CheckpointRow {
            tenant_id: tenant,
            size,
            root_hash: hex::encode(root),
            at: now,
            note: key.signer.sign(&body),
        };
        stored += usize::from(rows::insert_checkpoint(db, &row).await?);
    }
    Ok(stored)
}

/// A signed tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTree {
    pub size: u64,
    pub root: Hash,
    /// When it was signed, µs.
    pub at: i64,
    /// The signed note text.
    pub note: String,
}

fn signed_tree(row: CheckpointRow) -> Result<SignedTree, Error> {
    let root = hash_from_hex(&row.root_hash).map_err(Error::from)?;
    Ok(SignedTree { size: row.size, root, at: row.at, note: row.note })
}

fn no_checkpoint() -> Error {
    Error::new(
        Kind::NotFound,
        "no_checkpoint",
        "no checkpoint is signed yet: the log has no entries, or they are a second old",
    )
}

/// The tenant's latest checkpoint; 404 `no_checkpoint` before the first.
pub async fn latest(db: &Db, tenant: &str) -> Result<SignedTree, Error> {
    let row = rows::latest_checkpoint(db, tenant).await?.ok_or_else(no_checkpoint)?;
    signed_tree(row)
}

/// An entry with its canonical bytes and, once a checkpoint covers it, its inclusion proof.
#[derive(Clone, Debug)]
pub struct ProvedEntry {
    pub stored: Stored,
    /// The canonical bytes, re-derived from the stored columns.
    pub bytes: Vec<u8>,
    pub leaf_hash: Hash,
    /// `None` until a checkpoint covers the entry.
    pub proof: Option<Inclusion>,
}

/// An inclusion proof against a signed tree.
#[derive(Clone, Debug)]
pub struct Inclusion {
    pub tree: SignedTree,
    pub hashes: Vec<Hash>,
}

/// The canonical entry of a stored event.
pub fn entry_of(stored: &Stored) -> Entry<'_> {
    Entry {
        tenant: &stored.tenant_id,
        index: stored.index,
        id: &stored.id,
        kind: &stored.kind,
        subject: &stored.subject,
        actor: &stored.actor,
        at_us: stored.at,
        data: &stored.data,
    }
}

/// An entry by id, with its proof against the latest checkpoint (or `proof: None`).
pub async fn entry(db: &Db, tenant: &str, id: &str) -> Result<ProvedEntry, Error> {
    let stored = events::get(db, tenant, id).await?.ok_or_else(|| Error::not_found(format!("no audit entry {id}")))?;
    let bytes = entry_of(&stored).bytes();
    let leaf_hash = tlog::leaf_hash(&bytes);
    let proof = match rows::latest_checkpoint(db, tenant).await? {
        Some(row) if stored.index < row.size => {
            let tree = signed_tree(row)?;
            let needed = tlog::inclusion_nodes(stored.index, tree.size).map_err(Error::internal)?;
            let nodes = fetch_nodes(db, tenant, &needed).await?;
            let hashes = tlog::inclusion_proof(&nodes, stored.index, tree.size).map_err(Error::internal)?;
            Some(Inclusion { tree, hashes })
        }
        _ => None,
    };
    Ok(ProvedEntry { stored, bytes, leaf_hash, proof })
}

/// The consistency proof from the tree of `from` entries to that of `to`, both at most the
/// latest checkpoint's size.
pub async fn consistency(db: &Db, tenant: &str, from: u64, to: u64) -> Result<Vec<Hash>, Error> {
    let latest = latest(db, tenant).await?;
    if from > to {
        return Err(Error::invalid("size_out_of_range", "from must not be larger than to", "from"));
    }
    if to > latest.size {
        let message = format!("to is larger than the latest checkpoint's tree ({} entries)", latest.size);
        return Err(Error::invalid("size_out_of_range", message, "to"));
    }
    let needed = tlog::consistency_nodes(from, to).map_err(Error::internal)?;
    let nodes = fetch_nodes(db, tenant, &needed).await?;
    tlog::consistency_proof(&nodes, from, to).map_err(Error::internal)
}

/// The entry a cash-out points at: the latest that records its status.
pub async fn cashout_entry(db: &Db, tenant: &str, cashout_id: &str) -> anyhow::Result<Option<String>> {
    rows::latest_entry_of(db, tenant, cashout_id, CASHOUT_STATUS_KINDS).await
}

/// The proved entry of a cash-out's latest status change, for its receipt page; `None` when
/// it has none, or when reading it failed (logged: the receipt still shows, without it).
pub async fn cashout_proof(db: &Db, cashout_id: &str) -> Option<ProvedEntry> {
    match proved_cashout(db, cashout_id).await {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(error = %error, cashout_id, "reading a receipt's audit proof failed");
            None
        }
    }
}

async fn proved_cashout(db: &Db, cashout_id: &str) -> Result<Option<ProvedEntry>, Error> {
    let Some(tenant) = crate::store::cashouts::tenant_of(db, cashout_id).await? else { return Ok(None) };
    let Some(id) = cashout_entry(db, &tenant, cashout_id).await? else { return Ok(None) };
    entry(db, &tenant, &id).await.map(Some)
}

/// The complete nodes `needed` lists, read in bulk: leaves and every fourth level are
/// stored; a node between them is computed from its stored descendants (at most 8).
pub async fn fetch_nodes(db: &Db, tenant: &str, needed: &[(u8, u64)]) -> anyhow::Result<HashMap<(u8, u64), Hash>> {
    // For each stored level, which of its nodes make up what is needed.
    let mut wanted: BTreeMap<u8, BTreeSet<u64>> = BTreeMap::new();
    for &(level, index) in needed {
        let base = level - level % NODE_LEVEL_STEP;
        let span = 1u64 << (level - base);
        wanted.entry(base).or_default().extend(index * span..(index + 1) * span);
    }
    let mut found: HashMap<(u8, u64), Hash> = HashMap::new();
    for (base, indexes) in wanted {
        let indexes: Vec<u64> = indexes.into_iter().collect();
        for (index, hex) in rows::stored_hashes(db, tenant, base, &indexes).await? {
            found.insert((base, index), hash_from_hex(&hex)?);
        }
    }
    let mut nodes = HashMap::with_capacity(needed.len());
    for &(level, index) in needed {
        let base = level - level % NODE_LEVEL_STEP;
        let span = 1u64 << (level - base);
        let below: Option<Vec<Hash>> =
            (index * span..(index + 1) * span).map(|i| found.get(&(base, i)).copied()).collect();
        let below =
            below.ok_or_else(|| anyhow::anyhow!("the stored tree of {tenant} lacks node ({level}, {index})"))?;
        nodes.insert((level, index), tlog::root_of(&below));
    }
    Ok(nodes)
}

/// A hash stored as hex.
pub fn hash_from_hex(text: &str) -> anyhow::Result<Hash> {
    hex::decode(text)?.try_into().map_err(|_| anyhow::anyhow!("a stored hash is not 32 bytes: {text}"))
}

/// What `/.well-known/smallchange/audit-key` publishes.
#[derive(Clone, Debug)]
pub struct PublicKey {
    pub name: String,
    /// The 32 raw bytes.
    pub public_key: [u8; 32],
    pub verifier_key: String,
}

/// The key that signs now (made on first need).
pub async fn public_key(db: &Db, secrets: &Secrets) -> anyhow::Result<PublicKey> {
    let key = signing_key(db, secrets).await?;
    Ok(PublicKey {
        name: key.signer.name().to_string(),
        public_key: key.signer.public_key(),
        verifier_key: key.signer.verifier_key(),
    })
}
