//! Top-ups as recorded beside the ledger transfers that brought the money in (the rows are
//! written by the top-up's unit, see `services::topups`; [`row`] is the one it writes).

use super::Db;
use crate::unit::{Param, Row};

/// A top-up row as stored; `services::topups` reads it back into its parsed form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopupRecord {
    pub id: String,
    pub user_id: String,
    pub source: String,
    pub refund_of: Option<String>,
    pub pocket: String,
    pub amount: i64,
    pub currency: String,
    pub reference: String,
    pub created_at: i64,
}

/// The row a top-up's unit writes: `topup` as it was made, for `tenant`.
pub fn row(tenant: &str, topup: &TopupRecord) -> Row {
    Row {
        sql: "INSERT INTO topups (id, tenant_id, user_id, source, refund_of, pocket, amount, currency, reference, \
              created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        params: vec![
            topup.id.as_str().into(),
            tenant.into(),
            topup.user_id.as_str().into(),
            topup.source.as_str().into(),
            Param::from(topup.refund_of.as_deref()),
            topup.pocket.as_str().into(),
            topup.amount.into(),
            topup.currency.as_str().into(),
            topup.reference.as_str().into(),
            topup.created_at.into(),
        ],
    }
}

type TopupRow = (String, String, String, Option<String>, String, i64, String, String, i64);

/// Up to `limit` of a user's top-ups, newest first, made before the top-up `before`.
pub async fn of_user(
    db: &Db,
    tenant: &str,
    user: &str,
    before: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<TopupRecord>> {
    let select = "SELECT id, user_id, source, refund_of, pocket, amount, currency, reference, created_at FROM topups";
    let rows: Vec<TopupRow> = super::newest_of_user(db, select, tenant, user, before, limit).await?;
    Ok(rows
        .into_iter()
        .map(|(id, user_id, source, refund_of, pocket, amount, currency, reference, created_at)| TopupRecord {
            id,
            user_id,
            source,
            refund_of,
            pocket,
            amount,
            currency,
            reference,
            created_at,
        })
        .collect())
}
