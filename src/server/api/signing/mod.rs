//! Signing documents through the API: an officer signs with the agency's PKCS#11 key
//! ([`officer`]) or with their own token in two steps ([`two_step`]), certifies a result
//! (DocMDP), a citizen logs in and signs remotely through the CSC API with PIN + OTP
//! ([`citizen`]), and an earlier signed document is reused in a new dossier after it verifies
//! again ([`reuse`]). Every signature is a new version of the document. The PAdES work is
//! `sign::sign_pdf`'s; TSA and revocation answers come from the server's own trust services
//! when the certificates name them ([`fetch`]).

pub mod agency;
pub mod citizen;
pub mod fetch;
pub mod officer;
pub mod reuse;
mod sessions;
pub mod two_step;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::{OpenApi, ToSchema};

use super::ApiError;
use crate::server::{AppState, TrustServices};
use crate::sign::online::{HttpTimeStamper, OnlineRevocation};
use crate::sign::pades::PadesError;
use crate::sign::{
    DocMdpPermission, PadesLevel, Services, SignError, SignOptions, Signer, SignerError,
    TimeStamper, appearance,
};
use crate::store::audit::AuditLog;
use crate::store::blobs::BlobStore;
use crate::store::dossiers::{DocumentRow, Dossiers, NewVersion};

use fetch::TrustFetcher;
use sessions::Sessions;

/// Liberation Serif 2 (Debian fonts-liberation2): Times New Roman metrics with Vietnamese,
/// as Circular 05/2025/TT-BNV asks for the agency's stamp.
pub const DEFAULT_STAMP_FONT: &str =
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf";

/// At most this many sessions of each kind are kept.
const MAX_SESSIONS: usize = 4096;

#[derive(OpenApi)]
#[openapi(
    paths(
        officer::sign,
        officer::certify,
        two_step::prepare,
        two_step::complete,
        citizen::login,
        citizen::remote_sign,
        citizen::remote_sign_complete,
        reuse::reuse,
    ),
    components(schemas(
        Level,
        officer::SignBody,
        officer::CertifyBody,
        officer::Permission,
        two_step::PrepareBody,
        two_step::Scheme,
        two_step::Prepared,
        two_step::CompleteBody,
        citizen::LoginBody,
        citizen::LoginAnswer,
        citizen::RemoteSignBody,
        citizen::RemoteSignStarted,
        citizen::OtpDelivery,
        citizen::RemoteSignComplete,
        reuse::ReuseBody,
    ))
)]
pub struct Api;

/// The signing routes; `/api/login` sits behind the public routes' rate limit.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/api/login",
            post(citizen::login).layer(axum::middleware::from_fn_with_state(
                Arc::clone(&state.rate_limit),
                super::limit::enforce,
            )),
        )
        .route("/api/documents/{id}/sign", post(officer::sign))
        .route("/api/documents/{id}/certify", post(officer::certify))
        .route("/api/documents/{id}/sign/prepare", post(two_step::prepare))
        .route(
            "/api/documents/{id}/sign/complete",
            post(two_step::complete),
        )
        .route(
            "/api/documents/{id}/remote-sign",
            post(citizen::remote_sign),
        )
        .route(
            "/api/documents/{id}/remote-sign/complete",
            post(citizen::remote_sign_complete),
        )
        .route("/api/dossiers/{id}/reuse", post(reuse::reuse))
}

/// How the signing side of the server is set up.
pub struct SigningConfig {
    /// The agency's key, or the words saying why there is none and how to configure it.
    pub agency: Result<Arc<dyn Signer>, String>,
    /// The server's own trust services (OCSP, CRL, TSA), answered in process.
    pub trust: Option<Arc<TrustServices>>,
    /// Base URLs whose trust-service addresses are answered in process: the server's public
    /// URL and the base URL the PKI's certificates name.
    pub own_urls: Vec<String>,
    /// The server's public base URL; its `/tsa` is the time-stamping service.
    pub public_url: String,
    /// The CSC API service citizens log in to; `None` turns login and remote signing off.
    pub csc_url: Option<String>,
    /// Trust anchors (DER): they complete signers' chains, and reused documents must verify
    /// to them.
    pub anchors: Vec<Vec<u8>>,
    pub stamp_font: PathBuf,
}

