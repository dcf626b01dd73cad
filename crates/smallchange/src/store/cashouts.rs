//! Quotes and cash-outs as stored, their timelines, and status changes.
//!
//! A status change is a conditional `UPDATE … WHERE status IN (…)` ([`status_guard`]) that a
//! unit of the committer stands on, with its timeline entry, the money it calls for
//! (releasing or paying out the hold), its rows and its event: of two requests racing to
//! move a cash-out on, exactly one does, and its money commits with it. `hold_state`
//! records which way the hold went.

use serde::{Deserialize, Serialize};

use super::payments::Leg;
use super::Db;
use crate::domain::fees::FeeLine;
use crate::on_db;
use crate::unit::{Param, Row};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub id: String,
    pub user_id: String,
    pub destination_id: String,
    pub rail: String,
    pub speed: String,
    pub currency: String,
    pub gross: i64,
    pub fees: Vec<FeeLine>,
    pub fee: i64,
    pub net: i64,
    pub sources: Vec<Leg>,
    pub eta_s: i64,
    pub expires_at: i64,
    pub created_at: i64,
}

const QUOTE_COLUMNS: &str =
    "id, user_id, destination_id, rail, speed, currency, gross, fees, fee, net, sources, eta_s, expires_at, created_at";

type QuoteRow = (String, String, String, String, String, String, i64, String, i64, i64, String, i64, i64, i64);

fn quote_from_row(row: QuoteRow) -> anyhow::Result<Quote> {
    let (
        id,
        user_id,
        destination_id,
        rail,
        speed,
        currency,
        gross,
        fees,
        fee,
        net,
        sources,
        eta_s,
        expires_at,
        created_at,
    ) = row;
    Ok(Quote {
        id,
        user_id,
        destination_id,
        rail,
        speed,
        currency,
        gross,
        fees: serde_json::from_str(&fees)?,
        fee,
        net,
        sources: serde_json::from_str(&sources)?,
        eta_s,
        expires_at,
        created_at,
    })
}

pub async fn insert_quote(db: &Db, tenant: &str, q: &Quote) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query(&format!(
            "INSERT INTO cashout_quotes (tenant_id, {QUOTE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        ))
        .bind(tenant)
        .bind(&q.id)
        .bind(&q.user_id)
        .bind(&q.destination_id)
        .bind(&q.rail)
        .bind(&q.speed)
        .bind(&q.currency)
        .bind(q.gross)
        .bind(serde_json::to_string(&q.fees)?)
        .bind(q.fee)
        .bind(q.net)
        .bind(serde_json::to_string(&q.sources)?)
        .bind(q.eta_s)
        .bind(q.expires_at)
        .bind(q.created_at)
        .execute(pool)
        .await?;
    });
    Ok(())
}

pub async fn quote(db: &Db, tenant: &str, id: &str) -> anyhow::Result<Option<Quote>> {
    let row: Option<QuoteRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {QUOTE_COLUMNS} FROM cashout_quotes WHERE tenant_id = $1 AND id = $2");
        sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(pool).await?
    });
    row.map(quote_from_row).transpose()
}

