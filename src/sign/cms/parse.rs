//! Reading a SignedData back (RFC 5652 §5): the pieces a verifier needs, taken from the
//! received bytes so that the signed attributes are hashed exactly as they were signed, and
//! adding an unsigned attribute (a signature timestamp for PAdES B-T, ETSI EN 319 142-1
//! §5.4) without touching anything that is signed. Judging trust is left to `verify`.

use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, OctetStringRef};
use der::{Decode, Encode, Tag, Tagged};
use spki::AlgorithmIdentifierOwned;

use super::algorithm_id::digest_from_identifier;
use super::attributes::{SigningCertificateV1, SigningCertificateV2};
use super::builder::issuer_and_serial_raw;
use super::verify::verify_signature_value;
use super::{
    CmsError, ID_AA_SIGNING_CERTIFICATE, ID_AA_SIGNING_CERTIFICATE_V2, ID_CONTENT_TYPE,
    ID_MESSAGE_DIGEST, ID_SIGNED_DATA, SignatureAlgorithm, tlv,
};
use crate::sign::DigestAlgorithm;

/// An attribute as received: its type and the DER of each of its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAttribute {
    pub oid: ObjectIdentifier,
    pub values: Vec<Vec<u8>>,
}

/// How the SignerInfo names its signer's certificate (RFC 5652 §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerIdentifier {
    /// The DER of the issuer Name and of the serialNumber INTEGER.
    IssuerAndSerialNumber { issuer: Vec<u8>, serial: Vec<u8> },
    /// The subjectKeyIdentifier octets.
    SubjectKeyIdentifier(Vec<u8>),
}

/// The outcome of comparing ESS signing-certificate(-v2) with the signer's certificate
/// (RFC 5035 §5.4, ETSI EN 319 122-1 §5.2.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EssCertificateCheck {
    /// The first ESSCertID names the signer's certificate; `version` is 1 (SHA-1,
    /// RFC 2634) or 2 (RFC 5035).
    Matches { version: u8 },
    /// The attribute names another certificate.
    Mismatch,
    /// Neither attribute is present.
    Absent,
    /// The attribute is malformed, uses an unsupported hash, or the signer's certificate
    /// is missing.
    Unreadable,
}

/// What a verifier needs from a SignedData, for its first SignerInfo. `D` and `S` are the
/// digest and signature algorithms: typed ([`DigestAlgorithm`], [`SignatureAlgorithm`]) as
/// [`parse`] returns them, or the identifiers as received from [`parse_received`], for a
/// verifier that judges algorithms kyso does not sign with (SHA-1, MD5) by its own policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSignedData<D = DigestAlgorithm, S = SignatureAlgorithm> {
    /// eContentType.
    pub content_type: ObjectIdentifier,
    /// The eContent octets when the content is attached (a TSTInfo), `None` if detached.
    pub encapsulated: Option<Vec<u8>>,
    /// Every certificate in `certificates`, as received.
    pub certificates: Vec<Vec<u8>>,
    /// The CRLs in `crls` (RFC 5652 §10.2.1 RevocationInfoChoice `crl`), as received.
    pub revocation_crls: Vec<Vec<u8>>,
    /// The OCSP responses in `crls` (RFC 5940 §2.1: `other` with id-ri-ocsp-response).
    pub revocation_ocsp_responses: Vec<Vec<u8>>,
    /// How many SignerInfos there are; only the first is described here.
    pub signer_info_count: usize,
    pub signer_identifier: SignerIdentifier,
    /// The certificate `signer_identifier` names, if the SignedData carries it.
    pub signer_certificate: Option<Vec<u8>>,
    pub digest_algorithm: D,
    pub signature_algorithm: S,
    pub signature: Vec<u8>,
    /// The signed attributes re-tagged as `SET OF` (0x31): the bytes that were signed.
    pub signed_attributes_der: Option<Vec<u8>>,
    pub signed_attributes: Vec<RawAttribute>,
    /// The message-digest attribute's octets.
    pub message_digest: Option<Vec<u8>>,
    pub unsigned_attributes: Vec<RawAttribute>,
}

/// A SignedData with its first SignerInfo's algorithm identifiers as received.
pub type ReceivedSignedData = ParsedSignedData<AlgorithmIdentifierOwned, AlgorithmIdentifierOwned>;

