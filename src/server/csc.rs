//! The CSC API routes (Cloud Signature Consortium API v2.0 under `/csc/v2/`, and the v1.0.4
//! names under `/csc/v1/` that deployed clients such as pyHanko's `CSCSigner` speak), plus
//! the administrator's enrollment, unlock and demo outbox under `/csc/admin/`. JSON in and
//! out; errors as `{"error", "error_description"}` (CSC API v2 §10.1). The work is
//! `csc::service`'s; bodies are parsed here so a malformed request gets a CSC error, not a
//! framework message.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::AppState;
use super::api::limit::RateLimit;
use crate::csc::enroll::{self, CitizenCa, EnrollError, Enrollment, OtpChoice};
use crate::csc::placement::Stopwatch;
use crate::csc::service::{
    Authorization, CscError, CscService, MAX_BATCH, SignRequest, Unrecorded,
};
use crate::csc::{LockoutError, SadError, Secret};
use crate::sign::KeyKind;
use crate::sign::pkcs11::HsmKeySpec;

/// The remote-signing side of the application state.
pub struct CscState {
    pub service: CscService,
    /// The CA enrollment certifies keys with; `None` turns enrollment over HTTP off.
    pub ca: Option<CitizenCa>,
    /// The administrator's bearer token; `None` turns the admin routes off.
    pub admin_token: Option<Secret>,
}

impl std::fmt::Debug for CscState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CscState")
            .field("ca", &self.ca)
            .field("admin", &self.admin_token.is_some())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(version_router(Version::V1, state))
        .merge(version_router(Version::V2, state))
        .route("/csc/admin/enroll", post(admin_enroll))
        .route("/csc/admin/credentials/{id}/unlock", post(admin_unlock))
        .route("/csc/admin/outbox", get(admin_outbox))
}

fn version_router(version: Version, state: &AppState) -> Router<AppState> {
    let base = match version {
        Version::V1 => "/csc/v1",
        Version::V2 => "/csc/v2",
    };
    let challenge = match version {
        Version::V1 => "credentials/sendOTP",
        Version::V2 => "credentials/getChallenge",
    };
    Router::new()
        .route(&format!("{base}/info"), post(move || info(version)))
        .route(
            &format!("{base}/auth/login"),
            post(login).layer(axum::middleware::from_fn_with_state(
                Arc::clone(&state.rate_limit),
                login_limit,
            )),
        )
        .route(&format!("{base}/auth/revoke"), post(revoke))
        .route(&format!("{base}/credentials/list"), post(list))
        .route(
            &format!("{base}/credentials/info"),
            post(move |state, headers, body| credential_info(version, state, headers, body)),
        )
        .route(&format!("{base}/{challenge}"), post(get_challenge))
        .route(
            &format!("{base}/credentials/authorize"),
            post(move |state, headers, body| authorize(version, state, headers, body)),
        )
        .route(
            &format!("{base}/signatures/signHash"),
            post(move |state, headers, body| sign_hash(version, state, headers, body)),
        )
}

/// A refusal or failure, as CSC clients expect it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    description: String,
}

impl ApiError {
    fn bad_request(description: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            description: description.into(),
        }
    }

    fn internal() -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "server_error",
            description: "the server failed; the request was not carried out".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code, "error_description": self.description });
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<CscError> for ApiError {
    fn from(error: CscError) -> ApiError {
        let (status, code) = match &error {
            CscError::BadLogin => (StatusCode::UNAUTHORIZED, "authentication_error"),
            CscError::BadToken => (StatusCode::UNAUTHORIZED, "invalid_token"),
            CscError::UnknownCredential => (StatusCode::BAD_REQUEST, "invalid_request"),
            CscError::Lockout(LockoutError::Locked { .. }) => {
                (StatusCode::FORBIDDEN, "credential_locked")
            }
            CscError::Lockout(_) => (StatusCode::BAD_REQUEST, "invalid_pin_or_otp"),
            CscError::Sad(SadError::Expired) => (StatusCode::BAD_REQUEST, "expired_sad"),
            CscError::Sad(_) => (StatusCode::BAD_REQUEST, "invalid_sad"),
            other if other.is_client_error() => (StatusCode::BAD_REQUEST, "invalid_request"),
            other => {
                tracing::error!(error = %other, source = ?std::error::Error::source(other).map(ToString::to_string), "remote signing failed");
                return ApiError::internal();
            }
        };
        ApiError {
            status,
            code,
            description: error.to_string(),
        }
    }
}

