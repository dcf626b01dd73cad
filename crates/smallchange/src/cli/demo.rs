//! `serve --demo`: a demo tenant with users, pockets filled from every source, gift cards
//! near and far from their refund threshold, merchants that were paid, and a key to try it
//! all with.
//!
//! The data is made through the server's own HTTP API, so it is exactly what an operator's
//! requests would have made, and the demo cannot drift from the real write paths.
//!
//! What was seeded is recorded ([`demo_seed`], the demo key's secret included), so the next
//! `serve --demo` on the same database reuses the tenant and prints the same key and ids.
//! `--demo-reset` revokes the old demo key, forgets the record and seeds a new tenant; it
//! deletes nothing, so it can never touch data that is not the demo's.

use std::net::SocketAddr;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::cli::Failure;
use crate::services::operators::admin;
use crate::store::demo_seed::{self, DemoSeed};
use crate::store::tenants::{self, Role};
use crate::store::Db;

const DEMO_TENANT_NAME: &str = "demo";

/// The name the demo operator signs its SMS, pages and receipts with, and the placeholder
/// registration number its receipts print (a settings file given with `--demo` wins).
pub const DEMO_OPERATOR_NAME: &str = "smallchange demo";
const DEMO_REGISTRATION_NUMBER: &str = "000-00-00000";

/// The demo's settings: e-wallet cash-outs go to the sandbox rail, which pays them a few
/// seconds after submission, so a cash-out can be watched from quote to `paid`; bank
/// accounts keep the real bank rail (pain.001 batches and status reports). The demo names
/// its operator itself, unless the settings did.
pub fn adjust(settings: &mut crate::config::Settings) {
    let cashout = &mut settings.cashout;
    if cashout.business_name.trim().is_empty() {
        cashout.business_name = DEMO_OPERATOR_NAME.into();
    }
    if cashout.business_registration_number.trim().is_empty() {
        cashout.business_registration_number = DEMO_REGISTRATION_NUMBER.into();
    }
    settings.cashout.rails.e_wallet = "sandbox".into();
    settings.cashout.sandbox_settle_s = settings.cashout.sandbox_settle_s.max(5);
}

/// Seeds a demo tenant and prints its admin key and ids; or, on a database seeded before
/// (`shown_db` names it), prints those again. `reset` starts over instead.
pub async fn seed(db: &Db, addr: SocketAddr, shown_db: &str, reset: bool) -> anyhow::Result<()> {
    if let Some(old) = demo_seed::load(db).await? {
        if reset {
            tenants::revoke_key(db, &old.key_id).await?;
            demo_seed::forget(db).await?;
            println!(
                "starting the demo over: revoked the old demo key {}; the old demo tenant {} stays, unused",
                old.key_id, old.tenant_id
            );
        } else {
            return reuse(db, addr, shown_db, old).await;
        }
    }
    let tenant = tenants::create_tenant(db, DEMO_TENANT_NAME).await?;
    let (key_id, key) = tenants::create_key_with_id(db, &tenant, Role::Admin).await?;
    let api = Api { base: format!("http://{addr}"), key: key.clone(), client: reqwest::Client::new() };
    let seeded = fill(&api).await.context("seeding the demo data")?;
    let printed = serde_json::to_string(&seeded)?;
    demo_seed::save(db, &DemoSeed { tenant_id: tenant.clone(), key_id, key_secret: key.clone(), printed }).await?;
    println!("demo tenant {tenant} is ready in {shown_db}");
    print(addr, &key, &seeded);
    print_wallet_link(&api, &tenant, &seeded).await
}

