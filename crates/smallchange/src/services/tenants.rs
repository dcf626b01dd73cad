//! Tenants and their API keys, as whoever runs a deployment manages them (the CLI): each
//! change is recorded (`tenant.created`, `api_key.created`, `api_key.revoked`) in the commit
//! that makes it. The CLI has no server's committer at hand, so these run one of their own
//! for the one unit ([`alone`]); the units move no money, so it may run beside a server's.

use serde_json::json;

use super::commit::alone;
use super::Actor;
use crate::config::Settings;
use crate::events::{Happened, Kind};
use crate::store::tenants::{self, Role};
use crate::store::{now_us, Db};
use crate::unit::{Guard, Refusal, Unit, UnitOutput};

/// Creates a tenant named `name`, asked by `actor`: its id.
pub async fn create(db: &Db, settings: &Settings, actor: &Actor, name: &str) -> anyhow::Result<String> {
    let at = now_us();
    let id = tenants::new_id("ten", 16);
    let event = Happened::new(&id, actor, &id, Kind::TenantCreated, json!({ "name": name }), at);
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), vec![tenants::tenant_row(&id, name, at)]);
    ensure(alone(db, settings, unit.with_event(event).into()).await?, "creating the tenant")?;
    Ok(id)
}

/// Creates a key of `role` for `tenant_id`, asked by `actor`: its id and its secret (shown
/// once, never stored).
pub async fn create_key(
    db: &Db,
    settings: &Settings,
    actor: &Actor,
    tenant_id: &str,
    role: Role,
) -> anyhow::Result<(String, String)> {
    let at = now_us();
    let (id, secret, row) = tenants::new_key(tenant_id, role, at);
    let data = json!({"role": role.as_str(), "secret_prefix": tenants::secret_prefix(&secret)});
    let event = Happened::new(tenant_id, actor, &id, Kind::ApiKeyCreated, data, at);
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), vec![row]).with_event(event);
    ensure(alone(db, settings, unit.into()).await?, "creating the key")?;
    Ok((id, secret))
}

/// Revokes key `key_id` of `tenant_id`, asked by `actor`; `false` (and nothing recorded)
/// if it was revoked already.
pub async fn revoke_key(
    db: &Db,
    settings: &Settings,
    actor: &Actor,
    tenant_id: &str,
    key_id: &str,
) -> anyhow::Result<bool> {
    let at = now_us();
    let guard =
        Guard { row: tenants::revoke_row(key_id, at), refusal: Refusal::new("invalid_state", "revoked already") };
    let event = Happened::new(tenant_id, actor, key_id, Kind::ApiKeyRevoked, json!({}), at);
    let unit = Unit::fixed(Vec::new(), Vec::new(), Vec::new(), Vec::new()).with_event(event).with_guard(guard);
    Ok(alone(db, settings, unit.into()).await?.succeeded())
}

fn ensure(outcome: UnitOutput, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(outcome.succeeded(), "{what} failed: {outcome:?}");
    Ok(())
}
