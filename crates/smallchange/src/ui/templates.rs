//! The wallet's page templates (minijinja), compiled into the binary from
//! `templates/wallet/`. Values are HTML-escaped unless a template says otherwise. Templates
//! reach words only through `t("message-id", name=value)` (the Fluent catalogs), money through
//! `| money` (minor units, in the page's currency), shares through `| percent` (basis points)
//! and times through `| when` (the tenant's zone); each page's context carries `lang`,
//! `currency` and `tz`.

use std::sync::OnceLock;

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind, State};

use super::{assets, i18n};
use crate::people::{self, Lang};

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/wallet/base.html")),
    ("message.html", include_str!("../../templates/wallet/message.html")),
    ("sign_in.html", include_str!("../../templates/wallet/sign_in.html")),
    ("sign_in_code.html", include_str!("../../templates/wallet/sign_in_code.html")),
    ("home.html", include_str!("../../templates/wallet/home.html")),
    ("settings.html", include_str!("../../templates/wallet/settings.html")),
    ("authenticator.html", include_str!("../../templates/wallet/authenticator.html")),
    ("cash_out_problems.html", include_str!("../../templates/wallet/cash_out_problems.html")),
    ("cash_out.html", include_str!("../../templates/wallet/cash_out.html")),
    ("cash_out_destination.html", include_str!("../../templates/wallet/cash_out_destination.html")),
    ("cash_out_quote.html", include_str!("../../templates/wallet/cash_out_quote.html")),
    ("cash_out_quote_expired.html", include_str!("../../templates/wallet/cash_out_quote_expired.html")),
    ("cash_out_code.html", include_str!("../../templates/wallet/cash_out_code.html")),
    ("cash_out_status.html", include_str!("../../templates/wallet/cash_out_status.html")),
    ("cash_outs.html", include_str!("../../templates/wallet/cash_outs.html")),
    ("cash_out_receipt.html", include_str!("../../templates/wallet/cash_out_receipt.html")),
    ("cash_out_dispute.html", include_str!("../../templates/wallet/cash_out_dispute.html")),
    ("activity.html", include_str!("../../templates/wallet/activity.html")),
    ("gift_cards.html", include_str!("../../templates/wallet/gift_cards.html")),
    ("gift_card_redeem.html", include_str!("../../templates/wallet/gift_card_redeem.html")),
    ("gift_card_refund.html", include_str!("../../templates/wallet/gift_card_refund.html")),
];

fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        for (name, source) in TEMPLATES {
            env.add_template(name, source).expect("the wallet's templates parse");
        }
        env.add_function("t", translate);
        env.add_function("asset", |name: &str| {
            assets::path(name).map_err(|e| Error::new(ErrorKind::InvalidOperation, e))
        });
        env.add_filter("money", money);
        env.add_filter("when", when);
        env.add_filter("percent", |bps: i64| people::percent(bps));
        env
    })
}

/// Renders template `name` with `context`.
pub fn render(name: &str, context: Value) -> Result<String, Error> {
    environment().get_template(name)?.render(context)
}

fn lang_of(state: &State) -> Lang {
    state.lookup("lang").and_then(|v| v.as_str().and_then(Lang::parse)).unwrap_or_default()
}

fn translate(state: &State, id: &str, kwargs: Kwargs) -> Result<String, Error> {
    let mut args = Vec::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        args.push((name, value.to_string()));
    }
    let lang = lang_of(state);
    i18n::text(lang, id, &args)
        .ok_or_else(|| Error::new(ErrorKind::UndefinedError, format!("no message {id} in the {} catalog", lang.code())))
}

fn money(state: &State, minor_units: i64) -> String {
    let currency = state.lookup("currency").and_then(|v| v.as_str().map(String::from)).unwrap_or_else(|| "KRW".into());
    people::money(minor_units, &currency, lang_of(state))
}

fn when(state: &State, at_us: i64) -> String {
    let offset = state.lookup("tz").and_then(|v| i32::try_from(v).ok()).unwrap_or(0);
    people::local_time(at_us, offset)
}