fn csc(state: &AppState) -> Result<Arc<CscState>, ApiError> {
    state.csc.clone().ok_or(ApiError {
        status: StatusCode::NOT_FOUND,
        code: "not_found",
        description: "remote signing is not enabled on this server".into(),
    })
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        tracing::error!(%error, "a remote-signing task failed");
        ApiError::internal()
    })?
}

/// The body, or the CSC error for one that could not be read (too large: 413).
fn body_of(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        let status = rejection.status();
        ApiError {
            status,
            code: "invalid_request",
            description: if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!(
                    "the request body is larger than {} bytes",
                    super::DEFAULT_BODY_LIMIT
                )
            } else {
                "the request body could not be read".into()
            },
        }
    })
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON body: {e}")))
}

fn bearer(headers: &HeaderMap) -> Result<Secret, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    match value {
        Some(token) if !token.trim().is_empty() => Ok(Secret::new(token.trim())),
        _ => Err(CscError::BadToken.into()),
    }
}

/// The user behind the request's bearer token.
fn user_of(csc: &CscState, headers: &HeaderMap, now: OffsetDateTime) -> Result<String, ApiError> {
    Ok(csc.service.authenticate(&bearer(headers)?, now)?)
}

fn decode_hashes(values: &[String], field: &str) -> Result<Vec<Vec<u8>>, ApiError> {
    if values.is_empty() || values.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!(
            "{field} must list 1 to {MAX_BATCH} base64 hashes"
        )));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            decode_base64(v)
                .ok_or_else(|| ApiError::bad_request(format!("{field}[{i}] is not base64")))
        })
        .collect()
}

fn decode_base64(value: &str) -> Option<Vec<u8>> {
    Base64::decode_vec(value)
        .ok()
        .or_else(|| Base64UrlUnpadded::decode_vec(value.trim_end_matches('=')).ok())
}

fn oid(value: &str, field: &str) -> Result<const_oid::ObjectIdentifier, ApiError> {
    value
        .parse()
        .map_err(|_| ApiError::bad_request(format!("{field} is not an OID")))
}

async fn info(version: Version) -> axum::Json<Value> {
    let (specs, challenge) = match version {
        Version::V1 => ("1.0.4.0", "credentials/sendOTP"),
        Version::V2 => ("2.0.0.2", "credentials/getChallenge"),
    };
    axum::Json(json!({
        "specs": specs,
        "name": "kyso",
        "logo": "",
        "region": "VN",
        "lang": "vi-VN",
        "description": "Dịch vụ ký số từ xa kyso (thử nghiệm) / kyso remote signing (test)",
        "authType": ["basic"],
        "methods": [
            "auth/login", "auth/revoke", "credentials/list", "credentials/info",
            challenge, "credentials/authorize", "signatures/signHash"
        ],
    }))
}

/// `auth/login` sits behind the public routes' per-address rate limit (`--rate-limit`), as
/// `/api/login` does: every attempt costs an Argon2id password check, so passwords can be
/// tried only as fast as the limit lets one address ask. Refused in CSC's error form.
async fn login_limit(
    State(limit): State<Arc<RateLimit>>,
    request: Request,
    next: Next,
) -> Response {
    match limit.wait_for(&request) {
        None => next.run(request).await,
        Some(wait) => {
            let mut response = ApiError {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "access_denied",
                description: format!(
                    "too many login attempts from this address; try again in {wait} s"
                ),
            }
            .into_response();
            RateLimit::retry_after(&mut response, wait);
            response
        }
    }
}

/// `auth/login`: HTTP Basic (RFC 7617) user:password → bearer token.
async fn login(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let csc = csc(&state)?;
    let unauthorized = || ApiError::from(CscError::BadLogin);
    let encoded = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .ok_or_else(unauthorized)?;
    let decoded = Base64::decode_vec(encoded.trim()).map_err(|_| unauthorized())?;
    let text = String::from_utf8(decoded).map_err(|_| unauthorized())?;
    let (user, password) = text.split_once(':').ok_or_else(unauthorized)?;
    let (user, password) = (user.to_owned(), Secret::new(password));
    let now = OffsetDateTime::now_utc();
    let (token, lifetime) = blocking(move || Ok(csc.service.login(&user, &password, now)?)).await?;
    Ok(axum::Json(json!({
        "access_token": token.expose(),
        "expires_in": lifetime.whole_seconds(),
    }))
    .into_response())
}

