//! The citizen's side: `POST /api/login` with CCCD and password logs in to the CSC
//! remote-signing service and gives an API token for as long as that login lasts; the CSC
//! session stays on the server under the token's id. `…/remote-sign` starts the SCAL2 flow
//! (credential, its info, the OTP challenge) and `…/remote-sign/complete` finishes it with
//! PIN + OTP: the CSC service authorizes exactly the hash of this signature and signs it.
//! Speaking the CSC API is `csc::client`'s; the PIN and OTP are never kept.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{How, audit, latest, service, sign_error, store_version};
use crate::csc::Secret;
use crate::csc::client::{
    CredentialInfo, CscClient, CscClientError, CscSigner, CscVersion, GivenOtp, OtpKind,
};
use crate::server::AppState;
use crate::server::api::dossiers::{IdPath, is_cccd, json_rejection, visible_document};
use crate::server::api::{ApiError, Caller, Problem, blocking};
use crate::store::blobs::BlobStore;
use crate::store::dossiers::{DocumentRow, Dossiers, Role, random_id};

/// How long a started remote signature waits for PIN + OTP: a delivered code's lifetime.
const CHALLENGE_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// The login's lifetime when the CSC service does not say, and the longest one given.
const DEFAULT_LOGIN: u64 = 60 * 60;
const MAX_LOGIN: u64 = 12 * 60 * 60;

/// The citizen's remote-signing account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// The citizen identity number: 12 digits.
    #[schema(pattern = "^[0-9]{12}$", example = "001089012345")]
    pub cccd: String,
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
}

/// A citizen's API token.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginAnswer {
    /// Bearer token for the API; shown once.
    pub token: String,
    /// Always "citizen".
    pub role: Role,
    pub cccd: String,
    /// Seconds the token lasts (as long as the remote-signing login).
    pub expires_in: u64,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteSignBody {
    /// The credential to sign with; by default the citizen's only one.
    #[schema(max_length = 200)]
    pub credential_id: Option<String>,
}

/// How the one-time code reaches the citizen.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OtpDelivery {
    /// Sent by SMS or e-mail just now.
    Delivered,
    /// Read from the citizen's authenticator app.
    Totp,
    /// The credential needs no one-time code.
    None,
}

/// A started remote signature, waiting for PIN + OTP.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemoteSignStarted {
    pub session_id: String,
    pub credential_id: String,
    pub otp: OtpDelivery,
    /// Seconds left to complete.
    pub expires_in: u64,
}

/// PIN and one-time code for one signature. Never stored or logged.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteSignComplete {
    pub session_id: String,
    #[schema(min_length = 1, max_length = 64)]
    pub pin: String,
    #[schema(max_length = 64)]
    pub otp: Option<String>,
}

/// A citizen's logged-in CSC client, under their API token's id.
#[derive(Clone)]
pub struct CscLogin {
    client: CscClient,
}

/// A started remote signature.
#[derive(Clone)]
pub struct Challenge {
    token_id: String,
    document_id: String,
    credential: CredentialInfo,
}

/// A CSC client failure as an answer: refusals are the citizen's to fix (4xx, in the
/// service's words), an unreachable service is 502.
fn csc_error(error: CscClientError) -> ApiError {
    let words = error.to_string();
    match error {
        CscClientError::LoginFailed => wrong_login(),
        CscClientError::Unauthorized => login_again(),
        CscClientError::WrongPinOrOtp { .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_pin_or_otp", words)
        }
        CscClientError::CredentialLocked { .. } => {
            ApiError::new(StatusCode::FORBIDDEN, "credential_locked", words)
        }
        CscClientError::NoCredential
        | CscClientError::AmbiguousCredential { .. }
        | CscClientError::UnsupportedKey { .. }
        | CscClientError::SchemeNotOffered { .. } => {
            ApiError::unprocessable("credential_unusable", words)
        }
        CscClientError::InvalidSad { .. } | CscClientError::OtpUnavailable { .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", words)
        }
        CscClientError::Http { status, .. } if (400..500).contains(&status) => {
            ApiError::new(StatusCode::BAD_REQUEST, "remote_signing_refused", words)
        }
        _ => {
            tracing::error!(error = %words, "the remote signing service failed");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "service_unavailable",
                format!("the remote signing service failed: {words}"),
            )
        }
    }
}

fn wrong_login() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "sai số CCCD hoặc mật khẩu / wrong CCCD or password",
    )
}

fn login_again() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "login_required",
        "phiên ký số từ xa đã hết, hãy đăng nhập lại / the remote-signing login has ended: log \
         in again (POST /api/login)",
    )
}

