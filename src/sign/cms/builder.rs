//! Building a SignedData in two stages, so that the PAdES code, two-step signing and the
//! time-stamping authority share one path: [`SignedDataParams::prepare`] fixes the signed
//! attributes (the data to be signed), [`PreparedSignerInfo::finish`] wraps a signature value
//! into the ContentInfo (RFC 5652 §3, §5). Where the signature comes from is left to callers.
//!
//! The SignedData is assembled from DER pieces rather than re-encoded types, so certificates
//! are carried byte for byte as they were issued.

use const_oid::ObjectIdentifier;
use der::asn1::{OctetString, SetOfVec};
use der::{Encode, Tag, Tagged};
use serde::{Deserialize, Serialize};

use super::algorithm_id::digest_identifier;
use super::attributes::{self, SignedAttributeValues};
use super::verify::{certificate_key_kind, verify_signature_value};
use super::{CmsError, ID_DATA, ID_SIGNED_DATA, SignatureAlgorithm, tlv};
use crate::sign::{DigestAlgorithm, SignatureScheme, Signer};

/// Everything a SignerInfo's signed attributes depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDataParams {
    /// The digest of the content and of the signed attributes.
    pub digest: DigestAlgorithm,
    pub scheme: SignatureScheme,
    /// The eContentType: `id-data` for PAdES, `id-ct-TSTInfo` for timestamp tokens.
    pub content_type: ObjectIdentifier,
    /// The hash of the content with `digest` (for PAdES: of the /ByteRange).
    pub message_digest: Vec<u8>,
    /// Attached eContent (a TSTInfo); `None` for a detached signature.
    pub encapsulated: Option<Vec<u8>>,
    /// The signer's certificate (DER) first, then its issuers.
    pub chain: Vec<Vec<u8>>,
    /// signing-time; must stay `None` for PAdES (ETSI EN 319 142-1 §5.3).
    pub signing_time: Option<time::OffsetDateTime>,
    /// Whether `chain` goes into the `certificates` field (RFC 3161 §2.4.1: only when the
    /// requester set certReq).
    pub include_certificates: bool,
}

impl SignedDataParams {
    /// A detached PAdES signature (ETSI EN 319 142-1 §5.3, SubFilter ETSI.CAdES.detached):
    /// `id-data`, no signing-time, the chain included.
    pub fn pades(
        chain: Vec<Vec<u8>>,
        digest: DigestAlgorithm,
        scheme: SignatureScheme,
        message_digest: Vec<u8>,
    ) -> SignedDataParams {
        SignedDataParams {
            digest,
            scheme,
            content_type: ID_DATA,
            message_digest,
            encapsulated: None,
            chain,
            signing_time: None,
            include_certificates: true,
        }
    }

    /// [`SignedDataParams::pades`] with the signer's chain and its key's default scheme.
    pub fn for_signer(
        signer: &dyn Signer,
        digest: DigestAlgorithm,
        message_digest: Vec<u8>,
    ) -> SignedDataParams {
        SignedDataParams::pades(
            signer.certificate_chain().to_vec(),
            digest,
            signer.key_kind().default_scheme(),
            message_digest,
        )
    }

    /// Checks the parameters and encodes the signed attributes.
    pub fn prepare(&self) -> Result<PreparedSignerInfo, CmsError> {
        let leaf = self.chain.first().ok_or(CmsError::EmptyChain)?;
        if self.message_digest.len() != self.digest.output_len() {
            return Err(CmsError::MessageDigestLength {
                digest: self.digest.name(),
                expected: self.digest.output_len(),
                actual: self.message_digest.len(),
            });
        }
        if let Some(content) = &self.encapsulated
            && self.digest.digest(content) != self.message_digest
        {
            return Err(CmsError::EncapsulatedDigestMismatch);
        }
        let key = certificate_key_kind(leaf)?;
        if !key.allows(self.scheme) {
            return Err(CmsError::SchemeMismatch {
                key,
                scheme: self.scheme,
            });
        }
        let signed_attributes_der = attributes::signed_attributes(&SignedAttributeValues {
            content_type: self.content_type,
            message_digest: self.message_digest.clone(),
            signer_certificate: leaf.clone(),
            signing_time: self.signing_time,
        })?;
        Ok(PreparedSignerInfo {
            signed_attributes_der,
            digest: self.digest,
            scheme: self.scheme,
            content_type: self.content_type.to_string(),
            message_digest: self.message_digest.clone(),
            encapsulated: self.encapsulated.clone(),
            chain: self.chain.clone(),
            include_certificates: self.include_certificates,
        })
    }
}