async fn revoke(State(state): State<AppState>, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    let csc = csc(&state)?;
    let token = bearer(&headers)?;
    csc.service
        .authenticate(&token, OffsetDateTime::now_utc())?;
    csc.service.logout(&token);
    Ok(StatusCode::NO_CONTENT)
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ListRequest {
        #[serde(rename = "userID")]
        user_id: Option<String>,
        max_results: Option<u32>,
    }
    let csc = csc(&state)?;
    let user = user_of(&csc, &headers, OffsetDateTime::now_utc())?;
    let request: ListRequest = parse(&body_of(body)?)?;
    // A token lists its own user's credentials only (CSC API v2 §11.4: userID is for
    // service-level authorization, which this server does not grant).
    if request.user_id.as_deref().is_some_and(|id| id != user) {
        return Err(ApiError {
            status: StatusCode::FORBIDDEN,
            code: "access_denied",
            description: "a user may list only their own credentials".into(),
        });
    }
    let mut ids = blocking(move || Ok(csc.service.list(&user)?)).await?;
    if let Some(max) = request.max_results {
        ids.truncate(max as usize);
    }
    Ok(axum::Json(json!({ "credentialIDs": ids })))
}

fn x509_time(time: &openssl::asn1::Asn1TimeRef) -> String {
    let seconds = openssl::asn1::Asn1Time::from_unix(0)
        .ok()
        .and_then(|epoch| epoch.diff(time).ok())
        .map(|d| i64::from(d.days) * 86_400 + i64::from(d.secs));
    seconds
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year][month][day][hour][minute][second]Z"
            ))
            .ok()
        })
        .unwrap_or_default()
}

