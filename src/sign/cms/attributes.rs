//! The signed attributes of a CAdES/PAdES SignerInfo (ETSI EN 319 122-1 §5.2): content-type,
//! message-digest, ESS signing-certificate-v2 (RFC 5035) and, outside PAdES, signing-time.
//! They are DER-encoded as a SET OF sorted by encoding (X.690 §11.6), because that exact
//! encoding is what gets signed (RFC 5652 §5.4). Verifying them is left to `verify`.

use const_oid::ObjectIdentifier;
use der::asn1::{Any, GeneralizedTime, OctetString, SetOfVec, UtcTime};
use der::{Decode, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::{Attribute, Attributes};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

use super::{
    CmsError, ID_AA_SIGNING_CERTIFICATE_V2, ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNING_TIME,
};
use crate::sign::DigestAlgorithm;

/// What goes into the signed attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedAttributeValues {
    /// The eContentType, repeated in the content-type attribute (RFC 5652 §11.1).
    pub content_type: ObjectIdentifier,
    /// The hash of the content (for PAdES, of the two byte ranges).
    pub message_digest: Vec<u8>,
    /// The signer's certificate (DER), bound by signing-certificate-v2.
    pub signer_certificate: Vec<u8>,
    /// signing-time, which PAdES must not carry (ETSI EN 319 142-1 §5.3) but other CMS
    /// users may want.
    pub signing_time: Option<time::OffsetDateTime>,
}

/// The DER of the signed attributes as a `SET OF Attribute` (tag 0x31): the bytes the
/// signature is computed over (RFC 5652 §5.4).
pub fn signed_attributes(values: &SignedAttributeValues) -> Result<Vec<u8>, CmsError> {
    build(values)?
        .to_der()
        .map_err(CmsError::der("encoding the signed attributes"))
}

pub(crate) fn build(values: &SignedAttributeValues) -> Result<Attributes, CmsError> {
    let der = CmsError::der("encoding a signed attribute");
    let mut attributes = vec![
        attribute(
            ID_CONTENT_TYPE,
            Any::encode_from(&values.content_type).map_err(der)?,
        )?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(values.message_digest.clone()).map_err(der)?)
                .map_err(der)?,
        )?,
        attribute(
            ID_AA_SIGNING_CERTIFICATE_V2,
            Any::encode_from(&signing_certificate_v2(&values.signer_certificate)?).map_err(der)?,
        )?,
    ];
    if let Some(at) = values.signing_time {
        attributes.push(attribute(
            ID_SIGNING_TIME,
            Any::encode_from(&signing_time(at)?).map_err(der)?,
        )?);
    }
    // `SetOfVec` sorts its elements by their DER encoding, which X.690 §11.6 requires.
    SetOfVec::try_from(attributes).map_err(CmsError::der("sorting the signed attributes"))
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, CmsError> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(CmsError::der("an attribute value"))?,
    })
}

/// ```text
/// SigningCertificateV2 ::= SEQUENCE {
///     certs       SEQUENCE OF ESSCertIDv2,
///     policies    SEQUENCE OF PolicyInformation OPTIONAL }
/// ```
/// (RFC 5035 §3.)
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    pub policies: Option<Vec<Any>>,
}

/// ```text
/// ESSCertIDv2 ::= SEQUENCE {
///     hashAlgorithm   AlgorithmIdentifier DEFAULT {algorithm id-sha256},
///     certHash        Hash,
///     issuerSerial    IssuerSerial OPTIONAL }
/// ```
/// (RFC 5035 §4.)
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertIdV2 {
    /// `None` stands for the DEFAULT SHA-256, which DER omits (X.690 §11.5).
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// ```text
/// SigningCertificate ::= SEQUENCE {
///     certs       SEQUENCE OF ESSCertID,
///     policies    SEQUENCE OF PolicyInformation OPTIONAL }
/// ESSCertID ::= SEQUENCE { certHash Hash, issuerSerial IssuerSerial OPTIONAL }
/// ```
/// (RFC 2634 §5.4; SHA-1, read from older signers and timestamp authorities, never written.)
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificateV1 {
    pub certs: Vec<EssCertIdV1>,
    #[asn1(optional = "true")]
    pub policies: Option<Vec<Any>>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertIdV1 {
    pub cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// ```text
/// IssuerSerial ::= SEQUENCE {
///     issuer          GeneralNames,
///     serialNumber    CertificateSerialNumber }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct IssuerSerial {
    pub issuer: Vec<GeneralName>,
    pub serial_number: SerialNumber,
}

/// signing-certificate-v2 for one certificate: its SHA-256 hash (so the DEFAULT hash
/// algorithm is omitted) and its issuer and serial number (RFC 5035 §4, ETSI EN 319 122-1
/// §5.2.2.3).
fn signing_certificate_v2(certificate_der: &[u8]) -> Result<SigningCertificateV2, CmsError> {
    let certificate = Certificate::from_der(certificate_der)
        .map_err(|source| CmsError::Certificate { index: 0, source })?;
    let hash = DigestAlgorithm::Sha256.digest(certificate_der);
    Ok(SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: None,
            cert_hash: OctetString::new(hash).map_err(CmsError::der("the certificate hash"))?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(
                    certificate.tbs_certificate.issuer.clone(),
                )],
                serial_number: certificate.tbs_certificate.serial_number.clone(),
            }),
        }],
        policies: None,
    })
}

/// RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise, to the second.
fn signing_time(at: time::OffsetDateTime) -> Result<Time, CmsError> {
    let seconds = u64::try_from(at.unix_timestamp()).map_err(|_| CmsError::Der {
        context: "signing-time before 1970",
        source: der::ErrorKind::DateTime.into(),
    })?;
    let since_epoch = std::time::Duration::from_secs(seconds);
    let der = CmsError::der("encoding signing-time");
    Ok(if at.year() < 2050 {
        Time::UtcTime(UtcTime::from_unix_duration(since_epoch).map_err(der)?)
    } else {
        Time::GeneralTime(GeneralizedTime::from_unix_duration(since_epoch).map_err(der)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::cms::tlv;

    fn test_certificate() -> Vec<u8> {
        let pem = include_bytes!("../../../certs/signers/officer-do-thi-huong.pem");
        openssl::x509::X509::from_pem(pem)
            .unwrap()
            .to_der()
            .unwrap()
    }

    fn values(signing_time: Option<time::OffsetDateTime>) -> SignedAttributeValues {
        SignedAttributeValues {
            content_type: super::super::ID_DATA,
            message_digest: vec![0xab; 32],
            signer_certificate: test_certificate(),
            signing_time,
        }
    }

    #[test]
    fn set_of_is_sorted_by_encoding() {
        let at = time::macros::datetime!(2026-03-01 08:30:00 UTC);
        let der = signed_attributes(&values(Some(at))).unwrap();
        assert_eq!(der[0], 0x31, "a SET OF");
        let outer = tlv::single(&der).unwrap();
        let elements: Vec<Vec<u8>> = tlv::children(outer.value())
            .unwrap()
            .iter()
            .map(|e| tlv::encoding(e).unwrap())
            .collect();
        assert_eq!(elements.len(), 4);
        let mut sorted = elements.clone();
        sorted.sort();
        assert_eq!(elements, sorted, "X.690 §11.6 order");
        // signing-time (shorter) sorts before message-digest although its OID is larger: the
        // order is by whole encoding, not by attribute type.
        let position = |oid: ObjectIdentifier| {
            let oid_der = oid.to_der().unwrap();
            elements
                .iter()
                .position(|e| e.windows(oid_der.len()).any(|w| w == oid_der))
                .unwrap()
        };
        assert!(position(ID_SIGNING_TIME) < position(ID_MESSAGE_DIGEST));
    }

    #[test]
    fn pades_attributes_have_no_signing_time() {
        let der = signed_attributes(&values(None)).unwrap();
        let attrs = Attributes::from_der(&der).unwrap();
        let oids: Vec<_> = attrs.iter().map(|a| a.oid).collect();
        assert_eq!(oids.len(), 3);
        assert!(!oids.contains(&ID_SIGNING_TIME));
        assert!(oids.contains(&ID_AA_SIGNING_CERTIFICATE_V2));
    }

    #[test]
    fn ess_cert_id_v2_omits_the_default_hash_and_binds_issuer_serial() {
        let certificate_der = test_certificate();
        let attribute = signing_certificate_v2(&certificate_der).unwrap();
        let der = attribute.to_der().unwrap();
        // SEQUENCE { SEQUENCE OF { SEQUENCE { OCTET STRING (32) ... } } }: the first element
        // of ESSCertIDv2 is the hash itself, so the default SHA-256 identifier was omitted.
        let cert_id = &attribute.certs[0];
        let cert_id_der = cert_id.to_der().unwrap();
        let first = tlv::children(tlv::single(&cert_id_der).unwrap().value()).unwrap()[0];
        assert_eq!(der::Tagged::tag(&first), der::Tag::OctetString);
        assert_eq!(
            cert_id.cert_hash.as_bytes(),
            DigestAlgorithm::Sha256.digest(&certificate_der)
        );
        let certificate = Certificate::from_der(&certificate_der).unwrap();
        let issuer_serial = cert_id.issuer_serial.as_ref().unwrap();
        assert_eq!(
            issuer_serial.serial_number,
            certificate.tbs_certificate.serial_number
        );
        assert_eq!(SigningCertificateV2::from_der(&der).unwrap(), attribute);
    }

    #[test]
    fn signing_time_uses_utc_time_before_2050() {
        let before = signing_time(time::macros::datetime!(2049-12-31 23:59:59 UTC)).unwrap();
        assert!(matches!(before, Time::UtcTime(_)));
        let after = signing_time(time::macros::datetime!(2050-01-01 00:00:00 UTC)).unwrap();
        assert!(matches!(after, Time::GeneralTime(_)));
    }
}
