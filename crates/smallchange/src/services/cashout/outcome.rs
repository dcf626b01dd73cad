//! What a rail says happened to a cash-out ([`crate::rails::Outcome`]), applied: the status
//! change it comes to, with the money, the rows and the event it calls for, as one unit
//! (see [`super::flow::change`]). Rails decide; this is where a cash-out moves, so a rail
//! never calls back into the cash-out's flow.

use super::flow::{self, Recorded};
use crate::context::Context;
use crate::rails::{Moved, Outcome};
use crate::services::Actor;
use crate::store::cashouts::Transition;
use crate::unit::Param;

/// Applies `outcome`, moved on by `actor`: whether it changed the cash-out (`false` when the
/// cash-out had moved on already, as when an outcome repeats).
pub async fn apply(app: &Context, actor: &Actor, outcome: &Outcome) -> anyhow::Result<bool> {
    let (from, to, mut set): (&[&str], &str, Vec<(&'static str, Param)>) = match &outcome.moved {
        Moved::Taken { .. } => (&["processing"], "in_transit", vec![("submitted_at", outcome.at.into())]),
        Moved::Paid { .. } => (&["in_transit"], "paid", vec![("paid_at", outcome.at.into())]),
        Moved::Failed { reason, .. } => (&["in_transit"], "failed", vec![("failure_reason", reason.as_str().into())]),
    };
    let (Moved::Taken { reference } | Moved::Paid { reference } | Moved::Failed { reference, .. }) = &outcome.moved;
    if let Some(reference) = reference {
        set.push(("rail_reference", reference.as_str().into()));
    }
    let transition = Transition {
        tenant: &outcome.tenant,
        id: &outcome.cashout_id,
        from,
        to,
        note: outcome.note.clone(),
        at: outcome.at,
        set,
        rows: outcome.rows.clone(),
    };
    let recorded = match &outcome.recorded_as {
        Some((kind, extra)) => Recorded { kind: *kind, extra: extra.clone() },
        None => Recorded::status(to)?,
    };
    flow::change_recorded(app, actor, transition, recorded).await
}
