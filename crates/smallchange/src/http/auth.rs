//! Operator authentication: `Authorization: Bearer <secret key>`.
//!
//! Keys are looked up by the SHA-256 of the secret. A verified key is trusted for
//! `key_cache_s` seconds, so a busy client does not cost a database read per request.
//! [`watch_keys`] keeps that cache honest off the request path: every second it drops the
//! keys revoked meanwhile (so a revoked key is refused within about a second, whichever
//! process revoked it), and about once a minute it writes when each key was last used, so
//! a request never costs a write for that.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;
use super::request_log::RequestFacts;
use super::AppState;
use crate::services::Actor;
use crate::store::tenants::{self, KeyOwner, Role};
use crate::store::{self, Db};

/// Most keys remembered at once; the cache is emptied when full.
const KEY_CACHE_ENTRIES_MAX: usize = 10_000;
/// How often a server looks for keys revoked meanwhile: how late a revocation may bite.
pub const REVOCATION_POLL: Duration = Duration::from_secs(1);
/// How far back each look reaches: revocations are stamped by the clock of the process
/// that made them, which may run behind this one's.
const REVOCATION_LOOKBACK_US: i64 = 60_000_000;
/// How often the last use of each key is written: the granularity of "last used".
pub const LAST_USED_FLUSH: Duration = Duration::from_secs(60);

/// A verified key: whose it is, when it was verified, and when it was last used since the
/// last flush (µs since the epoch).
struct Entry {
    owner: KeyOwner,
    verified_at: Instant,
    used_at: Option<i64>,
}

/// Verified keys by secret hash, with when they were verified and last used.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, Entry>>,
    /// Uses not yet written of entries dropped from the cache: `(key id, µs)`.
    dropped_uses: Mutex<Vec<(String, i64)>>,
}

impl KeyCache {
    /// The key's owner if it was verified less than `ttl` ago; notes the use.
    fn get(&self, hash: &str, ttl: Duration) -> Option<KeyOwner> {
        let mut entries = self.entries.lock().expect("key cache lock");
        let entry = entries.get_mut(hash).filter(|entry| entry.verified_at.elapsed() < ttl)?;
        entry.used_at = Some(store::now_us());
        Some(entry.owner.clone())
    }

    /// Remembers a key just verified, and this use of it.
    fn put(&self, hash: String, owner: KeyOwner) {
        let mut entries = self.entries.lock().expect("key cache lock");
        if entries.len() >= KEY_CACHE_ENTRIES_MAX {
            let uses = entries.drain().filter_map(|(_, entry)| Some((entry.owner.key_id, entry.used_at?)));
            self.dropped_uses.lock().expect("key cache lock").extend(uses);
        }
        entries.insert(hash, Entry { owner, verified_at: Instant::now(), used_at: Some(store::now_us()) });
    }

    /// Forgets these keys (revoked): the next request with one of them asks the database.
    fn forget(&self, hashes: &[String]) {
        let mut entries = self.entries.lock().expect("key cache lock");
        for hash in hashes {
            if let Some(entry) = entries.remove(hash) {
                if let Some(at) = entry.used_at {
                    self.dropped_uses.lock().expect("key cache lock").push((entry.owner.key_id, at));
                }
            }
        }
    }

    /// The uses noted since the last call, one per key: `(key id, µs)`.
    fn take_uses(&self) -> Vec<(String, i64)> {
        let mut uses = std::mem::take(&mut *self.dropped_uses.lock().expect("key cache lock"));
        let mut entries = self.entries.lock().expect("key cache lock");
        uses.extend(entries.values_mut().filter_map(|entry| Some((entry.owner.key_id.clone(), entry.used_at.take()?))));
        uses
    }
}

/// Runs beside the server until `stop`: drops revoked keys from `cache` every
/// [`REVOCATION_POLL`] and writes the keys' last uses every [`LAST_USED_FLUSH`] and when
/// stopping.
pub async fn watch_keys(db: Db, cache: Arc<KeyCache>, mut stop: watch::Receiver<bool>) {
    let mut flushed = Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(REVOCATION_POLL) => {}
            _ = stop.changed() => break,
        }
        match tenants::revoked_since(&db, store::now_us() - REVOCATION_LOOKBACK_US).await {
            Ok(hashes) => cache.forget(&hashes),
            Err(error) => tracing::warn!(error = %format!("{error:#}"), "looking for revoked keys failed"),
        }
        if flushed.elapsed() >= LAST_USED_FLUSH {
            flush_uses(&db, &cache).await;
            flushed = Instant::now();
        }
    }
    flush_uses(&db, &cache).await;
}

async fn flush_uses(db: &Db, cache: &KeyCache) {
    let uses = cache.take_uses();
    if let Err(error) = tenants::record_last_used(db, &uses).await {
        tracing::warn!(error = %format!("{error:#}"), "recording when keys were last used failed");
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
        app.limiter.check(&hash).map_err(ApiError::key_rate_limited)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(key_id: &str) -> KeyOwner {
        KeyOwner { key_id: key_id.into(), tenant_id: "ten_a".into(), role: Role::Admin }
    }

    /// Many requests with a key come out as one use to write, and nothing until it is used again.
    #[test]
    fn uses_are_noted_once_per_key_between_flushes() {
        let cache = KeyCache::default();
        let ttl = Duration::from_secs(30);
        cache.put("h1".into(), owner("key_1"));
        cache.put("h2".into(), owner("key_2"));
        for _ in 0..100 {
            assert_eq!(cache.get("h1", ttl), Some(owner("key_1")));
        }
        let mut uses: Vec<String> = cache.take_uses().into_iter().map(|(id, _)| id).collect();
        uses.sort();
        assert_eq!(uses, ["key_1", "key_2"]);
        assert!(cache.take_uses().is_empty(), "nothing used since");
        cache.get("h2", ttl);
        assert_eq!(cache.take_uses().into_iter().map(|(id, _)| id).collect::<Vec<_>>(), ["key_2"]);
    }

    /// A revoked key is forgotten (so the database decides again), its last use still written.
    #[test]
    fn a_forgotten_key_is_looked_up_again_and_its_use_kept() {
        let cache = KeyCache::default();
        let ttl = Duration::from_secs(30);
        cache.put("h1".into(), owner("key_1"));
        cache.forget(&["h1".to_string(), "h_unknown".to_string()]);
        assert_eq!(cache.get("h1", ttl), None);
        assert_eq!(cache.take_uses().into_iter().map(|(id, _)| id).collect::<Vec<_>>(), ["key_1"]);
    }
}
