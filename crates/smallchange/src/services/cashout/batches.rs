//! The bank rail's payout batches, for operators: the batches made so far, and one batch as
//! the pain.001 file its bank takes (see [`crate::rails::bank`] for how batches are made).

use crate::context::Context;
use crate::rails::bank;
use crate::services::Error;
use crate::store::payout_batches::{self, Batch};

/// The tenant's batches on `rail` after `after`, oldest first: at most `limit`, and whether
/// more follow. Only bank transfers are batched.
pub async fn list(
    ctx: &Context,
    tenant: &str,
    rail: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<Batch>, bool), Error> {
    if rail != bank::RAIL {
        return Err(Error::invalid("invalid_rail", "only bank_transfer payouts are batched", "rail"));
    }
    let found = payout_batches::list(&ctx.db, tenant, rail, after, limit + 1).await?;
    Ok(super::page(found, limit))
}

/// A batch and its pain.001 file.
pub async fn file(ctx: &Context, tenant: &str, id: &str) -> Result<(Batch, String), Error> {
    let batch = payout_batches::get(&ctx.db, tenant, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("no payout batch {id}")))?;
    let xml = bank::pain001(ctx, tenant, &batch).await?;
    Ok((batch, xml))
}
