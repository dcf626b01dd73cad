//! Console operators, their set-up links, sessions and wrong sign-ins (the tables of
//! migration 0030). Rows that change something are written through the committer with
//! their event; what is only read, or only counted (a session seen, a wrong password), is
//! written here directly.

use super::Db;
use crate::on_db;
use crate::unit::Row;

/// An operator as stored. The password hash and the sealed authenticator secret stay here:
/// they never leave the store but to be checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub email_key: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub totp_sealed: Option<String>,
    pub totp_last_step: Option<i64>,
    pub created_at: i64,
    pub created_by: String,
    pub disabled_at: Option<i64>,
}

impl Operator {
    /// Whether the operator has both a password and an authenticator (its set-up is done).
    pub fn is_set_up(&self) -> bool {
        self.password_hash.is_some() && self.totp_sealed.is_some()
    }
}

type OperatorRow =
    (String, String, String, String, String, Option<String>, Option<String>, Option<i64>, i64, String, Option<i64>);

const COLUMNS: &str = "id, tenant_id, email, email_key, role, password_hash, totp_sealed, totp_last_step, \
                       created_at, created_by, disabled_at";

fn operator(row: OperatorRow) -> Operator {
    let (
        id,
        tenant_id,
        email,
        email_key,
        role,
        password_hash,
        totp_sealed,
        totp_last_step,
        created_at,
        created_by,
        disabled_at,
    ) = row;
    Operator {
        id,
        tenant_id,
        email,
        email_key,
        role,
        password_hash,
        totp_sealed,
        totp_last_step,
        created_at,
        created_by,
        disabled_at,
    }
}

/// Inserts `operator` unless its email is taken (a guard: then it changes no row).
pub fn insert_row(operator: &Operator) -> Row {
    Row {
        sql: "INSERT INTO operators (id, tenant_id, email, email_key, role, created_at, created_by) \
              VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (email_key) DO NOTHING",
        params: vec![
            operator.id.as_str().into(),
            operator.tenant_id.as_str().into(),
            operator.email.as_str().into(),
            operator.email_key.as_str().into(),
            operator.role.as_str().into(),
            operator.created_at.into(),
            operator.created_by.as_str().into(),
        ],
    }
}

pub async fn by_email(db: &Db, email_key: &str) -> anyhow::Result<Option<Operator>> {
    let row: Option<OperatorRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {COLUMNS} FROM operators WHERE email_key = $1");
        sqlx::query_as(&sql).bind(email_key).fetch_optional(pool).await?
    });
    Ok(row.map(operator))
}

pub async fn by_id(db: &Db, tenant_id: &str, id: &str) -> anyhow::Result<Option<Operator>> {
    let row: Option<OperatorRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {COLUMNS} FROM operators WHERE tenant_id = $1 AND id = $2");
        sqlx::query_as(&sql).bind(tenant_id).bind(id).fetch_optional(pool).await?
    });
    Ok(row.map(operator))
}

/// The tenant's operators, by email.
pub async fn of_tenant(db: &Db, tenant_id: &str) -> anyhow::Result<Vec<Operator>> {
    let rows: Vec<OperatorRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {COLUMNS} FROM operators WHERE tenant_id = $1 ORDER BY email_key");
        sqlx::query_as(&sql).bind(tenant_id).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(operator).collect())
}

/// Disables operator `id` (a guard: changes no row if it is disabled already).
pub fn disable_row(tenant_id: &str, id: &str, now: i64) -> Row {
    Row {
        sql: "UPDATE operators SET disabled_at = $1 WHERE tenant_id = $2 AND id = $3 AND disabled_at IS NULL",
        params: vec![now.into(), tenant_id.into(), id.into()],
    }
}

/// Forgets operator `id`'s password and authenticator: a new set-up link gives new ones.
pub fn forget_credentials_row(tenant_id: &str, id: &str) -> Row {
    Row {
        sql: "UPDATE operators SET password_hash = NULL, totp_sealed = NULL, totp_last_step = NULL \
              WHERE tenant_id = $1 AND id = $2",
        params: vec![tenant_id.into(), id.into()],
    }
}

