//! Settings (`/wallet/settings`): language, auto-cash-out (threshold and destination), the
//! authenticator app (set up from its QR code, on only once a code from the app proves the
//! scan), and the person's sessions,
//! with signing out of one or of every other.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::services::cashout::auto::{self, Choice};
use crate::services::users::{self, totp};
use crate::services::wallet_access::sessions;
use crate::services::{Error, Kind};
use crate::web::page::{self, SignedPost};
use crate::web::visitor::Signed;
use crate::web::wallet::cash_out::{self, Problem};
use crate::web::{qr, Ui};

pub fn router() -> Router<Ui> {
    Router::new()
        .route("/wallet/settings", get(settings))
        .route("/wallet/settings/auto-cash-out", post(set_auto))
        .route("/wallet/settings/authenticator", get(authenticator).post(enrol))
        .route("/wallet/settings/authenticator/confirm", post(prove))
        .route("/wallet/settings/sessions/{id}/end", post(end_session))
        .route("/wallet/settings/sessions/end-others", post(end_others))
}

#[derive(Serialize)]
struct SessionShown {
    id: String,
    browser: String,
    opened_by: String,
    created_at: i64,
    last_seen_at: i64,
    this_one: bool,
}

#[derive(Serialize)]
struct DestinationShown {
    id: String,
    masked: String,
    kind: String,
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn settings(State(ui): State<Ui>, signed: Signed, Query(done): Query<Done>) -> Response {
    show(&ui, &signed, StatusCode::OK, done.done.as_deref(), None, None).await
}

/// The settings page, with a banner for what was `done`, or `error` against auto-cash-out's
/// `typed` values.
async fn show(
    ui: &Ui,
    signed: &Signed,
    status: StatusCode,
    done: Option<&str>,
    error: Option<Error>,
    typed: Option<&AutoForm>,
) -> Response {
    match values(ui, signed, done, error, typed).await {
        Ok(values) => page::show_signed(ui, signed, status, "settings.html", values),
        Err(error) => page::failure(ui, &signed.visitor, error),
    }
}

async fn values(
    ui: &Ui,
    signed: &Signed,
    done: Option<&str>,
    error: Option<Error>,
    typed: Option<&AutoForm>,
) -> Result<minijinja::Value, Error> {
    let actor = signed.actor();
    let user = users::get(ui, &actor, signed.tenant(), signed.user_id()).await?;
    let auto = match auto::get(ui, signed.tenant(), signed.user_id()).await {
        Ok(setting) => Some(setting.auto),
        Err(e) if e.kind() == Kind::NotFound => None,
        Err(e) => return Err(e),
    };
    let offered = auto::offered(ui, &actor, signed.tenant(), signed.user_id()).await?;
    let destinations: Vec<DestinationShown> = offered
        .destinations
        .into_iter()
        .map(|d| DestinationShown { id: d.id, masked: d.masked, kind: d.type_name.to_string() })
        .collect();
    let saved = auto.as_ref().map(|a| a.destination_id.clone());
    // A saved destination no longer offered (found closed) is neither chosen nor offered.
    let saved_closed = saved.as_ref().is_some_and(|id| !destinations.iter().any(|d| &d.id == id));
    let open = sessions::of_user(ui, &signed.session).await?;
    let sessions: Vec<SessionShown> = open
        .into_iter()
        .map(|s| SessionShown {
            this_one: s.id == signed.session.id,
            browser: browser_name(&s.user_agent),
            id: s.id,
            opened_by: s.opened_by,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
        })
        .collect();
    let minimum = ui.settings.cashout_policy(signed.tenant()).minimum;
    let auto_enabled = typed.map_or(auto.as_ref().is_some_and(|a| a.enabled), |t| t.enabled.is_some());
    let threshold = typed.map_or(auto.as_ref().map(|a| a.threshold.to_string()), |t| Some(t.threshold.clone()));
    let destination = match typed {
        Some(typed) => Some(typed.destination_id.clone()),
        None if saved_closed => offered.usual,
        None => saved.or(offered.usual),
    };
    Ok(context! {
        nav => "settings",
        here => "/wallet/settings",
        done,
        error => error.as_ref().map(|e| page::words(signed.visitor.lang, e)),
        error_field => error.as_ref().and_then(|e| e.param().map(str::to_string)),
        totp_enrolled => user.totp_enrolled,
        auto_enabled,
        threshold,
        minimum,
        destination,
        destinations,
        saved_closed,
        sessions,
    })
}

/// A browser's `User-Agent` as a person would name it: "Chrome on Android", else the first
/// word it gives.
fn browser_name(user_agent: &str) -> String {
    let browser = ["Edg/", "SamsungBrowser/", "Firefox/", "Chrome/", "Safari/"]
        .iter()
        .find(|b| user_agent.contains(*b))
        .map(|b| match *b {
            "Edg/" => "Edge",
            "SamsungBrowser/" => "Samsung Internet",
            other => other.trim_end_matches('/'),
        });
    let system = ["Android", "iPhone", "iPad", "Windows", "Mac OS X", "Linux"]
        .iter()
        .find(|s| user_agent.contains(*s))
        .map(|s| if *s == "Mac OS X" { "macOS" } else { s });
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} · {s}"),
        (Some(b), None) => b.to_string(),
        (None, Some(s)) => s.to_string(),
        (None, None) => user_agent.split_whitespace().next().unwrap_or("?").chars().take(40).collect(),
    }
}

