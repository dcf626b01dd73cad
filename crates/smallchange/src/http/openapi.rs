//! `GET /openapi.json` (OpenAPI 3.1, generated from the handlers) and the API explorer at
//! `/docs`, whose assets are compiled into the binary: nothing is downloaded, ever.

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use super::content_type::UnsupportedMediaTypeAnswers;
use super::request_log::RequestIdHeaders;
use super::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "smallchange", description = "Stored-value wallet and cash-out engine. The guides are in the \
        smallchange repository: README.md (set-up and the ledger), docs/WALLET.md (users, top-ups, payments, \
        balances, gift cards, lists), docs/CASHOUT.md (identity checks, destinations, quotes, codes, rails, \
        receipts, disputes), docs/WEBHOOKS.md (events and signatures), docs/AUDIT.md (the audit log), docs/REPORTS.md (the summary report) and docs/CONFIGURATION.md (settings)."),
    paths(
        super::ledger::create_accounts,
        super::ledger::create_transfers,
        super::ledger::get_account,
        super::users::create_user,
        super::users::get_user,
        super::users::list_users,
        super::users::record_kyc,
        super::users::list_kyc_checks,
        super::users::freeze_user,
        super::users::unfreeze_user,
        super::destinations::list_destinations,
        super::payments::list_payments,
        super::topups::list_topups,
        super::gift_cards::list_cards,
        super::disputes::list_disputes,
        super::destinations::create_destination,
        super::topups::create_topup,
        super::payments::create_payment,
        super::payments::get_payment,
        super::payments::refund_payment,
        super::balances::balances,
        super::balances::statement,
        super::totp::enrol_totp,
        super::totp::reset_totp,
        super::wallet_links::create_link,
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
        super::receipts::open,
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
        super::ewallet::ewallet_callback,
        super::audit::latest_checkpoint,
        super::audit::get_entry,
        super::audit::consistency,
        super::audit::audit_key,
        super::reports::summary
    ),
    modifiers(&BearerAuth, &Links, &UnsupportedMediaTypeAnswers, &RequestIdHeaders),
    tags(
        (name = "ledger", description = "The double-entry ledger, low level (README.md, docs/LEDGER.md)"),
        (name = "users", description = "End users, their identity checks, authenticators and destinations (docs/WALLET.md, docs/CASHOUT.md)"),
        (name = "wallet", description = "Top-ups, payments, balances and statements (docs/WALLET.md)"),
        (name = "gift cards", description = "Gift-card programs, issue, check, redemption and remainder refunds (docs/WALLET.md)"),
        (name = "webhooks", description = "Endpoints that receive signed events, and their delivery logs (docs/WEBHOOKS.md)"),
        (name = "cash-out", description = "Quotes, cash-outs, confirmation, review, receipts, auto-cash-out, disputes (docs/CASHOUT.md)"),
        (name = "rails", description = "Payout rails: bank batches (ISO 20022), status reports, e-wallet callbacks (docs/CASHOUT.md)"),
        (name = "cash pickup", description = "Cash-pickup agents, and vouchers paid out with code and PIN (docs/CASHOUT.md)"),
        (name = "audit", description = "The signed audit log: checkpoints, entries with inclusion proofs, consistency proofs, the signing key (docs/AUDIT.md)"),
        (name = "reports", description = "The summary report: a period's top-ups, payments, cash-outs, fees and risk decisions; the float, payouts in flight and the review queue now (docs/REPORTS.md)")
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

/// OpenAPI links from each operation that creates something to the operations that take its
/// id in their path, so a client (or a contract test) can follow real ids: the `id` of the
/// created thing fills the target's `{id}`.
struct Links;

/// (the path of a `POST` that answers with an `id`, the path its id is used under)
const CREATES: [(&str, &str); 8] = [
    ("/v1/users", "/v1/users/{id}"),
    ("/v1/cashouts", "/v1/cashouts/{id}"),
    ("/v1/cashouts/{id}/disputes", "/v1/disputes/{id}"),
    ("/v1/users/{id}/payments", "/v1/payments/{id}"),
    ("/v1/webhook-endpoints", "/v1/webhook-endpoints/{id}"),
    ("/v1/gift-card-programs", "/v1/gift-card-programs/{id}"),
    ("/v1/gift-cards", "/v1/gift-cards/{id}"),
    ("/v1/cash-pickup-agents", "/v1/cash-pickup-agents/{id}"),
];

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::link::LinkBuilder;
        use utoipa::openapi::RefOr;
        for (source, target) in CREATES {
            let mut links = Vec::new();
            for (path, item) in &openapi.paths.paths {
                if path != target && !path.starts_with(&format!("{target}/")) {
                    continue;
                }
                let operations = [&item.get, &item.post, &item.put, &item.delete];
                for operation_id in operations.into_iter().flatten().filter_map(|o| o.operation_id.clone()) {
                    let link = LinkBuilder::new().operation_id(&operation_id).parameter("id", "$response.body#/id");
                    links.push((operation_id, link.build()));
                }
            }
            let created = openapi.paths.paths.get_mut(source).and_then(|item| item.post.as_mut());
            let Some(created) = created else { continue };
            for (code, response) in created.responses.responses.iter_mut() {
                if let (true, RefOr::T(response)) = (code.starts_with('2'), response) {
                    for (name, link) in &links {
                        response.links.insert(name.clone(), RefOr::T(link.clone()));
                    }
                }
            }
        }
    }
}

/// The document as served: utoipa 5.5 writes a link's `operationId` as `operation_id`,
/// which no client reads, so link keys are put right here.
pub fn document() -> serde_json::Value {
    let mut document = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes");
    if let Some(paths) = document["paths"].as_object_mut() {
        let operations = paths.values_mut().filter_map(|item| item.as_object_mut()).flat_map(|item| item.values_mut());
        let responses = operations.filter_map(|operation| operation.get_mut("responses")?.as_object_mut());
        for link in responses.flat_map(|r| r.values_mut()).filter_map(|r| r.get_mut("links")?.as_object_mut()) {
            for link in link.values_mut().filter_map(|l| l.as_object_mut()) {
                if let Some(id) = link.remove("operation_id") {
                    link.insert("operationId".into(), id);
                }
            }
        }
    }
    document
}

pub fn router() -> Router<AppState> {
    let document = document();
    Router::new()
        .route("/openapi.json", axum::routing::get(move || std::future::ready(axum::Json(document.clone()))))
        .merge(SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::from("/openapi.json")))
}

#[cfg(test)]
mod tests {
    /// Every guide the document names (`docs/….md`, `README.md`) is a file of the repository.
    #[test]
    fn the_guides_named_exist() {
        let text = super::document().to_string();
        let repository = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let named: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '/' || c == '.' || c == '_'))
            .filter(|word| word.ends_with(".md"))
            .collect();
        assert!(named.contains(&"docs/WALLET.md") && named.contains(&"README.md"), "{named:?}");
        for guide in named {
            assert!(repository.join(guide).is_file(), "the OpenAPI document names {guide}, which does not exist");
        }
    }
}
