//! Webhook events: what a service records when something a tenant may want to hear about
//! happens (a cash-out is paid, a gift card is about to expire), and the shape in which it
//! is delivered.
//!
//! A service adds [`event_rows`] to the unit that makes the change, so the event exists iff
//! the change committed; code outside a unit calls [`emit`]. Either way the event is stored
//! once and one `webhook_event` job is enqueued with it. That job fans out — one
//! `webhook_delivery` job per enabled endpoint of the tenant subscribed to the type — and
//! each delivery POSTs the event, signed with its endpoint's secret (see
//! [`crate::signature`]), retried with backoff by the job runner. The handlers are in
//! [`crate::workers::webhooks`].

use serde_json::{json, Value};

use crate::clock::rfc3339;
use crate::ids;
use crate::store::webhooks::Event;
use crate::store::{self, jobs, Db};
use crate::unit::Row;

/// The event types (defined with the endpoint input that subscribes to them).
pub use crate::domain::webhook::{ALL_EVENTS, EVENT_TYPES};

/// The job that fans an event out to the endpoints subscribed to it.
pub const EVENT_JOB: &str = "webhook_event";
/// The job that delivers one event to one endpoint.
pub const DELIVERY_JOB: &str = "webhook_delivery";

/// The rows that record the event and enqueue its fan-out: add them to the unit that makes
/// the change, so the event exists iff the change committed. `at_us` is when it happened.
pub fn event_rows(tenant_id: &str, event_type: &str, data: &Value, at_us: i64) -> Vec<Row> {
    recorded(tenant_id, event_type, data, at_us).1
}

/// Records an event now, outside any unit (for code that changes nothing else, and tests).
/// Returns the event's id.
pub async fn emit(db: &Db, tenant_id: &str, event_type: &str, data: &Value) -> anyhow::Result<String> {
    let (id, rows) = recorded(tenant_id, event_type, data, store::now_us());
    let mut tx = db.begin().await?;
    store::write_rows(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(id)
}

/// The event's id and the rows of [`event_rows`]. The fan-out is due at once, whatever
/// `at_us` says: the runner decides by the real clock.
fn recorded(tenant_id: &str, event_type: &str, data: &Value, at_us: i64) -> (String, Vec<Row>) {
    assert!(EVENT_TYPES.contains(&event_type), "{event_type:?} is not a webhook event type");
    let event = Event {
        id: ids::time_ordered("evt", at_us),
        event_type: event_type.to_string(),
        data: data.clone(),
        created_at: at_us,
    };
    let rows = announcement(tenant_id, &event);
    (event.id, rows)
}

/// The rows that make `event` a webhook event and enqueue its fan-out. An event of the
/// events layer keeps its id, so every delivery of it carries that one id.
pub fn announcement(tenant_id: &str, event: &Event) -> Vec<Row> {
    let fan_out = jobs::enqueue_row(tenant_id, EVENT_JOB, &json!({ "event_id": event.id }), store::now_us());
    vec![store::webhooks::event_row(tenant_id, event), fan_out]
}

/// The kinds announced as the webhook of the status they left (`cashout.<status>`).
const ANNOUNCED_BY_STATUS: [&str; 3] = ["cashout.approved", "cashout.rejected", "cash_pickup.voucher_redeemed"];

/// Every kind of event that may become a webhook: the webhook types themselves and the
/// kinds announced by status.
pub fn announcing_kinds() -> Vec<&'static str> {
    EVENT_TYPES.iter().chain(ANNOUNCED_BY_STATUS.iter()).copied().collect()
}

/// The webhook type an event of the events layer is announced as, if any: its own kind when
/// that is a webhook type; for an event of a use case that moves a cash-out on (a review's
/// `cashout.approved` or `cashout.rejected`, a voucher's `cash_pickup.voucher_redeemed`),
/// the status it moved the cash-out to when that is one (a rejection: `cashout.canceled`).
pub fn announced_as(kind: &str, data: &Value) -> Option<String> {
    let event_type = match kind {
        kind if ANNOUNCED_BY_STATUS.contains(&kind) => {
            format!("cashout.{}", data["status"].as_str()?)
        }
        other => other.to_string(),
    };
    EVENT_TYPES.contains(&event_type.as_str()).then_some(event_type)
}

