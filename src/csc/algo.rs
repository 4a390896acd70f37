//! The signature algorithms of `signatures/signHash` (CSC API v2 §11.9: `signAlgo`,
//! `signAlgoParams`, `hashAlgorithmOID`; v1 §11.9 `hashAlgo`) resolved to what the HSM does,
//! and the list `credentials/info` advertises for a key. Checking the SAD is left to `sad`.

use const_oid::ObjectIdentifier;
use der::asn1::AnyRef;
use der::{Decode, Sequence};
use spki::AlgorithmIdentifierRef;

use crate::sign::{DigestAlgorithm, KeyKind, SignatureScheme};

pub const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
pub const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
pub const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
pub const SHA384_WITH_RSA: &str = "1.2.840.113549.1.1.12";
pub const SHA512_WITH_RSA: &str = "1.2.840.113549.1.1.13";
pub const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
pub const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
pub const ECDSA_WITH_SHA384: &str = "1.2.840.10045.4.3.3";
pub const ECDSA_WITH_SHA512: &str = "1.2.840.10045.4.3.4";
const MGF1: &str = "1.2.840.113549.1.1.8";

/// Why a signHash algorithm was refused. Client errors all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AlgoError {
    #[error(
        "signAlgo {oid} is not supported; use one of the key's algorithms from credentials/info"
    )]
    Unsupported { oid: String },
    #[error("signAlgo {sign_algo} cannot be used with this credential's key")]
    WrongKey { sign_algo: String },
    #[error("hash algorithm {oid} is not supported; use SHA-256, SHA-384 or SHA-512")]
    UnsupportedHash { oid: String },
    #[error("the hash algorithm is missing: give hashAlgorithmOID (v1: hashAlgo)")]
    MissingHash,
    #[error("signAlgo names {named} but the hash algorithm given is {given}")]
    HashMismatch {
        named: &'static str,
        given: &'static str,
    },
    #[error("RSASSA-PSS needs signAlgoParams (DER RSASSA-PSS-params, RFC 4055 §3.1)")]
    MissingPssParams,
    #[error("signAlgoParams are not usable: {reason}")]
    BadPssParams { reason: &'static str },
}

/// RSASSA-PSS-params (RFC 4055 §3.1):
///
/// ```text
/// RSASSA-PSS-params ::= SEQUENCE {
///   hashAlgorithm      [0] HashAlgorithm DEFAULT sha1Identifier,
///   maskGenAlgorithm   [1] MaskGenAlgorithm DEFAULT mgf1SHA1Identifier,
///   saltLength         [2] INTEGER DEFAULT 20,
///   trailerField       [3] INTEGER DEFAULT 1 }
/// ```
#[derive(Sequence)]
struct PssParams<'a> {
    #[asn1(context_specific = "0", optional = "true")]
    hash: Option<AlgorithmIdentifierRef<'a>>,
    #[asn1(context_specific = "1", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierRef<'a>>,
    #[asn1(context_specific = "2", optional = "true")]
    salt_length: Option<u32>,
    #[asn1(context_specific = "3", optional = "true")]
    trailer: Option<u32>,
}

fn digest_of(oid: &str) -> Result<DigestAlgorithm, AlgoError> {
    oid.parse::<ObjectIdentifier>()
        .ok()
        .and_then(|oid| DigestAlgorithm::from_oid(&oid))
        .ok_or_else(|| AlgoError::UnsupportedHash {
            oid: oid.to_owned(),
        })
}

