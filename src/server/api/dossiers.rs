//! Dossiers and their documents: the counter opens a dossier for a citizen, anyone allowed
//! reads it, staff search the OCR text of every page, an officer adds the result document,
//! and the PDF of a document's latest version is served hash-checked.

use std::fmt::Display;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{ApiError, Caller, Problem, blocking, visible_dossier};
use crate::pdf::read::Document;
use crate::server::AppState;
use crate::store::blobs::BlobStore;
use crate::store::dossiers::{
    DocumentKind, DocumentRow, DossierRow, Dossiers, NewDocument, Role, SearchHit,
};

/// The largest PDF an officer may add as a result.
pub const MAX_RESULT_BYTES: usize = 64 * 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    paths(
        create_dossier,
        list_dossiers,
        get_dossier,
        get_document,
        get_document_pdf,
        add_result
    ),
    components(schemas(
        CreateDossier,
        DossierRow,
        DossierView,
        DossierList,
        DocumentRow,
        DocumentKind,
        SearchHit
    ))
)]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/dossiers", post(create_dossier).get(list_dossiers))
        .route("/api/dossiers/{id}", get(get_dossier))
        .route(
            "/api/dossiers/{id}/results",
            post(add_result).layer(DefaultBodyLimit::max(MAX_RESULT_BYTES)),
        )
        .route("/api/documents/{id}", get(get_document))
        .route("/api/documents/{id}/pdf", get(get_document_pdf))
}

/// A resource id from the path (`{id}`). An id that does not even decode to UTF-8 names
/// nothing: 404 like any other unknown id, in the API's error shape, where axum's own `Path`
/// rejection would answer a text/plain 400 that no route describes.
pub struct IdPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<IdPath, ApiError> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(IdPath(id)),
            Err(_) => Err(ApiError::not_found("item with this id")),
        }
    }
}

/// A PDF sent or answered as the body itself. Described as `type: string, format: binary`:
/// utoipa would describe `Vec<u8>` as an array of integers, which is not what goes on the wire.
pub struct PdfFile;

impl utoipa::PartialSchema for PdfFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for PdfFile {}

/// A new dossier, as the counter receives it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDossier {
    /// The administrative procedure's code in the national procedure database, e.g.
    /// `1.001234`.
    #[schema(min_length = 1, max_length = 64, example = "2.000488")]
    pub procedure_code: String,
    #[schema(min_length = 1, max_length = 200, example = "Nguyễn Văn An")]
    pub applicant_name: String,
    /// The applicant's citizen identity number: 12 digits.
    #[schema(pattern = "^[0-9]{12}$", example = "001089012345")]
    pub applicant_cccd: String,
}

/// A dossier with its documents.
#[derive(Debug, Serialize, ToSchema)]
pub struct DossierView {
    #[serde(flatten)]
    pub dossier: DossierRow,
    pub documents: Vec<DocumentRow>,
}

/// Dossiers, or with `q` the pages whose text matches.
#[derive(Debug, Serialize, ToSchema)]
pub struct DossierList {
    pub dossiers: Vec<DossierRow>,
    /// Pages matching `q`, best first; empty without `q`.
    pub hits: Vec<SearchHit>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Words to find in the OCR text of every page (all of them; diacritics optional).
    q: Option<String>,
    /// At most this many results (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultQuery {
    /// The document's title, e.g. "Giấy chứng nhận" (default "Kết quả").
    #[param(max_length = 200)]
    title: Option<String>,
}

fn check_text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(ApiError::bad_request(format!(
            "{field} must have 1 to {max} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(value.to_owned())
}

/// Whether `cccd` is a citizen identity number: exactly 12 digits.
pub fn is_cccd(cccd: &str) -> bool {
    cccd.len() == 12 && cccd.bytes().all(|b| b.is_ascii_digit())
}

/// Open a dossier for a citizen (counter).
#[utoipa::path(post, path = "/api/dossiers", tag = "dossiers",
    request_body = CreateDossier,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The dossier, with its receipt code", body = DossierRow),
        (status = 400, description = "A field is missing or malformed", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Not a counter or admin token", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "JSON of the wrong shape", body = Problem),
    ))]
