//! Payout destinations. The rail's fields (account numbers, wallet ids) are kept as JSON
//! in `details`, sealed with the server's key: the payout workers need them whole, nobody
//! else sees more than `masked`.

use super::now_us;
use crate::crypto::Secrets;
use crate::domain::destination::Destination;
use crate::unit::Row;

/// A destination as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDestination {
    pub id: String,
    pub type_name: &'static str,
    pub masked: String,
    pub holder_name: String,
    pub verified: bool,
    /// Who registered it, in the stored form (`api_key:key_…`); empty for a destination
    /// registered before actors were recorded.
    pub created_actor: String,
    pub created_at: i64,
}

fn details(destination: &Destination) -> serde_json::Value {
    match destination {
        Destination::BankAccount { bank_code, account_number, .. } => {
            serde_json::json!({"bank_code": bank_code, "account_number": account_number})
        }
        Destination::EWallet { provider, wallet_id, .. } => {
            serde_json::json!({"provider": provider, "wallet_id": wallet_id})
        }
        Destination::CashPickup { network } => serde_json::json!({"network": network}),
    }
}

/// A new destination registered by `actor` (stored form): what is shown of it, and the row
/// that stores it (details sealed).
pub fn new_destination(
    secrets: &Secrets,
    tenant_id: &str,
    user_id: &str,
    destination: &Destination,
    holder_name: &str,
    verified: bool,
    actor: &str,
) -> (StoredDestination, Row) {
    let stored = StoredDestination {
        id: super::tenants::new_id("dst", 20),
        type_name: destination.type_name(),
        masked: destination.masked(),
        holder_name: holder_name.to_string(),
        verified,
        created_actor: actor.to_string(),
        created_at: now_us(),
    };
    let row = Row {
        sql: "INSERT INTO payout_destinations (id, tenant_id, user_id, type, details, masked, holder_name, verified, \
              created_at, created_actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        params: vec![
            stored.id.as_str().into(),
            tenant_id.into(),
            user_id.into(),
            stored.type_name.into(),
            secrets.seal(details(destination).to_string().as_bytes()).into(),
            stored.masked.as_str().into(),
            stored.holder_name.as_str().into(),
            i64::from(verified).into(),
            stored.created_at.into(),
            stored.created_actor.as_str().into(),
        ],
    };
    (stored, row)
}

/// A destination as recorded, with its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestinationRecord {
    pub id: String,
    pub user_id: String,
    pub type_name: String,
    pub masked: String,
    pub holder_name: String,
    pub verified: bool,
}

pub async fn get(db: &super::Db, tenant_id: &str, id: &str) -> anyhow::Result<Option<DestinationRecord>> {
    let row: Option<(String, String, String, String, String, i64)> = crate::on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT id, user_id, type, masked, holder_name, verified FROM payout_destinations \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(|(id, user_id, type_name, masked, holder_name, verified)| DestinationRecord {
        id,
        user_id,
        type_name,
        masked,
        holder_name,
        verified: verified != 0,
    }))
}

/// The rail's fields of a destination, opened: what a payout needs and nothing shows.
pub async fn details_of(
    db: &super::Db,
    secrets: &Secrets,
    tenant_id: &str,
    id: &str,
) -> anyhow::Result<Option<serde_json::Value>> {
    let sealed: Option<String> = crate::on_db!(db, |pool, _d| {
        sqlx::query_scalar("SELECT details FROM payout_destinations WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    let Some(sealed) = sealed else { return Ok(None) };
    Ok(Some(serde_json::from_slice(&secrets.open(&sealed)?)?))
}

/// Up to `limit` of a user's destinations, newest first, registered before the destination
/// `before`. Their ids are random, so the order is the time registered, then the id.
pub async fn of_user(
    db: &super::Db,
    tenant_id: &str,
    user_id: &str,
    before: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<StoredDestination>> {
    let bound = match before {
        Some(_) => {
            " AND (created_at, id) < (SELECT created_at, id FROM payout_destinations \
                    WHERE tenant_id = $1 AND id = $3)"
        }
        None => "",
    };
    let sql = format!(
        "SELECT id, type, masked, holder_name, verified, created_actor, created_at FROM payout_destinations \
         WHERE tenant_id = $1 AND user_id = $2{bound} ORDER BY created_at DESC, id DESC LIMIT {limit}"
    );
    type DestinationRow = (String, String, String, String, i64, Option<String>, i64);
    let rows: Vec<DestinationRow> = crate::on_db!(db, |pool, _d| {
        let query = sqlx::query_as(&sql).bind(tenant_id).bind(user_id);
        match before {
            Some(before) => query.bind(before),
            None => query,
        }
        .fetch_all(pool)
        .await?
    });
    rows.into_iter()
        .map(|(id, type_name, masked, holder_name, verified, created_actor, created_at)| {
            let type_name = Destination::TYPE_NAMES
                .into_iter()
                .find(|known| *known == type_name)
                .ok_or_else(|| anyhow::anyhow!("destination {id} has an unknown type {type_name}"))?;
            Ok(StoredDestination {
                id,
                type_name,
                masked,
                holder_name,
                verified: verified != 0,
                created_actor: created_actor.unwrap_or_default(),
                created_at,
            })
        })
        .collect()
}
