//! Who the people of a wallet deal with, said one way everywhere: the sign-in page, the
//! wallet link's page, every SMS and every receipt ask here for the operator's name, so
//! they cannot drift apart. The name is `[cashout] business_name` (or the tenant's own
//! `[cashout_tenants]` table), and unset, the name the tenant was created with (`tenants
//! create`); never a placeholder.

use crate::context::Context;
use crate::domain::cashout_policy::Operator;
use crate::services::Error;
use crate::store::tenants;

/// Tenant `tenant_id`'s operator; `not_found` when there is no such tenant.
pub async fn of(ctx: &Context, tenant_id: &str) -> Result<Operator, Error> {
    let Some(tenant_name) = tenants::tenant_name(&ctx.db, tenant_id).await? else {
        return Err(Error::not_found("no such wallet"));
    };
    Ok(ctx.settings.cashout_policy(tenant_id).operator(&tenant_name))
}
