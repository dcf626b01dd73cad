//! `serve --demo`: a demo tenant with a few funded ledger accounts, and a key to try them.

use std::net::SocketAddr;

use ledger::{Account, AccountFlags, AccountId, Amount, Currency, Transfer, TransferFlags, TransferId};

use crate::store::tenants::{self, Role};
use crate::store::Db;

const DEMO_TENANT_NAME: &str = "demo";

/// Seeds the demo tenant (on first start) and prints a fresh admin key for it.
pub async fn seed(db: &Db, addr: SocketAddr) -> anyhow::Result<()> {
    let tenant = tenants::create_tenant(db, DEMO_TENANT_NAME).await?;
    let key = tenants::create_key(db, &tenant, Role::Admin).await?;
    fund(db, &tenant).await?;
    println!("demo tenant {tenant} is ready");
    println!("admin key (shown once): {key}");
    println!("try: curl -s http://{addr}/v1/ledger/accounts/alice -H 'Authorization: Bearer {key}'");
    println!("API explorer: http://{addr}/docs");
    Ok(())
}

/// Opens `bank` (the operator's funding account), `alice` and `bob`, and credits
/// ₩50,000 to alice and ₩20,000 to bob, written straight through the kernel and store.
async fn fund(db: &Db, tenant: &str) -> anyhow::Result<()> {
    let id = |name: &str| AccountId(format!("{tenant}/{name}"));
    let customer = AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS;
    let mut book = ledger::Book::new(crate::store::now_us());
    book.create_account(Account::open(id("bank"), Currency::KRW, 1, AccountFlags::default()));
    book.create_account(Account::open(id("alice"), Currency::KRW, 2, customer));
    book.create_account(Account::open(id("bob"), Currency::KRW, 2, customer));
    let credit = |name: &str, amount: i64| Transfer {
        id: TransferId(format!("{tenant}/fund-{name}")),
        debit_account: Some(id("bank")),
        credit_account: Some(id(name)),
        amount: Amount::new(amount),
        currency: Some(Currency::KRW),
        code: 1,
        flags: TransferFlags::default(),
        pending_id: None,
        timeout_s: 0,
    };
    let results = book.apply(&[credit("alice", 50_000), credit("bob", 20_000)]);
    anyhow::ensure!(results.iter().all(|r| r.is_ok()), "demo funding failed: {results:?}");
    let writes = book.into_writes().map_err(|v| anyhow::anyhow!(v.0))?;
    let mut tx = db.begin().await?;
    crate::store::ledger::write(&mut tx, &writes, crate::store::now_us()).await?;
    tx.commit().await?;
    Ok(())
}
