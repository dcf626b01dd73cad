//! The lawful line as a property: random sequences of top-ups from every source, payments,
//! partial refunds, gift-card redemptions and remainder refunds, run against the server on
//! both backends and against an independent model of the pockets written here.
//!
//! After every step: each pocket holds what the model says (so no value changed its
//! provenance), carrier/card/promo value is never withdrawable, and the withdrawable amount
//! never exceeds what came in from withdrawable sources (plus rule-allowed remainders of
//! cards bought with withdrawable money) minus what went out. The ledger's invariants
//! (money conserved) are verified along the way.

mod support;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use support::{spawn, Backend, TestServer};

both_backends!(random_sequences_never_cross_the_line, super::random_sequences_never_cross_the_line_on);

const SEEDS: [u64; 3] = [0x5eed_0001, 0x5eed_0002, 0x5eed_0003];
const STEPS: usize = 80;
const SOURCES: [&str; 7] = ["bank_transfer", "earning", "refund", "cashback", "promo", "carrier_billing", "card"];
const WITHDRAWABLE_POCKETS: [&str; 3] = ["cash", "refund", "cashback"];
const CARRIER_LIMIT: i64 = 1_000_000;

/// xorshift64*: a small deterministic generator, so a failing seed can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// The pocket a source's value belongs in, as the model understands API.md.
fn pocket_of(source: &str, refund_of: Option<&str>) -> String {
    match (source, refund_of) {
        ("bank_transfer" | "earning", _) => "cash",
        ("refund", Some("carrier_billing")) => "carrier",
        ("refund", Some("card")) => "card",
        ("refund", Some("promo")) => "promo",
        ("refund", Some("cashback")) => "cashback",
        ("refund", _) => "refund",
        ("carrier_billing", _) => "carrier",
        (other, _) => other,
    }
    .to_string()
}

struct Card {
    id: String,
    face: i64,
    purchased_with: &'static str,
}

struct Payment {
    id: String,
    legs: Vec<(String, i64)>,
    refunded: i64,
}

#[derive(Default)]
struct Model {
    pockets: BTreeMap<String, i64>,
    cards: Vec<Card>,
    payments: Vec<Payment>,
    carrier_used: i64,
    /// Value that entered withdrawable pockets, and value that left them.
    clean_in: i64,
    clean_out: i64,
    /// How many remainder refunds the sequence made (it must make some).
    remainders_refunded: usize,
}

impl Model {
    fn credit(&mut self, pocket: &str, amount: i64, clean: bool) {
        *self.pockets.entry(pocket.to_string()).or_default() += amount;
        if clean && WITHDRAWABLE_POCKETS.contains(&pocket) {
            self.clean_in += amount;
        }
    }

    /// The spend order: gift cards (all of one program here, so by id), then the rest.
    fn spend_order(&self) -> Vec<String> {
        let mut order: Vec<String> = self.pockets.keys().filter(|p| p.starts_with("gift:")).cloned().collect();
        order.extend(["carrier", "card", "promo", "cashback", "refund", "cash"].map(String::from));
        order
    }

    fn pay(&mut self, amount: i64) -> Option<Vec<(String, i64)>> {
        let order = self.spend_order();
        let held: i64 = order.iter().map(|p| self.pockets.get(p).copied().unwrap_or(0)).sum();
        if held < amount {
            return None;
        }
        let mut left = amount;
        let mut legs = Vec::new();
        for pocket in order {
            let has = self.pockets.get(&pocket).copied().unwrap_or(0);
            let take = has.min(left);
            if take > 0 {
                *self.pockets.get_mut(&pocket).unwrap() -= take;
                if WITHDRAWABLE_POCKETS.contains(&pocket.as_str()) {
                    self.clean_out += take;
                }
                legs.push((pocket, take));
                left -= take;
            }
        }
        Some(legs)
    }
}

/// Refund shares, last-paid leg first, given what was refunded before.
fn shares(legs: &[(String, i64)], refunded: i64, amount: i64) -> Vec<(String, i64)> {
    let mut skip = refunded;
    let mut left = amount;
    let mut out = Vec::new();
    for (pocket, paid) in legs.iter().rev() {
        let skipped = skip.min(*paid);
        skip -= skipped;
        let give = (paid - skipped).min(left);
        left -= give;
        if give > 0 {
            out.push((pocket.clone(), give));
        }
    }
    out.reverse();
    out
}

