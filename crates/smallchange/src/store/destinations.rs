//! Payout destinations. The rail's fields are kept as JSON in `details` (the payout
//! workers need them); only `masked` is ever shown.

use super::{now_us, Db};
use crate::domain::destination::Destination;
use crate::on_db;

/// A destination as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDestination {
    pub id: String,
    pub type_name: &'static str,
    pub masked: String,
    pub holder_name: String,
    pub verified: bool,
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

pub async fn insert(
    db: &Db,
    tenant_id: &str,
    user_id: &str,
    destination: &Destination,
    holder_name: &str,
    verified: bool,
) -> anyhow::Result<StoredDestination> {
    let stored = StoredDestination {
        id: super::tenants::new_id("dst", 20),
        type_name: destination.type_name(),
        masked: destination.masked(),
        holder_name: holder_name.to_string(),
        verified,
    };
    on_db!(db, |pool, _d| {
        sqlx::query(
            "INSERT INTO payout_destinations (id, tenant_id, user_id, type, details, masked, holder_name, verified, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&stored.id)
        .bind(tenant_id)
        .bind(user_id)
        .bind(stored.type_name)
        .bind(details(destination).to_string())
        .bind(&stored.masked)
        .bind(&stored.holder_name)
        .bind(i64::from(verified))
        .bind(now_us())
        .execute(pool)
        .await?;
    });
    Ok(stored)
}