/// A cash-out as stored: its quote's terms, where it is, and how it got there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cashout {
    pub id: String,
    pub quote: Quote,
    pub status: String,
    pub hold_state: String,
    pub otp_channel: String,
    pub otp_hash: Option<String>,
    pub otp_attempts: i64,
    pub confirm_by: i64,
    pub risk_decision: Option<String>,
    pub risk_reasons: Vec<String>,
    pub rail_reference: Option<String>,
    pub failure_reason: Option<String>,
    pub confirmed_at: Option<i64>,
    pub submitted_at: Option<i64>,
    pub paid_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Cashout {
    /// The row that records a new cash-out, awaiting its one-time code.
    pub fn insert_row(&self, tenant: &str) -> Row {
        let q = &self.quote;
        Row {
            sql:
                "INSERT INTO cashouts (id, tenant_id, user_id, quote_id, destination_id, rail, speed, currency, gross, \
                  fees, fee, net, sources, status, hold_state, otp_channel, otp_hash, otp_attempts, confirm_by, \
                  created_at, updated_at) \
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 0, $18, $19, $19)",
            params: vec![
                self.id.as_str().into(),
                tenant.into(),
                q.user_id.as_str().into(),
                q.id.as_str().into(),
                q.destination_id.as_str().into(),
                q.rail.as_str().into(),
                q.speed.as_str().into(),
                q.currency.as_str().into(),
                q.gross.into(),
                serde_json::to_string(&q.fees).expect("fees serialize").into(),
                q.fee.into(),
                q.net.into(),
                serde_json::to_string(&q.sources).expect("legs serialize").into(),
                self.status.as_str().into(),
                self.hold_state.as_str().into(),
                self.otp_channel.as_str().into(),
                Param::from(self.otp_hash.clone()),
                self.confirm_by.into(),
                self.created_at.into(),
            ],
        }
    }
}

const CASHOUT_COLUMNS: &str = "c.id, c.status, c.hold_state, c.otp_channel, c.otp_hash, c.otp_attempts, c.confirm_by, \
     c.risk_decision, c.risk_reasons, c.rail_reference, c.failure_reason, c.confirmed_at, c.submitted_at, c.paid_at, \
     c.created_at, c.updated_at";

/// Loads cash-outs matching `condition` (on `c`, the cash-out; `binds` fill `$1…`), with
/// their quotes.
async fn select(db: &Db, condition: &str, binds: &[&str], limit: i64) -> anyhow::Result<Vec<Cashout>> {
    select_ordered(db, &format!("{condition} ORDER BY c.id LIMIT {limit}"), binds).await
}

