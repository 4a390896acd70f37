//! Is the signature intact and cryptographically valid (ETSI EN 319 102-1 §5.2.7)? The digest
//! of the byte ranges against the signed message digest, the signature value against the
//! signer's key, and the signed attributes PAdES requires (ETSI EN 319 142-1 §5.3: content
//! type, message digest, signing-certificate-v2; no signing time). Trust and time are left to
//! `trust` and `timestamp`.

use openssl::pkey::Id;
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Verifier};

use super::algorithms::{self, Hash, WeakUse};
use super::digests::FileDigests;
use crate::sign::SignatureScheme;
use crate::sign::cms::{self, CmsError, EssCertificateCheck, ReceivedSignedData};

use super::report::{AlgorithmUse, Finding, SubIndication};

/// `id-signingTime` must not be in a PAdES signature (ETSI EN 319 142-1 §5.3 (b)).
const ID_SIGNING_TIME: const_oid::ObjectIdentifier = cms::ID_SIGNING_TIME;

/// The outcome of the cryptographic checks on a CAdES signature.
pub(crate) struct Integrity {
    pub parsed: ReceivedSignedData,
    /// The digestAlgorithm.
    pub digest: Hash,
    /// The signatureAlgorithm's scheme and hash.
    pub signature: (SignatureScheme, Hash),
    pub intact: bool,
    pub valid: bool,
    /// The first failure, as ETSI names it, with its explanation.
    pub failure: Option<(SubIndication, Finding)>,
    /// Deviations that do not by themselves fail the signature.
    pub notes: Vec<Finding>,
    /// The digest and signature algorithms below the required strength; whether a proof of
    /// existence saves them is for the caller to judge.
    pub weak: Vec<WeakUse>,
}

/// The DER element at the start of `bytes`, without the zero padding a /Contents placeholder
/// leaves after it.
pub(crate) fn der_element(bytes: &[u8]) -> Option<&[u8]> {
    let first = *bytes.get(1)?;
    let (header, length) = if first < 0x80 {
        (2, usize::from(first))
    } else {
        let count = usize::from(first & 0x7F);
        if count == 0 || count > 4 {
            return None;
        }
        let octets = bytes.get(2..2 + count)?;
        let length = octets
            .iter()
            .fold(0usize, |n, b| (n << 8) | usize::from(*b));
        (2 + count, length)
    };
    bytes.get(..header.checked_add(length)?)
}

/// Checks a CAdES-detached (or adbe.pkcs7.detached) SignedData over the signed parts. The
/// algorithms kyso signs with (SHA-2) and the older ones a file may still carry (SHA-1, MD5,
/// SHA-224) are all checked; the older ones are listed in [`Integrity::weak`].
pub(crate) fn check_cades(
    contents: &[u8],
    byte_range: [usize; 4],
    digests: &FileDigests<'_>,
) -> Result<Integrity, Finding> {
    let unreadable = |detail: String| Finding::CmsUnreadable { detail };
    let der = der_element(contents)
        .ok_or_else(|| unreadable("/Contents does not hold a DER-encoded structure".into()))?;
    let parsed = cms::parse_received(der).map_err(|e| unreadable(e.to_string()))?;
    let mut notes = Vec::new();
    if parsed.content_type != cms::ID_DATA {
        notes.push(Finding::SignedAttributes {
            detail: format!(
                "the encapsulated content type is {}, not id-data",
                parsed.content_type
            ),
        });
    }
    let digest = Hash::from_oid(&parsed.digest_algorithm.oid).ok_or_else(|| {
        unreadable(
            CmsError::UnsupportedAlgorithm {
                what: "digest",
                oid: parsed.digest_algorithm.oid,
            }
            .to_string(),
        )
    })?;
    let signature = algorithms::signature_algorithm(&parsed.signature_algorithm, digest)
        .ok_or_else(|| {
            unreadable(
                CmsError::UnsupportedAlgorithm {
                    what: "signature",
                    oid: parsed.signature_algorithm.oid,
                }
                .to_string(),
            )
        })?;
    let computed = match digest {
        Hash::Sha2(sha2) => Some(digests.digest(sha2, byte_range)),
        older => digests.digest_with(older.message_digest(), byte_range),
    };
    let intact = computed.is_some() && parsed.message_digest == computed;
    let mut weak: Vec<WeakUse> = algorithms::weak_hash(AlgorithmUse::MessageDigest, digest)
        .into_iter()
        .collect();
    if signature.1 != digest {
        weak.extend(algorithms::weak_hash(
            AlgorithmUse::SignatureAlgorithm,
            signature.1,
        ));
    }
    let mut integrity = Integrity {
        intact,
        valid: false,
        failure: None,
        notes,
        weak,
        digest,
        signature,
        parsed,
    };
    if integrity.parsed.signer_certificate.is_none() {
        integrity.failure = Some((
            SubIndication::NoSigningCertificateFound,
            Finding::SignerCertificateMissing,
        ));
        return Ok(integrity);
    }
    if !intact {
        integrity.failure = Some((SubIndication::HashFailure, Finding::DigestMismatch));
        return Ok(integrity);
    }
    let verified = match (digest, signature.1) {
        (Hash::Sha2(_), Hash::Sha2(_)) => integrity
            .parsed
            .clone()
            .typed()
            .and_then(|typed| typed.verify_signature()),
        _ => verify_older(&integrity.parsed, signature),
    };
    match verified {
        Ok(()) => integrity.valid = true,
        Err(CmsError::SignatureInvalid) => {
            integrity.failure = Some((SubIndication::SigCryptoFailure, Finding::SignatureInvalid));
            return Ok(integrity);
        }
        Err(other) => {
            integrity.failure = Some((
                SubIndication::FormatFailure,
                Finding::CmsUnreadable {
                    detail: other.to_string(),
                },
            ));
            return Ok(integrity);
        }
    }
    if let Some(problem) = attribute_problem(&integrity.parsed) {
        integrity.failure = Some((SubIndication::SigConstraintsFailure, problem));
    }
    Ok(integrity)
}

