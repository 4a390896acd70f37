//! AlgorithmIdentifiers for the digest and signature fields of a SignerInfo: SHA-2 (RFC 5754
//! §2), RSASSA-PSS with explicit parameters (RFC 4055 §3.1), sha*WithRSAEncryption (RFC 5754
//! §3.2) and ecdsa-with-SHA* (RFC 5758 §3.2). Computing signatures is left to the signers.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use der::asn1::Any;
use der::{Decode, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;

use super::CmsError;
use crate::sign::{DigestAlgorithm, SignatureScheme};

/// `rsaEncryption` (RFC 8017 Appendix C): some signers put it in SignerInfo for PKCS#1 v1.5,
/// taking the hash from digestAlgorithm.
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// How a SignerInfo's signature value was computed, as far as verifying it needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5; `digest` is `None` for a bare `rsaEncryption` identifier, where the
    /// SignerInfo's digestAlgorithm applies.
    RsaPkcs1v15 { digest: Option<DigestAlgorithm> },
    /// RSASSA-PSS with the parameters as encoded (RFC 4055 §3.1).
    RsaPss {
        digest: DigestAlgorithm,
        mgf1_digest: DigestAlgorithm,
        salt_len: u32,
    },
    /// ECDSA with the hash named in the identifier.
    Ecdsa { digest: DigestAlgorithm },
}

impl SignatureAlgorithm {
    /// The algorithm kyso writes for `scheme` over `digest`: PSS salts are as long as the
    /// digest and MGF1 uses the same hash (RFC 4055 §3.1, Circular 15/2025/TT-BKHCN).
    pub fn new(scheme: SignatureScheme, digest: DigestAlgorithm) -> SignatureAlgorithm {
        match scheme {
            SignatureScheme::RsaPss => SignatureAlgorithm::RsaPss {
                digest,
                mgf1_digest: digest,
                salt_len: digest.output_len() as u32,
            },
            SignatureScheme::RsaPkcs1v15 => SignatureAlgorithm::RsaPkcs1v15 {
                digest: Some(digest),
            },
            SignatureScheme::Ecdsa => SignatureAlgorithm::Ecdsa { digest },
        }
    }

    pub fn scheme(self) -> SignatureScheme {
        match self {
            SignatureAlgorithm::RsaPkcs1v15 { .. } => SignatureScheme::RsaPkcs1v15,
            SignatureAlgorithm::RsaPss { .. } => SignatureScheme::RsaPss,
            SignatureAlgorithm::Ecdsa { .. } => SignatureScheme::Ecdsa,
        }
    }

    /// The hash the signature was computed with, falling back to the SignerInfo's
    /// digestAlgorithm where the identifier names none.
    pub fn digest_or(self, digest_algorithm: DigestAlgorithm) -> DigestAlgorithm {
        match self {
            SignatureAlgorithm::RsaPkcs1v15 { digest } => digest.unwrap_or(digest_algorithm),
            SignatureAlgorithm::RsaPss { digest, .. } | SignatureAlgorithm::Ecdsa { digest } => {
                digest
            }
        }
    }

    /// The `signatureAlgorithm` field of a SignerInfo.
    pub fn identifier(self) -> Result<AlgorithmIdentifierOwned, CmsError> {
        Ok(match self {
            SignatureAlgorithm::RsaPkcs1v15 { digest: None } => AlgorithmIdentifierOwned {
                oid: RSA_ENCRYPTION,
                parameters: Some(Any::null()),
            },
            // RFC 5754 §3.2: the parameters MUST be NULL.
            SignatureAlgorithm::RsaPkcs1v15 {
                digest: Some(digest),
            } => AlgorithmIdentifierOwned {
                oid: match digest {
                    DigestAlgorithm::Sha256 => rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
                    DigestAlgorithm::Sha384 => rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
                    DigestAlgorithm::Sha512 => rfc5912::SHA_512_WITH_RSA_ENCRYPTION,
                },
                parameters: Some(Any::null()),
            },
            SignatureAlgorithm::RsaPss {
                digest,
                mgf1_digest,
                salt_len,
            } => {
                let params = RsaPssParams {
                    hash_algorithm: Some(pss_hash_identifier(digest)),
                    mask_gen_algorithm: Some(AlgorithmIdentifierOwned {
                        oid: rfc5912::ID_MGF_1,
                        parameters: Some(
                            Any::encode_from(&pss_hash_identifier(mgf1_digest))
                                .map_err(CmsError::der("encoding the MGF1 hash"))?,
                        ),
                    }),
                    salt_length: Some(salt_len),
                    // trailerField 1 is the DEFAULT and so is omitted in DER (X.690 §11.5).
                    trailer_field: None,
                };
                AlgorithmIdentifierOwned {
                    oid: rfc5912::ID_RSASSA_PSS,
                    parameters: Some(
                        Any::encode_from(&params)
                            .map_err(CmsError::der("encoding RSASSA-PSS-params"))?,
                    ),
                }
            }
            // RFC 5758 §3.2: the parameters MUST be absent.
            SignatureAlgorithm::Ecdsa { digest } => AlgorithmIdentifierOwned {
                oid: match digest {
                    DigestAlgorithm::Sha256 => rfc5912::ECDSA_WITH_SHA_256,
                    DigestAlgorithm::Sha384 => rfc5912::ECDSA_WITH_SHA_384,
                    DigestAlgorithm::Sha512 => rfc5912::ECDSA_WITH_SHA_512,
                },
                parameters: None,
            },
        })
    }