/// `id-ri-ocsp-response` (RFC 5940 §2.1): an OCSPResponse among the RevocationInfoChoices.
const ID_RI_OCSP_RESPONSE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.16.2");

/// Reads a ContentInfo holding SignedData, accepting the SHA-2 digests and the signature
/// algorithms kyso signs with (RSASSA-PSS, PKCS#1 v1.5, ECDSA over SHA-2) only.
pub fn parse(cms_der: &[u8]) -> Result<ParsedSignedData, CmsError> {
    parse_received(cms_der)?.typed()
}

impl ReceivedSignedData {
    /// The same SignedData with its algorithms read as kyso knows them; an algorithm it does
    /// not sign with is an error.
    pub fn typed(self) -> Result<ParsedSignedData, CmsError> {
        let digest_algorithm = digest_from_identifier(&self.digest_algorithm)?;
        let signature_algorithm = SignatureAlgorithm::from_identifier(&self.signature_algorithm)?;
        Ok(ParsedSignedData {
            content_type: self.content_type,
            encapsulated: self.encapsulated,
            certificates: self.certificates,
            revocation_crls: self.revocation_crls,
            revocation_ocsp_responses: self.revocation_ocsp_responses,
            signer_info_count: self.signer_info_count,
            signer_identifier: self.signer_identifier,
            signer_certificate: self.signer_certificate,
            digest_algorithm,
            signature_algorithm,
            signature: self.signature,
            signed_attributes_der: self.signed_attributes_der,
            signed_attributes: self.signed_attributes,
            message_digest: self.message_digest,
            unsigned_attributes: self.unsigned_attributes,
        })
    }
}

/// Reads a ContentInfo holding SignedData, whatever algorithms its first SignerInfo names.
pub fn parse_received(cms_der: &[u8]) -> Result<ReceivedSignedData, CmsError> {
    let der = CmsError::der("reading the SignedData");
    let layout = Layout::read(cms_der)?;
    let fields = &layout.signer_info;

    let encap = tlv::children(layout.signed_data[2].value()).map_err(der)?;
    let content_type = encap
        .first()
        .ok_or(CmsError::Der {
            context: "encapContentInfo",
            source: der::ErrorKind::Length { tag: Tag::Sequence }.into(),
        })?
        .decode_as::<ObjectIdentifier>()
        .map_err(der)?;
    let encapsulated = match encap.get(1) {
        Some(explicit) => Some(
            AnyRef::from_der(explicit.value())
                .and_then(|octets| octets.decode_as::<OctetStringRef>())
                .map_err(CmsError::der("eContent"))?
                .as_bytes()
                .to_vec(),
        ),
        None => None,
    };

    let certificates = match layout
        .signed_data
        .iter()
        .find(|f| f.tag() == tlv::context(0))
    {
        Some(set) => tlv::children(set.value())
            .map_err(CmsError::der("certificates"))?
            .iter()
            // Only `certificate` choices (a plain SEQUENCE); attribute and other
            // certificate formats are tagged and ignored.
            .filter(|c| c.tag() == Tag::Sequence)
            .map(tlv::encoding)
            .collect::<der::Result<Vec<_>>>()
            .map_err(CmsError::der("certificates"))?,
        None => Vec::new(),
    };

    let signer_identifier = match fields[1].tag() {
        Tag::Sequence => {
            let parts = tlv::children(fields[1].value()).map_err(der)?;
            if parts.len() != 2 {
                return Err(CmsError::Der {
                    context: "issuerAndSerialNumber",
                    source: der::ErrorKind::Length { tag: Tag::Sequence }.into(),
                });
            }
            SignerIdentifier::IssuerAndSerialNumber {
                issuer: tlv::encoding(&parts[0]).map_err(der)?,
                serial: tlv::encoding(&parts[1]).map_err(der)?,
            }
        }
        _ => SignerIdentifier::SubjectKeyIdentifier(fields[1].value().to_vec()),
    };
    let signer_certificate = certificates
        .iter()
        .find(|c| names_certificate(&signer_identifier, c))
        .cloned();

    let digest_algorithm = fields[2]
        .decode_as::<AlgorithmIdentifierOwned>()
        .map_err(der)?;
    let signed = layout.signed_attributes_index().map(|i| &fields[i]);
    let after = layout.signature_algorithm_index();
    let signature_algorithm = fields
        .get(after)
        .ok_or(CmsError::NoSignerInfo)?
        .decode_as::<AlgorithmIdentifierOwned>()
        .map_err(der)?;
    let signature = fields
        .get(after + 1)
        .ok_or(CmsError::NoSignerInfo)?
        .decode_as::<OctetStringRef>()
        .map_err(der)?
        .as_bytes()
        .to_vec();

    let signed_attributes = match signed {
        Some(set) => attributes_of(set.value())?,
        None => Vec::new(),
    };
    let signed_attributes_der = signed
        .map(|set| tlv::wrap(Tag::Set, set.value()))
        .transpose()
        .map_err(der)?;
    let message_digest = match signed_attributes
        .iter()
        .find(|a| a.oid == ID_MESSAGE_DIGEST)
    {
        Some(attribute) => Some(
            OctetStringRef::from_der(single_value(attribute, "message-digest")?)
                .map_err(CmsError::der("message-digest"))?
                .as_bytes()
                .to_vec(),
        ),
        None => None,
    };
    let unsigned_attributes = match fields.get(after + 2) {
        Some(set) if set.tag() == tlv::context(1) => attributes_of(set.value())?,
        _ => Vec::new(),
    };

    let RevocationValues {
        crls: revocation_crls,
        responses: revocation_ocsp_responses,
    } = revocation_choices(&layout);

    Ok(ParsedSignedData {
        content_type,
        encapsulated,
        certificates,
        revocation_crls,
        revocation_ocsp_responses,
        signer_info_count: layout.signer_infos.len(),
        signer_identifier,
        signer_certificate,
        digest_algorithm,
        signature_algorithm,
        signature,
        signed_attributes_der,
        signed_attributes,
        message_digest,
        unsigned_attributes,
    })
}

