//! Receipt pages a person opens in a browser from a signed link, without an API key:
//! `GET /receipts/{id}?exp=…&sig=…[&lang=ko|en]` (the link comes from the JSON receipt's
//! `url`; [`crate::services::cashout::receipt_link`] signs and checks it). A link that is not
//! genuine answers a plain 404 page, an expired one 410; an address the use case turns
//! away for too many links that were not genuine gets a 429 page with `Retry-After` for
//! every link until it cools down.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiError;
use super::receipt_page;
use super::AppState;
use crate::people::Lang;
use crate::services::cashout::receipt_link::{self, Refused};
use crate::services::Kind;

pub fn router() -> Router<AppState> {
    Router::new().route("/receipts/{id}", get(open))
}

/// The language a person asked for: `?lang=`, else `Accept-Language`, else Korean.
pub fn lang_of(explicit: Option<&str>, headers: &HeaderMap) -> Lang {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Lang::choose(explicit, accept)
}

/// The language an integrator asked for on behalf of a person: `?lang=` must be `ko` or
/// `en` if given (400 `invalid_lang` otherwise); else `Accept-Language`, else Korean.
pub fn api_lang(explicit: Option<&str>, headers: &HeaderMap) -> Result<Lang, ApiError> {
    if explicit.is_some_and(|tag| Lang::parse(tag).is_none()) {
        return Err(ApiError::invalid("invalid_lang", "lang is ko or en", "lang"));
    }
    Ok(lang_of(explicit, headers))
}

#[derive(Deserialize, IntoParams)]
pub struct LinkQuery {
    /// When the link stops opening, in Unix seconds.
    exp: Option<String>,
    /// The link's signature.
    sig: Option<String>,
    /// `ko` or `en`; default: the browser's `Accept-Language`, else Korean.
    lang: Option<String>,
}

/// The printable receipt page, as the cash-out is now, from a signed link; no API key.
#[utoipa::path(get, path = "/receipts/{id}", params(("id" = String, Path, description = "The cash-out id"), LinkQuery),
    responses((status = 200, description = "The receipt page (HTML)", content_type = "text/html"),
        (status = 404, description = "Not a genuine link (HTML)", content_type = "text/html"),
        (status = 410, description = "The link has expired (HTML)", content_type = "text/html"),
        (status = 429, description = "Too many links that were not genuine from this address (HTML)", content_type = "text/html")),
    tag = "cash-out")]
async fn open(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Query(query): Query<LinkQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let lang = lang_of(query.lang.as_deref(), &headers);
    let (exp, sig) = (query.exp.as_deref().unwrap_or(""), query.sig.as_deref().unwrap_or(""));
    Ok(match receipt_link::open(&app, client.ip(), &id, exp, sig).await {
        Ok(Ok(receipt)) => {
            let proof = crate::services::audit::cashout_proof(&app.db, &receipt.cashout.id).await;
            page(StatusCode::OK, receipt_page::render(&receipt, lang, proof.as_ref()))
        }
        Ok(Err(Refused::Expired)) => page(StatusCode::GONE, receipt_page::refusal(lang, Some(Refused::Expired))),
        Ok(Err(Refused::Invalid)) => page(StatusCode::NOT_FOUND, receipt_page::refusal(lang, Some(Refused::Invalid))),
        // A person with a browser is told in words, on a page, not in JSON.
        Err(error) if error.kind() == Kind::RateLimited => {
            let mut response = page(StatusCode::TOO_MANY_REQUESTS, receipt_page::refusal(lang, None));
            let seconds = error.retry_after_s().unwrap_or(1);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        Err(error) => return Err(error),
    })
}

/// An HTML page that no cache or later page keeps: the link in it is the key to it.
fn page(status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if let Ok(policy) = HeaderValue::from_str(&receipt_page::content_security_policy()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}
