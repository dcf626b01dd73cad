//! The gift-cards pages: the cards the person redeemed (`/wallet/gift-cards`: what is left,
//! how much is used and how much was refunded, when the remainder becomes refundable, when
//! the card expires and whether that is soon), redeeming a code (`/wallet/gift-cards/redeem`,
//! every reason it cannot be told at once), and refunding a remainder
//! (`/wallet/gift-cards/{id}/refund`: a confirmation that says how much and where it goes,
//! then the refund). Another person's card is not found. A frozen user is told, in place of
//! the forms, that cash-outs (redemptions and refunds with them) are paused.
//!
//! A code that cannot be a card's (not 16 digits) is refused before anything is asked, with
//! how long codes are. A code that matched no card spent one of the person's few tries, so
//! its answer is a redirect to the form showing why (post/redirect/get): a reload does not
//! spend another. A refusal that changed nothing answers the form with its 4xx.

use std::net::{IpAddr, Ipv4Addr};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::domain::gift_card::{self, Presented};
use crate::people::i18n;
use crate::people::Lang;
use crate::services::gift_cards::{self, OwnCard, Redeemed};
use crate::services::users::freeze;
use crate::services::Kind;
use crate::web::page::{self, SignedPost};
use crate::web::visitor::Signed;
use crate::web::Ui;

pub fn router() -> Router<Ui> {
    Router::new()
        .route("/wallet/gift-cards", get(list))
        .route("/wallet/gift-cards/redeem", get(redeem_form).post(redeem))
        .route("/wallet/gift-cards/{id}/refund", get(confirm_refund).post(refund))
}

/// Cards shown on the list: far more than anyone holds at once.
const CARDS_SHOWN: i64 = 100;

/// A card as the pages show it.
#[derive(Serialize)]
struct CardShown {
    id: String,
    brand: String,
    face_value: i64,
    remaining: i64,
    /// What was spent: neither left nor refunded.
    used: i64,
    used_bps: i64,
    /// What went back as a refunded remainder.
    refunded: i64,
    threshold_bps: i64,
    refundable: bool,
    still_to_spend: i64,
    expires_at: i64,
    expired: bool,
    /// Value left and the card expires within [`EXPIRING_SOON_DAYS`].
    expiring_soon: bool,
    masked_code: String,
    /// How the card was bought (`carrier_billing`), which says where a remainder goes.
    purchased_with: String,
    /// The catalog message naming the pocket a refunded remainder goes to.
    refund_to: String,
    refund_withdrawable: bool,
}

fn shown(own: &OwnCard) -> CardShown {
    let view = &own.view;
    CardShown {
        id: view.card.id.clone(),
        brand: view.card.program.brand.clone(),
        face_value: view.card.face_value,
        remaining: view.remaining,
        used: (view.card.face_value - view.remaining - own.refunded).max(0),
        used_bps: gift_card::used_bps(view.card.face_value, view.remaining + own.refunded),
        refunded: own.refunded,
        threshold_bps: view.refund_threshold_bps(),
        refundable: view.refundable(),
        still_to_spend: view.still_to_spend(),
        expires_at: view.card.expires_at,
        expired: view.card.expires_at <= view.at,
        expiring_soon: gift_card::expires_soon(view.remaining, view.card.expires_at, view.at),
        masked_code: gift_card::masked(&view.card.code_last4),
        purchased_with: view.card.purchased_with.clone(),
        refund_to: format!("pocket-{}", own.refund_to.name()),
        refund_withdrawable: own.refund_withdrawable,
    }
}

#[derive(Deserialize)]
struct Done {
    /// `redeem` or `refund`: what was just done, to confirm it.
    done: Option<String>,
    /// The card it was done to.
    card: Option<String>,
}