/// The signing side of the application state.
pub struct SigningService {
    agency: Result<Arc<dyn Signer>, String>,
    trust: Option<Arc<TrustServices>>,
    origins: Vec<String>,
    tsa_url: Option<String>,
    csc_url: Option<String>,
    anchors: Vec<Vec<u8>>,
    stamp_font: Option<Arc<Vec<u8>>>,
    prepared: Sessions<two_step::PreparedSession>,
    logins: Sessions<citizen::CscLogin>,
    challenges: Sessions<citizen::Challenge>,
}

impl std::fmt::Debug for SigningService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningService")
            .field("agency", &self.agency.is_ok())
            .field("tsa", &self.tsa_url)
            .field("csc", &self.csc_url)
            .finish_non_exhaustive()
    }
}

impl SigningService {
    pub fn new(config: SigningConfig) -> SigningService {
        let mut origins: Vec<String> = config
            .own_urls
            .iter()
            .chain(std::iter::once(&config.public_url))
            .filter_map(|url| fetch::origin_of(url))
            .collect();
        origins.sort();
        origins.dedup();
        let tsa_url = config
            .trust
            .as_ref()
            .filter(|trust| trust.has_tsa())
            .map(|_| format!("{}/tsa", config.public_url.trim_end_matches('/')));
        let stamp_font = match std::fs::read(&config.stamp_font) {
            Ok(font) => Some(Arc::new(font)),
            Err(error) => {
                tracing::warn!(
                    font = %config.stamp_font.display(),
                    %error,
                    "visible signature stamps are off: the font cannot be read"
                );
                None
            }
        };
        SigningService {
            agency: config.agency,
            trust: config.trust,
            origins,
            tsa_url,
            csc_url: config.csc_url,
            anchors: config.anchors,
            stamp_font,
            prepared: Sessions::new(MAX_SESSIONS),
            logins: Sessions::new(MAX_SESSIONS),
            challenges: Sessions::new(MAX_SESSIONS),
        }
    }

    /// Whether the agency's key is ready.
    pub fn has_agency_key(&self) -> bool {
        self.agency.is_ok()
    }

