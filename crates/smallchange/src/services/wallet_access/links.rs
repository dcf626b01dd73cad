//! Wallet links: how a platform sends its signed-in user into the web wallet (as the hosted
//! account pages of payment APIs do). The operator asks for a link for one user; the link
//! opens a session for that user once, within five minutes, and never again. Opening takes
//! a press of a button on the link's page (a POST): the page itself (a GET) changes nothing,
//! because messengers fetch every link they are sent to draw a preview of it.

use std::sync::Arc;

use serde_json::json;

use super::{new_token, plausible_token, sessions};
use crate::clock::rfc3339;
use crate::context::Context;
use crate::domain::cashout_policy::Operator;
use crate::events::{Happened, Kind};
use crate::limits::client_address as client;
use crate::services::commit::{commit, write_rows_recording, Answer, Retry};
use crate::services::operator;
use crate::services::{users, Actor, Error};
use crate::store::tenants::new_id;
use crate::store::wallet_access::{self, NewLink};
use crate::unit::{Guard, Refusal, Unit, UnitOutput};

/// How long a link opens a session.
pub const LINK_TTL_US: i64 = 5 * 60 * 1_000_000;
/// What link tokens are hashed for.
const PURPOSE: &str = "wallet-link";

/// A new link: its address (absolute when `public_base_url` is set) and when it stops
/// opening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub id: String,
    pub url: String,
    pub expires_at: i64,
}

/// Makes a link that opens a wallet session for user `user_id`, recording `actor` as who
/// made it.
/// Once per retry key: a retry gets the first link again.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    tenant_id: &str,
    user_id: &str,
    retry: Option<Retry<Link>>,
) -> Result<Answer<Link>, Error> {
    let user = users::existing(ctx, tenant_id, user_id).await?;
    let token = new_token();
    let now = ctx.clock.now_us();
    let id = new_id("wlk", 20);
    let token_hash = ctx.secrets.lookup_hash(PURPOSE, &token);
    let link = NewLink {
        id: &id,
        token_hash: &token_hash,
        tenant_id,
        user_id: &user.id,
        actor: &actor.recorded(),
        created_at: now,
        expires_at: now + LINK_TTL_US,
    };
    let row = wallet_access::link_row(&link);
    let base = ctx.settings.public_base_url.trim_end_matches('/');
    let made = Link { id: id.clone(), url: format!("{base}/wallet/link/{token}"), expires_at: now + LINK_TTL_US };
    let data = json!({"link_id": id, "expires_at": rfc3339(now + LINK_TTL_US)});
    let event = Happened::new(tenant_id, actor, &user.id, Kind::WalletLinkCreated, data, now);
    write_rows_recording(ctx, retry, vec![row], event, made).await
}

/// What the link's page may show before the link is used: whose wallet it opens (the
/// operator, never the user). `None` when the link would not open (unknown, used already or
/// expired: the person is told the same for each). Looking does not use the link up, so a
/// messenger fetching it to draw a preview leaves it working.
pub async fn peek(ctx: &Context, token: &str, address: &str) -> Result<Option<Operator>, Error> {
    let Some(token_hash) = admitted(ctx, token, address)? else { return Ok(None) };
    let found = wallet_access::peek_link(&ctx.db, &token_hash, ctx.clock.now_us()).await?;
    let Some((tenant_id, live)) = found else {
        ctx.guards.wallet_link_failures.failed(client(address));
        return Ok(None);
    };
    if !live {
        return Ok(None);
    }
    Ok(Some(operator::of(ctx, &tenant_id).await?))
}

/// Opens a session from link `token`, using the link up; `None` when the link is unknown,
/// used already or expired (the person is told the same for each).
pub async fn open(
    ctx: &Context,
    token: &str,
    address: &str,
    user_agent: &str,
) -> Result<Option<sessions::Opened>, Error> {
    let Some(token_hash) = admitted(ctx, token, address)? else { return Ok(None) };
    let now = ctx.clock.now_us();
    let Some((tenant_id, user_id, link_id)) = wallet_access::live_link(&ctx.db, &token_hash, now).await? else {
        if wallet_access::peek_link(&ctx.db, &token_hash, now).await?.is_none() {
            ctx.guards.wallet_link_failures.failed(client(address));
        }
        return Ok(None);
    };
    // Using the link up is the guard: of two tabs racing, one opens a session.
    let (opened, session_row) = sessions::new(ctx, &tenant_id, &user_id, "link", user_agent);
    let guard = Guard {
        row: wallet_access::use_link_row(&link_id, now),
        refusal: Refusal::new("link_used", "the link was used meanwhile"),
    };
    let actor = Actor::EndUser { user_id: user_id.clone() };
    let data = json!({"link_id": link_id, "session_id": opened.session.id});
    let event = Happened::new(&tenant_id, &actor, &user_id, Kind::WalletLinkOpened, data, now);
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), vec![session_row]).with_event(event).with_guard(guard);
    let interpret = Arc::new(|outcome: &UnitOutput| Ok(outcome.succeeded()));
    let done = commit(ctx, None, unit, interpret).await?.done().copied().unwrap_or(false);
    Ok(done.then_some(opened))
}

/// The hash to look token `token` up by, once `address` may try one
/// ([`crate::limits::LinkFailures`]); `None` for what cannot be a token, which
/// counts against the address as a token no link has.
fn admitted(ctx: &Context, token: &str, address: &str) -> Result<Option<String>, Error> {
    ctx.guards.wallet_link_failures.admit(client(address))?;
    if !plausible_token(token) {
        ctx.guards.wallet_link_failures.failed(client(address));
        return Ok(None);
    }
    Ok(Some(ctx.secrets.lookup_hash(PURPOSE, token)))
}
