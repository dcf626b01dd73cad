//! Cashing out, up to the cash-out itself: the form (`/wallet/cash-out`: where to, how much,
//! how fast; or, when nothing may be withdrawn, why not; or, for a frozen user, that
//! cash-outs are paused, in general words), adding a destination
//! (`/wallet/cash-out/destinations/new`), the quote with every fee and a countdown to its
//! expiry (`/wallet/cash-out/quotes/{id}`), which creates the cash-out, and the code that
//! confirms it (`/wallet/cash-outs/{id}/confirm`: TOTP, or an SMS code sent again on
//! request). The cash-out's own pages are in [`super::cash_outs`].
//!
//! Every post that changed something answers with a redirect to a page that shows what
//! happened (a wrong code is `?wrong=1` on the code page, the attempts left read from the
//! cash-out), so reloading or going back never posts again. A quote already used leads to
//! its cash-out; one that expired says so and offers a new quote for the same cash-out.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use crate::domain::cashout_policy::Speed;
use crate::domain::destination::Destination;
use crate::domain::pocket::Pocket;
use crate::people::i18n;
use crate::people::Lang;
use crate::services::cashout::mine::{self, QuoteShown};
use crate::services::cashout::quote::{Ask, Wanted};
use crate::services::{Error, Kind};
use crate::web::page::{self, SignedPost};
use crate::web::visitor::Signed;
use crate::web::Ui;

pub fn router() -> Router<Ui> {
    Router::new()
        .route("/wallet/cash-out", get(start).post(ask_quote))
        .route("/wallet/cash-out/destinations/new", get(destination_form).post(add_destination))
        .route("/wallet/cash-out/quotes/{id}", get(quote).post(create))
        .route("/wallet/cash-out/quotes/{id}/again", post(quote_again))
        .route("/wallet/cash-outs/{id}/confirm", get(code_form).post(confirm))
        .route("/wallet/cash-outs/{id}/resend-code", post(resend_code))
        .route("/wallet/cash-outs/{id}/cancel", post(cancel))
}

/// One problem with a form, for the error summary: its words, and the field it links to.
#[derive(Serialize)]
pub struct Problem {
    pub field: Option<String>,
    pub text: String,
}

/// The words of catalog message `id` in `lang`, with `args`.
pub fn text(lang: Lang, id: &str, args: &[(&str, String)]) -> String {
    i18n::text(lang, id, args).unwrap_or_else(|| id.to_string())
}

/// `prefix-name` if the catalog has it, else `prefix-other`: words for a code the
/// catalog may not know yet (a new fee kind, a new rail).
pub fn known_or_other(lang: Lang, prefix: &str, name: &str) -> String {
    let id = format!("{prefix}-{name}");
    if i18n::has(lang, &id) {
        id
    } else {
        format!("{prefix}-other")
    }
}

// ---------------------------------------------------------------- the form

#[derive(Deserialize)]
struct StartQuery {
    destination: Option<String>,
    /// Present right after `destination` was added.
    added: Option<String>,
}

#[derive(Deserialize, Default)]
struct StartForm {
    #[serde(default)]
    destination: String,
    #[serde(default)]
    how: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    speed: String,
    /// The destination was just added (never posted: from the redirect's query).
    #[serde(skip)]
    added: bool,
}

#[derive(Serialize)]
struct PocketShown {
    label_id: Option<String>,
    available: i64,
    withdrawable: i64,
    why: super::home::WhyShown,
}

async fn start(State(ui): State<Ui>, signed: Signed, Query(query): Query<StartQuery>) -> Response {
    let form = StartForm {
        destination: query.destination.unwrap_or_default(),
        added: query.added.is_some(),
        ..StartForm::default()
    };
    show_start(&ui, &signed, form, None).await
}