/// Gives operator `id` the password and authenticator its set-up link kept.
pub fn set_credentials_row(tenant_id: &str, id: &str, password_hash: &str, totp_sealed: &str, step: i64) -> Row {
    Row {
        sql: "UPDATE operators SET password_hash = $1, totp_sealed = $2, totp_last_step = $3 \
              WHERE tenant_id = $4 AND id = $5 AND disabled_at IS NULL",
        params: vec![password_hash.into(), totp_sealed.into(), step.into(), tenant_id.into(), id.into()],
    }
}

/// Records that the authenticator's code of `step` was used, unless a code of that step or
/// a later one was: the guard that makes each code good for one sign-in.
pub fn use_step_row(id: &str, step: i64) -> Row {
    Row {
        sql: "UPDATE operators SET totp_last_step = $1 WHERE id = $2 AND disabled_at IS NULL \
              AND (totp_last_step IS NULL OR totp_last_step < $1)",
        params: vec![step.into(), id.into()],
    }
}

/// A set-up link as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetupLink {
    pub id: String,
    pub operator_id: String,
    pub tenant_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub password_hash: Option<String>,
    pub totp_sealed: Option<String>,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

type LinkRow = (String, String, String, i64, i64, Option<String>, Option<String>, Option<i64>, Option<i64>);

const LINK_COLUMNS: &str =
    "id, operator_id, tenant_id, created_at, expires_at, password_hash, totp_sealed, used_at, revoked_at";

fn link(
    (id, operator_id, tenant_id, created_at, expires_at, password_hash, totp_sealed, used_at, revoked_at): LinkRow,
) -> SetupLink {
    SetupLink { id, operator_id, tenant_id, created_at, expires_at, password_hash, totp_sealed, used_at, revoked_at }
}

pub fn link_row(link: &SetupLink, token_hash: &str) -> Row {
    Row {
        sql: "INSERT INTO operator_setup_links (id, token_hash, operator_id, tenant_id, created_at, expires_at) \
              VALUES ($1, $2, $3, $4, $5, $6)",
        params: vec![
            link.id.as_str().into(),
            token_hash.into(),
            link.operator_id.as_str().into(),
            link.tenant_id.as_str().into(),
            link.created_at.into(),
            link.expires_at.into(),
        ],
    }
}

/// Revokes every set-up link of operator `id` not used yet: a new link, or a disabled
/// operator, leaves none of the old ones working.
pub fn revoke_links_row(operator_id: &str, now: i64) -> Row {
    Row {
        sql: "UPDATE operator_setup_links SET revoked_at = $1 WHERE operator_id = $2 AND used_at IS NULL \
              AND revoked_at IS NULL",
        params: vec![now.into(), operator_id.into()],
    }
}

pub async fn link_with_token(db: &Db, token_hash: &str) -> anyhow::Result<Option<SetupLink>> {
    let row: Option<LinkRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {LINK_COLUMNS} FROM operator_setup_links WHERE token_hash = $1");
        sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await?
    });
    Ok(row.map(link))
}

