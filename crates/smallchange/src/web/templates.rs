//! The pages' templates (minijinja), compiled into the binary from `templates/wallet/` and
//! `templates/console/` (named `console/…`). Values are HTML-escaped unless a template says otherwise. Templates
//! reach words only through `t("message-id", name=value)` (the Fluent catalogs), money through
//! `| money` (minor units, in the page's currency), shares through `| percent` (basis points)
//! and times through `| when` (the tenant's zone), a destination's `masked` through
//! `destination_name(masked)` (the bank's or provider's name); each page's context carries `lang`,
//! `currency` and `tz`.
//!
//! An amount or a time never breaks across lines (`₩23,30` / `0` reads as another number):
//! `| money` and `| when` write theirs in a `<span>` the stylesheet keeps on one line, and
//! `t()` keeps such a span whole when it is an argument of a sentence, escaping the rest.

use std::sync::OnceLock;

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind, HtmlEscape, State};

use crate::assets;
use crate::people::{self, destination, i18n, Lang};

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/wallet/base.html")),
    ("message.html", include_str!("../../templates/wallet/message.html")),
    ("sign_in.html", include_str!("../../templates/wallet/sign_in.html")),
    ("sign_in_code.html", include_str!("../../templates/wallet/sign_in_code.html")),
    ("link.html", include_str!("../../templates/wallet/link.html")),
    ("home.html", include_str!("../../templates/wallet/home.html")),
    ("pocket_why.html", include_str!("../../templates/wallet/pocket_why.html")),
    ("paused.html", include_str!("../../templates/wallet/paused.html")),
    ("settings.html", include_str!("../../templates/wallet/settings.html")),
    ("authenticator.html", include_str!("../../templates/wallet/authenticator.html")),
    ("cash_out_problems.html", include_str!("../../templates/wallet/cash_out_problems.html")),
    ("cash_out.html", include_str!("../../templates/wallet/cash_out.html")),
    ("cash_out_destination.html", include_str!("../../templates/wallet/cash_out_destination.html")),
    ("cash_out_quote.html", include_str!("../../templates/wallet/cash_out_quote.html")),
    ("cash_out_quote_expired.html", include_str!("../../templates/wallet/cash_out_quote_expired.html")),
    ("cash_out_resend.html", include_str!("../../templates/wallet/cash_out_resend.html")),
    ("cash_out_code.html", include_str!("../../templates/wallet/cash_out_code.html")),
    ("cash_out_status.html", include_str!("../../templates/wallet/cash_out_status.html")),
    ("cash_outs.html", include_str!("../../templates/wallet/cash_outs.html")),
    ("cash_out_receipt.html", include_str!("../../templates/wallet/cash_out_receipt.html")),
    ("cash_out_dispute.html", include_str!("../../templates/wallet/cash_out_dispute.html")),
    ("activity.html", include_str!("../../templates/wallet/activity.html")),
    ("gift_cards.html", include_str!("../../templates/wallet/gift_cards.html")),
    ("gift_card_redeem.html", include_str!("../../templates/wallet/gift_card_redeem.html")),
    ("gift_card_refund.html", include_str!("../../templates/wallet/gift_card_refund.html")),
    ("console/base.html", include_str!("../../templates/console/base.html")),
    ("console/message.html", include_str!("../../templates/console/message.html")),
    ("console/sign_in.html", include_str!("../../templates/console/sign_in.html")),
    ("console/setup_password.html", include_str!("../../templates/console/setup_password.html")),
    ("console/setup_authenticator.html", include_str!("../../templates/console/setup_authenticator.html")),
    ("console/overview.html", include_str!("../../templates/console/overview.html")),
    ("console/review_queue.html", include_str!("../../templates/console/review_queue.html")),
    ("console/review_case.html", include_str!("../../templates/console/review_case.html")),
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
        env.add_function("destination_name", |state: &State, masked: &str| destination::shown(lang_of(state), masked));
        env.add_filter("money", money);
        env.add_filter("when", when);
        env.add_filter("number", |n: i64| people::money::count(n));
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

/// Message `id` with the keyword arguments. Arguments already safe HTML (an amount's span)
/// go in whole and the rest of the sentence is escaped around them; otherwise the sentence
/// is plain text, escaped where it is written.
fn translate(state: &State, id: &str, kwargs: Kwargs) -> Result<Value, Error> {
    let mut args = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        if value.is_safe() {
            // A mark from Unicode's private use area stands in for the HTML until the
            // sentence around it is escaped.
            args.push((name, format!("\u{E000}{}\u{E001}", kept.len())));
            kept.push(value.to_string());
        } else {
            args.push((name, value.to_string()));
        }
    }
    let lang = lang_of(state);
    let text = i18n::text(lang, id, &args).ok_or_else(|| {
        Error::new(ErrorKind::UndefinedError, format!("no message {id} in the {} catalog", lang.code()))
    })?;
    if kept.is_empty() {
        return Ok(Value::from(text));
    }
    let mut html = HtmlEscape(&text).to_string();
    for (n, piece) in kept.iter().enumerate() {
        html = html.replace(&format!("\u{E000}{n}\u{E001}"), piece);
    }
    Ok(Value::from_safe_string(html))
}

/// Text that must stay on one line, as safe HTML.
fn unbroken(class: &str, text: &str) -> Value {
    Value::from_safe_string(format!("<span class=\"{class}\">{}</span>", HtmlEscape(text)))
}

