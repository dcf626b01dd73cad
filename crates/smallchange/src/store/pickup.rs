//! Cash-pickup agents and vouchers as stored.
//!
//! An agent is found by the SHA-256 of its key, as operators' keys are; the key itself is
//! never kept. A voucher keeps a keyed hash of its code (so the code an agent types finds
//! it), the code's last four digits, and a keyed hash of its PIN. A voucher leaves `issued`
//! only through rows written inside its cash-out's status change ([`redeemed_row`],
//! [`closed_row`]), so the two never disagree; PIN attempts are taken by a conditional
//! update of their own, before the PIN is compared.

use super::Db;
use crate::crypto::Secrets;
use crate::on_db;
use crate::unit::Row;

/// An agent who pays vouchers out in cash, for one tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agent {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub created_at: i64,
}

/// The row that records a new agent and the hash of its key.
pub fn agent_row(agent: &Agent, key_hash: &str) -> Row {
    Row {
        sql: "INSERT INTO pickup_agents (id, tenant_id, name, key_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        params: vec![
            agent.id.as_str().into(),
            agent.tenant_id.as_str().into(),
            agent.name.as_str().into(),
            key_hash.into(),
            agent.created_at.into(),
        ],
    }
}

/// The agent whose key has this hash, unless the key is revoked.
pub async fn agent_by_key(db: &Db, key_hash: &str) -> anyhow::Result<Option<Agent>> {
    let row: Option<(String, String, String, i64)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT id, tenant_id, name, created_at FROM pickup_agents WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(|(id, tenant_id, name, created_at)| Agent { id, tenant_id, name, created_at }))
}

/// An agent as the operator sees it: never its key.
pub struct Listed {
    pub agent: Agent,
    pub revoked_at: Option<i64>,
}

type ListedRow = (String, String, String, i64, Option<i64>);

const LISTED_SELECT: &str = "SELECT id, tenant_id, name, created_at, revoked_at FROM pickup_agents";

fn listed((id, tenant_id, name, created_at, revoked_at): ListedRow) -> Listed {
    Listed { agent: Agent { id, tenant_id, name, created_at }, revoked_at }
}

/// A tenant's agents in id order, after `after`.
pub async fn agents(db: &Db, tenant: &str, after: Option<&str>, limit: i64) -> anyhow::Result<Vec<Listed>> {
    let rows: Vec<ListedRow> = on_db!(db, |pool, _d| {
        let sql = format!("{LISTED_SELECT} WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3");
        sqlx::query_as(&sql).bind(tenant).bind(after.unwrap_or("")).bind(limit).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(listed).collect())
}

/// Revokes an agent's key (once: a second revocation keeps the first time); the agent as
/// it is now, if the tenant has it.
pub async fn revoke(db: &Db, tenant: &str, id: &str, at: i64) -> anyhow::Result<Option<Listed>> {
    let row: Option<ListedRow> = on_db!(db, |pool, _d| {
        sqlx::query("UPDATE pickup_agents SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL")
            .bind(at)
            .bind(tenant)
            .bind(id)
            .execute(pool)
            .await?;
        let sql = format!("{LISTED_SELECT} WHERE tenant_id = $1 AND id = $2");
        sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(pool).await?
    });
    Ok(row.map(listed))
}

/// A voucher as stored: never its code or PIN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voucher {
    pub id: String,
    pub tenant_id: String,
    pub cashout_id: String,
    pub code_lookup: String,
    pub code_last4: String,
    pub pin_hash: String,
    pub pin_attempts: i64,
    /// `issued`, `redeemed`, `locked` or `expired`.
    pub status: String,
    pub expires_at: i64,
    pub redeemed_by: Option<String>,
    pub redeemed_at: Option<i64>,
    pub created_at: i64,
}

impl Voucher {
    /// The row that records a newly issued voucher, with its SMS sealed (see [`VoucherSms`]).
    pub fn insert_row(&self, sms_sealed: &str) -> Row {
        Row {
            sql: "INSERT INTO pickup_vouchers (id, tenant_id, cashout_id, code_lookup, code_last4, pin_hash, \
                  pin_attempts, status, expires_at, created_at, sms_sealed) \
                  VALUES ($1, $2, $3, $4, $5, $6, 0, 'issued', $7, $8, $9)",
            params: vec![
                self.id.as_str().into(),
                self.tenant_id.as_str().into(),
                self.cashout_id.as_str().into(),
                self.code_lookup.as_str().into(),
                self.code_last4.as_str().into(),
                self.pin_hash.as_str().into(),
                self.expires_at.into(),
                self.created_at.into(),
                sms_sealed.into(),
            ],
        }
    }
}

/// The SMS that gives a voucher's code and PIN to its user. It is kept on the voucher,
/// sealed with the server key, until the SMS subscriber follows the voucher's event and
/// queues it; the event itself never holds the code.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VoucherSms {
    pub to: String,
    pub text: String,
}

