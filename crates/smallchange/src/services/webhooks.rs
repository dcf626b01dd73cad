//! Webhook endpoints, as a tenant manages them: where its events are POSTed (see
//! [`crate::webhooks`] for events, [`crate::signature`] for how receivers check them), and
//! the log of every attempt to deliver them.
//!
//! An endpoint's signing secret is made here and shown once, in the answer that creates it;
//! it is kept sealed with the server key (the door writes the idempotent copy of that
//! answer sealed too). Deleting an endpoint disables it: nothing more is delivered to it,
//! and its delivery log stays readable.

use super::commit::{write_rows, Answer, Retry};
use super::page::{fetch_limit, Page};
use super::{Actor, Error};
use crate::context::Context;
use crate::domain::webhook::NewEndpoint;
use crate::store::tenants::new_id;
use crate::store::webhooks::{self, Delivery, Endpoint};

/// Most enabled endpoints one tenant may have: each event is POSTed to every one.
const ENDPOINTS_PER_TENANT_MAX: i64 = 16;
/// Random characters in a signing secret after `whsec_`: 36³² ≈ 2¹⁶⁵.
const SECRET_CHARS: usize = 32;

/// A new endpoint with its signing secret (`whsec_…`), shown this once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Created {
    pub endpoint: Endpoint,
    pub secret: String,
}

/// Creates an endpoint with a new signing secret, once per retry key; refused when the
/// tenant has as many enabled endpoints as it may.
pub async fn create_endpoint(
    ctx: &Context,
    _actor: &Actor,
    tenant_id: &str,
    new: &NewEndpoint,
    retry: Option<Retry<Created>>,
) -> Result<Answer<Created>, Error> {
    if webhooks::enabled_count(&ctx.db, tenant_id).await? >= ENDPOINTS_PER_TENANT_MAX {
        let message = format!("a tenant may have at most {ENDPOINTS_PER_TENANT_MAX} enabled webhook endpoints");
        return Err(Error::conflict("limit_exceeded", message));
    }
    let created_at = ctx.clock.now_us();
    let secret = new_id("whsec", SECRET_CHARS);
    let endpoint = Endpoint {
        id: crate::ids::time_ordered("we", created_at),
        url: new.url().to_string(),
        events: new.events().to_vec(),
        secret_sealed: ctx.secrets.seal(secret.as_bytes()),
        created_at,
        disabled_at: None,
    };
    let row = webhooks::endpoint_row(tenant_id, &endpoint);
    write_rows(ctx, retry, vec![row], Created { endpoint, secret }).await
}

/// A page of the tenant's endpoints, disabled ones too, oldest first, after the endpoint
/// `starting_after`.
pub async fn endpoints(
    ctx: &Context,
    _actor: &Actor,
    tenant_id: &str,
    starting_after: Option<&str>,
    limit: i64,
) -> Result<Page<Endpoint>, Error> {
    let found = webhooks::endpoints(&ctx.db, tenant_id, starting_after, fetch_limit(limit)).await?;
    Ok(Page::of(found, limit))
}

/// The tenant's endpoint `id`.
pub async fn endpoint(ctx: &Context, _actor: &Actor, tenant_id: &str, id: &str) -> Result<Endpoint, Error> {
    existing(ctx, tenant_id, id).await
}

/// Disables the endpoint `id`: nothing more is delivered to it. Disabling again answers
/// the same (it keeps the first time).
pub async fn disable_endpoint(ctx: &Context, _actor: &Actor, tenant_id: &str, id: &str) -> Result<Endpoint, Error> {
    if !webhooks::disable(&ctx.db, tenant_id, id, ctx.clock.now_us()).await? {
        return Err(no_endpoint(id));
    }
    existing(ctx, tenant_id, id).await
}

/// A page of endpoint `id`'s delivery log (every attempt), oldest first, after the attempt
/// `starting_after`.
pub async fn deliveries(
    ctx: &Context,
    _actor: &Actor,
    tenant_id: &str,
    id: &str,
    starting_after: Option<&str>,
    limit: i64,
) -> Result<Page<Delivery>, Error> {
    existing(ctx, tenant_id, id).await?;
    let found = webhooks::deliveries(&ctx.db, tenant_id, id, starting_after, fetch_limit(limit)).await?;
    Ok(Page::of(found, limit))
}

async fn existing(ctx: &Context, tenant_id: &str, id: &str) -> Result<Endpoint, Error> {
    webhooks::endpoint(&ctx.db, tenant_id, id).await?.ok_or_else(|| no_endpoint(id))
}

fn no_endpoint(id: &str) -> Error {
    Error::not_found(format!("no webhook endpoint {id}"))
}