async fn show_start(ui: &Ui, signed: &Signed, form: StartForm, error: Option<Error>) -> Response {
    let lang = signed.visitor.lang;
    let started = match mine::start(ui, &signed.actor(), signed.tenant(), signed.user_id(), lang).await {
        Ok(started) => started,
        Err(error) => return page::failure(ui, &signed.visitor, error),
    };
    let pockets: Vec<PocketShown> = started
        .balances
        .pockets
        .iter()
        .filter(|p| p.available != 0)
        .map(|p| PocketShown {
            label_id: match &p.pocket {
                Pocket::Gift(_) => None,
                fixed => Some(format!("pocket-{}", fixed.name())),
            },
            available: p.available,
            withdrawable: p.withdrawable,
            why: super::home::why_shown(&p.why),
        })
        .collect();
    let status = error.as_ref().map_or(StatusCode::OK, page::form_status);
    let first = started.destinations.first().map(|d| d.id.clone()).unwrap_or_default();
    let problems: Vec<Problem> = error
        .iter()
        .map(|e| {
            let field = match e.param() {
                Some("destination_id") => format!("destination-{first}"),
                Some("speed") => "speed-standard".into(),
                _ => "amount".into(),
            };
            Problem { field: Some(field), text: start_words(ui, signed, &form, started.balances.withdrawable(), e) }
        })
        .collect();
    // The amount's error is said again beside the field, tied to it.
    let amount_error = problems.iter().find(|p| p.field.as_deref() == Some("amount")).map(|p| p.text.clone());
    let chosen = if form.destination.is_empty() {
        started.usual_destination.clone().unwrap_or_default()
    } else {
        form.destination.clone()
    };
    let destinations: Vec<Value> = started
        .destinations
        .iter()
        .map(|d| context! { id => d.id, kind => d.type_name, masked => d.masked, holder => d.holder_name })
        .collect();
    let added = started.destinations.iter().find(|d| form.added && d.id == form.destination).map(|d| d.masked.clone());
    // Nobody is asked where to send money before their identity is checked: they are told
    // how it is done here instead.
    let kyc_how = started.legal_name.is_none().then(|| kyc_instructions(ui, signed.tenant(), lang));
    let values = context! {
        withdrawable => started.balances.withdrawable(),
        pockets,
        destinations,
        chosen,
        how => if form.how.is_empty() { "all".to_string() } else { form.how.clone() },
        amount => form.amount,
        amount_error,
        speed => if form.speed.is_empty() { "standard".to_string() } else { form.speed.clone() },
        problems,
        added,
        kyc_how,
        paused => super::paused_shown(started.paused),
        nav => "cash-out",
        here => "/wallet/cash-out",
    };
    page::show_signed(ui, signed, status, "cash_out.html", values)
}

/// How a person gets their identity checked on this platform: the operator's words
/// (`[cashout] kyc_instructions`) in `lang`, else the wallet's general sentence.
fn kyc_instructions(ui: &Ui, tenant: &str, lang: Lang) -> String {
    let operator = ui.settings.cashout_policy(tenant).kyc_instructions.get(lang.code()).map(|s| s.trim());
    match operator {
        Some(words) if !words.is_empty() => words.to_string(),
        _ => text(lang, "cash-out-kyc-how", &[]),
    }
}

/// What went wrong with the form, in words: below the minimum says the tenant's minimum (or,
/// when the fees would take all of an amount over it, that the fees would).
fn start_words(ui: &Ui, signed: &Signed, form: &StartForm, withdrawable: i64, error: &Error) -> String {
    let lang = signed.visitor.lang;
    if error.code() != "below_minimum" {
        return page::words(lang, error);
    }
    let minimum = ui.settings.cashout_policy(signed.tenant()).minimum;
    let currency = ui.settings.wallet_policy(signed.tenant()).currency();
    let wanted = match form.how.as_str() {
        "amount" => page::typed_amount(&form.amount, currency.exponent()).unwrap_or(0),
        _ => withdrawable,
    };
    if wanted >= minimum {
        return page::words(lang, error);
    }
    let minimum = crate::people::money(minimum, currency.code(), lang);
    text(lang, "cash-out-below-minimum", &[("minimum", minimum)])
}

