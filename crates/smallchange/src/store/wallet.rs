//! Reading the wallet: a user's pockets with their balances, payments and their refunds,
//! and statement entries. Writes happen only through units in the committer (see
//! [`crate::unit`]); the row builders for them are here, beside the tables they fill.

use std::collections::HashMap;

use ledger::Account;

use super::ledger::{account_from_row, AccountRow, ACCOUNT_COLUMNS};
use super::{Db, Tx};
pub use crate::domain::gift_card::GiftTerms;
use crate::domain::gift_card::RefundRule;
use crate::domain::pocket::Pocket;
pub use crate::domain::pocket::{available, PocketAccount};
use crate::unit::{Row, WalletOf};
use crate::{on_db, on_tx};

/// Every pocket account `user` has in `currency`.
pub async fn pockets(db: &Db, tenant: &str, user: &str, currency: &str) -> anyhow::Result<Vec<PocketAccount>> {
    let rows: Vec<PocketRow> = on_db!(db, |pool, _d| {
        let sql = pockets_sql(["$1", "$2", "$3"]);
        sqlx::query_as(&sql).bind(tenant).bind(user).bind(currency).fetch_all(pool).await?
    });
    rows.into_iter().map(pocket_from_row).collect()
}

/// Wallets' pockets by wallet; `None` for a user the tenant does not have.
pub type Wallets = HashMap<WalletOf, Option<Vec<PocketAccount>>>;

/// The pockets of each wallet, inside the committer's transaction (PostgreSQL), in two
/// statements whatever the number of wallets; `None` for a user the tenant does not have.
pub async fn wallets_in(tx: &mut Tx, wallets: &[&WalletOf]) -> anyhow::Result<Wallets> {
    let mut found = Wallets::new();
    if wallets.is_empty() {
        return Ok(found);
    }
    let users: Vec<&str> = wallets.iter().map(|w| w.user.as_str()).collect();
    let rows: Vec<(String, String, PocketRow)> = on_tx!(tx, |c, d| {
        let sql = format!("{} WHERE {}", pockets_select(", p.tenant_id, p.user_id"), d.in_id_list("p.user_id", 1));
        let rows = sqlx::query(&sql).bind(d.id_list(users.iter().copied())).fetch_all(&mut *c).await?;
        let mut read = Vec::with_capacity(rows.len());
        for r in rows {
            use sqlx::Row as _;
            let pocket: PocketRow = (
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
                r.try_get(11)?,
                r.try_get(12)?,
                r.try_get(13)?,
            );
            read.push((r.try_get(14)?, r.try_get(15)?, pocket));
        }
        read
    });
    for (tenant, user, row) in rows {
        let pocket = pocket_from_row(row)?;
        let wallet = WalletOf { tenant, user, currency: pocket.account.currency };
        if wallets.contains(&&wallet) {
            found.entry(wallet).or_insert_with(|| Some(Vec::new())).get_or_insert_with(Vec::new).push(pocket);
        }
    }
    let empty: Vec<&str> = wallets.iter().filter(|w| !found.contains_key(**w)).map(|w| w.user.as_str()).collect();
    let known: Vec<(String, String)> = if empty.is_empty() {
        Vec::new()
    } else {
        on_tx!(tx, |c, d| {
            let sql = format!("SELECT tenant_id, id FROM users WHERE {}", d.in_id_list("id", 1));
            sqlx::query_as(&sql).bind(d.id_list(empty.iter().copied())).fetch_all(&mut *c).await?
        })
    };
    for wallet in wallets {
        if !found.contains_key(*wallet) {
            let exists = known.iter().any(|(tenant, id)| *tenant == wallet.tenant && *id == wallet.user);
            found.insert((*wallet).clone(), exists.then(Vec::new));
        }
    }
    Ok(found)
}

