//! Who is at the other end of a page request: the UI they are at (the wallet or the
//! console, [`Door`]), their language, their client address and browser, their cookies and
//! (when signed in to the wallet) their session. Also the CSRF token every form carries,
//! and the cookies the UIs set.
//!
//! The CSRF token is an HMAC of the visitor's own secret cookie (the session's once signed
//! in, before that a random pre-session cookie), so a page on another site can neither read
//! nor forge it, and nothing has to be stored for it. Each UI has its own cookies, scoped to
//! its path, and signs its tokens for its own purpose.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

use super::Ui;
use crate::people::Lang;
use crate::services::wallet_access::sessions;
use crate::store::wallet_access::Session;

pub const SESSION_COOKIE: &str = "sc_session";
pub const PRE_COOKIE: &str = "sc_pre";
pub const LANG_COOKIE: &str = "sc_lang";
pub const TENANT_COOKIE: &str = "sc_wallet";
/// The console's session cookie (see [`Door::Console`]).
pub const CONSOLE_SESSION_COOKIE: &str = "sc_console";

/// The UI a page belongs to: the end-user wallet under `/wallet/` or the operators'
/// console under `/console/`. Their cookies never meet: each is scoped to its path, and the
/// console's are `SameSite=Strict` (a link from elsewhere opens it signed out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Door {
    Wallet,
    Console,
}

impl Door {
    /// The UI of the page at `path`.
    pub fn of_path(path: &str) -> Door {
        if path == "/console" || path.starts_with("/console/") {
            Door::Console
        } else {
            Door::Wallet
        }
    }

    /// The path its cookies are scoped to.
    pub fn path(self) -> &'static str {
        match self {
            Door::Wallet => "/wallet",
            Door::Console => "/console",
        }
    }

    pub fn session_cookie(self) -> &'static str {
        match self {
            Door::Wallet => SESSION_COOKIE,
            Door::Console => CONSOLE_SESSION_COOKIE,
        }
    }

    /// The random cookie a visitor's CSRF token is made from before they sign in.
    fn pre_cookie(self) -> &'static str {
        match self {
            Door::Wallet => PRE_COOKIE,
            Door::Console => "sc_cpre",
        }
    }

    fn same_site(self) -> &'static str {
        match self {
            Door::Wallet => "Lax",
            Door::Console => "Strict",
        }
    }

    /// What its CSRF tokens are signed for.
    fn csrf_purpose(self) -> &'static str {
        match self {
            Door::Wallet => "wallet-csrf",
            Door::Console => "console-csrf",
        }
    }
}

/// Anyone at the wallet, signed in or not.
#[derive(Clone, Debug)]
pub struct Visitor {
    /// The UI the request is for.
    pub door: Door,
    pub lang: Lang,
    pub address: String,
    pub user_agent: String,
    /// Whether cookies must be `Secure`: always, except over plain HTTP on loopback.
    pub secure: bool,
    cookies: Vec<(String, String)>,
    /// The `sc_pre` value to set, when the visitor had none.
    new_pre: Option<String>,
    /// The tenant of the live session found for this visitor ([`Visitor::signed`]): the
    /// pages shown to them, a failure or a 404 included, keep the navigation.
    signed_in_tenant: Option<String>,
}

impl Visitor {
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The secret the CSRF token is made from: the session cookie if there is one, else
    /// the pre-session cookie.
    fn csrf_seed(&self) -> &str {
        let door = self.door;
        self.cookie(door.session_cookie())
            .or(self.new_pre.as_deref())
            .or_else(|| self.cookie(door.pre_cookie()))
            .unwrap_or_default()
    }

    /// The token this visitor's forms carry.
    pub fn csrf(&self, ui: &Ui) -> String {
        ui.secrets.sign(self.door.csrf_purpose(), self.csrf_seed())
    }

    /// Whether `given` is this visitor's CSRF token.
    pub fn csrf_matches(&self, ui: &Ui, given: &str) -> bool {
        !self.csrf_seed().is_empty() && ui.secrets.signature_matches(self.door.csrf_purpose(), self.csrf_seed(), given)
    }

    /// The tenant of this visitor's live session, once [`Visitor::signed`] found one.
    pub fn signed_in_tenant(&self) -> Option<&str> {
        self.signed_in_tenant.as_deref()
    }

    /// This visitor as they are once their session is ended: pages shown to them no longer
    /// offer what needs one.
    pub fn signed_out(&self) -> Visitor {
        Visitor { signed_in_tenant: None, ..self.clone() }
    }

    /// The cookies a page for this visitor sets: a pre-session cookie if they had none.
    pub fn set_cookies(&self, headers: &mut HeaderMap) {
        if let Some(pre) = &self.new_pre {
            add_cookie(headers, &self.cookie_line(self.door.pre_cookie(), pre, None));
        }
    }

    /// A `Set-Cookie` value for this visitor's UI: scoped to its path, `HttpOnly`, its
    /// `SameSite`, `Secure` unless over plain HTTP on loopback.
    pub fn cookie_line(&self, name: &str, value: &str, max_age_s: Option<i64>) -> String {
        door_cookie(self.door, name, value, self.secure, max_age_s)
    }
}

