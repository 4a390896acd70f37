//! Digest and signature algorithms a PAdES signature may use (Circular 15/2025/TT-BKHCN:
//! RSA ≥ 2048 with RSASSA-PSS or PKCS#1 v1.5 on request, ECDSA ≥ 256, SHA-2). Encoding them
//! into CMS AlgorithmIdentifiers is left to `cms`.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;

/// A SHA-2 digest (FIPS 180-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DigestAlgorithm {
    #[default]
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlgorithm {
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            DigestAlgorithm::Sha256 => rfc5912::ID_SHA_256,
            DigestAlgorithm::Sha384 => rfc5912::ID_SHA_384,
            DigestAlgorithm::Sha512 => rfc5912::ID_SHA_512,
        }
    }

    pub fn from_oid(oid: &ObjectIdentifier) -> Option<DigestAlgorithm> {
        [Self::Sha256, Self::Sha384, Self::Sha512]
            .into_iter()
            .find(|d| d.oid() == *oid)
    }

    /// Length of the digest in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha256 => 32,
            DigestAlgorithm::Sha384 => 48,
            DigestAlgorithm::Sha512 => 64,
        }
    }

    pub fn message_digest(self) -> openssl::hash::MessageDigest {
        match self {
            DigestAlgorithm::Sha256 => openssl::hash::MessageDigest::sha256(),
            DigestAlgorithm::Sha384 => openssl::hash::MessageDigest::sha384(),
            DigestAlgorithm::Sha512 => openssl::hash::MessageDigest::sha512(),
        }
    }

    /// The digest of `parts` taken as one message (a /ByteRange is two parts).
    pub fn digest_parts(self, parts: &[&[u8]]) -> Vec<u8> {
        match self {
            DigestAlgorithm::Sha256 => {
                let mut h = openssl::sha::Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                h.finish().to_vec()
            }
            DigestAlgorithm::Sha384 => {
                let mut h = openssl::sha::Sha384::new();
                parts.iter().for_each(|p| h.update(p));
                h.finish().to_vec()
            }
            DigestAlgorithm::Sha512 => {
                let mut h = openssl::sha::Sha512::new();
                parts.iter().for_each(|p| h.update(p));
                h.finish().to_vec()
            }
        }
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        self.digest_parts(&[data])
    }

    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
        }
    }
}

/// How the signature value is computed over the digest of the signed attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    /// RSASSA-PSS (RFC 8017 §8.1) with MGF1 over the same digest and a salt as long as the
    /// digest (RFC 4055 §3.1); the default for RSA keys.
    RsaPss,
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2), for relying parties that cannot read PSS.
    RsaPkcs1v15,
    /// ECDSA (FIPS 186-4); the value is the DER `Ecdsa-Sig-Value` (RFC 5480 §2.2 / RFC 3279).
    Ecdsa,
}

/// The kind and size of a signing key, as far as choosing a scheme needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    Rsa { bits: u32 },
    EcP256,
    EcP384,
}

impl KeyKind {
    /// The scheme used when the caller asks for none: PSS for RSA (Circular 15/2025), ECDSA
    /// for EC keys.
    pub fn default_scheme(self) -> SignatureScheme {
        match self {
            KeyKind::Rsa { .. } => SignatureScheme::RsaPss,
            KeyKind::EcP256 | KeyKind::EcP384 => SignatureScheme::Ecdsa,
        }
    }

    /// Whether `scheme` can be computed with this key.
    pub fn allows(self, scheme: SignatureScheme) -> bool {
        matches!(
            (self, scheme),
            (KeyKind::Rsa { .. }, SignatureScheme::RsaPss | SignatureScheme::RsaPkcs1v15)
                | (KeyKind::EcP256 | KeyKind::EcP384, SignatureScheme::Ecdsa)
        )
    }

    /// The largest signature value in bytes, used to size the /Contents placeholder.
    pub fn max_signature_len(self) -> usize {
        match self {
            KeyKind::Rsa { bits } => bits.div_ceil(8) as usize,
            // DER SEQUENCE of two INTEGERs, each at most one byte longer than the field.
            KeyKind::EcP256 => 2 + 2 * (2 + 33),
            KeyKind::EcP384 => 3 + 2 * (2 + 49),
        }
    }
}
