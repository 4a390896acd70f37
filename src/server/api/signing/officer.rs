//! Server-side signatures with the agency's key (PKCS#11): an officer signs a document
//! (`POST /api/documents/{id}/sign`) or certifies a result with DocMDP
//! (`POST /api/documents/{id}/certify`, ISO 32000-1 §12.8.2.2), each a new version. Two
//! signatures racing on one version: the loser is redone once on the new version.

use axum::extract::State;
use axum::{Json, extract::rejection::JsonRejection};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{How, Level, audit, latest, optional_text, service, sign_error, store_version};
use crate::server::AppState;
use crate::server::api::dossiers::{IdPath, json_rejection, visible_document};
use crate::server::api::{ApiError, Caller, Problem, blocking};
use crate::sign::DocMdpPermission;
use crate::store::blobs::BlobStore;
use crate::store::dossiers::{DocumentRow, Dossiers, Role};

/// How the agency signs.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignBody {
    /// The PAdES level; default b-lt when the server has a TSA and revocation answers, else
    /// b-b.
    pub level: Option<Level>,
    /// Why it is signed, e.g. "Sao y bản chính".
    #[schema(max_length = 200)]
    pub reason: Option<String>,
    /// Where, e.g. "Lào Cai".
    #[schema(max_length = 200)]
    pub location: Option<String>,
    /// Draw the visible stamp at the top right of page 1 (Circular 05/2025/TT-BNV).
    pub stamp: Option<bool>,
}

/// What a certification allows afterwards (ISO 32000-1 §12.8.2.2, Table 254 /P).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    /// /P 1: no changes at all.
    NoChanges,
    /// /P 2: filling forms and signing (the default).
    FormFill,
    /// /P 3: as form-fill, plus annotations.
    Annotate,
}

/// How the agency certifies.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertifyBody {
    pub permission: Option<Permission>,
    pub level: Option<Level>,
    #[schema(max_length = 200)]
    pub reason: Option<String>,
    #[schema(max_length = 200)]
    pub location: Option<String>,
    pub stamp: Option<bool>,
}

/// Sign a document with the agency's key (officer).
#[utoipa::path(post, path = "/api/documents/{id}/sign", tag = "signing",
    params(("id" = String, Path, description = "Document id")),
    request_body = SignBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new version, last_action \"sign\"", body = DocumentRow),
        (status = 400, description = "A malformed field", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Not an officer or admin token", body = Problem),
        (status = 404, description = "No such document", body = Problem),
        (status = 409, description = "The document changed twice while it was signed", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "A level, certificate or PDF that cannot be used", body = Problem),
        (status = 502, description = "A service the signature needs failed (TSA, OCSP, token)", body = Problem),
        (status = 503, description = "No agency key is configured", body = Problem),
    ))]
pub async fn sign(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: Result<Json<SignBody>, JsonRejection>,
) -> Result<Json<DocumentRow>, ApiError> {
    caller.require(&[Role::Officer, Role::Admin])?;
    let Json(body) = body.map_err(json_rejection)?;
    let service = service(&state)?;
    let how = How {
        level: service.level(body.level)?,
        scheme: None,
        reason: optional_text("reason", body.reason)?,
        location: optional_text("location", body.location)?,
        stamp: service.stamp_available(body.stamp.unwrap_or(false))?,
        certify: None,
    };
    agency_signs(&state, &caller, &id, how, "sign")
        .await
        .map(Json)
}

/// Certify a document (DocMDP) with the agency's key (officer); it must not be signed yet.
#[utoipa::path(post, path = "/api/documents/{id}/certify", tag = "signing",
    params(("id" = String, Path, description = "Document id")),
    request_body = CertifyBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new version, last_action \"certify\"", body = DocumentRow),
        (status = 400, description = "A malformed field", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Not an officer or admin token", body = Problem),
        (status = 404, description = "No such document", body = Problem),
        (status = 409, description = "The document already has a signature", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "A level, certificate or PDF that cannot be used", body = Problem),
        (status = 502, description = "A service the signature needs failed (TSA, OCSP, token)", body = Problem),
        (status = 503, description = "No agency key is configured", body = Problem),
    ))]
pub async fn certify(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: Result<Json<CertifyBody>, JsonRejection>,
) -> Result<Json<DocumentRow>, ApiError> {
    caller.require(&[Role::Officer, Role::Admin])?;
    let Json(body) = body.map_err(json_rejection)?;
    let service = service(&state)?;
    let permission = match body.permission.unwrap_or(Permission::FormFill) {
        Permission::NoChanges => DocMdpPermission::NoChanges,
        Permission::FormFill => DocMdpPermission::FormFilling,
        Permission::Annotate => DocMdpPermission::Annotations,
    };
    let how = How {
        level: service.level(body.level)?,
        scheme: None,
        reason: optional_text("reason", body.reason)?,
        location: optional_text("location", body.location)?,
        stamp: service.stamp_available(body.stamp.unwrap_or(false))?,
        certify: Some(permission),
    };
    agency_signs(&state, &caller, &id, how, "certify")
        .await
        .map(Json)
}

/// Signs the latest version of `id` with the agency's key and stores the next version; when
/// another version came first, signs that one instead, once.
async fn agency_signs(
    state: &AppState,
    caller: &Caller,
    id: &str,
    how: super::How,
    action: &'static str,
) -> Result<DocumentRow, ApiError> {
    let service = service(state)?;
    let agency = service.agency()?;
    let (document, _) = visible_document(state, caller, id).await?;
    let dossiers = Dossiers::new(&state.store);
    let blobs = BlobStore::new(state.data_dir());
    let store = state.store.clone();
    let actor = caller.actor();
    blocking(move || {
        for _attempt in 0..2 {
            let (current, original) = latest(&dossiers, &blobs, &document.id)?;
            let started = std::time::Instant::now();
            let now = OffsetDateTime::now_utc();
            let signed = service
                .sign_pdf(&original, agency.as_ref(), &how, now)
                .map_err(sign_error)?;
            let took = started.elapsed();
            if let Some(row) = store_version(
                &dossiers,
                &blobs,
                &current.id,
                current.version,
                &signed,
                action,
                &actor,
            )? {
                tracing::info!(
                    document = %row.id,
                    version = row.version,
                    level = how.level.name(),
                    ms = took.as_millis() as u64,
                    "{action} done with the agency key"
                );
                audit(
                    &store,
                    &actor,
                    action,
                    &format!("document:{}", row.id),
                    json!({
                        "version": row.version,
                        "level": how.level.name(),
                        "sha256": row.sha256,
                        "key": "agency",
                    }),
                );
                return Ok(row);
            }
        }
        Err(ApiError::conflict(
            "the document changed twice while it was being signed; read it again and retry",
        ))
    })
    .await
}