async fn ask_quote(State(ui): State<Ui>, posted: SignedPost<StartForm>) -> Response {
    let SignedPost { signed, form } = posted;
    let policy = ui.settings.wallet_policy(signed.tenant());
    let currency = policy.currency();
    let wanted = match form.how.as_str() {
        "amount" => match page::typed_amount(&form.amount, currency.exponent()) {
            Some(amount) => match crate::domain::money::parse_amount(amount, ui.settings.amount_max, "amount".into()) {
                Ok(amount) => Wanted::Amount(amount.minor_units()),
                Err(invalid) => return show_start(&ui, &signed, form, Some(invalid.into())).await,
            },
            None => {
                let error = Error::invalid("invalid_amount", "an amount such as 20,000", "amount");
                return show_start(&ui, &signed, form, Some(error)).await;
            }
        },
        _ => Wanted::Max,
    };
    let Some(speed) = Speed::parse(if form.speed.is_empty() { "standard" } else { &form.speed }) else {
        let error = Error::invalid("speed_unavailable", "standard or instant", "speed");
        return show_start(&ui, &signed, form, Some(error)).await;
    };
    if form.destination.is_empty() {
        let error = Error::invalid("unknown_destination", "choose a destination", "destination_id");
        return show_start(&ui, &signed, form, Some(error)).await;
    }
    let ask = Ask { wanted, currency, speed, destination_id: form.destination.clone() };
    match mine::ask_quote(&ui, signed.tenant(), signed.user_id(), ask).await {
        Ok(quote) => Redirect::to(&format!("/wallet/cash-out/quotes/{}", quote.id)).into_response(),
        Err(error) => show_start(&ui, &signed, form, Some(error)).await,
    }
}

// ---------------------------------------------------------------- destinations

#[derive(Deserialize)]
struct KindQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize, Default)]
struct DestinationForm {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    bank_code: String,
    #[serde(default)]
    account_number: String,
    #[serde(default)]
    holder_name: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    wallet_id: String,
    #[serde(default)]
    network: String,
}

/// The banks, e-wallets and cash-pickup networks offered, by the codes the API takes.
const BANKS: [&str; 12] = ["004", "088", "020", "081", "011", "003", "090", "092", "089", "023", "071", "045"];
const PROVIDERS: [&str; 4] = ["kakaopay", "naverpay", "toss", "payco"];
const NETWORKS: [&str; 3] = ["gs25", "cu", "emart24"];

async fn destination_form(State(ui): State<Ui>, signed: Signed, Query(query): Query<KindQuery>) -> Response {
    let form = DestinationForm { kind: query.kind.unwrap_or_default(), ..DestinationForm::default() };
    show_destination_form(&ui, &signed, form, None).await
}

async fn show_destination_form(ui: &Ui, signed: &Signed, mut form: DestinationForm, error: Option<Error>) -> Response {
    let lang = signed.visitor.lang;
    let started = match mine::start(ui, &signed.actor(), signed.tenant(), signed.user_id(), lang).await {
        Ok(started) => started,
        Err(error) => return page::failure(ui, &signed.visitor, error),
    };
    if !Destination::TYPE_NAMES.contains(&form.kind.as_str()) {
        form.kind.clear();
    }
    if form.holder_name.is_empty() && error.is_none() {
        form.holder_name = started.legal_name.clone().unwrap_or_default();
    }
    let status = error.as_ref().map_or(StatusCode::OK, page::form_status);
    let field_of = |e: &Error| match e.param() {
        Some(param) => param.to_string(),
        None => "holder_name".to_string(),
    };
    let problems: Vec<Problem> =
        error.iter().map(|e| Problem { field: Some(field_of(e)), text: destination_words(lang, e) }).collect();
    let errors: std::collections::BTreeMap<String, String> =
        error.iter().map(|e| (field_of(e), destination_words(lang, e))).collect();
    let values = context! {
        kind => form.kind,
        bank_code => form.bank_code,
        account_number => form.account_number,
        holder_name => form.holder_name,
        provider => form.provider,
        wallet_id => form.wallet_id,
        network => form.network,
        legal_name => started.legal_name,
        paused => super::paused_shown(started.paused),
        banks => BANKS,
        providers => PROVIDERS,
        networks => NETWORKS,
        problems,
        errors,
        nav => "cash-out",
        here => "/wallet/cash-out/destinations/new",
    };
    page::show_signed(ui, signed, status, "cash_out_destination.html", values)
}

