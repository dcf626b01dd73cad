//! Getting into the console and out of it: signing in with email, password and the
//! authenticator's code (`/console/sign-in`); the one-time set-up link that chooses a
//! password and enrols an authenticator (`/console/setup/{token}`); signing out; the
//! language. Every form posts and redirects; a wrong try shows the form again with what
//! was typed (never the password) and says what to do.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::Deserialize;

use super::Staff;
use crate::people::Lang;
use crate::services::operators::sessions::{self, Opened};
use crate::services::operators::setup::{self, Step};
use crate::services::operators::sign_in::{self, Attempt};
use crate::services::Error;
use crate::web::page::{self, Posted};
use crate::web::visitor::{add_cookie, Door, Visitor, LANG_COOKIE};
use crate::web::{qr, Ui};

/// A year, in seconds: how long the language chosen is remembered.
const YEAR_S: i64 = 365 * 24 * 3600;
/// Pixels a side of the authenticator's QR code.
const QR_SIZE: u32 = 220;

/// The sign-in page's address, bringing the person back to `next` (a console page) after.
pub fn sign_in_path(next: &str) -> String {
    if next == "/console/" || !is_console_page(next) {
        return "/console/sign-in".to_string();
    }
    let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("/console/sign-in?next={next}")
}

/// Only a page of this console: never a redirect to somewhere else.
fn is_console_page(path: &str) -> bool {
    path.starts_with("/console/") && !path.starts_with("//") && !path.contains("..") && !path.contains('\\')
}

#[derive(Deserialize)]
struct Next {
    #[serde(default)]
    next: String,
}

async fn sign_in_page(State(ui): State<Ui>, visitor: Visitor, Query(query): Query<Next>) -> Response {
    show_sign_in(&ui, &visitor, StatusCode::OK, "", &query.next, None)
}

fn show_sign_in(
    ui: &Ui,
    visitor: &Visitor,
    status: StatusCode,
    email: &str,
    next: &str,
    error: Option<&Error>,
) -> Response {
    let next = if is_console_page(next) { next } else { "" };
    let values = context! {
        email => email,
        next => next,
        error => error.map(|e| page::words(visitor.lang, e)),
    };
    page::show(ui, visitor, status, "console/sign_in.html", values)
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

async fn sign_in(State(ui): State<Ui>, posted: Posted<SignInForm>) -> Response {
    let Posted { visitor, form } = posted;
    let attempt = Attempt {
        email: &form.email,
        password: &form.password,
        code: &form.code,
        address: &visitor.address,
        user_agent: &visitor.user_agent,
    };
    match sign_in::sign_in(&ui, &attempt).await {
        Ok(opened) => {
            let next = if is_console_page(&form.next) { form.next.as_str() } else { "/console/" };
            signed_in(&visitor, &opened, next)
        }
        Err(error) => show_sign_in(&ui, &visitor, page::form_status(&error), &form.email, &form.next, Some(&error)),
    }
}

/// Where a person goes once a session opened, with its cookie (a session cookie: it ends
/// with the browser, and the server ends it sooner when unused).
fn signed_in(visitor: &Visitor, opened: &Opened, next: &str) -> Response {
    let mut response = Redirect::to(next).into_response();
    add_cookie(response.headers_mut(), &visitor.cookie_line(Door::Console.session_cookie(), &opened.token, None));
    response
}

async fn setup_page(State(ui): State<Ui>, visitor: Visitor, Path(token): Path<String>) -> Response {
    show_setup(&ui, &visitor, &token, StatusCode::OK, None).await
}

async fn show_setup(ui: &Ui, visitor: &Visitor, token: &str, status: StatusCode, error: Option<&Error>) -> Response {
    let setup = match setup::open(ui, token, &visitor.address).await {
        Ok(Some(setup)) => setup,
        Ok(None) => {
            // A second press of the last step (a double-click) finds the set-up finished.
            let text = match setup::was_used(ui, token).await {
                Ok(true) => "console-link-used-text",
                _ => "console-link-gone-text",
            };
            return page::message(ui, visitor, StatusCode::NOT_FOUND, "console-link-gone-title", text);
        }
        Err(error) => return page::failure(ui, visitor, error),
    };
    let error = error.map(|e| page::words(visitor.lang, e));
    match setup.step {
        Step::Password => {
            let values = context! { email => setup.email, token => token, error => error };
            page::show(ui, visitor, status, "console/setup_password.html", values)
        }
        Step::Authenticator { secret, otpauth_uri } => {
            let qr = match qr::svg_data_uri(&otpauth_uri, QR_SIZE) {
                Ok(qr) => qr,
                Err(error) => return page::failure(ui, visitor, Error::internal(error)),
            };
            let values = context! { email => setup.email, token => token, secret => secret, qr => qr, error => error };
            page::show(ui, visitor, status, "console/setup_authenticator.html", values)
        }
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

async fn choose_password(State(ui): State<Ui>, Path(token): Path<String>, posted: Posted<PasswordForm>) -> Response {
    let Posted { visitor, form } = posted;
    match setup::choose_password(&ui, &token, &visitor.address, &form.password, &form.password_again).await {
        // Post/redirect/get: the page now shows the authenticator's step.
        Ok(()) => Redirect::to(&format!("/console/setup/{token}")).into_response(),
        Err(error) => show_setup(&ui, &visitor, &token, page::form_status(&error), Some(&error)).await,
    }
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn prove_authenticator(State(ui): State<Ui>, Path(token): Path<String>, posted: Posted<CodeForm>) -> Response {
    let Posted { visitor, form } = posted;
    match setup::prove(&ui, &token, &visitor.address, &visitor.user_agent, &form.code).await {
        Ok(opened) => signed_in(&visitor, &opened, "/console/"),
        Err(error) => show_setup(&ui, &visitor, &token, page::form_status(&error), Some(&error)).await,
    }
}

#[derive(Deserialize)]
struct Nothing {}

async fn sign_out(State(ui): State<Ui>, staff: Staff, _posted: Posted<Nothing>) -> Response {
    if let Err(error) = sessions::sign_out(&ui, &staff.live).await {
        return page::failure(&ui, &staff.visitor, error);
    }
    let mut response = Redirect::to("/console/sign-in?signed_out=1").into_response();
    add_cookie(response.headers_mut(), &staff.visitor.cookie_line(Door::Console.session_cookie(), "", Some(0)));
    response
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
    let back = if is_console_page(&form.back) { form.back } else { "/console/".into() };
    let mut response = Redirect::to(&back).into_response();
    add_cookie(response.headers_mut(), &visitor.cookie_line(LANG_COOKIE, lang.code(), Some(YEAR_S)));
    response
}

pub fn router() -> Router<Ui> {
    Router::new()
        .route("/console/sign-in", get(sign_in_page).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .route("/console/language", post(choose_language))
        .route("/console/setup/{token}", get(setup_page))
        .route("/console/setup/{token}/password", post(choose_password))
        .route("/console/setup/{token}/code", post(prove_authenticator))
}
