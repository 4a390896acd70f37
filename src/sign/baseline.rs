//! The PAdES baseline levels (ETSI EN 319 142-1 §6): B-B signs; B-T adds a signature
//! timestamp; B-LT adds a DSS with the certificates and revocation data of the signer and
//! the TSA; B-LTA adds a document timestamp over all of it. Each level is a function of the
//! previous one's bytes; keys, the TSA and revocation sources come in through traits.

use time::OffsetDateTime;

use crate::pki::chain::{self, CertificateProblem, Purpose};

use super::algorithm::{DigestAlgorithm, SignatureScheme};
use super::cms::{self, CmsError, SignedDataParams};
use super::dss::{self, ValidationMaterial};
use super::pades::{self, AppearanceFn, DocMdpPermission, PadesError, SignatureRequest, SubFilter};
use super::signer::{Signer, SignerError};

/// An error from a service behind a trait (TSA, OCSP, CRL), with its own message.
pub type ServiceError = Box<dyn std::error::Error + Send + Sync>;

/// A PAdES baseline level (ETSI EN 319 142-1 §6.2–6.5): the level a signer asks for, and the
/// level a verifier finds reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
pub enum PadesLevel {
    #[default]
    #[serde(rename = "B-B")]
    BB,
    #[serde(rename = "B-T")]
    BT,
    #[serde(rename = "B-LT")]
    BLt,
    #[serde(rename = "B-LTA")]
    BLta,
}

impl PadesLevel {
    pub fn name(self) -> &'static str {
        match self {
            PadesLevel::BB => "B-B",
            PadesLevel::BT => "B-T",
            PadesLevel::BLt => "B-LT",
            PadesLevel::BLta => "B-LTA",
        }
    }
}

/// Gets RFC 3161 timestamp tokens (the ContentInfo DER) for a message imprint.
pub trait TimeStamper: Send + Sync {
    fn timestamp(&self, digest: DigestAlgorithm, imprint: &[u8]) -> Result<Vec<u8>, ServiceError>;
}

/// Revocation status and validation data for certificate chains (leaf first).
pub trait RevocationSource: Send + Sync {
    /// Whether the chain's leaf is revoked: `Ok(Some(reason))` when it is, `Ok(None)` when
    /// it is good, an error when no answer could be had.
    fn revoked(&self, chain: &[Vec<u8>]) -> Result<Option<String>, ServiceError>;

    /// The certificates, OCSP responses and CRLs a validator needs for every certificate of
    /// the chain that is not a trust anchor.
    fn validation_data(&self, chain: &[Vec<u8>]) -> Result<ValidationMaterial, ServiceError>;

    /// The issuer of `certificate` from the address in its AIA caIssuers (RFC 5280
    /// §4.2.2.1), for chains a key store holds only in part; `None` when there is none.
    fn fetch_issuer(&self, _certificate: &[u8]) -> Option<Vec<u8>> {
        None
    }
}

