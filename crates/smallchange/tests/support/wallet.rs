//! A browser as the web wallet's tests need one, without JavaScript: it keeps the cookies the
//! wallet sets, follows redirects one step at a time (so a test sees each 303), reads the
//! CSRF token from the page it is on, posts forms as a browser would
//! (`application/x-www-form-urlencoded`), and opens a wallet link with its page's button. The real-browser tests are in `tests/browser/`.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;

use super::TestServer;

/// A page as the browser got it.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub html: String,
    pub headers: HeaderMap,
    /// Where a redirect pointed, if it was one.
    pub location: Option<String>,
}

impl Page {
    /// The CSRF token of the page's (first) form.
    pub fn csrf(&self) -> String {
        let at = self.html.find("name=\"csrf\" value=\"").expect("the page has a form with a CSRF token");
        let rest = &self.html[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }

    /// The page's `Set-Cookie` lines.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect()
    }

    /// Whether the page's text contains `text` (HTML-escaped as the page would write it), in
    /// its markup or in its words with the tags left out (an amount is a `<span>` of its own
    /// inside a sentence).
    pub fn shows(&self, text: &str) -> bool {
        let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\'', "&#x27;");
        let words = self.without_tags();
        [&self.html, &words].iter().any(|html| html.contains(text) || html.contains(&escaped))
    }

    /// The page with every tag left out.
    fn without_tags(&self) -> String {
        let mut words = String::with_capacity(self.html.len());
        let mut in_tag = false;
        for c in self.html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => words.push(c),
                _ => {}
            }
        }
        words
    }
}

pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// Sent as `Accept-Language`.
    pub accept_language: String,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let client =
            reqwest::Client::builder().redirect(Policy::none()).timeout(Duration::from_secs(60)).build().unwrap();
        Browser { base: base.to_string(), client, cookies: BTreeMap::new(), accept_language: "ko-KR,ko".into() }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn keep(&mut self, response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for line in headers.get_all(SET_COOKIE) {
            let line = line.to_str().unwrap();
            let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let location = headers.get(LOCATION).map(|v| v.to_str().unwrap().to_string());
        Page { status, html: response.text().await.unwrap(), headers, location }
    }

    /// `GET path` without following a redirect.
    pub async fn get(&mut self, path: &str) -> Page {
        let request = self
            .client
            .get(self.url(path))
            .header(COOKIE, self.cookie_header())
            .header("accept-language", &self.accept_language);
        let response = request.send().await.expect("the wallet answers");
        self.keep(response).await
    }

    /// `GET path`, following redirects to the page they end at.
    pub async fn open(&mut self, path: &str) -> Page {
        let mut page = self.get(path).await;
        for _ in 0..5 {
            match page.location.clone() {
                Some(next) if (300..400).contains(&page.status) => page = self.get(&next).await,
                _ => break,
            }
        }
        page
    }

    /// Posts `fields` to `path` as a form, exactly as given (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded_body(fields);
        let request = self
            .client
            .post(self.url(path))
            .header(COOKIE, self.cookie_header())
            .header("accept-language", &self.accept_language)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        let response = request.send().await.expect("the wallet answers");
        self.keep(response).await
    }

    /// Opens a wallet link as a person does: its page (a GET, which uses nothing up), then
    /// the page's button (a POST, which uses the link). The button's answer, unfollowed: a 303
    /// home with the session's cookie, or 410 for a link that does not open.
    pub async fn open_link(&mut self, link: &str) -> Page {
        let page = self.get(link).await;
        if page.status != 200 {
            return page;
        }
        let path = link.find("/wallet/link/").map_or(link, |at| &link[at..]);
        self.submit(&page, path, &[]).await
    }

    /// Posts a form to `path` from `from` (the page it was on), with that page's CSRF token.
    pub async fn submit(&mut self, from: &Page, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = from.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }
}

fn serde_urlencoded_body(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(n, v)| format!("{}={}", encode(n), encode(v))).collect::<Vec<_>>().join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl TestServer {
    /// A one-time wallet link for `user`, as the operator gets it.
    pub async fn wallet_link(&self, user: &str) -> String {
        let (status, link) = self.post(&format!("/v1/users/{user}/wallet-links"), serde_json::json!({})).await;
        assert_eq!(status, 200, "{link}");
        link["url"].as_str().unwrap().to_string()
    }

    /// A browser signed in to `user`'s wallet through a link, on the home page.
    pub async fn signed_in(&self, user: &str) -> (Browser, Page) {
        let mut browser = Browser::new(&self.base);
        let link = self.wallet_link(user).await;
        let opened = browser.open_link(&link).await;
        assert_eq!((opened.status, opened.location.as_deref()), (303, Some("/wallet/")), "{}", opened.html);
        let home = browser.open("/wallet/").await;
        assert_eq!(home.status, 200, "{}", home.html);
        (browser, home)
    }
}
