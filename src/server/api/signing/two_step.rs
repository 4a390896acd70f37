//! Two-step signing for an officer's own token (a USB token driven by the browser):
//! `…/sign/prepare` takes the officer's certificate chain, checks it (a government CA's,
//! usable for signing now) and hands out the DER signed attributes the token must sign;
//! `…/sign/complete` takes the raw signature value back, checks it against the certificate,
//! and embeds it as the document's next version.
//!
//! The prepared state stays on the server (memory, bounded, ten minutes). The revision is
//! made by `sign::sign_pdf` both times with the same inputs and signing time — it is
//! deterministic — so the second run reaches the same signed attributes and takes the
//! officer's signature in place of a key's; anything else is refused.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use base64ct::{Base64, Encoding};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{
    How, Level, audit, decode_base64, latest, optional_text, service, sign_error, store_version,
};
use crate::pki::chain::{self, ParsedCertificate};
use crate::server::AppState;
use crate::server::api::dossiers::{IdPath, json_rejection, visible_document};
use crate::server::api::{ApiError, Caller, Problem, blocking};
use crate::sign::algorithm::ecdsa_raw_to_der;
use crate::sign::cms::{SignatureAlgorithm, verify_signature_value};
use crate::sign::{DigestAlgorithm, KeyKind, SignError, SignatureScheme, Signer, SignerError};
use crate::store::blobs::BlobStore;
use crate::store::dossiers::{DocumentRow, Dossiers, Role};

/// How long a prepared signature waits for its value.
const PREPARED_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// At most this many certificates in a chain, each at most this large.
const MAX_CHAIN: usize = 8;
const MAX_CERTIFICATE: usize = 16 * 1024;

/// The officer's certificates and how to sign.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepareBody {
    /// Base64 DER certificates, the signer's first, then its issuers as far as known.
    #[schema(min_items = 1, max_items = 8)]
    pub certificates: Vec<String>,
    pub level: Option<Level>,
    /// The signature scheme the token uses; default RSASSA-PSS for RSA keys, ECDSA for EC.
    pub scheme: Option<Scheme>,
    #[schema(max_length = 200)]
    pub reason: Option<String>,
    #[schema(max_length = 200)]
    pub location: Option<String>,
}

/// A signature scheme (Circular 15/2025/TT-BKHCN).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// RSASSA-PSS, MGF1 with the same hash, salt as long as the hash.
    Pss,
    /// RSASSA-PKCS1-v1_5.
    Pkcs1v15,
    Ecdsa,
}

/// What the token must sign.
#[derive(Debug, Serialize, ToSchema)]
pub struct Prepared {
    pub session_id: String,
    /// e.g. "SHA-256".
    pub digest_algorithm: String,
    /// "RSASSA-PSS", "RSASSA-PKCS1-v1_5" or "ECDSA".
    pub signature_algorithm: String,
    /// Base64 of the DER signed attributes: what a token that hashes by itself signs.
    pub to_be_signed: String,
    /// Base64 of their hash: what a token that signs a precomputed digest signs.
    pub digest_to_be_signed: String,
    /// Seconds left to complete.
    pub expires_in: u64,
}

/// The signature value from the token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    pub session_id: String,
    /// Base64 of the raw signature value (RSA octets; ECDSA DER or r‖s).
    pub signature: String,
}

/// What `prepare` keeps for `complete`.
#[derive(Debug, Clone)]
pub struct PreparedSession {
    token_id: String,
    document_id: String,
    version: u32,
    sha256: String,
    now: OffsetDateTime,
    how: How,
    chain: Vec<Vec<u8>>,
    kind: KeyKind,
    data_to_be_signed: Vec<u8>,
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
}

/// A key that is not here: the first run records what it was asked to sign and stops
/// there; the second hands back the officer's value for exactly that data.
struct ExternalKey {
    chain: Vec<Vec<u8>>,
    kind: KeyKind,
    /// `None`: record; `Some`: the data and the value to give for it.
    answer: Option<(Vec<u8>, Vec<u8>)>,
    asked: Mutex<Option<(Vec<u8>, DigestAlgorithm, SignatureScheme)>>,
}

/// The reason an [`ExternalKey`] stops the first run with.
const RECORDED: &str = "recorded for two-step signing";

impl Signer for ExternalKey {
    fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn key_kind(&self) -> KeyKind {
        self.kind
    }

    fn sign(
        &self,
        data: &[u8],
        digest: DigestAlgorithm,
        scheme: SignatureScheme,
    ) -> Result<Vec<u8>, SignerError> {
        match &self.answer {
            None => {
                *self.asked.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((data.to_vec(), digest, scheme));
                Err(SignerError::Refused {
                    reason: RECORDED.into(),
                })
            }
            Some((expected, value)) if expected == data => Ok(value.clone()),
            Some(_) => Err(SignerError::Refused {
                reason: "the document's revision came out differently from the prepared one; \
                         prepare again"
                    .into(),
            }),
        }
    }
}