/// What a cash-out's status-change webhook delivers, as it always has: the cash-out as the
/// change left it. What else the event holds (the ledger `transfers` it wrote, a review's
/// decision, the voucher and agent) only the audit log keeps.
const STATUS_CHANGE_FIELDS: [&str; 12] = [
    "id",
    "status",
    "note",
    "user_id",
    "destination_id",
    "rail",
    "currency",
    "gross",
    "fee",
    "net",
    "rail_reference",
    "failure_reason",
];

/// What a webhook of `event_type` delivers of its event's data: a cash-out's status change
/// (`cashout.<its status>`) keeps [`STATUS_CHANGE_FIELDS`]; anything else is delivered whole.
pub fn delivered_data(event_type: &str, mut data: Value) -> Value {
    let status_change = data["status"].as_str().is_some_and(|status| event_type == format!("cashout.{status}"));
    if let (true, Some(fields)) = (status_change, data.as_object_mut()) {
        fields.retain(|field, _| STATUS_CHANGE_FIELDS.contains(&field.as_str()));
    }
    data
}

/// Whether an endpoint subscribed to `events` wants events of `event_type`.
pub fn subscribed(events: &[String], event_type: &str) -> bool {
    events.iter().any(|e| e == ALL_EVENTS || e == event_type)
}

/// The body every delivery of `event` POSTs: `{"id", "type", "created_at", "data"}`.
pub fn body(event: &Event) -> Vec<u8> {
    let body = json!({
        "id": event.id,
        "type": event.event_type,
        "created_at": rfc3339(event.created_at),
        "data": event.data,
    });
    serde_json::to_vec(&body).expect("JSON values serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_match_the_type_or_everything() {
        let some = vec!["cashout.paid".to_string(), "cashout.failed".to_string()];
        assert!(subscribed(&some, "cashout.paid"));
        assert!(!subscribed(&some, "gift_card.expiring"));
        assert!(subscribed(&["*".to_string()], "gift_card.expiring"));
        assert!(!subscribed(&[], "cashout.paid"));
    }

    #[test]
    fn a_cash_out_event_is_announced_as_its_status_webhook() {
        let data = json!({"id": "po_1", "status": "canceled", "net": 1, "transfers": [], "review": {"reason": "x"}});
        assert_eq!(announced_as("cashout.rejected", &data).as_deref(), Some("cashout.canceled"));
        assert_eq!(announced_as("cashout.approved", &json!({"status": "processing"})), None);
        assert_eq!(announced_as("cashout.created", &json!({})), None);
        assert_eq!(delivered_data("cashout.canceled", data), json!({"id": "po_1", "status": "canceled", "net": 1}));
        let late = json!({"id": "po_1", "status": "in_transit", "since": 1});
        assert_eq!(delivered_data("cashout.sla_breached", late.clone()), late, "not a status change: whole");
    }

    #[test]
    fn an_event_is_one_row_and_one_job() {
        let rows = event_rows("ten_1", "cashout.paid", &json!({"cashout_id": "po_1"}), 1_700_000_000_000_000);
        assert_eq!(rows.len(), 2);
        assert!(rows[0].sql.contains("webhook_events"), "{}", rows[0].sql);
        assert!(rows[1].sql.contains("INSERT INTO jobs"), "{}", rows[1].sql);
        assert!(rows[1].params.contains(&EVENT_JOB.into()));
    }

    #[test]
    #[should_panic(expected = "not a webhook event type")]
    fn unknown_types_are_a_programming_error() {
        event_rows("ten_1", "cashout.teleported", &json!({}), 0);
    }

    #[test]
    fn the_body_has_the_documented_shape() {
        let event = Event {
            id: "evt_1".into(),
            event_type: "cashout.paid".into(),
            data: json!({"amount": 5000}),
            created_at: 1_700_000_000_000_000,
        };
        let body: Value = serde_json::from_slice(&body(&event)).unwrap();
        assert_eq!(
            body,
            json!({"id": "evt_1", "type": "cashout.paid", "created_at": "2023-11-14T22:13:20Z", "data": {"amount": 5000}})
        );
    }
}