impl VoucherSms {
    pub fn sealed(&self, secrets: &Secrets) -> String {
        secrets.seal(&serde_json::to_vec(self).expect("a message serializes"))
    }

    pub fn open(sealed: &str, secrets: &Secrets) -> anyhow::Result<VoucherSms> {
        Ok(serde_json::from_slice(&secrets.open(sealed)?)?)
    }
}

/// The sealed SMS of voucher `id`, if it has one still to queue.
pub async fn sms_sealed(db: &Db, tenant: &str, id: &str) -> anyhow::Result<Option<String>> {
    let found: Option<Option<String>> = on_db!(db, |pool, _d| {
        sqlx::query_scalar("SELECT sms_sealed FROM pickup_vouchers WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    Ok(found.flatten())
}

/// The row that forgets a voucher's sealed SMS once its job is queued.
pub fn sms_queued_row(id: &str) -> Row {
    Row { sql: "UPDATE pickup_vouchers SET sms_sealed = NULL WHERE id = $1", params: vec![id.into()] }
}

const VOUCHER_COLUMNS: &str = "id, tenant_id, cashout_id, code_lookup, code_last4, pin_hash, pin_attempts, status, \
     expires_at, redeemed_by, redeemed_at, created_at";

type VoucherRow = (String, String, String, String, String, String, i64, String, i64, Option<String>, Option<i64>, i64);

fn from_row(row: VoucherRow) -> Voucher {
    let (
        id,
        tenant_id,
        cashout_id,
        code_lookup,
        code_last4,
        pin_hash,
        pin_attempts,
        status,
        expires_at,
        redeemed_by,
        redeemed_at,
        created_at,
    ) = row;
    Voucher {
        id,
        tenant_id,
        cashout_id,
        code_lookup,
        code_last4,
        pin_hash,
        pin_attempts,
        status,
        expires_at,
        redeemed_by,
        redeemed_at,
        created_at,
    }
}

/// The tenant's voucher with this code hash.
pub async fn by_code(db: &Db, tenant: &str, code_lookup: &str) -> anyhow::Result<Option<Voucher>> {
    let row: Option<VoucherRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {VOUCHER_COLUMNS} FROM pickup_vouchers WHERE tenant_id = $1 AND code_lookup = $2");
        sqlx::query_as(&sql).bind(tenant).bind(code_lookup).fetch_optional(pool).await?
    });
    Ok(row.map(from_row))
}

pub async fn get(db: &Db, tenant: &str, id: &str) -> anyhow::Result<Option<Voucher>> {
    let row: Option<VoucherRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {VOUCHER_COLUMNS} FROM pickup_vouchers WHERE tenant_id = $1 AND id = $2");
        sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(pool).await?
    });
    Ok(row.map(from_row))
}

/// Issued vouchers (every tenant) whose time ran out at `now`, oldest first: for the worker.
pub async fn due(db: &Db, now: i64, limit: i64) -> anyhow::Result<Vec<Voucher>> {
    let rows: Vec<VoucherRow> = on_db!(db, |pool, _d| {
        let sql = format!(
            "SELECT {VOUCHER_COLUMNS} FROM pickup_vouchers WHERE status = 'issued' AND expires_at <= $1 \
             ORDER BY expires_at LIMIT $2"
        );
        sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(from_row).collect())
}

/// Takes one of the voucher's `allowed` PIN attempts, before any PIN is compared: the
/// attempt's number (1 for the first), or `None` if it is no longer `issued` or has no
/// attempt left. One conditional update: however many agents race, at most `allowed` ever
/// get an attempt, so at most `allowed` PINs are ever compared.
pub async fn take_pin_attempt(db: &Db, tenant: &str, id: &str, allowed: i64) -> anyhow::Result<Option<i64>> {
    let attempt: Option<i64> = on_db!(db, |pool, _d| {
        sqlx::query_scalar(
            "UPDATE pickup_vouchers SET pin_attempts = pin_attempts + 1 \
             WHERE tenant_id = $1 AND id = $2 AND status = 'issued' AND pin_attempts < $3 RETURNING pin_attempts",
        )
        .bind(tenant)
        .bind(id)
        .bind(allowed)
        .fetch_optional(pool)
        .await?
    });
    Ok(attempt)
}

/// The row marking an issued voucher paid out by `agent`.
pub fn redeemed_row(id: &str, agent: &str, at: i64) -> Row {
    Row {
        sql: "UPDATE pickup_vouchers SET status = 'redeemed', redeemed_by = $1, redeemed_at = $2 \
              WHERE id = $3 AND status = 'issued'",
        params: vec![agent.into(), at.into(), id.into()],
    }
}

/// The row closing an issued voucher unpaid: `locked` or `expired`.
pub fn closed_row(id: &str, status: &'static str) -> Row {
    Row {
        sql: "UPDATE pickup_vouchers SET status = $1 WHERE id = $2 AND status = 'issued'",
        params: vec![status.into(), id.into()],
    }
}
