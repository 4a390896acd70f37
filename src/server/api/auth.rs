//! API tokens: an administrator issues tokens for counter staff, officers and other
//! administrators (`POST /api/tokens`, or `kyso token add` on the server's machine). Only a
//! token's SHA-256 is stored; the token itself is shown once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{OpenApi, ToSchema};

use super::dossiers::{IdPath, is_cccd, json_rejection};
use super::{ApiError, Caller, Problem, blocking};
use crate::server::AppState;
use crate::store::dossiers::{Dossiers, Role};

#[derive(OpenApi)]
#[openapi(
    paths(create_token, revoke_token),
    components(schemas(NewToken, IssuedToken, Role))
)]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tokens", post(create_token))
        .route("/api/tokens/{id}", delete(revoke_token))
}

/// A token to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub role: Role,
    /// Who holds it, e.g. the officer's name.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// A citizen token's CCCD (12 digits); only for the citizen role.
    #[schema(pattern = "^[0-9]{12}$")]
    pub cccd: Option<String>,
    /// Lifetime in seconds (60 to 31 536 000); none for a token that lasts until revoked.
    #[schema(minimum = 60, maximum = 31536000)]
    pub expires_in: Option<u32>,
}

/// A token, shown only this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    pub id: String,
    pub token: String,
    pub role: Role,
    pub name: String,
    pub expires_at: Option<String>,
}

/// Issue a token (admin).
#[utoipa::path(post, path = "/api/tokens", tag = "tokens",
    request_body = NewToken,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The token, shown only now", body = IssuedToken),
        (status = 400, description = "A field is malformed", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Not an admin token", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "JSON of the wrong shape", body = Problem),
    ))]
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<NewToken>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    caller.require(&[Role::Admin])?;
    let Json(request) = body.map_err(json_rejection)?;
    let name = request.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "name must have 1 to 200 characters, none of them control characters",
        ));
    }
    match (request.role, &request.cccd) {
        (Role::Citizen, Some(cccd)) if is_cccd(cccd) => {}
        (Role::Citizen, _) => {
            return Err(ApiError::bad_request(
                "a citizen token needs the citizen's cccd: 12 digits",
            ));
        }
        (_, Some(_)) => {
            return Err(ApiError::bad_request("only a citizen token has a cccd"));
        }
        (_, None) => {}
    }
    if let Some(seconds) = request.expires_in
        && !(60..=31_536_000).contains(&seconds)
    {
        return Err(ApiError::bad_request(
            "expires_in must be between 60 and 31536000 seconds",
        ));
    }
    let now = OffsetDateTime::now_utc();
    let expires_at = request
        .expires_in
        .map(|s| now + time::Duration::seconds(i64::from(s)));
    let dossiers = Dossiers::new(&state.store);
    let role = request.role;
    let (holder, cccd) = (name.clone(), request.cccd.clone());
    let (id, token) = blocking(move || {
        Ok(dossiers.create_token(role, &holder, cccd.as_deref(), expires_at, now)?)
    })
    .await?;
    tracing::info!(token_id = %id, role = role.as_str(), "token issued");
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            id,
            token,
            role,
            name,
            expires_at: expires_at.and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
        }),
    ))
}

/// Revoke a token (admin).
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "Token id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Not an admin token", body = Problem),
        (status = 404, description = "No such token", body = Problem),
    ))]
async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Admin])?;
    let dossiers = Dossiers::new(&state.store);
    let revoked = blocking(move || Ok(dossiers.revoke_token(&id)?)).await?;
    match revoked {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::not_found("token")),
    }
}
