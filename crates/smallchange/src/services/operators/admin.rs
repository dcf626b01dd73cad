//! What an admin (or the command line) does to operators: create one and hand out its
//! set-up link, disable one, or give one a new set-up link when it lost its password or
//! authenticator. Each is one unit with its event.

use std::sync::Arc;

use serde_json::json;

use super::{setup_url, Shown, LINK_PURPOSE, SETUP_TTL_US};
use crate::clock::rfc3339;
use crate::context::Context;
use crate::domain::operator::{Email, Role};
use crate::events::{Happened, Kind};
use crate::services::commit::{commit, refused};
use crate::services::tokens::new_token;
use crate::services::{Actor, Error};
use crate::store::operators::{self, Operator, SetupLink};
use crate::store::tenants::{self, new_id};
use crate::unit::{Guard, Refusal, Row, Unit, UnitOutput};

/// An operator just created or reset, and its one-time set-up link (shown only now).
#[derive(Clone, Debug)]
pub struct Invited {
    pub operator: Shown,
    pub setup_url: String,
    pub expires_at: i64,
}

/// Creates operator `email` with `role` in tenant `tenant_id`; `email_taken` if any
/// operator of the deployment has that email already.
pub async fn create(ctx: &Context, actor: &Actor, tenant_id: &str, email: &str, role: &str) -> Result<Invited, Error> {
    let email = Email::parse(email)?;
    let role = Role::checked(role)?;
    if tenants::tenant_name(&ctx.db, tenant_id).await?.is_none() {
        return Err(Error::not_found("no such tenant"));
    }
    if operators::by_email(&ctx.db, &email.key).await?.is_some() {
        return Err(taken());
    }
    let now = ctx.clock.now_us();
    let operator = Operator {
        id: new_id("opu", 20),
        tenant_id: tenant_id.to_string(),
        email: email.shown.clone(),
        email_key: email.key.clone(),
        role: role.as_str().to_string(),
        password_hash: None,
        totp_sealed: None,
        totp_last_step: None,
        created_at: now,
        created_by: actor.recorded(),
        disabled_at: None,
    };
    let (token, link, link_row) = new_link(ctx, &operator, now);
    let data = json!({"role": role.as_str(), "link_id": link.id, "expires_at": rfc3339(link.expires_at)});
    let event = Happened::new(tenant_id, actor, &operator.id, Kind::OperatorCreated, data, now).with_personal(
        &operator.id,
        "email",
        &email.shown,
    );
    // Two creations of one email race on its unique key: the loser's insert changes
    // nothing, and it hears `email_taken`.
    let guard = Guard { row: operators::insert_row(&operator), refusal: Refusal::new("email_taken", TAKEN) };
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), vec![link_row]).with_event(event).with_guard(guard);
    commit(ctx, None, unit, refused_or_done()).await?;
    Ok(Invited { operator: Shown::of(&operator), setup_url: setup_url(ctx, &token), expires_at: link.expires_at })
}

/// Disables operator `email` of tenant `tenant_id`: its sessions end at once and its set-up
/// links stop working. `operator_disabled` if it was already.
pub async fn disable(ctx: &Context, actor: &Actor, tenant_id: &str, email: &str) -> Result<Shown, Error> {
    let operator = existing(ctx, tenant_id, email).await?;
    let now = ctx.clock.now_us();
    let guard = Guard {
        row: operators::disable_row(tenant_id, &operator.id, now),
        refusal: Refusal::new("operator_disabled", "this operator is disabled already"),
    };
    let rows = vec![operators::end_sessions_row(&operator.id, now), operators::revoke_links_row(&operator.id, now)];
    let event = Happened::new(tenant_id, actor, &operator.id, Kind::OperatorDisabled, json!({}), now);
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), rows).with_event(event).with_guard(guard);
    commit(ctx, None, unit, refused_or_done()).await?;
    Ok(Shown { state: "disabled", ..Shown::of(&operator) })
}

/// Gives operator `email` a new set-up link: its password and authenticator stop working
/// at once, its sessions end and its older links are revoked. For one who lost either.
pub async fn reset(ctx: &Context, actor: &Actor, tenant_id: &str, email: &str) -> Result<Invited, Error> {
    let operator = existing(ctx, tenant_id, email).await?;
    if operator.disabled_at.is_some() {
        return Err(Error::conflict("operator_disabled", "this operator is disabled"));
    }
    let now = ctx.clock.now_us();
    let (token, link, link_row) = new_link(ctx, &operator, now);
    let rows: Vec<Row> = vec![
        operators::forget_credentials_row(tenant_id, &operator.id),
        operators::end_sessions_row(&operator.id, now),
        operators::revoke_links_row(&operator.id, now),
        link_row,
    ];
    let data = json!({"link_id": link.id, "expires_at": rfc3339(link.expires_at)});
    let event = Happened::new(tenant_id, actor, &operator.id, Kind::OperatorReset, data, now);
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), rows).with_event(event);
    commit(ctx, None, unit, refused_or_done()).await?;
    let operator = Operator { password_hash: None, totp_sealed: None, ..operator };
    Ok(Invited { operator: Shown::of(&operator), setup_url: setup_url(ctx, &token), expires_at: link.expires_at })
}

/// Operator `email` of tenant `tenant_id`; `not_found` for another tenant's.
async fn existing(ctx: &Context, tenant_id: &str, email: &str) -> Result<Operator, Error> {
    let email = Email::parse(email)?;
    operators::by_email(&ctx.db, &email.key)
        .await?
        .filter(|operator| operator.tenant_id == tenant_id)
        .ok_or_else(|| Error::not_found("no operator with this email"))
}

/// A new set-up link for `operator`: its token, the link and its row.
fn new_link(ctx: &Context, operator: &Operator, now: i64) -> (String, SetupLink, Row) {
    let token = new_token();
    let link = SetupLink {
        id: new_id("osl", 20),
        operator_id: operator.id.clone(),
        tenant_id: operator.tenant_id.clone(),
        created_at: now,
        expires_at: now + SETUP_TTL_US,
        password_hash: None,
        totp_sealed: None,
        used_at: None,
        revoked_at: None,
    };
    let row = operators::link_row(&link, &ctx.secrets.lookup_hash(LINK_PURPOSE, &token));
    (token, link, row)
}

const TAKEN: &str = "an operator with this email exists already";

fn taken() -> Error {
    Error::conflict("email_taken", TAKEN)
}

/// A guarded unit's refusal as its error, else done.
fn refused_or_done() -> crate::services::commit::Interpret<()> {
    Arc::new(|outcome: &UnitOutput| refused(outcome).map_or(Ok(()), Err))
}