/// A pocket as [`pockets_sql`] selects it: the pocket's name, its account, and its gift
/// card's expiry, face value and refund rule when it is one.
pub(crate) type PocketRow = (
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// The query for a user's pockets in a currency, with the given placeholders for tenant,
/// user and currency (`$n` for sqlx, `?` for the committer's own SQLite connection).
pub(crate) fn pockets_sql([tenant, user, currency]: [&str; 3]) -> String {
    let select = pockets_select("");
    format!("{select} WHERE p.tenant_id = {tenant} AND p.user_id = {user} AND p.currency = {currency}")
}

/// The pockets' columns (a [`PocketRow`], then `extra`) and their joins, without a filter.
fn pockets_select(extra: &str) -> String {
    let columns = ACCOUNT_COLUMNS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT p.pocket, {columns}, g.expires_at, g.face_value, r.threshold_bps_over, r.threshold_bps_small, \
         r.small_face_max{extra} FROM wallet_pockets p \
         JOIN ledger_accounts a ON a.id = p.account_id \
         LEFT JOIN gift_cards g ON g.id = p.gift_card_id \
         LEFT JOIN gift_card_programs r ON r.id = g.program_id"
    )
}

pub(crate) fn pocket_from_row(row: PocketRow) -> anyhow::Result<PocketAccount> {
    let (pocket, id, cur, code, flags, dp, dpo, cp, cpo, expires_at, face, over, small, small_max) = row;
    let account: AccountRow = (id, cur, code, flags, dp, dpo, cp, cpo);
    let pocket = Pocket::parse(&pocket).ok_or_else(|| anyhow::anyhow!("unknown pocket {pocket:?} stored"))?;
    let gift_card = match (face, over, small, small_max) {
        (Some(face_value), Some(over), Some(small), Some(small_face_max)) => Some(GiftTerms {
            face_value,
            rule: RefundRule { threshold_bps_over: over, threshold_bps_small: small, small_face_max },
        }),
        _ => None,
    };
    let account = account_from_row(account)?;
    Ok(PocketAccount { pocket, account, gift_card_expires_at: expires_at, gift_card })
}

/// Records that `account` is `user`'s pocket; repeating it changes nothing.
pub fn pocket_row(tenant: &str, user: &str, pocket: &Pocket, account: &Account, at: i64) -> Row {
    let gift_card = match pocket {
        Pocket::Gift(card) => Some(card.clone()),
        _ => None,
    };
    Row {
        sql: "INSERT INTO wallet_pockets (account_id, tenant_id, user_id, currency, pocket, gift_card_id, created_at) \
              VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id) DO NOTHING",
        params: vec![
            account.id.0.as_str().into(),
            tenant.into(),
            user.into(),
            account.currency.code().into(),
            pocket.name().into(),
            gift_card.into(),
            at.into(),
        ],
    }
}

/// One line of a user's statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub pocket: String,
    pub amount: i64,
    pub kind: String,
    pub reference_id: String,
    pub description: Option<String>,
    pub created_at: i64,
}

/// A statement line to write: `amount` is signed, + into the pocket, − out of it.
pub struct NewEntry<'a> {
    pub tenant: &'a str,
    pub user: &'a str,
    pub currency: &'a str,
    pub pocket: &'a Pocket,
    pub amount: i64,
    pub kind: &'static str,
    pub reference_id: &'a str,
    pub description: Option<&'a str>,
    pub at: i64,
}

impl NewEntry<'_> {
    /// The row of the `n`th entry a unit writes (entries of one unit keep their order).
    pub fn row(&self, n: usize) -> Row {
        Row {
            // `user_indexed` is the backend's default: see store::user_index.
            sql: "INSERT INTO wallet_entries (id, tenant_id, user_id, currency, pocket, amount, kind, reference_id, \
                  description, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            params: vec![
                crate::ids::time_ordered_nth("ent", self.at, n).into(),
                self.tenant.into(),
                self.user.into(),
                self.currency.into(),
                self.pocket.name().into(),
                self.amount.into(),
                self.kind.into(),
                self.reference_id.into(),
                self.description.into(),
                self.at.into(),
            ],
        }
    }
}

