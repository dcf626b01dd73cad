//! The web wallet's ways in: one-time links, phone sign-in codes and sessions. Each secret
//! (link token, session cookie, code) is stored as a keyed hash, never as itself. A link and
//! a code are used up by one conditional update (the guard of the unit that opens the
//! session), so two tabs racing get one session.

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

/// The link whose token hashes to `token_hash` if it is unused and unexpired at `now`: its
/// tenant, user and id; `None` for any other link (unknown, used, expired).
pub async fn live_link(db: &Db, token_hash: &str, now: i64) -> anyhow::Result<Option<(String, String, String)>> {
    let row: Option<(String, String, String)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT tenant_id, user_id, id FROM wallet_links WHERE token_hash = $1 AND used_at IS NULL \
             AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await?
    });
    Ok(row)
}

/// Uses up link `id` if it is unused and unexpired at `now`: one conditional update, the
/// guard opening a link stands on, so two tabs racing get one session.
pub fn use_link_row(id: &str, now: i64) -> Row {
    Row {
        sql: "UPDATE wallet_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
        params: vec![now.into(), id.into()],
    }
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

pub fn code_row(code: &NewCode<'_>) -> Row {
    Row {
        sql: "INSERT INTO wallet_sign_in_codes (id, tenant_id, phone, user_id, code_hash, created_at, expires_at) \
              VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params: vec![
            code.id.into(),
            code.tenant_id.into(),
            code.phone.into(),
            code.user_id.into(),
            code.code_hash.into(),
            code.created_at.into(),
            code.expires_at.into(),
        ],
    }
}

/// Counts one try against code `id` unless it is used or has had `attempts_max` tries
/// already; with `used_at`, also uses it up (the right code). The guard every try stands
/// on: of racing tries, no more than `attempts_max` count, and one uses the code.
pub fn try_code_row(id: &str, attempts_max: i64, used_at: Option<i64>) -> Row {
    match used_at {
        Some(at) => Row {
            sql: "UPDATE wallet_sign_in_codes SET attempts = attempts + 1, used_at = $1 \
                  WHERE id = $2 AND used_at IS NULL AND attempts < $3",
            params: vec![at.into(), id.into(), attempts_max.into()],
        },
        // Not `used_at = NULL` bound as a parameter: PostgreSQL would take it for text.
        None => Row {
            sql: "UPDATE wallet_sign_in_codes SET attempts = attempts + 1 \
                  WHERE id = $1 AND used_at IS NULL AND attempts < $2",
            params: vec![id.into(), attempts_max.into()],
        },
    }
}

/// A sign-in code as it stands, read without counting a try.
pub struct StoredCode {
    pub tenant_id: String,
    pub phone: String,
    /// The user with the number when the code was made; `None` if none had it.
    pub user_id: Option<String>,
    pub code_hash: String,
    /// Tries so far.
    pub attempts: i64,
    pub expires_at: i64,
    pub used: bool,
}

/// Code `id` as it stands; `None` when there is no such code.
pub async fn code(db: &Db, id: &str) -> anyhow::Result<Option<StoredCode>> {
    type CodeRow = (String, String, Option<String>, String, i64, i64, Option<i64>);
    let row: Option<CodeRow> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT tenant_id, phone, user_id, code_hash, CAST(attempts AS BIGINT), expires_at, used_at \
             FROM wallet_sign_in_codes WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(|(tenant_id, phone, user_id, code_hash, attempts, expires_at, used_at)| StoredCode {
        tenant_id,
        phone,
        user_id,
        code_hash,
        attempts,
        expires_at,
        used: used_at.is_some(),
    }))
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

pub fn session_row(session: &Session, token_hash: &str) -> Row {
    Row {
        sql: "INSERT INTO wallet_sessions (id, token_hash, tenant_id, user_id, opened_by, user_agent, created_at, \
              last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params: vec![
            session.id.as_str().into(),
            token_hash.into(),
            session.tenant_id.as_str().into(),
            session.user_id.as_str().into(),
            session.opened_by.as_str().into(),
            session.user_agent.as_str().into(),
            session.created_at.into(),
            session.last_seen_at.into(),
        ],
    }
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

/// Ends user `user_id`'s open session `id` at `now`: changes no row if it is not theirs or
/// ended already.
pub fn end_row(tenant_id: &str, user_id: &str, id: &str, now: i64) -> Row {
    Row {
        sql: "UPDATE wallet_sessions SET ended_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND id = $4 \
              AND ended_at IS NULL",
        params: vec![now.into(), tenant_id.into(), user_id.into(), id.into()],
    }
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

/// The ids of user `user_id`'s sessions not ended, oldest first, at most `limit`.
pub async fn unended_sessions(db: &Db, tenant_id: &str, user_id: &str, limit: i64) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String,)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT id FROM wallet_sessions WHERE tenant_id = $1 AND user_id = $2 AND ended_at IS NULL \
             ORDER BY created_at, id LIMIT $3",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
