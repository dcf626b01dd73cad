//! The people who run a tenant's platform and use the console (not to be confused with
//! [`crate::services::operator`], the business a wallet's users deal with). An admin (or
//! the command line) creates an operator with a role and gets a one-time set-up link
//! ([`admin`]); the link asks for a password and enrols an authenticator ([`setup`]); then
//! the operator signs in with all three ([`sign_in`]) into a server-side session
//! ([`sessions`]). Passwords are argon2id hashes ([`password`]).

pub mod admin;
pub mod password;
pub mod sessions;
pub mod setup;
pub mod sign_in;

use crate::context::Context;
use crate::domain::operator::Role;
use crate::services::Error;
use crate::store::operators::{self, Operator};

/// How long a set-up link works, and only once.
pub const SETUP_TTL_US: i64 = 15 * 60 * 1_000_000;
/// What set-up link tokens are hashed for.
const LINK_PURPOSE: &str = "operator-setup-link";
/// What session tokens are hashed for.
const SESSION_PURPOSE: &str = "operator-session";

/// An operator as the console and the command line show it: never its password or secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub role: Role,
    /// `invited` (set-up link not used yet), `active` or `disabled`.
    pub state: &'static str,
    pub created_at: i64,
}

impl Shown {
    pub fn of(operator: &Operator) -> Shown {
        let state = match (operator.disabled_at, operator.is_set_up()) {
            (Some(_), _) => "disabled",
            (None, true) => "active",
            (None, false) => "invited",
        };
        Shown {
            id: operator.id.clone(),
            tenant_id: operator.tenant_id.clone(),
            email: operator.email.clone(),
            role: role_of(operator),
            state,
            created_at: operator.created_at,
        }
    }
}

/// The stored role; one that no longer parses is read as `readonly`, the least it may do.
pub fn role_of(operator: &Operator) -> Role {
    Role::parse(&operator.role).unwrap_or(Role::Readonly)
}

/// The tenant's operators, by email.
pub async fn list(ctx: &Context, tenant_id: &str) -> Result<Vec<Shown>, Error> {
    Ok(operators::of_tenant(&ctx.db, tenant_id).await?.iter().map(Shown::of).collect())
}

/// A set-up link's address: absolute on `public_base_url` when that is set.
fn setup_url(ctx: &Context, token: &str) -> String {
    format!("{}/console/setup/{token}", ctx.settings.public_base_url.trim_end_matches('/'))
}
