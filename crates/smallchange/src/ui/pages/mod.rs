//! The wallet's pages, one module per part of it.

pub mod activity;
pub mod cash_out;
pub mod cash_outs;
pub mod enter;
pub mod gift_cards;
pub mod home;
pub mod settings;

use axum::Router;

use super::Ui;

pub fn router() -> Router<Ui> {
    Router::new()
        .merge(enter::router())
        .merge(home::router())
        .merge(settings::router())
        .merge(cash_out::router())
        .merge(cash_outs::router())
        .merge(activity::router())
        .merge(gift_cards::router())
}
