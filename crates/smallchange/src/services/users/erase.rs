//! Erasing a person (`smallchange users erase`): their personal data goes, the records of
//! their money stay. A user who still holds money, or has a cash-out that is not over, is
//! refused: their money must reach them first, and a cash-out in flight still needs the
//! destination's details.
//!
//! What goes: the user's phone, name and identity-check details, their destinations'
//! account numbers and holder names, the sign-in codes and messages sent to their number,
//! and every value (with its salt) kept beside the audit log's entries for them. What stays:
//! every payment, top-up, cash-out and ledger transfer, by id and amount, and the log's
//! entries, whose salted commitments can no longer be tied to the person. The erasure is
//! one unit: the user's row stands on no cash-out being open, the money check is made in the
//! committer against the locked balances, and `user.erased` commits with the rest.

use std::sync::Arc;

use ledger::{Account, AccountId, Book};
use serde_json::json;

use super::no_user;
use crate::config::Settings;
use crate::events::{Happened, Kind};
use crate::people::{money, Lang};
use crate::services::cashout::flow::RELEASING;
use crate::services::commit::{alone, refused};
use crate::services::{Actor, Error};
use crate::store::{self, erasure, Db};
use crate::unit::{Guard, Plan, Refusal, Unit, UnitOutput};

/// The states a cash-out is over in: paid, or ended with its hold released.
const FINAL: [&str; 4] = ["paid", RELEASING[0], RELEASING[1], RELEASING[2]];

/// A person erased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Erased {
    pub tenant_id: String,
    pub user_id: String,
    /// Values (with their salts) removed from beside the audit log's entries.
    pub personal_rows: i64,
}

/// Erases user `user_id`'s personal data, asked by `actor`, recorded as `user.erased`.
///
/// Errors: `resource_missing` for no such user; `open_cashout` while a cash-out of theirs is
/// not over; `user_has_money` while any of their pockets holds (or owes) anything.
pub async fn erase(db: &Db, settings: &Settings, actor: &Actor, user_id: &str) -> Result<Erased, Error> {
    let tenant = erasure::tenant_of(db, user_id).await?.ok_or_else(|| no_user(user_id))?;
    let user = store::users::get(db, &tenant, user_id).await?.ok_or_else(|| no_user(user_id))?;
    if let Some((id, status)) = erasure::open_cashouts(db, &tenant, &user.id, &FINAL).await?.first() {
        return Err(open_cashout(&user.id, Some((id, status))));
    }
    let pockets: Vec<AccountId> =
        erasure::pocket_accounts(db, &tenant, &user.id).await?.into_iter().map(AccountId).collect();
    let personal_rows = erasure::personal_count(db, &tenant, &user.id).await?;
    let data = json!({"personal_rows": personal_rows});
    let event = Happened::new(&tenant, actor, &user.id, Kind::UserErased, data, store::now_us());
    let rows = erasure::erase_rows(&tenant, &user.id, &user.phone);
    let person = user.id.clone();
    let unit = Unit {
        open: Vec::new(),
        read: pockets.clone(),
        prior: Vec::new(),
        plan: Arc::new(move |book| {
            if let Some(refusal) = holding(book, &pockets, &person) {
                return Err(refusal);
            }
            Ok(Plan::new(Vec::new(), rows.clone()).with_event(event.clone()))
        }),
    };
    let guard = Guard {
        row: erasure::erase_user_row(&tenant, &user.id, FINAL),
        refusal: refusal_of(open_cashout(&user.id, None)),
    };
    let outcome = alone(db, settings, unit.with_guard(guard).into()).await?;
    if let Some(error) = refused(&outcome) {
        return Err(error);
    }
    match outcome {
        UnitOutput::Applied { .. } if outcome.succeeded() => {
            Ok(Erased { tenant_id: tenant, user_id: user.id, personal_rows })
        }
        other => Err(Error::internal(format!("erasing a user failed: {other:?}"))),
    }
}

/// The refusal for a user whose pockets (as the committer holds them locked) are not all
/// at zero, naming each pocket and what it holds.
fn holding(book: &Book, pockets: &[AccountId], person: &str) -> Option<Refusal> {
    let held: Vec<String> = pockets
        .iter()
        .filter_map(|id| book.account(id))
        .filter(|account| !is_empty(account))
        .map(|account| {
            let balance = account.credits_posted.minor_units() - account.debits_posted.minor_units();
            // `<tenant>/<user>:<pocket>:<currency>`: the pocket's name.
            let named = account.id.0.rsplit_once(&format!("{person}:")).map_or(&*account.id.0, |(_, p)| p);
            let pocket = named.rsplit_once(':').map_or(named, |(pocket, _currency)| pocket);
            format!("{pocket} holds {}", money(balance, account.currency.code(), Lang::En))
        })
        .collect();
    if held.is_empty() {
        return None;
    }
    let message = format!(
        "user {person} still has money ({}): pay it out or spend it to zero first; nothing was erased",
        held.join(", ")
    );
    Some(Refusal::new("user_has_money", message))
}

/// Whether a pocket holds nothing, posted or pending.
fn is_empty(account: &Account) -> bool {
    account.credits_posted == account.debits_posted
        && account.debits_pending.minor_units() == 0
        && account.credits_pending.minor_units() == 0
}

fn open_cashout(user: &str, which: Option<(&String, &String)>) -> Error {
    let which = which.map_or_else(String::new, |(id, status)| format!(" ({id} is {status})"));
    let message = format!(
        "user {user} has a cash-out that is not over{which}: erase them once it is paid, failed, canceled or \
         expired; nothing was erased"
    );
    Error::conflict("open_cashout", message)
}

fn refusal_of(error: Error) -> Refusal {
    Refusal::new(error.code(), error.message().to_string())
}