/// Cash-outs matching `condition`, which ends with its own order and limit.
async fn select_ordered(db: &Db, condition: &str, binds: &[&str]) -> anyhow::Result<Vec<Cashout>> {
    let quote_columns: String = QUOTE_COLUMNS.split(", ").map(|c| format!("q.{c}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {CASHOUT_COLUMNS}, {quote_columns} FROM cashouts c JOIN cashout_quotes q ON q.id = c.quote_id \
         WHERE {condition}"
    );
    let rows = on_db!(db, |pool, _d| {
        let mut query = sqlx::query(&sql);
        for bind in binds {
            query = query.bind(*bind);
        }
        let rows = query.fetch_all(pool).await?;
        let mut read = Vec::with_capacity(rows.len());
        for r in rows {
            use sqlx::Row as _;
            let quote: QuoteRow = (
                r.try_get(16)?,
                r.try_get(17)?,
                r.try_get(18)?,
                r.try_get(19)?,
                r.try_get(20)?,
                r.try_get(21)?,
                r.try_get(22)?,
                r.try_get(23)?,
                r.try_get(24)?,
                r.try_get(25)?,
                r.try_get(26)?,
                r.try_get(27)?,
                r.try_get(28)?,
                r.try_get(29)?,
            );
            let reasons: Option<String> = r.try_get(8)?;
            read.push(Cashout {
                id: r.try_get(0)?,
                status: r.try_get(1)?,
                hold_state: r.try_get(2)?,
                otp_channel: r.try_get(3)?,
                otp_hash: r.try_get(4)?,
                otp_attempts: r.try_get(5)?,
                confirm_by: r.try_get(6)?,
                risk_decision: r.try_get(7)?,
                risk_reasons: reasons.map(|r| serde_json::from_str(&r)).transpose()?.unwrap_or_default(),
                rail_reference: r.try_get(9)?,
                failure_reason: r.try_get(10)?,
                confirmed_at: r.try_get(11)?,
                submitted_at: r.try_get(12)?,
                paid_at: r.try_get(13)?,
                created_at: r.try_get(14)?,
                updated_at: r.try_get(15)?,
                quote: quote_from_row(quote)?,
            });
        }
        read
    });
    Ok(rows)
}

pub async fn get(db: &Db, tenant: &str, id: &str) -> anyhow::Result<Option<Cashout>> {
    Ok(select(db, "c.tenant_id = $1 AND c.id = $2", &[tenant, id], 1).await?.pop())
}

/// The cash-out made from quote `quote_id`, if one was (a quote makes at most one).
pub async fn for_quote(db: &Db, tenant: &str, quote_id: &str) -> anyhow::Result<Option<Cashout>> {
    Ok(select(db, "c.tenant_id = $1 AND c.quote_id = $2", &[tenant, quote_id], 1).await?.pop())
}

/// The tenant a cash-out belongs to, found by its id alone (ids are unique across tenants):
/// for a partner's callback, which names the cash-out but not the tenant.
pub async fn tenant_of(db: &Db, id: &str) -> anyhow::Result<Option<String>> {
    let tenant = on_db!(db, |pool, _d| {
        sqlx::query_scalar("SELECT tenant_id FROM cashouts WHERE id = $1").bind(id).fetch_optional(pool).await?
    });
    Ok(tenant)
}

/// Records the rail's reference of a cash-out still `in_transit`, without a status change
/// (the rail took it and will say later how it ended). `false` if it is no longer in transit.
pub async fn note_reference(db: &Db, tenant: &str, id: &str, reference: &str, at: i64) -> anyhow::Result<bool> {
    let changed = on_db!(db, |pool, _d| {
        sqlx::query(
            "UPDATE cashouts SET rail_reference = $1, updated_at = $2 \
             WHERE tenant_id = $3 AND id = $4 AND status = 'in_transit'",
        )
        .bind(reference)
        .bind(at)
        .bind(tenant)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(changed == 1)
}

/// The cash-outs named by `(tenant, id)` pairs, with their tenants, in that order.
async fn load_each(db: &Db, ids: Vec<(String, String)>) -> anyhow::Result<Vec<(String, Cashout)>> {
    let mut found = Vec::with_capacity(ids.len());
    for (tenant, id) in ids {
        if let Some(cashout) = get(db, &tenant, &id).await? {
            found.push((tenant, cashout));
        }
    }
    Ok(found)
}

/// Cash-outs in `status` (every tenant), oldest first: for the workers.
pub async fn in_status(db: &Db, status: &str, limit: i64) -> anyhow::Result<Vec<(String, Cashout)>> {
    let sql = format!("SELECT tenant_id, id FROM cashouts WHERE status = $1 ORDER BY updated_at LIMIT {limit}");
    let ids: Vec<(String, String)> = on_db!(db, |pool, _d| sqlx::query_as(&sql).bind(status).fetch_all(pool).await?);
    load_each(db, ids).await
}

/// Cash-outs of one rail in `status` (every tenant), oldest first: for that rail.
pub async fn in_status_on(db: &Db, rail: &str, status: &str, limit: i64) -> anyhow::Result<Vec<(String, Cashout)>> {
    let sql =
        format!("SELECT tenant_id, id FROM cashouts WHERE rail = $1 AND status = $2 ORDER BY updated_at LIMIT {limit}");
    let ids: Vec<(String, String)> =
        on_db!(db, |pool, _d| sqlx::query_as(&sql).bind(rail).bind(status).fetch_all(pool).await?);
    load_each(db, ids).await
}

/// Payouts under way (`processing`, `in_transit`) that no SLA alert was raised for yet and
/// that have been under way since before `since`, oldest first.
pub async fn not_yet_alerted(db: &Db, since: i64, limit: i64) -> anyhow::Result<Vec<(String, Cashout)>> {
    let sql = format!(
        "SELECT tenant_id, id FROM cashouts WHERE status IN ('processing', 'in_transit') \
         AND sla_alerted_at IS NULL AND COALESCE(submitted_at, confirmed_at, created_at) < $1 \
         ORDER BY updated_at LIMIT {limit}"
    );
    let ids: Vec<(String, String)> = on_db!(db, |pool, _d| sqlx::query_as(&sql).bind(since).fetch_all(pool).await?);
    load_each(db, ids).await
}

/// Cash-outs whose hold is out of step with their status (written by a version that
/// committed the status before the money, or hand-edited): for the worker's repair.
pub async fn unsettled(db: &Db, limit: i64) -> anyhow::Result<Vec<(String, Cashout)>> {
    let sql = format!(
        "SELECT tenant_id, id FROM cashouts WHERE (hold_state = 'held' \
         AND status IN ('paid', 'failed', 'canceled', 'expired')) \
         OR (hold_state = 'settled' AND status = 'failed') ORDER BY updated_at LIMIT {limit}"
    );
    let ids: Vec<(String, String)> = on_db!(db, |pool, _d| sqlx::query_as(&sql).fetch_all(pool).await?);
    load_each(db, ids).await
}

/// A user's cash-outs, newest first, created before the cash-out `before`.
pub async fn for_user(
    db: &Db,
    tenant: &str,
    user: &str,
    before: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<Cashout>> {
    let binds: Vec<&str> = [tenant, user].into_iter().chain(before).collect();
    let condition = format!("c.tenant_id = $1 AND c.user_id = $2{}", super::newest_first("c.id", before, 3, limit));
    select_ordered(db, &condition, &binds).await
}

/// The review queue: cash-outs in review, oldest first.
pub async fn in_review(db: &Db, tenant: &str, after: Option<&str>, limit: i64) -> anyhow::Result<Vec<Cashout>> {
    select(db, "c.tenant_id = $1 AND c.status = 'in_review' AND c.id > $2", &[tenant, after.unwrap_or("")], limit).await
}

/// A status change: from one of `from` to `to`, with a timeline note, the extra column
/// updates in `set` and any follow-up rows. It is made as the guard of a unit (see
/// [`status_guard`] and `services::cashout::flow`), so the money it calls for, its rows and
/// its event commit with it or not at all.
pub struct Transition<'a> {
    pub tenant: &'a str,
    pub id: &'a str,
    pub from: &'a [&'a str],
    pub to: &'a str,
    pub note: String,
    pub at: i64,
    /// Extra columns to set, e.g. `("rail_reference", …)`; names are ours, never input.
    pub set: Vec<(&'static str, Param)>,
    pub rows: Vec<Row>,
}

/// The conditional update that makes the change `t`: `UPDATE cashouts SET status = …,
/// updated_at = …, <set> WHERE tenant_id = … AND id = … AND status IN (<from>)`. Run as a
/// unit's guard, it changes one row, or none when the cash-out was not in one of `t.from`
/// (of two racing changes, one wins).
pub fn status_guard(t: &Transition<'_>) -> Row {
    let mut assignments = String::from("status = $1, updated_at = $2");
    let mut params: Vec<Param> = vec![t.to.into(), t.at.into()];
    for (column, value) in &t.set {
        params.push(value.clone());
        assignments.push_str(&format!(", {column} = ${}", params.len()));
    }
    params.push(t.tenant.into());
    let tenant_n = params.len();
    params.push(t.id.into());
    let id_n = params.len();
    let mut states = Vec::new();
    for from in t.from {
        params.push((*from).into());
        states.push(format!("${}", params.len()));
    }
    // The statement text is built from our own column names and placeholders only.
    let sql = format!(
        "UPDATE cashouts SET {assignments} WHERE tenant_id = ${tenant_n} AND id = ${id_n} AND status IN ({})",
        states.join(", ")
    );
    Row { sql: interned(sql), params }
}

/// Most shapes of status change (columns set, states left) the code makes; each statement
/// text is kept once for the life of the process.
const GUARD_SHAPES_MAX: usize = 64;

/// `sql` as a `&'static str` (a [`Row`]'s statement), kept once per distinct text: there are
/// only as many as the code has shapes of status change.
fn interned(sql: String) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static KEPT: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut kept = KEPT.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(found) = kept.get(sql.as_str()) {
        return found;
    }
    assert!(kept.len() < GUARD_SHAPES_MAX, "more shapes of status change than {GUARD_SHAPES_MAX}: {sql}");
    let text: &'static str = Box::leak(sql.into_boxed_str());
    kept.insert(text);
    text
}

/// The next entry of a cash-out's timeline, made by `actor` (in its stored form): its `seq`
/// is counted in the statement itself, after the guard has taken the cash-out's row, so two
/// changes can never count the same steps.
pub fn timeline_row(cashout_id: &str, status: &str, note: &str, at: i64, actor: &str) -> Row {
    Row {
        sql: "INSERT INTO cashout_events (cashout_id, seq, status, note, at, actor) \
              SELECT $1, COUNT(*), $2, $3, $4, $5 FROM cashout_events WHERE cashout_id = $1",
        params: vec![cashout_id.into(), status.into(), note.into(), at.into(), actor.into()],
    }
}

/// The `seq`th entry of a cash-out's timeline, made by `actor` (in its stored form).
pub fn event_row(cashout_id: &str, seq: i64, status: &str, note: &str, at: i64, actor: &str) -> Row {
    Row {
        sql: "INSERT INTO cashout_events (cashout_id, seq, status, note, at, actor) VALUES ($1, $2, $3, $4, $5, $6)",
        params: vec![cashout_id.into(), seq.into(), status.into(), note.into(), at.into(), actor.into()],
    }
}

/// One step of a cash-out's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub status: String,
    pub note: Option<String>,
    pub at: i64,
    /// Who made the step, in its stored form (see [`crate::services::Actor`]); `None` for
    /// steps recorded before actors were.
    pub actor: Option<String>,
}

pub async fn timeline(db: &Db, cashout_id: &str) -> anyhow::Result<Vec<Event>> {
    let rows: Vec<(String, Option<String>, i64, Option<String>)> = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT status, note, at, actor FROM cashout_events WHERE cashout_id = $1 ORDER BY seq")
            .bind(cashout_id)
            .fetch_all(pool)
            .await?
    });
    Ok(rows.into_iter().map(|(status, note, at, actor)| Event { status, note, at, actor }).collect())
}

