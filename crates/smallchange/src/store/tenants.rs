//! Tenants and their API keys. Keys are stored as SHA-256 hashes of the secret: the secret
//! itself is shown once, at creation, and never kept. What is kept besides is its
//! non-secret start ([`secret_prefix`]), so a person can tell which key is which.

use rand::distributions::Alphanumeric;
use rand::Rng;
use sha2::{Digest, Sha256};

use super::Db;
pub use crate::ids::new_id;
use crate::on_db;
use crate::unit::Row;

/// What an operator may do: one list of roles for API keys and the console's people
/// (docs/CONSOLE.md). A key is `admin`, `reviewer` or `readonly` (the CLI offers only
/// those, and `api_keys.role` holds only those); `support` and `finance` are roles of the
/// people who sign in to the console.
pub use crate::domain::operator::Role;

/// The tenant and role an API key stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyOwner {
    /// The key's id (`key_…`), never its secret: what history records as who acted.
    pub key_id: String,
    pub tenant_id: String,
    pub role: Role,
}

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a tenant at once, recording nothing: for tests and fixtures. The CLI creates
/// tenants through [`crate::services::tenants`], which records `tenant.created`.
pub async fn create_tenant(db: &Db, name: &str) -> anyhow::Result<String> {
    let id = new_id("ten", 16);
    write(db, &[tenant_row(&id, name, super::now_us())]).await?;
    Ok(id)
}

/// The row of a new tenant `id` named `name`.
pub fn tenant_row(id: &str, name: &str, at: i64) -> Row {
    Row {
        sql: "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)",
        params: vec![id.into(), name.into(), at.into()],
    }
}

async fn write(db: &Db, rows: &[Row]) -> anyhow::Result<Vec<u64>> {
    let mut tx = db.begin().await?;
    let changed = super::execute_rows(&mut tx, rows).await?;
    tx.commit().await?;
    Ok(changed)
}

pub async fn tenant_exists(db: &Db, tenant_id: &str) -> anyhow::Result<bool> {
    let row: Option<(String,)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT id FROM tenants WHERE id = $1").bind(tenant_id).fetch_optional(pool).await?
    });
    Ok(row.is_some())
}

/// The tenant's name, if there is such a tenant.
pub async fn tenant_name(db: &Db, tenant_id: &str) -> anyhow::Result<Option<String>> {
    let row: Option<(String,)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT name FROM tenants WHERE id = $1").bind(tenant_id).fetch_optional(pool).await?
    });
    Ok(row.map(|(name,)| name))
}

/// Characters of a secret kept in clear: `sk_` and 6 of its 40 random characters, which
/// leaves 34 (about 200 bits) unknown.
const SECRET_PREFIX_CHARS: usize = 9;

/// The non-secret start of a key's secret, which `keys list` shows.
pub fn secret_prefix(secret: &str) -> &str {
    secret.get(..SECRET_PREFIX_CHARS).unwrap_or(secret)
}

/// Creates a key and returns its secret, which is not stored and cannot be shown again.
pub async fn create_key(db: &Db, tenant_id: &str, role: Role) -> anyhow::Result<String> {
    Ok(create_key_with_id(db, tenant_id, role).await?.1)
}

/// As [`create_key`]; returns the key's id too. Records nothing: for tests and fixtures
/// (the CLI goes through [`crate::services::tenants`]).
pub async fn create_key_with_id(db: &Db, tenant_id: &str, role: Role) -> anyhow::Result<(String, String)> {
    let (id, secret, row) = new_key(tenant_id, role, super::now_us());
    write(db, &[row]).await?;
    Ok((id, secret))
}

/// A new key of `role` for `tenant_id`: its id, its secret (never stored) and its row.
pub fn new_key(tenant_id: &str, role: Role, at: i64) -> (String, String, Row) {
    let secret: String =
        format!("sk_{}", rand::thread_rng().sample_iter(&Alphanumeric).take(40).map(char::from).collect::<String>());
    let id = new_id("key", 16);
    let row = Row {
        sql: "INSERT INTO api_keys (id, tenant_id, role, secret_hash, secret_prefix, created_at) \
              VALUES ($1, $2, $3, $4, $5, $6)",
        params: vec![
            id.as_str().into(),
            tenant_id.into(),
            role.as_str().into(),
            hash_secret(&secret).into(),
            secret_prefix(&secret).into(),
            at.into(),
        ],
    };
    (id, secret, row)
}

