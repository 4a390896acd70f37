//! Key types the test PKI and the signers use, and the digest each one signs certificates
//! with. Where keys live (files, PKCS#11 tokens, remote services) is left to the signers.

use std::fmt;

use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, PKeyRef, Private};
use openssl::rsa::Rsa;

use super::PkiError;

/// A key algorithm and size. Circular 15/2025/TT-BKHCN asks for RSA of at least 2048 bits or
/// ECDSA of at least 256 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum KeySpec {
    #[serde(rename = "RSA-2048")]
    Rsa2048,
    #[serde(rename = "RSA-3072")]
    Rsa3072,
    #[serde(rename = "ECDSA P-256")]
    EcP256,
    #[serde(rename = "ECDSA P-384")]
    EcP384,
}

impl KeySpec {
    pub fn generate(self) -> Result<PKey<Private>, PkiError> {
        let openssl = PkiError::openssl("generating a key");
        match self {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 => {
                let bits = if self == KeySpec::Rsa2048 { 2048 } else { 3072 };
                PKey::from_rsa(Rsa::generate(bits).map_err(openssl)?).map_err(openssl)
            }
            KeySpec::EcP256 | KeySpec::EcP384 => {
                let curve = if self == KeySpec::EcP256 {
                    Nid::X9_62_PRIME256V1
                } else {
                    Nid::SECP384R1
                };
                let group = EcGroup::from_curve_name(curve).map_err(openssl)?;
                PKey::from_ec_key(EcKey::generate(&group).map_err(openssl)?).map_err(openssl)
            }
        }
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeySpec::Rsa2048 => "RSA-2048",
            KeySpec::Rsa3072 => "RSA-3072",
            KeySpec::EcP256 => "ECDSA P-256",
            KeySpec::EcP384 => "ECDSA P-384",
        })
    }
}

/// The digest an issuer with this key signs certificates and CRLs with: SHA-384 for P-384 so
/// the strengths match (NIST SP 800-57), SHA-256 otherwise.
pub fn issuer_digest(key: &PKeyRef<Private>) -> MessageDigest {
    if key.id() == Id::EC && key.bits() > 256 {
        MessageDigest::sha384()
    } else {
        MessageDigest::sha256()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_the_requested_sizes() {
        for (spec, id, bits) in [
            (KeySpec::Rsa2048, Id::RSA, 2048),
            (KeySpec::EcP256, Id::EC, 256),
            (KeySpec::EcP384, Id::EC, 384),
        ] {
            let key = spec.generate().unwrap();
            assert_eq!((key.id(), key.bits()), (id, bits), "{spec}");
        }
    }
}
