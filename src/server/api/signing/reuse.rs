//! The once-only principle: a citizen's document signed in an earlier dossier is brought into
//! a new dossier of the same applicant by reference (same bytes, same SHA-256), after every
//! signature in it verifies TOTAL_PASSED again now, against the server's trust anchors.
//! Verifying is `verify::verify_pdf`'s.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{audit, service};
use crate::pki::revocation::Fetcher;
use crate::server::AppState;
use crate::server::api::dossiers::{IdPath, json_rejection, visible_document};
use crate::server::api::{ApiError, Caller, Problem, blocking, visible_dossier};
use crate::store::blobs::BlobStore;
use crate::store::dossiers::{DocumentKind, DocumentRow, Dossiers, NewDocument, Role};
use crate::verify::{Indication, VerifyOptions, verify_pdf};

/// The document to bring in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReuseBody {
    /// A signed document of another dossier of the same applicant.
    pub document_id: String,
}

/// Reuse a signed document of another dossier of the same applicant (citizen, counter).
#[utoipa::path(post, path = "/api/dossiers/{id}/reuse", tag = "documents",
    params(("id" = String, Path, description = "The dossier to bring the document into")),
    request_body = ReuseBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The reused document (kind \"reused\", source = the original)", body = DocumentRow),
        (status = 400, description = "A malformed field", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Not a citizen, counter or admin token", body = Problem),
        (status = 404, description = "No such dossier or document, or not the caller's", body = Problem),
        (status = 409, description = "The document is of this dossier, of another applicant, or already reused here", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "The document does not verify TOTAL_PASSED now", body = Problem),
        (status = 503, description = "Signing is not set up", body = Problem),
    ))]
pub async fn reuse(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: Result<Json<ReuseBody>, JsonRejection>,
) -> Result<(StatusCode, Json<DocumentRow>), ApiError> {
    caller.require(&[Role::Citizen, Role::Counter, Role::Admin])?;
    let Json(body) = body.map_err(json_rejection)?;
    let service = service(&state)?;
    let target = visible_dossier(&state, &caller, &id).await?;
    let (source, source_dossier) = visible_document(&state, &caller, &body.document_id).await?;
    if source.dossier_id == target.id {
        return Err(ApiError::conflict(
            "the document is already in this dossier; reuse brings a document from another one",
        ));
    }
    if source_dossier.applicant_cccd != target.applicant_cccd {
        return Err(ApiError::conflict(
            "the document belongs to another applicant's dossier; only the applicant's own \
             documents can be reused",
        ));
    }
    let dossiers = Dossiers::new(&state.store);
    let blobs = BlobStore::new(state.data_dir());
    let store = state.store.clone();
    let actor = caller.actor();
    let row =
        blocking(move || {
            if dossiers.documents_of(&target.id)?.iter().any(|d| {
                d.source.as_deref() == Some(source.id.as_str()) && d.sha256 == source.sha256
            }) {
                return Err(ApiError::conflict(
                    "this version of the document is already reused in this dossier",
                ));
            }
            let bytes = blobs.get(&source.sha256)?;
            let fetcher = service.fetcher();
            let options = VerifyOptions {
                trust_anchors: service.anchors.clone(),
                now: OffsetDateTime::now_utc(),
                fetcher: Some(&fetcher as &dyn Fetcher),
            };
            let report = verify_pdf(&bytes, &options).map_err(|error| {
                ApiError::unprocessable(
                    "not_verified",
                    format!("the document cannot be verified: {error}"),
                )
            })?;
            if report.signatures.is_empty() {
                return Err(ApiError::unprocessable(
                    "not_verified",
                    "the document has no signature; only signed documents are reused",
                ));
            }
            if let Some((at, failed)) = report
                .signatures
                .iter()
                .enumerate()
                .find(|(_, s)| s.indication != Indication::TotalPassed)
            {
                return Err(ApiError::unprocessable(
                    "not_verified",
                    format!(
                        "signature {} of {} ({}) is {:?}{} now; the document must be signed again",
                        at + 1,
                        report.signatures.len(),
                        failed.field,
                        failed.indication,
                        failed
                            .sub_indication
                            .map(|s| format!(" / {s:?}"))
                            .unwrap_or_default()
                    ),
                ));
            }
            // The reused copy is found by the same words as its source.
            let page_texts = dossiers.page_texts(&source.id)?;
            let row = dossiers.add_document(
                &NewDocument {
                    dossier_id: &target.id,
                    kind: DocumentKind::Reused,
                    title: &source.title,
                    source: Some(&source.id),
                    sha256: &source.sha256,
                    size: source.size,
                    action: "reuse",
                    actor: &actor,
                    page_texts: &page_texts,
                    pages: source.pages,
                },
                OffsetDateTime::now_utc(),
            )?;
            audit(
                &store,
                &actor,
                "reuse",
                &format!("document:{}", row.id),
                json!({
                    "dossier": target.id,
                    "source": source.id,
                    "sha256": source.sha256,
                    "signatures": report.signatures.len(),
                }),
            );
            Ok(row)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(row)))
}
