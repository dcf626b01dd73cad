//! The web wallet's ways in: one-time links, phone sign-in codes and sessions. Each secret
//! (link token, session cookie, code) is stored as a keyed hash, never as itself. A link and
//! a code are used up by one conditional update, so two tabs racing get one session.

use super::Db;
use crate::on_db;
use crate::unit::Row;

/// A one-time link an operator made for a user.
pub struct NewLink<'a> {
    pub id: &'a str,
    pub token_hash: &'a str,
    pub tenant_id: &'a str,
    pub user_id: &'a str,
    pub actor: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

/// The row recording a new link (written through the committer, with the request's
/// idempotency answer).
pub fn link_row(link: &NewLink<'_>) -> Row {
    Row {
        sql: "INSERT INTO wallet_links (id, token_hash, tenant_id, user_id, actor, created_at, expires_at) \
              VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params: vec![
            link.id.into(),
            link.token_hash.into(),
            link.tenant_id.into(),
            link.user_id.into(),
            link.actor.into(),
            link.created_at.into(),
            link.expires_at.into(),
        ],
    }
}

/// Uses up the link whose token hashes to `token_hash` if it is unused and unexpired at
/// `now`: its tenant, user and id; `None` for any other link (unknown, used, expired).
pub async fn use_link(db: &Db, token_hash: &str, now: i64) -> anyhow::Result<Option<(String, String, String)>> {
    let row: Option<(String, String, String)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "UPDATE wallet_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
             RETURNING tenant_id, user_id, id",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(pool)
        .await?
    });
    Ok(row)
}

/// A link as it stands, read without using it: its tenant, and whether it would still open
/// a session at `now` (unused and unexpired); `None` when no link has that token.
pub async fn peek_link(db: &Db, token_hash: &str, now: i64) -> anyhow::Result<Option<(String, bool)>> {
    let row: Option<(String, Option<i64>, i64)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT tenant_id, used_at, expires_at FROM wallet_links WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.map(|(tenant_id, used_at, expires_at)| (tenant_id, used_at.is_none() && expires_at > now)))
}

/// A code sent (or, for a phone no user has, not sent) to sign in.
pub struct NewCode<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub phone: &'a str,
    pub user_id: Option<&'a str>,
    pub code_hash: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

pub async fn insert_code(db: &Db, code: &NewCode<'_>) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query(
            "INSERT INTO wallet_sign_in_codes (id, tenant_id, phone, user_id, code_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(code.id)
        .bind(code.tenant_id)
        .bind(code.phone)
        .bind(code.user_id)
        .bind(code.code_hash)
        .bind(code.created_at)
        .bind(code.expires_at)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// A sign-in code as stored, after one more try was counted against it.
pub struct TriedCode {
    pub tenant_id: String,
    pub user_id: Option<String>,
    pub code_hash: String,
    /// Tries so far, this one included.
    pub attempts: i64,
    pub expires_at: i64,
}

/// Counts one try against code `id` unless it is used or has had `attempts_max` tries
/// already; the code as it is then, or `None` when no try is left (or there is no such
/// code).
pub async fn try_code(db: &Db, id: &str, attempts_max: i64) -> anyhow::Result<Option<TriedCode>> {
    let row: Option<(String, Option<String>, String, i64, i64)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "UPDATE wallet_sign_in_codes SET attempts = attempts + 1 \
             WHERE id = $1 AND used_at IS NULL AND attempts < $2 \
             RETURNING tenant_id, user_id, code_hash, CAST(attempts AS BIGINT), expires_at",
        )
        .bind(id)
        .bind(attempts_max)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(|(tenant_id, user_id, code_hash, attempts, expires_at)| TriedCode {
        tenant_id,
        user_id,
        code_hash,
        attempts,
        expires_at,
    }))
}

/// A sign-in code as it stands, read without counting a try.
pub struct StoredCode {
    pub tenant_id: String,
    pub phone: String,
    /// Tries so far.
    pub attempts: i64,
    pub expires_at: i64,
    pub used: bool,
}

