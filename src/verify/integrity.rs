//! Is the signature intact and cryptographically valid (ETSI EN 319 102-1 §5.2.7)? The digest
//! of the byte ranges against the signed message digest, the signature value against the
//! signer's key, and the signed attributes PAdES requires (ETSI EN 319 142-1 §5.3: content
//! type, message digest, signing-certificate-v2; no signing time). Trust and time are left to
//! `trust` and `timestamp`.

use super::digests::FileDigests;
use crate::sign::DigestAlgorithm;
use crate::sign::cms::{self, EssCertificateCheck, ParsedSignedData};

use super::report::{Finding, SubIndication};

/// `id-signingTime` must not be in a PAdES signature (ETSI EN 319 142-1 §5.3 (b)).
const ID_SIGNING_TIME: const_oid::ObjectIdentifier = cms::ID_SIGNING_TIME;

/// The outcome of the cryptographic checks on a CAdES signature.
pub(crate) struct Integrity {
    pub parsed: ParsedSignedData,
    pub intact: bool,
    pub valid: bool,
    /// The first failure, as ETSI names it, with its explanation.
    pub failure: Option<(SubIndication, Finding)>,
    /// Deviations that do not by themselves fail the signature.
    pub notes: Vec<Finding>,
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

/// Checks a CAdES-detached (or adbe.pkcs7.detached) SignedData over the signed parts.
pub(crate) fn check_cades(
    contents: &[u8],
    byte_range: [usize; 4],
    digests: &FileDigests<'_>,
) -> Result<Integrity, Finding> {
    let der = der_element(contents).ok_or_else(|| Finding::CmsUnreadable {
        detail: "/Contents does not hold a DER-encoded structure".into(),
    })?;
    let parsed = cms::parse(der).map_err(|e| Finding::CmsUnreadable {
        detail: e.to_string(),
    })?;
    let mut notes = Vec::new();
    if parsed.content_type != cms::ID_DATA {
        notes.push(Finding::SignedAttributes {
            detail: format!(
                "the encapsulated content type is {}, not id-data",
                parsed.content_type
            ),
        });
    }
    let digest = digests.digest(parsed.digest_algorithm, byte_range);
    let intact = parsed.message_digest.as_deref() == Some(digest.as_slice());
    let mut integrity = Integrity {
        intact,
        valid: false,
        failure: None,
        notes,
        parsed,
    };
    if parsed_has_no_certificate(&integrity.parsed) {
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
    match integrity.parsed.verify_signature() {
        Ok(()) => integrity.valid = true,
        Err(cms::CmsError::SignatureInvalid) => {
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

fn parsed_has_no_certificate(parsed: &ParsedSignedData) -> bool {
    parsed.signer_certificate.is_none()
}

/// ETSI EN 319 122-1 §5.2.2.3 and RFC 5035 §5.4: the signing certificate attribute, when
/// present, must name the certificate that verified the signature. PAdES B-B requires it;
/// older adbe.pkcs7.detached signatures may lack it, which is reported but tolerated.
fn attribute_problem(parsed: &ParsedSignedData) -> Option<Finding> {
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
pub(crate) fn is_pades_baseline(parsed: &ParsedSignedData) -> bool {
    matches!(
        parsed.check_signing_certificate(),
        EssCertificateCheck::Matches { version: 2 }
    ) && parsed.signed_attribute(ID_SIGNING_TIME).is_none()
}

/// The name of a digest for reports.
pub(crate) fn digest_name(digest: DigestAlgorithm) -> &'static str {
    digest.name()
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
