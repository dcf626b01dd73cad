//! The pages people open: server-rendered (minijinja templates and Fluent catalogs compiled
//! into the binary) and calling the same services as the JSON API. Forms post and redirect;
//! JavaScript only adds the live parts. A page handler is as thin as a JSON one: read the
//! visitor ([`visitor`]), call one use case, show a template ([`page`]).
//!
//! What any web UI shares lives here: the page shell and its failures ([`page`]), the visitor,
//! its session and CSRF token ([`visitor`]), the template engine ([`templates`]) and the
//! headers every page is sent with ([`headers`]). The words come from the catalogs in
//! `people::i18n` and the stylesheet and script from `crate::assets`, which the API's receipt
//! page uses too (and the API names nothing in `web/`). Each UI is a folder of its own: the end-user wallet is [`wallet`]
//! (under `/wallet/`); the operators' console is [`console`] (under `/console/`).

pub mod console;
pub mod headers;
pub mod page;
pub mod qr;
pub mod templates;
pub mod visitor;
pub mod wallet;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::Router;

use crate::context::Context;

/// What every page shares: the services' context.
#[derive(Clone)]
pub struct Ui {
    pub ctx: Context,
}

impl std::ops::Deref for Ui {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.ctx
    }
}

/// Every page's route, with the headers every page is sent with.
pub fn router(ctx: Context) -> Router {
    let ui = Ui { ctx };
    Router::new()
        .merge(wallet::router())
        .merge(console::router())
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(middleware::from_fn(headers::secure))
        .with_state(ui)
}
