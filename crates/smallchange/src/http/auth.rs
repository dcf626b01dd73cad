//! Operator authentication: `Authorization: Bearer <secret key>`.
//!
//! Keys are looked up by the SHA-256 of the secret. A verified key is trusted for
//! `key_cache_s` seconds, so a busy client does not cost a database read per request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;
use super::request_log::RequestFacts;
use super::AppState;
use crate::services::Actor;
use crate::store::tenants::{self, KeyOwner, Role};

/// Most keys remembered at once; the cache is emptied when full.
const KEY_CACHE_ENTRIES_MAX: usize = 10_000;

/// Verified keys by secret hash, with when they were verified.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, (KeyOwner, Instant)>>,
}

impl KeyCache {
    fn get(&self, hash: &str, ttl: Duration) -> Option<KeyOwner> {
        let entries = self.entries.lock().expect("key cache lock");
        entries.get(hash).filter(|(_, at)| at.elapsed() < ttl).map(|(owner, _)| owner.clone())
    }

    fn put(&self, hash: String, owner: KeyOwner) {
        let mut entries = self.entries.lock().expect("key cache lock");
        if entries.len() >= KEY_CACHE_ENTRIES_MAX {
            entries.clear();
        }
        entries.insert(hash, (owner, Instant::now()));
    }
}

/// The authenticated caller of an operator endpoint.
#[derive(Clone, Debug)]
pub struct Operator(pub KeyOwner);

impl Operator {
    pub fn tenant_id(&self) -> &str {
        &self.0.tenant_id
    }

    /// This key, as the one who caused a change.
    pub fn actor(&self) -> Actor {
        Actor::api_key(&self.0)
    }

    /// Refuses the call unless the key has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.0.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("a {} key cannot do this", self.0.role.as_str())))
        }
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Operator, ApiError> {
        let hash = tenants::hash_secret(bearer(parts)?);
        let ttl = Duration::from_secs(app.settings.key_cache_s);
        let owner = match app.keys.get(&hash, ttl) {
            Some(owner) => owner,
            None => {
                let owner = tenants::find_key(&app.db, &hash)
                    .await?
                    .ok_or_else(|| ApiError::unauthenticated("invalid_api_key", "this API key is not valid"))?;
                app.keys.put(hash.clone(), owner.clone());
                owner
            }
        };
        if let Some(facts) = parts.extensions.get::<RequestFacts>() {
            facts.set_tenant(&owner.tenant_id);
        }
        app.limiter.check(&hash).map_err(ApiError::rate_limited)?;
        Ok(Operator(owner))
    }
}

/// The secret of `Authorization: Bearer <secret>`: an operator's key, or another kind of
/// key (a cash-pickup agent's) that its own extractor looks up.
pub fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthenticated("missing_api_key", "send Authorization: Bearer <secret key>"))?;
    header
        .to_str()
        .ok()
        .and_then(|value| value.split_once(' '))
        // The scheme name is case-insensitive (RFC 9110).
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, secret)| secret.trim())
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| {
            ApiError::unauthenticated("invalid_api_key", "the Authorization header is not `Bearer <secret key>`")
        })
}

/// Roles that may change things.
pub const WRITERS: &[Role] = &[Role::Admin];
/// Who may work the review queue.
pub const REVIEWERS: &[Role] = &[Role::Admin, Role::Reviewer];
/// Roles that may read.
pub const READERS: &[Role] = &[Role::Admin, Role::Reviewer, Role::Readonly];