/// Code `id` as it stands; `None` when there is no such code.
pub async fn code(db: &Db, id: &str) -> anyhow::Result<Option<StoredCode>> {
    let row: Option<(String, String, i64, i64, Option<i64>)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT tenant_id, phone, CAST(attempts AS BIGINT), expires_at, used_at FROM wallet_sign_in_codes \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(|(tenant_id, phone, attempts, expires_at, used_at)| StoredCode {
        tenant_id,
        phone,
        attempts,
        expires_at,
        used: used_at.is_some(),
    }))
}

/// Marks code `id` used; `false` if it was used already (a second tab won).
pub async fn use_code(db: &Db, id: &str, now: i64) -> anyhow::Result<bool> {
    let done = on_db!(db, |pool, _d| {
        sqlx::query("UPDATE wallet_sign_in_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(done == 1)
}

/// The user of `tenant_id` with phone `phone`; the newest if several share it.
pub async fn user_with_phone(db: &Db, tenant_id: &str, phone: &str) -> anyhow::Result<Option<String>> {
    let row: Option<(String,)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT id FROM users WHERE tenant_id = $1 AND phone = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(tenant_id)
        .bind(phone)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(|(id,)| id))
}

/// A session as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub opened_by: String,
    pub user_agent: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ended_at: Option<i64>,
}

type SessionRow = (String, String, String, String, String, i64, i64, Option<i64>);

const SESSION_COLUMNS: &str = "id, tenant_id, user_id, opened_by, user_agent, created_at, last_seen_at, ended_at";

fn session((id, tenant_id, user_id, opened_by, user_agent, created_at, last_seen_at, ended_at): SessionRow) -> Session {
    Session { id, tenant_id, user_id, opened_by, user_agent, created_at, last_seen_at, ended_at }
}

pub async fn insert_session(db: &Db, session: &Session, token_hash: &str) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query(
            "INSERT INTO wallet_sessions (id, token_hash, tenant_id, user_id, opened_by, user_agent, created_at, \
             last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&session.id)
        .bind(token_hash)
        .bind(&session.tenant_id)
        .bind(&session.user_id)
        .bind(&session.opened_by)
        .bind(&session.user_agent)
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .execute(pool)
        .await?;
    });
    Ok(())
}

pub async fn session_with_token(db: &Db, token_hash: &str) -> anyhow::Result<Option<Session>> {
    let row: Option<SessionRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM wallet_sessions WHERE token_hash = $1");
        sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await?
    });
    Ok(row.map(session))
}

/// Records that session `id` was used at `now`.
pub async fn touch(db: &Db, id: &str, now: i64) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("UPDATE wallet_sessions SET last_seen_at = $1 WHERE id = $2 AND ended_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Ends user `user_id`'s open sessions whose ids `which` selects: one session, or every
/// one but one. How many it ended.
pub async fn end(db: &Db, tenant_id: &str, user_id: &str, which: Which<'_>, now: i64) -> anyhow::Result<u64> {
    let (sql, id) = match which {
        Which::Only(id) => ("AND id = $4", id),
        Which::AllBut(id) => ("AND id <> $4", id),
    };
    let sql = format!(
        "UPDATE wallet_sessions SET ended_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND ended_at IS NULL {sql}"
    );
    let done = on_db!(db, |pool, _d| {
        sqlx::query(&sql).bind(now).bind(tenant_id).bind(user_id).bind(id).execute(pool).await?.rows_affected()
    });
    Ok(done)
}

/// Which of a user's sessions [`end`] ends.
#[derive(Clone, Copy, Debug)]
pub enum Which<'a> {
    Only(&'a str),
    AllBut(&'a str),
}

/// User `user_id`'s sessions not ended and last seen after `seen_after`, newest first.
pub async fn open_sessions(db: &Db, tenant_id: &str, user_id: &str, seen_after: i64) -> anyhow::Result<Vec<Session>> {
    let rows: Vec<SessionRow> = on_db!(db, |pool, _d| {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM wallet_sessions WHERE tenant_id = $1 AND user_id = $2 \
             AND ended_at IS NULL AND last_seen_at > $3 ORDER BY created_at DESC, id DESC LIMIT 50"
        );
        sqlx::query_as(&sql).bind(tenant_id).bind(user_id).bind(seen_after).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(session).collect())
}