/// Checks PSS parameters against the digest: kyso's HSM signs with MGF1 over the same digest
/// and a salt as long as the digest (RFC 4055 §3.1's recommendation), so only that is taken.
fn check_pss(params: &[u8], digest: DigestAlgorithm) -> Result<(), AlgoError> {
    let bad = |reason| AlgoError::BadPssParams { reason };
    let parsed = PssParams::from_der(params).map_err(|_| bad("not DER RSASSA-PSS-params"))?;
    let hash = parsed
        .hash
        .ok_or(bad("SHA-1 (the default) is not allowed"))?;
    if DigestAlgorithm::from_oid(&hash.oid) != Some(digest) {
        return Err(bad(
            "hashAlgorithm differs from the hash algorithm of the request",
        ));
    }
    let mask = parsed
        .mask_gen
        .ok_or(bad("MGF1 with SHA-1 (the default) is not allowed"))?;
    if mask.oid.to_string() != MGF1 {
        return Err(bad("the mask generation function must be MGF1"));
    }
    let mgf_hash = mask
        .parameters
        .and_then(|any: AnyRef<'_>| any.decode_as::<AlgorithmIdentifierRef<'_>>().ok())
        .ok_or(bad("MGF1 names no hash"))?;
    if DigestAlgorithm::from_oid(&mgf_hash.oid) != Some(digest) {
        return Err(bad("MGF1 must use the same hash as the signature"));
    }
    if parsed.salt_length != Some(digest.output_len() as u32) {
        return Err(bad("saltLength must equal the hash length"));
    }
    if parsed.trailer.is_some_and(|t| t != 1) {
        return Err(bad("trailerField must be 1"));
    }
    Ok(())
}

/// Resolves a signHash request's algorithm fields for a `key`: the combined OIDs carry their
/// digest; the bare key OIDs (rsaEncryption, id-ecPublicKey, RSASSA-PSS) take it from
/// `hash_oid`. Where both name a digest they must agree.
pub fn resolve(
    key: KeyKind,
    sign_algo: &str,
    hash_oid: Option<&str>,
    params: Option<&[u8]>,
) -> Result<(DigestAlgorithm, SignatureScheme), AlgoError> {
    let given = hash_oid.map(digest_of).transpose()?;
    let (named, scheme) = match sign_algo {
        RSA_ENCRYPTION => (None, SignatureScheme::RsaPkcs1v15),
        RSASSA_PSS => (None, SignatureScheme::RsaPss),
        EC_PUBLIC_KEY => (None, SignatureScheme::Ecdsa),
        SHA256_WITH_RSA => (Some(DigestAlgorithm::Sha256), SignatureScheme::RsaPkcs1v15),
        SHA384_WITH_RSA => (Some(DigestAlgorithm::Sha384), SignatureScheme::RsaPkcs1v15),
        SHA512_WITH_RSA => (Some(DigestAlgorithm::Sha512), SignatureScheme::RsaPkcs1v15),
        ECDSA_WITH_SHA256 => (Some(DigestAlgorithm::Sha256), SignatureScheme::Ecdsa),
        ECDSA_WITH_SHA384 => (Some(DigestAlgorithm::Sha384), SignatureScheme::Ecdsa),
        ECDSA_WITH_SHA512 => (Some(DigestAlgorithm::Sha512), SignatureScheme::Ecdsa),
        other => {
            return Err(AlgoError::Unsupported {
                oid: other.to_owned(),
            });
        }
    };
    if !key.allows(scheme) {
        return Err(AlgoError::WrongKey {
            sign_algo: sign_algo.to_owned(),
        });
    }
    let digest = match (named, given) {
        (Some(named), Some(given)) if named != given => {
            return Err(AlgoError::HashMismatch {
                named: named.name(),
                given: given.name(),
            });
        }
        (Some(digest), _) | (None, Some(digest)) => digest,
        (None, None) => return Err(AlgoError::MissingHash),
    };
    if scheme == SignatureScheme::RsaPss {
        check_pss(params.ok_or(AlgoError::MissingPssParams)?, digest)?;
    }
    Ok((digest, scheme))
}

