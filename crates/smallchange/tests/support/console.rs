//! What the console's tests share: the use cases' context on a test database (with a clock
//! the test moves), the code an authenticator shows, and an operator of any role set up
//! through its link and signed in to a browser.

use std::sync::Arc;

use smallchange::clock::Clock;
use smallchange::committer::Committer;
use smallchange::context::Context;
use smallchange::crypto::Secrets;
use smallchange::metrics::Metrics;
use smallchange::services::operators::admin;
use smallchange::services::Actor;
use totp_rs::{Algorithm, Secret, TOTP};

use super::wallet::{Browser, Page};
use super::{test_settings, TestDb, TestServer};

/// Who creates operators in tests: the command line.
pub const CLI: Actor = Actor::System("cli");
/// Every test operator's password.
pub const PASSWORD: &str = "correct horse battery staple";

/// What the use cases run with, on `db`, deciding by `clock`: the same encryption key as
/// any server on that database (so set-up links and sessions made here work there).
pub async fn context(db: &TestDb, clock: Clock) -> Context {
    let settings = test_settings(db);
    let database = super::open(db).await;
    let metrics = Arc::new(Metrics::default());
    let (committer, _task) = Committer::start(database.clone(), settings.committer(), metrics.clone()).unwrap();
    Context {
        secrets: Arc::new(Secrets::load(&settings).unwrap()),
        settings: Arc::new(settings),
        db: database,
        committer,
        metrics,
        clock,
        guards: Arc::default(),
    }
}

/// The code an authenticator with secret `base32` shows at `at_us`.
pub fn code(base32: &str, at_us: i64) -> String {
    let bytes = Secret::Encoded(base32.replace(' ', "")).to_bytes().unwrap();
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new()).generate((at_us / 1_000_000) as u64)
}

/// A browser signed in to the console of `server`'s tenant as a new operator `email` with
/// `role`, set up through its link (in English), on the overview. `clock` is the server's.
pub async fn signed_in(server: &TestServer, clock: &Clock, email: &str, role: &str) -> (Browser, Page) {
    let ctx = context(&server.db, clock.clone()).await;
    let invited = admin::create(&ctx, &CLI, &server.tenant, email, role).await.unwrap();
    let mut browser = Browser::new(&server.base);
    browser.accept_language = "en".into();
    let page = browser.get(&invited.setup_url).await;
    let fields = [("password", PASSWORD), ("password_again", PASSWORD)];
    let chosen = browser.submit(&page, &format!("{}/password", invited.setup_url), &fields).await;
    assert_eq!(chosen.status, 303, "{}", chosen.html);
    let page = browser.get(&invited.setup_url).await;
    let secret = between(&page.html, "<p class=\"secret\" id=\"secret\">", "</p>");
    let code = code(&secret, clock.now_us());
    let done = browser.submit(&page, &format!("{}/code", invited.setup_url), &[("code", &code)]).await;
    assert_eq!((done.status, done.location.as_deref()), (303, Some("/console/")), "{}", done.html);
    let overview = browser.get("/console/").await;
    assert_eq!(overview.status, 200, "{}", overview.html);
    (browser, overview)
}

/// The text between `start` and `end` in `html`.
pub fn between(html: &str, start: &str, end: &str) -> String {
    let from = html.find(start).expect("the start marker") + start.len();
    html[from..from + html[from..].find(end).expect("the end marker")].to_string()
}
