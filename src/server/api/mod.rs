//! The dossier service's JSON API under `/api/`: who is calling (bearer tokens with roles),
//! how errors look (`{"error": code, "error_description": words}`, as in the CSC API), and
//! the OpenAPI document at `/openapi.json`, generated from the handlers' annotations.

pub mod auth;
pub mod dossiers;
pub mod jobs;
pub mod limit;
mod openapi;
pub mod signing;

use std::fmt::Display;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::OffsetDateTime;

use super::AppState;
use crate::store::StoreError;
use crate::store::blobs::BlobError;
use crate::store::dossiers::{DossierRow, Dossiers, Role, TokenHolder};

pub use openapi::document as openapi_document;

/// Every `/api/` route and `/openapi.json`.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(dossiers::router())
        .merge(auth::router())
        .merge(jobs::router())
        .merge(openapi::router())
}

/// The body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A stable machine code, e.g. `not_found`, `forbidden`, `invalid_request`.
    pub error: String,
    /// What went wrong, in words.
    pub error_description: String,
}

/// An error answer: a status, a stable code and words for people.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer token is needed (Authorization: Bearer …)",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(what: impl Display) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        )
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// A failure inside the server: logged in full, answered in general words.
    pub fn internal(error: impl Display) -> ApiError {
        tracing::error!(%error, "request failed inside the server");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the request failed inside the server; it is logged",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(Problem {
                error: self.code.to_owned(),
                error_description: self.message,
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        ApiError::internal(error)
    }
}

impl From<BlobError> for ApiError {
    fn from(error: BlobError) -> ApiError {
        ApiError::internal(error)
    }
}

/// Runs blocking work (the store, the HSM, PDF work) off the async threads.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)?
}

/// The holder of the request's bearer token. Extracting it answers 401 when the token is
/// missing, unknown or expired.
#[derive(Debug, Clone)]
pub struct Caller(pub TokenHolder);

impl Caller {
    pub fn role(&self) -> Role {
        self.0.role
    }

    /// Who did it, for the audit log and document versions: role, name and token id.
    pub fn actor(&self) -> String {
        format!(
            "{}:{} ({})",
            self.0.role.as_str(),
            self.0.name,
            self.0.token_id
        )
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.0.role) {
            return Ok(());
        }
        let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::forbidden(format!(
            "this needs the role {}; the token is for {}",
            allowed.join(" or "),
            self.0.role.as_str()
        )))
    }

    /// Whether the caller may see `dossier`: staff see every dossier, a citizen only their own.
    pub fn may_see(&self, dossier: &DossierRow) -> bool {
        match self.0.role {
            Role::Citizen => self.0.cccd.as_deref() == Some(dossier.applicant_cccd.as_str()),
            Role::Counter | Role::Officer | Role::Admin => true,
        }
    }

    /// The citizen's CCCD when the caller is a citizen: their view is limited to it.
    pub fn citizen_cccd(&self) -> Option<&str> {
        match self.0.role {
            Role::Citizen => self.0.cccd.as_deref(),
            _ => None,
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or_else(ApiError::unauthorized)?
            .to_owned();
        let dossiers = Dossiers::new(&state.store);
        let holder =
            blocking(move || Ok(dossiers.token_holder(&token, OffsetDateTime::now_utc())?)).await?;
        holder.map(Caller).ok_or_else(ApiError::unauthorized)
    }
}

/// The dossier `id` if the caller may see it; 404 otherwise, so a citizen cannot learn
/// whether another citizen's dossier exists.
pub async fn visible_dossier(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<DossierRow, ApiError> {
    let dossiers = Dossiers::new(&state.store);
    let id = id.to_owned();
    let dossier = blocking(move || Ok(dossiers.dossier(&id)?)).await?;
    match dossier {
        Some(dossier) if caller.may_see(&dossier) => Ok(dossier),
        _ => Err(ApiError::not_found("dossier")),
    }
}
