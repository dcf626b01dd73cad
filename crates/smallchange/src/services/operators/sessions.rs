//! Console sessions, server-side like the wallet's: the browser holds only a random token.
//! A session ends when its operator signs out, is disabled or reset, after 30 minutes
//! unused, and 12 hours after it opened, whatever happens. Only an operator who is set up
//! and not disabled has a live session.

use std::sync::Arc;

use serde_json::json;

use super::SESSION_PURPOSE;
use crate::context::Context;
use crate::events::{Happened, Kind};
use crate::services::commit::commit;
use crate::services::tokens::{new_token, plausible_token};
use crate::services::{Actor, Error};
use crate::store::operators::{self, Operator, Session};
use crate::store::tenants::new_id;
use crate::unit::{Row, Unit, UnitOutput};

/// A session unused this long is over.
pub const IDLE_US: i64 = 30 * 60 * 1_000_000;
/// No session lasts longer than this.
pub const ABSOLUTE_US: i64 = 12 * 60 * 60 * 1_000_000;
/// How stale `last_seen_at` may get before a request writes it again.
const TOUCH_EVERY_US: i64 = 30 * 1_000_000;
/// The browser's name is kept this short.
const USER_AGENT_CHARS_MAX: usize = 200;

/// A session just opened: the token for the browser's cookie (shown only now) and the row.
#[derive(Clone, Debug)]
pub struct Opened {
    pub token: String,
    pub session: Session,
}

/// A live session and its operator.
#[derive(Clone, Debug)]
pub struct Live {
    pub session: Session,
    pub operator: Operator,
}

impl Live {
    /// The operator, as the one who caused a change.
    pub fn actor(&self) -> Actor {
        Actor::OperatorUser { user_id: self.operator.id.clone(), role: super::role_of(&self.operator) }
    }
}

/// A new session for `operator` from `address` and the browser calling itself
/// `user_agent`, and the row that stores it: the use case that lets the operator in
/// commits the row with its event.
pub fn new(ctx: &Context, operator: &Operator, address: &str, user_agent: &str) -> (Opened, Row) {
    let token = new_token();
    let now = ctx.clock.now_us();
    let session = Session {
        id: new_id("ops", 20),
        operator_id: operator.id.clone(),
        tenant_id: operator.tenant_id.clone(),
        user_agent: user_agent.chars().take(USER_AGENT_CHARS_MAX).collect(),
        address: address.to_string(),
        created_at: now,
        last_seen_at: now,
        ended_at: None,
    };
    let row = operators::session_row(&session, &ctx.secrets.lookup_hash(SESSION_PURPOSE, &token));
    (Opened { token, session }, row)
}

/// The live session whose cookie is `token`, noting that it was used now; `None` when
/// there is none, it ended, idled out or grew too old, or its operator cannot sign in.
pub async fn resume(ctx: &Context, token: &str) -> Result<Option<Live>, Error> {
    if !plausible_token(token) {
        return Ok(None);
    }
    let found = operators::session_with_token(&ctx.db, &ctx.secrets.lookup_hash(SESSION_PURPOSE, token)).await?;
    let now = ctx.clock.now_us();
    let Some(session) = found.filter(|s| is_live(s, now)) else { return Ok(None) };
    let operator = operators::by_id(&ctx.db, &session.tenant_id, &session.operator_id).await?;
    let Some(operator) = operator.filter(|o| o.disabled_at.is_none() && o.is_set_up()) else { return Ok(None) };
    if now - session.last_seen_at >= TOUCH_EVERY_US {
        operators::touch(&ctx.db, &session.id, now).await?;
    }
    Ok(Some(Live { session, operator }))
}

fn is_live(session: &Session, now: i64) -> bool {
    session.ended_at.is_none() && now - session.last_seen_at < IDLE_US && now - session.created_at < ABSOLUTE_US
}

/// Ends `live`'s session (signing out).
pub async fn sign_out(ctx: &Context, live: &Live) -> Result<(), Error> {
    let now = ctx.clock.now_us();
    let (tenant, operator) = (&live.session.tenant_id, &live.operator.id);
    let row = operators::end_session_row(operator, &live.session.id, now);
    let data = json!({"session_ids": [live.session.id], "why": "signed_out"});
    let event = Happened::new(tenant, &live.actor(), operator, Kind::OperatorSessionEnded, data, now);
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), vec![row]).with_event(event);
    commit(ctx, None, unit, Arc::new(|_: &UnitOutput| Ok(()))).await?;
    Ok(())
}