/// A fresh one-time link into minji's web wallet (each start makes a new one: a link opens
/// once, within five minutes), and where junho signs in with his phone.
async fn print_wallet_link(api: &Api, tenant: &str, seeded: &Seeded) -> anyhow::Result<()> {
    let link = api.post(&format!("/v1/users/{}/wallet-links", seeded.minji), json!({})).await?;
    let url = link["url"].as_str().unwrap_or_default();
    let url = if url.starts_with('/') { format!("{}{url}", api.base) } else { url.to_string() };
    println!("minji's web wallet (opens once, within 5 minutes): {url}");
    println!(
        "junho signs in at {}/wallet/sign-in/{tenant} with 010-8765-4321; the code is in {}/v1/dev/sms-outbox",
        api.base, api.base
    );
    Ok(())
}

async fn reuse(db: &Db, addr: SocketAddr, shown_db: &str, old: DemoSeed) -> anyhow::Result<()> {
    if tenants::find_key(db, &tenants::hash_secret(&old.key_secret)).await?.is_none() {
        return Err(Failure::new(format!("the demo key of tenant {} was revoked", old.tenant_id))
            .hint("start the demo over with `smallchange serve --demo --demo-reset`")
            .into());
    }
    let seeded: Seeded = serde_json::from_str(&old.printed).context("the recorded demo seed")?;
    println!("reusing the demo tenant {} from {shown_db} (--demo-reset starts over)", old.tenant_id);
    print(addr, &old.key_secret, &seeded);
    let api = Api { base: format!("http://{addr}"), key: old.key_secret.clone(), client: reqwest::Client::new() };
    print_wallet_link(&api, &old.tenant_id, &seeded).await
}

fn print(addr: SocketAddr, key: &str, seeded: &Seeded) {
    println!("admin key: {key}");
    println!(
        "users: minji {} (every pocket, three gift cards, a paid and a failed cash-out), junho {} (cash and carrier)",
        seeded.minji, seeded.junho
    );
    println!(
        "minji's destinations: e-wallet {} (sandbox rail, pays itself), bank account {} (bank rail, pain.001)",
        seeded.e_wallet, seeded.bank
    );
    println!("a gift card the demo left unredeemed: brand CultureLand, code {}", seeded.spare_code);
    println!("try: curl -s http://{addr}/v1/users/{}/balances -H 'Authorization: Bearer {key}'", seeded.minji);
    // --json (curl 7.82+) labels the body application/json; a bare -d would send a form (415).
    println!(
        "pay: curl -s http://{addr}/v1/users/{}/payments -H 'Authorization: Bearer {key}' \\\n  --json '{{\"merchant\": \"demo-cafe\", \"amount\": 4500, \"currency\": \"KRW\", \"description\": \"latte\"}}'",
        seeded.minji
    );
    println!("guides: docs/WALLET.md, docs/CASHOUT.md · API explorer: http://{addr}/docs");
}

/// The demo tenant's console admin: `admin+<tenant>@demo.example` (an email is one operator
/// in the whole deployment, and `--demo-reset` makes a new tenant). Made, with a one-time
/// set-up link, on the first start; on later starts named with where to sign in. A
/// password that was set is never reset; an admin who never used their link gets a new one.
fn demo_admin_email(tenant_id: &str) -> String {
    format!("admin+{}@demo.example", tenant_id.trim_start_matches("ten_"))
}

/// Prints how to get into the console as the demo admin.
pub async fn console(db: &Db, settings: &crate::config::Settings, addr: SocketAddr) -> anyhow::Result<()> {
    let Some(demo) = demo_seed::load(db).await? else { return Ok(()) };
    let email = demo_admin_email(&demo.tenant_id);
    let (ctx, stop) = crate::cli::operators::command_context(db.clone(), settings)?;
    let found = crate::store::operators::by_email(db, &email).await?;
    let actor = crate::services::Actor::System("demo");
    let invited = match found {
        None => Some(admin::create(&ctx, &actor, &demo.tenant_id, &email, "admin").await),
        Some(operator) if operator.disabled_at.is_none() && !operator.is_set_up() => {
            Some(admin::reset(&ctx, &actor, &operator.tenant_id, &email).await)
        }
        Some(_) => None,
    };
    stop(ctx).await?;
    match invited {
        Some(invited) => {
            let invited = invited.map_err(|e| anyhow::anyhow!("{e}"))?;
            let url = invited.setup_url;
            let url = if url.starts_with('/') { format!("http://{addr}{url}") } else { url };
            println!("console: set up the demo admin {email} (the link works once, within 15 minutes): {url}");
        }
        None => println!("console: sign in at http://{addr}/console/sign-in as {email} (docs/CONSOLE.md)"),
    }
    Ok(())
}