/// A destination's refusal in words; `name_mismatch` and `kyc_required` say what to do.
fn destination_words(lang: Lang, error: &Error) -> String {
    match error.code() {
        "name_mismatch" => text(lang, "destination-name-mismatch", &[]),
        "kyc_required" => text(lang, "destination-kyc-required", &[]),
        _ => page::words(lang, error),
    }
}

async fn add_destination(State(ui): State<Ui>, posted: SignedPost<DestinationForm>) -> Response {
    let SignedPost { signed, form } = posted;
    let destination = match form.kind.as_str() {
        "bank_account" => Destination::BankAccount {
            bank_code: form.bank_code.clone(),
            account_number: form.account_number.clone(),
            holder_name: form.holder_name.clone(),
        },
        "e_wallet" => Destination::EWallet {
            provider: form.provider.clone(),
            wallet_id: form.wallet_id.clone(),
            holder_name: form.holder_name.clone(),
        },
        "cash_pickup" => Destination::CashPickup { network: form.network.clone() },
        _ => return Redirect::to("/wallet/cash-out/destinations/new").into_response(),
    };
    match mine::add_destination(&ui, &signed.actor(), signed.tenant(), signed.user_id(), destination).await {
        Ok(stored) => Redirect::to(&format!("/wallet/cash-out?destination={}&added=1", stored.id)).into_response(),
        Err(error) => show_destination_form(&ui, &signed, form, Some(error)).await,
    }
}

// ---------------------------------------------------------------- the quote

#[derive(Serialize)]
struct Line {
    label_id: String,
    amount: i64,
}

async fn quote(State(ui): State<Ui>, signed: Signed, Path(id): Path<String>) -> Response {
    match mine::quote(&ui, signed.tenant(), signed.user_id(), &id).await {
        // Used (Back to it, or a second tab): its cash-out is what there is to see.
        Ok(QuoteShown { cashout_id: Some(cashout), .. }) => {
            Redirect::to(&format!("/wallet/cash-outs/{cashout}")).into_response()
        }
        Ok(shown) => show_quote(&ui, &signed, &shown, None),
        Err(error) => page::failure(&ui, &signed.visitor, error),
    }
}

fn show_quote(ui: &Ui, signed: &Signed, shown: &QuoteShown, error: Option<Error>) -> Response {
    let lang = signed.visitor.lang;
    let q = &shown.quote;
    let now = ui.clock.now_us();
    let fees: Vec<Line> =
        q.fees.iter().map(|f| Line { label_id: known_or_other(lang, "fee", &f.kind), amount: f.amount }).collect();
    let sources: Vec<Line> = q
        .sources
        .iter()
        .map(|s| Line { label_id: known_or_other(lang, "pocket", &s.pocket), amount: s.amount })
        .collect();
    let left_s = ((q.expires_at - now) / 1_000_000).max(0);
    let status = error.as_ref().map_or(StatusCode::OK, page::form_status);
    let problems: Vec<Problem> = error.iter().map(|e| Problem { field: None, text: page::words(lang, e) }).collect();
    let values = context! {
        id => q.id,
        gross => q.gross,
        fee => q.fee,
        net => q.net,
        fees,
        sources,
        speed => q.speed,
        kind => shown.destination.type_name,
        masked => shown.destination.masked,
        eta => q.created_at + q.eta_s * 1_000_000,
        expires_at => q.expires_at,
        // Rounded up: the page never calls a quote expired before the server does.
        expires_unix => (q.expires_at + 999_999) / 1_000_000,
        left => format!("{}:{:02}", left_s / 60, left_s % 60),
        expired => now >= q.expires_at,
        problems,
        nav => "cash-out",
        here => format!("/wallet/cash-out/quotes/{}", q.id),
    };
    page::show_signed(ui, signed, status, "cash_out_quote.html", values)
}

