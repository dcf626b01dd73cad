//! `smallchange audit verify`: the log checked from the stored rows themselves, never from
//! the hashes stored beside them (immudb's audit trusted its stored hashes and missed a
//! hand-edited value). Per tenant, in index order: every entry's bytes are re-derived from
//! its columns and its leaf hash recomputed; indexes run 0..n without a gap; the rows an
//! entry describes (payments, top-ups, cash-outs, ledger transfers) still agree with it; the
//! tree is rebuilt and each checkpoint's root compared at its size, its signature checked
//! with the key that signed it, and consecutive checkpoints proved consistent from the
//! stored nodes a client's proofs are read from. A checkpoint saved earlier (`--checkpoint`)
//! must still be extended by the tree, which names a database rolled back to an older copy.
//!
//! The first failure stops the check and names the entry (tenant, index, id) or the
//! checkpoint, and what disagrees.

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;
use tlog::note::{Checkpoint, Verifier};
use tlog::{Frontier, Hash};

use super::audit::{self, entry_of, fetch_nodes, hash_from_hex, origin};
use crate::store::audit::{self as rows, CheckpointRow, DescribedTable};
use crate::store::audit_tree::NODE_LEVEL_STEP;
use crate::store::events::{self, Stored};
use crate::store::Db;

/// Entries read per query.
const ENTRIES_PER_PAGE: i64 = 2_000;

/// What was checked in one tenant's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantReport {
    pub tenant: String,
    pub entries: u64,
    pub checkpoints: usize,
    /// Rows described by entries and found to agree (payments, top-ups, cash-outs, transfers).
    pub rows: u64,
    /// Whether a saved checkpoint was checked against this tenant's tree.
    pub saved_checkpoint: bool,
}

impl fmt::Display for TenantReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tenant {}: {} entries, {} checkpoints and {} described rows agree",
            self.tenant, self.entries, self.checkpoints, self.rows
        )?;
        if self.saved_checkpoint {
            write!(f, "; the tree extends the saved checkpoint")?;
        }
        Ok(())
    }
}

/// The first thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub tenant: String,
    /// Where: `index 7 (evt_…)`, `checkpoint of size 12`, `between index 16 and 31`.
    pub place: String,
    pub what: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tenant {}, {}: {}", self.tenant, self.place, self.what)
    }
}

/// A checkpoint saved earlier, given to [`run`].
#[derive(Clone, Debug)]
pub struct Saved {
    pub tenant: String,
    pub checkpoint: Checkpoint,
}

/// Reads a saved checkpoint's note: its signature must verify with one of the deployment's
/// keys (current or retired), and its origin names the tenant.
pub async fn read_saved(db: &Db, note: &str) -> anyhow::Result<Result<Saved, String>> {
    let verifiers = verifiers(db).await?;
    let Some(body) = open_note(&verifiers, note) else {
        return Ok(Err(
            "the saved checkpoint's signature does not verify with any of this deployment's audit keys".into()
        ));
    };
    let checkpoint = match Checkpoint::parse_body(&body) {
        Ok(checkpoint) => checkpoint,
        Err(error) => return Ok(Err(format!("the saved checkpoint is not a checkpoint: {error}"))),
    };
    let Some(tenant) = checkpoint.origin.strip_prefix("smallchange/").map(str::to_string) else {
        return Ok(Err(format!("the saved checkpoint's origin {:?} is not smallchange/<tenant>", checkpoint.origin)));
    };
    Ok(Ok(Saved { tenant, checkpoint }))
}

/// Checks every tenant's log; the reports of all, or the first failure.
pub async fn run(db: &Db, saved: Option<&Saved>) -> anyhow::Result<Result<Vec<TenantReport>, Failure>> {
    let verifiers = verifiers(db).await?;
    let mut tenants = rows::tenants(db).await?;
    if let Some(saved) = saved.filter(|s| !tenants.contains(&s.tenant)) {
        tenants.push(saved.tenant.clone());
    }
    let mut reports = Vec::with_capacity(tenants.len());
    for tenant in tenants {
        let saved = saved.filter(|s| s.tenant == tenant).map(|s| &s.checkpoint);
        match verify_tenant(db, &verifiers, &tenant, saved).await? {
            Ok(report) => reports.push(report),
            Err(failure) => return Ok(Err(failure)),
        }
    }
    Ok(Ok(reports))
}

async fn verifiers(db: &Db) -> anyhow::Result<Vec<Verifier>> {
    let mut verifiers = Vec::new();
    for key in rows::all_keys(db).await? {
        verifiers.push(Verifier::from_verifier_key(&audit::verifier_key_of(&key)?)?);
    }
    Ok(verifiers)
}

