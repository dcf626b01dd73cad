//! Quoting a cash-out: which withdrawable pockets pay (several at once, one fee), the
//! itemised fee, the net, the rail and its ETA, within the minimum and the user's limits.

use ledger::Currency;

use crate::context::Context;
use crate::domain::cashout_policy::{CashoutPolicy, Limits, Speed};
use crate::domain::fees;
use crate::domain::policy::WalletPolicy;
use crate::domain::user::KycLevel;
use crate::people::{money, Lang};
use crate::services::users::freeze::refuse_frozen;
use crate::services::Error;
use crate::store::cashouts::{self, Quote};
use crate::store::destinations::{self, DestinationRecord};
use crate::store::payments::Leg;
use crate::store::users::User;
use crate::store::wallet;
use crate::store::Db;

/// How much to withdraw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wanted {
    Amount(i64),
    /// Everything withdrawable, up to the limits.
    Max,
}

/// Why no quote can be given, with the error code to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub message: String,
}

fn refused(code: &'static str, message: impl Into<String>) -> Refused {
    Refused { code, message: message.into() }
}

pub struct QuoteInput<'a> {
    pub tenant: &'a str,
    pub user: &'a User,
    pub destination: &'a DestinationRecord,
    pub wanted: Wanted,
    pub currency: Currency,
    pub speed: &'a str,
    pub now: i64,
}

/// The order withdrawable pockets are drawn in: cash last, as in payments.
const WITHDRAW_ORDER: [&str; 3] = ["cashback", "refund", "cash"];

/// Does the user's KYC level reach the tenant's level for cash-out?
pub fn kyc_sufficient(user: &User, policy: &CashoutPolicy) -> bool {
    let level = KycLevel::parse(&user.kyc_level).unwrap_or(KycLevel::None);
    let required = KycLevel::parse(&policy.kyc_level_required).unwrap_or(KycLevel::Verified);
    level >= required
}

/// Midnight at the start of the local day and month holding `now_us`.
fn window_starts(now_us: i64, wallet: &WalletPolicy) -> (i64, i64) {
    let offset_s = i64::from(wallet.month_utc_offset_minutes) * 60;
    let local = time::OffsetDateTime::from_unix_timestamp(now_us / 1_000_000 + offset_s)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let day = local.replace_time(time::Time::MIDNIGHT);
    let month = day.replace_day(1).unwrap_or(day);
    let to_us = |t: time::OffsetDateTime| (t.unix_timestamp() - offset_s) * 1_000_000;
    (to_us(day), to_us(month))
}

/// What the user has withdrawn (or is withdrawing) today and this calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub today: i64,
    pub this_month: i64,
}

impl Usage {
    /// How much more may be withdrawn in one cash-out now.
    pub fn room(&self, limits: Limits) -> i64 {
        limits.per_transaction.min(limits.daily - self.today).min(limits.monthly - self.this_month).max(0)
    }

    /// Whether usage that already counts a cash-out of `gross` keeps to the limits.
    pub fn within(&self, limits: Limits, gross: i64) -> bool {
        gross <= limits.per_transaction && self.today <= limits.daily && self.this_month <= limits.monthly
    }
}

pub async fn usage(db: &Db, tenant: &str, user_id: &str, wallet: &WalletPolicy, now: i64) -> anyhow::Result<Usage> {
    let (day, month) = window_starts(now, wallet);
    let (_, today) = cashouts::withdrawn_since(db, tenant, user_id, day).await?;
    let (_, this_month) = cashouts::withdrawn_since(db, tenant, user_id, month).await?;
    Ok(Usage { today, this_month })
}