#[derive(Deserialize)]
struct Nothing {}

/// The quote's button: the cash-out is made, and its code asked for. A quote used already
/// (a second click, a second tab) leads to its cash-out; one that expired, to its page,
/// which says so.
async fn create(State(ui): State<Ui>, Path(id): Path<String>, posted: SignedPost<Nothing>) -> Response {
    let SignedPost { signed, .. } = posted;
    let to_code = |cashout: &str| Redirect::to(&format!("/wallet/cash-outs/{cashout}/confirm")).into_response();
    let again = Redirect::to(&format!("/wallet/cash-out/quotes/{id}"));
    match mine::create(&ui, &signed.actor(), signed.tenant(), signed.user_id(), &id).await {
        Ok(created) => to_code(&created.cashout.id),
        Err(error) if error.kind() == Kind::NotFound => page::failure(&ui, &signed.visitor, error),
        Err(error) => match mine::quote(&ui, signed.tenant(), signed.user_id(), &id).await {
            // Another request made it first, or it expired meanwhile.
            Ok(QuoteShown { cashout_id: Some(cashout), .. }) => to_code(&cashout),
            Ok(shown) if ui.clock.now_us() >= shown.quote.expires_at => again.into_response(),
            // Refused without a change (the wallet holds less now): the quote, with why.
            Ok(shown) => show_quote(&ui, &signed, &shown, Some(error)),
            Err(other) => page::failure(&ui, &signed.visitor, other),
        },
    }
}

/// An expired quote's button: a new quote at today's fees for the same cash-out.
async fn quote_again(State(ui): State<Ui>, Path(id): Path<String>, posted: SignedPost<Nothing>) -> Response {
    let SignedPost { signed, .. } = posted;
    match mine::quote_again(&ui, signed.tenant(), signed.user_id(), &id).await {
        Ok(quote) => Redirect::to(&format!("/wallet/cash-out/quotes/{}", quote.id)).into_response(),
        Err(error) if error.kind() == Kind::NotFound => page::failure(&ui, &signed.visitor, error),
        Err(error) => match mine::quote(&ui, signed.tenant(), signed.user_id(), &id).await {
            Ok(shown) => show_quote(&ui, &signed, &shown, Some(error)),
            Err(other) => page::failure(&ui, &signed.visitor, other),
        },
    }
}

// ---------------------------------------------------------------- the code

