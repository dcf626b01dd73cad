//! Web wallet sessions, kept server-side so that a user can see and end them: the browser
//! holds only a random token (its cookie). A session ends when its user signs out or ends
//! it from another, after 15 minutes unused, and 12 hours after it opened, whatever happens.
//! Opening one is part of the use case that lets the person in (a link, a code); ending
//! one is recorded as `wallet.session_ended`. Noting that a session was used is not.

use std::sync::Arc;

use serde_json::json;

use super::{new_token, plausible_token};
use crate::context::Context;
use crate::events::{Happened, Kind};
use crate::services::commit::commit;
use crate::services::{Actor, Error};
use crate::store::tenants::new_id;
use crate::store::wallet_access::{self, Session};
use crate::unit::{Guard, Refusal, Row, Unit, UnitOutput};

/// A session unused this long is over.
pub const IDLE_US: i64 = 15 * 60 * 1_000_000;
/// No session lasts longer than this.
pub const ABSOLUTE_US: i64 = 12 * 60 * 60 * 1_000_000;
/// How stale `last_seen_at` may get before a request writes it again: keeps a page view
/// from costing a write, at the price of ending a session up to this much early.
const TOUCH_EVERY_US: i64 = 30 * 1_000_000;
/// The browser's name is kept this short.
const USER_AGENT_CHARS_MAX: usize = 200;
/// What session tokens are hashed for.
const PURPOSE: &str = "wallet-session";

/// A session just opened: the token for the browser's cookie (shown only now) and the row.
#[derive(Clone, Debug)]
pub struct Opened {
    pub token: String,
    pub session: Session,
}

/// A new session for user `user_id`, as `opened_by` (`link` or `phone`) from the browser
/// calling itself `user_agent`, and the row that stores it (by its token's hash): the
/// use case that opens it commits the row with its event.
pub fn new(ctx: &Context, tenant_id: &str, user_id: &str, opened_by: &str, user_agent: &str) -> (Opened, Row) {
    let token = new_token();
    let now = ctx.clock.now_us();
    let session = Session {
        id: new_id("wss", 20),
        tenant_id: tenant_id.to_string(),
        user_id: user_id.to_string(),
        opened_by: opened_by.to_string(),
        user_agent: user_agent.chars().take(USER_AGENT_CHARS_MAX).collect(),
        created_at: now,
        last_seen_at: now,
        ended_at: None,
    };
    let row = wallet_access::session_row(&session, &ctx.secrets.lookup_hash(PURPOSE, &token));
    (Opened { token, session }, row)
}

/// The live session whose cookie is `token`, noting that it was used now; `None` when
/// there is none, or it ended, idled out or grew too old.
pub async fn resume(ctx: &Context, token: &str) -> Result<Option<Session>, Error> {
    if !plausible_token(token) {
        return Ok(None);
    }
    let found = wallet_access::session_with_token(&ctx.db, &ctx.secrets.lookup_hash(PURPOSE, token)).await?;
    let now = ctx.clock.now_us();
    let Some(session) = found.filter(|s| is_live(s, now)) else { return Ok(None) };
    if now - session.last_seen_at >= TOUCH_EVERY_US {
        wallet_access::touch(&ctx.db, &session.id, now).await?;
    }
    Ok(Some(session))
}

fn is_live(session: &Session, now: i64) -> bool {
    session.ended_at.is_none() && now - session.last_seen_at < IDLE_US && now - session.created_at < ABSOLUTE_US
}

/// The user's live sessions, newest first.
pub async fn of_user(ctx: &Context, session: &Session) -> Result<Vec<Session>, Error> {
    let now = ctx.clock.now_us();
    let open = wallet_access::open_sessions(&ctx.db, &session.tenant_id, &session.user_id, now - IDLE_US).await?;
    Ok(open.into_iter().filter(|s| is_live(s, now)).collect())
}

/// Ends `session` (signing out).
pub async fn end(ctx: &Context, session: &Session) -> Result<(), Error> {
    end_ids(ctx, session, vec![session.id.clone()]).await?;
    Ok(())
}

/// Ends one of the user's own sessions, `id`; another user's id ends nothing and is
/// answered `not_found`.
pub async fn end_one(ctx: &Context, session: &Session, id: &str) -> Result<(), Error> {
    if !end_ids(ctx, session, vec![id.to_string()]).await? {
        return Err(Error::not_found("no such session"));
    }
    Ok(())
}

/// Ends every session of the user but `session`; how many it ended.
pub async fn end_others(ctx: &Context, session: &Session) -> Result<u64, Error> {
    let unended =
        wallet_access::unended_sessions(&ctx.db, &session.tenant_id, &session.user_id, SESSIONS_END_MAX).await?;
    let others: Vec<String> = unended.into_iter().filter(|id| *id != session.id).collect();
    let count = others.len() as u64;
    if others.is_empty() || !end_ids(ctx, session, others).await? {
        return Ok(0);
    }
    Ok(count)
}

/// Most sessions one "end the others" ends.
const SESSIONS_END_MAX: i64 = 500;

/// Ends sessions `ids` of `session`'s user, asked from `session`, recorded as one
/// `wallet.session_ended`. The first id's end is the guard: `false` (and nothing written)
/// when it was not the user's open session.
async fn end_ids(ctx: &Context, session: &Session, ids: Vec<String>) -> Result<bool, Error> {
    let now = ctx.clock.now_us();
    let (tenant, user) = (&session.tenant_id, &session.user_id);
    let mut rows: Vec<Row> = ids.iter().map(|id| wallet_access::end_row(tenant, user, id, now)).collect();
    let guard = Guard { row: rows.remove(0), refusal: Refusal::missing("no such session") };
    let actor = Actor::EndUser { user_id: user.clone() };
    let data = json!({"session_ids": ids, "from_session_id": session.id});
    let event = Happened::new(tenant, &actor, user, Kind::WalletSessionEnded, data, now);
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), rows).with_event(event).with_guard(guard);
    let interpret = Arc::new(|outcome: &UnitOutput| Ok(outcome.succeeded()));
    Ok(commit(ctx, None, unit, interpret).await?.done().copied().unwrap_or(false))
}