pub async fn build(
    db: &Db,
    cashout: &CashoutPolicy,
    wallet: &WalletPolicy,
    input: QuoteInput<'_>,
) -> anyhow::Result<Result<Quote, Refused>> {
    if !kyc_sufficient(input.user, cashout) {
        let message = format!("cash-out needs a KYC level of at least {}", cashout.kyc_level_required);
        return Ok(Err(refused("kyc_required", message)));
    }
    let rail = cashout.rail_for(&input.destination.type_name).to_string();
    let Some(schedule) = cashout.fee_schedule(&rail, input.speed) else {
        return Ok(Err(refused("speed_unavailable", format!("{rail} has no {} speed", input.speed))));
    };
    let limits =
        cashout.limits_for(&input.user.kyc_level).unwrap_or(Limits { per_transaction: 0, daily: 0, monthly: 0 });
    let room = usage(db, input.tenant, &input.user.id, wallet, input.now).await?.room(limits);
    let pockets = wallet::pockets(db, input.tenant, &input.user.id, input.currency.code()).await?;
    let mut withdrawable: Vec<(String, i64)> = Vec::new();
    for name in WITHDRAW_ORDER {
        let Some(p) = pockets.iter().find(|p| p.pocket.name() == name) else { continue };
        let verdict = wallet.verdict(&p.pocket, p.available(), Lang::En);
        if verdict.withdrawable && p.available() > 0 {
            withdrawable.push((name.to_string(), p.available()));
        }
    }
    let total: i64 = withdrawable.iter().map(|(_, a)| a).sum();
    let gross = match input.wanted {
        Wanted::Amount(amount) if amount > total => {
            let total = money(total, input.currency.code(), Lang::En);
            let message = format!("only {total} of this wallet is withdrawable now; see the balances for why");
            return Ok(Err(refused("not_withdrawable", message)));
        }
        Wanted::Amount(amount) if amount > room => {
            let room = money(room, input.currency.code(), Lang::En);
            let message = format!("this would pass the user's cash-out limits: at most {room} more now");
            return Ok(Err(refused("limit_exceeded", message)));
        }
        Wanted::Amount(amount) => amount,
        Wanted::Max if total == 0 => {
            return Ok(Err(refused("not_withdrawable", "nothing in this wallet is withdrawable now")))
        }
        Wanted::Max => total.min(room),
    };
    if gross < cashout.minimum {
        let (minimum, gross) =
            (money(cashout.minimum, input.currency.code(), Lang::En), money(gross, input.currency.code(), Lang::En));
        let message = format!("the least that can be withdrawn is {minimum}; this is {gross}");
        return Ok(Err(refused("below_minimum", message)));
    }
    let lines = schedule.lines(gross);
    let fee = fees::total(&lines);
    if fee >= gross {
        let (fee, gross) = (money(fee, input.currency.code(), Lang::En), money(gross, input.currency.code(), Lang::En));
        return Ok(Err(refused("below_minimum", format!("a fee of {fee} leaves nothing of {gross}"))));
    }
    let mut left = gross;
    let mut sources = Vec::new();
    for (pocket, has) in withdrawable {
        let take = has.min(left);
        if take > 0 {
            sources.push(Leg { pocket, amount: take });
            left -= take;
        }
    }
    let eta_s = cashout.eta_s(&rail, input.speed);
    Ok(Ok(Quote {
        id: crate::ids::time_ordered("q", input.now),
        user_id: input.user.id.clone(),
        destination_id: input.destination.id.clone(),
        rail,
        speed: input.speed.to_string(),
        currency: input.currency.code().to_string(),
        gross,
        fees: lines,
        fee,
        net: gross - fee,
        sources,
        eta_s,
        expires_at: input.now + cashout.quote_ttl_s * 1_000_000,
        created_at: input.now,
    }))
}

/// What an operator asks a quote for.
pub struct Ask {
    pub wanted: Wanted,
    pub currency: Currency,
    pub speed: Speed,
    /// One of the user's destinations.
    pub destination_id: String,
}

/// Quotes a cash-out for a user and keeps the quote, which binds until it expires. A frozen
/// user gets none (`user_frozen`).
pub async fn ask(ctx: &Context, tenant: &str, user_id: &str, ask: Ask) -> Result<Quote, Error> {
    let user = super::existing_user(ctx, tenant, user_id).await?;
    refuse_frozen(&user)?;
    let destination =
        destinations::get(&ctx.db, tenant, &ask.destination_id).await?.filter(|d| d.user_id == user.id).ok_or_else(
            || Error::invalid("unknown_destination", "no such destination of this user", "destination_id"),
        )?;
    let input = QuoteInput {
        tenant,
        user: &user,
        destination: &destination,
        wanted: ask.wanted,
        currency: ask.currency,
        speed: ask.speed.as_str(),
        now: ctx.clock.now_us(),
    };
    let policy = ctx.settings.cashout_policy(tenant);
    let quote = build(&ctx.db, policy, ctx.settings.wallet_policy(tenant), input).await?.map_err(|refused| {
        match refused.code {
            "below_minimum" => Error::invalid("below_minimum", refused.message, "amount"),
            "speed_unavailable" => Error::invalid("speed_unavailable", refused.message, "speed"),
            "kyc_required" => Error::bad_request("kyc_required", refused.message),
            code => Error::conflict(code, refused.message),
        }
    })?;
    cashouts::insert_quote(&ctx.db, tenant, &quote).await?;
    Ok(quote)
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_and_months_start_at_local_midnight() {
        let wallet = crate::domain::policy::WalletPolicy::default();
        // 2026-11-30 23:59 KST is 14:59 UTC.
        let now = 1_796_050_740_000_000;
        let (day, month) = super::window_starts(now, &wallet);
        assert_eq!(day, 1_795_964_400_000_000, "2026-11-30 00:00 KST");
        assert_eq!(month, 1_793_458_800_000_000, "2026-11-01 00:00 KST");
    }
}
