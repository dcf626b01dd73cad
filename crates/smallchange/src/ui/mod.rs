//! The end-user web wallet under `/wallet/`: server-rendered pages (minijinja templates and
//! Fluent catalogs compiled into the binary) that call the same services as the JSON API.
//! Forms post and redirect; JavaScript only adds the live parts. A page handler is as thin as
//! a JSON one: read the visitor ([`visitor`]), call one use case, show a template ([`page`]).

pub mod assets;
pub mod destinations;
pub mod headers;
pub mod i18n;
pub mod page;
pub mod pages;
pub mod qr;
pub mod templates;
pub mod visitor;

use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::Response;
use axum::routing::{any, get};
use axum::Router;

use crate::context::Context;

/// What the wallet's pages share: the services' context.
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

/// Any other wallet address: a page that says so, with the navigation and a link home for
/// a person who is signed in.
async fn not_found(State(ui): State<Ui>, visitor: visitor::Visitor) -> Response {
    let visitor = match visitor.clone().signed(&ui).await {
        Ok(Some(signed)) => signed.visitor,
        _ => visitor,
    };
    page::message(&ui, &visitor, StatusCode::NOT_FOUND, "title-not-found", "page-not-found")
}

/// Every `/wallet/` route, with the headers every page is sent with.
pub fn router(ctx: Context) -> Router {
    let ui = Ui { ctx };
    Router::new()
        .route("/wallet/assets/{name}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .merge(pages::router())
        // Any other wallet address: a page that says so, not the API's JSON.
        .route("/wallet/{*rest}", any(not_found))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(middleware::from_fn(headers::secure))
        .with_state(ui)
}