impl FromRequestParts<Ui> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, ui: &Ui) -> Result<Visitor, Self::Rejection> {
        let cookies = read_cookies(&parts.headers);
        let chosen = cookies.iter().find(|(n, _)| n == LANG_COOKIE).map(|(_, v)| v.as_str());
        let accept = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_default();
        let user_agent =
            parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let door = Door::of_path(parts.uri.path());
        let has_pre = cookies.iter().any(|(n, v)| n == door.pre_cookie() && !v.is_empty());
        let has_session = cookies.iter().any(|(n, _)| n == door.session_cookie());
        Ok(Visitor {
            door,
            lang: Lang::choose(chosen, accept),
            address,
            user_agent,
            secure: needs_secure_cookies(host, &ui.settings.public_base_url),
            new_pre: (!has_pre && !has_session).then(|| crate::store::tenants::new_id("pre", 32)),
            cookies,
            signed_in_tenant: None,
        })
    }
}

/// A visitor with a live session: the only way a page reaches a user's things.
#[derive(Clone, Debug)]
pub struct Signed {
    pub visitor: Visitor,
    pub session: Session,
}

impl Signed {
    pub fn tenant(&self) -> &str {
        &self.session.tenant_id
    }

    pub fn user_id(&self) -> &str {
        &self.session.user_id
    }

    pub fn actor(&self) -> crate::services::Actor {
        crate::services::Actor::EndUser { user_id: self.session.user_id.clone() }
    }
}

impl FromRequestParts<Ui> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, ui: &Ui) -> Result<Signed, Response> {
        let Ok(visitor) = Visitor::from_request_parts(parts, ui).await;
        match visitor.clone().signed(ui).await {
            Ok(Some(signed)) => Ok(signed),
            // No session (or an ended one): the wallet's front door, which says how to get in.
            Ok(None) => Err(Redirect::to("/wallet/").into_response()),
            Err(error) => Err(super::page::failure(ui, &visitor, error)),
        }
    }
}

impl Visitor {
    /// This visitor with their live session, if they have one.
    pub async fn signed(self, ui: &Ui) -> Result<Option<Signed>, crate::services::Error> {
        let token = self.cookie(SESSION_COOKIE).unwrap_or_default().to_string();
        let session = sessions::resume(ui, &token).await?;
        Ok(session.map(|session| {
            let visitor = Visitor { signed_in_tenant: Some(session.tenant_id.clone()), ..self };
            Signed { visitor, session }
        }))
    }
}

/// `Secure` everywhere but plain HTTP on this machine (development, tests): a browser
/// would not send a `Secure` cookie back over `http://127.0.0.1`.
fn needs_secure_cookies(host: &str, public_base_url: &str) -> bool {
    if public_base_url.starts_with("https://") {
        return true;
    }
    let name =
        host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(n, _)| n);
    !matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

fn read_cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('=').map(|(n, v)| (n.to_string(), v.to_string())))
        .collect()
}

/// A `Set-Cookie` value scoped to the wallet: `HttpOnly`, `SameSite=Lax`, `Secure` when
/// `secure`; a session cookie unless `max_age_s` is given.
pub fn cookie(name: &str, value: &str, secure: bool, max_age_s: Option<i64>) -> String {
    door_cookie(Door::Wallet, name, value, secure, max_age_s)
}

/// As [`cookie`], scoped to `door`'s path with its `SameSite`.
pub fn door_cookie(door: Door, name: &str, value: &str, secure: bool, max_age_s: Option<i64>) -> String {
    let mut line = format!("{name}={value}; Path={}; HttpOnly; SameSite={}", door.path(), door.same_site());
    if secure {
        line.push_str("; Secure");
    }
    if let Some(age) = max_age_s {
        line.push_str(&format!("; Max-Age={age}"));
    }
    line
}

pub fn add_cookie(headers: &mut HeaderMap, line: &str) {
    if let Ok(value) = HeaderValue::from_str(line) {
        headers.append(header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_secure_except_over_plain_http_on_loopback() {
        assert!(!needs_secure_cookies("127.0.0.1:8080", ""));
        assert!(!needs_secure_cookies("localhost:3000", "http://localhost:3000"));
        assert!(needs_secure_cookies("127.0.0.1:8080", "https://wallet.example"));
        assert!(needs_secure_cookies("wallet.example", ""));
        assert!(needs_secure_cookies("10.0.0.5:8080", ""));
    }

    #[test]
    fn a_cookie_line_has_its_flags() {
        let line = cookie(SESSION_COOKIE, "abc", true, None);
        assert_eq!(line, "sc_session=abc; Path=/wallet; HttpOnly; SameSite=Lax; Secure");
        assert!(cookie(LANG_COOKIE, "en", false, Some(60)).ends_with("SameSite=Lax; Max-Age=60"));
        let console = door_cookie(Door::Console, CONSOLE_SESSION_COOKIE, "abc", true, None);
        assert_eq!(console, "sc_console=abc; Path=/console; HttpOnly; SameSite=Strict; Secure");
    }

    #[test]
    fn a_page_belongs_to_the_ui_of_its_path() {
        assert_eq!(Door::of_path("/console/"), Door::Console);
        assert_eq!(Door::of_path("/console"), Door::Console);
        assert_eq!(Door::of_path("/consoles"), Door::Wallet);
        assert_eq!(Door::of_path("/wallet/activity"), Door::Wallet);
    }
}
