//! One-time codes by SMS for users without TOTP: a random code, kept only as a keyed hash,
//! sent through the operator's HTTP SMS gateway — or, when none is configured (development
//! and `--demo`), put in an outbox the operator can read.

use std::time::Duration;

use rand::Rng;

use crate::crypto::Secrets;
use crate::people::Lang;
use crate::services::Error;
use crate::store::{cashouts, Db};

/// What a code hash is keyed for.
const PURPOSE: &str = "cashout_sms_code";

/// A new six-digit code.
pub fn new_code() -> String {
    format!("{:06}", rand::thread_rng().gen_range(0..1_000_000))
}

/// The code as stored: bound to its cash-out, so a hash says nothing about another's code.
pub fn hash(secrets: &Secrets, cashout_id: &str, code: &str) -> String {
    secrets.lookup_hash(PURPOSE, &format!("{cashout_id}:{code}"))
}

/// Whether `code` is the one sent for this cash-out; compares in constant time.
pub fn matches(secrets: &Secrets, cashout_id: &str, code: &str, stored: &str) -> bool {
    secrets.lookup_matches(PURPOSE, &format!("{cashout_id}:{}", code.trim()), stored)
}

/// Where codes go.
pub struct Gateway {
    pub url: String,
    pub token: String,
    pub timeout: Duration,
}

impl Gateway {
    /// The gateway the settings name (none: the development outbox).
    pub fn of(settings: &crate::config::Settings) -> Gateway {
        Gateway {
            url: settings.sms_gateway_url.clone(),
            token: settings.sms_gateway_token.clone(),
            timeout: Duration::from_millis(settings.sms_timeout_ms),
        }
    }
}

/// Sends `text` to `phone`: a JSON `POST {to, text}` to the gateway, or the outbox when
/// there is no gateway. Never called inside a database transaction.
pub async fn send(db: &Db, gateway: &Gateway, tenant: &str, phone: &str, text: &str, at: i64) -> anyhow::Result<()> {
    if gateway.url.is_empty() {
        return cashouts::record_sms(db, tenant, phone, text, at).await;
    }
    let client = reqwest::Client::builder().timeout(gateway.timeout).build()?;
    let mut request = client.post(&gateway.url).json(&serde_json::json!({"to": phone, "text": text}));
    if !gateway.token.is_empty() {
        request = request.bearer_auth(&gateway.token);
    }
    let response = request.send().await?;
    anyhow::ensure!(response.status().is_success(), "the SMS gateway answered {}", response.status());
    Ok(())
}

/// Sends a cash-out's SMS code. The cash-out stands either way: a code that did not go
/// out can be sent again (`resend-code`).
pub async fn send_code(
    app: &crate::context::Context,
    tenant: &str,
    cashout: &crate::store::cashouts::Cashout,
    phone: &str,
    code: &str,
) {
    let operator = match crate::services::operator::of(app, tenant).await {
        Ok(operator) => operator,
        Err(error) => {
            tracing::warn!(cashout = %cashout.id, error = %error, "the confirmation code could not be sent");
            return;
        }
    };
    // In the tenant's language: Korean (no per-user language is kept yet).
    let q = &cashout.quote;
    let text = crate::people::sms::cashout_code(&operator.name, q.net, &q.currency, code, Lang::default());
    if let Err(error) = send(&app.db, &Gateway::of(&app.settings), tenant, phone, &text, app.clock.now_us()).await {
        tracing::warn!(cashout = %cashout.id, error = %format!("{error:#}"), "the confirmation code could not be sent");
    }
}

/// A message that would have been sent.
#[derive(Clone, Debug)]
pub struct Outboxed {
    pub to: String,
    pub text: String,
    pub at: i64,
}

/// Development only: the latest `limit` messages that would have been sent, when no SMS
/// gateway is configured; `not_found` when one is.
pub async fn outbox(ctx: &crate::context::Context, tenant: &str, limit: i64) -> Result<Vec<Outboxed>, Error> {
    if !ctx.settings.sms_gateway_url.is_empty() {
        return Err(Error::not_found("codes go through the SMS gateway: there is no outbox"));
    }
    let messages = cashouts::sms_outbox(&ctx.db, tenant, limit).await?;
    Ok(messages.into_iter().map(|(to, text, at)| Outboxed { to, text, at }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_only_their_cash_out() {
        let secrets = Secrets::from_key([7; 32]);
        let code = new_code();
        assert_eq!(code.len(), 6);
        let stored = hash(&secrets, "po_1", &code);
        assert!(matches(&secrets, "po_1", &code, &stored));
        assert!(!matches(&secrets, "po_2", &code, &stored));
        assert!(!matches(&secrets, "po_1", "12345", &stored));
    }
}
