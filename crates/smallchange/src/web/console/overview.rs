//! `/console/`: the overview, where a console session starts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::routing::get;
use axum::Router;
use minijinja::context;

use super::Staff;
use crate::web::{page, Ui};

async fn overview(State(ui): State<Ui>, staff: Staff) -> Response {
    let operator = &staff.live.operator;
    let values = context! {
        nav => "overview",
        operator_email => operator.email,
        operator_role => crate::services::operators::role_of(operator).as_str(),
    };
    page::show_for_tenant(&ui, &staff.visitor, StatusCode::OK, "console/overview.html", values, staff.tenant())
}

pub fn router() -> Router<Ui> {
    Router::new()
        .route("/console/", get(overview))
        .route("/console", get(|| async { Redirect::permanent("/console/") }))
}
