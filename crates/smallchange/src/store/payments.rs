//! Payments and their refunds as recorded beside the ledger transfers that moved the money.

use serde::{Deserialize, Serialize};

use super::Db;
use crate::on_db;
use crate::unit::Row;

/// How much of a payment one pocket paid (or got back).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Leg {
    pub pocket: String,
    pub amount: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    pub id: String,
    pub user_id: String,
    pub merchant: String,
    pub amount: i64,
    pub currency: String,
    pub description: Option<String>,
    /// In spend order.
    pub legs: Vec<Leg>,
    pub created_at: i64,
}

impl Payment {
    pub fn row(&self, tenant: &str) -> Row {
        Row {
            // `user_indexed` is the backend's default: see store::user_index.
            sql: "INSERT INTO payments (id, tenant_id, user_id, merchant, amount, currency, description, legs, \
                  created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            params: vec![
                self.id.as_str().into(),
                tenant.into(),
                self.user_id.as_str().into(),
                self.merchant.as_str().into(),
                self.amount.into(),
                self.currency.as_str().into(),
                self.description.clone().into(),
                serde_json::to_string(&self.legs).expect("legs serialize").into(),
                self.created_at.into(),
            ],
        }
    }
}

type PaymentRow = (String, String, String, i64, String, Option<String>, String, i64);

const PAYMENT_COLUMNS: &str = "id, user_id, merchant, amount, currency, description, legs, created_at";

fn from_row(
    (id, user_id, merchant, amount, currency, description, legs, created_at): PaymentRow,
) -> anyhow::Result<Payment> {
    let legs = serde_json::from_str(&legs)?;
    Ok(Payment { id, user_id, merchant, amount, currency, description, legs, created_at })
}

pub async fn get(db: &Db, tenant: &str, id: &str) -> anyhow::Result<Option<Payment>> {
    let row: Option<PaymentRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE tenant_id = $1 AND id = $2");
        sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(pool).await?
    });
    row.map(from_row).transpose()
}

/// Up to `limit` of a user's payments, newest first, made before the payment `before`.
pub async fn of_user(
    db: &Db,
    tenant: &str,
    user: &str,
    before: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<Payment>> {
    let rows: Vec<PaymentRow> =
        super::user_index::newest_of_user(db, PAYMENT_COLUMNS, "payments", tenant, user, before, limit).await?;
    rows.into_iter().map(from_row).collect()
}

/// A refund of (part of) a payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refund {
    pub id: String,
    pub payment_id: String,
    pub amount: i64,
    pub legs: Vec<Leg>,
    pub created_at: i64,
}

impl Refund {
    pub fn row(&self, tenant: &str) -> Row {
        Row {
            sql: "INSERT INTO payment_refunds (id, tenant_id, payment_id, amount, legs, created_at) \
                  VALUES ($1, $2, $3, $4, $5, $6)",
            params: vec![
                self.id.as_str().into(),
                tenant.into(),
                self.payment_id.as_str().into(),
                self.amount.into(),
                serde_json::to_string(&self.legs).expect("legs serialize").into(),
                self.created_at.into(),
            ],
        }
    }
}

/// How much of the payment has been refunded so far.
pub async fn refunded(db: &Db, tenant: &str, payment_id: &str) -> anyhow::Result<i64> {
    let total: Option<i64> = on_db!(db, |pool, _d| {
        sqlx::query_scalar(
            "SELECT CAST(SUM(amount) AS BIGINT) FROM payment_refunds WHERE tenant_id = $1 AND payment_id = $2",
        )
        .bind(tenant)
        .bind(payment_id)
        .fetch_one(pool)
        .await?
    });
    Ok(total.unwrap_or(0))
}