/// A tenant as `tenants list` shows it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TenantRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

/// Every tenant, oldest first.
pub async fn list_tenants(db: &Db) -> anyhow::Result<Vec<TenantRow>> {
    Ok(on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT id, name, created_at FROM tenants ORDER BY created_at, id").fetch_all(pool).await?
    }))
}

/// A key as `keys list` shows it: never its secret or its hash.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct KeyRow {
    pub id: String,
    pub tenant_id: String,
    pub role: String,
    /// `None` for keys made before the prefix was kept.
    pub secret_prefix: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const KEY_COLUMNS: &str = "id, tenant_id, role, secret_prefix, created_at, last_used_at, revoked_at";

/// Every key, or one tenant's, oldest first.
pub async fn list_keys(db: &Db, tenant_id: Option<&str>) -> anyhow::Result<Vec<KeyRow>> {
    let sql =
        format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE ($1 IS NULL OR tenant_id = $1) ORDER BY created_at, id");
    Ok(on_db!(db, |pool, _d| sqlx::query_as(&sql).bind(tenant_id).fetch_all(pool).await?))
}

/// The keys `text` names: its id (`key_…`), its whole secret, or the start of its secret
/// as `keys list` shows it (with or without the trailing `…`).
pub async fn find_keys(db: &Db, text: &str) -> anyhow::Result<Vec<KeyRow>> {
    let text = text.trim().trim_end_matches('…').trim_end_matches("...");
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1 OR secret_hash = $2 OR secret_prefix = $3 ORDER BY id"
    );
    // A prefix names a key only when it is the whole kept prefix: a shorter one could name many.
    let prefix = (text.len() == SECRET_PREFIX_CHARS).then_some(text);
    Ok(on_db!(db, |pool, _d| {
        sqlx::query_as(&sql).bind(text).bind(hash_secret(text)).bind(prefix).fetch_all(pool).await?
    }))
}

/// Revokes a key; false if it was already revoked. Records nothing: for fixtures (the CLI
/// goes through [`crate::services::tenants`]).
pub async fn revoke_key(db: &Db, key_id: &str) -> anyhow::Result<bool> {
    Ok(write(db, &[revoke_row(key_id, super::now_us())]).await?[0] == 1)
}

/// Revokes key `key_id` at `at` unless it is revoked already: changes no row then.
pub fn revoke_row(key_id: &str, at: i64) -> Row {
    Row {
        sql: "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        params: vec![at.into(), key_id.into()],
    }
}

/// The secret hashes of keys revoked at or after `since` (µs): what a running server drops
/// from its cache of verified keys.
pub async fn revoked_since(db: &Db, since: i64) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String,)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT secret_hash FROM api_keys WHERE revoked_at >= $1").bind(since).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(|(hash,)| hash).collect())
}

/// Records when keys were last used: `(key id, µs)`; a later time already recorded (by
/// another server on the same database) is kept.
pub async fn record_last_used(db: &Db, uses: &[(String, i64)]) -> anyhow::Result<()> {
    for (key_id, at) in uses {
        on_db!(db, |pool, _d| {
            sqlx::query(
                "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
            )
            .bind(at)
            .bind(key_id)
            .execute(pool)
            .await?;
        });
    }
    Ok(())
}

/// The owner of the key with this secret hash, if the key exists and is not revoked.
pub async fn find_key(db: &Db, secret_hash: &str) -> anyhow::Result<Option<KeyOwner>> {
    let row: Option<(String, String, String)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT id, tenant_id, role FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL")
            .bind(secret_hash)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.and_then(|(key_id, tenant_id, role)| Some(KeyOwner { key_id, tenant_id, role: Role::parse(&role)? })))
}
