//! The wallet's pages, one module per part of it.

pub mod activity;
pub mod enter;
pub mod gift_cards;
pub mod home;

use axum::Router;

use super::Ui;

pub fn router() -> Router<Ui> {
    Router::new().merge(enter::router()).merge(home::router()).merge(activity::router()).merge(gift_cards::router())
}
