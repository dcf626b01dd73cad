//! Wallet links: how a platform sends its signed-in user into the web wallet (as the hosted
//! account pages of payment APIs do). The operator asks for a link for one user; the link
//! opens a session for that user once, within five minutes, and never again.

use super::{new_token, plausible_token, sessions};
use crate::context::Context;
use crate::services::commit::{write_rows, Answer, Retry};
use crate::services::{users, Actor, Error};
use crate::store::tenants::new_id;
use crate::store::wallet_access::{self, NewLink};

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
    write_rows(ctx, retry, vec![row], made).await
}

/// Opens a session from link `token`, using the link up; `None` when the link is unknown,
/// used already or expired (the person is told the same for each).
pub async fn open(ctx: &Context, token: &str, user_agent: &str) -> Result<Option<sessions::Opened>, Error> {
    if !plausible_token(token) {
        return Ok(None);
    }
    let token_hash = ctx.secrets.lookup_hash(PURPOSE, token);
    let Some((tenant_id, user_id, _link_id)) =
        wallet_access::use_link(&ctx.db, &token_hash, ctx.clock.now_us()).await?
    else {
        return Ok(None);
    };
    Ok(Some(sessions::open(ctx, &tenant_id, &user_id, "link", user_agent).await?))
}