fn distinguished_name(name: &openssl::x509::X509NameRef) -> String {
    let mut parts: Vec<String> = name
        .entries()
        .map(|entry| {
            let key = entry.object().nid().short_name().unwrap_or("?");
            let value = entry.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect();
    // RFC 4514 writes the most specific attribute first.
    parts.reverse();
    parts.join(",")
}

async fn credential_info(
    version: Version,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct InfoRequest {
        #[serde(rename = "credentialID")]
        credential_id: String,
        certificates: Option<String>,
        cert_info: Option<bool>,
        auth_info: Option<bool>,
    }
    let csc = csc(&state)?;
    let user = user_of(&csc, &headers, OffsetDateTime::now_utc())?;
    let request: InfoRequest = parse(&body_of(body)?)?;
    let id = request.credential_id.clone();
    let info = blocking(move || Ok(csc.service.info(&user, &id)?)).await?;
    let wanted = match request.certificates.as_deref().unwrap_or("single") {
        "none" => 0,
        "single" => 1,
        "chain" => info.certificates.len(),
        other => {
            return Err(ApiError::bad_request(format!(
                "certificates must be none, single or chain, not {other:?}"
            )));
        }
    };
    let mut cert = json!({
        "status": "valid",
        "certificates": info.certificates.iter().take(wanted).map(|c| Base64::encode_string(c)).collect::<Vec<_>>(),
    });
    if request.cert_info.unwrap_or(false)
        && let Some(leaf) = info
            .certificates
            .first()
            .and_then(|d| openssl::x509::X509::from_der(d).ok())
    {
        let serial = leaf
            .serial_number()
            .to_bn()
            .ok()
            .and_then(|bn| bn.to_hex_str().ok())
            .map(|s| s.to_string())
            .unwrap_or_default();
        cert["issuerDN"] = json!(distinguished_name(leaf.issuer_name()));
        cert["subjectDN"] = json!(distinguished_name(leaf.subject_name()));
        cert["serialNumber"] = json!(serial);
        cert["validFrom"] = json!(x509_time(leaf.not_before()));
        cert["validTo"] = json!(x509_time(leaf.not_after()));
    }
    let (len, curve) = match info.key {
        KeyKind::Rsa { bits } => (bits, None),
        KeyKind::EcP256 => (256, Some("1.2.840.10045.3.1.7")),
        KeyKind::EcP384 => (384, Some("1.3.132.0.34")),
    };
    let mut key = json!({
        "status": if info.locked { "disabled" } else { "enabled" },
        "algo": info.algorithms,
        "len": len,
    });
    if let Some(curve) = curve {
        key["curve"] = json!(curve);
    }
    let mut response = json!({
        "description": "Chứng thư số ký từ xa / remote signing credential",
        "key": key,
        "cert": cert,
        "SCAL": "2",
        "multisign": MAX_BATCH,
        "lang": "vi-VN",
    });
    let generator = if info.delivered_otp {
        "delivered"
    } else {
        "totp"
    };
    match version {
        Version::V2 => {
            response["authMode"] = json!("explicit");
            if request.auth_info.unwrap_or(true) {
                response["auth"] = json!({
                    "mode": "explicit",
                    "expression": "PIN AND OTP",
                    "objects": [
                        {"type": "Password", "id": "PIN", "format": "N", "label": "PIN",
                         "description": "Mã PIN ký số (6–12 chữ số) / signing PIN (6–12 digits)"},
                        {"type": "Password", "id": "OTP", "format": "N", "label": "OTP",
                         "generator": generator,
                         "description": if info.delivered_otp {
                             "Mã OTP gửi qua SMS/email sau credentials/getChallenge"
                         } else {
                             "Mã OTP từ ứng dụng xác thực (TOTP)"
                         }},
                    ],
                });
            }
        }
        Version::V1 => {
            response["authMode"] = json!("explicit");
            response["PIN"] = json!({"presence": "true", "format": "N", "label": "PIN",
                "description": "Mã PIN ký số / signing PIN"});
            response["OTP"] = json!({"presence": "true", "format": "N", "label": "OTP",
                "type": if info.delivered_otp { "online" } else { "offline" },
                "ID": generator, "provider": "kyso",
                "description": "Mã OTP / one-time password"});
        }
    }
    Ok(axum::Json(response))
}

#[derive(Deserialize)]
struct CredentialRequest {
    #[serde(rename = "credentialID")]
    credential_id: String,
}

async fn get_challenge(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let csc = csc(&state)?;
    let now = OffsetDateTime::now_utc();
    let user = user_of(&csc, &headers, now)?;
    let request: CredentialRequest = parse(&body_of(body)?)?;
    let sent =
        blocking(move || Ok(csc.service.challenge(&user, &request.credential_id, now)?)).await?;
    Ok(
        axum::Json(json!({ "sent": sent, "otpType": if sent { "delivered" } else { "totp" } }))
            .into_response(),
    )
}

async fn authorize(
    version: Version,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    #[derive(Deserialize)]
    struct AuthData {
        id: String,
        value: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct AuthorizeRequest {
        #[serde(rename = "credentialID")]
        credential_id: String,
        num_signatures: u32,
        // v2
        hashes: Option<Vec<String>>,
        #[serde(rename = "hashAlgorithmOID")]
        hash_algorithm_oid: Option<String>,
        auth_data: Option<Vec<AuthData>>,
        // v1
        hash: Option<Vec<String>>,
        hash_algo: Option<String>,
        #[serde(rename = "PIN")]
        pin: Option<String>,
        #[serde(rename = "OTP")]
        otp: Option<String>,
    }
    let csc = csc(&state)?;
    let now = OffsetDateTime::now_utc();
    let user = user_of(&csc, &headers, now)?;
    let request: AuthorizeRequest = parse(&body_of(body)?)?;
    let (hashes, algorithm, pin, otp) = match version {
        Version::V2 => {
            let mut pin = None;
            let mut otp = None;
            for item in request.auth_data.unwrap_or_default() {
                match item.id.as_str() {
                    "PIN" => pin = Some(item.value),
                    "OTP" => otp = Some(item.value),
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "authData has an unknown id {other:?}; this credential takes PIN and OTP"
                        )));
                    }
                }
            }
            let hashes = request
                .hashes
                .ok_or_else(|| ApiError::bad_request("hashes is required (SCAL2)"))?;
            let algorithm = request
                .hash_algorithm_oid
                .ok_or_else(|| ApiError::bad_request("hashAlgorithmOID is required"))?;
            (hashes, Some(algorithm), pin, otp)
        }
        Version::V1 => {
            let hashes = request
                .hash
                .ok_or_else(|| ApiError::bad_request("hash is required (SCAL2)"))?;
            (hashes, request.hash_algo, request.pin, request.otp)
        }
    };
    let field = if version == Version::V2 {
        "hashes"
    } else {
        "hash"
    };
    let hashes = decode_hashes(&hashes, field)?;
    if hashes.len() != request.num_signatures as usize {
        return Err(ApiError::bad_request(format!(
            "numSignatures is {} but {} hashes were given",
            request.num_signatures,
            hashes.len()
        )));
    }
    let hash_algorithm = algorithm.map(|a| oid(&a, "hashAlgorithmOID")).transpose()?;
    let (pin, otp) = match (pin, otp) {
        (Some(pin), Some(otp)) => (Secret::new(pin), Secret::new(otp)),
        _ => return Err(ApiError::bad_request("both PIN and OTP are required")),
    };
    let authorization = Authorization {
        hashes,
        hash_algorithm,
        num_signatures: request.num_signatures,
        pin,
        otp,
    };
    let id = request.credential_id;
    let sad = blocking(move || Ok(csc.service.authorize(&user, &id, authorization, now)?)).await?;
    Ok(axum::Json(json!({
        "SAD": sad.token.expose(),
        "expiresIn": sad.expires_in(now),
    })))
}