    /// Reads a `signatureAlgorithm` field.
    pub fn from_identifier(id: &AlgorithmIdentifierOwned) -> Result<SignatureAlgorithm, CmsError> {
        let unsupported = || CmsError::UnsupportedAlgorithm {
            what: "signature",
            oid: id.oid,
        };
        let rsa = |digest| SignatureAlgorithm::RsaPkcs1v15 {
            digest: Some(digest),
        };
        let ecdsa = |digest| SignatureAlgorithm::Ecdsa { digest };
        Ok(match id.oid {
            RSA_ENCRYPTION => SignatureAlgorithm::RsaPkcs1v15 { digest: None },
            rfc5912::SHA_256_WITH_RSA_ENCRYPTION => rsa(DigestAlgorithm::Sha256),
            rfc5912::SHA_384_WITH_RSA_ENCRYPTION => rsa(DigestAlgorithm::Sha384),
            rfc5912::SHA_512_WITH_RSA_ENCRYPTION => rsa(DigestAlgorithm::Sha512),
            rfc5912::ECDSA_WITH_SHA_256 => ecdsa(DigestAlgorithm::Sha256),
            rfc5912::ECDSA_WITH_SHA_384 => ecdsa(DigestAlgorithm::Sha384),
            rfc5912::ECDSA_WITH_SHA_512 => ecdsa(DigestAlgorithm::Sha512),
            rfc5912::ID_RSASSA_PSS => pss_from_parameters(id.parameters.as_ref())?,
            _ => return Err(unsupported()),
        })
    }
}

/// ```text
/// RSASSA-PSS-params ::= SEQUENCE {
///     hashAlgorithm      [0] HashAlgorithm      DEFAULT sha1,
///     maskGenAlgorithm   [1] MaskGenAlgorithm   DEFAULT mgf1SHA1,
///     saltLength         [2] INTEGER            DEFAULT 20,
///     trailerField       [3] TrailerField       DEFAULT trailerFieldBC }
/// ```
/// (RFC 4055 §3.1; the tags are explicit.)
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct RsaPssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen_algorithm: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_length: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer_field: Option<u32>,
}

/// A SHA-2 digestAlgorithm with the parameters absent (RFC 5754 §2: "Implementations MUST
/// generate SHA2 AlgorithmIdentifiers with absent parameters").
pub(crate) fn digest_identifier(digest: DigestAlgorithm) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: digest.oid(),
        parameters: None,
    }
}

/// A hash inside RSASSA-PSS-params, with NULL parameters: RFC 4055 §2.1 lists
/// `sha256Identifier ::= { id-sha256, NULL }` among "the algorithm identifiers used when a
/// NULL parameter MUST be present", and OpenSSL and others write them so.
fn pss_hash_identifier(digest: DigestAlgorithm) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: digest.oid(),
        parameters: Some(Any::null()),
    }
}

/// Reads a digestAlgorithm, accepting absent or NULL parameters (RFC 5754 §2).
pub(crate) fn digest_from_identifier(
    id: &AlgorithmIdentifierOwned,
) -> Result<DigestAlgorithm, CmsError> {
    let parameters_ok = id.parameters.as_ref().is_none_or(|p| p.is_null());
    match DigestAlgorithm::from_oid(&id.oid) {
        Some(digest) if parameters_ok => Ok(digest),
        Some(_) => Err(CmsError::BadAlgorithmParameters {
            what: "digest",
            detail: "SHA-2 parameters must be absent or NULL".into(),
        }),
        None => Err(CmsError::UnsupportedAlgorithm {
            what: "digest",
            oid: id.oid,
        }),
    }
}

