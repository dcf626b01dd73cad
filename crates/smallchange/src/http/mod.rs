//! The HTTP API: one small state object, one router per resource, errors mapped in one
//! place ([`error`]), and the OpenAPI document generated from the handlers themselves.

pub mod audit;
pub mod auth;
pub mod balances;
pub mod body;
pub mod cash_pickups;
pub mod cashouts;
pub mod content_type;
pub mod destinations;
pub mod disputes;
pub mod error;
pub mod ewallet;
pub mod gift_cards;
pub mod health;
pub mod idempotency;
pub mod ledger;
pub mod openapi;
pub mod paging;
pub mod path;
pub mod payments;
pub mod payout_batches;
pub mod query;
pub mod receipt_page;
pub mod receipt_proof;
pub mod receipts;
pub mod reports;
pub mod request_log;
pub mod serde_message;
pub mod submit;
pub mod topups;
pub mod totp;
pub mod users;
pub mod wallet_links;
pub mod webhooks;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;

use crate::context::Context;
use crate::limits::RateLimiter;
use error::ApiError;

/// What every handler may use: the services' [`Context`] (reached through it by deref, as
/// `app.db`), and what only the API needs: the key cache and the rate limiter.
#[derive(Clone)]
pub struct AppState {
    pub ctx: Context,
    pub keys: Arc<auth::KeyCache>,
    /// Requests per API key. The limits on guessing (gift-card codes, receipt links) are the
    /// use cases' own, in the context ([`crate::services::limits`]).
    pub limiter: Arc<RateLimiter>,
    /// This running server's id in `server_boots` (see [`crate::store::boots`]).
    pub boot: Arc<str>,
}

impl std::ops::Deref for AppState {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.ctx
    }
}

/// The API's routes, with `pages` (the web wallet, already given its own state) beside them:
/// the pages share the request log and the response counts, but not the API's JSON-only
/// checks (a page's form is not JSON, and its query is its own).
pub fn router(state: AppState, pages: Router) -> Router {
    let body_bytes_max = state.settings.body_bytes_max;
    let api = Router::new()
        .merge(ledger::router())
        .merge(users::router())
        .merge(destinations::router())
        .merge(topups::router())
        .merge(payments::router())
        .merge(balances::router())
        .merge(gift_cards::router())
        .merge(cashouts::router())
        .merge(receipts::router())
        .merge(payout_batches::router())
        .merge(disputes::router())
        .merge(cash_pickups::router())
        .merge(ewallet::router())
        .merge(totp::router())
        .merge(wallet_links::router())
        .merge(webhooks::router())
        .merge(audit::router())
        .merge(reports::router())
        .merge(health::router())
        .merge(openapi::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            Arc::new(query::KnownParameters::from_document(&openapi::document())),
            query::check,
        ))
        .layer(DefaultBodyLimit::max(body_bytes_max))
        .layer(middleware::from_fn(content_type::require_json))
        .with_state(state.clone());
    pages
        .merge(api)
        .layer(middleware::from_fn_with_state(state, count_responses))
        // Outermost: every answer, 404s and 415s included, gets its id and its log line.
        .layer(middleware::from_fn(request_log::record))
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

async fn count_responses(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    app.metrics.observe_response(response.status().as_u16());
    response
}