/// Log in with CCCD and the remote-signing password: a citizen token (public, rate-limited).
#[utoipa::path(post, path = "/api/login", tag = "citizen",
    request_body = LoginBody,
    responses(
        (status = 200, description = "The citizen's token", body = LoginAnswer),
        (status = 400, description = "A malformed field", body = Problem),
        (status = 401, description = "Wrong CCCD or password", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "JSON of the wrong shape", body = Problem),
        (status = 429, description = "Too many requests from this address", body = Problem),
        (status = 502, description = "The remote signing service failed", body = Problem),
        (status = 503, description = "Remote signing is not set up", body = Problem),
    ))]
pub async fn login(
    State(state): State<AppState>,
    body: Result<Json<LoginBody>, JsonRejection>,
) -> Result<Json<LoginAnswer>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let service = service(&state)?;
    let Some(url) = service.csc_url.clone() else {
        return Err(remote_signing_off());
    };
    if !is_cccd(&body.cccd) {
        return Err(ApiError::bad_request(
            "cccd must be the 12 digits of a citizen identity card",
        ));
    }
    if body.password.is_empty() || body.password.len() > 512 {
        return Err(wrong_login());
    }
    let dossiers = Dossiers::new(&state.store);
    let store = state.store.clone();
    let cccd = body.cccd;
    let password = Secret::new(body.password);
    blocking(move || {
        let mut client = CscClient::new(&url, CscVersion::V2).map_err(csc_error)?;
        let lifetime = client
            .login(&cccd, &password)
            .map_err(csc_error)?
            .unwrap_or(DEFAULT_LOGIN)
            .clamp(1, MAX_LOGIN);
        let now = OffsetDateTime::now_utc();
        let expires_at = now + time::Duration::seconds(lifetime as i64);
        let (token_id, token) = dossiers.create_token(
            Role::Citizen,
            &format!("CCCD {cccd}"),
            Some(&cccd),
            Some(expires_at),
            now,
        )?;
        service.logins.insert(
            token_id.clone(),
            CscLogin { client },
            Duration::from_secs(lifetime),
            Instant::now(),
        );
        audit(
            &store,
            &format!("citizen:{cccd}"),
            "login",
            &format!("api-token:{token_id}"),
            json!({ "expires_in": lifetime }),
        );
        Ok(LoginAnswer {
            token,
            role: Role::Citizen,
            cccd,
            expires_in: lifetime,
        })
    })
    .await
    .map(Json)
}

fn remote_signing_off() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "signing_unavailable",
        "remote signing is not set up on this server (kyso serve --csc-url URL)",
    )
}

/// The caller's logged-in CSC client: citizens only, and only after `POST /api/login`.
fn csc_login(service: &super::SigningService, caller: &Caller) -> Result<CscClient, ApiError> {
    caller.require(&[Role::Citizen])?;
    if service.csc_url.is_none() {
        return Err(remote_signing_off());
    }
    service
        .logins
        .get(&caller.0.token_id, Instant::now())
        .map(|(login, _)| login.client)
        .ok_or_else(login_again)
}

/// Start signing a document remotely: picks the credential and sends the OTP (citizen).
#[utoipa::path(post, path = "/api/documents/{id}/remote-sign", tag = "citizen",
    params(("id" = String, Path, description = "Document id")),
    request_body = RemoteSignBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Waiting for PIN + OTP", body = RemoteSignStarted),
        (status = 400, description = "A malformed field", body = Problem),
        (status = 401, description = "No valid token, or the remote-signing login ended", body = Problem),
        (status = 403, description = "Not a citizen token", body = Problem),
        (status = 404, description = "No such document, or not the citizen's", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "No usable credential", body = Problem),
        (status = 502, description = "The remote signing service failed", body = Problem),
        (status = 503, description = "Remote signing is not set up", body = Problem),
    ))]
