//! Gift-card programs and cards. A program is written directly (no money moves); a card's
//! issue and redemption are rows of units, beside the transfers that move its value.

use super::Db;
use crate::domain::gift_card::RefundRule;
use crate::on_db;
use crate::unit::Row;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    pub id: String,
    pub brand: String,
    pub currency: String,
    pub region: String,
    pub face_values: Vec<i64>,
    pub validity_days: i64,
    pub refund_rule: RefundRule,
    pub created_at: i64,
    /// Who created it, as [`crate::services::Actor::recorded`]; `None` before actors were recorded.
    pub created_actor: Option<String>,
}

type ProgramRow = (String, String, String, String, String, i64, i64, i64, i64, i64, Option<String>);

const PROGRAM_COLUMNS: &str = "id, brand, currency, region, face_values, validity_days, threshold_bps_over, \
                               threshold_bps_small, small_face_max, created_at, created_actor";

fn program_from_row(row: ProgramRow) -> anyhow::Result<Program> {
    let (id, brand, currency, region, face_values, validity_days, over, small, small_max, created_at, created_actor) =
        row;
    Ok(Program {
        id,
        brand,
        currency,
        region,
        face_values: serde_json::from_str(&face_values)?,
        validity_days,
        refund_rule: RefundRule { threshold_bps_over: over, threshold_bps_small: small, small_face_max: small_max },
        created_at,
        created_actor,
    })
}

/// The row that stores a new program.
pub fn program_row(tenant: &str, program: &Program) -> Row {
    Row {
        sql: "INSERT INTO gift_card_programs (tenant_id, id, brand, currency, region, face_values, validity_days, \
              threshold_bps_over, threshold_bps_small, small_face_max, created_at, created_actor) \
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        params: vec![
            tenant.into(),
            program.id.as_str().into(),
            program.brand.as_str().into(),
            program.currency.as_str().into(),
            program.region.as_str().into(),
            serde_json::to_string(&program.face_values).expect("numbers serialize").into(),
            program.validity_days.into(),
            program.refund_rule.threshold_bps_over.into(),
            program.refund_rule.threshold_bps_small.into(),
            program.refund_rule.small_face_max.into(),
            program.created_at.into(),
            program.created_actor.clone().into(),
        ],
    }
}

pub async fn program(db: &Db, tenant: &str, id: &str) -> anyhow::Result<Option<Program>> {
    let row: Option<ProgramRow> = on_db!(db, |pool, _d| {
        let sql = format!("SELECT {PROGRAM_COLUMNS} FROM gift_card_programs WHERE tenant_id = $1 AND id = $2");
        sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(pool).await?
    });
    row.map(program_from_row).transpose()
}

/// Whether the tenant runs any program of `brand`.
pub async fn brand_supported(db: &Db, tenant: &str, brand: &str) -> anyhow::Result<bool> {
    let found: Option<String> = on_db!(db, |pool, _d| {
        sqlx::query_scalar("SELECT id FROM gift_card_programs WHERE tenant_id = $1 AND brand = $2 LIMIT 1")
            .bind(tenant)
            .bind(brand)
            .fetch_optional(pool)
            .await?
    });
    Ok(found.is_some())
}

/// The brands of the tenant's programs, in order: what a wallet user may redeem.
pub async fn brands(db: &Db, tenant: &str) -> anyhow::Result<Vec<String>> {
    let found: Vec<String> = on_db!(db, |pool, _d| {
        sqlx::query_scalar("SELECT DISTINCT brand FROM gift_card_programs WHERE tenant_id = $1 ORDER BY brand")
            .bind(tenant)
            .fetch_all(pool)
            .await?
    });
    Ok(found)
}

/// An issued card with its program. The code itself is never loaded: only its last four.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    pub id: String,
    pub program: Program,
    pub face_value: i64,
    pub purchased_with: String,
    pub purchaser_ref: String,
    pub code_last4: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub redeemed_by: Option<String>,
    pub redeemed_at: Option<i64>,
    /// Who issued it, as [`crate::services::Actor::recorded`]; `None` before actors were recorded.
    pub issued_actor: Option<String>,
    /// Who redeemed it; `None` until redeemed, and for a card redeemed before actors were recorded.
    pub redeemed_actor: Option<String>,
}

/// A card to issue: its code already sealed and hashed for lookup.
pub struct NewCard<'a> {
    pub id: &'a str,
    pub program_id: &'a str,
    pub face_value: i64,
    pub currency: &'a str,
    pub purchased_with: &'a str,
    pub purchaser_ref: &'a str,
    pub code_sealed: String,
    pub code_lookup: String,
    pub code_last4: &'a str,
    pub issued_at: i64,
    pub expires_at: i64,
    pub issued_actor: Option<&'a str>,
}

impl NewCard<'_> {
    pub fn row(&self, tenant: &str) -> Row {
        Row {
            sql: "INSERT INTO gift_cards (id, tenant_id, program_id, face_value, currency, purchased_with, \
                  purchaser_ref, code_sealed, code_lookup, code_last4, issued_at, expires_at, issued_actor) \
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            params: vec![
                self.id.into(),
                tenant.into(),
                self.program_id.into(),
                self.face_value.into(),
                self.currency.into(),
                self.purchased_with.into(),
                self.purchaser_ref.into(),
                self.code_sealed.clone().into(),
                self.code_lookup.clone().into(),
                self.code_last4.into(),
                self.issued_at.into(),
                self.expires_at.into(),
                self.issued_actor.into(),
            ],
        }
    }
}