async fn create_dossier(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<CreateDossier>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<DossierRow>), ApiError> {
    caller.require(&[Role::Counter, Role::Admin])?;
    let Json(request) = body.map_err(json_rejection)?;
    let procedure = check_text("procedure_code", &request.procedure_code, 64)?;
    let name = check_text("applicant_name", &request.applicant_name, 200)?;
    if !is_cccd(&request.applicant_cccd) {
        return Err(ApiError::bad_request(
            "applicant_cccd must be the 12 digits of a citizen identity card",
        ));
    }
    let dossiers = Dossiers::new(&state.store);
    let actor = caller.actor();
    let cccd = request.applicant_cccd;
    let dossier = blocking(move || {
        Ok(dossiers.create_dossier(&procedure, &name, &cccd, &actor, OffsetDateTime::now_utc())?)
    })
    .await?;
    tracing::info!(dossier = %dossier.code, "dossier created");
    Ok((StatusCode::CREATED, Json(dossier)))
}

/// A JSON body that failed to parse, as a 4xx in the API's own error shape.
pub fn json_rejection(rejection: axum::extract::rejection::JsonRejection) -> ApiError {
    use axum::extract::rejection::JsonRejection as R;
    let status = rejection.status();
    let code = match &rejection {
        R::MissingJsonContentType(_) => "unsupported_media_type",
        R::JsonSyntaxError(_) => "invalid_json",
        R::JsonDataError(_) => "invalid_request",
        _ => "invalid_request",
    };
    ApiError::new(status, code, rejection.body_text())
}

/// List dossiers, or search the text of every page (staff: all; citizen: own).
#[utoipa::path(get, path = "/api/dossiers", tag = "dossiers",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Dossiers newest first, or matching pages best first", body = DossierList),
        (status = 400, description = "A malformed parameter", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
    ))]
async fn list_dossiers(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DossierList>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 200"));
    }
    let dossiers = Dossiers::new(&state.store);
    let cccd = caller.citizen_cccd().map(str::to_owned);
    let text = query.q.filter(|q| !q.trim().is_empty());
    if text.as_ref().is_some_and(|q| q.chars().count() > 500) {
        return Err(ApiError::bad_request("q must have at most 500 characters"));
    }
    blocking(move || {
        Ok(match text {
            Some(q) => DossierList {
                dossiers: Vec::new(),
                hits: dossiers.search(&q, cccd.as_deref(), limit)?,
            },
            None => DossierList {
                dossiers: dossiers.list_dossiers(cccd.as_deref(), limit)?,
                hits: Vec::new(),
            },
        })
    })
    .await
    .map(Json)
}

/// A dossier and its documents.
#[utoipa::path(get, path = "/api/dossiers/{id}", tag = "dossiers",
    params(("id" = String, Path, description = "Dossier id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The dossier", body = DossierView),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such dossier, or not the caller's", body = Problem),
    ))]
async fn get_dossier(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<DossierView>, ApiError> {
    let dossier = visible_dossier(&state, &caller, &id).await?;
    let dossiers = Dossiers::new(&state.store);
    let dossier_id = dossier.id.clone();
    let documents = blocking(move || Ok(dossiers.documents_of(&dossier_id)?)).await?;
    Ok(Json(DossierView { dossier, documents }))
}

/// The document `id` and its dossier, if the caller may see them; 404 otherwise.
pub async fn visible_document(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(DocumentRow, DossierRow), ApiError> {
    let dossiers = Dossiers::new(&state.store);
    let owned = id.to_owned();
    let document = blocking(move || Ok(dossiers.document(&owned)?))
        .await?
        .ok_or_else(|| ApiError::not_found("document"))?;
    let dossier = visible_dossier(state, caller, &document.dossier_id)
        .await
        .map_err(|_| ApiError::not_found("document"))?;
    Ok((document, dossier))
}

/// A document's latest version.
#[utoipa::path(get, path = "/api/documents/{id}", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The document", body = DocumentRow),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such document, or not the caller's", body = Problem),
    ))]