/// Takes one of the cash-out's `allowed` code attempts, before any code is compared: the
/// attempt's number (1 for the first), or `None` if it no longer waits for a code or has
/// no attempt left. One conditional update: however many requests race, at most `allowed`
/// ever get an attempt, so at most `allowed` codes are ever compared.
pub async fn take_code_attempt(db: &Db, tenant: &str, id: &str, allowed: i64) -> anyhow::Result<Option<i64>> {
    let attempt: Option<i64> = on_db!(db, |pool, _d| {
        sqlx::query_scalar(
            "UPDATE cashouts SET otp_attempts = otp_attempts + 1 \
             WHERE tenant_id = $1 AND id = $2 AND status = 'awaiting_confirmation' AND otp_attempts < $3 \
             RETURNING otp_attempts",
        )
        .bind(tenant)
        .bind(id)
        .bind(allowed)
        .fetch_optional(pool)
        .await?
    });
    Ok(attempt)
}

/// What the user has withdrawn (or is withdrawing: anything not failed, canceled or
/// expired) since `since_us`: how many cash-outs and their gross.
pub async fn withdrawn_since(db: &Db, tenant: &str, user: &str, since_us: i64) -> anyhow::Result<(i64, i64)> {
    let row: (i64, Option<i64>) = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(gross) AS BIGINT) FROM cashouts WHERE tenant_id = $1 AND user_id = $2 \
             AND created_at >= $3 AND status NOT IN ('failed', 'canceled', 'expired')",
        )
        .bind(tenant)
        .bind(user)
        .bind(since_us)
        .fetch_one(pool)
        .await?
    });
    Ok((row.0, row.1.unwrap_or(0)))
}

