//! Which signature algorithm a CSC service is asked for (`signAlgo`, `signAlgoParams`) and
//! whether a credential offers it. Putting them in a request is `wire`'s.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use der::Encode;

use super::CscClientError;
use crate::sign::cms::SignatureAlgorithm;
use crate::sign::{DigestAlgorithm, SignatureScheme};

/// `signAlgo` and the DER of `signAlgoParams` for a scheme (CSC API v2 §11.9): PKCS#1 v1.5
/// as `rsaEncryption` with the hash named apart; RSASSA-PSS with RSASSA-PSS-params (RFC 4055
/// §3.1: MGF1 over the same hash, salt as long as the hash, trailerField 1); ECDSA as
/// ecdsa-with-SHA* (RFC 5758 §3.2).
pub fn sign_algorithm(
    scheme: SignatureScheme,
    digest: DigestAlgorithm,
) -> Result<(ObjectIdentifier, Option<Vec<u8>>), CscClientError> {
    Ok(match scheme {
        SignatureScheme::RsaPkcs1v15 => (rfc5912::RSA_ENCRYPTION, None),
        SignatureScheme::RsaPss => {
            let encode = || CscClientError::Encode {
                what: "RSASSA-PSS-params",
            };
            let params = SignatureAlgorithm::new(scheme, digest)
                .identifier()
                .map_err(|_| encode())?
                .parameters
                .ok_or_else(encode)?
                .to_der()
                .map_err(|_| encode())?;
            (rfc5912::ID_RSASSA_PSS, Some(params))
        }
        SignatureScheme::Ecdsa => (
            match digest {
                DigestAlgorithm::Sha256 => rfc5912::ECDSA_WITH_SHA_256,
                DigestAlgorithm::Sha384 => rfc5912::ECDSA_WITH_SHA_384,
                DigestAlgorithm::Sha512 => rfc5912::ECDSA_WITH_SHA_512,
            },
            None,
        ),
    })
}

/// Whether a credential's `key/algo` list allows `scheme`. Services list either the bare
/// scheme (rsaEncryption, id-RSASSA-PSS, id-ecPublicKey) or combined sha*WithRSAEncryption /
/// ecdsa-with-SHA* identifiers; either counts.
pub fn scheme_offered(algorithms: &[ObjectIdentifier], scheme: SignatureScheme) -> bool {
    let offered: &[ObjectIdentifier] = match scheme {
        SignatureScheme::RsaPkcs1v15 => &[
            rfc5912::RSA_ENCRYPTION,
            rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
            rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
            rfc5912::SHA_512_WITH_RSA_ENCRYPTION,
        ],
        SignatureScheme::RsaPss => &[rfc5912::ID_RSASSA_PSS],
        SignatureScheme::Ecdsa => &[
            rfc5912::ID_EC_PUBLIC_KEY,
            rfc5912::ECDSA_WITH_SHA_256,
            rfc5912::ECDSA_WITH_SHA_384,
            rfc5912::ECDSA_WITH_SHA_512,
        ],
    };
    algorithms.iter().any(|a| offered.contains(a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csc::client::tests::{PSS, RSA};

    #[test]
    fn pss_params_are_what_openssl_writes() {
        // The RSASSA-PSS-params of certificates made with `openssl req -x509 -sha256
        // -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sigopt
        // rsa_mgf1_md:sha256` (and 384, 512), OpenSSL 3.0.
        let expected = [
            (
                DigestAlgorithm::Sha256,
                "3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d\
                 06096086480165030402010500a203020120",
            ),
            (
                DigestAlgorithm::Sha384,
                "3034a00f300d06096086480165030402020500a11c301a06092a864886f70d010108300d\
                 06096086480165030402020500a203020130",
            ),
            (
                DigestAlgorithm::Sha512,
                "3034a00f300d06096086480165030402030500a11c301a06092a864886f70d010108300d\
                 06096086480165030402030500a203020140",
            ),
        ];
        for (digest, hex) in expected {
            let (oid, params) = sign_algorithm(SignatureScheme::RsaPss, digest).unwrap();
            assert_eq!(oid.to_string(), PSS);
            let hex_of: String = params.unwrap().iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex_of, hex, "{digest:?}");
        }
        let (oid, params) =
            sign_algorithm(SignatureScheme::RsaPkcs1v15, DigestAlgorithm::Sha512).unwrap();
        assert_eq!((oid.to_string().as_str(), params), (RSA, None));
        let (oid, _) = sign_algorithm(SignatureScheme::Ecdsa, DigestAlgorithm::Sha256).unwrap();
        assert_eq!(oid.to_string(), "1.2.840.10045.4.3.2");
    }

    #[test]
    fn offered_schemes_accept_combined_identifiers() {
        let oids = |list: &[&str]| -> Vec<ObjectIdentifier> {
            list.iter()
                .map(|s| ObjectIdentifier::new_unwrap(s))
                .collect()
        };
        let combined = oids(&["1.2.840.113549.1.1.11"]);
        assert!(scheme_offered(&combined, SignatureScheme::RsaPkcs1v15));
        assert!(!scheme_offered(&combined, SignatureScheme::RsaPss));
        let both = oids(&[RSA, PSS]);
        assert!(scheme_offered(&both, SignatureScheme::RsaPss));
        assert!(!scheme_offered(&both, SignatureScheme::Ecdsa));
        let ec = oids(&["1.2.840.10045.2.1"]);
        assert!(scheme_offered(&ec, SignatureScheme::Ecdsa));
    }
}