fn money(state: &State, minor_units: i64) -> Value {
    let currency = state.lookup("currency").and_then(|v| v.as_str().map(String::from)).unwrap_or_else(|| "KRW".into());
    unbroken("money", &people::money(minor_units, &currency, lang_of(state)))
}

fn when(state: &State, at_us: i64) -> Value {
    let offset = state.lookup("tz").and_then(|v| i32::try_from(v).ok()).unwrap_or(0);
    unbroken("when", &people::local_time(at_us, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_str(source: &str, context: Value) -> String {
        let env = environment();
        env.render_str(source, context).unwrap()
    }

    #[test]
    fn the_console_pages_render_in_both_languages() {
        for lang in ["ko", "en"] {
            for name in [
                "console/sign_in.html",
                "console/setup_password.html",
                "console/setup_authenticator.html",
                "console/message.html",
            ] {
                let values = minijinja::context! { lang => lang, csrf => "x", email => "a@example.com", token => "t",
                secret => "ABC", qr => "data:", next => "", error => "oops", title => "T", text => "x" };
                render(name, values).unwrap_or_else(|e| panic!("{name} in {lang}: {e:#}"));
            }
            let base = minijinja::context! { lang => lang, csrf => "x", tz => 540, currency => "KRW",
            operator_email => "a@example.com", operator_role => "finance", nav => "overview", here => "/console/",
            choices => vec![("today", "Today"), ("7d", "7 days")], chosen => "today" };
            let invalid = minijinja::context! { invalid => "week", ..base.clone() };
            let shown =
                render("console/overview.html", invalid).unwrap_or_else(|e| panic!("overview in {lang}: {e:#}"));
            assert!(shown.contains("error-summary") && !shown.contains("<svg"), "{shown}");
            let row = minijinja::context! { key => "cash", label => "Cash", count => 2, amount => 3000, bar => 300,
            shown => "₩3,000" };
            let chart = minijinja::context! { rows => vec![row], counts => true, amounts => true, any => true };
            let figures = minijinja::context! { quiet => false, from_us => 0, last_us => 1, as_of_us => 2,
            topups => chart.clone(), spending => chart.clone(), by_status => chart.clone(), by_rail => chart.clone(),
            pockets => chart.clone(), float => chart.clone(), payouts => chart.clone(), risk => chart,
            float_total => 1, float_withdrawable => 1, payments => minijinja::context! { count => 1, amount => 2 },
            past_sla => 0, review_count => 1, review_age_s => 10_802, review_age => "3 h 0 min" };
            let shown = render("console/overview.html", minijinja::context! { figures => figures, ..base })
                .unwrap_or_else(|e| panic!("overview in {lang}: {e:#}"));
            assert!(shown.contains("<svg class=\"chart\"") && shown.contains("data-value=\"10802\""), "{shown}");
            let row = minijinja::context! { id => "po_1", user_id => "usr_1", gross => 30000, net => 29500,
            destination => "088 ••••••6789", reasons => vec!["First cash-out to this destination."], since => 0,
            due_at => 86_400_000_000_i64, age_hours => 25, late => true, claimer => "b@example.com" };
            let values = minijinja::context! { lang => lang, csrf => "x", tz => 540, currency => "KRW",
            operator_email => "a@example.com", operator_role => "reviewer", nav => "review", rows => vec![row.clone()],
            has_more => true, review_hours => 24, notice => "done" };
            let queue =
                render("console/review_queue.html", values).unwrap_or_else(|e| panic!("queue in {lang}: {e:#}"));
            assert!(queue.contains("/console/review/po_1"), "{queue}");
            let tally = minijinja::context! { count => 2, amount => 50000 };
            for (may, error) in [(true, Some("say why")), (false, None)] {
                let values = minijinja::context! { lang => lang, csrf => "x", tz => 540, currency => "KRW",
                operator_email => "a@example.com", operator_role => "reviewer", nav => "review", case => row.clone(),
                status => "in review", in_review => true, fee => 500, rail => "bank_account", holder_name => "김민지",
                destination_added_at => 0, earlier => vec![minijinja::context! { id => "po_0", status => "Paid",
                gross => 1000, created_at => 0 }], recent => minijinja::context! { topups => tally.clone(),
                payments => tally.clone(), cashouts => tally.clone() }, claimed_at => 0, mine => false,
                may_claim => may, may_decide => may, may_review => may, notice => "", error => error,
                reason => "", reason_max => 500 };
                let case =
                    render("console/review_case.html", values).unwrap_or_else(|e| panic!("case in {lang}: {e:#}"));
                assert_eq!(case.contains("/console/review/po_1/approve"), may, "{case}");
                assert!(!case.contains("console-review-"), "a message id is missing in {lang}: {case}");
            }
        }
    }

    #[test]
    fn amounts_stay_whole_in_sentences_and_the_rest_is_escaped() {
        let context = minijinja::context! { lang => "en", currency => "KRW", tz => 540, brand => "<b>Tea & Co</b>" };
        let shown =
            render_str("{{ t('next-expiring-text', brand=brand, amount=23300 | money, date=0 | when) }}", context);
        assert_eq!(
            shown,
            "<span class=\"money\">₩23,300</span> on your &lt;b&gt;Tea &amp; Co&lt;&#x2f;b&gt; gift card can be spent \
             until <span class=\"when\">1970-01-01 09:00 KST</span>."
        );
        let plain =
            render_str("{{ t('pocket-gift', brand=brand) }}", minijinja::context! { lang => "en", brand => "<i>" });
        assert_eq!(plain, "&lt;i&gt; gift card");
    }
}