/// Verifies a SignerInfo made with a hash kyso does not sign with (RFC 5652 §5.6), so that a
/// weak signature is told apart from a forged one: the verdict on its strength comes later.
fn verify_older(
    parsed: &ReceivedSignedData,
    (scheme, hash): (SignatureScheme, Hash),
) -> Result<(), CmsError> {
    let openssl = CmsError::openssl("verifying a signature");
    let signed = parsed.signed_bytes()?;
    let certificate = parsed
        .signer_certificate
        .as_ref()
        .ok_or(CmsError::SignerCertificateNotFound)?;
    let key = openssl::x509::X509::from_der(certificate)
        .and_then(|c| c.public_key())
        .map_err(openssl)?;
    let fits = match scheme {
        SignatureScheme::RsaPkcs1v15 | SignatureScheme::RsaPss => key.id() == Id::RSA,
        SignatureScheme::Ecdsa => key.id() == Id::EC,
    };
    if !fits {
        return Err(CmsError::SignatureInvalid);
    }
    let mut verifier = Verifier::new(hash.message_digest(), &key).map_err(openssl)?;
    let mut value = parsed.signature.clone();
    match scheme {
        SignatureScheme::RsaPkcs1v15 => {
            verifier.set_rsa_padding(Padding::PKCS1).map_err(openssl)?
        }
        SignatureScheme::RsaPss => {
            verifier
                .set_rsa_padding(Padding::PKCS1_PSS)
                .map_err(openssl)?;
            verifier
                .set_rsa_mgf1_md(hash.message_digest())
                .map_err(openssl)?;
            // RSA_PSS_SALTLEN_AUTO: the salt length is read from the signature.
            verifier
                .set_rsa_pss_saltlen(RsaPssSaltlen::custom(-2))
                .map_err(openssl)?;
        }
        SignatureScheme::Ecdsa => {
            if openssl::ecdsa::EcdsaSig::from_der(&value).is_err()
                && let Some(der) = crate::sign::algorithm::ecdsa_raw_to_der(&value)
            {
                value = der;
            }
        }
    }
    verifier.update(signed).map_err(openssl)?;
    if verifier.verify(&value).unwrap_or(false) {
        Ok(())
    } else {
        Err(CmsError::SignatureInvalid)
    }
}

/// ETSI EN 319 122-1 §5.2.2.3 and RFC 5035 §5.4: the signing certificate attribute, when
/// present, must name the certificate that verified the signature. PAdES B-B requires it;
/// older adbe.pkcs7.detached signatures may lack it, which is reported but tolerated.
fn attribute_problem(parsed: &ReceivedSignedData) -> Option<Finding> {
    match parsed.check_signing_certificate() {
        EssCertificateCheck::Matches { .. } | EssCertificateCheck::Absent => {}
        EssCertificateCheck::Mismatch => {
            return Some(Finding::SignedAttributes {
                detail: "the signing-certificate attribute names another certificate than the \
                         one that signed"
                    .into(),
            });
        }
        EssCertificateCheck::Unreadable => {
            return Some(Finding::SignedAttributes {
                detail: "the signing-certificate attribute cannot be read".into(),
            });
        }
    }
    if parsed.signer_info_count != 1 {
        return Some(Finding::SignedAttributes {
            detail: format!(
                "the CMS holds {} signers; a PDF signature has exactly one",
                parsed.signer_info_count
            ),
        });
    }
    None
}

/// Whether the signature meets PAdES B-B beyond what fails it: signing-certificate-v2
/// present and no signingTime attribute.
pub(crate) fn is_pades_baseline(parsed: &ReceivedSignedData) -> bool {
    matches!(
        parsed.check_signing_certificate(),
        EssCertificateCheck::Matches { version: 2 }
    ) && parsed.signed_attribute(ID_SIGNING_TIME).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_element_drops_the_zero_padding() {
        assert_eq!(
            der_element(&[0x30, 0x02, 1, 2, 0, 0]),
            Some(&[0x30, 0x02, 1, 2][..])
        );
        assert_eq!(
            der_element(&[0x30, 0x81, 0x01, 9, 0]),
            Some(&[0x30, 0x81, 0x01, 9][..])
        );
        assert_eq!(der_element(&[0x30, 0x05, 1]), None);
        assert_eq!(der_element(&[0x30, 0x80, 0, 0]), None);
        assert_eq!(der_element(&[]), None);
    }
}
