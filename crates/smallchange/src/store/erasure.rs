//! Erasing a person: what is read to decide whether a user may be erased (their pockets,
//! their cash-outs not yet over), and the rows that remove their personal data, keeping
//! every record of money by id and amount (see docs/EVENTS.md, "Personal data").

use super::Db;
use crate::on_db;
use crate::unit::{Param, Row};

/// What personal data is replaced by where a column may not be empty.
pub const ERASED: &str = "erased";

/// The tenant of user `user_id`, if there is such a user.
pub async fn tenant_of(db: &Db, user_id: &str) -> anyhow::Result<Option<String>> {
    let row: Option<(String,)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT tenant_id FROM users WHERE id = $1").bind(user_id).fetch_optional(pool).await?
    });
    Ok(row.map(|(tenant,)| tenant))
}

/// The ledger accounts of the user's pockets, in every currency.
pub async fn pocket_accounts(db: &Db, tenant: &str, user: &str) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String,)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT account_id FROM wallet_pockets WHERE tenant_id = $1 AND user_id = $2 ORDER BY account_id",
        )
        .bind(tenant)
        .bind(user)
        .fetch_all(pool)
        .await?
    });
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The user's cash-outs not in one of the `final_states`: id and status, oldest first.
pub async fn open_cashouts(
    db: &Db,
    tenant: &str,
    user: &str,
    final_states: &[&str],
) -> anyhow::Result<Vec<(String, String)>> {
    let sql = format!(
        "SELECT id, status FROM cashouts WHERE tenant_id = $1 AND user_id = $2 AND status NOT IN ({}) \
         ORDER BY created_at, id",
        placeholders(3, final_states.len())
    );
    let rows: Vec<(String, String)> = on_db!(db, |pool, _d| {
        let mut query = sqlx::query_as(&sql).bind(tenant).bind(user);
        for state in final_states {
            query = query.bind(*state);
        }
        query.fetch_all(pool).await?
    });
    Ok(rows)
}

/// How many pieces of personal data beside the tenant's events belong to `person`.
pub async fn personal_count(db: &Db, tenant: &str, person: &str) -> anyhow::Result<i64> {
    let count: i64 = on_db!(db, |pool, _d| {
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM event_personal WHERE tenant_id = $1 AND person = $2")
            .bind(tenant)
            .bind(person)
            .fetch_one(pool)
            .await?
    });
    Ok(count)
}

/// The row erasure stands on: the user's own columns of personal data (phone, name, the
/// identity check's name, birth date and document, the authenticator's secrets) replaced,
/// only while the user has no cash-out outside `final_states`, so a cash-out created
/// meanwhile stops the erasure.
pub fn erase_user_row(tenant: &str, user: &str, final_states: [&str; 4]) -> Row {
    let mut params: Vec<Param> = vec![ERASED.into(), tenant.into(), user.into()];
    params.extend(final_states.iter().map(|state| Param::from(*state)));
    Row {
        sql: "UPDATE users SET phone = $1, name = NULL, legal_name = NULL, birth_date = NULL, document_ref = NULL, \
              totp_secret = NULL, totp_pending_secret = NULL \
              WHERE tenant_id = $2 AND id = $3 AND NOT EXISTS (SELECT 1 FROM cashouts WHERE cashouts.tenant_id = $2 \
              AND cashouts.user_id = $3 AND cashouts.status NOT IN ($4, $5, $6, $7))",
        params,
    }
}

/// The other rows of an erasure: the personal data kept elsewhere of the user (identity
/// checks, destinations, sign-in codes, messages sent to their number, the values beside
/// the audit log's entries with their salts). `phone` is the number the user had.
pub fn erase_rows(tenant: &str, user: &str, phone: &str) -> Vec<Row> {
    let by_user = |sql: &'static str| Row { sql, params: vec![ERASED.into(), tenant.into(), user.into()] };
    vec![
        by_user(
            "UPDATE kyc_checks SET legal_name = $1, birth_date = $1, document_ref = $1 \
             WHERE tenant_id = $2 AND user_id = $3",
        ),
        by_user(
            "UPDATE payout_destinations SET details = $1, masked = $1, holder_name = $1 \
             WHERE tenant_id = $2 AND user_id = $3",
        ),
        by_user("UPDATE wallet_sign_in_codes SET phone = $1 WHERE tenant_id = $2 AND user_id = $3"),
        Row {
            sql: "UPDATE sms_outbox SET phone = $1, text = $1 WHERE tenant_id = $2 AND phone = $3",
            params: vec![ERASED.into(), tenant.into(), phone.into()],
        },
        Row {
            sql: "DELETE FROM event_personal WHERE tenant_id = $1 AND person = $2",
            params: vec![tenant.into(), user.into()],
        },
    ]
}

/// `$first, $first+1, …`, `count` of them.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}