/// ```text
/// RevocationInfoChoices ::= SET OF RevocationInfoChoice
/// RevocationInfoChoice ::= CHOICE {
///     crl CertificateList,
///     other [1] IMPLICIT OtherRevocationInfoFormat }
/// OtherRevocationInfoFormat ::= SEQUENCE {
///     otherRevInfoFormat OBJECT IDENTIFIER,
///     otherRevInfo ANY DEFINED BY otherRevInfoFormat }
/// ```
/// (RFC 5652 §10.2.1, the SignedData's `crls [1] IMPLICIT`): the CRLs, and the OCSP
/// responses carried as `other` with id-ri-ocsp-response (RFC 5940 §2.1). Other formats are
/// skipped.
///
/// The field is not signed: a malformed value is skipped rather than failing the whole
/// SignedData (a verifier then finds no revocation data in it).
fn revocation_choices(layout: &Layout<'_>) -> RevocationValues {
    let mut values = RevocationValues {
        crls: Vec::new(),
        responses: Vec::new(),
    };
    let choices = layout
        .signed_data
        .iter()
        .find(|f| f.tag() == tlv::context(1))
        .and_then(|set| tlv::children(set.value()).ok())
        .unwrap_or_default();
    for choice in choices {
        if choice.tag() == Tag::Sequence {
            values.crls.extend(tlv::encoding(&choice).ok());
        } else if choice.tag() == tlv::context(1)
            && let Ok(parts) = tlv::children(choice.value())
            && let [format, value] = parts.as_slice()
            && format.decode_as::<ObjectIdentifier>().ok() == Some(ID_RI_OCSP_RESPONSE)
        {
            values.responses.extend(tlv::encoding(value).ok());
        }
    }
    values
}

/// The CRLs and OCSP responses of a SignedData's `crls` field, as received.
struct RevocationValues {
    crls: Vec<Vec<u8>>,
    responses: Vec<Vec<u8>>,
}

impl<D, S> ParsedSignedData<D, S> {
    pub fn signed_attribute(&self, oid: ObjectIdentifier) -> Option<&RawAttribute> {
        self.signed_attributes.iter().find(|a| a.oid == oid)
    }

    pub fn unsigned_attribute(&self, oid: ObjectIdentifier) -> Option<&RawAttribute> {
        self.unsigned_attributes.iter().find(|a| a.oid == oid)
    }
}

