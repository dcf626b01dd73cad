//! Getting in and out: the front door (`/wallet/`, which is the home page once signed in),
//! the one-time link an operator made (`/wallet/link/{token}`), phone sign-in
//! (`/wallet/sign-in/{wallet}` then `/wallet/code/{attempt}`), signing out, and choosing the
//! language. Each sign-in gives a new session id; the one the browser had is ended.
//!
//! A link opens with a button, not on sight: messengers (KakaoTalk, iMessage, SMS apps)
//! fetch every link they are sent to draw its preview, and a GET that used the link would
//! leave the person a dead one. The GET shows whose wallet it opens and the button; the
//! button's POST uses the link. A wrong sign-in code spends a try, so its POST answers with
//! a redirect to the code page, which reads where the code stands: reloading never posts a
//! code again.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Deserialize;

use crate::people::i18n;
use crate::people::Lang;
use crate::services::operator;
use crate::services::wallet_access::links;
use crate::services::wallet_access::sessions::{self, Opened};
use crate::services::wallet_access::sign_in::{self, Attempt};
use crate::services::{Error, Kind};
use crate::web::page::{self, Posted, SignedPost};
use crate::web::visitor::{self, add_cookie, cookie, Visitor, LANG_COOKIE, SESSION_COOKIE, TENANT_COOKIE};
use crate::web::Ui;

pub fn router() -> Router<Ui> {
    Router::new()
        .route("/wallet/link/{token}", get(link_page).post(open_link))
        .route("/wallet/sign-in/{wallet}", get(phone_form).post(send_code))
        .route("/wallet/code/{attempt}", get(code_form).post(check_code))
        .route("/wallet/code/{attempt}/resend", post(resend_code))
        .route("/wallet/sign-out", post(sign_out))
        .route("/wallet/signed-out", get(signed_out))
        .route("/wallet/language", post(choose_language))
}

/// A year, for the cookies that remember choices.
const YEAR_S: i64 = 365 * 24 * 60 * 60;

/// The front door for someone not signed in: how to get in.
pub async fn front_door(ui: &Ui, visitor: &Visitor) -> Response {
    let wallet = visitor.cookie(TENANT_COOKIE).filter(|t| t.starts_with("ten_")).map(str::to_string);
    page::show(
        ui,
        visitor,
        StatusCode::OK,
        "message.html",
        context! {
            title => crate::people::i18n::text(visitor.lang, "front-title", &[]),
            text => crate::people::i18n::text(visitor.lang, "front-text", &[]),
            sign_in => wallet.map(|w| format!("/wallet/sign-in/{w}")),
        },
    )
}

/// The link's page: whose wallet it opens and one button. Using nothing up, it may be
/// fetched any number of times, by anyone; it says nothing of the user.
async fn link_page(State(ui): State<Ui>, visitor: Visitor, Path(token): Path<String>) -> Response {
    match links::peek(&ui, &token, &visitor.address).await {
        Ok(Some(operator)) => {
            let here = format!("/wallet/link/{token}");
            let values = context! { operator => operator.name, action => here.clone(), here };
            page::show(&ui, &visitor, StatusCode::OK, "link.html", values)
        }
        Ok(None) => page::message(&ui, &visitor, StatusCode::GONE, "link-refused-title", "link-refused-text"),
        Err(error) => page::failure(&ui, &visitor, error),
    }
}

/// The link page's button: uses the link and opens the session.
async fn open_link(State(ui): State<Ui>, Path(token): Path<String>, posted: Posted<Nothing>) -> Response {
    let Posted { visitor, .. } = posted;
    match links::open(&ui, &token, &visitor.address, &visitor.user_agent).await {
        Ok(Some(opened)) => signed_in(&ui, &visitor, opened).await,
        Ok(None) => page::message(&ui, &visitor, StatusCode::GONE, "link-refused-title", "link-refused-text"),
        Err(error) => page::failure(&ui, &visitor, error),
    }
}

/// Sets the new session's cookie (ending the one the browser had) and goes home.
async fn signed_in(ui: &Ui, visitor: &Visitor, opened: Opened) -> Response {
    if let Some(old) = visitor.cookie(SESSION_COOKIE) {
        if let Ok(Some(session)) = sessions::resume(ui, old).await {
            let _ = sessions::end(ui, &session).await;
        }
    }
    let mut response = Redirect::to("/wallet/").into_response();
    let headers = response.headers_mut();
    add_cookie(headers, &cookie(SESSION_COOKIE, &opened.token, visitor.secure, None));
    add_cookie(headers, &cookie(TENANT_COOKIE, &opened.session.tenant_id, visitor.secure, Some(YEAR_S)));
    response
}