/// Marks a card redeemed by `actor` into `user`'s wallet; written in the unit that moves its
/// value to the user.
pub fn redeemed_row(card_id: &str, user: &str, actor: &str, at: i64) -> Row {
    Row {
        sql: "UPDATE gift_cards SET redeemed_by = $1, redeemed_at = $2, redeemed_actor = $3 \
              WHERE id = $4 AND redeemed_by IS NULL",
        params: vec![user.into(), at.into(), actor.into(), card_id.into()],
    }
}

type CardRow =
    (String, i64, String, String, String, i64, i64, Option<String>, Option<i64>, Option<String>, Option<String>);

const CARD_COLUMNS: &str = "c.id, c.face_value, c.purchased_with, c.purchaser_ref, c.code_last4, c.issued_at, \
                            c.expires_at, c.redeemed_by, c.redeemed_at, c.issued_actor, c.redeemed_actor";

/// Cards matching `condition` (on `c.`, `$1` the tenant, `$2`… `binds`), then `tail`.
async fn cards_where(db: &Db, tenant: &str, condition: &str, binds: &[&str], tail: &str) -> anyhow::Result<Vec<Card>> {
    let program_columns: String = PROGRAM_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {CARD_COLUMNS}, {program_columns} FROM gift_cards c JOIN gift_card_programs p ON p.id = c.program_id \
         WHERE c.tenant_id = $1 AND {condition}{tail}"
    );
    let rows: Vec<(CardRow, ProgramRow)> = on_db!(db, |pool, _d| {
        let mut query = sqlx::query(&sql).bind(tenant);
        for bind in binds {
            query = query.bind(*bind);
        }
        let mut read = Vec::new();
        for r in query.fetch_all(pool).await? {
            use sqlx::Row as _;
            let card: CardRow = (
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
                r.try_get(6)?,
                r.try_get(7)?,
                r.try_get(8)?,
                r.try_get(9)?,
                r.try_get(10)?,
            );
            let program: ProgramRow = (
                r.try_get(11)?,
                r.try_get(12)?,
                r.try_get(13)?,
                r.try_get(14)?,
                r.try_get(15)?,
                r.try_get(16)?,
                r.try_get(17)?,
                r.try_get(18)?,
                r.try_get(19)?,
                r.try_get(20)?,
                r.try_get(21)?,
            );
            read.push((card, program));
        }
        read
    });
    rows.into_iter().map(card_from_row).collect()
}

fn card_from_row((card, program): (CardRow, ProgramRow)) -> anyhow::Result<Card> {
    let (
        id,
        face_value,
        purchased_with,
        purchaser_ref,
        code_last4,
        issued_at,
        expires_at,
        redeemed_by,
        redeemed_at,
        issued_actor,
        redeemed_actor,
    ) = card;
    Ok(Card {
        id,
        program: program_from_row(program)?,
        face_value,
        purchased_with,
        purchaser_ref,
        code_last4,
        issued_at,
        expires_at,
        redeemed_by,
        redeemed_at,
        issued_actor,
        redeemed_actor,
    })
}

async fn card_where(db: &Db, tenant: &str, column: &str, value: &str) -> anyhow::Result<Option<Card>> {
    Ok(cards_where(db, tenant, &format!("c.{column} = $2"), &[value], "").await?.into_iter().next())
}

pub async fn card(db: &Db, tenant: &str, id: &str) -> anyhow::Result<Option<Card>> {
    card_where(db, tenant, "id", id).await
}

/// The card whose code hashes to `lookup`.
pub async fn card_by_code(db: &Db, tenant: &str, lookup: &str) -> anyhow::Result<Option<Card>> {
    card_where(db, tenant, "code_lookup", lookup).await
}

/// Up to `limit` of the cards a user redeemed, newest first (by issue), issued before the
/// card `before`.
pub async fn of_user(db: &Db, tenant: &str, user: &str, before: Option<&str>, limit: i64) -> anyhow::Result<Vec<Card>> {
    let tail = super::newest_first("c.id", before, 3, limit);
    let binds: Vec<&str> = std::iter::once(user).chain(before).collect();
    cards_where(db, tenant, "c.redeemed_by = $2", &binds, &tail).await
}

/// Cards (every tenant) expiring before `before`, not yet expired at `now`, whose expiry
/// notice was not given yet; soonest first.
pub async fn expiring(db: &Db, now: i64, before: i64, limit: i64) -> anyhow::Result<Vec<(String, String)>> {
    let found = on_db!(db, |pool, _d| {
        sqlx::query_as(
            "SELECT tenant_id, id FROM gift_cards WHERE expiry_noticed_at IS NULL \
             AND expires_at > $1 AND expires_at <= $2 ORDER BY expires_at LIMIT $3",
        )
        .bind(now)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    Ok(found)
}

/// Marks card `card_id`'s expiry as announced at `at`, if it was not before: the guard a
/// notice stands on, so two servers announce a card once between them.
pub fn expiry_noticed_row(card_id: &str, at: i64) -> Row {
    Row {
        sql: "UPDATE gift_cards SET expiry_noticed_at = $1 WHERE id = $2 AND expiry_noticed_at IS NULL",
        params: vec![at.into(), card_id.into()],
    }
}

/// What a card holds now: its own account until redeemed, then its pocket.
pub async fn remaining(db: &Db, tenant: &str, card: &Card) -> anyhow::Result<i64> {
    use crate::domain::pocket::{self, Pocket};
    let currency = ledger::Currency::parse(&card.program.currency)
        .map_err(|_| anyhow::anyhow!("card {} has a bad stored currency", card.id))?;
    let account = match &card.redeemed_by {
        None => pocket::gift_card_account(tenant, &card.id, currency),
        Some(user) => pocket::pocket_account(tenant, user, &Pocket::Gift(card.id.clone()), currency),
    };
    Ok(super::ledger::get_account(db, &account.id.0).await?.as_ref().map_or(0, super::wallet::available))
}
