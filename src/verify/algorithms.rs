//! Which digest algorithms and key sizes are strong enough for a signature, and until when the
//! weak ones were (the cryptographic constraints of ETSI EN 319 102-1 §5.2.8 and §5.6.2.5).
//! A signature, certificate or timestamp that uses a weak one is acceptable only when a
//! trusted proof of existence dates it before that algorithm's sunset; without one it is
//! INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE_NO_POE. Finding the proof of existence is left
//! to `judge` and `timestamp`.
//!
//! The table follows the EU DSS default validation policy (`constraint.xml`, whose dates
//! come from ETSI TS 102 176-1 and ETSI TS 119 312), made stricter for keys: what kyso
//! accepts today is RSA of 2048 bits or more and ECDSA of 256 bits or more:
//!
//! | algorithm | strong | weak since (sunset) |
//! |---|---|---|
//! | MD5 | no | 2005-01-01 |
//! | SHA-1 | no | 2009-01-01 |
//! | SHA-224 | no | 2023-01-01 |
//! | SHA-256, SHA-384, SHA-512 | yes | — |
//! | RSA < 1024 bits | no | always (no proof of existence helps) |
//! | RSA 1024–1535 bits | no | 2009-01-01 |
//! | RSA 1536–2047 bits | no | 2016-01-01 |
//! | RSA ≥ 2048 bits | yes | — |
//! | EC < 160 bits | no | always |
//! | EC 160–223 bits | no | 2013-01-01 |
//! | EC 224–255 bits | no | 2016-01-01 |
//! | EC ≥ 256 bits | yes | — |
//!
//! DSS keeps RSA keys of 1900–2047 bits until 2023; kyso weakens every RSA key under 2048
//! bits from 2016, the strength kyso itself signs with at the least.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use openssl::hash::MessageDigest;
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use time::macros::datetime;

use super::report::{AlgorithmUse, Finding};
use crate::pki::chain::ParsedCertificate;
use crate::sign::{DigestAlgorithm, SignatureScheme};

/// Whether an algorithm is strong enough now, and if not, from when it was not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strength {
    Strong,
    /// Weak from `sunset` on; `None`: never strong enough.
    Weak {
        sunset: Option<OffsetDateTime>,
    },
}

impl Strength {
    /// Whether something made with the algorithm may be relied on, given the earliest time a
    /// trusted proof of existence dates it to (ETSI EN 319 102-1 §5.6.2.5: before the
    /// sunset).
    pub fn acceptable(self, proof_of_existence: Option<OffsetDateTime>) -> bool {
        match self {
            Strength::Strong => true,
            Strength::Weak { sunset: None } => false,
            Strength::Weak {
                sunset: Some(sunset),
            } => proof_of_existence.is_some_and(|poe| poe < sunset),
        }
    }
}

const MD5_SUNSET: OffsetDateTime = datetime!(2005-01-01 0:00 UTC);
const SHA1_SUNSET: OffsetDateTime = datetime!(2009-01-01 0:00 UTC);
const SHA224_SUNSET: OffsetDateTime = datetime!(2023-01-01 0:00 UTC);

const ID_MD5: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.5");
const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA224: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.4");
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const MD5_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.4");
const SHA1_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
const SHA224_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.14");
const ECDSA_WITH_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.1");
const ECDSA_WITH_SHA224: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.1");

/// A hash function a signature or timestamp may name: the SHA-2 family kyso signs with, and
/// the older ones it only meets in files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Md5,
    Sha1,
    Sha224,
    Sha2(DigestAlgorithm),
}

impl Hash {
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Hash> {
        match *oid {
            ID_MD5 => Some(Hash::Md5),
            ID_SHA1 => Some(Hash::Sha1),
            ID_SHA224 => Some(Hash::Sha224),
            _ => DigestAlgorithm::from_oid(oid).map(Hash::Sha2),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Hash::Md5 => "MD5",
            Hash::Sha1 => "SHA-1",
            Hash::Sha224 => "SHA-224",
            Hash::Sha2(digest) => digest.name(),
        }
    }

    pub fn strength(self) -> Strength {
        let weak = |sunset| Strength::Weak {
            sunset: Some(sunset),
        };
        match self {
            Hash::Md5 => weak(MD5_SUNSET),
            Hash::Sha1 => weak(SHA1_SUNSET),
            Hash::Sha224 => weak(SHA224_SUNSET),
            Hash::Sha2(_) => Strength::Strong,
        }
    }

