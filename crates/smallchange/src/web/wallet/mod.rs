//! The end-user web wallet under `/wallet/`: its pages, one module per part of it, its
//! assets' route and its "not found" page.

pub mod activity;
pub mod cash_out;
pub mod cash_outs;
pub mod enter;
pub mod gift_cards;
pub mod home;
pub mod settings;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{any, get};
use axum::Router;

use crate::assets;
use crate::services::users::freeze::Paused;
use crate::web::{page, visitor, Ui};

/// What `paused.html` shows of a frozen wallet: the operator to ask, nothing else.
pub fn paused_shown(paused: Option<Paused>) -> Option<minijinja::Value> {
    paused.map(|paused| minijinja::context! { operator => paused.operator })
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

/// Every `/wallet/` route.
pub fn router() -> Router<Ui> {
    Router::new()
        .route("/wallet/assets/{name}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .merge(enter::router())
        .merge(home::router())
        .merge(settings::router())
        .merge(cash_out::router())
        .merge(cash_outs::router())
        .merge(activity::router())
        .merge(gift_cards::router())
        // Any other wallet address: a page that says so, not the API's JSON.
        .route("/wallet/{*rest}", any(not_found))
}
