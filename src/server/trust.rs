//! Trust services for the test PKI: POST /tsa, GET and POST /ocsp, /crl/<ca>.crl and
//! /ca/<ca>.cer. The services are built from values the caller loaded (`kyso serve --pki`);
//! the answers themselves come from `pki::crl` and `pki::ocsp`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use openssl::pkey::{PKey, Private};
use time::OffsetDateTime;

use super::AppState;
use crate::pki::crl::{self, DatabaseEntry};
use crate::pki::ocsp::{self, OcspResponder};
use crate::pki::tsa::TimeStampAuthority;

/// OCSP requests and time-stamp queries are a few hundred bytes; this is generous.
const BODY_LIMIT: usize = 64 * 1024;

/// How long a CRL served here stays current (its nextUpdate).
const CRL_VALIDITY: time::Duration = time::Duration::days(7);

const CRL_TYPE: &str = "application/pkix-crl";
const CERT_TYPE: &str = "application/pkix-cert";
const OCSP_RESPONSE_TYPE: &str = "application/ocsp-response";
const TIMESTAMP_REPLY_TYPE: &str = "application/timestamp-reply";

/// Why trust services could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    #[error("'{slug}' is not a usable CA name: use lowercase letters, digits and '-'")]
    InvalidSlug { slug: String },
    #[error("the certificate of CA '{slug}' cannot be read ({source})")]
    MalformedCertificate {
        slug: String,
        #[source]
        source: openssl::error::ErrorStack,
    },
    #[error("the private key of CA '{slug}' does not belong to its certificate")]
    KeyMismatch { slug: String },
    #[error("CA '{slug}' is already configured")]
    Duplicate { slug: String },
}

/// One CA whose CRL and certificate are served.
struct CaService {
    certificate: Vec<u8>,
    key: PKey<Private>,
    entries: Vec<DatabaseEntry>,
}

/// The CAs, OCSP responders and time-stamping authority `kyso serve` answers for.
#[derive(Default)]
pub struct TrustServices {
    cas: BTreeMap<String, CaService>,
    responders: Vec<OcspResponder>,
    tsa: Option<TimeStampAuthority>,
}

impl std::fmt::Debug for TrustServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys stay out of logs.
        f.debug_struct("TrustServices")
            .field("cas", &self.cas.keys().collect::<Vec<_>>())
            .field("ocsp_responders", &self.responders.len())
            .field("tsa", &self.tsa.is_some())
            .finish_non_exhaustive()
    }
}

impl TrustServices {
    pub fn new() -> TrustServices {
        TrustServices::default()
    }

    /// Serves `/crl/<slug>.crl` (issued from `entries` with `key`) and `/ca/<slug>.cer`.
    pub fn add_ca(
        &mut self,
        slug: &str,
        certificate_der: Vec<u8>,
        key: PKey<Private>,
        entries: Vec<DatabaseEntry>,
    ) -> Result<(), TrustError> {
        let valid_slug = !slug.is_empty()
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_slug {
            return Err(TrustError::InvalidSlug {
                slug: slug.to_owned(),
            });
        }
        if self.cas.contains_key(slug) {
            return Err(TrustError::Duplicate {
                slug: slug.to_owned(),
            });
        }
        let malformed = |source| TrustError::MalformedCertificate {
            slug: slug.to_owned(),
            source,
        };
        let certificate = openssl::x509::X509::from_der(&certificate_der).map_err(malformed)?;
        let public = certificate.public_key().map_err(malformed)?;
        if !key.public_eq(&public) {
            return Err(TrustError::KeyMismatch {
                slug: slug.to_owned(),
            });
        }
        self.cas.insert(
            slug.to_owned(),
            CaService {
                certificate: certificate_der,
                key,
                entries,
            },
        );
        Ok(())
    }

    /// Answers OCSP requests about certificates of `responder`'s CA.
    pub fn add_ocsp_responder(&mut self, responder: OcspResponder) {
        self.responders.push(responder);
    }

    /// Answers POST /tsa.
    pub fn set_tsa(&mut self, tsa: TimeStampAuthority) {
        self.tsa = Some(tsa);
    }

    pub fn has_tsa(&self) -> bool {
        self.tsa.is_some()
    }

    /// A TimeStampResp to `request_der` (RFC 3161 §2.4.2) with a random serial number, or
    /// `None` without a TSA.
    pub fn timestamp(&self, request_der: &[u8], now: OffsetDateTime) -> Option<Vec<u8>> {
        let tsa = self.tsa.as_ref()?;
        // §2.4.2: unique per token; 127 random bits are unique without keeping state.
        let mut random = [0u8; 16];
        if openssl::rand::rand_bytes(&mut random).is_err() {
            tracing::error!("no random serial number for a time-stamp token");
            return None;
        }
        let serial = u128::from_be_bytes(random) >> 1;
        Some(tsa.respond(request_der, now, serial))
    }

    /// The configured CA names, in order.
    pub fn ca_slugs(&self) -> impl Iterator<Item = &str> {
        self.cas.keys().map(String::as_str)
    }

    pub fn ocsp_responder_count(&self) -> usize {
        self.responders.len()
    }