fn open_note(verifiers: &[Verifier], note: &str) -> Option<String> {
    verifiers.iter().find_map(|verifier| verifier.open(note).ok())
}

/// One tenant's walk through its entries.
struct Walk<'a> {
    db: &'a Db,
    tenant: &'a str,
    verifiers: &'a [Verifier],
    frontier: Frontier,
    checkpoints: Vec<CheckpointRow>,
    /// The next checkpoint to meet, by position in `checkpoints`.
    next_checkpoint: usize,
    /// The size of the last checkpoint found right (0 before any).
    good_size: u64,
    /// Level-4 nodes rebuilt since `good_size`, to bound a rewrite between checkpoints.
    rebuilt_nodes: Vec<(u64, Hash)>,
    saved: Option<&'a Checkpoint>,
    rows: u64,
    /// The first transfer of each entry of the page that disagrees with its ledger row.
    transfer_faults: HashMap<u64, String>,
}

type Checked<T = ()> = anyhow::Result<Result<T, Failure>>;

async fn verify_tenant(
    db: &Db,
    verifiers: &[Verifier],
    tenant: &str,
    saved: Option<&Checkpoint>,
) -> Checked<TenantReport> {
    let checkpoints = rows::checkpoints(db, tenant).await?;
    let mut walk = Walk {
        db,
        tenant,
        verifiers,
        frontier: Frontier::new(),
        checkpoints,
        next_checkpoint: 0,
        good_size: 0,
        rebuilt_nodes: Vec::new(),
        saved,
        rows: 0,
        transfer_faults: HashMap::new(),
    };
    if let Err(failure) = walk.entries().await? {
        return Ok(Err(failure));
    }
    if let Err(failure) = walk.after_the_last().await? {
        return Ok(Err(failure));
    }
    if let Err(failure) = walk.consistency().await? {
        return Ok(Err(failure));
    }
    Ok(Ok(TenantReport {
        tenant: tenant.to_string(),
        entries: walk.frontier.size(),
        checkpoints: walk.checkpoints.len(),
        rows: walk.rows,
        saved_checkpoint: saved.is_some(),
    }))
}