/// The HTTP API as a client sees it (the demo seeds through it; `bench cashout` drives it).
pub(crate) struct Api {
    pub base: String,
    pub key: String,
    pub client: reqwest::Client,
}

impl Api {
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let response = self.client.get(format!("{}{path}", self.base)).bearer_auth(&self.key).send().await?;
        let status = response.status();
        let answer: Value = response.json().await?;
        anyhow::ensure!(status.is_success(), "GET {path} answered {status}: {answer}");
        Ok(answer)
    }

    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response =
            self.client.post(format!("{}{path}", self.base)).bearer_auth(&self.key).json(&body).send().await?;
        let status = response.status();
        let answer: Value = response.json().await?;
        anyhow::ensure!(status.is_success(), "POST {path} answered {status}: {answer}");
        Ok(answer)
    }
}

/// The ids the demo prints, recorded to be printed again.
#[derive(Serialize, Deserialize)]
struct Seeded {
    minji: String,
    junho: String,
    /// Minji's bank account (the bank rail: pain.001) and e-wallet (the sandbox rail).
    bank: String,
    e_wallet: String,
    spare_code: String,
}

fn id(answer: &Value) -> String {
    answer["id"].as_str().unwrap_or_default().to_string()
}

async fn fill(api: &Api) -> anyhow::Result<Seeded> {
    let minji =
        id(&api.post("/v1/users", json!({"external_id": "minji", "phone": "+821012345678", "name": "Minji"})).await?);
    let junho =
        id(&api.post("/v1/users", json!({"external_id": "junho", "phone": "+821087654321", "name": "Junho"})).await?);
    let kyc =
        json!({"level": "verified", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "demo-id-1"});
    api.post(&format!("/v1/users/{minji}/kyc"), kyc).await?;
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-789012", "holder_name": "김민지"});
    let bank = id(&api.post(&format!("/v1/users/{minji}/payout-destinations"), bank).await?);
    let wallet =
        json!({"type": "e_wallet", "provider": "kakaopay", "wallet_id": "minji-0412", "holder_name": "김민지"});
    let e_wallet = id(&api.post(&format!("/v1/users/{minji}/payout-destinations"), wallet).await?);
    let topup = |source: &str, amount: i64, refund_of: Option<&str>| {
        let mut body =
            json!({"source": source, "amount": amount, "currency": "KRW", "reference": format!("demo-{source}")});
        if let Some(of) = refund_of {
            body["refund_of"] = of.into();
        }
        body
    };
    for body in [
        // ₩10,000 more than the balances shown in the guides: the demo's paid cash-out takes it.
        topup("bank_transfer", 40_000, None),
        topup("earning", 12_000, None),
        topup("refund", 4_500, Some("bank_transfer")),
        topup("refund", 3_300, Some("carrier_billing")),
        topup("cashback", 11_000, None),
        topup("promo", 5_000, None),
        topup("carrier_billing", 20_000, None),
        topup("card", 8_000, None),
    ] {
        api.post(&format!("/v1/users/{minji}/topups"), body).await?;
    }
    api.post(&format!("/v1/users/{junho}/topups"), topup("bank_transfer", 7_000, None)).await?;
    api.post(&format!("/v1/users/{junho}/topups"), topup("carrier_billing", 50_000, None)).await?;

    let program = |brand: &str, validity_days: i64| {
        json!({"brand": brand, "currency": "KRW", "region": "KR", "face_values": [5_000, 10_000, 30_000, 50_000],
            "validity_days": validity_days})
    };
    let culture = id(&api.post("/v1/gift-card-programs", program("CultureLand", 1_825)).await?);
    let happy = id(&api.post("/v1/gift-card-programs", program("HappyMoney", 365)).await?);
    let pay = |merchant: &str, amount: i64, description: &str| json!({"merchant": merchant, "amount": amount, "currency": "KRW", "description": description});
    let payments = format!("/v1/users/{minji}/payments");
    // A ₩10,000 card, 85 % spent: past its 80 % threshold, so its ₩1,500 is refundable.
    redeem_new_card(api, &minji, &culture, "CultureLand", 10_000, "earning").await?;
    api.post(&payments, pay("webtoon-cafe", 8_500, "episode pack")).await?;
    // A ₩50,000 card expiring sooner (so spent first), 54 % spent: near its 60 % threshold.
    redeem_new_card(api, &minji, &happy, "HappyMoney", 50_000, "bank_transfer").await?;
    api.post(&payments, pay("game-store", 27_000, "season pass")).await?;
    // A ₩30,000 card charged to a phone bill, untouched: far from its threshold, and its
    // remainder could only ever go back to the carrier pocket.
    redeem_new_card(api, &minji, &culture, "CultureLand", 30_000, "carrier_billing").await?;
    api.post(&format!("/v1/users/{junho}/payments"), pay("music-app", 4_900, "monthly plan")).await?;
    let spare = api.post("/v1/gift-cards", issue(&culture, 5_000, "bank_transfer")).await?;
    cash_out_history(api, &minji).await.context("minji's cash-out history")?;
    Ok(Seeded { minji, junho, bank, e_wallet, spare_code: spare["code"].as_str().unwrap_or_default().to_string() })
}