pub async fn remote_sign(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: Result<Json<RemoteSignBody>, JsonRejection>,
) -> Result<Json<RemoteSignStarted>, ApiError> {
    caller.require(&[Role::Citizen])?;
    let Json(body) = body.map_err(json_rejection)?;
    let service = service(&state)?;
    let (document, _) = visible_document(&state, &caller, &id).await?;
    let client = csc_login(&service, &caller)?;
    let token_id = caller.0.token_id.clone();
    let wanted = body.credential_id.filter(|c| !c.trim().is_empty());
    blocking(move || {
        let credential_id = client
            .choose_credential(wanted.as_deref())
            .map_err(csc_error)?;
        let credential = client.credential_info(&credential_id).map_err(csc_error)?;
        let otp = match credential.otp {
            Some(OtpKind::Delivered) => {
                client.request_otp(&credential_id).map_err(csc_error)?;
                OtpDelivery::Delivered
            }
            Some(OtpKind::Generated) => OtpDelivery::Totp,
            None => OtpDelivery::None,
        };
        let session_id = random_id();
        service.challenges.insert(
            session_id.clone(),
            Challenge {
                token_id,
                document_id: document.id,
                credential,
            },
            CHALLENGE_LIFETIME,
            Instant::now(),
        );
        Ok(RemoteSignStarted {
            session_id,
            credential_id,
            otp,
            expires_in: CHALLENGE_LIFETIME.as_secs(),
        })
    })
    .await
    .map(Json)
}

/// Finish a remote signature with PIN + OTP: the new version (citizen).
#[utoipa::path(post, path = "/api/documents/{id}/remote-sign/complete", tag = "citizen",
    params(("id" = String, Path, description = "Document id")),
    request_body = RemoteSignComplete,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new version, last_action \"remote-sign\"", body = DocumentRow),
        (status = 400, description = "A malformed field, or a wrong PIN or OTP (the service's words)", body = Problem),
        (status = 401, description = "No valid token, or the remote-signing login ended", body = Problem),
        (status = 403, description = "Not a citizen token, or the credential is locked", body = Problem),
        (status = 404, description = "No such document or session", body = Problem),
        (status = 409, description = "The document changed while it was signed", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "The certificate or PDF cannot be used", body = Problem),
        (status = 502, description = "A service the signature needs failed", body = Problem),
        (status = 503, description = "Remote signing is not set up", body = Problem),
    ))]
pub async fn remote_sign_complete(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: Result<Json<RemoteSignComplete>, JsonRejection>,
) -> Result<Json<DocumentRow>, ApiError> {
    caller.require(&[Role::Citizen])?;
    let Json(body) = body.map_err(json_rejection)?;
    let service = service(&state)?;
    if body.pin.is_empty() || body.pin.len() > 64 {
        return Err(ApiError::bad_request("pin must have 1 to 64 characters"));
    }
    let otp = body.otp.filter(|o| !o.trim().is_empty());
    if otp.as_ref().is_some_and(|o| o.len() > 64) {
        return Err(ApiError::bad_request("otp must have at most 64 characters"));
    }
    let (document, _) = visible_document(&state, &caller, &id).await?;
    let no_session = || ApiError::not_found("remote-signing session (start again)");
    let (challenge, _) = service
        .challenges
        .get(&body.session_id, Instant::now())
        .ok_or_else(no_session)?;
    if challenge.token_id != caller.0.token_id || challenge.document_id != document.id {
        return Err(no_session());
    }
    if challenge.credential.otp.is_some() && otp.is_none() {
        return Err(ApiError::bad_request(
            "this credential needs the one-time code: give otp",
        ));
    }
    let client = csc_login(&service, &caller)?;
    let level = service.level(None)?;
    let dossiers = Dossiers::new(&state.store);
    let blobs = BlobStore::new(state.data_dir());
    let store = state.store.clone();
    let actor = caller.actor();
    let pin = Secret::new(body.pin);
    let session_id = body.session_id;
    blocking(move || {
        let credential_id = challenge.credential.credential_id.clone();
        let signer = CscSigner::new(
            client,
            challenge.credential,
            pin,
            Box::new(GivenOtp(Secret::new(otp.unwrap_or_default()))),
        )
        .map_err(csc_error)?;
        let (current, original) = latest(&dossiers, &blobs, &document.id)?;
        let now = OffsetDateTime::now_utc();
        let signed = service
            .sign_pdf(&original, &signer, &How::plain(level), now)
            .map_err(sign_error)?;
        service.challenges.remove(&session_id);
        let row = store_version(
            &dossiers,
            &blobs,
            &current.id,
            current.version,
            &signed,
            "remote-sign",
            &actor,
        )?
        .ok_or_else(|| {
            ApiError::conflict(
                "the document changed while it was being signed; start the remote signature \
                 again",
            )
        })?;
        audit(
            &store,
            &actor,
            "remote-sign",
            &format!("document:{}", row.id),
            json!({
                "version": row.version,
                "level": level.name(),
                "sha256": row.sha256,
                "credential": credential_id,
            }),
        );
        Ok(row)
    })
    .await
    .map(Json)
}