/// A SignerInfo waiting for its signature value. Serializable, so a server can keep it
/// between the two steps of remote signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedSignerInfo {
    signed_attributes_der: Vec<u8>,
    #[serde(with = "DigestAlgorithmDef")]
    digest: DigestAlgorithm,
    #[serde(with = "SignatureSchemeDef")]
    scheme: SignatureScheme,
    /// Dotted decimal, since `ObjectIdentifier` has no serde form.
    content_type: String,
    message_digest: Vec<u8>,
    encapsulated: Option<Vec<u8>>,
    chain: Vec<Vec<u8>>,
    include_certificates: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "DigestAlgorithm")]
enum DigestAlgorithmDef {
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "SignatureScheme")]
enum SignatureSchemeDef {
    RsaPss,
    RsaPkcs1v15,
    Ecdsa,
}

impl PreparedSignerInfo {
    /// The DER `SET OF Attribute` the signature is computed over (RFC 5652 §5.4).
    pub fn signed_attributes_der(&self) -> &[u8] {
        &self.signed_attributes_der
    }

    /// The hash of the signed attributes, for keys that sign a precomputed digest.
    pub fn digest_to_be_signed(&self) -> Vec<u8> {
        self.digest.digest(&self.signed_attributes_der)
    }

    pub fn digest(&self) -> DigestAlgorithm {
        self.digest
    }

    pub fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    pub fn message_digest(&self) -> &[u8] {
        &self.message_digest
    }

    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    pub fn content_type(&self) -> Result<ObjectIdentifier, CmsError> {
        ObjectIdentifier::new(&self.content_type).map_err(|_| CmsError::Der {
            context: "the stored content type",
            source: der::ErrorKind::OidMalformed.into(),
        })
    }

    /// The same prepared SignerInfo with a longer or shorter list of issuers for the
    /// `certificates` field; the signer's certificate, which the signed attributes bind,
    /// must stay the same.
    pub fn with_chain(mut self, chain: Vec<Vec<u8>>) -> Result<PreparedSignerInfo, CmsError> {
        if chain.first() != self.chain.first() {
            return Err(CmsError::SignerChanged);
        }
        self.chain = chain;
        Ok(self)
    }

    /// Whether `signature` is a valid signature of the signed attributes by the chain's
    /// first certificate.
    pub fn signature_matches(&self, signature: &[u8]) -> Result<bool, CmsError> {
        verify_signature_value(
            &self.chain[0],
            &self.signed_attributes_der,
            SignatureAlgorithm::new(self.scheme, self.digest),
            self.digest,
            signature,
        )
    }

    /// The ContentInfo DER holding the SignedData with `signature` as the signature value.
    /// The signature is not checked here; see [`PreparedSignerInfo::signature_matches`].
    pub fn finish(&self, signature: &[u8]) -> Result<Vec<u8>, CmsError> {
        let der = CmsError::der("encoding the SignedData");
        let leaf = self.chain.first().ok_or(CmsError::EmptyChain)?;
        let signer_info = self.signer_info(leaf, signature)?;

        // RFC 5652 §5.1: version 1 for id-data with issuerAndSerialNumber, 3 otherwise.
        let version: u8 = if self.content_type()? == ID_DATA {
            1
        } else {
            3
        };
        let digest_algorithms = SetOfVec::try_from(vec![digest_identifier(self.digest)])
            .map_err(der)?
            .to_der()
            .map_err(der)?;
        let mut encap = self.content_type()?.to_der().map_err(der)?;
        if let Some(content) = &self.encapsulated {
            // eContent [0] EXPLICIT OCTET STRING (RFC 5652 §5.2).
            let octets = OctetString::new(content.clone())
                .map_err(der)?
                .to_der()
                .map_err(der)?;
            encap.extend(tlv::wrap(tlv::context(0), &octets).map_err(der)?);
        }
        let mut fields = vec![
            version.to_der().map_err(der)?,
            digest_algorithms,
            tlv::wrap(Tag::Sequence, &encap).map_err(der)?,
        ];
        if self.include_certificates {
            fields.push(certificate_set(&self.chain)?);
        }
        fields.push(tlv::wrap(Tag::Set, &signer_info).map_err(der)?);
        let signed_data = tlv::wrap(Tag::Sequence, &fields.concat()).map_err(der)?;

        let content_info = [
            ID_SIGNED_DATA.to_der().map_err(der)?,
            tlv::wrap(tlv::context(0), &signed_data).map_err(der)?,
        ]
        .concat();
        tlv::wrap(Tag::Sequence, &content_info).map_err(der)
    }

