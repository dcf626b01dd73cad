//! Tenants and their API keys. Keys are stored as SHA-256 hashes of the secret: the secret
//! itself is shown once, at creation, and never kept.

use rand::distributions::Alphanumeric;
use rand::Rng;
use sha2::{Digest, Sha256};

use super::Db;
use crate::on_db;

/// What an operator's key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Reviewer,
    Readonly,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "reviewer" => Some(Role::Reviewer),
            "readonly" => Some(Role::Readonly),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
            Role::Readonly => "readonly",
        }
    }
}

/// The tenant and role an API key stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyOwner {
    /// The key's id (`key_…`), never its secret: what history records as who acted.
    pub key_id: String,
    pub tenant_id: String,
    pub role: Role,
}

/// A random id with a type prefix, e.g. `ten_…`: lower-case letters and digits only.
pub fn new_id(prefix: &str, random_chars: usize) -> String {
    let random: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(random_chars)
        .map(|b| char::from(b).to_ascii_lowercase())
        .collect();
    format!("{prefix}_{random}")
}

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub async fn create_tenant(db: &Db, name: &str) -> anyhow::Result<String> {
    let id = new_id("ten", 16);
    on_db!(db, |pool, _d| {
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(name)
            .bind(super::now_us())
            .execute(pool)
            .await?;
    });
    Ok(id)
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

/// Creates a key and returns its secret, which is not stored and cannot be shown again.
pub async fn create_key(db: &Db, tenant_id: &str, role: Role) -> anyhow::Result<String> {
    let secret: String =
        format!("sk_{}", rand::thread_rng().sample_iter(&Alphanumeric).take(40).map(char::from).collect::<String>());
    on_db!(db, |pool, _d| {
        sqlx::query("INSERT INTO api_keys (id, tenant_id, role, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(new_id("key", 16))
            .bind(tenant_id)
            .bind(role.as_str())
            .bind(hash_secret(&secret))
            .bind(super::now_us())
            .execute(pool)
            .await?;
    });
    Ok(secret)
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
