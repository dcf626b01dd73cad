//! Answering with a page: a template rendered with what every page needs (language, CSRF
//! token, the tenant's zone and currency), the visitor's cookies set, and failures told in
//! the person's words: a use case's error code names a catalog message (`error-otp_locked`).
//! Also [`Posted`], the extractor every form goes through: it refuses a form without the
//! visitor's CSRF token before anything is read from it.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{context, Value};
use serde::de::DeserializeOwned;

use super::visitor::{Door, Signed, Visitor};
use super::{templates, Ui};
use crate::people::{i18n, Lang};
use crate::services::{Error, Kind};
use crate::status;

/// Largest form accepted; the wallet's forms are a few fields.
const FORM_BYTES_MAX: usize = 16 * 1024;

/// Page `template` for `visitor`, with `values` on top of what every page has; with the
/// navigation and the tenant's zone and currency when they are signed in.
pub fn show(ui: &Ui, visitor: &Visitor, status: StatusCode, template: &str, values: Value) -> Response {
    if let Some(tenant) = visitor.signed_in_tenant() {
        return respond(visitor, status, template, context! { ..values, ..signed_base(ui, visitor, tenant) });
    }
    let base = context! {
        lang => visitor.lang.code(),
        csrf => visitor.csrf(ui),
        tz => 0,
        currency => "KRW",
        signed_in => false,
    };
    respond(visitor, status, template, context! { ..values, ..base })
}

/// As [`show`] for a signed-in person: times in their tenant's zone, money in its currency.
pub fn show_signed(ui: &Ui, signed: &Signed, status: StatusCode, template: &str, values: Value) -> Response {
    let base = signed_base(ui, &signed.visitor, signed.tenant());
    respond(&signed.visitor, status, template, context! { ..values, ..base })
}

/// As [`show_signed`] for a person signed in to another UI (the console): times in
/// `tenant`'s zone, money in its currency.
pub fn show_for_tenant(
    ui: &Ui,
    visitor: &Visitor,
    status: StatusCode,
    template: &str,
    values: Value,
    tenant: &str,
) -> Response {
    respond(visitor, status, template, context! { ..values, ..signed_base(ui, visitor, tenant) })
}

fn signed_base(ui: &Ui, visitor: &Visitor, tenant: &str) -> Value {
    let policy = ui.settings.wallet_policy(tenant);
    context! {
        lang => visitor.lang.code(),
        csrf => visitor.csrf(ui),
        tz => policy.month_utc_offset_minutes,
        currency => policy.currency().code(),
        signed_in => true,
    }
}

fn respond(visitor: &Visitor, status: StatusCode, template: &str, values: Value) -> Response {
    match templates::render(template, values) {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            visitor.set_cookies(response.headers_mut());
            response
        }
        Err(error) => {
            tracing::error!(template, error = %format!("{error:#}"), "a wallet page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, Html(plain_failure(visitor.lang))).into_response()
        }
    }
}

/// A page that says what went wrong, in the person's words, with the status the API would
/// answer ([`crate::status`], one table for both).
pub fn failure(ui: &Ui, visitor: &Visitor, error: Error) -> Response {
    let status = status::of(error.kind());
    if error.kind() == Kind::Internal {
        tracing::error!(error = %error, "a wallet page failed");
    }
    let values = context! { title => title_of(visitor.lang, &error), text => words(visitor.lang, &error) };
    show(ui, visitor, status, message_template(visitor), values)
}

/// A plain page with a heading and a line (a link that opens nothing, a form refused).
pub fn message(ui: &Ui, visitor: &Visitor, status: StatusCode, title_id: &str, text_id: &str) -> Response {
    let lang = visitor.lang;
    let text = |id: &str| i18n::text(lang, id, &[]).unwrap_or_default();
    show(ui, visitor, status, message_template(visitor), context! { title => text(title_id), text => text(text_id) })
}

/// The plain message page of the visitor's UI.
fn message_template(visitor: &Visitor) -> &'static str {
    match visitor.door {
        Door::Wallet => "message.html",
        Door::Console => "console/message.html",
    }
}

/// What `error` means to a person: its catalog message (`error-<code>`), else a general one.
pub fn words(lang: Lang, error: &Error) -> String {
    let retry = error.retry_after_s.unwrap_or(0).to_string();
    i18n::text(lang, &format!("error-{}", error.code()), &[("seconds", retry)])
        .or_else(|| i18n::text(lang, "error-general", &[("code", error.code().to_string())]))
        .unwrap_or_else(|| error.code().to_string())
}