    fn agency(&self) -> Result<Arc<dyn Signer>, ApiError> {
        self.agency.clone().map_err(|why| {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "signing_unavailable", why)
        })
    }

    /// The level used when a request names none: B-LT when a TSA and revocation answers are
    /// at hand, else B-B.
    fn default_level(&self) -> PadesLevel {
        match (&self.tsa_url, &self.trust) {
            (Some(_), Some(_)) => PadesLevel::BLt,
            _ => PadesLevel::BB,
        }
    }

    fn level(&self, asked: Option<Level>) -> Result<PadesLevel, ApiError> {
        let level = asked.map_or(self.default_level(), Level::pades);
        if level > PadesLevel::BB && self.tsa_url.is_none() {
            return Err(ApiError::unprocessable(
                "level_unavailable",
                format!(
                    "{} needs a time-stamping service and this server has none; ask for b-b \
                     or start kyso serve with a PKI folder that has a TSA",
                    level.name()
                ),
            ));
        }
        Ok(level)
    }

    fn fetcher(&self) -> TrustFetcher<'_> {
        TrustFetcher::new(self.trust.as_ref(), &self.origins)
    }

    /// Signs `original` with `signer` as `how` says; the signed file.
    fn sign_pdf(
        &self,
        original: &[u8],
        signer: &dyn Signer,
        how: &How,
        now: OffsetDateTime,
    ) -> Result<Vec<u8>, SignError> {
        let fetcher = self.fetcher();
        let tsa = self
            .tsa_url
            .as_deref()
            .map(|url| HttpTimeStamper::new(url, &fetcher));
        let revocation = OnlineRevocation::new(&fetcher, now, how.level >= PadesLevel::BLt);
        let stamp = match (how.stamp, &self.stamp_font) {
            (true, Some(font)) => Some((
                Arc::clone(font),
                stamp_text(signer.certificate_chain(), now),
            )),
            _ => None,
        };
        let draw =
            |page_box: [f64; 4], rotate: u16, alloc: &mut crate::pdf::object::RefAllocator| {
                let Some((font, text)) = &stamp else {
                    return Err("no stamp font".to_owned());
                };
                appearance::stamp(text, font, page_box, i32::from(rotate), alloc)
                    .map(|a| crate::sign::pades::VisibleSignature {
                        rect: a.rect,
                        normal: a.normal,
                        objects: a.objects,
                    })
                    .map_err(|e| e.to_string())
            };
        let mut options = SignOptions::new(now);
        options.level = how.level;
        options.scheme = how.scheme;
        options.reason = how.reason.clone();
        options.location = how.location.clone();
        options.certify = how.certify;
        options.extra_certificates = self.anchors.clone();
        if stamp.is_some() {
            options.appearance = Some(&draw);
        }
        let services = Services {
            tsa: tsa.as_ref().map(|t| t as &dyn TimeStamper),
            revocation: Some(&revocation),
        };
        crate::sign::sign_pdf(original, signer, &options, services)
    }

    fn stamp_available(&self, wanted: bool) -> Result<bool, ApiError> {
        if wanted && self.stamp_font.is_none() {
            return Err(ApiError::unprocessable(
                "stamp_unavailable",
                format!(
                    "a visible stamp needs the font {DEFAULT_STAMP_FONT} (Debian package \
                     fonts-liberation2); sign without stamp or install it"
                ),
            ));
        }
        Ok(wanted)
    }
}

/// A PAdES baseline level (ETSI EN 319 142-1 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
pub enum Level {
    #[serde(rename = "b-b")]
    BB,
    #[serde(rename = "b-t")]
    BT,
    #[serde(rename = "b-lt")]
    BLt,
    #[serde(rename = "b-lta")]
    BLta,
}

impl Level {
    fn pades(self) -> PadesLevel {
        match self {
            Level::BB => PadesLevel::BB,
            Level::BT => PadesLevel::BT,
            Level::BLt => PadesLevel::BLt,
            Level::BLta => PadesLevel::BLta,
        }
    }
}

/// How to sign: what goes into `SignOptions` besides the key and the clock.
#[derive(Debug, Clone)]
struct How {
    level: PadesLevel,
    scheme: Option<crate::sign::SignatureScheme>,
    reason: Option<String>,
    location: Option<String>,
    stamp: bool,
    certify: Option<DocMdpPermission>,
}

impl How {
    fn plain(level: PadesLevel) -> How {
        How {
            level,
            scheme: None,
            reason: None,
            location: None,
            stamp: false,
            certify: None,
        }
    }
}

/// The signing service, or 503 when the server runs without one.
fn service(state: &AppState) -> Result<Arc<SigningService>, ApiError> {
    state.signing.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "signing_unavailable",
            "signing is not set up on this server",
        )
    })
}

/// An optional free text (reason, location): trimmed, 1–200 characters, no control
/// characters; empty counts as absent.
fn optional_text(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > 200 || value.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "{field} must have at most 200 characters and no control characters"
        )));
    }
    Ok(Some(value))
}