async fn get_document(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Json<DocumentRow>, ApiError> {
    Ok(Json(visible_document(&state, &caller, &id).await?.0))
}

/// The PDF of a document's latest version, checked against its SHA-256.
#[utoipa::path(get, path = "/api/documents/{id}/pdf", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf",
            body = inline(PdfFile)),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such document, or not the caller's", body = Problem),
    ))]
async fn get_document_pdf(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    let (document, _) = visible_document(&state, &caller, &id).await?;
    let blobs = BlobStore::new(state.data_dir());
    let sha256 = document.sha256.clone();
    let bytes = blocking(move || Ok(blobs.get(&sha256)?)).await?;
    let file_name = format!("{}-v{}.pdf", document.id, document.version);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file_name}\""),
            ),
            (header::ETAG, format!("\"{}\"", document.sha256)),
        ],
        bytes,
    )
        .into_response())
}

/// Add the result document to a dossier (officer): the PDF itself as the body.
#[utoipa::path(post, path = "/api/dossiers/{id}/results", tag = "documents",
    params(("id" = String, Path, description = "Dossier id"), ResultQuery),
    request_body(content = inline(PdfFile), content_type = "application/pdf"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new document", body = DocumentRow),
        (status = 400, description = "A malformed parameter", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Not an officer or admin token", body = Problem),
        (status = 404, description = "No such dossier", body = Problem),
        (status = 413, description = "Larger than 64 MiB", body = Problem),
        (status = 415, description = "Not sent as application/pdf", body = Problem),
        (status = 422, description = "Not a readable PDF", body = Problem),
    ))]
async fn add_result(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    query: Result<Query<ResultQuery>, axum::extract::rejection::QueryRejection>,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<DocumentRow>), ApiError> {
    caller.require(&[Role::Officer, Role::Admin])?;
    let body = body.map_err(body_rejection)?;
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let title = match &query.title {
        Some(title) => check_text("title", title, 200)?,
        None => "Kết quả".to_owned(),
    };
    let dossier = visible_dossier(&state, &caller, &id).await?;
    require_pdf_body(&headers)?;
    let pages = pdf_page_count(&body)?;
    let dossiers = Dossiers::new(&state.store);
    let blobs = BlobStore::new(state.data_dir());
    let actor = caller.actor();
    let document = blocking(move || {
        let sha256 = blobs.put(&body)?;
        Ok(dossiers.add_document(
            &NewDocument {
                dossier_id: &dossier.id,
                kind: DocumentKind::Result,
                title: &title,
                source: None,
                sha256: &sha256,
                size: body.len() as u64,
                action: "upload",
                actor: &actor,
                page_texts: &[],
                pages,
            },
            OffsetDateTime::now_utc(),
        )?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(document)))
}

/// A body that could not be read (above the route's limit, or cut off), as a 4xx in the API's
/// own error shape rather than axum's text/plain.
pub fn body_rejection(rejection: BytesRejection) -> ApiError {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            status,
            "too_large",
            "the body is larger than this route accepts",
        );
    }
    ApiError::new(status, "invalid_request", rejection.body_text())
}

/// 415 unless the request says it carries a PDF.
pub fn require_pdf_body(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .unwrap_or("");
    if media.eq_ignore_ascii_case("application/pdf") {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send the PDF itself as the body, with Content-Type: application/pdf",
    ))
}

/// The page count of a PDF, or 422 naming why it cannot be read.
pub fn pdf_page_count(bytes: &[u8]) -> Result<u32, ApiError> {
    let unreadable = |e: &dyn Display| {
        ApiError::unprocessable("not_a_pdf", format!("the body is not a readable PDF: {e}"))
    };
    let document = Document::load(bytes).map_err(|e| unreadable(&e))?;
    let pages = document.page_count().map_err(|e| unreadable(&e))?;
    if pages == 0 {
        return Err(ApiError::unprocessable("not_a_pdf", "the PDF has no page"));
    }
    Ok(pages as u32)
}
