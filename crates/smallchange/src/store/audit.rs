//! The audit log's own rows: the deployment's signing keys, the signed checkpoints, the
//! stored hashes a proof is read from (leaves in `events`, every fourth level in
//! `audit_nodes`), and the rows an entry describes, read back for `audit verify`. The
//! entries themselves are written by the committer only ([`crate::store::audit_tree`]).

use std::collections::HashMap;

use super::Db;
use crate::on_db;

/// A signing key as stored: its seed sealed with the encryption key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    /// Base64 of the 32 raw Ed25519 public-key bytes.
    pub public_key: String,
    pub sealed_seed: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

type KeyTuple = (String, String, String, String, i64, Option<i64>);

fn key_row((id, name, public_key, sealed_seed, created_at, retired_at): KeyTuple) -> KeyRow {
    KeyRow { id, name, public_key, sealed_seed, created_at, retired_at }
}

const KEY_COLUMNS: &str = "id, name, public_key, sealed_seed, created_at, retired_at";

/// The key that signs now (the one not retired), if there is one yet.
pub async fn current_key(db: &Db) -> anyhow::Result<Option<KeyRow>> {
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM audit_keys WHERE retired_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1"
    );
    let row: Option<KeyTuple> = on_db!(db, |pool, _d| sqlx::query_as(&sql).fetch_optional(pool).await?);
    Ok(row.map(key_row))
}

/// Every key the deployment ever had, oldest first: old checkpoints verify with old keys.
pub async fn all_keys(db: &Db) -> anyhow::Result<Vec<KeyRow>> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM audit_keys ORDER BY created_at, id");
    let rows: Vec<KeyTuple> = on_db!(db, |pool, _d| sqlx::query_as(&sql).fetch_all(pool).await?);
    Ok(rows.into_iter().map(key_row).collect())
}

