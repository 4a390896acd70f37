//! CMS SignedData (RFC 5652) for PAdES signatures and RFC 3161 timestamp tokens: signed
//! attributes (ETSI EN 319 122-1 §5.2), the SignerInfo, the certificate set, and reading the
//! pieces back for verifiers. The signature value itself comes from a [`Signer`]; deciding
//! whether a signature is *valid* (trust, revocation, time) is left to `verify`.
//!
//! [`Signer`]: crate::sign::Signer

mod algorithm_id;
mod attributes;
mod builder;
mod parse;
mod tlv;
mod verify;

pub use algorithm_id::SignatureAlgorithm;
pub use attributes::{SignedAttributeValues, signed_attributes};
pub use builder::{PreparedSignerInfo, SignedDataParams, sign_detached};
pub use parse::{
    EssCertificateCheck, ParsedSignedData, RawAttribute, ReceivedSignedData, SignerIdentifier,
    add_unsigned_attribute, parse, parse_received, signature_value,
};
pub use verify::verify_signature_value;

use const_oid::ObjectIdentifier;

use super::{KeyKind, SignatureScheme, SignerError};

/// `id-data` (RFC 5652 §4): the eContentType of a PAdES signature, whose content is the
/// document's byte ranges, kept outside the CMS.
pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// `id-signedData` (RFC 5652 §5.1).
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-ct-TSTInfo` (RFC 3161 §2.4.2): the eContentType of a timestamp token.
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// `id-contentType` (RFC 5652 §11.1).
pub const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// `id-messageDigest` (RFC 5652 §11.2).
pub const ID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// `id-signingTime` (RFC 5652 §11.3). PAdES forbids it (ETSI EN 319 142-1 §5.3: the time
/// lives in the signature dictionary's /M).
pub const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// `id-aa-signingCertificate` (RFC 2634 §5.4, ESSCertID with SHA-1), read but never written.
pub const ID_AA_SIGNING_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
/// `id-aa-signingCertificateV2` (RFC 5035 §3).
pub const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// `id-aa-signatureTimeStampToken` (RFC 3161 Appendix A): the unsigned attribute of PAdES
/// B-T holding a timestamp over the signature value.
pub const ID_AA_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");

/// Why a CMS structure could not be built or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CmsError {
    #[error("malformed CMS ({context}): {source}")]
    Der {
        context: &'static str,
        #[source]
        source: der::Error,
    },
    #[error("the ContentInfo holds {content_type}, not SignedData (1.2.840.113549.1.7.2)")]
    NotSignedData { content_type: ObjectIdentifier },
    #[error("the SignedData has no SignerInfo")]
    NoSignerInfo,
    #[error("unsupported {what} algorithm {oid}")]
    UnsupportedAlgorithm {
        what: &'static str,
        oid: ObjectIdentifier,
    },
    #[error("the {what} parameters are malformed or unsupported: {detail}")]
    BadAlgorithmParameters { what: &'static str, detail: String },
    #[error("the signed attributes have no {name} attribute")]
    MissingAttribute { name: &'static str },
    #[error("the {name} attribute must hold exactly one value, found {count}")]
    AttributeValueCount { name: &'static str, count: usize },
    #[error("the message digest is {actual} bytes long, but {digest} digests are {expected} bytes")]
    MessageDigestLength {
        digest: &'static str,
        expected: usize,
        actual: usize,
    },
    #[error("the encapsulated content does not hash to the given message digest")]
    EncapsulatedDigestMismatch,
    #[error("no certificate was given for the signer")]
    EmptyChain,
    #[error("certificate {index} of the chain is not a valid X.509 certificate: {source}")]
    Certificate {
        index: usize,
        #[source]
        source: der::Error,
    },
    #[error("the signer's certificate holds a key kyso cannot use: {detail}")]
    UnsupportedKey { detail: String },
    #[error("a {key:?} key cannot produce {scheme:?} signatures")]
    SchemeMismatch {
        key: KeyKind,
        scheme: SignatureScheme,
    },
    #[error("the SignedData does not contain the certificate of its signer")]
    SignerCertificateNotFound,
    #[error("the signature value does not verify with the signer's certificate")]
    SignatureInvalid,
    #[error(
        "the chain starts with another certificate than the one the signed attributes were \
         prepared for"
    )]
    SignerChanged,
    #[error(
        "the content-type attribute says {attribute}, but the encapsulated content is \
         {econtent_type} (RFC 5652 §11.1)"
    )]
    ContentTypeMismatch {
        attribute: ObjectIdentifier,
        econtent_type: ObjectIdentifier,
    },
    #[error("the SignerInfo has no signed attributes")]
    NoSignedAttributes,
    #[error("the signing key failed: {0}")]
    Signer(#[from] SignerError),
    #[error("OpenSSL failed while {context}: {source}")]
    OpenSsl {
        context: &'static str,
        #[source]
        source: openssl::error::ErrorStack,
    },
}

impl CmsError {
    /// A `map_err` adapter for DER failures, recording what was being read or written.
    pub(crate) fn der(context: &'static str) -> impl Fn(der::Error) -> CmsError + Copy {
        move |source| CmsError::Der { context, source }
    }

    /// A `map_err` adapter for OpenSSL failures.
    pub(crate) fn openssl(
        context: &'static str,
    ) -> impl Fn(openssl::error::ErrorStack) -> CmsError + Copy {
        move |source| CmsError::OpenSsl { context, source }
    }
}
