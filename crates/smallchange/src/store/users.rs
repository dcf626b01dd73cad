//! Users of a tenant and the history of their identity checks. A new user is one row of a
//! unit standing on its insert (refused when the external id is taken); an identity check
//! is two rows of one unit: the user's latest record and the check appended to
//! `kyc_checks`. A freeze is the user's three `frozen_*` columns, set by a unit standing
//! on them being empty and cleared by one standing on them being set.

use super::Db;
use crate::domain::user::{Kyc, NewUser};
use crate::on_db;
use crate::unit::Row;

/// A user as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub external_id: String,
    pub phone: String,
    pub name: Option<String>,
    pub kyc_level: String,
    pub legal_name: Option<String>,
    pub created_at: i64,
    /// Whether the user has a TOTP secret (see [`super::totp`]).
    pub totp_enrolled: bool,
    /// Set while an operator has the user frozen.
    pub frozen: Option<Frozen>,
}

/// A freeze as stored: when, by whom, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frozen {
    /// Microseconds since the epoch.
    pub at: i64,
    /// Who froze the user, in the stored form of [`crate::services::Actor::recorded`].
    pub by: String,
    /// The operator's words: for operators only, never shown to the user.
    pub reason: String,
}

type UserRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

const USER_COLUMNS: &str = "id, external_id, phone, name, kyc_level, legal_name, created_at, totp_enrolled_at, \
                            frozen_at, frozen_by, frozen_reason";

fn from_row(row: UserRow) -> User {
    let (id, external_id, phone, name, kyc_level, legal_name, created_at, totp_enrolled_at, frozen_at, by, reason) =
        row;
    let frozen = frozen_at.map(|at| Frozen { at, by: by.unwrap_or_default(), reason: reason.unwrap_or_default() });
    User {
        id,
        external_id,
        phone,
        name,
        kyc_level,
        legal_name,
        created_at,
        totp_enrolled: totp_enrolled_at.is_some(),
        frozen,
    }
}

/// The user `new` asks for, as it is when created at `created_at`.
pub fn new_user(new: &NewUser, created_at: i64) -> User {
    User {
        id: crate::ids::time_ordered("usr", created_at),
        external_id: new.external_id().as_str().to_string(),
        phone: new.phone().as_str().to_string(),
        name: new.name().map(|name| name.as_str().to_string()),
        kyc_level: "none".into(),
        legal_name: None,
        created_at,
        totp_enrolled: false,
        frozen: None,
    }
}

/// Inserts `user` unless the tenant has a user with its external id: a row that changes
/// none then, so creating a user can stand on it (see [`crate::unit::Guard`]).
pub fn insert_row(tenant_id: &str, user: &User) -> Row {
    Row {
        sql: "INSERT INTO users (id, tenant_id, external_id, phone, name, kyc_level, created_at) \
              VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, external_id) DO NOTHING",
        params: vec![
            user.id.as_str().into(),
            tenant_id.into(),
            user.external_id.as_str().into(),
            user.phone.as_str().into(),
            user.name.clone().into(),
            user.kyc_level.as_str().into(),
            user.created_at.into(),
        ],
    }
}

/// Freezes user `id` as `frozen` says, unless it is frozen already: a row that changes
/// none then, so freezing can stand on it (see [`crate::unit::Guard`]).
pub fn freeze_row(tenant_id: &str, id: &str, frozen: &Frozen) -> Row {
    Row {
        sql: "UPDATE users SET frozen_at = $1, frozen_by = $2, frozen_reason = $3 \
              WHERE tenant_id = $4 AND id = $5 AND frozen_at IS NULL",
        params: vec![
            frozen.at.into(),
            frozen.by.as_str().into(),
            frozen.reason.as_str().into(),
            tenant_id.into(),
            id.into(),
        ],
    }
}