/// Which entries a statement page shows.
pub struct EntryQuery<'a> {
    pub tenant: &'a str,
    pub user: &'a str,
    pub currency: &'a str,
    pub from_us: i64,
    pub to_us: i64,
    pub starting_after: Option<&'a str>,
    pub limit: i64,
}

type EntryRow = (String, String, i64, String, String, Option<String>, i64);

const ENTRY_COLUMNS: &str = "id, pocket, amount, kind, reference_id, description, created_at";

/// Up to `limit` entries in the window, oldest first: from the user's statement index and
/// the entries not in it yet (see [`super::user_index`]).
pub async fn entries(db: &Db, q: &EntryQuery<'_>) -> anyhow::Result<Vec<Entry>> {
    const IN_WINDOW: &str = "tenant_id = $1 AND user_id = $2 AND currency = $3 AND id > $4 \
                             AND created_at >= $5 AND created_at < $6";
    let sql = format!(
        "SELECT * FROM (SELECT {ENTRY_COLUMNS} FROM wallet_entries WHERE {IN_WINDOW} AND user_indexed = 1 \
         ORDER BY id LIMIT $7) AS indexed \
         UNION ALL SELECT {ENTRY_COLUMNS} FROM wallet_entries WHERE {IN_WINDOW} AND user_indexed = 0 \
         ORDER BY id LIMIT $7"
    );
    let rows: Vec<EntryRow> = on_db!(db, |pool, _d| {
        sqlx::query_as(&sql)
            .bind(q.tenant)
            .bind(q.user)
            .bind(q.currency)
            .bind(q.starting_after.unwrap_or(""))
            .bind(q.from_us)
            .bind(q.to_us)
            .bind(q.limit)
            .fetch_all(pool)
            .await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, pocket, amount, kind, reference_id, description, created_at)| Entry {
            id,
            pocket,
            amount,
            kind,
            reference_id,
            description,
            created_at,
        })
        .collect())
}

/// The user's total in `currency` just before the entry `before_id`: the entries in the
/// statement index and those not in it yet.
pub async fn balance_before(db: &Db, tenant: &str, user: &str, currency: &str, before_id: &str) -> anyhow::Result<i64> {
    const BEFORE: &str = "FROM wallet_entries WHERE tenant_id = $1 AND user_id = $2 AND currency = $3 AND id < $4";
    let sql = format!(
        "SELECT CAST(COALESCE((SELECT SUM(amount) {BEFORE} AND user_indexed = 1), 0) \
         + COALESCE((SELECT SUM(amount) {BEFORE} AND user_indexed = 0), 0) AS BIGINT)"
    );
    let total: Option<i64> = on_db!(db, |pool, _d| {
        sqlx::query_scalar(&sql).bind(tenant).bind(user).bind(currency).bind(before_id).fetch_one(pool).await?
    });
    Ok(total.unwrap_or(0))
}

/// How much went back from each gift card's pocket (`gift:<card>`) of the user's in
/// `currency` as refunded remainders, from the statement lines written since `since_us`
/// (the oldest redemption of the cards asked about). Pockets with none are absent.
pub async fn remainders_refunded(
    db: &Db,
    tenant: &str,
    user: &str,
    currency: &str,
    since_us: i64,
) -> anyhow::Result<HashMap<String, i64>> {
    const REFUNDED: &str = "FROM wallet_entries WHERE tenant_id = $1 AND user_id = $2 AND currency = $3 \
                            AND id >= $4 AND kind = 'gift_card_remainder' AND amount < 0";
    let sql = format!(
        "SELECT pocket, CAST(-SUM(amount) AS BIGINT) FROM (SELECT pocket, amount {REFUNDED} AND user_indexed = 1 \
         UNION ALL SELECT pocket, amount {REFUNDED} AND user_indexed = 0) AS refunded GROUP BY pocket"
    );
    let since = crate::ids::time_ordered_floor("ent", since_us);
    let rows: Vec<(String, i64)> = on_db!(db, |pool, _d| {
        sqlx::query_as(&sql).bind(tenant).bind(user).bind(currency).bind(&since).fetch_all(pool).await?
    });
    Ok(rows.into_iter().collect())
}
