//! What a reviewer reads beside a cash-out waiting in review, and who has claimed it
//! (`review_claims`, one row per cash-out). A claim is written as the guard of its unit
//! ([`claim_row`]): of two operators claiming at once one wins, and the other hears that it
//! is taken, because the row changes only when the cash-out is still in review and the claim
//! is still the one the claimer saw.

use super::Db;
use crate::on_db;
use crate::unit::Row;

/// Who claimed a cash-out, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub cashout_id: String,
    /// The recorded actor (`operator:opu_…`, `api_key:key_…`).
    pub claimed_by: String,
    pub claimed_at: i64,
}

/// The claim on cash-out `id` by `by` at `at`, standing on the cash-out being in review and
/// its claim being `seen` (the recorded actor holding it, `None` when unclaimed): changes one
/// row, or none when either moved on meanwhile.
pub fn claim_row(tenant: &str, id: &str, by: &str, at: i64, seen: Option<&str>) -> Row {
    Row {
        sql: "INSERT INTO review_claims (cashout_id, tenant_id, claimed_by, claimed_at) \
              SELECT id, tenant_id, $1, $2 FROM cashouts WHERE tenant_id = $3 AND id = $4 AND status = 'in_review' \
              ON CONFLICT (cashout_id) DO UPDATE SET claimed_by = excluded.claimed_by, \
              claimed_at = excluded.claimed_at WHERE review_claims.claimed_by = $5",
        // Unclaimed when seen: a claim that appeared meanwhile matches no holder ('').
        params: vec![by.into(), at.into(), tenant.into(), id.into(), seen.unwrap_or("").into()],
    }
}

/// The claims on the tenant's cash-outs `ids` (those that have one).
pub async fn claims(db: &Db, tenant: &str, ids: &[&str]) -> anyhow::Result<Vec<Claim>> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(claim) = claim(db, tenant, id).await? {
            found.push(claim);
        }
    }
    Ok(found)
}

/// The claim on the tenant's cash-out `id`, if any.
pub async fn claim(db: &Db, tenant: &str, id: &str) -> anyhow::Result<Option<Claim>> {
    let row: Option<(String, String, i64)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT cashout_id, claimed_by, claimed_at FROM review_claims WHERE tenant_id = $1 AND cashout_id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(|(cashout_id, claimed_by, claimed_at)| Claim { cashout_id, claimed_by, claimed_at }))
}

/// A count and a sum of minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: i64,
    pub amount: i64,
}

/// A user's money since a moment: top-ups, payments and cash-outs (every cash-out made,
/// whatever became of it; its gross).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recent {
    pub topups: Tally,
    pub payments: Tally,
    pub cashouts: Tally,
}

/// `user`'s top-ups, payments and cash-outs created at or after `since_us`.
pub async fn recent(db: &Db, tenant: &str, user: &str, since_us: i64) -> anyhow::Result<Recent> {
    Ok(Recent {
        topups: tally(db, "SELECT COUNT(*), CAST(SUM(amount) AS BIGINT) FROM topups", tenant, user, since_us).await?,
        payments: tally(db, "SELECT COUNT(*), CAST(SUM(amount) AS BIGINT) FROM payments", tenant, user, since_us)
            .await?,
        cashouts: tally(db, "SELECT COUNT(*), CAST(SUM(gross) AS BIGINT) FROM cashouts", tenant, user, since_us)
            .await?,
    })
}

async fn tally(db: &Db, select: &str, tenant: &str, user: &str, since_us: i64) -> anyhow::Result<Tally> {
    let sql = format!("{select} WHERE tenant_id = $1 AND user_id = $2 AND created_at >= $3");
    let (count, amount): (i64, Option<i64>) =
        on_db!(db, |pool, _d| sqlx::query_as(&sql).bind(tenant).bind(user).bind(since_us).fetch_one(pool).await?);
    Ok(Tally { count, amount: amount.unwrap_or(0) })
}

/// A cash-out made earlier to the same destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Earlier {
    pub id: String,
    pub status: String,
    pub gross: i64,
    pub created_at: i64,
}

/// When destination `destination` was added, if it exists.
pub async fn destination_added_at(db: &Db, tenant: &str, destination: &str) -> anyhow::Result<Option<i64>> {
    let row: Option<(i64,)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT created_at FROM payout_destinations WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(destination)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.map(|(at,)| at))
}

/// The newest `limit` cash-outs to `destination` other than `except`, newest first.
pub async fn earlier_to(
    db: &Db,
    tenant: &str,
    destination: &str,
    except: &str,
    limit: i64,
) -> anyhow::Result<Vec<Earlier>> {
    let rows: Vec<(String, String, i64, i64)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT id, status, gross, created_at FROM cashouts \
             WHERE tenant_id = $1 AND destination_id = $2 AND id <> $3 ORDER BY id DESC LIMIT $4",
        )
        .bind(tenant)
        .bind(destination)
        .bind(except)
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    Ok(rows.into_iter().map(|(id, status, gross, created_at)| Earlier { id, status, gross, created_at }).collect())
}