#[derive(Deserialize)]
struct PhoneForm {
    #[serde(default)]
    phone: String,
}

async fn phone_form(State(ui): State<Ui>, visitor: Visitor, Path(wallet): Path<String>) -> Response {
    let operator = match operator::of(&ui, &wallet).await {
        Ok(operator) => operator,
        Err(error) => return page::failure(&ui, &visitor, error),
    };
    let mut response = show_phone_form(&ui, &visitor, &wallet, &operator.name, "", None);
    // Remembered, so that the front door and a dead code can lead back here.
    if wallet.starts_with("ten_")
        && wallet.len() <= 64
        && wallet.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        add_cookie(response.headers_mut(), &cookie(TENANT_COOKIE, &wallet, visitor.secure, Some(YEAR_S)));
    }
    response
}

fn show_phone_form(
    ui: &Ui,
    visitor: &Visitor,
    wallet: &str,
    operator: &str,
    phone: &str,
    error: Option<Error>,
) -> Response {
    let status = error.as_ref().map_or(StatusCode::OK, page::form_status);
    let error = error.map(|e| page::words(visitor.lang, &e));
    page::show(ui, visitor, status, "sign_in.html", context! { wallet, operator, phone, error })
}

async fn send_code(State(ui): State<Ui>, Path(wallet): Path<String>, posted: Posted<PhoneForm>) -> Response {
    let Posted { visitor, form } = posted;
    let phone = normalized_phone(&form.phone);
    match sign_in::start(&ui, &wallet, &phone, &visitor.address, visitor.lang).await {
        Ok(started) => Redirect::to(&format!("/wallet/code/{}", started.attempt_id)).into_response(),
        Err(error) if error.kind() == Kind::NotFound => page::failure(&ui, &visitor, error),
        Err(error) => match operator::of(&ui, &wallet).await {
            Ok(operator) => show_phone_form(&ui, &visitor, &wallet, &operator.name, &form.phone, Some(error)),
            Err(error) => page::failure(&ui, &visitor, error),
        },
    }
}