/// Keeps the password chosen and the authenticator's new secret on link `id` until the
/// authenticator is proven; only while the link is live.
pub async fn keep_on_link(db: &Db, id: &str, password_hash: &str, totp_sealed: &str, now: i64) -> anyhow::Result<bool> {
    let changed = on_db!(db, |pool, _d| {
        sqlx::query(
            "UPDATE operator_setup_links SET password_hash = $1, totp_sealed = $2 WHERE id = $3 \
             AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $4",
        )
        .bind(password_hash)
        .bind(totp_sealed)
        .bind(id)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(changed == 1)
}

/// Uses link `id` (the guard of the set-up's last step: once, while live).
pub fn use_link_row(id: &str, now: i64) -> Row {
    Row {
        sql: "UPDATE operator_setup_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL \
              AND revoked_at IS NULL AND expires_at > $1",
        params: vec![now.into(), id.into()],
    }
}

/// A console session as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub operator_id: String,
    pub tenant_id: String,
    pub user_agent: String,
    pub address: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ended_at: Option<i64>,
}

type SessionRow = (String, String, String, String, String, i64, i64, Option<i64>);

const SESSION_COLUMNS: &str = "id, operator_id, tenant_id, user_agent, address, created_at, last_seen_at, ended_at";

fn session(
    (id, operator_id, tenant_id, user_agent, address, created_at, last_seen_at, ended_at): SessionRow,
) -> Session {
    Session { id, operator_id, tenant_id, user_agent, address, created_at, last_seen_at, ended_at }
}

pub fn session_row(session: &Session, token_hash: &str) -> Row {
    Row {
        sql: "INSERT INTO operator_sessions (id, token_hash, operator_id, tenant_id, user_agent, address, \
              created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params: vec![
            session.id.as_str().into(),
            token_hash.into(),
            session.operator_id.as_str().into(),
            session.tenant_id.as_str().into(),
            session.user_agent.as_str().into(),
            session.address.as_str().into(),
            session.created_at.into(),
            session.last_seen_at.into(),
        ],
    }
}

pub async fn session_with_token(db: &Db, token_hash: &str) -> anyhow::Result<Option<Session>> {
    let row: Option<SessionRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM operator_sessions WHERE token_hash = $1");
        sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await?
    });
    Ok(row.map(session))
}

/// Records that session `id` was used at `now`.
pub async fn touch(db: &Db, id: &str, now: i64) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("UPDATE operator_sessions SET last_seen_at = $1 WHERE id = $2 AND ended_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// Ends session `id` of operator `operator_id` (changes no row if it ended already).
pub fn end_session_row(operator_id: &str, id: &str, now: i64) -> Row {
    Row {
        sql: "UPDATE operator_sessions SET ended_at = $1 WHERE operator_id = $2 AND id = $3 AND ended_at IS NULL",
        params: vec![now.into(), operator_id.into(), id.into()],
    }
}

/// Ends every session of operator `operator_id`.
pub fn end_sessions_row(operator_id: &str, now: i64) -> Row {
    Row {
        sql: "UPDATE operator_sessions SET ended_at = $1 WHERE operator_id = $2 AND ended_at IS NULL",
        params: vec![now.into(), operator_id.into()],
    }
}

/// Wrong sign-ins counted for one account from one address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    pub count: i64,
    pub last_at: i64,
}

/// Wrong sign-ins for account `email_key` whose last was at `since` or later: from
/// `address`, and how many from everywhere.
pub async fn failures(db: &Db, email_key: &str, address: &str, since: i64) -> anyhow::Result<(Failures, i64)> {
    let rows: Vec<(String, i64, i64)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT address, failures, last_at FROM operator_sign_in_failures WHERE email_key = $1 AND last_at >= $2",
        )
        .bind(email_key)
        .bind(since)
        .fetch_all(pool)
        .await?
    });
    let here = rows
        .iter()
        .find(|(from, _, _)| from == address)
        .map(|(_, count, last_at)| Failures { count: *count, last_at: *last_at })
        .unwrap_or_default();
    Ok((here, rows.iter().map(|(_, count, _)| count).sum()))
}

/// Counts one wrong sign-in for `email_key` from `address` at `now`; a count whose last
/// failure is older than `since` starts again from one.
pub async fn count_failure(db: &Db, email_key: &str, address: &str, now: i64, since: i64) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query(
            "INSERT INTO operator_sign_in_failures (email_key, address, failures, last_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (email_key, address) DO UPDATE SET last_at = excluded.last_at, failures = CASE \
             WHEN operator_sign_in_failures.last_at < $4 THEN 1 ELSE operator_sign_in_failures.failures + 1 END",
        )
        .bind(email_key)
        .bind(address)
        .bind(now)
        .bind(since)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Forgets the wrong sign-ins for `email_key` from `address` (it signed in).
pub async fn clear_failures(db: &Db, email_key: &str, address: &str) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("DELETE FROM operator_sign_in_failures WHERE email_key = $1 AND address = $2")
            .bind(email_key)
            .bind(address)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(())
}