/// Start signing with the officer's own token: returns what the token must sign (officer).
#[utoipa::path(post, path = "/api/documents/{id}/sign/prepare", tag = "signing",
    params(("id" = String, Path, description = "Document id")),
    request_body = PrepareBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What the token must sign", body = Prepared),
        (status = 400, description = "A malformed field or certificate", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Not an officer or admin token", body = Problem),
        (status = 404, description = "No such document", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "The certificate cannot sign (not a government CA's, expired, revoked, wrong key use), or the PDF cannot be signed", body = Problem),
        (status = 502, description = "Revocation could not be checked", body = Problem),
        (status = 503, description = "Signing is not set up", body = Problem),
    ))]
pub async fn prepare(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: Result<Json<PrepareBody>, JsonRejection>,
) -> Result<Json<Prepared>, ApiError> {
    caller.require(&[Role::Officer, Role::Admin])?;
    let Json(body) = body.map_err(json_rejection)?;
    let service = service(&state)?;
    if body.certificates.is_empty() || body.certificates.len() > MAX_CHAIN {
        return Err(ApiError::bad_request(format!(
            "certificates must list 1 to {MAX_CHAIN} base64 DER certificates, the signer's first"
        )));
    }
    let mut chain = Vec::new();
    for (at, text) in body.certificates.iter().enumerate() {
        let field = format!("certificates[{at}]");
        if text.len() > MAX_CERTIFICATE * 2 {
            return Err(ApiError::bad_request(format!("{field} is too large")));
        }
        let der = decode_base64(&field, text)?;
        if ParsedCertificate::from_der(&der).is_err() {
            return Err(ApiError::bad_request(format!(
                "{field} is not a DER X.509 certificate"
            )));
        }
        chain.push(der);
    }
    let kind = openssl::x509::X509::from_der(&chain[0])
        .ok()
        .and_then(|c| c.public_key().ok())
        .and_then(|key| KeyKind::of_key(&key))
        .ok_or_else(|| {
            ApiError::unprocessable(
                "certificate_unusable",
                "the certificate's key is not RSA or ECDSA P-256/P-384",
            )
        })?;
    let scheme = body.scheme.map(|s| match s {
        Scheme::Pss => SignatureScheme::RsaPss,
        Scheme::Pkcs1v15 => SignatureScheme::RsaPkcs1v15,
        Scheme::Ecdsa => SignatureScheme::Ecdsa,
    });
    let how = How {
        scheme,
        reason: optional_text("reason", body.reason)?,
        location: optional_text("location", body.location)?,
        ..How::plain(service.level(body.level)?)
    };
    let (document, _) = visible_document(&state, &caller, &id).await?;
    let dossiers = Dossiers::new(&state.store);
    let blobs = BlobStore::new(state.data_dir());
    let token_id = caller.0.token_id.clone();
    let session = blocking(move || {
        check_government(&chain, &service.anchors)?;
        let (current, original) = latest(&dossiers, &blobs, &document.id)?;
        let now = OffsetDateTime::now_utc();
        let key = ExternalKey {
            chain: chain.clone(),
            kind,
            answer: None,
            asked: Mutex::new(None),
        };
        match service.sign_pdf(&original, &key, &how, now) {
            Err(SignError::Key(SignerError::Refused { reason })) if reason == RECORDED => {}
            Err(other) => return Err(sign_error(other)),
            Ok(_) => return Err(ApiError::internal("two-step signing signed without a key")),
        }
        let (data_to_be_signed, digest, scheme) = key
            .asked
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .ok_or_else(|| ApiError::internal("two-step signing recorded nothing"))?;
        let session = PreparedSession {
            token_id,
            document_id: current.id,
            version: current.version,
            sha256: current.sha256,
            now,
            how,
            chain,
            kind,
            data_to_be_signed,
            digest,
            scheme,
        };
        let id = crate::store::dossiers::random_id();
        service.prepared.insert(
            id.clone(),
            session.clone(),
            PREPARED_LIFETIME,
            Instant::now(),
        );
        Ok((id, session))
    })
    .await?;
    let (session_id, session) = session;
    Ok(Json(Prepared {
        session_id,
        digest_algorithm: session.digest.name().to_owned(),
        signature_algorithm: match session.scheme {
            SignatureScheme::RsaPss => "RSASSA-PSS",
            SignatureScheme::RsaPkcs1v15 => "RSASSA-PKCS1-v1_5",
            SignatureScheme::Ecdsa => "ECDSA",
        }
        .to_owned(),
        to_be_signed: Base64::encode_string(&session.data_to_be_signed),
        digest_to_be_signed: Base64::encode_string(
            &session.digest.digest(&session.data_to_be_signed),
        ),
        expires_in: PREPARED_LIFETIME.as_secs(),
    }))
}

