//! Signatures over certificates, CRLs and OCSP responses (RFC 5280 §4.1.1.3, RFC 6960
//! §4.2.1): splitting the signed part from its signature, and checking it with OpenSSL for the
//! RSA PKCS#1 v1.5, RSASSA-PSS and ECDSA algorithms with SHA-2. Whose key is trusted to sign
//! is left to `chain`.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use der::asn1::BitString;
use der::{Decode, Reader, SliceReader};
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Verifier};
use spki::AlgorithmIdentifierOwned;

use super::remembered::ByDer;
/// Why a signature over a certificate, CRL or OCSP response does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    #[error("the signature algorithm {oid} is not accepted")]
    UnsupportedAlgorithm { oid: ObjectIdentifier },
    #[error("the {algorithm} signature does not match the signer's key type")]
    KeyMismatch { algorithm: ObjectIdentifier },
    #[error("the signer's public key cannot be read")]
    MalformedKey,
    #[error("the signature does not verify")]
    Invalid,
}

/// The three parts every X.509 signed structure has (certificate, CRL, BasicOCSPResponse):
/// the exact bytes that were signed, the algorithm and the signature value.
pub(crate) struct SignedParts<'a> {
    pub tbs: &'a [u8],
    pub algorithm: AlgorithmIdentifierOwned,
    pub signature: Vec<u8>,
}

/// Splits `SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING, ... }` keeping the signed bytes as
/// they were received, so that re-encoding can never change what is verified.
pub(crate) fn signed_parts(der: &[u8]) -> Result<SignedParts<'_>, der::Error> {
    let mut reader = SliceReader::new(der)?;
    let parts = reader.sequence(|inner| {
        let tbs = inner.tlv_bytes()?;
        let algorithm = AlgorithmIdentifierOwned::decode(inner)?;
        let signature = BitString::decode(inner)?;
        // BasicOCSPResponse carries `[0] certs` after the signature.
        while !inner.is_finished() {
            inner.tlv_bytes()?;
        }
        let signature = signature
            .as_bytes()
            .ok_or_else(|| der::Tag::BitString.value_error())?
            .to_vec();
        Ok(SignedParts {
            tbs,
            algorithm,
            signature,
        })
    })?;
    reader.finish(parts)
}

/// Verifies `signature` over `message` with the key in `spki_der` (a DER
/// SubjectPublicKeyInfo). Accepted: RSASSA-PKCS1-v1_5 and RSASSA-PSS with SHA-2 (RFC 4055),
/// ECDSA with SHA-2 (RFC 5758 §3.2). SHA-1 and MD5 signatures are refused (Circular
/// 15/2025/TT-BKHCN asks for SHA-2).
pub(crate) fn verify_signature(
    spki_der: &[u8],
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let key = public_key(spki_der)?;
    let oid = algorithm.oid;
    let unsupported = || SignatureError::UnsupportedAlgorithm { oid };
    let (family, digest, pss_salt) = match oid {
        rfc5912::SHA_256_WITH_RSA_ENCRYPTION => (Id::RSA, MessageDigest::sha256(), None),
        rfc5912::SHA_384_WITH_RSA_ENCRYPTION => (Id::RSA, MessageDigest::sha384(), None),
        rfc5912::SHA_512_WITH_RSA_ENCRYPTION => (Id::RSA, MessageDigest::sha512(), None),
        rfc5912::ECDSA_WITH_SHA_256 => (Id::EC, MessageDigest::sha256(), None),
        rfc5912::ECDSA_WITH_SHA_384 => (Id::EC, MessageDigest::sha384(), None),
        rfc5912::ECDSA_WITH_SHA_512 => (Id::EC, MessageDigest::sha512(), None),
        rfc5912::ID_RSASSA_PSS => {
            let (digest, salt) = pss_parameters(algorithm).ok_or_else(unsupported)?;
            (Id::RSA, digest, Some(salt))
        }
        _ => return Err(unsupported()),
    };
    if key.id() != family {
        return Err(SignatureError::KeyMismatch { algorithm: oid });
    }
    let verified = run_verifier(&key, digest, pss_salt, message, signature)
        .map_err(|_| SignatureError::Invalid)?;
    if verified {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}

/// Decodes a SubjectPublicKeyInfo, remembering the last few hundred: OpenSSL 3 builds a
/// decoder context for every `d2i` of a key, which costs more than verifying an RSA signature,
/// and a verifier sees the same CA, TSA and OCSP keys over and over.
fn public_key(spki_der: &[u8]) -> Result<PKey<Public>, SignatureError> {
    static KEYS: ByDer<PKey<Public>> = ByDer::new(512);
    KEYS.get_or_decode(spki_der, |der| {
        PKey::public_key_from_der(der).map_err(|_| SignatureError::MalformedKey)
    })
}

fn run_verifier(
    key: &PKey<Public>,
    digest: MessageDigest,
    pss_salt: Option<u32>,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, openssl::error::ErrorStack> {
    let mut verifier = Verifier::new(digest, key)?;
    if let Some(salt) = pss_salt {
        verifier.set_rsa_padding(Padding::PKCS1_PSS)?;
        verifier.set_rsa_mgf1_md(digest)?;
        verifier.set_rsa_pss_saltlen(RsaPssSaltlen::custom(salt as i32))?;
    }
    verifier.update(message)?;
    verifier.verify(signature)
}

/// RSASSA-PSS-params (RFC 4055 §3.1). Only SHA-2 with MGF1 over the same digest is accepted;
/// the SHA-1 defaults are refused.
#[derive(der::Sequence)]
struct PssParameters {
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", optional = "true", tag_mode = "EXPLICIT")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", optional = "true", tag_mode = "EXPLICIT")]
    salt_length: Option<u32>,
    #[asn1(context_specific = "3", optional = "true", tag_mode = "EXPLICIT")]
    trailer_field: Option<u32>,
}

fn pss_parameters(algorithm: &AlgorithmIdentifierOwned) -> Option<(MessageDigest, u32)> {
    let params: PssParameters = algorithm.parameters.as_ref()?.decode_as().ok()?;
    let hash = params.hash?.oid;
    let digest = match hash {
        rfc5912::ID_SHA_256 => MessageDigest::sha256(),
        rfc5912::ID_SHA_384 => MessageDigest::sha384(),
        rfc5912::ID_SHA_512 => MessageDigest::sha512(),
        _ => return None,
    };
    let mask_gen = params.mask_gen?;
    let mgf_hash: AlgorithmIdentifierOwned = mask_gen.parameters.as_ref()?.decode_as().ok()?;
    if mask_gen.oid != rfc5912::ID_MGF_1 || mgf_hash.oid != hash {
        return None;
    }
    if params.trailer_field.is_some_and(|t| t != 1) {
        return None;
    }
    Some((digest, params.salt_length.unwrap_or(20)))
}
