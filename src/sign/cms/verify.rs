//! Checking one signature value against one certificate's public key with OpenSSL — the
//! cryptographic core of verifying a SignerInfo (RFC 5652 §5.6). Whether the certificate is
//! trusted is left to `verify` and `pki::chain`.

use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Verifier};
use openssl::x509::X509;

use super::{CmsError, SignatureAlgorithm};
use crate::sign::algorithm::ecdsa_raw_to_der;
use crate::sign::{DigestAlgorithm, KeyKind, SignatureScheme};

/// Whether `signature` over `data` verifies with the public key of `certificate_der`.
/// `digest_algorithm` is the SignerInfo's digestAlgorithm, used where the signature algorithm
/// names no hash. ECDSA values given as raw `r || s` (as PKCS#11 and some remote services
/// return them) are accepted too.
pub fn verify_signature_value(
    certificate_der: &[u8],
    data: &[u8],
    algorithm: SignatureAlgorithm,
    digest_algorithm: DigestAlgorithm,
    signature: &[u8],
) -> Result<bool, CmsError> {
    let key = public_key(certificate_der)?;
    let openssl = CmsError::openssl("verifying a signature");
    let digest = algorithm.digest_or(digest_algorithm);
    let key_is_rsa = key.id() == Id::RSA;
    if key_is_rsa != (algorithm.scheme() != SignatureScheme::Ecdsa) {
        return Ok(false);
    }
    let mut verifier = Verifier::new(digest.message_digest(), &key).map_err(openssl)?;
    let mut signature = signature.to_vec();
    match algorithm {
        SignatureAlgorithm::RsaPkcs1v15 { .. } => {
            verifier.set_rsa_padding(Padding::PKCS1).map_err(openssl)?;
        }
        SignatureAlgorithm::RsaPss {
            mgf1_digest,
            salt_len,
            ..
        } => {
            verifier
                .set_rsa_padding(Padding::PKCS1_PSS)
                .map_err(openssl)?;
            verifier
                .set_rsa_mgf1_md(mgf1_digest.message_digest())
                .map_err(openssl)?;
            let salt_len =
                i32::try_from(salt_len).map_err(|_| CmsError::BadAlgorithmParameters {
                    what: "RSASSA-PSS",
                    detail: format!("salt length {salt_len}"),
                })?;
            verifier
                .set_rsa_pss_saltlen(RsaPssSaltlen::custom(salt_len))
                .map_err(openssl)?;
        }
        SignatureAlgorithm::Ecdsa { .. } => {
            if openssl::ecdsa::EcdsaSig::from_der(&signature).is_err()
                && let Some(der) = ecdsa_raw_to_der(&signature)
            {
                signature = der;
            }
        }
    }
    verifier.update(data).map_err(openssl)?;
    // OpenSSL reports a malformed signature as an error and a wrong one as `false`; both mean
    // "does not verify" here.
    Ok(verifier.verify(&signature).unwrap_or(false))
}

/// The public key a certificate certifies, remembered for the last few hundred
/// certificates: parsing a certificate and decoding its key through OpenSSL 3's decoders
/// costs more than the signature check, and a verifier meets the same signers again.
pub(crate) fn public_key(certificate_der: &[u8]) -> Result<PKey<Public>, CmsError> {
    static KEYS: crate::pki::remembered::ByDer<PKey<Public>> =
        crate::pki::remembered::ByDer::new(512);
    KEYS.get_or_decode(certificate_der, |der| {
        let openssl = CmsError::openssl("reading the signer's certificate");
        X509::from_der(der)
            .map_err(openssl)?
            .public_key()
            .map_err(openssl)
    })
}

/// The kind of key a certificate certifies.
pub(crate) fn certificate_key_kind(certificate_der: &[u8]) -> Result<KeyKind, CmsError> {
    let key = public_key(certificate_der)?;
    KeyKind::of_key(&key).ok_or_else(|| CmsError::UnsupportedKey {
        detail: format!("{:?} of {} bits", key.id(), key.bits()),
    })
}
