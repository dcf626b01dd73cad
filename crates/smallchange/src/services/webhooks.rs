//! Webhook endpoints, as a tenant manages them: where its events are POSTed (see
//! [`crate::webhooks`] for events, [`crate::signature`] for how receivers check them), and
//! the log of every attempt to deliver them.
//!
//! An endpoint's signing secret is made here and shown once, in the answer that creates it;
//! it is kept sealed with the server key (the door writes the idempotent copy of that
//! answer sealed too). Deleting an endpoint disables it: nothing more is delivered to it,
//! and its delivery log stays readable. Creating and disabling one are recorded
//! (`webhook_endpoint.created`, `webhook_endpoint.disabled`) in the unit that writes it.

use std::sync::Arc;

use serde_json::json;

use super::commit::{commit, write_rows_recording, Answer, Retry};
use super::page::{fetch_limit, Page};
use super::{Actor, Error};
use crate::context::Context;
use crate::domain::webhook::NewEndpoint;
use crate::events::{Happened, Kind};
use crate::store::tenants::new_id;
use crate::store::webhooks::{self, Delivery, Endpoint};
use crate::unit::{Guard, Refusal, Unit, UnitOutput};

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
    actor: &Actor,
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
    let data = json!({"url": endpoint.url, "events": endpoint.events});
    let event = Happened::new(tenant_id, actor, &endpoint.id, Kind::WebhookEndpointCreated, data, created_at);
    write_rows_recording(ctx, retry, vec![row], event, Created { endpoint, secret }).await
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

/// Disables the endpoint `id`, recorded as `webhook_endpoint.disabled` by `actor`: nothing
/// more is delivered to it. Disabling again answers the same (it keeps the first time) and
/// records nothing.
pub async fn disable_endpoint(ctx: &Context, actor: &Actor, tenant_id: &str, id: &str) -> Result<Endpoint, Error> {
    let endpoint = existing(ctx, tenant_id, id).await?;
    if endpoint.disabled_at.is_some() {
        return Ok(endpoint);
    }
    let now = ctx.clock.now_us();
    let guard = Guard {
        row: webhooks::disable_row(tenant_id, id, now),
        refusal: Refusal::new("invalid_state", "the endpoint is disabled already"),
    };
    let event = Happened::new(tenant_id, actor, id, Kind::WebhookEndpointDisabled, json!({}), now);
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), Vec::new()).with_event(event).with_guard(guard);
    // Refused only when a concurrent request disabled it first: the answer is the same.
    commit(ctx, None, unit, Arc::new(|_: &UnitOutput| Ok(()))).await?;
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
