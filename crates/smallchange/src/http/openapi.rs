//! `GET /openapi.json` (OpenAPI 3.1, generated from the handlers) and the API explorer at
//! `/docs`, whose assets are compiled into the binary: nothing is downloaded, ever.

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use super::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "smallchange", description = "Stored-value wallet and cash-out engine. See API.md for the contract."),
    paths(
        super::ledger::create_accounts,
        super::ledger::create_transfers,
        super::ledger::get_account,
        super::users::create_user,
        super::users::get_user,
        super::users::list_users,
        super::users::record_kyc,
        super::destinations::create_destination,
        super::topups::create_topup,
        super::payments::create_payment,
        super::payments::get_payment,
        super::payments::refund_payment,
        super::balances::balances,
        super::balances::statement,
        super::totp::enrol_totp,
        super::gift_cards::create_program,
        super::gift_cards::get_program,
        super::gift_cards::issue_card,
        super::gift_cards::get_card,
        super::gift_cards::check_card,
        super::gift_cards::redeem_card,
        super::gift_cards::refund_remainder,
        super::webhooks::create_endpoint,
        super::webhooks::list_endpoints,
        super::webhooks::get_endpoint,
        super::webhooks::delete_endpoint,
        super::webhooks::list_deliveries,
        super::cashouts::create_quote,
        super::cashouts::create_cashout,
        super::cashouts::get_cashout,
        super::cashouts::confirm_cashout,
        super::cashouts::cancel_cashout,
        super::cashouts::resend_code,
        super::cashouts::receipt,
        super::cashouts::approve,
        super::cashouts::reject,
        super::cashouts::settle,
        super::cashouts::review_queue,
        super::cashouts::sms_outbox,
        super::cashouts::put_auto,
        super::cashouts::get_auto,
        super::cashouts::list_cashouts,
        super::disputes::open_dispute,
        super::disputes::get_dispute,
        super::disputes::resolve_dispute,
        super::payout_batches::list_batches,
        super::payout_batches::download_pain001,
        super::payout_batches::upload_report,
        super::cash_pickups::create_agent,
        super::cash_pickups::list_agents,
        super::cash_pickups::revoke_agent,
        super::cash_pickups::redeem,
        super::ewallet::ewallet_callback
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "ledger", description = "The double-entry ledger, low level"),
        (name = "users", description = "End users and their identity checks"),
        (name = "wallet", description = "Top-ups, payments, balances and statements"),
        (name = "gift cards", description = "Gift-card programs, issue, check, redemption and remainder refunds"),
        (name = "webhooks", description = "Endpoints that receive signed events, and their delivery logs"),
        (name = "cash-out", description = "Quotes, cash-outs, confirmation, review, receipts, auto-cash-out"),
        (name = "rails", description = "Payout rails: bank batches (ISO 20022), status reports, e-wallet callbacks"),
        (name = "cash pickup", description = "Cash-pickup agents, and vouchers paid out with code and PIN (agent key)")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
}
