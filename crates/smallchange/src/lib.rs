//! smallchange: a stored-value wallet and cash-out engine. This crate is everything that
//! does IO around the pure [`ledger`] kernel: settings, the database, the group committer,
//! the HTTP API, background workers and the command line.
//!
//! The data path reads straight down: HTTP → parsed input → committer → ledger + store →
//! response, with workers picking up what happens later.

pub mod app;
pub mod assets;
pub mod cli;
pub mod clock;
pub mod committer;
pub mod config;
pub mod context;
pub mod crypto;
pub mod domain;
pub mod events;
pub mod http;
pub mod ids;
pub mod limits;
pub mod metrics;
pub mod people;
pub mod public_net;
pub mod rails;
pub mod services;
pub mod signature;
pub mod status;
pub mod store;
pub mod telemetry;
pub mod unit;
pub mod web;
pub mod webhooks;
pub mod workers;