    /// ```text
    /// SignerInfo ::= SEQUENCE {
    ///     version CMSVersion,                       -- 1: issuerAndSerialNumber
    ///     sid SignerIdentifier,
    ///     digestAlgorithm DigestAlgorithmIdentifier,
    ///     signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,
    ///     signatureAlgorithm SignatureAlgorithmIdentifier,
    ///     signature SignatureValue,
    ///     unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
    /// ```
    fn signer_info(&self, leaf: &[u8], signature: &[u8]) -> Result<Vec<u8>, CmsError> {
        let der = CmsError::der("encoding the SignerInfo");
        let signed_attributes = tlv::single(&self.signed_attributes_der).map_err(der)?;
        let fields = [
            1u8.to_der().map_err(der)?,
            issuer_and_serial_number(leaf)?,
            digest_identifier(self.digest).to_der().map_err(der)?,
            // The SET OF is signed with its universal tag, and carried as [0] IMPLICIT.
            tlv::wrap(tlv::context(0), signed_attributes.value()).map_err(der)?,
            SignatureAlgorithm::new(self.scheme, self.digest)
                .identifier()?
                .to_der()
                .map_err(der)?,
            OctetString::new(signature)
                .map_err(der)?
                .to_der()
                .map_err(der)?,
        ];
        tlv::wrap(Tag::Sequence, &fields.concat()).map_err(der)
    }
}

/// `certificates [0] IMPLICIT CertificateSet`, a SET OF: duplicates dropped and the
/// encodings sorted (X.690 §11.6). The certificates themselves are copied unchanged.
fn certificate_set(chain: &[Vec<u8>]) -> Result<Vec<u8>, CmsError> {
    for (index, certificate) in chain.iter().enumerate() {
        tlv::single(certificate).map_err(|source| CmsError::Certificate { index, source })?;
    }
    let mut sorted = chain.to_vec();
    sorted.sort();
    sorted.dedup();
    tlv::wrap(tlv::context(0), &sorted.concat()).map_err(CmsError::der("the certificate set"))
}

/// `IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber CertificateSerialNumber }`
/// (RFC 5652 §10.2.4), with both copied from the certificate's own bytes.
fn issuer_and_serial_number(certificate: &[u8]) -> Result<Vec<u8>, CmsError> {
    let (issuer, serial) = issuer_and_serial_raw(certificate)
        .map_err(|source| CmsError::Certificate { index: 0, source })?;
    tlv::wrap(Tag::Sequence, &[issuer, serial].concat())
        .map_err(CmsError::der("the signer identifier"))
}

/// The encodings of a certificate's issuer Name and serialNumber (RFC 5280 §4.1).
pub(crate) fn issuer_and_serial_raw(certificate: &[u8]) -> der::Result<(Vec<u8>, Vec<u8>)> {
    let missing = || der::Error::from(der::ErrorKind::Length { tag: Tag::Sequence });
    let outer = tlv::single(certificate)?;
    let parts = tlv::children(outer.value())?;
    let tbs = parts.first().ok_or_else(missing)?;
    let fields = tlv::children(tbs.value())?;
    // TBSCertificate: version [0] EXPLICIT (absent for v1), serialNumber, signature, issuer.
    let skip = usize::from(fields.first().map(|f| f.tag()) == Some(tlv::context(0)));
    let field = |i: usize| {
        fields
            .get(skip + i)
            .ok_or_else(missing)
            .and_then(tlv::encoding)
    };
    Ok((field(2)?, field(0)?))
}

/// Signs `params` with `signer` in one go and returns the ContentInfo DER. The signature is
/// checked against the certificate before it is accepted, so a key that does not belong to
/// its certificate is caught here rather than by the relying party.
pub fn sign_detached(params: &SignedDataParams, signer: &dyn Signer) -> Result<Vec<u8>, CmsError> {
    let key = signer.key_kind();
    if !key.allows(params.scheme) {
        return Err(CmsError::SchemeMismatch {
            key,
            scheme: params.scheme,
        });
    }
    let prepared = params.prepare()?;
    let signature = signer.sign(
        prepared.signed_attributes_der(),
        params.digest,
        params.scheme,
    )?;
    if !prepared.signature_matches(&signature)? {
        return Err(CmsError::SignatureInvalid);
    }
    prepared.finish(&signature)
}