/// Whether the user has had a cash-out to this destination paid before.
pub async fn destination_used(db: &Db, tenant: &str, user: &str, destination: &str) -> anyhow::Result<bool> {
    let found: Option<String> = on_db!(db, |pool, _d| {
        sqlx::query_scalar(
            "SELECT id FROM cashouts WHERE tenant_id = $1 AND user_id = $2 AND destination_id = $3 \
             AND status = 'paid' LIMIT 1",
        )
        .bind(tenant)
        .bind(user)
        .bind(destination)
        .fetch_optional(pool)
        .await?
    });
    Ok(found.is_some())
}

/// The destination of `user`'s latest paid cash-out, if any.
pub async fn last_paid_destination(db: &Db, tenant: &str, user: &str) -> anyhow::Result<Option<String>> {
    Ok(on_db!(db, |pool, _d| {
        sqlx::query_scalar(
            "SELECT destination_id FROM cashouts WHERE tenant_id = $1 AND user_id = $2 AND status = 'paid' \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(tenant)
        .bind(user)
        .fetch_optional(pool)
        .await?
    }))
}

/// Each destination of `user` that their cash-outs ended at, with how the newest of them
/// ended: `(destination, status, failure_reason)`, paid or failed (of the newest 500).
pub async fn last_endings(db: &Db, tenant: &str, user: &str) -> anyhow::Result<Vec<(String, String, Option<String>)>> {
    let rows: Vec<(String, String, Option<String>)> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT destination_id, status, failure_reason FROM cashouts \
             WHERE tenant_id = $1 AND user_id = $2 AND status IN ('paid', 'failed') ORDER BY id DESC LIMIT 500",
        )
        .bind(tenant)
        .bind(user)
        .fetch_all(pool)
        .await?
    });
    let mut seen = std::collections::HashSet::new();
    Ok(rows.into_iter().filter(|(destination, _, _)| seen.insert(destination.clone())).collect())
}