/// Why a document could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    #[error("the signer's certificate cannot be used")]
    Certificate(#[from] CertificateProblem),
    #[error("the signer's certificate is revoked ({reason}); it must not sign")]
    Revoked { reason: String },
    #[error("the revocation status of the signer's certificate could not be checked")]
    RevocationUnavailable { source: ServiceError },
    #[error("{level} needs a time-stamping service, and none was given")]
    NoTimeStamper { level: &'static str },
    #[error("the time-stamping service failed")]
    TimeStamp { source: ServiceError },
    #[error("{level} needs revocation data, and no source was given")]
    NoRevocationSource { level: &'static str },
    #[error("the revocation data could not be gathered")]
    ValidationData { source: ServiceError },
    #[error("the {key:?} key cannot make a {scheme:?} signature")]
    SchemeNotAllowed {
        key: super::KeyKind,
        scheme: SignatureScheme,
    },
    #[error(transparent)]
    Pdf(#[from] PadesError),
    #[error("building the CMS failed")]
    Cms(#[from] CmsError),
    #[error(transparent)]
    Key(#[from] SignerError),
}

/// How to sign.
#[derive(Clone)]
pub struct SignOptions<'a> {
    pub level: PadesLevel,
    pub digest: DigestAlgorithm,
    /// `None`: the key's default (RSASSA-PSS for RSA, ECDSA for EC keys).
    pub scheme: Option<SignatureScheme>,
    /// The signing time written to /M, and the time the certificate is checked at.
    pub now: OffsetDateTime,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub field_name: Option<String>,
    pub certify: Option<DocMdpPermission>,
    pub appearance: Option<AppearanceFn<'a>>,
    /// Certificates that may complete the signer's chain (issuers a key store lacks).
    pub extra_certificates: Vec<Vec<u8>>,
}

impl SignOptions<'_> {
    pub fn new(now: OffsetDateTime) -> SignOptions<'static> {
        SignOptions {
            level: PadesLevel::BB,
            digest: DigestAlgorithm::Sha256,
            scheme: None,
            now,
            reason: None,
            location: None,
            field_name: None,
            certify: None,
            appearance: None,
            extra_certificates: Vec::new(),
        }
    }
}

/// The outside services a level may need.
#[derive(Clone, Copy, Default)]
pub struct Services<'a> {
    pub tsa: Option<&'a dyn TimeStamper>,
    /// Checks revocation before signing (when given) and supplies B-LT data.
    pub revocation: Option<&'a dyn RevocationSource>,
}

/// Bytes reserved for a timestamp token inside a signature or a document timestamp: a
/// token with a 2-certificate RSA chain is about 5 KB.
const TIMESTAMP_ALLOWANCE: usize = 12 * 1024;

/// Signs `original` at `options.level` and returns the signed file, whose prefix is
/// `original` byte for byte.
pub fn sign_pdf(
    original: &[u8],
    signer: &dyn Signer,
    options: &SignOptions<'_>,
    services: Services<'_>,
) -> Result<Vec<u8>, SignError> {
    let chain = &complete_chain(
        signer.certificate_chain(),
        &options.extra_certificates,
        services,
    );
    chain::check_signer(chain, options.now, Purpose::DocumentSigning)?;
    let key = signer.key_kind();
    let scheme = options.scheme.unwrap_or(key.default_scheme());
    if !key.allows(scheme) {
        return Err(SignError::SchemeNotAllowed { key, scheme });
    }
    let tsa = match (options.level, services.tsa) {
        // B-B carries no timestamp even when a TSA is configured.
        (PadesLevel::BB, _) => None,
        (_, Some(tsa)) => Some(tsa),
        (level, None) => {
            return Err(SignError::NoTimeStamper {
                level: level.name(),
            });
        }
    };
    if options.level >= PadesLevel::BLt && services.revocation.is_none() {
        return Err(SignError::NoRevocationSource {
            level: options.level.name(),
        });
    }
    if let Some(revocation) = services.revocation {
        match revocation.revoked(chain) {
            Ok(Some(reason)) => return Err(SignError::Revoked { reason }),
            Ok(None) => {}
            Err(source) => return Err(SignError::RevocationUnavailable { source }),
        }
    }

    let chain_len: usize = chain.iter().map(Vec::len).sum();
    let mut reserve = chain_len + key.max_signature_len() + 2048;
    if options.level >= PadesLevel::BT {
        reserve += TIMESTAMP_ALLOWANCE;
    }
    let name = chain
        .first()
        .and_then(|leaf| chain::ParsedCertificate::from_der(leaf).ok())
        .map(|leaf| leaf.subject_cn());
    let request = SignatureRequest {
        sub_filter: SubFilter::CadesDetached,
        signing_time: Some(options.now),
        reason: options.reason.clone(),
        location: options.location.clone(),
        name,
        certify: options.certify,
        field_name: options.field_name.clone(),
        contents_len: reserve,
        appearance: options.appearance,
    };
    let (mut signed, cms_der) = sign_once(
        original,
        signer,
        chain,
        &request,
        options.digest,
        scheme,
        tsa,
    )?;
    if options.level >= PadesLevel::BLt {
        signed = add_validation_data(
            &signed,
            chain,
            &cms_der,
            &options.extra_certificates,
            services,
        )?;
    }
    if options.level >= PadesLevel::BLta
        && let Some(tsa) = tsa
    {
        signed = document_timestamp(&signed, tsa, options.digest)?;
    }
    Ok(signed)
}

/// The signer's chain from the leaf up to a self-signed certificate, from the key store's
/// certificates, `extra`, and (when a source is given) the issuers' AIA addresses. What
/// cannot be completed is returned as far as it goes; `check_signer` names the gap.
fn complete_chain(given: &[Vec<u8>], extra: &[Vec<u8>], services: Services<'_>) -> Vec<Vec<u8>> {
    let Some(leaf) = given.first() else {
        return Vec::new();
    };
    let mut pool: Vec<Vec<u8>> = given[1..].iter().chain(extra).cloned().collect();
    let mut out = vec![leaf.clone()];
    while out.len() < 8 {
        let Some(last) = out
            .last()
            .and_then(|d| chain::ParsedCertificate::from_der(d).ok())
        else {
            break;
        };
        if last.is_self_signed() {
            break;
        }
        // Names only: `check_signer` verifies every link's signature right after.
        let issued = |candidate: &Vec<u8>| {
            chain::ParsedCertificate::from_der(candidate).is_ok_and(|c| last.names_issuer(&c))
        };
        let found = pool
            .iter()
            .position(issued)
            .map(|at| pool.remove(at))
            .or_else(|| {
                let fetched = services
                    .revocation
                    .and_then(|source| source.fetch_issuer(out.last()?))?;
                issued(&fetched).then_some(fetched)
            });
        match found {
            Some(issuer) if !out.contains(&issuer) => out.push(issuer),
            _ => break,
        }
    }
    out
}

/// Prepare → digest → sign → (timestamp) → embed, retrying once with the exact size when
/// the estimate was short. Returns the file and the embedded CMS.
fn sign_once(
    original: &[u8],
    signer: &dyn Signer,
    chain: &[Vec<u8>],
    request: &SignatureRequest<'_>,
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
    tsa: Option<&dyn TimeStamper>,
) -> Result<(Vec<u8>, Vec<u8>), SignError> {
    embed_with_retry(original, request, |prepared| {
        let params =
            SignedDataParams::pades(chain.to_vec(), digest, scheme, prepared.digest(digest));
        let info = params.prepare()?;
        let value = signer.sign(info.signed_attributes_der(), digest, scheme)?;
        let mut cms_der = info.finish(&value)?;
        if let Some(tsa) = tsa {
            // RFC 3161 Appendix A: the token covers the signature value.
            let imprint = digest.digest(&cms::signature_value(&cms_der)?);
            let token = tsa
                .timestamp(digest, &imprint)
                .map_err(|source| SignError::TimeStamp { source })?;
            cms_der = cms::add_unsigned_attribute(
                &cms_der,
                cms::ID_AA_SIGNATURE_TIME_STAMP_TOKEN,
                &token,
            )?;
        }
        Ok(cms_der)
    })
}

/// Prepares the revision, makes its /Contents with `contents`, and embeds it; when the
/// reserved space was short, prepares once more with the size now known. Returns the file
/// and the embedded value.
fn embed_with_retry(
    original: &[u8],
    request: &SignatureRequest<'_>,
    contents: impl Fn(&pades::PreparedSignature) -> Result<Vec<u8>, SignError>,
) -> Result<(Vec<u8>, Vec<u8>), SignError> {
    let mut request = request.clone();
    for _ in 0..2 {
        let prepared = pades::prepare(original, &request)?;
        let value = contents(&prepared)?;
        match prepared.embed(&value) {
            Ok(bytes) => return Ok((bytes, value)),
            Err(PadesError::ContentsTooSmall { needed, .. }) => {
                request.contents_len = needed + 1024;
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(SignError::Pdf(PadesError::ContentsTooSmall {
        needed: request.contents_len,
        reserved: request.contents_len,
    }))
}

/// B-LT: a DSS revision with the validation data of the signer's chain and of every TSA
/// whose token the signature (`cms_der`) carries.
fn add_validation_data(
    signed: &[u8],
    chain: &[Vec<u8>],
    cms_der: &[u8],
    extra: &[Vec<u8>],
    services: Services<'_>,
) -> Result<Vec<u8>, SignError> {
    let Some(revocation) = services.revocation else {
        return Err(SignError::NoRevocationSource { level: "B-LT" });
    };
    let mut material = revocation
        .validation_data(chain)
        .map_err(|source| SignError::ValidationData { source })?;
    for certificates in timestamp_certificates(cms_der) {
        let tsa_chain = complete_chain(&certificates, extra, services);
        material.extend(
            revocation
                .validation_data(&tsa_chain)
                .map_err(|source| SignError::ValidationData { source })?,
        );
    }
    Ok(dss::add_dss(signed, &material)?)
}

/// The certificates of each signature timestamp in a signature's CMS, the TSA's first.
fn timestamp_certificates(cms_der: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let Ok(parsed) = cms::parse(cms_der) else {
        return Vec::new();
    };
    let Some(attribute) = parsed.unsigned_attribute(cms::ID_AA_SIGNATURE_TIME_STAMP_TOKEN) else {
        return Vec::new();
    };
    attribute
        .values
        .iter()
        .filter_map(|token| cms::parse(token).ok())
        .filter_map(|token| {
            let leaf = token.signer_certificate.clone()?;
            let mut certificates = vec![leaf.clone()];
            certificates.extend(token.certificates.into_iter().filter(|c| *c != leaf));
            Some(certificates)
        })
        .collect()
}

/// B-LTA: a document timestamp (ETSI EN 319 142-1 §5.4.3) over the whole file so far.
pub fn document_timestamp(
    signed: &[u8],
    tsa: &dyn TimeStamper,
    digest: DigestAlgorithm,
) -> Result<Vec<u8>, SignError> {
    let request = SignatureRequest::new(SubFilter::Rfc3161, TIMESTAMP_ALLOWANCE);
    let (file, _token) = embed_with_retry(signed, &request, |prepared| {
        tsa.timestamp(digest, &prepared.digest(digest))
            .map_err(|source| SignError::TimeStamp { source })
    })?;
    Ok(file)
}