    /// A fresh CRL for `slug` with thisUpdate `now`, or `None` for an unknown CA.
    pub fn crl(&self, slug: &str, now: OffsetDateTime) -> Option<Result<Vec<u8>, crl::CrlError>> {
        let ca = self.cas.get(slug)?;
        Some(crl::issue_crl(
            &ca.certificate,
            &ca.key,
            &ca.entries,
            now,
            now + CRL_VALIDITY,
        ))
    }

    /// The DER certificate of `slug`.
    pub fn ca_certificate(&self, slug: &str) -> Option<&[u8]> {
        self.cas.get(slug).map(|ca| ca.certificate.as_slice())
    }

    /// An OCSPResponse to `request_der` from the responder of the CA that issued the
    /// certificate asked about.
    pub fn ocsp(&self, request_der: &[u8], now: OffsetDateTime) -> Vec<u8> {
        ocsp::respond(&self.responders, request_der, now)
    }
}

/// The trust routes; they answer 404 when `kyso serve` runs without a PKI folder.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tsa", axum::routing::post(tsa_post))
        .route("/ocsp", axum::routing::post(ocsp_post))
        .route("/ocsp/{*request}", get(ocsp_get))
        .route("/crl/{file}", get(crl_file))
        .route("/ca/{file}", get(ca_file))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// What a trust route answers when it has no DER to give: client errors say what is missing,
/// internal ones are logged where they happen and shown as a bare 500.
#[derive(Debug)]
enum RouteError {
    NotServed(&'static str),
    Unavailable,
    Internal,
}

impl IntoResponse for RouteError {
    fn into_response(self) -> Response {
        match self {
            RouteError::NotServed(what) => (
                StatusCode::NOT_FOUND,
                format!("{what} is not served here\n"),
            )
                .into_response(),
            RouteError::Unavailable => StatusCode::SERVICE_UNAVAILABLE.into_response(),
            RouteError::Internal => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
}

fn services(state: &AppState) -> Result<Arc<TrustServices>, RouteError> {
    state
        .trust
        .clone()
        .ok_or(RouteError::NotServed("this trust service"))
}

/// Runs CPU work (signing) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, RouteError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        tracing::error!(%error, "a trust service task failed");
        RouteError::Internal
    })
}