/// What the code page says it came from: a code sent again, a wrong code, too many.
#[derive(Deserialize, Default)]
struct CodeQuery {
    sent: Option<String>,
    wrong: Option<String>,
    locked: Option<String>,
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn code_form(
    State(ui): State<Ui>,
    signed: Signed,
    Path(id): Path<String>,
    Query(q): Query<CodeQuery>,
) -> Response {
    show_code(&ui, &signed, &id, &q, None).await
}

async fn show_code(ui: &Ui, signed: &Signed, id: &str, q: &CodeQuery, error: Option<Error>) -> Response {
    let lang = signed.visitor.lang;
    let mine = match mine::get(ui, &signed.actor(), signed.tenant(), signed.user_id(), id).await {
        Ok(mine) => mine,
        Err(error) => return page::failure(ui, &signed.visitor, error),
    };
    let c = &mine.detailed.cashout;
    let awaiting = c.status == "awaiting_confirmation";
    let locked = (q.locked.is_some() && c.failure_reason.as_deref() == Some("otp_locked"))
        || error.as_ref().is_some_and(|e| e.code() == "otp_locked");
    if !awaiting && !locked {
        return Redirect::to(&format!("/wallet/cash-outs/{id}")).into_response();
    }
    let status = error.as_ref().map_or(StatusCode::OK, page::form_status);
    let returned = || crate::people::money(c.quote.gross, &c.quote.currency, lang);
    let mut said: Vec<String> = error
        .iter()
        .map(|e| match e.code() {
            "otp_locked" => text(lang, "code-locked", &[("amount", returned())]),
            _ => page::words(lang, e),
        })
        .collect();
    let mut here = format!("/wallet/cash-outs/{id}/confirm");
    if error.is_none() && locked {
        said.push(text(lang, "code-locked", &[("amount", returned())]));
        here.push_str("?locked=1");
    } else if error.is_none() && q.wrong.is_some() && awaiting && c.otp_attempts > 0 {
        said.push(text(lang, "code-wrong", &[("left", mine.attempts_left.to_string())]));
        here.push_str("?wrong=1");
    }
    let problems: Vec<Problem> = said.into_iter().map(|text| Problem { field: Some("code".into()), text }).collect();
    let values = context! {
        id,
        channel => c.otp_channel,
        net => c.quote.net,
        masked => mine.detailed.destination.masked,
        confirm_by => c.confirm_by,
        attempts_left => mine.attempts_left,
        tried => c.otp_attempts > 0,
        locked,
        sent => q.sent.is_some(),
        problems,
        nav => "cash-out",
        here,
    };
    page::show_signed(ui, signed, status, "cash_out_code.html", values)
}

/// A code: right, the cash-out's page; wrong (an attempt spent) or the last wrong one, the
/// code page again by a redirect that says so; not six digits, the form again, with no
/// attempt spent.
async fn confirm(State(ui): State<Ui>, Path(id): Path<String>, posted: SignedPost<CodeForm>) -> Response {
    let SignedPost { signed, form } = posted;
    match mine::confirm(&ui, &signed.actor(), signed.tenant(), signed.user_id(), &id, &form.code).await {
        Ok(_) => Redirect::to(&format!("/wallet/cash-outs/{id}")).into_response(),
        Err(error) if error.kind() == Kind::NotFound => page::failure(&ui, &signed.visitor, error),
        Err(error) if error.code() == "otp_invalid" => {
            Redirect::to(&format!("/wallet/cash-outs/{id}/confirm?wrong=1")).into_response()
        }
        Err(error) if error.code() == "otp_locked" => {
            Redirect::to(&format!("/wallet/cash-outs/{id}/confirm?locked=1")).into_response()
        }
        Err(error) => show_code(&ui, &signed, &id, &CodeQuery::default(), Some(error)).await,
    }
}

async fn resend_code(State(ui): State<Ui>, Path(id): Path<String>, posted: SignedPost<Nothing>) -> Response {
    let SignedPost { signed, .. } = posted;
    match mine::resend_code(&ui, signed.tenant(), signed.user_id(), &id).await {
        Ok(_) => Redirect::to(&format!("/wallet/cash-outs/{id}/confirm?sent=1")).into_response(),
        Err(error) if error.kind() == Kind::NotFound => page::failure(&ui, &signed.visitor, error),
        Err(error) => show_code(&ui, &signed, &id, &CodeQuery::default(), Some(error)).await,
    }
}

async fn cancel(State(ui): State<Ui>, Path(id): Path<String>, posted: SignedPost<Nothing>) -> Response {
    let SignedPost { signed, .. } = posted;
    match mine::cancel(&ui, &signed.actor(), signed.tenant(), signed.user_id(), &id).await {
        Ok(_) => Redirect::to(&format!("/wallet/cash-outs/{id}")).into_response(),
        Err(error) => page::failure(&ui, &signed.visitor, error),
    }
}

#[cfg(test)]
mod tests {
    use crate::web::page::typed_amount;

    #[test]
    fn amounts_as_people_type_them() {
        assert_eq!(typed_amount("20,000", 0), Some(20_000));
        assert_eq!(typed_amount("20000원", 0), Some(20_000));
        assert_eq!(typed_amount(" ₩20,000 ", 0), Some(20_000));
        assert_eq!(typed_amount("12.34", 2), Some(1_234));
        assert_eq!(typed_amount("12.3", 2), Some(1_230));
        assert_eq!(typed_amount("12", 2), Some(1_200));
        assert_eq!(typed_amount("12.5", 0), None);
        assert_eq!(typed_amount("", 0), None);
        assert_eq!(typed_amount("-5", 0), None);
        assert_eq!(typed_amount("abc", 0), None);
        assert_eq!(typed_amount("99999999999999999999", 0), None);
    }
}