async fn sign_hash(
    version: Version,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct SignHashRequest {
        #[serde(rename = "credentialID")]
        credential_id: String,
        #[serde(rename = "SAD")]
        sad: String,
        hashes: Option<Vec<String>>,
        #[serde(rename = "hashAlgorithmOID")]
        hash_algorithm_oid: Option<String>,
        hash: Option<Vec<String>>,
        hash_algo: Option<String>,
        sign_algo: String,
        sign_algo_params: Option<String>,
        operation_mode: Option<String>,
    }
    let csc = csc(&state)?;
    let now = OffsetDateTime::now_utc();
    let user = user_of(&csc, &headers, now)?;
    let request: SignHashRequest = parse(&body_of(body)?)?;
    if request.operation_mode.as_deref().is_some_and(|m| m != "S") {
        return Err(ApiError::bad_request(
            "only synchronous signing (operationMode S) is offered",
        ));
    }
    let (hashes, algorithm, field) = match version {
        Version::V2 => (request.hashes, request.hash_algorithm_oid, "hashes"),
        Version::V1 => (request.hash, request.hash_algo, "hash"),
    };
    let hashes = decode_hashes(
        &hashes.ok_or_else(|| ApiError::bad_request(format!("{field} is required")))?,
        field,
    )?;
    let params = request
        .sign_algo_params
        .map(|p| {
            decode_base64(&p).ok_or_else(|| ApiError::bad_request("signAlgoParams is not base64"))
        })
        .transpose()?;
    let call = SignCall {
        user,
        credential_id: request.credential_id,
        sad: Secret::new(request.sad),
        hashes,
        hash_algorithm: algorithm,
        sign_algo: request.sign_algo,
        sign_algo_params: params,
        now,
    };
    if csc.service.placement().inline(call.hashes.len()) {
        // Short enough to sign here, on this runtime thread, with no hand-off to another
        // thread and back (see csc::placement); the worker is busy for about one signature.
        let signed = call.sign(&csc.service, "the thread that read it")?;
        let signatures = csc.service.record_signature(signed)?;
        return Ok(signatures_answer(&signatures));
    }
    // The call waits in the HSM threads' queue, as a task, not as a thread of its own. The
    // audit entry is written on a blocking thread, so that the HSM thread goes on to the next
    // call meanwhile; it is written even when the client has hung up, for the signature
    // exists by then.
    let (answer, answered) = tokio::sync::oneshot::channel();
    let runtime = tokio::runtime::Handle::current();
    let state = Arc::clone(&csc);
    csc.service
        .hsm_threads()
        .submit(move || match call.sign(&state.service, "an HSM thread") {
            Err(error) => {
                let _ = answer.send(Err(error));
            }
            Ok(signed) => {
                runtime.spawn_blocking(move || {
                    let _ = answer.send(state.service.record_signature(signed));
                });
            }
        })
        .map_err(|error| {
            tracing::error!(%error, "signHash cannot be carried out");
            ApiError::internal()
        })?;
    let signatures = answered.await.map_err(|_| ApiError::internal())??;
    Ok(signatures_answer(&signatures))
}

/// A checked signHash request, ready to be signed wherever it is placed.
struct SignCall {
    user: String,
    credential_id: String,
    sad: Secret,
    hashes: Vec<Vec<u8>>,
    hash_algorithm: Option<String>,
    sign_algo: String,
    sign_algo_params: Option<Vec<u8>>,
    now: OffsetDateTime,
}

impl SignCall {
    /// Signs on the calling thread (`place` names it for the debug log), and tells the
    /// service's placement how long the signing took there.
    fn sign(self, service: &CscService, place: &str) -> Result<Unrecorded, CscError> {
        let count = self.hashes.len();
        let request = SignRequest {
            hashes: self.hashes,
            hash_algorithm: self.hash_algorithm.as_deref(),
            sign_algo: &self.sign_algo,
            sign_algo_params: self.sign_algo_params,
        };
        let started = Stopwatch::start();
        let signed = service.sign_unrecorded(
            &self.user,
            &self.credential_id,
            &self.sad,
            request,
            self.now,
        )?;
        // Only signatures made are timed: refusals are quick and say nothing of the HSM.
        service.placement().observe(count, started);
        tracing::debug!(hashes = count, "signHash signed on {place}");
        Ok(signed)
    }
}