#[derive(Deserialize)]
struct AutoForm {
    /// Present when the box is ticked.
    enabled: Option<String>,
    #[serde(default)]
    threshold: String,
    #[serde(default)]
    destination_id: String,
}

async fn set_auto(State(ui): State<Ui>, posted: SignedPost<AutoForm>) -> Response {
    let SignedPost { signed, form } = posted;
    let exponent = ui.settings.wallet_policy(signed.tenant()).currency().exponent();
    let threshold = match page::typed_amount(&form.threshold, exponent) {
        Some(amount) => amount,
        None => {
            let error = Error::invalid("invalid_threshold", "threshold is an amount", "threshold");
            return show(&ui, &signed, StatusCode::BAD_REQUEST, None, Some(error), Some(&form)).await;
        }
    };
    let choice = Choice { enabled: form.enabled.is_some(), threshold, destination_id: form.destination_id.clone() };
    match auto::set(&ui, &signed.actor(), signed.tenant(), signed.user_id(), choice).await {
        Ok(_) => Redirect::to("/wallet/settings?done=auto").into_response(),
        Err(error) => {
            let status = if error.kind() == Kind::Invalid { StatusCode::BAD_REQUEST } else { StatusCode::CONFLICT };
            show(&ui, &signed, status, None, Some(error), Some(&form)).await
        }
    }
}

#[derive(Deserialize)]
struct Nothing {}

/// Starts setting up the authenticator: a new secret waits (TOTP stays as it was until a
/// code from the app proves the scan), and the page with its QR code follows.
async fn enrol(State(ui): State<Ui>, posted: SignedPost<Nothing>) -> Response {
    let SignedPost { signed, .. } = posted;
    match totp::start_setup(&ui, &signed.actor(), signed.tenant(), signed.user_id()).await {
        Ok(_) => Redirect::to("/wallet/settings/authenticator").into_response(),
        // Set up already (another tab, or the operator): the page says so.
        Err(error) if error.code() == "invalid_state" => {
            show(&ui, &signed, StatusCode::CONFLICT, None, None, None).await
        }
        Err(error) => show(&ui, &signed, StatusCode::CONFLICT, None, Some(error), None).await,
    }
}

#[derive(Deserialize)]
struct Wrong {
    wrong: Option<String>,
}

/// The waiting secret's QR code and key, and the form for a code of it. With `?wrong`, the
/// code just posted was wrong (the try is spent already: a reload spends nothing).
async fn authenticator(State(ui): State<Ui>, signed: Signed, Query(q): Query<Wrong>) -> Response {
    let error = q.wrong.is_some().then(|| Error::invalid("totp_invalid", "a wrong code", "code"));
    show_authenticator(&ui, &signed, StatusCode::OK, error).await
}