impl ParsedSignedData {
    /// Checks the cryptographic binding of the first SignerInfo (RFC 5652 §5.4, §5.6): the
    /// content-type attribute equals eContentType, and the signature over the signed
    /// attributes verifies with the signer's certificate. The message digest is compared by
    /// the caller, who has the content.
    pub fn verify_signature(&self) -> Result<(), CmsError> {
        let certificate = self
            .signer_certificate
            .as_ref()
            .ok_or(CmsError::SignerCertificateNotFound)?;
        let signed = self.signed_bytes()?;
        if verify_signature_value(
            certificate,
            signed,
            self.signature_algorithm,
            self.digest_algorithm,
            &self.signature,
        )? {
            Ok(())
        } else {
            Err(CmsError::SignatureInvalid)
        }
    }
}

impl<D, S> ParsedSignedData<D, S> {
    /// The signed attributes as they were signed, after checking what RFC 5652 §5.3 and
    /// §11.1 ask of them whatever the algorithms: present, a content-type attribute equal to
    /// eContentType, and a message-digest attribute.
    pub fn signed_bytes(&self) -> Result<&[u8], CmsError> {
        let signed = self
            .signed_attributes_der
            .as_ref()
            .ok_or(CmsError::NoSignedAttributes)?;
        let content_type =
            self.signed_attribute(ID_CONTENT_TYPE)
                .ok_or(CmsError::MissingAttribute {
                    name: "content-type",
                })?;
        let content_type = ObjectIdentifier::from_der(single_value(content_type, "content-type")?)
            .map_err(CmsError::der("content-type"))?;
        if content_type != self.content_type {
            return Err(CmsError::ContentTypeMismatch {
                attribute: content_type,
                econtent_type: self.content_type,
            });
        }
        self.message_digest
            .as_ref()
            .ok_or(CmsError::MissingAttribute {
                name: "message-digest",
            })?;
        Ok(signed)
    }

    /// Compares ESS signing-certificate-v2 (or, failing that, signing-certificate) with the
    /// signer's certificate: the hash of the first ESSCertID and, when present, its issuer
    /// serial number.
    pub fn check_signing_certificate(&self) -> EssCertificateCheck {
        let Some(certificate) = &self.signer_certificate else {
            return EssCertificateCheck::Unreadable;
        };
        let serial = issuer_and_serial_raw(certificate)
            .ok()
            .map(|(_, serial)| serial);
        let serial_matches = |s: &x509_cert::serial_number::SerialNumber| s.to_der().ok() == serial;
        let verdict = |matches: bool, version| {
            if matches {
                EssCertificateCheck::Matches { version }
            } else {
                EssCertificateCheck::Mismatch
            }
        };
        if let Some(attribute) = self.signed_attribute(ID_AA_SIGNING_CERTIFICATE_V2) {
            let Some(id) = single_value(attribute, "signing-certificate-v2")
                .ok()
                .and_then(|v| SigningCertificateV2::from_der(v).ok())
                .and_then(|v| v.certs.into_iter().next())
            else {
                return EssCertificateCheck::Unreadable;
            };
            let digest = match &id.hash_algorithm {
                None => Ok(DigestAlgorithm::Sha256),
                Some(algorithm) => digest_from_identifier(algorithm),
            };
            let Ok(digest) = digest else {
                return EssCertificateCheck::Unreadable;
            };
            let matches = id.cert_hash.as_bytes() == digest.digest(certificate)
                && id
                    .issuer_serial
                    .as_ref()
                    .is_none_or(|is| serial_matches(&is.serial_number));
            return verdict(matches, 2);
        }
        if let Some(attribute) = self.signed_attribute(ID_AA_SIGNING_CERTIFICATE) {
            let Some(id) = single_value(attribute, "signing-certificate")
                .ok()
                .and_then(|v| SigningCertificateV1::from_der(v).ok())
                .and_then(|v| v.certs.into_iter().next())
            else {
                return EssCertificateCheck::Unreadable;
            };
            let sha1 = openssl::hash::hash(openssl::hash::MessageDigest::sha1(), certificate);
            let matches = sha1.is_ok_and(|h| id.cert_hash.as_bytes() == &h[..])
                && id
                    .issuer_serial
                    .as_ref()
                    .is_none_or(|is| serial_matches(&is.serial_number));
            return verdict(matches, 1);
        }
        EssCertificateCheck::Absent
    }
}