/// Adds a key; `false` when another process added the current key first (the unique index
/// on the current key's name), in which case the caller reads that one.
pub async fn insert_key(db: &Db, key: &KeyRow) -> anyhow::Result<bool> {
    let sql = "INSERT INTO audit_keys (id, name, public_key, sealed_seed, created_at, retired_at) \
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
    let changed = on_db!(db, |pool, _d| {
        sqlx::query(sql)
            .bind(&key.id)
            .bind(&key.name)
            .bind(&key.public_key)
            .bind(&key.sealed_seed)
            .bind(key.created_at)
            .bind(key.retired_at)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(changed == 1)
}

/// Retires every current key at `at`; answers how many were retired.
pub async fn retire_current(db: &Db, at: i64) -> anyhow::Result<u64> {
    let sql = "UPDATE audit_keys SET retired_at = $1 WHERE retired_at IS NULL";
    Ok(on_db!(db, |pool, _d| sqlx::query(sql).bind(at).execute(pool).await?.rows_affected()))
}

/// A tree head that no checkpoint covers yet: (tenant, size, hex frontier), read in one row
/// so the size and the frontier agree.
pub async fn heads_ahead_of_checkpoints(db: &Db) -> anyhow::Result<Vec<(String, u64, String)>> {
    let sql = "SELECT t.tenant_id, t.size, t.frontier FROM audit_trees t WHERE t.size > \
               COALESCE((SELECT MAX(c.size) FROM audit_checkpoints c WHERE c.tenant_id = t.tenant_id), 0)";
    let rows: Vec<(String, i64, String)> = on_db!(db, |pool, _d| sqlx::query_as(sql).fetch_all(pool).await?);
    Ok(rows.into_iter().map(|(tenant, size, frontier)| (tenant, size as u64, frontier)).collect())
}

/// A signed checkpoint as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointRow {
    pub tenant_id: String,
    pub size: u64,
    /// Hex of the root hash.
    pub root_hash: String,
    pub at: i64,
    /// The signed note text.
    pub note: String,
}

type CheckpointTuple = (String, i64, String, i64, String);

fn checkpoint_row((tenant_id, size, root_hash, at, note): CheckpointTuple) -> CheckpointRow {
    CheckpointRow { tenant_id, size: size as u64, root_hash, at, note }
}

/// Stores a checkpoint; a second server that signed the same size first wins (both signed
/// the same tree, so either is right).
pub async fn insert_checkpoint(db: &Db, row: &CheckpointRow) -> anyhow::Result<bool> {
    let sql = "INSERT INTO audit_checkpoints (tenant_id, size, root_hash, at, note) VALUES ($1, $2, $3, $4, $5) \
               ON CONFLICT (tenant_id, size) DO NOTHING";
    let changed = on_db!(db, |pool, _d| {
        sqlx::query(sql)
            .bind(&row.tenant_id)
            .bind(row.size as i64)
            .bind(&row.root_hash)
            .bind(row.at)
            .bind(&row.note)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(changed == 1)
}

/// A tenant's latest checkpoint (the largest tree signed).
pub async fn latest_checkpoint(db: &Db, tenant: &str) -> anyhow::Result<Option<CheckpointRow>> {
    let sql = "SELECT tenant_id, size, root_hash, at, note FROM audit_checkpoints WHERE tenant_id = $1 \
               ORDER BY size DESC LIMIT 1";
    let row: Option<CheckpointTuple> =
        on_db!(db, |pool, _d| sqlx::query_as(sql).bind(tenant).fetch_optional(pool).await?);
    Ok(row.map(checkpoint_row))
}

/// Every checkpoint of a tenant, smallest tree first.
pub async fn checkpoints(db: &Db, tenant: &str) -> anyhow::Result<Vec<CheckpointRow>> {
    let sql = "SELECT tenant_id, size, root_hash, at, note FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY size";
    let rows: Vec<CheckpointTuple> = on_db!(db, |pool, _d| sqlx::query_as(sql).bind(tenant).fetch_all(pool).await?);
    Ok(rows.into_iter().map(checkpoint_row).collect())
}

/// Every tenant that has entries, a tree head or checkpoints.
pub async fn tenants(db: &Db) -> anyhow::Result<Vec<String>> {
    let sql = "SELECT tenant_id FROM audit_trees UNION SELECT DISTINCT tenant_id FROM events \
               UNION SELECT DISTINCT tenant_id FROM audit_checkpoints ORDER BY 1";
    let rows: Vec<(String,)> = on_db!(db, |pool, _d| sqlx::query_as(sql).fetch_all(pool).await?);
    Ok(rows.into_iter().map(|(tenant,)| tenant).collect())
}

/// The stored hashes at `level` (0: `events.leaf_hash`; a multiple of 4: `audit_nodes`) for
/// `indexes`, in one query; an index with nothing stored is left out.
pub async fn stored_hashes(db: &Db, tenant: &str, level: u8, indexes: &[u64]) -> anyhow::Result<HashMap<u64, String>> {
    if indexes.is_empty() {
        return Ok(HashMap::new());
    }
    // Plain integers, written into the statement: one query whatever their number.
    let list: Vec<String> = indexes.iter().map(u64::to_string).collect();
    let list = list.join(",");
    let sql = if level == 0 {
        format!("SELECT idx, leaf_hash FROM events WHERE tenant_id = $1 AND idx IN ({list})")
    } else {
        format!("SELECT idx, hash FROM audit_nodes WHERE tenant_id = $1 AND level = {level} AND idx IN ({list})")
    };
    let rows: Vec<(i64, String)> = on_db!(db, |pool, _d| sqlx::query_as(&sql).bind(tenant).fetch_all(pool).await?);
    Ok(rows.into_iter().map(|(idx, hash)| (idx as u64, hash)).collect())
}

/// The id of the latest entry about `subject` whose kind is one of `kinds`.
pub async fn latest_entry_of(db: &Db, tenant: &str, subject: &str, kinds: &[&str]) -> anyhow::Result<Option<String>> {
    let list: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.replace('\'', "''"))).collect();
    let sql = format!(
        "SELECT id FROM events WHERE tenant_id = $1 AND subject = $2 AND kind IN ({}) ORDER BY idx DESC LIMIT 1",
        list.join(",")
    );
    let row: Option<(String,)> =
        on_db!(db, |pool, _d| sqlx::query_as(&sql).bind(tenant).bind(subject).fetch_optional(pool).await?);
    Ok(row.map(|(id,)| id))
}

/// The amounts of a row an entry describes, as (amount, amount) for a payment, a top-up or a
/// ledger transfer (by its full, tenant-scoped id) and (gross, net) for a cash-out.
pub async fn amounts_of(db: &Db, table: DescribedTable, tenant: &str, id: &str) -> anyhow::Result<Option<(i64, i64)>> {
    let sql = match table {
        DescribedTable::Payment => "SELECT amount, amount FROM payments WHERE id = $1 AND tenant_id = $2",
        DescribedTable::Topup => "SELECT amount, amount FROM topups WHERE id = $1 AND tenant_id = $2",
        DescribedTable::Cashout => "SELECT gross, net FROM cashouts WHERE id = $1 AND tenant_id = $2",
        DescribedTable::Transfer => "SELECT amount, amount FROM ledger_transfers WHERE id = $1",
    };
    let row: Option<(i64, i64)> = on_db!(db, |pool, _d| {
        let query = sqlx::query_as(sql).bind(id);
        let query = if table == DescribedTable::Transfer { query } else { query.bind(tenant) };
        query.fetch_optional(pool).await?
    });
    Ok(row)
}

/// The amounts of the ledger transfers among `ids` (full, tenant-scoped ids), by id.
pub async fn transfer_amounts(db: &Db, ids: &[String]) -> anyhow::Result<HashMap<String, i64>> {
    const IDS_PER_QUERY: usize = 500;
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!("SELECT id, amount FROM ledger_transfers WHERE id IN ({})", marks.join(","));
        let rows: Vec<(String, i64)> = on_db!(db, |pool, _d| {
            let mut query = sqlx::query_as(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            query.fetch_all(pool).await?
        });
        found.extend(rows);
    }
    Ok(found)
}

/// The tables whose rows an entry describes, checked by `audit verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DescribedTable {
    Payment,
    Topup,
    Cashout,
    Transfer,
}

impl DescribedTable {
    /// The row's name in a report: `payment`, `top-up`, `cash-out`, `ledger transfer`.
    pub fn name(self) -> &'static str {
        match self {
            DescribedTable::Payment => "payment",
            DescribedTable::Topup => "top-up",
            DescribedTable::Cashout => "cash-out",
            DescribedTable::Transfer => "ledger transfer",
        }
    }
}

/// How many bytes the log's tables take on SQLite (`dbstat`), for the storage figure; `None`
/// on PostgreSQL or where SQLite was built without `dbstat`.
pub async fn sqlite_bytes(db: &Db) -> Option<Vec<(String, i64)>> {
    let Db::Sqlite(pool) = db else { return None };
    let sql =
        "SELECT name, SUM(pgsize) FROM dbstat WHERE name IN ('events', 'audit_nodes', 'sqlite_autoindex_events_1', \
               'events_by_subject', 'events_by_actor', 'audit_checkpoints') GROUP BY name ORDER BY name";
    sqlx::query_as(sql).fetch_all(pool).await.ok()
}