impl Walk<'_> {
    fn fail(&self, place: impl Into<String>, what: impl Into<String>) -> Failure {
        Failure { tenant: self.tenant.to_string(), place: place.into(), what: what.into() }
    }

    fn at_entry(&self, entry: &Stored, what: impl Into<String>) -> Failure {
        self.fail(format!("index {}, id {}", entry.index, entry.id), what)
    }

    /// Every stored entry in index order.
    async fn entries(&mut self) -> Checked {
        loop {
            let page = events::from_index(self.db, self.tenant, self.frontier.size(), ENTRIES_PER_PAGE).await?;
            if page.is_empty() {
                return Ok(Ok(()));
            }
            let full = page.len() as i64 == ENTRIES_PER_PAGE;
            self.transfer_faults = self.transfers(&page).await?;
            for entry in &page {
                if let Err(failure) = self.entry(entry).await? {
                    return Ok(Err(failure));
                }
            }
            if !full {
                return Ok(Ok(()));
            }
        }
    }

    async fn entry(&mut self, entry: &Stored) -> Checked {
        let expected = self.frontier.size();
        if entry.index != expected {
            let what = format!(
                "entry {expected} is missing (deleted): the next stored entry is index {}, id {}",
                entry.index, entry.id
            );
            return Ok(Err(self.fail(format!("index {expected}"), what)));
        }
        let leaf = tlog::leaf_hash(&entry_of(entry).bytes());
        if hex::encode(leaf) != entry.leaf_hash {
            let what = "its columns no longer give the leaf hash stored when it was written: the entry was changed \
                        (or moved to another index) after it was chained";
            return Ok(Err(self.at_entry(entry, what)));
        }
        if let Err(failure) = self.described_rows(entry).await? {
            return Ok(Err(failure));
        }
        if let Some(what) = self.transfer_faults.get(&entry.index) {
            return Ok(Err(self.at_entry(entry, what.clone())));
        }
        for (level, index, hash) in self.frontier.append(leaf) {
            if level == NODE_LEVEL_STEP {
                self.rebuilt_nodes.push((index, hash));
            }
        }
        self.at_size().await
    }

    /// The checkpoints (and the saved one) of the tree as it now stands.
    async fn at_size(&mut self) -> Checked {
        let size = self.frontier.size();
        let root = self.frontier.root();
        while let Some(checkpoint) = self.checkpoints.get(self.next_checkpoint).filter(|c| c.size == size).cloned() {
            self.next_checkpoint += 1;
            if let Err(failure) = self.checkpoint(&checkpoint, &root).await? {
                return Ok(Err(failure));
            }
        }
        if let Some(saved) = self.saved.filter(|s| s.size == size) {
            if saved.root != root {
                let what = format!(
                    "the tree's first {size} entries have root {}, not the saved checkpoint's {}: the log was \
                     rewritten, or the database was rolled back to an older copy that then took other entries",
                    b64(&root),
                    b64(&saved.root)
                );
                return Ok(Err(self.fail(format!("the saved checkpoint of size {size}"), what)));
            }
        }
        Ok(Ok(()))
    }

    /// One stored checkpoint, met when the rebuilt tree reached its size.
    async fn checkpoint(&mut self, row: &CheckpointRow, root: &Hash) -> Checked {
        let place = format!("checkpoint of size {}", row.size);
        let Some(body) = open_note(self.verifiers, &row.note) else {
            let what =
                "its signature does not verify with any of the deployment's audit keys: it was forged or altered";
            return Ok(Err(self.fail(place, what)));
        };
        let signed = match Checkpoint::parse_body(&body) {
            Ok(signed) => signed,
            Err(error) => return Ok(Err(self.fail(place, format!("its signed text is not a checkpoint: {error}")))),
        };
        if signed.origin != origin(self.tenant) || signed.size != row.size {
            let what =
                format!("it signs {:?} of size {}, not this tenant's tree of that size", signed.origin, signed.size);
            return Ok(Err(self.fail(place, what)));
        }
        if hex::encode(signed.root) != row.root_hash {
            let what = "its root_hash column differs from the root its note signs: the checkpoint row was altered";
            return Ok(Err(self.fail(place, what)));
        }
        if signed.root != *root {
            return Ok(Err(self.bound_rewrite(row.size, &signed.root, root).await?));
        }
        self.good_size = row.size;
        self.rebuilt_nodes.clear();
        Ok(Ok(()))
    }

    /// Every leaf matched its columns, yet a signed root differs: entries and their stored
    /// hashes were rewritten together somewhere after the last good checkpoint. The stored
    /// level-4 nodes (written when those 16 entries were chained) narrow it down when the
    /// rewrite left them alone.
    async fn bound_rewrite(&self, size: u64, signed: &Hash, rebuilt: &Hash) -> anyhow::Result<Failure> {
        let indexes: Vec<u64> = self.rebuilt_nodes.iter().map(|(index, _)| *index).collect();
        let stored = rows::stored_hashes(self.db, self.tenant, NODE_LEVEL_STEP, &indexes).await?;
        let span = 1u64 << NODE_LEVEL_STEP;
        let changed = self.rebuilt_nodes.iter().find(|(index, hash)| stored.get(index) != Some(&hex::encode(hash)));
        let (from, to) = match changed {
            Some((index, _)) => (index * span, (index + 1) * span - 1),
            None => (self.good_size, size - 1),
        };
        let what = format!(
            "the entries rebuild a tree of root {} but the checkpoint of size {size} signed {}: entries were rewritten \
             together with their stored leaf hashes (the first changed entry lies in this range)",
            b64(rebuilt),
            b64(signed)
        );
        Ok(self.fail(format!("between index {from} and {to}"), what))
    }

    /// What only the end of the entries shows: checkpoints or a tree head beyond them, and a
    /// saved checkpoint the tree does not reach.
    async fn after_the_last(&mut self) -> Checked {
        let size = self.frontier.size();
        if let Some(beyond) = self.checkpoints.get(self.next_checkpoint) {
            let what = format!(
                "the checkpoint of size {} covers entries that are gone: only {size} are stored (the last ones were \
                 deleted, or the database was rolled back)",
                beyond.size
            );
            return Ok(Err(self.fail(format!("index {size}"), what)));
        }
        if let Some(saved) = self.saved.filter(|s| s.size > size) {
            let what = format!(
                "the tree has {size} entries, fewer than the {} of the saved checkpoint: the database was rolled back \
                 to an older copy, or entries from index {size} on were deleted",
                saved.size
            );
            return Ok(Err(self.fail(format!("the saved checkpoint of size {}", saved.size), what)));
        }
        let head = events::tree_sizes(self.db).await?.into_iter().find(|(tenant, _)| tenant == self.tenant);
        if let Some((_, head_size)) = head.filter(|(_, head_size)| *head_size != size) {
            let what = format!("the tree head counts {head_size} entries but {size} are stored");
            return Ok(Err(self.fail(format!("index {}", size.min(head_size)), what)));
        }
        Ok(Ok(()))
    }

    /// Consecutive checkpoints, proved consistent from the stored nodes that serve proofs.
    async fn consistency(&self) -> Checked {
        for pair in self.checkpoints.windows(2) {
            let (old, new) = (&pair[0], &pair[1]);
            let needed = tlog::consistency_nodes(old.size, new.size)?;
            let place = format!("checkpoints of size {} and {}", old.size, new.size);
            let proof = match fetch_nodes(self.db, self.tenant, &needed).await {
                Ok(nodes) => tlog::consistency_proof(&nodes, old.size, new.size)?,
                Err(error) => return Ok(Err(self.fail(place, format!("the stored nodes are incomplete: {error:#}")))),
            };
            let (old_root, new_root) = (hash_from_hex(&old.root_hash)?, hash_from_hex(&new.root_hash)?);
            if !tlog::verify_consistency(old.size, new.size, &old_root, &new_root, &proof) {
                let what = "the stored nodes do not prove the newer tree extends the older (a stored node was changed)";
                return Ok(Err(self.fail(place, what)));
            }
        }
        Ok(Ok(()))
    }

    /// The payment, top-up or cash-out row an entry describes still agrees with it.
    async fn described_rows(&mut self, entry: &Stored) -> Checked {
        let data = entry.data();
        let (table, fields) = match entry.kind.as_str() {
            "payment.made" => (DescribedTable::Payment, ["amount", "amount"]),
            "topup.received" => (DescribedTable::Topup, ["amount", "amount"]),
            kind if kind.starts_with("cashout.") && (data.get("gross").is_some() || data.get("net").is_some()) => {
                (DescribedTable::Cashout, ["gross", "net"])
            }
            _ => return Ok(Ok(())),
        };
        let Some(found) = rows::amounts_of(self.db, table, self.tenant, &entry.subject).await? else {
            let what = format!("the {} row {} it describes is missing", table.name(), entry.subject);
            return Ok(Err(self.at_entry(entry, what)));
        };
        for (field, stored) in fields.iter().zip([found.0, found.1]) {
            if let Some(recorded) = data.get(*field).and_then(integer) {
                if recorded != stored {
                    let what = format!(
                        "it records {field} {recorded} but the {} row {} holds {stored}",
                        table.name(),
                        entry.subject
                    );
                    return Ok(Err(self.at_entry(entry, what)));
                }
            }
        }
        self.rows += 1;
        Ok(Ok(()))
    }

    /// The ledger transfers a page of entries lists (`data.transfers: [{id, amount}]`) hold
    /// the amounts recorded. Ids are looked up as the ledger API scopes them
    /// (`<tenant>/<id>`) and as given.
    async fn transfers(&mut self, page: &[Stored]) -> anyhow::Result<HashMap<u64, String>> {
        let mut listed: Vec<(u64, String, i64)> = Vec::new();
        for entry in page {
            let data = entry.data();
            for transfer in data.get("transfers").and_then(Value::as_array).into_iter().flatten() {
                let id = transfer.get("id").and_then(Value::as_str);
                if let (Some(id), Some(amount)) = (id, transfer.get("amount").and_then(integer)) {
                    listed.push((entry.index, id.to_string(), amount));
                }
            }
        }
        let mut faults = HashMap::new();
        if listed.is_empty() {
            return Ok(faults);
        }
        let mut ids: Vec<String> = listed.iter().map(|(_, id, _)| id.clone()).collect();
        ids.extend(listed.iter().map(|(_, id, _)| format!("{}/{id}", self.tenant)));
        let found = rows::transfer_amounts(self.db, &ids).await?;
        for (index, id, amount) in listed {
            match found.get(&format!("{}/{id}", self.tenant)).or_else(|| found.get(&id)) {
                Some(stored) if *stored != amount => {
                    let what = format!("it records transfer {id} of {amount} but the ledger transfer holds {stored}");
                    faults.entry(index).or_insert(what);
                }
                Some(_) => self.rows += 1,
                // An entry lists only transfers its change wrote, so each has its row.
                None => {
                    faults
                        .entry(index)
                        .or_insert(format!("it records transfer {id}, which the ledger no longer holds"));
                }
            }
        }
        Ok(faults)
    }
}

/// An amount recorded as a JSON integer (or a decimal string).
fn integer(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_str().and_then(|text| text.parse().ok()))
}

fn b64(hash: &Hash) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(hash)
}