/// The row that marks which way the hold went.
pub fn hold_state_row(id: &str, state: &str) -> Row {
    Row { sql: "UPDATE cashouts SET hold_state = $1 WHERE id = $2", params: vec![state.into(), id.into()] }
}

/// Records a code sent by SMS where no gateway is configured.
pub async fn record_sms(db: &Db, tenant: &str, phone: &str, text: &str, at: i64) -> anyhow::Result<()> {
    on_db!(db, |pool, _d| {
        sqlx::query("INSERT INTO sms_outbox (id, tenant_id, phone, text, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(crate::ids::time_ordered("sms", at))
            .bind(tenant)
            .bind(phone)
            .bind(text)
            .bind(at)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// The development SMS outbox of a tenant, newest first.
pub async fn sms_outbox(db: &Db, tenant: &str, limit: i64) -> anyhow::Result<Vec<(String, String, i64)>> {
    let rows = on_db!(db, |pool, _d| {
        sqlx::query_as("SELECT phone, text, created_at FROM sms_outbox WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(tenant)
            .bind(limit)
            .fetch_all(pool)
            .await?
    });
    Ok(rows)
}

/// The guard of the unit that raises a cash-out's SLA alert (with its event): it marks the
/// alert raised, and changes nothing if it was raised before.
pub fn sla_alert_guard(id: &str, at: i64) -> Row {
    Row {
        sql: "UPDATE cashouts SET sla_alerted_at = $1 WHERE id = $2 AND sla_alerted_at IS NULL",
        params: vec![at.into(), id.into()],
    }
}

/// Replaces the SMS code of a cash-out still waiting for one; `false` if it no longer waits.
pub async fn replace_code(db: &Db, tenant: &str, id: &str, otp_hash: &str, at: i64) -> anyhow::Result<bool> {
    let changed = on_db!(db, |pool, _d| {
        sqlx::query(
            "UPDATE cashouts SET otp_hash = $1, updated_at = $2 \
             WHERE tenant_id = $3 AND id = $4 AND status = 'awaiting_confirmation' AND otp_channel = 'sms'",
        )
        .bind(otp_hash)
        .bind(at)
        .bind(tenant)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(changed == 1)
}

/// A user's auto-cash-out setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoCashout {
    pub user_id: String,
    pub enabled: bool,
    pub threshold: i64,
    pub destination_id: String,
    pub updated_at: i64,
}

/// The row that sets user `auto.user_id`'s auto-cash-out as `auto` says.
pub fn set_auto_row(tenant: &str, auto: &AutoCashout) -> Row {
    Row {
        sql: "INSERT INTO auto_cashouts (tenant_id, user_id, enabled, threshold, destination_id, updated_at) \
              VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, user_id) DO UPDATE SET \
              enabled = excluded.enabled, threshold = excluded.threshold, destination_id = excluded.destination_id, \
              updated_at = excluded.updated_at",
        params: vec![
            tenant.into(),
            auto.user_id.as_str().into(),
            i64::from(auto.enabled).into(),
            auto.threshold.into(),
            auto.destination_id.as_str().into(),
            auto.updated_at.into(),
        ],
    }
}

type AutoRow = (String, String, i64, i64, String, i64);

fn auto_from_row((_, user_id, enabled, threshold, destination_id, updated_at): AutoRow) -> AutoCashout {
    AutoCashout { user_id, enabled: enabled != 0, threshold, destination_id, updated_at }
}

pub async fn auto(db: &Db, tenant: &str, user: &str) -> anyhow::Result<Option<AutoCashout>> {
    let row: Option<AutoRow> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT tenant_id, user_id, enabled, threshold, destination_id, updated_at FROM auto_cashouts \
             WHERE tenant_id = $1 AND user_id = $2",
        )
        .bind(tenant)
        .bind(user)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(auto_from_row))
}

/// Every enabled auto-cash-out (all tenants) of a user not frozen, with its tenant: a
/// frozen user's setting stays as it is, but takes no place in the pass.
pub async fn autos_enabled(db: &Db, limit: i64) -> anyhow::Result<Vec<(String, AutoCashout)>> {
    let rows: Vec<AutoRow> = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT a.tenant_id, a.user_id, a.enabled, a.threshold, a.destination_id, a.updated_at \
             FROM auto_cashouts a JOIN users u ON u.id = a.user_id AND u.tenant_id = a.tenant_id \
             WHERE a.enabled = 1 AND u.frozen_at IS NULL ORDER BY a.tenant_id, a.user_id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    Ok(rows.into_iter().map(|row| (row.0.clone(), auto_from_row(row))).collect())
}

/// Whether the user has a cash-out on its way (not yet paid, failed, canceled or expired).
pub async fn has_open(db: &Db, tenant: &str, user: &str) -> anyhow::Result<bool> {
    let found: Option<String> = on_db!(db, |pool, _d| {
        sqlx::query_scalar(
            "SELECT id FROM cashouts WHERE tenant_id = $1 AND user_id = $2 \
             AND status IN ('awaiting_confirmation', 'in_review', 'processing', 'in_transit') LIMIT 1",
        )
        .bind(tenant)
        .bind(user)
        .fetch_optional(pool)
        .await?
    });
    Ok(found.is_some())
}

/// How many cash-outs (every tenant) are in `status`: for the benchmark.
pub async fn count_in_status(db: &Db, status: &str) -> anyhow::Result<i64> {
    let count = on_db!(db, |pool, _d| {
        sqlx::query_scalar("SELECT COUNT(*) FROM cashouts WHERE status = $1").bind(status).fetch_one(pool).await?
    });
    Ok(count)
}