/// A signing failure as an answer: the client's problems as 4xx with the words that say what
/// to do, the server's as 5xx.
fn sign_error(error: SignError) -> ApiError {
    let words = chain_words(&error);
    match error {
        SignError::Certificate(_) => ApiError::unprocessable("certificate_unusable", words),
        SignError::Revoked { .. } => ApiError::unprocessable("certificate_revoked", words),
        SignError::SchemeNotAllowed { .. }
        | SignError::NoTimeStamper { .. }
        | SignError::NoRevocationSource { .. } => ApiError::unprocessable("invalid_request", words),
        SignError::Pdf(PadesError::CertifyNotFirst { .. }) => ApiError::conflict(
            "a certification signature must be the first signature; this document is \
             already signed",
        ),
        SignError::Pdf(_) => ApiError::unprocessable("pdf_unusable", words),
        SignError::Key(SignerError::Refused { reason }) => {
            ApiError::new(StatusCode::BAD_REQUEST, "signing_refused", reason)
        }
        SignError::Key(SignerError::SchemeNotSupported { .. }) => {
            ApiError::unprocessable("invalid_request", words)
        }
        SignError::RevocationUnavailable { .. }
        | SignError::TimeStamp { .. }
        | SignError::ValidationData { .. }
        | SignError::Key(_) => {
            tracing::error!(error = %words, "a signing service failed");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "service_unavailable",
                format!("a service the signature needs failed: {words}"),
            )
        }
        other => ApiError::internal(chain_words(&other)),
    }
}

/// An error and its causes in one line.
fn chain_words(error: &dyn std::error::Error) -> String {
    let mut words = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !words.contains(&text) {
            words.push_str(": ");
            words.push_str(&text);
        }
        source = cause.source();
    }
    words
}

/// The stamp's text from the signer's certificate: CN, O, and the time in Vietnam.
fn stamp_text(chain: &[Vec<u8>], now: OffsetDateTime) -> appearance::StampText {
    let leaf = chain
        .first()
        .and_then(|der| openssl::x509::X509::from_der(der).ok());
    let entry = |nid| {
        let cert = leaf.as_ref()?;
        let entry = cert.subject_name().entries_by_nid(nid).next()?;
        entry.data().to_string().ok()
    };
    appearance::StampText {
        signer: entry(openssl::nid::Nid::COMMONNAME).unwrap_or_default(),
        organization: entry(openssl::nid::Nid::ORGANIZATIONNAME),
        signed_at: appearance::signing_time_text(now),
    }
}

/// The latest version's bytes of `document_id` (blocking).
fn latest(
    dossiers: &Dossiers,
    blobs: &BlobStore,
    document_id: &str,
) -> Result<(DocumentRow, Vec<u8>), ApiError> {
    let document = dossiers
        .document(document_id)?
        .ok_or_else(|| ApiError::not_found("document"))?;
    let bytes = blobs.get(&document.sha256)?;
    Ok((document, bytes))
}

/// Stores `signed` as the version after `expected` (blocking); `None` when another version
/// came first.
fn store_version(
    dossiers: &Dossiers,
    blobs: &BlobStore,
    document_id: &str,
    expected: u32,
    signed: &[u8],
    action: &str,
    actor: &str,
) -> Result<Option<DocumentRow>, ApiError> {
    let sha256 = blobs.put(signed)?;
    Ok(dossiers.add_version(
        document_id,
        expected,
        &NewVersion {
            sha256: &sha256,
            size: signed.len() as u64,
            action,
            actor,
        },
        OffsetDateTime::now_utc(),
    )?)
}

/// Appends to the audit log; a failure is logged, as the work itself is done.
fn audit(
    store: &crate::store::Store,
    actor: &str,
    action: &str,
    subject: &str,
    details: serde_json::Value,
) {
    let log = AuditLog::new(store);
    if let Err(error) = log.append(OffsetDateTime::now_utc(), actor, action, subject, &details) {
        tracing::error!(%error, action, "cannot append to the audit log");
    }
}