fn signatures_answer(signatures: &[Vec<u8>]) -> axum::Json<Value> {
    axum::Json(json!({
        "signatures": signatures.iter().map(|s| Base64::encode_string(s)).collect::<Vec<_>>(),
    }))
}

/// Checks the administrator's bearer token (constant-time).
fn admin(csc: &CscState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = &csc.admin_token else {
        return Err(ApiError {
            status: StatusCode::FORBIDDEN,
            code: "access_denied",
            description: "the admin routes are off: start the server with KYSO_ADMIN_TOKEN set"
                .into(),
        });
    };
    let given = bearer(headers)?;
    let a = openssl::sha::sha256(given.expose().as_bytes());
    let b = openssl::sha::sha256(expected.expose().as_bytes());
    if openssl::memcmp::eq(&a, &b) {
        Ok(())
    } else {
        Err(ApiError {
            status: StatusCode::FORBIDDEN,
            code: "access_denied",
            description: "this token is not the administrator's".into(),
        })
    }
}

async fn admin_enroll(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    #[derive(Deserialize)]
    struct EnrollRequest {
        cccd: String,
        name: String,
        pin: String,
        password: Option<String>,
        phone: Option<String>,
        email: Option<String>,
        key: Option<String>,
    }
    let csc = csc(&state)?;
    admin(&csc, &headers)?;
    let request: EnrollRequest = parse(&body_of(body)?)?;
    let otp = match (request.phone, request.email) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("give phone or email, not both")),
        (Some(address), None) | (None, Some(address)) => OtpChoice::Delivered { address },
        (None, None) => OtpChoice::Totp,
    };
    let key = match request.key.as_deref().unwrap_or("rsa-2048") {
        "rsa-2048" => HsmKeySpec::Rsa2048,
        "rsa-3072" => HsmKeySpec::Rsa3072,
        "ec-p256" => HsmKeySpec::EcP256,
        other => {
            return Err(ApiError::bad_request(format!(
                "key must be rsa-2048, rsa-3072 or ec-p256, not {other:?}"
            )));
        }
    };
    let enrollment = Enrollment {
        cccd: request.cccd,
        name: request.name,
        otp,
        pin: Secret::new(request.pin),
        password: request.password.map(Secret::new),
        key,
    };
    let now = OffsetDateTime::now_utc();
    let enrolled = blocking(move || {
        let ca = csc.ca.as_ref().ok_or(ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "server_error",
            description: "no CA is loaded for enrollment (start with --pki)".into(),
        })?;
        enroll::enroll(&csc.service, ca, enrollment, "admin", now).map_err(|e| match e {
            EnrollError::Service(inner) => ApiError::from(inner),
            EnrollError::Key(_) | EnrollError::Certificate(_) => {
                tracing::error!(error = %e, source = ?std::error::Error::source(&e).map(ToString::to_string), "enrollment failed");
                ApiError::internal()
            }
            client => ApiError::bad_request(client.to_string()),
        })
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "credentialID": enrolled.credential_id,
            "newAccount": enrolled.new_account,
            "certificate": Base64::encode_string(&enrolled.certificate),
            "totpUri": enrolled.totp_uri.as_ref().map(|u| u.expose().to_owned()),
        })),
    ))
}

async fn admin_unlock(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let csc = csc(&state)?;
    admin(&csc, &headers)?;
    let now = OffsetDateTime::now_utc();
    blocking(move || Ok(csc.service.unlock("admin", &id, now)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct OutboxQuery {
    credential: Option<String>,
    limit: Option<u32>,
}

/// The demo outbox: what would have gone out by SMS or e-mail.
async fn admin_outbox(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<OutboxQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let csc = csc(&state)?;
    admin(&csc, &headers)?;
    let limit = query.limit.unwrap_or(20).min(200);
    let messages = blocking(move || {
        csc.service
            .directory()
            .outbox(query.credential.as_deref(), limit)
            .map_err(|e| ApiError::from(CscError::Store(e)))
    })
    .await?;
    Ok(axum::Json(json!({ "messages": messages })))
}