/// Minji's cash-out history for the web wallet to show: ₩10,000 paid to a toss e-wallet, and
/// ₩5,000 to an e-wallet the sandbox refuses as closed (the money comes back). Each is
/// confirmed with its SMS code and, being a first cash-out to its destination, approved;
/// the sandbox rail settles them a few seconds later.
async fn cash_out_history(api: &Api, minji: &str) -> anyhow::Result<()> {
    for (wallet_id, amount) in [("minji-toss", 10_000), ("old-0000", 5_000)] {
        let destination =
            json!({"type": "e_wallet", "provider": "toss", "wallet_id": wallet_id, "holder_name": "김민지"});
        let destination = id(&api.post(&format!("/v1/users/{minji}/payout-destinations"), destination).await?);
        let quote = json!({"amount": amount, "currency": "KRW", "destination_id": destination});
        let quote = id(&api.post(&format!("/v1/users/{minji}/cashout-quotes"), quote).await?);
        let cashout = id(&api.post("/v1/cashouts", json!({"quote_id": quote})).await?);
        let outbox = api.get("/v1/dev/sms-outbox").await?;
        let text = outbox[0]["text"].as_str().unwrap_or_default();
        let code: String = text.split(|c: char| !c.is_ascii_digit()).rfind(|d| d.len() == 6).unwrap_or_default().into();
        let confirmed = api.post(&format!("/v1/cashouts/{cashout}/confirm"), json!({"otp": code})).await?;
        if confirmed["status"] == "in_review" {
            api.post(&format!("/v1/cashouts/{cashout}/approve"), json!({"reason": "demo history"})).await?;
        }
    }
    Ok(())
}

fn issue(program: &str, face_value: i64, purchased_with: &str) -> Value {
    json!({"program_id": program, "face_value": face_value, "purchased_with": purchased_with, "purchaser_ref": "demo-sale"})
}

async fn redeem_new_card(
    api: &Api,
    user: &str,
    program: &str,
    brand: &str,
    face_value: i64,
    purchased_with: &str,
) -> anyhow::Result<()> {
    let card = api.post("/v1/gift-cards", issue(program, face_value, purchased_with)).await?;
    api.post(&format!("/v1/users/{user}/gift-cards"), json!({"brand": brand, "code": card["code"]})).await?;
    Ok(())
}