fn title_of(lang: Lang, error: &Error) -> String {
    let id = match error.kind() {
        Kind::NotFound => "title-not-found",
        Kind::RateLimited => "title-slow-down",
        Kind::Internal | Kind::Unavailable => "title-our-fault",
        _ => "title-cannot",
    };
    i18n::text(lang, id, &[]).unwrap_or_default()
}

/// A form shown again with its error: 400 for what was typed, a 503 for what went wrong on
/// our side (the form is still there to try again), else the error's own status.
pub fn form_status(error: &Error) -> StatusCode {
    match error.kind() {
        Kind::NotFound | Kind::RateLimited | Kind::Conflict | Kind::Unauthenticated => status::of(error.kind()),
        Kind::Internal | Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// An amount as people type it (`20,000`, `20000원`, `₩20,000`, `12.34`) in minor units of
/// a currency with `exponent` decimal places; `None` if it is not one.
pub fn typed_amount(typed: &str, exponent: u8) -> Option<i64> {
    let kept: String = typed.chars().filter(|c| !matches!(c, ' ' | ',' | '원' | '₩' | '$')).collect();
    let (whole, fraction) = kept.split_once('.').unwrap_or((&kept, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (!fraction.is_empty() && !digits(fraction)) || fraction.len() > usize::from(exponent) {
        return None;
    }
    let scale = 10_i64.checked_pow(u32::from(exponent))?;
    let padded = format!("{fraction:0<width$}", width = usize::from(exponent));
    let fraction: i64 = if padded.is_empty() { 0 } else { padded.parse().ok()? };
    whole.parse::<i64>().ok()?.checked_mul(scale)?.checked_add(fraction)
}

/// The last resort when a template itself fails: no template, no catalog.
fn plain_failure(lang: Lang) -> String {
    let text = match lang {
        Lang::Ko => "문제가 생겼어요. 잠시 후 다시 시도해 주세요.",
        Lang::En => "Something went wrong on our side. Please try again in a moment.",
    };
    format!(
        "<!doctype html><html lang=\"{}\"><meta charset=\"utf-8\"><title>smallchange</title><p>{text}</p></html>",
        lang.code()
    )
}

/// A posted form whose CSRF token (`csrf`) matched the visitor's, read as `T`. A form without
/// it, or with another's, is answered 403 and nothing is done.
pub struct Posted<T> {
    pub visitor: Visitor,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<Ui> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, ui: &Ui) -> Result<Posted<T>, Response> {
        let (mut parts, body) = request.into_parts();
        let Ok(visitor) = Visitor::from_request_parts(&mut parts, ui).await;
        let request = Request::from_parts(parts, body);
        let Ok(bytes) = Bytes::from_request(request, &()).await else {
            return Err(message(ui, &visitor, StatusCode::BAD_REQUEST, "title-cannot", "form-unreadable"));
        };
        if bytes.len() > FORM_BYTES_MAX {
            return Err(message(ui, &visitor, StatusCode::PAYLOAD_TOO_LARGE, "title-cannot", "form-unreadable"));
        }
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let token = fields.iter().find(|(name, _)| name == "csrf").map(|(_, v)| v.as_str()).unwrap_or_default();
        if !visitor.csrf_matches(ui, token) {
            return Err(message(ui, &visitor, StatusCode::FORBIDDEN, "title-form-expired", "form-expired"));
        }
        match serde_urlencoded::from_bytes::<T>(&bytes) {
            Ok(form) => Ok(Posted { visitor, form }),
            Err(_) => Err(message(ui, &visitor, StatusCode::BAD_REQUEST, "title-cannot", "form-unreadable")),
        }
    }
}

/// A signed-in person's posted form: [`Signed`] and [`Posted`] together.
pub struct SignedPost<T> {
    pub signed: Signed,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<Ui> for SignedPost<T> {
    type Rejection = Response;

    async fn from_request(request: Request, ui: &Ui) -> Result<SignedPost<T>, Response> {
        let (mut parts, body) = request.into_parts();
        let signed = Signed::from_request_parts(&mut parts, ui).await?;
        let Posted { form, .. } = Posted::<T>::from_request(Request::from_parts(parts, body), ui).await?;
        Ok(SignedPost { signed, form })
    }
}
