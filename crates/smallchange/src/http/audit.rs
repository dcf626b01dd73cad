//! The audit log over HTTP, for anyone holding one of the tenant's keys (any role): the
//! latest signed checkpoint, an entry with its canonical bytes and inclusion proof, and the
//! consistency proof between two tree sizes; and, without a key, the public key that signs
//! the checkpoints. Hashes are standard base64, as in the checkpoint text. The use cases are
//! [`crate::services::audit`]; docs/AUDIT.md shows how to check every answer by hand.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Operator, READERS};
use super::error::{ApiError, ErrorBody};
use super::path::Path;
use super::query::Query;
use super::users::rfc3339;
use super::AppState;
use crate::services::audit::{self, ProvedEntry, SignedTree};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/audit/checkpoints/latest", get(latest_checkpoint))
        .route("/v1/audit/entries/{id}", get(get_entry))
        .route("/v1/audit/consistency", get(consistency))
        .route("/.well-known/smallchange/audit-key", get(audit_key))
}

/// Where a cash-out's (or receipt's) latest status change is in the audit log.
#[derive(Serialize, ToSchema)]
pub struct AuditLink {
    /// The audit entry (`evt_…`).
    entry_id: String,
    /// The API path of that entry and its proof: `/v1/audit/entries/{entry_id}`.
    proof_url: String,
}

/// The audit link of a cash-out; `None` when no entry records its status.
pub async fn link(app: &AppState, tenant: &str, cashout_id: &str) -> Result<Option<AuditLink>, ApiError> {
    let found = audit::cashout_entry(&app.db, tenant, cashout_id).await?;
    Ok(found.map(|entry_id| AuditLink { proof_url: format!("/v1/audit/entries/{entry_id}"), entry_id }))
}

#[derive(Serialize, ToSchema)]
pub struct CheckpointResponse {
    /// How many entries the signed tree holds.
    tree_size: u64,
    /// The tree's RFC 6962 root, base64.
    root_hash: String,
    /// When it was signed, RFC 3339 UTC.
    timestamp: String,
    /// The signed note: the C2SP `tlog-checkpoint` body (origin `smallchange/<tenant id>`,
    /// size, base64 root), a blank line and an Ed25519 `signed-note` signature line.
    checkpoint: String,
}

fn checkpoint_response(tree: SignedTree) -> CheckpointResponse {
    CheckpointResponse {
        tree_size: tree.size,
        root_hash: STANDARD.encode(tree.root),
        timestamp: rfc3339(tree.at),
        checkpoint: tree.note,
    }
}

/// The tenant's latest signed checkpoint (one is signed at least every second while
/// entries arrive, and at shutdown).
#[utoipa::path(get, path = "/v1/audit/checkpoints/latest",
    responses((status = 200, body = CheckpointResponse),
        (status = 404, body = ErrorBody, description = "`no_checkpoint`: no entry is signed yet")),
    security(("bearer" = [])), tag = "audit")]
async fn latest_checkpoint(
    State(app): State<AppState>,
    operator: Operator,
) -> Result<Json<CheckpointResponse>, ApiError> {
    operator.require(READERS)?;
    Ok(Json(checkpoint_response(audit::latest(&app.db, operator.tenant_id()).await?)))
}

#[derive(Serialize, ToSchema)]
pub struct EntryResponse {
    /// The entry's id (`evt_…`), which is its event's.
    id: String,
    /// Its position in the tenant's tree, from 0.
    index: u64,
    /// What happened, e.g. `cashout.paid` (docs/EVENTS.md).
    kind: String,
    /// What it is about, e.g. `po_…`.
    subject: String,
    /// Who did it: `api_key:…`, `operator:…`, `user:…` or `system:…`.
    actor: String,
    /// When, RFC 3339 UTC.
    at: String,
    /// The canonical bytes (base64) the leaf hash is computed over (docs/AUDIT.md).
    entry: String,
    /// SHA-256(0x00 ‖ entry), base64.
    leaf_hash: String,
    /// The inclusion proof against the latest checkpoint; `null` until a checkpoint covers
    /// the entry (at most about a second after it was written).
    proof: Option<ProofResponse>,
}

#[derive(Serialize, ToSchema)]
pub struct ProofResponse {
    /// The size of the tree proved against: the latest checkpoint's.
    tree_size: u64,
    /// That tree's root, base64: the root the latest checkpoint signs.
    root_hash: String,
    /// The RFC 6962 audit path, nearest the leaf first, each base64.
    hashes: Vec<String>,
}