/// The `key.algo` list of `credentials/info` for a key: the bare key OID first (CSC API v2
/// §11.5 example), then the combined OIDs clients such as pyHanko look for.
pub fn advertised(key: KeyKind) -> Vec<&'static str> {
    match key {
        KeyKind::Rsa { .. } => vec![
            RSA_ENCRYPTION,
            RSASSA_PSS,
            SHA256_WITH_RSA,
            SHA384_WITH_RSA,
            SHA512_WITH_RSA,
        ],
        KeyKind::EcP256 | KeyKind::EcP384 => vec![
            EC_PUBLIC_KEY,
            ECDSA_WITH_SHA256,
            ECDSA_WITH_SHA384,
            ECDSA_WITH_SHA512,
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA: KeyKind = KeyKind::Rsa { bits: 2048 };

    /// RSASSA-PSS-params for SHA-256, MGF1-SHA-256, salt 32, as OpenSSL writes them
    /// (`openssl req -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32`), hash
    /// parameters absent.
    fn pss_sha256(salt: u8) -> Vec<u8> {
        let mut der = vec![
            0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
            0x04, 0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48,
            0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
            0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01,
        ];
        der.push(salt);
        der
    }

    #[test]
    fn combined_and_bare_oids_resolve() {
        assert_eq!(
            resolve(RSA, SHA256_WITH_RSA, None, None),
            Ok((DigestAlgorithm::Sha256, SignatureScheme::RsaPkcs1v15))
        );
        assert_eq!(
            resolve(RSA, RSA_ENCRYPTION, Some("2.16.840.1.101.3.4.2.2"), None),
            Ok((DigestAlgorithm::Sha384, SignatureScheme::RsaPkcs1v15))
        );
        assert_eq!(
            resolve(
                KeyKind::EcP256,
                ECDSA_WITH_SHA256,
                Some("2.16.840.1.101.3.4.2.1"),
                None
            ),
            Ok((DigestAlgorithm::Sha256, SignatureScheme::Ecdsa))
        );
        assert_eq!(
            resolve(
                RSA,
                RSASSA_PSS,
                Some("2.16.840.1.101.3.4.2.1"),
                Some(&pss_sha256(32))
            ),
            Ok((DigestAlgorithm::Sha256, SignatureScheme::RsaPss))
        );
    }

    #[test]
    fn mismatches_and_weak_choices_are_refused() {
        assert_eq!(
            resolve(RSA, RSA_ENCRYPTION, None, None),
            Err(AlgoError::MissingHash)
        );
        assert!(matches!(
            resolve(RSA, SHA256_WITH_RSA, Some("2.16.840.1.101.3.4.2.3"), None),
            Err(AlgoError::HashMismatch { .. })
        ));
        assert!(matches!(
            resolve(RSA, ECDSA_WITH_SHA256, None, None),
            Err(AlgoError::WrongKey { .. })
        ));
        assert!(matches!(
            resolve(RSA, "1.2.840.113549.1.1.5", None, None),
            Err(AlgoError::Unsupported { .. })
        ));
        assert!(matches!(
            resolve(RSA, RSA_ENCRYPTION, Some("1.3.14.3.2.26"), None),
            Err(AlgoError::UnsupportedHash { .. })
        ));
        let sha256 = Some("2.16.840.1.101.3.4.2.1");
        assert_eq!(
            resolve(RSA, RSASSA_PSS, sha256, None),
            Err(AlgoError::MissingPssParams)
        );
        assert!(matches!(
            resolve(RSA, RSASSA_PSS, sha256, Some(&pss_sha256(222))),
            Err(AlgoError::BadPssParams { .. })
        ));
        assert!(matches!(
            resolve(
                RSA,
                RSASSA_PSS,
                Some("2.16.840.1.101.3.4.2.3"),
                Some(&pss_sha256(32))
            ),
            Err(AlgoError::BadPssParams { .. })
        ));
        assert!(matches!(
            resolve(RSA, RSASSA_PSS, sha256, Some(b"\x30\x00garbage")),
            Err(AlgoError::BadPssParams { .. })
        ));
    }

    #[test]
    fn advertised_lists_follow_the_key() {
        assert!(advertised(RSA).contains(&SHA256_WITH_RSA));
        assert!(!advertised(RSA).contains(&ECDSA_WITH_SHA256));
        assert!(advertised(KeyKind::EcP256).contains(&ECDSA_WITH_SHA256));
    }
}