fn der_response(content_type: &'static str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Made fresh on every request; a cache would only serve them stale.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// RFC 3161 §3.4: POST a DER TimeStampReq, get a DER TimeStampResp.
async fn tsa_post(State(state): State<AppState>, body: Bytes) -> Result<Response, RouteError> {
    let trust = services(&state)?;
    if !trust.has_tsa() {
        return Err(RouteError::NotServed("a time-stamping authority"));
    }
    let now = OffsetDateTime::now_utc();
    let reply = blocking(move || trust.timestamp(&body, now))
        .await?
        .ok_or(RouteError::Unavailable)?;
    Ok(der_response(TIMESTAMP_REPLY_TYPE, reply))
}

/// RFC 6960 Appendix A.1: POST with the DER OCSPRequest as body.
async fn ocsp_post(State(state): State<AppState>, body: Bytes) -> Result<Response, RouteError> {
    answer_ocsp(services(&state)?, body.to_vec()).await
}

/// RFC 6960 Appendix A.1: GET /ocsp/{url-encoded base64 of the DER OCSPRequest}. The router
/// has already percent-decoded the path; a base64 '/' may have split it into segments, which
/// the wildcard keeps together.
async fn ocsp_get(
    State(state): State<AppState>,
    Path(encoded): Path<String>,
) -> Result<Response, RouteError> {
    let trust = services(&state)?;
    let cleaned: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    // Undecodable base64 is a malformed request, answered in OCSP's own terms (§2.3).
    let request = openssl::base64::decode_block(&cleaned).unwrap_or_default();
    answer_ocsp(trust, request).await
}

async fn answer_ocsp(trust: Arc<TrustServices>, request: Vec<u8>) -> Result<Response, RouteError> {
    let now = OffsetDateTime::now_utc();
    let body = blocking(move || trust.ocsp(&request, now)).await?;
    Ok(der_response(OCSP_RESPONSE_TYPE, body))
}

async fn crl_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, RouteError> {
    let trust = services(&state)?;
    let slug = file
        .strip_suffix(".crl")
        .map(str::to_owned)
        .ok_or(RouteError::NotServed("this file"))?;
    let now = OffsetDateTime::now_utc();
    let crl = blocking(move || trust.crl(&slug, now))
        .await?
        .ok_or(RouteError::NotServed("this CA"))?
        .map_err(|error| {
            tracing::error!(%error, "cannot issue a CRL");
            RouteError::Internal
        })?;
    Ok(der_response(CRL_TYPE, crl))
}

async fn ca_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, RouteError> {
    let trust = services(&state)?;
    let certificate = file
        .strip_suffix(".cer")
        .and_then(|slug| trust.ca_certificate(slug))
        .ok_or(RouteError::NotServed("this CA"))?;
    Ok(der_response(CERT_TYPE, certificate.to_vec()))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use openssl::x509::X509;
    use tower::ServiceExt;

    use super::*;
    use crate::pki::crl::{Crl, parse_database};
    use crate::pki::ocsp::{CertIdHash, CertificateStatus};
    use crate::server::app;
    use crate::store::Store;

    fn read(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/certs/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn cert(path: &str) -> Vec<u8> {
        X509::from_pem(&read(path)).unwrap().to_der().unwrap()
    }

    fn services() -> TrustServices {
        let mut trust = TrustServices::new();
        let entries =
            parse_database(std::str::from_utf8(&read("ca/public-ca.index.txt")).unwrap()).unwrap();
        trust
            .add_ca(
                "public-ca",
                cert("ca/public-ca.pem"),
                PKey::private_key_from_pem(&read("ca/public-ca.key.pem")).unwrap(),
                entries.clone(),
            )
            .unwrap();
        trust.add_ocsp_responder(
            OcspResponder::new(
                &cert("ca/public-ca.pem"),
                PKey::private_key_from_pem(&read("services/public-ca-ocsp.key.pem")).unwrap(),
                &cert("services/public-ca-ocsp.pem"),
                entries,
            )
            .unwrap(),
        );
        trust
    }

    async fn call(
        trust: Option<TrustServices>,
        request: Request<Body>,
    ) -> (StatusCode, String, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState {
            trust: trust.map(Arc::new),
            ..AppState::new(Store::open(dir.path()).unwrap())
        };
        let response = app(state).oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, content_type, body)
    }

    #[tokio::test]
    async fn serves_crl_and_ca_certificate() {
        let (status, content_type, body) = call(
            Some(services()),
            Request::get("/crl/public-ca.crl")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!((status, content_type.as_str()), (StatusCode::OK, CRL_TYPE));
        let crl = Crl::from_der(&body).unwrap();
        crl.check(&cert("ca/public-ca.pem"), OffsetDateTime::now_utc())
            .unwrap();
        assert_eq!(crl.revoked_count(), 1);

        let (status, content_type, body) = call(
            Some(services()),
            Request::get("/ca/public-ca.cer")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!((status, content_type.as_str()), (StatusCode::OK, CERT_TYPE));
        assert_eq!(body, cert("ca/public-ca.pem"));

        for path in [
            "/crl/nope.crl",
            "/ca/nope.cer",
            "/crl/public-ca",
            "/ca/public-ca.crl",
        ] {
            let (status, _, _) = call(
                Some(services()),
                Request::get(path).body(Body::empty()).unwrap(),
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
        let (status, _, _) = call(
            Some(services()),
            Request::post("/tsa").body(Body::from("x")).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "no TSA configured");
        let (status, _, _) = call(
            None,
            Request::get("/crl/public-ca.crl")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn answers_ocsp_by_post_and_get() {
        let leaf = cert("signers/citizen-le-hoang-phuc.pem");
        let issuer = cert("ca/public-ca.pem");
        let request = ocsp::request(&leaf, &issuer, CertIdHash::Sha1, None).unwrap();
        let (status, content_type, body) = call(
            Some(services()),
            Request::post("/ocsp")
                .header(header::CONTENT_TYPE, "application/ocsp-request")
                .body(Body::from(request.clone()))
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::OK, OCSP_RESPONSE_TYPE)
        );
        let answer =
            ocsp::parse_response(&body, &leaf, &issuer, OffsetDateTime::now_utc()).unwrap();
        assert!(matches!(answer.status, CertificateStatus::Revoked(_)));

        // GET with the base64 percent-encoded, '/' included.
        let encoded = openssl::base64::encode_block(&request)
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        let (status, _, body) = call(
            Some(services()),
            Request::get(format!("/ocsp/{encoded}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        ocsp::parse_response(&body, &leaf, &issuer, OffsetDateTime::now_utc()).unwrap();

        // Garbage: an OCSP malformedRequest, not a server error.
        let (status, _, body) = call(
            Some(services()),
            Request::post("/ocsp").body(Body::from("hello")).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, [0x30, 0x03, 0x0a, 0x01, 0x01]);
        let (status, _, body) = call(
            Some(services()),
            Request::get("/ocsp/not-base64!")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, [0x30, 0x03, 0x0a, 0x01, 0x01]);
    }

    #[test]
    fn bad_configuration_is_refused() {
        let mut trust = services();
        let key = || PKey::private_key_from_pem(&read("ca/government-ca.key.pem")).unwrap();
        assert!(matches!(
            trust.add_ca("government-ca", cert("ca/public-ca.pem"), key(), vec![]),
            Err(TrustError::KeyMismatch { .. })
        ));
        assert!(matches!(
            trust.add_ca("../etc", cert("ca/government-ca.pem"), key(), vec![]),
            Err(TrustError::InvalidSlug { .. })
        ));
        assert!(matches!(
            trust.add_ca(
                "public-ca",
                cert("ca/public-ca.pem"),
                PKey::private_key_from_pem(&read("ca/public-ca.key.pem")).unwrap(),
                vec![]
            ),
            Err(TrustError::Duplicate { .. })
        ));
        assert_eq!(trust.ca_slugs().collect::<Vec<_>>(), ["public-ca"]);
    }
}