fn entry_response(found: ProvedEntry) -> EntryResponse {
    let stored = found.stored;
    EntryResponse {
        id: stored.id,
        index: stored.index,
        kind: stored.kind,
        subject: stored.subject,
        actor: stored.actor,
        at: crate::events::encoding::time_text(stored.at),
        entry: STANDARD.encode(&found.bytes),
        leaf_hash: STANDARD.encode(found.leaf_hash),
        proof: found.proof.map(|proof| ProofResponse {
            tree_size: proof.tree.size,
            root_hash: STANDARD.encode(proof.tree.root),
            hashes: proof.hashes.iter().map(|hash| STANDARD.encode(hash)).collect(),
        }),
    }
}

/// An audit entry, its canonical bytes and its inclusion proof in the latest checkpoint.
#[utoipa::path(get, path = "/v1/audit/entries/{id}", params(("id" = String, Path, description = "The entry id (`evt_…`)")),
    responses((status = 200, body = EntryResponse), (status = 404, body = ErrorBody, description = "No such entry")),
    security(("bearer" = [])), tag = "audit")]
async fn get_entry(
    State(app): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<EntryResponse>, ApiError> {
    operator.require(READERS)?;
    Ok(Json(entry_response(audit::entry(&app.db, operator.tenant_id(), &id).await?)))
}

#[derive(Deserialize, IntoParams)]
pub struct ConsistencyQuery {
    /// The older tree's size (0 to `to`).
    from: Option<String>,
    /// The newer tree's size, at most the latest checkpoint's.
    to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConsistencyResponse {
    from: u64,
    to: u64,
    /// The RFC 6962 consistency proof, each hash base64; empty when `from` is 0 or `to`.
    hashes: Vec<String>,
}

/// The proof that the tree of `from` entries is a prefix of the tree of `to` entries.
#[utoipa::path(get, path = "/v1/audit/consistency", params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyResponse),
        (status = 400, body = ErrorBody, description = "`invalid_size` (not a whole number), `size_out_of_range`"),
        (status = 404, body = ErrorBody, description = "`no_checkpoint`: no entry is signed yet")),
    security(("bearer" = [])), tag = "audit")]
async fn consistency(
    State(app): State<AppState>,
    operator: Operator,
    Query(query): Query<ConsistencyQuery>,
) -> Result<Json<ConsistencyResponse>, ApiError> {
    operator.require(READERS)?;
    let from = size(query.from.as_deref(), "from")?;
    let to = size(query.to.as_deref(), "to")?;
    let hashes = audit::consistency(&app.db, operator.tenant_id(), from, to).await?;
    Ok(Json(ConsistencyResponse { from, to, hashes: hashes.iter().map(|hash| STANDARD.encode(hash)).collect() }))
}

fn size(text: Option<&str>, param: &'static str) -> Result<u64, ApiError> {
    let invalid = || ApiError::invalid("invalid_size", format!("{param} is a tree size: a whole number from 0"), param);
    let text = text.ok_or_else(invalid)?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    text.parse().map_err(|_| invalid())
}

#[derive(Serialize, ToSchema)]
pub struct AuditKeyResponse {
    /// The key's name, the first part of its signature lines: `smallchange`.
    key_name: String,
    /// Always `ed25519`.
    algorithm: String,
    /// The 32 raw public-key bytes, base64.
    public_key: String,
    /// `<name>+<key id>+<base64 of 0x01 ‖ key>`, as Go's `golang.org/x/mod/sumdb/note` reads it.
    verifier_key: String,
}

/// The public key that signs checkpoints now (older ones: `smallchange audit verify` knows
/// them). No API key needed.
#[utoipa::path(get, path = "/.well-known/smallchange/audit-key",
    responses((status = 200, body = AuditKeyResponse)), tag = "audit")]
async fn audit_key(State(app): State<AppState>) -> Result<Json<AuditKeyResponse>, ApiError> {
    let key = audit::public_key(&app.db, &app.secrets).await?;
    Ok(Json(AuditKeyResponse {
        key_name: key.name,
        algorithm: "ed25519".into(),
        public_key: STANDARD.encode(key.public_key),
        verifier_key: key.verifier_key,
    }))
}