    pub fn message_digest(self) -> MessageDigest {
        match self {
            Hash::Md5 => MessageDigest::md5(),
            Hash::Sha1 => MessageDigest::sha1(),
            Hash::Sha224 => MessageDigest::sha224(),
            Hash::Sha2(digest) => digest.message_digest(),
        }
    }
}

/// The scheme and hash of a SignerInfo's signatureAlgorithm; `digest` is its digestAlgorithm,
/// which a bare rsaEncryption identifier leaves the hash to. RSASSA-PSS is read only when it
/// names a hash (its SHA-1 default is taken as SHA-1).
pub(crate) fn signature_algorithm(
    id: &AlgorithmIdentifierOwned,
    digest: Hash,
) -> Option<(SignatureScheme, Hash)> {
    let rsa = |hash| Some((SignatureScheme::RsaPkcs1v15, hash));
    let ecdsa = |hash| Some((SignatureScheme::Ecdsa, hash));
    let sha2 = Hash::Sha2;
    match id.oid {
        RSA_ENCRYPTION => rsa(digest),
        MD5_WITH_RSA => rsa(Hash::Md5),
        SHA1_WITH_RSA => rsa(Hash::Sha1),
        SHA224_WITH_RSA => rsa(Hash::Sha224),
        rfc5912::SHA_256_WITH_RSA_ENCRYPTION => rsa(sha2(DigestAlgorithm::Sha256)),
        rfc5912::SHA_384_WITH_RSA_ENCRYPTION => rsa(sha2(DigestAlgorithm::Sha384)),
        rfc5912::SHA_512_WITH_RSA_ENCRYPTION => rsa(sha2(DigestAlgorithm::Sha512)),
        ECDSA_WITH_SHA1 => ecdsa(Hash::Sha1),
        ECDSA_WITH_SHA224 => ecdsa(Hash::Sha224),
        rfc5912::ECDSA_WITH_SHA_256 => ecdsa(sha2(DigestAlgorithm::Sha256)),
        rfc5912::ECDSA_WITH_SHA_384 => ecdsa(sha2(DigestAlgorithm::Sha384)),
        rfc5912::ECDSA_WITH_SHA_512 => ecdsa(sha2(DigestAlgorithm::Sha512)),
        rfc5912::ID_RSASSA_PSS => Some((SignatureScheme::RsaPss, pss_hash(id)?)),
        _ => None,
    }
}

/// The hash of RSASSA-PSS-params (RFC 4055 §3.1: `[0] EXPLICIT` hashAlgorithm, SHA-1 when
/// absent).
fn pss_hash(id: &AlgorithmIdentifierOwned) -> Option<Hash> {
    use der::{Decode, Encode};
    let parameters = id.parameters.as_ref()?.to_der().ok()?;
    let params = der::asn1::AnyRef::from_der(&parameters).ok()?;
    let mut reader = der::SliceReader::new(params.value()).ok()?;
    use der::Reader;
    if reader.is_finished() {
        return Some(Hash::Sha1);
    }
    let first: der::asn1::AnyRef<'_> = reader.decode().ok()?;
    use der::Tagged;
    if first.tag().number() != der::TagNumber::N0 || !first.tag().is_context_specific() {
        return Some(Hash::Sha1);
    }
    let hash = AlgorithmIdentifierOwned::from_der(first.value()).ok()?;
    Hash::from_oid(&hash.oid)
}

/// The family and size of a public key, as far as strength goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PublicKey {
    Rsa { bits: u32 },
    Ec { bits: u32 },
}