/// The first SignerInfo's signature value (what a signature timestamp covers, RFC 3161
/// Appendix A).
pub fn signature_value(cms_der: &[u8]) -> Result<Vec<u8>, CmsError> {
    let layout = Layout::read(cms_der)?;
    let index = layout.signature_algorithm_index() + 1;
    Ok(layout
        .signer_info
        .get(index)
        .ok_or(CmsError::NoSignerInfo)?
        .decode_as::<OctetStringRef>()
        .map_err(CmsError::der("the signature value"))?
        .as_bytes()
        .to_vec())
}

/// Adds an unsigned attribute with one value (`value_der`, a complete DER element) to the
/// first SignerInfo, keeping every other byte — in particular the signed attributes and the
/// certificates — as it was. Used for `id-aa-signatureTimeStampToken` (PAdES B-T).
pub fn add_unsigned_attribute(
    cms_der: &[u8],
    oid: ObjectIdentifier,
    value_der: &[u8],
) -> Result<Vec<u8>, CmsError> {
    let der = CmsError::der("adding an unsigned attribute");
    tlv::single(value_der).map_err(CmsError::der("the attribute value"))?;
    let layout = Layout::read(cms_der)?;

    let attribute = tlv::wrap(
        Tag::Sequence,
        &[
            oid.to_der().map_err(der)?,
            tlv::wrap(Tag::Set, value_der).map_err(der)?,
        ]
        .concat(),
    )
    .map_err(der)?;

    let mut signer_info: Vec<Vec<u8>> = layout
        .signer_info
        .iter()
        .map(tlv::encoding)
        .collect::<der::Result<_>>()
        .map_err(der)?;
    let existing = layout
        .signer_info
        .last()
        .filter(|f| f.tag() == tlv::context(1));
    let mut attributes = match existing {
        Some(set) => {
            signer_info.pop();
            tlv::children(set.value())
                .map_err(der)?
                .iter()
                .map(tlv::encoding)
                .collect::<der::Result<Vec<_>>>()
                .map_err(der)?
        }
        None => Vec::new(),
    };
    attributes.push(attribute);
    // A SET OF, so sorted by encoding (X.690 §11.6); unsigned attributes are not signed, so
    // reordering them is harmless.
    attributes.sort();
    signer_info.push(tlv::wrap(tlv::context(1), &attributes.concat()).map_err(der)?);
    let signer_info = tlv::wrap(Tag::Sequence, &signer_info.concat()).map_err(der)?;

    let mut signer_infos: Vec<Vec<u8>> = layout
        .signer_infos
        .iter()
        .map(tlv::encoding)
        .collect::<der::Result<_>>()
        .map_err(der)?;
    signer_infos[0] = signer_info;
    let mut signed_data: Vec<Vec<u8>> = layout
        .signed_data
        .iter()
        .map(tlv::encoding)
        .collect::<der::Result<_>>()
        .map_err(der)?;
    *signed_data.last_mut().expect("SignedData has fields") =
        tlv::wrap(Tag::Set, &signer_infos.concat()).map_err(der)?;
    let signed_data = tlv::wrap(Tag::Sequence, &signed_data.concat()).map_err(der)?;
    let content_info = [
        ID_SIGNED_DATA.to_der().map_err(der)?,
        tlv::wrap(tlv::context(0), &signed_data).map_err(der)?,
    ]
    .concat();
    tlv::wrap(Tag::Sequence, &content_info).map_err(der)
}

/// The elements of a ContentInfo/SignedData down to the first SignerInfo, borrowed from the
/// input.
struct Layout<'a> {
    signed_data: Vec<AnyRef<'a>>,
    signer_infos: Vec<AnyRef<'a>>,
    signer_info: Vec<AnyRef<'a>>,
}