/// Unfreezes user `id`, if it is frozen: a row that changes none otherwise, so
/// unfreezing can stand on it.
pub fn unfreeze_row(tenant_id: &str, id: &str) -> Row {
    Row {
        sql: "UPDATE users SET frozen_at = NULL, frozen_by = NULL, frozen_reason = NULL \
              WHERE tenant_id = $1 AND id = $2 AND frozen_at IS NOT NULL",
        params: vec![tenant_id.into(), id.into()],
    }
}

/// The tenant's user with the operator's own id `external_id`.
pub async fn by_external_id(db: &Db, tenant_id: &str, external_id: &str) -> anyhow::Result<Option<User>> {
    let row: Option<UserRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND external_id = $2");
        sqlx::query_as(&sql).bind(tenant_id).bind(external_id).fetch_optional(pool).await?
    });
    Ok(row.map(from_row))
}

pub async fn get(db: &Db, tenant_id: &str, id: &str) -> anyhow::Result<Option<User>> {
    let row: Option<UserRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2");
        sqlx::query_as(&sql).bind(tenant_id).bind(id).fetch_optional(pool).await?
    });
    Ok(row.map(from_row))
}

/// Up to `limit` users created after the user `starting_after` (oldest first).
pub async fn list(db: &Db, tenant_id: &str, starting_after: Option<&str>, limit: i64) -> anyhow::Result<Vec<User>> {
    let rows: Vec<UserRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3");
        sqlx::query_as(&sql).bind(tenant_id).bind(starting_after.unwrap_or("")).bind(limit).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(from_row).collect())
}

/// The row recording the operator's identity check of user `id` as the user's latest.
pub fn kyc_row(tenant_id: &str, id: &str, kyc: &Kyc) -> Row {
    Row {
        sql: "UPDATE users SET kyc_level = $1, legal_name = $2, birth_date = $3, document_ref = $4 \
              WHERE tenant_id = $5 AND id = $6",
        params: vec![
            kyc.level().as_str().into(),
            kyc.legal_name().as_str().into(),
            kyc.birth_date().into(),
            kyc.document_ref().into(),
            tenant_id.into(),
            id.into(),
        ],
    }
}

/// One identity check as recorded (its birth date is kept but never read back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KycCheck {
    /// `kyc_…`, in the order the checks were made.
    pub id: String,
    pub level: String,
    pub legal_name: String,
    pub document_ref: String,
    /// Who recorded it, in the stored form (`api_key:key_…`).
    pub actor: String,
    pub at: i64,
}

/// The row appending an identity check of user `user_id`, made at `at` by `actor` (stored
/// form), to the user's history.
pub fn kyc_check_row(tenant_id: &str, user_id: &str, kyc: &Kyc, actor: &str, id: &str, at: i64) -> Row {
    Row {
        sql: "INSERT INTO kyc_checks (id, tenant_id, user_id, level, legal_name, birth_date, document_ref, actor, at) \
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params: vec![
            id.into(),
            tenant_id.into(),
            user_id.into(),
            kyc.level().as_str().into(),
            kyc.legal_name().as_str().into(),
            kyc.birth_date().into(),
            kyc.document_ref().into(),
            actor.into(),
            at.into(),
        ],
    }
}

type KycCheckRow = (String, String, String, String, String, i64);

/// Up to `limit` identity checks of user `user_id` made after the check `starting_after`,
/// oldest first.
pub async fn kyc_checks(
    db: &Db,
    tenant_id: &str,
    user_id: &str,
    starting_after: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<KycCheck>> {
    let rows: Vec<KycCheckRow> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT id, level, legal_name, document_ref, actor, at FROM kyc_checks \
             WHERE tenant_id = $1 AND user_id = $2 AND id > $3 ORDER BY id LIMIT $4",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(starting_after.unwrap_or(""))
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, level, legal_name, document_ref, actor, at)| KycCheck {
            id,
            level,
            legal_name,
            document_ref,
            actor,
            at,
        })
        .collect())
}