impl PublicKey {
    /// The key a certificate certifies, read from its SubjectPublicKeyInfo (RFC 3279 §2.3.1
    /// RSAPublicKey; RFC 5480 §2.2 ECPoint, whose length gives the field size) without
    /// asking OpenSSL to decode the key; `None` for keys kyso does not judge (DSA, Edwards
    /// curves), which fail elsewhere.
    pub fn of_certificate(certificate: &ParsedCertificate) -> Option<PublicKey> {
        use der::{Decode, Reader};
        let spki = &certificate.cert.tbs_certificate.subject_public_key_info;
        let key = spki.subject_public_key.as_bytes()?;
        match spki.algorithm.oid {
            RSA_ENCRYPTION => {
                let sequence = der::asn1::AnyRef::from_der(key).ok()?;
                let mut fields = der::SliceReader::new(sequence.value()).ok()?;
                let modulus: der::asn1::UintRef<'_> = fields.decode().ok()?;
                let bytes = modulus.as_bytes();
                let first = *bytes.first()?;
                let bits = (bytes.len() as u32 - 1) * 8 + (8 - first.leading_zeros());
                Some(PublicKey::Rsa { bits })
            }
            ID_EC_PUBLIC_KEY => {
                let field = match key.first()? {
                    0x04 => (key.len() - 1) / 2,
                    0x02 | 0x03 => key.len() - 1,
                    _ => return None,
                };
                Some(PublicKey::Ec {
                    bits: u32::try_from(field * 8).ok()?,
                })
            }
            _ => None,
        }
    }

    pub fn name(self) -> String {
        match self {
            PublicKey::Rsa { bits } => format!("RSA-{bits}"),
            PublicKey::Ec { bits } => format!("EC-{bits}"),
        }
    }

    pub fn strength(self) -> Strength {
        let weak = |sunset| Strength::Weak { sunset };
        match self {
            PublicKey::Rsa { bits } if bits < 1024 => weak(None),
            PublicKey::Rsa { bits } if bits < 1536 => weak(Some(datetime!(2009-01-01 0:00 UTC))),
            PublicKey::Rsa { bits } if bits < 2048 => weak(Some(datetime!(2016-01-01 0:00 UTC))),
            PublicKey::Ec { bits } if bits < 160 => weak(None),
            PublicKey::Ec { bits } if bits < 224 => weak(Some(datetime!(2013-01-01 0:00 UTC))),
            PublicKey::Ec { bits } if bits < 256 => weak(Some(datetime!(2016-01-01 0:00 UTC))),
            PublicKey::Rsa { .. } | PublicKey::Ec { .. } => Strength::Strong,
        }
    }
}

/// One algorithm that falls short, with what it is used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WeakUse {
    pub strength: Strength,
    pub finding: Finding,
}

impl WeakUse {
    fn of(
        used_for: AlgorithmUse,
        subject: Option<String>,
        algorithm: String,
        strength: Strength,
    ) -> Option<WeakUse> {
        let Strength::Weak { sunset } = strength else {
            return None;
        };
        let whose = subject
            .as_ref()
            .map(|s| format!(" of {s}"))
            .unwrap_or_default();
        let since = match sunset {
            Some(sunset) => format!("weak since {}", sunset.date()),
            None => "never strong enough".to_owned(),
        };
        Some(WeakUse {
            strength,
            finding: Finding::WeakAlgorithm {
                detail: format!("{algorithm} ({}{whose}) is {since}", label(used_for)),
                used_for,
                subject,
                algorithm,
                sunset,
            },
        })
    }
}

/// What an algorithm is used for, in the English `detail` of a finding.
fn label(used_for: AlgorithmUse) -> &'static str {
    match used_for {
        AlgorithmUse::MessageDigest => "message digest",
        AlgorithmUse::SignatureAlgorithm => "signature algorithm",
        AlgorithmUse::SignerKey => "signer's key",
        AlgorithmUse::CertificateKey => "CA key",
        AlgorithmUse::CertificateSignature => "certificate signature",
        AlgorithmUse::TimestampDigest => "timestamp digest",
        AlgorithmUse::TimestampKey => "TSA key",
    }
}

/// `hash` as a weak algorithm used for `used_for`, or `None` when it is strong.
pub(crate) fn weak_hash(used_for: AlgorithmUse, hash: Hash) -> Option<WeakUse> {
    WeakUse::of(used_for, None, hash.name().to_owned(), hash.strength())
}

