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
            (
                KeyKind::Rsa { .. },
                SignatureScheme::RsaPss | SignatureScheme::RsaPkcs1v15
            ) | (KeyKind::EcP256 | KeyKind::EcP384, SignatureScheme::Ecdsa)
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

impl KeyKind {
    /// The kind of an OpenSSL key, or `None` for keys kyso does not sign with (DSA, Ed25519,
    /// curves other than P-256 and P-384).
    pub fn of_key<T: openssl::pkey::HasPublic>(key: &openssl::pkey::PKeyRef<T>) -> Option<KeyKind> {
        match key.id() {
            openssl::pkey::Id::RSA => Some(KeyKind::Rsa { bits: key.bits() }),
            openssl::pkey::Id::EC => {
                let curve = key.ec_key().ok()?.group().curve_name()?;
                match curve {
                    openssl::nid::Nid::X9_62_PRIME256V1 => Some(KeyKind::EcP256),
                    openssl::nid::Nid::SECP384R1 => Some(KeyKind::EcP384),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The length in bytes of one ECDSA coordinate (`r` or `s`), `None` for RSA.
    pub fn ecdsa_field_len(self) -> Option<usize> {
        match self {
            KeyKind::Rsa { .. } => None,
            KeyKind::EcP256 => Some(32),
            KeyKind::EcP384 => Some(48),
        }
    }
}

/// Converts an ECDSA signature given as `r || s` (two big-endian halves of equal length, as
/// PKCS#11's CKM_ECDSA returns it, PKCS#11 v2.40 §2.3.1) into the DER `Ecdsa-Sig-Value`
/// CMS carries (RFC 5753 §7.2 / RFC 3279 §2.2.3). `None` for an odd or empty input.
pub fn ecdsa_raw_to_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let r = openssl::bn::BigNum::from_slice(r).ok()?;
    let s = openssl::bn::BigNum::from_slice(s).ok()?;
    openssl::ecdsa::EcdsaSig::from_private_components(r, s)
        .ok()?
        .to_der()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_ecdsa_becomes_der_with_sign_bytes() {
        // r has its top bit set, so DER needs a leading zero; s has leading zeros to strip.
        let mut raw = vec![0x80; 32];
        raw.extend([0x00, 0x00].iter().chain([0x01; 30].iter()));
        let der = ecdsa_raw_to_der(&raw).unwrap();
        assert_eq!(&der[..4], &[0x30, 2 + 33 + 2 + 30, 0x02, 33]);
        assert_eq!(der[4], 0x00);
        assert_eq!(&der[4 + 33..4 + 33 + 2], &[0x02, 30]);
        assert!(ecdsa_raw_to_der(&[1, 2, 3]).is_none());
        assert!(ecdsa_raw_to_der(&[]).is_none());
    }

    #[test]
    fn key_kinds_of_openssl_keys() {
        use crate::pki::KeySpec;
        assert_eq!(
            KeyKind::of_key(&KeySpec::EcP384.generate().unwrap()),
            Some(KeyKind::EcP384)
        );
        assert_eq!(
            KeyKind::of_key(&KeySpec::Rsa2048.generate().unwrap()),
            Some(KeyKind::Rsa { bits: 2048 })
        );
    }
}
