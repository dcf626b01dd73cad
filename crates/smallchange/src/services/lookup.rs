//! Finding what a request names, or the not-found error that names it.

use super::Error;
use crate::context::Context;
use crate::store::users::{self, User};

/// The tenant's user `id`, or not found.
pub async fn user(ctx: &Context, tenant: &str, id: &str) -> Result<User, Error> {
    let user = users::get(&ctx.db, tenant, id).await?;
    user.ok_or_else(|| Error::not_found(format!("no user {id}")))
}