/// The weak keys and certificate signatures of a chain ordered leaf → anchor: every key
/// (the leaf's signs the document or token, each issuer's signs the certificate below), and
/// the hash of every certificate's signature below the anchor (the anchor's own signature
/// is not relied on). `leaf_use` says what the leaf's key signs.
pub(crate) fn weak_chain(chain: &[Vec<u8>], leaf_use: AlgorithmUse) -> Vec<WeakUse> {
    let mut weak = Vec::new();
    for (index, der) in chain.iter().enumerate() {
        let subject = ParsedCertificate::from_der(der).ok();
        let name = subject.as_ref().map(|c| c.subject_cn());
        if let Some(key) = subject.as_ref().and_then(PublicKey::of_certificate) {
            let used_for = if index == 0 {
                leaf_use
            } else {
                AlgorithmUse::CertificateKey
            };
            weak.extend(WeakUse::of(
                used_for,
                name.clone(),
                key.name(),
                key.strength(),
            ));
        }
        if index + 1 < chain.len()
            && let Some(certificate) = &subject
            && let Some((_, hash)) = signature_algorithm(
                &certificate.cert.signature_algorithm,
                Hash::Sha2(DigestAlgorithm::Sha256),
            )
        {
            weak.extend(WeakUse::of(
                AlgorithmUse::CertificateSignature,
                name,
                hash.name().to_owned(),
                hash.strength(),
            ));
        }
    }
    weak
}

