//! Two-step signing for keys kyso cannot call directly — an officer's own USB token driven
//! by a browser extension, or a remote signing service (CSC API v2, signatures/signHash):
//! [`prepare`] hands out the data and digest to be signed; [`complete_with_signature`] takes
//! back a raw signature value, [`complete_with_cms`] a whole SignedData. Both check what comes
//! back before accepting it. Talking to the device or service is left to the caller.

use openssl::x509::X509;
use serde::{Deserialize, Serialize};

use super::SignatureScheme;
use super::algorithm::ecdsa_raw_to_der;
use super::cms::{self, CmsError, EssCertificateCheck, PreparedSignerInfo, SignedDataParams};

/// Why a returned signature was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExternalError {
    #[error(transparent)]
    Cms(#[from] CmsError),
    #[error(
        "the returned signature does not verify with the certificate of {subject}: it was made \
         with another key or over other data"
    )]
    SignatureMismatch { subject: String },
    #[error(
        "the signature was prepared for {prepared}, but the returned certificate is {returned}"
    )]
    CertificateMismatch { prepared: String, returned: String },
    #[error(
        "the returned CMS signs other content: its message digest is {found}, the document's \
         is {expected}"
    )]
    MessageDigestMismatch { expected: String, found: String },
    #[error("the returned CMS hashes with {found}, but the document was hashed with {expected}")]
    DigestAlgorithmMismatch {
        expected: &'static str,
        found: &'static str,
    },
    #[error("the returned CMS has content type {found}, expected {expected}")]
    ContentTypeMismatch { expected: String, found: String },
    #[error(
        "the returned CMS does not bind its signer's certificate (ESS signing-certificate: \
         {check:?}), which PAdES requires (ETSI EN 319 122-1 §5.2.2.3)"
    )]
    SigningCertificate { check: EssCertificateCheck },
}

/// What the first step hands out, and what the second step needs back. Serializable so that
/// a server can store it between the two requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepared {
    pub signer_info: PreparedSignerInfo,
    /// The DER signed attributes: what a key that hashes by itself signs.
    pub data_to_be_signed: Vec<u8>,
    /// Their hash: what a key that signs precomputed digests (CSC signHash) signs.
    pub digest_to_be_signed: Vec<u8>,
}

/// Fixes the signed attributes for `params`.
pub fn prepare(params: &SignedDataParams) -> Result<Prepared, ExternalError> {
    let signer_info = params.prepare()?;
    Ok(Prepared {
        data_to_be_signed: signer_info.signed_attributes_der().to_vec(),
        digest_to_be_signed: signer_info.digest_to_be_signed(),
        signer_info,
    })
}

/// Completes with a raw signature value. `chain` may bring the issuers the device knows;
/// its first certificate must be the one the attributes were prepared for. Empty keeps the
/// prepared chain. ECDSA values in raw `r || s` form are converted to DER.
pub fn complete_with_signature(
    prepared: &Prepared,
    signature_value: &[u8],
    chain: &[Vec<u8>],
) -> Result<Vec<u8>, ExternalError> {
    let mut signer_info = prepared.signer_info.clone();
    if !chain.is_empty() {
        let prepared_leaf = &signer_info.chain()[0];
        if chain[0] != *prepared_leaf {
            return Err(ExternalError::CertificateMismatch {
                prepared: subject(prepared_leaf),
                returned: subject(&chain[0]),
            });
        }
        signer_info = signer_info.with_chain(chain.to_vec())?;
    }
    let mut signature = signature_value.to_vec();
    if signer_info.scheme() == SignatureScheme::Ecdsa
        && openssl::ecdsa::EcdsaSig::from_der(&signature).is_err()
        && let Some(der) = ecdsa_raw_to_der(&signature)
    {
        signature = der;
    }
    if !signer_info.signature_matches(&signature)? {
        return Err(ExternalError::SignatureMismatch {
            subject: subject(&signer_info.chain()[0]),
        });
    }
    Ok(signer_info.finish(&signature)?)
}

/// Completes with a whole SignedData made elsewhere: it must sign the same content (same
/// message digest, same hash), be signed by the prepared certificate, bind that certificate
/// with ESS signing-certificate(-v2), and verify. Returns it unchanged.
pub fn complete_with_cms(prepared: &Prepared, cms_der: &[u8]) -> Result<Vec<u8>, ExternalError> {
    let expected = &prepared.signer_info;
    let parsed = cms::parse(cms_der)?;
    let content_type = expected.content_type()?;
    if parsed.content_type != content_type {
        return Err(ExternalError::ContentTypeMismatch {
            expected: content_type.to_string(),
            found: parsed.content_type.to_string(),
        });
    }
    if parsed.digest_algorithm != expected.digest() {
        return Err(ExternalError::DigestAlgorithmMismatch {
            expected: expected.digest().name(),
            found: parsed.digest_algorithm.name(),
        });
    }
    let found = parsed
        .message_digest
        .as_deref()
        .ok_or(CmsError::MissingAttribute {
            name: "message-digest",
        })?;
    if found != expected.message_digest() {
        return Err(ExternalError::MessageDigestMismatch {
            expected: crate::hex::lower(expected.message_digest()),
            found: crate::hex::lower(found),
        });
    }
    let leaf = &expected.chain()[0];
    let signer = parsed
        .signer_certificate
        .as_ref()
        .ok_or(CmsError::SignerCertificateNotFound)?;
    if signer != leaf {
        return Err(ExternalError::CertificateMismatch {
            prepared: subject(leaf),
            returned: subject(signer),
        });
    }
    parsed.verify_signature().map_err(|e| match e {
        CmsError::SignatureInvalid => ExternalError::SignatureMismatch {
            subject: subject(signer),
        },
        other => other.into(),
    })?;
    match parsed.check_signing_certificate() {
        EssCertificateCheck::Matches { .. } => Ok(cms_der.to_vec()),
        check => Err(ExternalError::SigningCertificate { check }),
    }
}

/// The certificate's subject for messages: its common name, or a placeholder.
fn subject(certificate: &[u8]) -> String {
    X509::from_der(certificate)
        .ok()
        .and_then(|c| {
            c.subject_name()
                .entries_by_nid(openssl::nid::Nid::COMMONNAME)
                .next()
                .and_then(|e| e.data().to_string().ok())
        })
        .unwrap_or_else(|| "an unreadable certificate".to_owned())
}