async fn list(State(ui): State<Ui>, signed: Signed, Query(done): Query<Done>) -> Response {
    let found = match gift_cards::own_cards(&ui, &signed.actor(), signed.tenant(), signed.user_id(), CARDS_SHOWN).await
    {
        Ok(found) => found,
        Err(error) => return page::failure(&ui, &signed.visitor, error),
    };
    let cards: Vec<CardShown> = found.cards.iter().map(shown).collect();
    // A confirmation only of what the person's own card shows happened.
    let banner = match (done.done.as_deref(), done.card.as_deref()) {
        (Some(what @ ("redeem" | "refund")), Some(id)) => {
            cards.iter().find(|c| c.id == id && (what == "redeem" || c.remaining == 0)).map(|c| {
                let (brand, refund_to) = (c.brand.clone(), c.refund_to.clone());
                context! { what, brand, remaining => c.remaining, refunded => c.refunded, refund_to }
            })
        }
        _ => None,
    };
    let values =
        context! { cards, banner, has_more => found.has_more, nav => "gift-cards", here => "/wallet/gift-cards" };
    page::show_signed(&ui, &signed, StatusCode::OK, "gift_cards.html", values)
}

#[derive(Deserialize, Default)]
struct RedeemForm {
    #[serde(default)]
    brand: String,
    #[serde(default)]
    code: String,
}

/// A problem with the form: the field it is about and what to do, in words.
#[derive(Serialize)]
struct Problem {
    field: &'static str,
    text: String,
}

/// What a redemption that spent a guess was told, after its redirect.
#[derive(Deserialize)]
struct Refused {
    /// The reasons, comma-separated (`card_not_found`); unknown ones are left out.
    refused: Option<String>,
    brand: Option<String>,
}

/// The reasons a redemption may be refused for, which the form can be shown with.
const REFUSALS: [&str; 5] =
    ["card_brand_unsupported", "card_not_found", "card_expired", "card_region_locked", "card_already_redeemed"];

async fn redeem_form(State(ui): State<Ui>, signed: Signed, Query(refused): Query<Refused>) -> Response {
    let lang = signed.visitor.lang;
    let form = RedeemForm { brand: refused.brand.unwrap_or_default(), code: String::new() };
    let said = refused.refused.unwrap_or_default();
    let problems = said.split(',').filter(|r| REFUSALS.contains(r)).map(|reason| problem(lang, reason)).collect();
    show_redeem_form(&ui, &signed, &form, problems, StatusCode::OK).await
}

async fn show_redeem_form(
    ui: &Ui,
    signed: &Signed,
    form: &RedeemForm,
    problems: Vec<Problem>,
    status: StatusCode,
) -> Response {
    let brands = match gift_cards::brands(ui, signed.tenant()).await {
        Ok(brands) => brands,
        Err(error) => return page::failure(ui, &signed.visitor, error),
    };
    let paused = match freeze::paused(ui, &signed.actor(), signed.tenant(), signed.user_id()).await {
        Ok(paused) => super::paused_shown(paused),
        Err(error) => return page::failure(ui, &signed.visitor, error),
    };
    let error_of = |field: &str| {
        let texts: Vec<&str> = problems.iter().filter(|p| p.field == field).map(|p| p.text.as_str()).collect();
        (!texts.is_empty()).then(|| texts.join(" "))
    };
    let values = context! {
        brands,
        brand => form.brand.clone(),
        code => form.code.clone(),
        brand_error => error_of("brand"),
        code_error => error_of("code"),
        code_digits => gift_card::CODE_DIGITS,
        problems,
        paused,
        nav => "gift-cards",
        here => "/wallet/gift-cards/redeem",
    };
    page::show_signed(ui, signed, status, "gift_card_redeem.html", values)
}