/// Decodes standard or URL-safe base64.
fn decode_base64(field: &str, value: &str) -> Result<Vec<u8>, ApiError> {
    use base64ct::{Base64, Base64UrlUnpadded, Encoding};
    let value = value.trim();
    Base64::decode_vec(value)
        .ok()
        .or_else(|| Base64UrlUnpadded::decode_vec(value.trim_end_matches('=')).ok())
        .ok_or_else(|| ApiError::bad_request(format!("{field} is not base64")))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, header};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;
    use crate::server::app;
    use crate::store::Store;
    use crate::store::dossiers::{DocumentKind, NewDocument, Role};

    fn without_keys() -> SigningService {
        SigningService::new(SigningConfig {
            agency: Err(agency::HOW_TO_CONFIGURE.to_owned()),
            trust: None,
            own_urls: Vec::new(),
            public_url: "http://127.0.0.1:1".into(),
            csc_url: None,
            anchors: Vec::new(),
            stamp_font: PathBuf::from(DEFAULT_STAMP_FONT),
        })
    }

    async fn post(state: AppState, uri: &str, token: Option<&str>, body: &str) -> (u16, String) {
        let mut request = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = app(state)
            .oneshot(request.body(Body::from(body.to_owned())).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn without_an_agency_key_or_remote_signing_the_answer_says_how_to_set_them_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let dossiers = Dossiers::new(&store);
        let now = OffsetDateTime::now_utc();
        let (_, officer) = dossiers
            .create_token(Role::Officer, "officer", None, None, now)
            .unwrap();
        let dossier = dossiers
            .create_dossier("1.0", "An", "001089012345", "test", now)
            .unwrap();
        let pdf = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/ket-qua-quyet-dinh.pdf"),
        )
        .unwrap();
        let sha256 = BlobStore::new(dir.path()).put(&pdf).unwrap();
        let document = dossiers
            .add_document(
                &NewDocument {
                    dossier_id: &dossier.id,
                    kind: DocumentKind::Result,
                    title: "Kết quả",
                    source: None,
                    sha256: &sha256,
                    size: pdf.len() as u64,
                    action: "upload",
                    actor: "test",
                    page_texts: &[],
                    pages: 1,
                },
                now,
            )
            .unwrap();
        let mut state = AppState::new(store);
        let uri = format!("/api/documents/{}/sign", document.id);
        // No signing service at all.
        let (status, _) = post(state.clone(), &uri, Some(&officer), "{}").await;
        assert_eq!(status, 503);
        state.signing = Some(Arc::new(without_keys()));
        let (status, body) = post(state.clone(), &uri, Some(&officer), "{}").await;
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("--agency-pkcs11-module"), "{body}");
        // Without a TSA, only B-B can be asked for.
        let (status, body) = post(state.clone(), &uri, Some(&officer), r#"{"level":"b-t"}"#).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("level_unavailable"), "{body}");
        let (status, body) = post(
            state.clone(),
            "/api/login",
            None,
            r#"{"cccd":"001089012345","password":"x"}"#,
        )
        .await;
        assert_eq!(status, 503, "{body}");
        let (status, _) = post(state, "/api/login", None, r#"{"cccd":"1","password":"x"}"#).await;
        assert_eq!(status, 503, "remote signing off comes first");
    }

    #[test]
    fn every_signing_route_is_described_with_its_answers() {
        let json: serde_json::Value =
            serde_json::from_str(&super::super::openapi_document().to_json().unwrap()).unwrap();
        for (path, statuses) in [
            (
                "/api/documents/{id}/sign",
                &["200", "403", "409", "503"][..],
            ),
            ("/api/documents/{id}/certify", &["200", "409", "422"][..]),
            ("/api/documents/{id}/sign/prepare", &["200", "422"][..]),
            (
                "/api/documents/{id}/sign/complete",
                &["200", "404", "422"][..],
            ),
            ("/api/login", &["200", "401", "429"][..]),
            (
                "/api/documents/{id}/remote-sign",
                &["200", "401", "404"][..],
            ),
            (
                "/api/documents/{id}/remote-sign/complete",
                &["200", "400", "409"][..],
            ),
            ("/api/dossiers/{id}/reuse", &["201", "409", "422"][..]),
        ] {
            let responses = &json["paths"][path]["post"]["responses"];
            for status in statuses {
                assert!(responses[status].is_object(), "{path} {status}");
            }
        }
    }
}