impl<'a> Layout<'a> {
    fn read(cms_der: &'a [u8]) -> Result<Layout<'a>, CmsError> {
        let der = CmsError::der("reading the ContentInfo");
        let content_info = tlv::single(cms_der).map_err(der)?;
        let parts = tlv::children(content_info.value()).map_err(der)?;
        let [content_type, content] = parts.as_slice() else {
            return Err(CmsError::Der {
                context: "ContentInfo",
                source: der::ErrorKind::Length { tag: Tag::Sequence }.into(),
            });
        };
        let content_type = content_type.decode_as::<ObjectIdentifier>().map_err(der)?;
        if content_type != ID_SIGNED_DATA {
            return Err(CmsError::NotSignedData { content_type });
        }
        let der = CmsError::der("reading the SignedData");
        let signed_data = AnyRef::from_der(content.value()).map_err(der)?;
        let signed_data = tlv::children(signed_data.value()).map_err(der)?;
        // version, digestAlgorithms, encapContentInfo, [0]?, [1]?, signerInfos
        if signed_data.len() < 4 || signed_data.last().map(|s| s.tag()) != Some(Tag::Set) {
            return Err(CmsError::Der {
                context: "SignedData",
                source: der::ErrorKind::Length { tag: Tag::Sequence }.into(),
            });
        }
        let signer_infos = tlv::children(signed_data[signed_data.len() - 1].value())
            .map_err(CmsError::der("signerInfos"))?;
        let first = signer_infos.first().ok_or(CmsError::NoSignerInfo)?;
        let signer_info = tlv::children(first.value()).map_err(CmsError::der("SignerInfo"))?;
        if signer_info.len() < 5 {
            return Err(CmsError::Der {
                context: "SignerInfo",
                source: der::ErrorKind::Length { tag: Tag::Sequence }.into(),
            });
        }
        Ok(Layout {
            signed_data,
            signer_infos,
            signer_info,
        })
    }

    /// signedAttrs sits after version, sid and digestAlgorithm, when present.
    fn signed_attributes_index(&self) -> Option<usize> {
        (self.signer_info[3].tag() == tlv::context(0)).then_some(3)
    }

    fn signature_algorithm_index(&self) -> usize {
        if self.signed_attributes_index().is_some() {
            4
        } else {
            3
        }
    }
}

fn attributes_of(set_content: &[u8]) -> Result<Vec<RawAttribute>, CmsError> {
    let der = CmsError::der("reading attributes");
    tlv::children(set_content)
        .map_err(der)?
        .iter()
        .map(|attribute| {
            let parts = tlv::children(attribute.value()).map_err(der)?;
            let [oid, values] = parts.as_slice() else {
                return Err(CmsError::Der {
                    context: "Attribute",
                    source: der::ErrorKind::Length { tag: Tag::Sequence }.into(),
                });
            };
            Ok(RawAttribute {
                oid: oid.decode_as::<ObjectIdentifier>().map_err(der)?,
                values: tlv::children(values.value())
                    .map_err(der)?
                    .iter()
                    .map(tlv::encoding)
                    .collect::<der::Result<_>>()
                    .map_err(der)?,
            })
        })
        .collect()
}

/// RFC 5652 §11: content-type, message-digest and the ESS attributes are single-valued.
fn single_value<'a>(attribute: &'a RawAttribute, name: &'static str) -> Result<&'a [u8], CmsError> {
    match attribute.values.as_slice() {
        [value] => Ok(value),
        values => Err(CmsError::AttributeValueCount {
            name,
            count: values.len(),
        }),
    }
}

/// Whether `certificate` is the one `sid` names.
fn names_certificate(sid: &SignerIdentifier, certificate: &[u8]) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber { issuer, serial } => {
            let Ok((cert_issuer, cert_serial)) = issuer_and_serial_raw(certificate) else {
                return false;
            };
            cert_serial == *serial && (cert_issuer == *issuer || same_name(issuer, &cert_issuer))
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => openssl::x509::X509::from_der(certificate)
            .ok()
            .and_then(|c| c.subject_key_id().map(|id| id.as_slice() == ski.as_slice()))
            .unwrap_or(false),
    }
}

/// Names that differ in encoding but not in value (RFC 5280 §7.1 comparison, as OpenSSL
/// does it).
fn same_name(a: &[u8], b: &[u8]) -> bool {
    use openssl::x509::X509Name;
    match (X509Name::from_der(a), X509Name::from_der(b)) {
        (Ok(a), Ok(b)) => a.try_cmp(&b).is_ok_and(|o| o.is_eq()),
        _ => false,
    }
}
