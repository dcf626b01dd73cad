//! The operators' console under `/console/` (docs/CONSOLE.md): people who run the platform
//! sign in with email, password and an authenticator code, and work from pages that call
//! the same services as the API, as `Actor::OperatorUser`. One module per part: getting in
//! ([`enter`]), the overview ([`overview`]), the review queue ([`review`]).

pub mod enter;
pub mod overview;
pub mod review;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::any;
use axum::Router;

use crate::services::operators::sessions::{self, Live};
use crate::web::visitor::{Door, Visitor};
use crate::web::{page, Ui};

/// A visitor signed in to the console: the only way a console page reaches anything.
pub struct Staff {
    pub visitor: Visitor,
    pub live: Live,
}

impl Staff {
    pub fn tenant(&self) -> &str {
        &self.live.operator.tenant_id
    }
}

impl FromRequestParts<Ui> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, ui: &Ui) -> Result<Staff, Response> {
        let Ok(visitor) = Visitor::from_request_parts(parts, ui).await;
        let token = visitor.cookie(Door::Console.session_cookie()).unwrap_or_default().to_string();
        match sessions::resume(ui, &token).await {
            Ok(Some(live)) => Ok(Staff { visitor, live }),
            // No session, or one that ended: the sign-in page, which brings them back here.
            Ok(None) => Err(Redirect::to(&enter::sign_in_path(parts.uri.path())).into_response()),
            Err(error) => Err(page::failure(ui, &visitor, error)),
        }
    }
}

/// Any other console address: a page that says so.
async fn not_found(State(ui): State<Ui>, visitor: Visitor) -> Response {
    page::message(&ui, &visitor, StatusCode::NOT_FOUND, "title-not-found", "page-not-found")
}

/// Every `/console/` route.
pub fn router() -> Router<Ui> {
    Router::new()
        .merge(enter::router())
        .merge(overview::router())
        .merge(review::router())
        .route("/console/{*rest}", any(not_found))
}