/// Finish signing with the officer's own token: the signature value in, the new version out.
#[utoipa::path(post, path = "/api/documents/{id}/sign/complete", tag = "signing",
    params(("id" = String, Path, description = "Document id")),
    request_body = CompleteBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new version, last_action \"sign\"", body = DocumentRow),
        (status = 400, description = "A malformed field", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Not an officer or admin token", body = Problem),
        (status = 404, description = "No such document or signing session (expired, or another token's)", body = Problem),
        (status = 409, description = "The document changed since it was prepared", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "The signature does not verify with the certificate", body = Problem),
        (status = 502, description = "A service the signature needs failed (TSA, OCSP)", body = Problem),
        (status = 503, description = "Signing is not set up", body = Problem),
    ))]
pub async fn complete(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: Result<Json<CompleteBody>, JsonRejection>,
) -> Result<Json<DocumentRow>, ApiError> {
    caller.require(&[Role::Officer, Role::Admin])?;
    let Json(body) = body.map_err(json_rejection)?;
    let service = service(&state)?;
    let signature = decode_base64("signature", &body.signature)?;
    let (document, _) = visible_document(&state, &caller, &id).await?;
    let no_session = || ApiError::not_found("signing session (prepare again)");
    let (session, _) = service
        .prepared
        .get(&body.session_id, Instant::now())
        .ok_or_else(no_session)?;
    if session.token_id != caller.0.token_id || session.document_id != document.id {
        return Err(no_session());
    }
    let mut value = signature;
    if session.scheme == SignatureScheme::Ecdsa
        && openssl::ecdsa::EcdsaSig::from_der(&value).is_err()
        && let Some(der) = ecdsa_raw_to_der(&value)
    {
        value = der;
    }
    let algorithm = SignatureAlgorithm::new(session.scheme, session.digest);
    let verifies = verify_signature_value(
        &session.chain[0],
        &session.data_to_be_signed,
        algorithm,
        session.digest,
        &value,
    )
    .unwrap_or(false);
    if !verifies {
        return Err(ApiError::unprocessable(
            "signature_mismatch",
            "the signature does not verify with the prepared certificate: it was made with \
             another key, another scheme or over other data",
        ));
    }
    let dossiers = Dossiers::new(&state.store);
    let blobs = BlobStore::new(state.data_dir());
    let store = state.store.clone();
    let actor = caller.actor();
    let session_id = body.session_id;
    blocking(move || {
        let current = dossiers
            .document(&session.document_id)?
            .ok_or_else(|| ApiError::not_found("document"))?;
        if current.version != session.version {
            service.prepared.remove(&session_id);
            return Err(changed());
        }
        let original = blobs.get(&session.sha256)?;
        let key = ExternalKey {
            chain: session.chain.clone(),
            kind: session.kind,
            answer: Some((session.data_to_be_signed.clone(), value)),
            asked: Mutex::new(None),
        };
        let signed = service
            .sign_pdf(&original, &key, &session.how, session.now)
            .map_err(sign_error)?;
        service.prepared.remove(&session_id);
        let row = store_version(
            &dossiers,
            &blobs,
            &session.document_id,
            session.version,
            &signed,
            "sign",
            &actor,
        )?
        .ok_or_else(changed)?;
        audit(
            &store,
            &actor,
            "sign",
            &format!("document:{}", row.id),
            json!({
                "version": row.version,
                "level": session.how.level.name(),
                "sha256": row.sha256,
                "key": "two-step",
                "signer": ParsedCertificate::from_der(&session.chain[0])
                    .map(|c| c.subject_cn())
                    .unwrap_or_default(),
            }),
        );
        Ok(row)
    })
    .await
    .map(Json)
}

fn changed() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        "the document changed after the signature was prepared; prepare again",
    )
}

/// 422 unless the chain leads to one of `anchors` that is a government (special-use) root.
fn check_government(given: &[Vec<u8>], anchors: &[Vec<u8>]) -> Result<(), ApiError> {
    let pool: Vec<Vec<u8>> = given[1..].iter().chain(anchors).cloned().collect();
    let refused = |words: String| ApiError::unprocessable("certificate_unusable", words);
    let built = chain::build_chain(&given[0], &pool).map_err(|problem| {
        refused(format!(
            "the certificate's chain cannot be built: {problem}"
        ))
    })?;
    let root = built
        .last()
        .filter(|root| anchors.contains(root))
        .ok_or_else(|| {
            refused("the certificate does not lead to a trust anchor of this server".into())
        })?;
    let root = ParsedCertificate::from_der(root)
        .map_err(|_| refused("the root certificate cannot be read".into()))?;
    if chain::is_government_root(&root) {
        return Ok(());
    }
    Err(refused(format!(
        "officers sign with a government special-use certificate (Decree 68/2024/ND-CP); \
         this one is issued under {}",
        root.subject_cn()
    )))
}