/// The first of `weak` that no proof of existence saves.
pub(crate) fn unacceptable(
    weak: &[WeakUse],
    proof_of_existence: Option<OffsetDateTime>,
) -> Option<&WeakUse> {
    weak.iter()
        .find(|w| !w.strength.acceptable(proof_of_existence))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha2_is_strong_and_older_hashes_have_sunsets() {
        for digest in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            assert_eq!(Hash::from_oid(&digest.oid()), Some(Hash::Sha2(digest)));
            assert_eq!(Hash::Sha2(digest).strength(), Strength::Strong);
        }
        assert_eq!(Hash::from_oid(&ID_SHA1), Some(Hash::Sha1));
        assert_eq!(Hash::from_oid(&ID_MD5), Some(Hash::Md5));
        assert_eq!(
            Hash::Sha1.strength(),
            Strength::Weak {
                sunset: Some(datetime!(2009-01-01 0:00 UTC))
            }
        );
        assert_eq!(
            Hash::Md5.strength(),
            Strength::Weak {
                sunset: Some(datetime!(2005-01-01 0:00 UTC))
            }
        );
        assert!(matches!(Hash::Sha224.strength(), Strength::Weak { .. }));
        assert_eq!(Hash::from_oid(&ObjectIdentifier::new_unwrap("1.2.3")), None);
    }

    #[test]
    fn key_sizes_follow_the_table() {
        let strong = |k: PublicKey| k.strength() == Strength::Strong;
        assert!(strong(PublicKey::Rsa { bits: 2048 }));
        assert!(strong(PublicKey::Rsa { bits: 3072 }));
        assert!(strong(PublicKey::Ec { bits: 256 }));
        assert!(strong(PublicKey::Ec { bits: 384 }));
        assert_eq!(
            PublicKey::Rsa { bits: 1024 }.strength(),
            Strength::Weak {
                sunset: Some(datetime!(2009-01-01 0:00 UTC))
            }
        );
        assert_eq!(
            PublicKey::Rsa { bits: 2047 }.strength(),
            Strength::Weak {
                sunset: Some(datetime!(2016-01-01 0:00 UTC))
            }
        );
        assert_eq!(
            PublicKey::Rsa { bits: 512 }.strength(),
            Strength::Weak { sunset: None }
        );
        assert_eq!(
            PublicKey::Ec { bits: 224 }.strength(),
            Strength::Weak {
                sunset: Some(datetime!(2016-01-01 0:00 UTC))
            }
        );
        assert_eq!(
            PublicKey::Ec { bits: 192 }.strength(),
            Strength::Weak {
                sunset: Some(datetime!(2013-01-01 0:00 UTC))
            }
        );
        assert_eq!(PublicKey::Rsa { bits: 1024 }.name(), "RSA-1024");
    }

    #[test]
    fn key_sizes_are_read_from_certificates() {
        for (bits, curve) in [(1024, None), (2047, None), (3072, None)]
            .into_iter()
            .chain([
                (256, Some(openssl::nid::Nid::X9_62_PRIME256V1)),
                (384, Some(openssl::nid::Nid::SECP384R1)),
            ])
        {
            let key = match curve {
                None => openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::generate(bits).unwrap()),
                Some(nid) => openssl::pkey::PKey::from_ec_key(
                    openssl::ec::EcKey::generate(
                        &openssl::ec::EcGroup::from_curve_name(nid).unwrap(),
                    )
                    .unwrap(),
                ),
            }
            .unwrap();
            let mut builder = openssl::x509::X509::builder().unwrap();
            let mut name = openssl::x509::X509NameBuilder::new().unwrap();
            name.append_entry_by_text("CN", "key size").unwrap();
            let name = name.build();
            builder.set_subject_name(&name).unwrap();
            builder.set_issuer_name(&name).unwrap();
            let now = openssl::asn1::Asn1Time::days_from_now(0).unwrap();
            builder.set_not_before(&now).unwrap();
            builder.set_not_after(&now).unwrap();
            builder.set_pubkey(&key).unwrap();
            builder.sign(&key, MessageDigest::sha256()).unwrap();
            let der = builder.build().to_der().unwrap();
            let parsed = ParsedCertificate::from_der(&der).unwrap();
            let expected = match curve {
                None => PublicKey::Rsa { bits },
                Some(_) => PublicKey::Ec { bits },
            };
            assert_eq!(PublicKey::of_certificate(&parsed), Some(expected));
        }
    }

    #[test]
    fn a_proof_of_existence_before_the_sunset_saves_a_weak_algorithm() {
        let sha1 = Hash::Sha1.strength();
        assert!(!sha1.acceptable(None));
        assert!(sha1.acceptable(Some(datetime!(2008-12-31 23:59 UTC))));
        assert!(!sha1.acceptable(Some(datetime!(2009-01-01 0:00 UTC))));
        assert!(!sha1.acceptable(Some(datetime!(2026-11-23 0:00 UTC))));
        let never = PublicKey::Rsa { bits: 768 }.strength();
        assert!(!never.acceptable(Some(datetime!(1990-01-01 0:00 UTC))));
        assert!(Strength::Strong.acceptable(None));
        let weak = [
            weak_hash(AlgorithmUse::MessageDigest, Hash::Sha1).unwrap(),
            weak_hash(AlgorithmUse::MessageDigest, Hash::Md5).unwrap(),
        ];
        assert!(
            weak_hash(
                AlgorithmUse::MessageDigest,
                Hash::Sha2(DigestAlgorithm::Sha256)
            )
            .is_none()
        );
        // MD5's sunset (2005) is the earlier: a 2007 proof saves SHA-1 but not MD5.
        let found = unacceptable(&weak, Some(datetime!(2007-01-01 0:00 UTC))).unwrap();
        assert!(matches!(
            &found.finding,
            Finding::WeakAlgorithm { algorithm, .. } if algorithm == "MD5"
        ));
        assert!(unacceptable(&weak, Some(datetime!(2004-01-01 0:00 UTC))).is_none());
    }

    #[test]
    fn signature_algorithms_name_their_hash() {
        let id = |oid| AlgorithmIdentifierOwned {
            oid,
            parameters: None,
        };
        let sha256 = Hash::Sha2(DigestAlgorithm::Sha256);
        assert_eq!(
            signature_algorithm(&id(SHA1_WITH_RSA), sha256),
            Some((SignatureScheme::RsaPkcs1v15, Hash::Sha1))
        );
        assert_eq!(
            signature_algorithm(&id(ECDSA_WITH_SHA1), sha256),
            Some((SignatureScheme::Ecdsa, Hash::Sha1))
        );
        assert_eq!(
            signature_algorithm(&id(RSA_ENCRYPTION), Hash::Md5),
            Some((SignatureScheme::RsaPkcs1v15, Hash::Md5))
        );
        assert_eq!(
            signature_algorithm(&id(rfc5912::ECDSA_WITH_SHA_384), Hash::Sha1),
            Some((SignatureScheme::Ecdsa, Hash::Sha2(DigestAlgorithm::Sha384)))
        );
        assert_eq!(signature_algorithm(&id(ID_SHA1), sha256), None);
        // RSASSA-PSS with the SHA-1 defaults (empty parameters), and with SHA-256.
        let pss = |parameters: &[u8]| AlgorithmIdentifierOwned {
            oid: rfc5912::ID_RSASSA_PSS,
            parameters: Some(der::Decode::from_der(parameters).unwrap()),
        };
        assert_eq!(
            signature_algorithm(&pss(&[0x30, 0x00]), sha256),
            Some((SignatureScheme::RsaPss, Hash::Sha1))
        );
        let sha256_param: &[u8] = &[
            0x30, 0x11, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
            0x04, 0x02, 0x01, 0x05, 0x00,
        ];
        assert_eq!(
            signature_algorithm(&pss(sha256_param), Hash::Sha1),
            Some((SignatureScheme::RsaPss, sha256))
        );
    }
}