/// The address the person asks from, as the guard against guessing codes counts it.
fn client(signed: &Signed) -> IpAddr {
    signed.visitor.address.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

async fn redeem(State(ui): State<Ui>, posted: SignedPost<RedeemForm>) -> Response {
    let SignedPost { signed, form } = posted;
    let lang = signed.visitor.lang;
    let mut unfit = blank_fields(lang, &form);
    let presented = Presented::new(form.brand.trim().to_string(), &form.code, None);
    if unfit.is_empty() {
        unfit.extend(misshapen_code(lang, presented.code()));
    }
    if !unfit.is_empty() {
        return show_redeem_form(&ui, &signed, &form, unfit, StatusCode::BAD_REQUEST).await;
    }
    let (tenant, user) = (signed.tenant(), signed.user_id());
    match gift_cards::redeem_own(&ui, &signed.actor(), client(&signed), tenant, user, &presented).await {
        Ok(Redeemed::Done(view)) => {
            Redirect::to(&format!("/wallet/gift-cards?done=redeem&card={}", view.card.id)).into_response()
        }
        // A code that matched no card spent one of the person's tries: the answer is a page
        // of its own, so that reloading it does not spend another (the code is not carried).
        Ok(Redeemed::Refused(reasons)) if reasons.contains(&"card_not_found") => {
            let query = serde_urlencoded::to_string([("refused", reasons.join(",")), ("brand", form.brand.clone())])
                .unwrap_or_default();
            Redirect::to(&format!("/wallet/gift-cards/redeem?{query}")).into_response()
        }
        Ok(Redeemed::Refused(reasons)) => {
            let status = refused_status(&reasons);
            let problems = reasons.iter().map(|reason| problem(lang, reason)).collect();
            show_redeem_form(&ui, &signed, &form, problems, status).await
        }
        Err(error) if error.kind() == Kind::RateLimited => {
            let problems = vec![Problem { field: "code", text: page::words(lang, &error) }];
            show_redeem_form(&ui, &signed, &form, problems, StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(error) => page::failure(&ui, &signed.visitor, error),
    }
}

/// Fields left empty, said without asking anyone (an empty code is no guess).
fn blank_fields(lang: Lang, form: &RedeemForm) -> Vec<Problem> {
    let mut problems = Vec::new();
    if form.brand.trim().is_empty() {
        problems.push(Problem { field: "brand", text: text(lang, "redeem-brand-missing") });
    }
    if form.code.trim().is_empty() {
        problems.push(Problem { field: "code", text: text(lang, "redeem-code-missing") });
    }
    problems
}

/// A code that cannot be any card's (not [`gift_card::CODE_DIGITS`] digits), said with how
/// long codes are, before anyone is asked and without spending a try.
fn misshapen_code(lang: Lang, normalized: &str) -> Option<Problem> {
    if gift_card::has_code_shape(normalized) {
        return None;
    }
    let digits = gift_card::CODE_DIGITS.to_string();
    let text = if normalized.bytes().all(|b| b.is_ascii_digit()) {
        let typed = normalized.len().to_string();
        i18n::text(lang, "redeem-code-length", &[("digits", digits), ("typed", typed)])
    } else {
        i18n::text(lang, "redeem-code-not-digits", &[("digits", digits)])
    };
    Some(Problem { field: "code", text: text.unwrap_or_default() })
}

/// 400 for what was typed (no such brand or code), 409 for a card that exists but cannot be
/// redeemed now (expired, somewhere else, already in a wallet).
fn refused_status(reasons: &[&str]) -> StatusCode {
    if reasons.iter().any(|r| matches!(*r, "card_brand_unsupported" | "card_not_found")) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::CONFLICT
    }
}

fn problem(lang: Lang, reason: &str) -> Problem {
    let field = if reason == "card_brand_unsupported" { "brand" } else { "code" };
    let id = format!("error-{reason}");
    let text = i18n::text(lang, &id, &[]).unwrap_or_else(|| text_of(lang, "error-general", reason));
    Problem { field, text }
}

fn text(lang: Lang, id: &str) -> String {
    i18n::text(lang, id, &[]).unwrap_or_else(|| id.to_string())
}

fn text_of(lang: Lang, id: &str, code: &str) -> String {
    i18n::text(lang, id, &[("code", code.to_string())]).unwrap_or_else(|| code.to_string())
}

async fn confirm_refund(State(ui): State<Ui>, signed: Signed, Path(id): Path<String>) -> Response {
    let own = match gift_cards::own_card(&ui, &signed.actor(), signed.tenant(), signed.user_id(), &id).await {
        Ok(own) => own,
        Err(error) => return page::failure(&ui, &signed.visitor, error),
    };
    let paused = match freeze::paused(&ui, &signed.actor(), signed.tenant(), signed.user_id()).await {
        Ok(paused) => super::paused_shown(paused),
        Err(error) => return page::failure(&ui, &signed.visitor, error),
    };
    if own.view.remaining <= 0 {
        return refund_refused(&ui, &signed, "refund-nothing-left-title", "refund-nothing-left-text");
    }
    if !own.view.refundable() {
        return refund_refused(&ui, &signed, "refund-not-yet-title", "refund-not-yet-text");
    }
    let card = shown(&own);
    let here = format!("/wallet/gift-cards/{}/refund", card.id);
    page::show_signed(
        &ui,
        &signed,
        StatusCode::OK,
        "gift_card_refund.html",
        context! { card, paused, nav => "gift-cards", here },
    )
}

async fn refund(State(ui): State<Ui>, Path(id): Path<String>, posted: SignedPost<Nothing>) -> Response {
    let SignedPost { signed, .. } = posted;
    match gift_cards::refund_own(&ui, &signed.actor(), signed.tenant(), signed.user_id(), &id).await {
        Ok(done) => Redirect::to(&format!("/wallet/gift-cards?done=refund&card={}", done.card.card.id)).into_response(),
        // A second press, or a refund from another tab: nothing is left to give back.
        Err(error) if error.code() == "invalid_state" => {
            refund_refused(&ui, &signed, "refund-nothing-left-title", "refund-nothing-left-text")
        }
        Err(error) if error.code() == "not_withdrawable" => {
            refund_refused(&ui, &signed, "refund-not-yet-title", "refund-not-yet-text")
        }
        Err(error) => page::failure(&ui, &signed.visitor, error),
    }
}

#[derive(Deserialize)]
struct Nothing {}

/// A refund that cannot be done: why, nothing changed, and the way back to the cards.
fn refund_refused(ui: &Ui, signed: &Signed, title_id: &str, text_id: &str) -> Response {
    let lang = signed.visitor.lang;
    let values = context! {
        title => text(lang, title_id),
        text => text(lang, text_id),
        next_href => "/wallet/gift-cards",
        next_text => text(lang, "gift-cards-back"),
        nav => "gift-cards",
    };
    page::show_signed(ui, signed, StatusCode::CONFLICT, "message.html", values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_is_told_at_its_field_in_words() {
        let brand = problem(Lang::Ko, "card_brand_unsupported");
        assert_eq!(brand.field, "brand");
        let expired = problem(Lang::En, "card_expired");
        assert_eq!(expired.field, "code");
        assert!(!expired.text.contains("card_expired"), "{}", expired.text);
        assert_eq!(refused_status(&["card_expired", "card_already_redeemed"]), StatusCode::CONFLICT);
        assert_eq!(refused_status(&["card_not_found"]), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_code_of_another_shape_says_how_long_codes_are() {
        let short = misshapen_code(Lang::En, "123456781234").unwrap();
        assert_eq!(
            (short.field, short.text.as_str()),
            ("code", "Gift card codes are 16 digits; you entered 12. Check the code on your card.")
        );
        let letters = misshapen_code(Lang::Ko, "1234ABCD12345678").unwrap();
        assert!(letters.text.contains("16자리"), "{}", letters.text);
        assert!(misshapen_code(Lang::Ko, "1234123412341234").is_none());
    }

    #[test]
    fn empty_fields_are_told_before_anything_is_asked() {
        let form = RedeemForm { brand: " ".into(), code: String::new() };
        let fields: Vec<&str> = blank_fields(Lang::Ko, &form).iter().map(|p| p.field).collect();
        assert_eq!(fields, ["brand", "code"]);
    }
}
