//! The web wallet of a frozen user, on both backends, as a browser without JavaScript sees
//! it: home, the cash-out form, a new destination, redeeming a gift card and refunding a
//! remainder each say, in Korean and in English and in general words, that cash-outs are
//! paused and whose customer support to ask — never the operator's reason, who froze the
//! user or when — and offer no form that would be refused; a form posted anyway (a quote
//! page opened before the freeze) is answered 409 in the same words, nothing changed. Once
//! unfrozen, the forms are back.

mod support;

use serde_json::json;
use smallchange::config::Settings;
use support::wallet::{Browser, Page};
use support::{fresh_db, spawn_with, Backend, TestServer};

both_backends!(a_paused_wallet_says_so_and_never_why, super::a_paused_wallet_says_so_and_never_why_on);

/// The operator's reason: something the user must not read.
const REASON: &str = "SECRET-7731 신고 조사 중: 본인에게 알리지 말 것";

fn settings(s: &mut Settings) {
    s.cashout.rails.bank_account = "sandbox".into();
}

/// A user with a checked identity, a bank account, ₩50,000 to withdraw and a gift card whose
/// remainder may be refunded: their id and the card's.
async fn customer(server: &TestServer) -> (String, String) {
    let id = server.create_user(1).await;
    let kyc = json!({"level": "verified", "legal_name": "김민지", "birth_date": "1995-04-12", "document_ref": "id-1"});
    assert_eq!(server.post(&format!("/v1/users/{id}/kyc"), kyc).await.0, 200);
    let bank = json!({"type": "bank_account", "bank_code": "004", "account_number": "123-456-789012", "holder_name": "김민지"});
    assert_eq!(server.post(&format!("/v1/users/{id}/payout-destinations"), bank).await.0, 200);
    server.topup(&id, "bank_transfer", 50_000).await;
    let body =
        json!({"brand": "Cafe", "currency": "KRW", "region": "KR", "face_values": [10_000], "validity_days": 90});
    let (_, program) = server.post("/v1/gift-card-programs", body).await;
    let body = json!({"program_id": program["id"], "face_value": 10_000, "purchased_with": "bank_transfer",
        "purchaser_ref": "order-1"});
    let (_, card) = server.post("/v1/gift-cards", body).await;
    let redeem = json!({"brand": "Cafe", "code": card["code"]});
    assert_eq!(server.post(&format!("/v1/users/{id}/gift-cards"), redeem).await.0, 200);
    let pay = json!({"merchant": "m", "amount": 9_000, "currency": "KRW"});
    assert_eq!(server.post(&format!("/v1/users/{id}/payments"), pay).await.0, 200);
    (id, card["id"].as_str().unwrap().to_string())
}

/// The pages a frozen user may open, each with the form it offers when not frozen.
fn pages(card: &str) -> [(String, String); 5] {
    [
        ("/wallet/".into(), "class=\"button\" href=\"/wallet/cash-out\"".into()),
        ("/wallet/cash-out".into(), "action=\"/wallet/cash-out\"".into()),
        ("/wallet/cash-out/destinations/new".into(), "name=\"type\"".into()),
        ("/wallet/gift-cards/redeem".into(), "action=\"/wallet/gift-cards/redeem\"".into()),
        (format!("/wallet/gift-cards/{card}/refund"), format!("action=\"/wallet/gift-cards/{card}/refund\"")),
    ]
}

/// Nothing of the freeze but that it is there: not the reason, not who, not when.
fn says_nothing_of_why(page: &Page, by: &str) {
    for secret in [REASON, "SECRET-7731", by] {
        assert!(!page.shows(secret), "the page shows {secret:?}: {}", page.html);
    }
}

async fn a_paused_wallet_says_so_and_never_why_on(backend: Backend) {
    let server = spawn_with(fresh_db(backend).await, settings).await;
    let (user, card) = customer(&server).await;
    let (mut browser, _) = server.signed_in(&user).await;
    // A quote asked for before the freeze.
    let form = browser.get("/wallet/cash-out").await;
    let destination = form.html.split("name=\"destination\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let destination = destination.to_string();
    let fields =
        [("destination", destination.as_str()), ("how", "amount"), ("amount", "20,000"), ("speed", "standard")];
    let asked = browser.submit(&form, "/wallet/cash-out", &fields).await;
    assert_eq!(asked.status, 303, "{}", asked.html);
    let quote_path = asked.location.unwrap();
    let quote = browser.get(&quote_path).await;

    let (status, frozen) = server.post(&format!("/v1/users/{user}/freeze"), json!({"reason": REASON})).await;
    assert_eq!(status, 200, "{frozen}");
    let by = frozen["frozen"]["by"].as_str().unwrap().to_string();

    // In Korean (the default), every page says it in general words, with no form to refuse.
    for (path, form) in pages(&card) {
        let page = browser.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.html);
        assert!(page.shows("지금은 출금이 멈춰 있어요"), "{path}: {}", page.html);
        assert!(page.shows("자세한 내용은 test 고객센터에 문의해 주세요."), "{path}: {}", page.html);
        assert!(!page.shows(&form), "{path} offers a form that would be refused: {}", page.html);
        says_nothing_of_why(&page, &by);
    }
    // A form posted anyway is refused in the same words, and nothing is held.
    let refused = browser.submit(&quote, &quote_path, &[]).await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert!(refused.shows("지금은 이 지갑에서 출금이 멈춰 있어서 아무것도 바뀌지 않았어요."), "{}", refused.html);
    says_nothing_of_why(&refused, &by);
    let home = browser.get("/wallet/").await;
    let asked = browser.submit(&home, "/wallet/cash-out", &fields).await;
    assert_eq!(asked.status, 409, "{}", asked.html);
    assert!(asked.shows("고객센터에 문의해 주세요"), "{}", asked.html);
    says_nothing_of_why(&asked, &by);
    assert_eq!(server.balances(&user).await["withdrawable"], 50_000, "nothing is held");
    let (_, cashouts) = server.get(&format!("/v1/users/{user}/cashouts")).await;
    assert_eq!(cashouts["data"], json!([]), "{cashouts}");

    // In English too.
    let mut english = Browser::new(&server.base);
    english.cookies = browser.cookies.clone();
    english.accept_language = "en".into();
    for (path, _) in pages(&card) {
        let page = english.get(&path).await;
        assert!(page.shows("Cash-outs are paused"), "{path}: {}", page.html);
        assert!(page.shows("To find out more, contact test customer support."), "{path}: {}", page.html);
        says_nothing_of_why(&page, &by);
    }
    let quote = english.get(&quote_path).await;
    let refused = english.submit(&quote, &quote_path, &[]).await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert!(
        refused.shows("Cash-outs from this wallet are paused for now, so nothing was changed."),
        "{}",
        refused.html
    );
    says_nothing_of_why(&refused, &by);

    // Unfrozen: the forms are back, and the notice is gone.
    let (status, _) = server.post(&format!("/v1/users/{user}/unfreeze"), json!({"reason": "cleared"})).await;
    assert_eq!(status, 200);
    for (path, form) in pages(&card) {
        let page = browser.get(&path).await;
        assert!(page.shows(&form) && !page.shows("출금이 멈춰"), "{path}: {}", page.html);
    }
    server.assert_verified().await;
    server.stop().await;
}
