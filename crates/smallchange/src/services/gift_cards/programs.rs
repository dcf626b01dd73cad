//! Gift-card programs: the brand, region, face values, validity and refund rule cards are
//! sold under. A program moves no money: it is one row, written once per key with its
//! `gift_card.program_created`.

use super::super::commit::{self, Answer, Retry};
use super::super::{Actor, Error};
use serde_json::json;

use crate::context::Context;
use crate::domain::gift_card::ProgramTerms;
use crate::events::{Happened, Kind};
use crate::store::gift_cards::{self, Program};

/// Creates a program on `terms`, recording `actor` as its creator.
pub async fn create_program(
    ctx: &Context,
    actor: &Actor,
    tenant: &str,
    terms: ProgramTerms,
    retry: Option<Retry<Program>>,
) -> Result<Answer<Program>, Error> {
    let created_at = ctx.clock.now_us();
    let program = Program {
        id: crate::ids::time_ordered("gcp", created_at),
        brand: terms.brand().to_string(),
        currency: terms.currency().code().to_string(),
        region: terms.region().to_string(),
        face_values: terms.face_values().to_vec(),
        validity_days: terms.validity_days(),
        refund_rule: terms.refund_rule(),
        created_at,
        created_actor: Some(actor.recorded()),
    };
    let row = gift_cards::program_row(tenant, &program);
    let rule = &program.refund_rule;
    let data = json!({
        "brand": program.brand,
        "currency": program.currency,
        "region": program.region,
        "face_values": program.face_values,
        "validity_days": program.validity_days,
        "refund_rule": {
            "threshold_bps_over": rule.threshold_bps_over,
            "threshold_bps_small": rule.threshold_bps_small,
            "small_face_max": rule.small_face_max,
        },
    });
    let event = Happened::new(tenant, actor, &program.id, Kind::GiftCardProgramCreated, data, created_at);
    commit::write_rows_recording(ctx, retry, vec![row], event, program).await
}

/// The program `id`. Reading records nothing: `_actor` is taken as every use case takes it.
pub async fn program(ctx: &Context, _actor: &Actor, tenant: &str, id: &str) -> Result<Program, Error> {
    let program = gift_cards::program(&ctx.db, tenant, id).await?;
    program.ok_or_else(|| Error::not_found(format!("no gift-card program {id}")))
}
