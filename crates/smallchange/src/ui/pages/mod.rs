//! The wallet's pages, one module per part of it.

pub mod enter;
pub mod home;
pub mod settings;

use axum::Router;

use super::Ui;

pub fn router() -> Router<Ui> {
    Router::new().merge(enter::router()).merge(home::router()).merge(settings::router())
}