fn legs_of(answer: &Value) -> Vec<(String, i64)> {
    answer["legs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["pocket"].as_str().unwrap().to_string(), l["amount"].as_i64().unwrap()))
        .collect()
}

async fn random_sequences_never_cross_the_line_on(backend: Backend) {
    let server = spawn(backend).await;
    let body = json!({"brand": "CultureLand", "currency": "KRW", "region": "KR",
        "face_values": [5_000, 10_000, 30_000, 50_000], "validity_days": 365});
    let (status, program) = server.post("/v1/gift-card-programs", body).await;
    assert_eq!(status, 200);
    let program = program["id"].as_str().unwrap().to_string();
    for (n, seed) in SEEDS.into_iter().enumerate() {
        let user = server.create_user(n as u32).await;
        let mut model = Model::default();
        let mut rng = Rng(seed);
        for step in 0..STEPS {
            let action = run_step(&server, &user, &program, &mut model, &mut rng).await;
            check_against_model(&server, &user, &model, &format!("seed {seed:#x} step {step}: {action}")).await;
            if step % 20 == 19 {
                server.assert_verified().await;
            }
        }
        assert!(model.remainders_refunded > 0, "seed {seed:#x} never refunded a remainder: pick other seeds");
    }
    server.assert_verified().await;
    server.stop().await;
}

async fn run_step(server: &TestServer, user: &str, program: &str, model: &mut Model, rng: &mut Rng) -> String {
    match rng.below(12) {
        0..=3 => {
            let source = *rng.pick(&SOURCES);
            let refund_of = (source == "refund").then(|| *rng.pick(&SOURCES));
            let amount = 100 + rng.below(400_000) as i64;
            let mut body = json!({"source": source, "amount": amount, "currency": "KRW", "reference": "p"});
            if let Some(of) = refund_of {
                body["refund_of"] = of.into();
            }
            let (status, answer) = server.post(&format!("/v1/users/{user}/topups"), body).await;
            if source == "carrier_billing" && model.carrier_used + amount > CARRIER_LIMIT {
                assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("carrier_monthly_limit")));
            } else {
                assert_eq!(status, 200, "{answer}");
                let pocket = pocket_of(source, refund_of);
                assert_eq!(answer["pocket"], pocket.as_str(), "{source} refund_of {refund_of:?}");
                model.credit(&pocket, amount, true);
                if source == "carrier_billing" {
                    model.carrier_used += amount;
                }
            }
            format!("topup {source} {refund_of:?} {amount}")
        }
        4..=6 => {
            // Some payments use the next gift card to a random share between 50 % and 95 %,
            // so cards end up near and past their refund thresholds.
            let next_card = model.spend_order().into_iter().find(|p| p.starts_with("gift:") && model.pockets[p] > 0);
            let face = next_card.as_ref().and_then(|p| model.cards.iter().find(|c| p.ends_with(&c.id))).map(|c| c.face);
            let amount = match (next_card, face, rng.below(2)) {
                (Some(pocket), Some(face), 0) => {
                    let used_target = face * (50 + rng.below(46) as i64) / 100;
                    (model.pockets[&pocket] - (face - used_target)).max(100)
                }
                _ => 100 + rng.below(300_000) as i64,
            };
            let body = json!({"merchant": "shop", "amount": amount, "currency": "KRW"});
            let (status, answer) = server.post(&format!("/v1/users/{user}/payments"), body).await;
            match model.pay(amount) {
                None => assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("insufficient_funds"))),
                Some(legs) => {
                    assert_eq!(status, 200, "{answer}");
                    assert_eq!(legs_of(&answer), legs, "spend order");
                    let id = answer["id"].as_str().unwrap().to_string();
                    model.payments.push(Payment { id, legs, refunded: 0 });
                }
            }
            format!("pay {amount}")
        }
        7 => {
            let open: Vec<usize> = (0..model.payments.len())
                .filter(|i| model.payments[*i].refunded < total(&model.payments[*i]))
                .collect();
            if open.is_empty() {
                return "no refundable payment".into();
            }
            let index = *rng.pick(&open);
            let left = total(&model.payments[index]) - model.payments[index].refunded;
            let amount = if rng.below(2) == 0 { left } else { 1 + rng.below(left as u64) as i64 };
            let payment = &model.payments[index];
            let (status, answer) =
                server.post(&format!("/v1/payments/{}/refund", payment.id), json!({"amount": amount})).await;
            assert_eq!(status, 200, "{answer}");
            let expected = shares(&payment.legs, payment.refunded, amount);
            assert_eq!(legs_of(&answer), expected, "refunds go back to the pockets that paid");
            model.payments[index].refunded += amount;
            for (pocket, share) in expected {
                model.credit(&pocket, share, true);
            }
            format!("refund {amount}")
        }
        8 | 9 => {
            let face = *rng.pick(&[5_000, 10_000, 30_000, 50_000]);
            let purchased_with = *rng.pick(&SOURCES);
            let body = json!({"program_id": program, "face_value": face, "purchased_with": purchased_with, "purchaser_ref": "s"});
            let (status, card) = server.post("/v1/gift-cards", body).await;
            assert_eq!(status, 200, "{card}");
            let (status, redeemed) = server
                .post(&format!("/v1/users/{user}/gift-cards"), json!({"brand": "CultureLand", "code": card["code"]}))
                .await;
            assert_eq!(status, 200, "{redeemed}");
            let id = card["id"].as_str().unwrap().to_string();
            model.credit(&format!("gift:{id}"), face, false);
            model.cards.push(Card { id, face, purchased_with });
            format!("gift card {face} bought with {purchased_with}")
        }
        _ => {
            // Mostly a card with something left on it; sometimes any card.
            let holding: Vec<&Card> =
                model.cards.iter().filter(|c| model.pockets[&format!("gift:{}", c.id)] > 0).collect();
            let all: Vec<&Card> = model.cards.iter().collect();
            let candidates = if holding.is_empty() || rng.below(4) == 0 { all } else { holding };
            if candidates.is_empty() {
                return "no card".into();
            }
            let card = *rng.pick(&candidates);
            let pocket = format!("gift:{}", card.id);
            let left = model.pockets[&pocket];
            let threshold = if card.face > 10_000 { 6_000 } else { 8_000 };
            let allowed = left > 0 && (card.face - left) * 10_000 / card.face >= threshold;
            let (status, answer) =
                server.post(&format!("/v1/gift-cards/{}/refund-remainder", card.id), json!({})).await;
            let description = format!(
                "remainder of {} (face {}, left {left}, bought with {})",
                card.id, card.face, card.purchased_with
            );
            if !allowed {
                assert_eq!(status, 409, "{description}: {answer}");
                return description;
            }
            assert_eq!(status, 200, "{description}: {answer}");
            model.remainders_refunded += 1;
            let destination = pocket_of(card.purchased_with, None);
            assert_eq!(answer["pocket"], destination.as_str(), "{description}");
            let clean = ["bank_transfer", "earning", "refund", "cashback"].contains(&card.purchased_with);
            *model.pockets.get_mut(&pocket).unwrap() -= left;
            model.credit(&destination, left, clean);
            description
        }
    }
}

fn total(payment: &Payment) -> i64 {
    payment.legs.iter().map(|(_, amount)| amount).sum()
}

async fn check_against_model(server: &TestServer, user: &str, model: &Model, context: &str) {
    let balances = server.balances(user).await;
    for pocket in balances["pockets"].as_array().unwrap() {
        let name = pocket["pocket"].as_str().unwrap();
        let expected = model.pockets.get(name).copied().unwrap_or(0);
        assert_eq!(pocket["available"].as_i64().unwrap(), expected, "{context}: pocket {name}: {balances}");
        if ["carrier", "card", "promo"].contains(&name) || name.starts_with("gift:") {
            assert_eq!(pocket["withdrawable"], 0, "{context}: {name} must never be withdrawable");
        }
    }
    let withdrawable = balances["withdrawable"].as_i64().unwrap();
    assert!(
        withdrawable <= model.clean_in - model.clean_out,
        "{context}: withdrawable {withdrawable} exceeds clean in {} − out {}",
        model.clean_in,
        model.clean_out
    );
    let total: i64 = model.pockets.values().sum();
    assert_eq!(balances["total"].as_i64().unwrap(), total, "{context}: value created or destroyed");
}