fn pss_from_parameters(parameters: Option<&Any>) -> Result<SignatureAlgorithm, CmsError> {
    let bad = |detail: &str| CmsError::BadAlgorithmParameters {
        what: "RSASSA-PSS",
        detail: detail.to_owned(),
    };
    let parameters = parameters.ok_or_else(|| bad("parameters are missing"))?;
    let params = RsaPssParams::from_der(
        &parameters
            .to_der()
            .map_err(CmsError::der("re-reading RSASSA-PSS-params"))?,
    )
    .map_err(|e| bad(&e.to_string()))?;
    // The SHA-1 defaults are not allowed by Circular 15/2025, so the hash must be explicit.
    let digest = params
        .hash_algorithm
        .as_ref()
        .ok_or_else(|| bad("the hash is the SHA-1 default"))
        .and_then(digest_from_identifier)?;
    let mgf = params
        .mask_gen_algorithm
        .as_ref()
        .ok_or_else(|| bad("the mask generation is the MGF1-SHA-1 default"))?;
    if mgf.oid != rfc5912::ID_MGF_1 {
        return Err(bad("the mask generation function is not MGF1"));
    }
    let mgf1_digest = mgf
        .parameters
        .as_ref()
        .ok_or_else(|| bad("MGF1 names no hash"))?
        .decode_as::<AlgorithmIdentifierOwned>()
        .map_err(|e| bad(&e.to_string()))
        .and_then(|id| digest_from_identifier(&id))?;
    if params.trailer_field.is_some_and(|t| t != 1) {
        return Err(bad("the trailer field is not 1 (0xBC)"));
    }
    Ok(SignatureAlgorithm::RsaPss {
        digest,
        mgf1_digest,
        salt_len: params.salt_length.unwrap_or(20),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der_of(alg: SignatureAlgorithm) -> Vec<u8> {
        alg.identifier().unwrap().to_der().unwrap()
    }

    #[test]
    fn pss_sha256_parameters_match_rfc_4055() {
        // SEQUENCE { id-RSASSA-PSS, SEQUENCE {
        //   [0] { SEQUENCE { id-sha256, NULL } },
        //   [1] { SEQUENCE { id-mgf1, SEQUENCE { id-sha256, NULL } } },
        //   [2] { INTEGER 32 } } }            -- trailerField 1 omitted as DEFAULT
        let sha256_null: &[u8] = &[
            0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
        ];
        let expected: Vec<u8> = [
            &[0x30, 0x41][..],
            &[
                0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a,
            ],
            &[0x30, 0x34],
            &[0xa0, 0x0f, 0x30, 0x0d],
            sha256_null,
            &[0xa1, 0x1c, 0x30, 0x1a],
            &[
                0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08,
            ],
            &[0x30, 0x0d],
            sha256_null,
            &[0xa2, 0x03, 0x02, 0x01, 0x20],
        ]
        .concat();
        let pss = SignatureAlgorithm::new(SignatureScheme::RsaPss, DigestAlgorithm::Sha256);
        assert_eq!(der_of(pss), expected);
    }

    #[test]
    fn every_algorithm_reads_back() {
        for scheme in [
            SignatureScheme::RsaPss,
            SignatureScheme::RsaPkcs1v15,
            SignatureScheme::Ecdsa,
        ] {
            for digest in [
                DigestAlgorithm::Sha256,
                DigestAlgorithm::Sha384,
                DigestAlgorithm::Sha512,
            ] {
                let alg = SignatureAlgorithm::new(scheme, digest);
                let id = alg.identifier().unwrap();
                assert_eq!(SignatureAlgorithm::from_identifier(&id).unwrap(), alg);
                assert_eq!(alg.scheme(), scheme);
            }
        }
    }

    #[test]
    fn ecdsa_has_no_parameters_and_v15_has_null() {
        let ec = SignatureAlgorithm::new(SignatureScheme::Ecdsa, DigestAlgorithm::Sha384);
        assert_eq!(ec.identifier().unwrap().parameters, None);
        let v15 = SignatureAlgorithm::new(SignatureScheme::RsaPkcs1v15, DigestAlgorithm::Sha512);
        assert!(v15.identifier().unwrap().parameters.unwrap().is_null());
    }

    #[test]
    fn pss_with_sha1_defaults_is_refused() {
        let id = AlgorithmIdentifierOwned {
            oid: rfc5912::ID_RSASSA_PSS,
            parameters: Some(
                Any::encode_from(&RsaPssParams {
                    hash_algorithm: None,
                    mask_gen_algorithm: None,
                    salt_length: None,
                    trailer_field: None,
                })
                .unwrap(),
            ),
        };
        assert!(matches!(
            SignatureAlgorithm::from_identifier(&id),
            Err(CmsError::BadAlgorithmParameters { .. })
        ));
    }

    #[test]
    fn digest_accepts_null_and_absent_parameters() {
        let mut id = digest_identifier(DigestAlgorithm::Sha384);
        assert_eq!(
            digest_from_identifier(&id).unwrap(),
            DigestAlgorithm::Sha384
        );
        id.parameters = Some(Any::null());
        assert_eq!(
            digest_from_identifier(&id).unwrap(),
            DigestAlgorithm::Sha384
        );
        id.oid = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
        assert!(matches!(
            digest_from_identifier(&id),
            Err(CmsError::UnsupportedAlgorithm { .. })
        ));
    }
}