/// What people type for a Korean mobile number (`010-1234-5678`) in E.164 (`+821012345678`);
/// other numbers as given, without spaces and dashes.
fn normalized_phone(typed: &str) -> String {
    let digits: String = typed.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
    match digits.strip_prefix('0') {
        Some(rest) if !digits.starts_with("00") => format!("+82{rest}"),
        _ => digits,
    }
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn code_form(State(ui): State<Ui>, visitor: Visitor, Path(attempt): Path<String>) -> Response {
    show_code_form(&ui, &visitor, &attempt, None).await
}

/// The code page as attempt `attempt` stands: the form with how many tries are left after a
/// wrong code, or, once the code cannot be used, a button for a new one. `refused` is a
/// request just refused without changing anything (a code that is not six digits, a limit),
/// told in place of the standing.
async fn show_code_form(ui: &Ui, visitor: &Visitor, attempt: &str, refused: Option<(Error, &str)>) -> Response {
    let standing = match sign_in::attempt(ui, attempt).await {
        Ok(standing) => standing,
        Err(error) => return page::failure(ui, visitor, error),
    };
    let lang = visitor.lang;
    let text = |id: &str, args: &[(&str, String)]| i18n::text(lang, id, args).unwrap_or_default();
    let (open, resend, mut error, mut status) = match &standing {
        Attempt::Open { tries_left, wrong, .. } => {
            let error = match (wrong, tries_left) {
                (false, _) => None,
                (true, 1) => Some(text("sign-in-code-wrong-last", &[])),
                (true, left) => Some(text("sign-in-code-wrong", &[("left", left.to_string())])),
            };
            (true, true, error, StatusCode::OK)
        }
        Attempt::Over { why, .. } => (false, true, Some(text(&format!("error-{why}"), &[])), StatusCode::OK),
        Attempt::Unknown => (false, false, Some(text("error-otp_locked", &[])), StatusCode::NOT_FOUND),
    };
    let mut target = if open { "code" } else { "resend" };
    if let Some((refusal, field)) = refused {
        status = page::form_status(&refusal);
        error = Some(if field == "resend" && refusal.kind() == Kind::RateLimited {
            text("sign-in-code-resend-wait", &[("seconds", refusal.retry_after_s().unwrap_or(1).to_string())])
        } else {
            page::words(lang, &refusal)
        });
        target = field;
    }
    let restart = match standing {
        Attempt::Open { tenant_id, .. } | Attempt::Over { tenant_id, .. } => format!("/wallet/sign-in/{tenant_id}"),
        Attempt::Unknown => visitor.cookie(TENANT_COOKIE).map_or("/wallet/".into(), |w| format!("/wallet/sign-in/{w}")),
    };
    let values = context! { attempt, open, resend, error, target, restart, here => format!("/wallet/code/{attempt}") };
    page::show(ui, visitor, status, "sign_in_code.html", values)
}

/// A code typed in. A try spent (a wrong code, a dead one) is answered with a redirect to
/// the code page, which says how it stands; what is refused before a try is spent (not six
/// digits, too many wrong codes from this address) shows the form again with why.
async fn check_code(State(ui): State<Ui>, Path(attempt): Path<String>, posted: Posted<CodeForm>) -> Response {
    let Posted { visitor, form } = posted;
    match sign_in::finish(&ui, &attempt, &form.code, &visitor.address, &visitor.user_agent).await {
        Ok(opened) => signed_in(&ui, &visitor, opened).await,
        Err(error) if matches!(error.code(), "otp_invalid" | "otp_locked" | "otp_expired") => {
            Redirect::to(&format!("/wallet/code/{attempt}")).into_response()
        }
        Err(error) => show_code_form(&ui, &visitor, &attempt, Some((error, "code"))).await,
    }
}

/// "Send it again": a new code to the same number, within the limits on asking for codes; a
/// refusal says how long to wait.
async fn resend_code(State(ui): State<Ui>, Path(attempt): Path<String>, posted: Posted<Nothing>) -> Response {
    let Posted { visitor, .. } = posted;
    match sign_in::resend(&ui, &attempt, &visitor.address, visitor.lang).await {
        Ok(started) => Redirect::to(&format!("/wallet/code/{}", started.attempt_id)).into_response(),
        Err(error) if error.kind() == Kind::NotFound => page::failure(&ui, &visitor, error),
        Err(error) => show_code_form(&ui, &visitor, &attempt, Some((error, "resend"))).await,
    }
}

#[derive(Deserialize)]
struct Nothing {}

async fn sign_out(State(ui): State<Ui>, posted: SignedPost<Nothing>) -> Response {
    let SignedPost { signed, .. } = posted;
    if let Err(error) = sessions::end(&ui, &signed.session).await {
        return page::failure(&ui, &signed.visitor, error);
    }
    // Post/redirect/get: reloading the page that says so, or coming Back to it, posts nothing.
    let mut response = Redirect::to("/wallet/signed-out").into_response();
    add_cookie(response.headers_mut(), &cookie(SESSION_COOKIE, "", signed.visitor.secure, Some(0)));
    response
}

/// What signing out leads to. Someone still signed in here (another tab signed in again) is
/// sent home rather than told they are out.
async fn signed_out(State(ui): State<Ui>, visitor: Visitor) -> Response {
    match visitor.clone().signed(&ui).await {
        Ok(Some(_)) => Redirect::to("/wallet/").into_response(),
        _ => page::message(&ui, &visitor.signed_out(), StatusCode::OK, "signed-out-title", "signed-out-text"),
    }
}

#[derive(Deserialize)]
struct LanguageForm {
    lang: String,
    #[serde(default)]
    back: String,
}

/// Remembers the language chosen and goes back to the page it was chosen on.
async fn choose_language(posted: Posted<LanguageForm>) -> Response {
    let Posted { visitor, form } = posted;
    let lang = Lang::parse(&form.lang).unwrap_or(visitor.lang);
    // Only a path of this wallet: never a redirect to somewhere else.
    let back =
        if form.back.starts_with("/wallet/") && !form.back.starts_with("//") { form.back } else { "/wallet/".into() };
    let mut response = Redirect::to(&back).into_response();
    add_cookie(response.headers_mut(), &visitor::cookie(LANG_COOKIE, lang.code(), visitor.secure, Some(YEAR_S)));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_mobile_numbers_as_typed_become_e164() {
        assert_eq!(normalized_phone("010-1234-5678"), "+821012345678");
        assert_eq!(normalized_phone("010 1234 5678"), "+821012345678");
        assert_eq!(normalized_phone("+82 10-1234-5678"), "+821012345678");
        assert_eq!(normalized_phone("+1 (415) 555-0100"), "+14155550100");
    }
}
