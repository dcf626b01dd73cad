//! Settings (`/wallet/settings`): language, auto-cash-out (threshold and destination), the
//! authenticator app (enrolment with its QR code, shown once), and the person's sessions,
//! with signing out of one or of every other.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::services::cashout::auto::{self, Choice};
use crate::services::users::{self, destinations, totp};
use crate::services::wallet_access::sessions;
use crate::services::{Error, Kind};
use crate::ui::page::{self, SignedPost};
use crate::ui::visitor::Signed;
use crate::ui::{qr, Ui};

pub fn router() -> Router<Ui> {
    Router::new()
        .route("/wallet/settings", get(settings))
        .route("/wallet/settings/auto-cash-out", post(set_auto))
        .route("/wallet/settings/authenticator", post(enrol))
        .route("/wallet/settings/sessions/{id}/end", post(end_session))
        .route("/wallet/settings/sessions/end-others", post(end_others))
}

/// Destinations offered for auto-cash-out: enough for anyone.
const DESTINATIONS_SHOWN: i64 = 50;

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
    let destinations: Vec<DestinationShown> =
        destinations::of_user(ui, &actor, signed.tenant(), signed.user_id(), None, DESTINATIONS_SHOWN)
            .await?
            .items
            .into_iter()
            .map(|d| DestinationShown { id: d.id, masked: d.masked, kind: d.type_name.to_string() })
            .collect();
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
    let destination = typed.map_or(auto.as_ref().map(|a| a.destination_id.clone()), |t| Some(t.destination_id.clone()));
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
    match auto::set(&ui, signed.tenant(), signed.user_id(), choice).await {
        Ok(_) => Redirect::to("/wallet/settings?done=auto").into_response(),
        Err(error) => {
            let status = if error.kind() == Kind::Invalid { StatusCode::BAD_REQUEST } else { StatusCode::CONFLICT };
            show(&ui, &signed, status, None, Some(error), Some(&form)).await
        }
    }
}

#[derive(Deserialize)]
struct Nothing {}

/// Enrols the authenticator and shows its QR code and secret, this once. Answered directly
/// (not redirected): the secret is shown only in this answer; a reload posts again and is
/// told the app is set up already.
async fn enrol(State(ui): State<Ui>, posted: SignedPost<Nothing>) -> Response {
    let SignedPost { signed, .. } = posted;
    let answer = totp::enrol(&ui, &signed.actor(), signed.tenant(), signed.user_id(), None).await;
    let enrolled = match answer {
        Ok(answer) => match answer.done() {
            Some(enrolled) => enrolled.clone(),
            None => {
                return page::failure(&ui, &signed.visitor, Error::internal("an enrolment without a key was repeated"))
            }
        },
        // Set up already (a reload, or another tab): the page says so; the secret stays unshown.
        Err(error) if error.code() == "invalid_state" => {
            return show(&ui, &signed, StatusCode::CONFLICT, None, None, None).await
        }
        Err(error) => return show(&ui, &signed, StatusCode::CONFLICT, None, Some(error), None).await,
    };
    let qr = match qr::svg_data_uri(&enrolled.otpauth_uri, 220) {
        Ok(qr) => qr,
        Err(error) => return page::failure(&ui, &signed.visitor, Error::internal(error)),
    };
    let grouped = enrolled.secret_base32.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned());
    let values = context! {
        nav => "settings",
        here => "/wallet/settings",
        qr,
        secret => grouped.collect::<Vec<_>>().join(" "),
    };
    page::show_signed(&ui, &signed, StatusCode::OK, "authenticator.html", values)
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
