//! The committer's batch write (`store::grouped_rows`): on PostgreSQL plain inserts of one
//! statement go out as one multi-row INSERT. What the rows say must be written exactly as
//! row-by-row would: every row, every value, an UPDATE after the inserts it follows, a
//! child before its parent accepted, a missing parent or a duplicate refused with nothing
//! written.

mod support;

use smallchange::store::{grouped_rows, Db};
use smallchange::unit::{Param, Row};
use support::Backend;

const USER: &str = "INSERT INTO users (id, tenant_id, external_id, phone, kyc_level, created_at) \
                    VALUES ($1, $2, $3, $4, $5, $6)";
const DESTINATION: &str = "INSERT INTO payout_destinations (id, tenant_id, user_id, type, details, masked, \
                           holder_name, verified, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const RENAME: &str = "UPDATE users SET name = $1 WHERE id = $2";

fn user(id: &str) -> Row {
    let params: Vec<Param> =
        vec![id.into(), "ten_g".into(), format!("ext-{id}").into(), "+821000000000".into(), "none".into(), 1.into()];
    Row { sql: USER, params }
}

fn destination(id: &str, user: &str) -> Row {
    let params: Vec<Param> = vec![
        id.into(),
        "ten_g".into(),
        user.into(),
        "bank_account".into(),
        format!("{{\"of\":\"{user}\"}}").into(),
        "****".into(),
        "Holder".into(),
        0.into(),
        2.into(),
    ];
    Row { sql: DESTINATION, params }
}

fn rename(id: &str, name: &str) -> Row {
    Row { sql: RENAME, params: vec![name.into(), id.into()] }
}

async fn names(db: &Db) -> Vec<(String, Option<String>)> {
    let sql = "SELECT id, name FROM users WHERE tenant_id = 'ten_g' ORDER BY id";
    match db {
        Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
    }
}

async fn destinations(db: &Db) -> Vec<(String, String, String)> {
    let sql = "SELECT id, user_id, details FROM payout_destinations WHERE tenant_id = 'ten_g' ORDER BY id";
    match db {
        Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
    }
}

async fn write(db: &Db, rows: &[Row]) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    grouped_rows::write(&mut tx, rows).await?;
    Ok(tx.commit().await?)
}

async fn rows_are_written_as_given_on(backend: Backend) {
    let test_db = support::fresh_db(backend).await;
    let db = support::open(&test_db).await;
    write(&db, &[user("u1")]).await.unwrap();

    // As a batch of units writes them: interleaved tables, an update that needs the insert
    // before it, and (on PostgreSQL, once grouped) a destination sent before its user.
    let batch = [
        destination("d1", "u1"),
        user("u2"),
        destination("d2", "u2"),
        rename("u2", "second"),
        user("u3"),
        destination("d3", "u3"),
        rename("u3", "third"),
        rename("u1", "first"),
    ];
    write(&db, &batch).await.unwrap();
    let named = |id: &str, name: &str| (id.to_string(), Some(name.to_string()));
    assert_eq!(names(&db).await, vec![named("u1", "first"), named("u2", "second"), named("u3", "third")]);
    let dest = |id: &str, user: &str| (id.to_string(), user.to_string(), format!("{{\"of\":\"{user}\"}}"));
    assert_eq!(destinations(&db).await, vec![dest("d1", "u1"), dest("d2", "u2"), dest("d3", "u3")]);

    // A duplicate among grouped rows fails the whole write; nothing of it remains.
    let duplicate = [user("u4"), destination("d4", "u4"), user("u5"), user("u4")];
    assert!(write(&db, &duplicate).await.is_err());
    // A destination whose user never comes fails at the latest at commit.
    let orphan = [user("u6"), destination("d6", "nobody"), destination("d7", "u6")];
    assert!(write(&db, &orphan).await.is_err());
    assert_eq!(names(&db).await.len(), 3, "no user of a refused write remains");
    assert_eq!(destinations(&db).await.len(), 3, "no destination of a refused write remains");
}

both_backends!(rows_are_written_as_given, super::rows_are_written_as_given_on);