async fn show_authenticator(ui: &Ui, signed: &Signed, status: StatusCode, error: Option<Error>) -> Response {
    let actor = signed.actor();
    let waiting = match totp::pending(ui, &actor, signed.tenant(), signed.user_id()).await {
        Ok(Some(waiting)) => waiting,
        // Nothing waits: set up already, or never started.
        Ok(None) => return Redirect::to("/wallet/settings").into_response(),
        Err(error) => return page::failure(ui, &signed.visitor, error),
    };
    let qr = match qr::svg_data_uri(&waiting.otpauth_uri, 220) {
        Ok(qr) => qr,
        Err(error) => return page::failure(ui, &signed.visitor, Error::internal(error)),
    };
    let lang = signed.visitor.lang;
    let problems: Vec<Problem> = error
        .iter()
        .map(|e| {
            let text = match e.code() {
                "totp_invalid" => match totp::tries_left(ui, &actor, signed.tenant()) {
                    0 => cash_out::text(lang, "totp-wrong-wait", &[]),
                    left => cash_out::text(lang, "totp-wrong", &[("left", left.to_string())]),
                },
                "invalid_code" => cash_out::text(lang, "totp-code-digits", &[]),
                _ => page::words(lang, e),
            };
            Problem { field: Some("code".into()), text }
        })
        .collect();
    let grouped = waiting.secret_base32.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned());
    let values = context! {
        nav => "settings",
        here => "/wallet/settings/authenticator",
        qr,
        secret => grouped.collect::<Vec<_>>().join(" "),
        problems,
    };
    page::show_signed(ui, signed, status, "authenticator.html", values)
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

/// A code from the app: the right one sets the authenticator up; a wrong one spends a try
/// and is answered with a redirect (post/redirect/get), so a reload does not spend another;
/// one that is not six digits, or one turned away for too many tries, changes nothing and
/// is answered with the form again.
async fn prove(State(ui): State<Ui>, posted: SignedPost<CodeForm>) -> Response {
    let SignedPost { signed, form } = posted;
    match totp::prove(&ui, &signed.actor(), signed.tenant(), signed.user_id(), &form.code).await {
        Ok(()) => Redirect::to("/wallet/settings?done=totp").into_response(),
        Err(error) if error.code() == "totp_invalid" => {
            Redirect::to("/wallet/settings/authenticator?wrong=1").into_response()
        }
        Err(error) if matches!(error.code(), "invalid_state" | "totp_not_started") => {
            Redirect::to("/wallet/settings").into_response()
        }
        Err(error) => {
            let status = page::form_status(&error);
            show_authenticator(&ui, &signed, status, Some(error)).await
        }
    }
}

async fn end_session(State(ui): State<Ui>, Path(id): Path<String>, posted: SignedPost<Nothing>) -> Response {
    let SignedPost { signed, .. } = posted;
    match sessions::end_one(&ui, &signed.session, &id).await {
        Ok(()) if id == signed.session.id => Redirect::to("/wallet/").into_response(),
        Ok(()) => Redirect::to("/wallet/settings?done=session").into_response(),
        Err(error) => page::failure(&ui, &signed.visitor, error),
    }
}

async fn end_others(State(ui): State<Ui>, posted: SignedPost<Nothing>) -> Response {
    let SignedPost { signed, .. } = posted;
    match sessions::end_others(&ui, &signed.session).await {
        Ok(_) => Redirect::to("/wallet/settings?done=others").into_response(),
        Err(error) => page::failure(&ui, &signed.visitor, error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_people_type_them() {
        let parse_amount = |typed: &str| page::typed_amount(typed, 0);
        assert_eq!(parse_amount("10,000"), Some(10_000));
        assert_eq!(parse_amount("₩10,000"), Some(10_000));
        assert_eq!(parse_amount("10000원"), Some(10_000));
        assert_eq!(parse_amount("ten"), None);
        assert_eq!(parse_amount("-5"), None);
        assert_eq!(parse_amount(""), None);
    }

    #[test]
    fn browsers_are_named_as_people_know_them() {
        let android = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36";
        assert_eq!(browser_name(android), "Chrome · Android");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(browser_name(iphone), "Safari · iPhone");
        assert_eq!(browser_name("curl/8.5.0"), "curl/8.5.0");
    }
}
