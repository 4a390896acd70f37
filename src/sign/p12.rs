//! A signer whose key and chain come from a PKCS#12 file (RFC 7292) or PEM files, held in
//! memory and used through OpenSSL. Reading the files from disk is left to the caller (the
//! CLI), so the library never touches the filesystem.

use std::fmt;
use std::sync::OnceLock;

use openssl::error::ErrorStack;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::provider::Provider;
use openssl::rsa::Padding;
use openssl::sign::RsaPssSaltlen;
use openssl::x509::X509;

use super::signer::order_chain;
use super::{DigestAlgorithm, KeyKind, SignatureScheme, Signer, SignerError};

/// The smallest RSA key Circular 15/2025/TT-BKHCN allows.
const MIN_RSA_BITS: u32 = 2048;

/// Why a PKCS#12 or PEM key could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs12Error {
    #[error("the file is not a PKCS#12 (.p12/.pfx) file: {source}")]
    NotPkcs12 {
        #[source]
        source: ErrorStack,
    },
    /// The password is never part of the message.
    #[error("wrong password for the PKCS#12 file")]
    WrongPassword,
    #[error("the PKCS#12 file could not be decrypted: {source}")]
    Decrypt {
        #[source]
        source: ErrorStack,
    },
    #[error("the PKCS#12 file holds no private key")]
    NoPrivateKey,
    #[error("the PKCS#12 file holds no certificate for its private key")]
    NoCertificate,
    #[error("cannot read the PEM private key: {source}")]
    KeyPem {
        #[source]
        source: ErrorStack,
    },
    #[error("cannot read the PEM certificates: {source}")]
    CertificatePem {
        #[source]
        source: ErrorStack,
    },
    #[error("none of the {count} certificates given belongs to the private key")]
    KeyCertificateMismatch { count: usize },
    #[error(
        "the key is {detail}; kyso signs with RSA of at least 2048 bits or ECDSA P-256/P-384 \
         (Circular 15/2025/TT-BKHCN)"
    )]
    UnsupportedKey { detail: String },
    #[error("OpenSSL failed while {context}: {source}")]
    OpenSsl {
        context: &'static str,
        #[source]
        source: ErrorStack,
    },
}

/// A private key in memory with its certificate chain.
pub struct Pkcs12Signer {
    key: PKey<Private>,
    chain: Vec<Vec<u8>>,
    kind: KeyKind,
}

impl fmt::Debug for Pkcs12Signer {
    /// Shows the key kind and the chain's length, never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs12Signer")
            .field("kind", &self.kind)
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Pkcs12Signer {
    /// Opens a PKCS#12 file's bytes. Files made with the legacy RC2/3DES encryption of older
    /// tools (`openssl pkcs12 -legacy`, many CA-issued .pfx files) are read too.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Pkcs12Signer, Pkcs12Error> {
        let pkcs12 = Pkcs12::from_der(der).map_err(|source| Pkcs12Error::NotPkcs12 { source })?;
        // OpenSSL's binding cannot pass a password with a NUL byte; no such password can
        // have been set from a terminal either.
        if password.contains('\0') {
            return Err(Pkcs12Error::WrongPassword);
        }
        let parsed = match pkcs12.parse2(password) {
            Ok(parsed) => parsed,
            Err(e) if is_unsupported_algorithm(&e) && load_legacy_provider() => {
                pkcs12.parse2(password).map_err(classify_parse_error)?
            }
            Err(e) => return Err(classify_parse_error(e)),
        };
        let key = parsed.pkey.ok_or(Pkcs12Error::NoPrivateKey)?;
        let leaf = parsed.cert.ok_or(Pkcs12Error::NoCertificate)?;
        let others: Vec<X509> = parsed
            .ca
            .map(|stack| stack.into_iter().collect())
            .unwrap_or_default();
        Pkcs12Signer::new(key, leaf, &others)
    }

    /// A key in PEM (PKCS#8 or traditional, unencrypted) and its certificate with any
    /// issuers, in any order, in PEM.
    pub fn from_pem(key_pem: &[u8], certs_pem: &[u8]) -> Result<Pkcs12Signer, Pkcs12Error> {
        let key =
            PKey::private_key_from_pem(key_pem).map_err(|source| Pkcs12Error::KeyPem { source })?;
        let certificates = X509::stack_from_pem(certs_pem)
            .map_err(|source| Pkcs12Error::CertificatePem { source })?;
        let count = certificates.len();
        let leaf = certificates
            .iter()
            .find(|c| c.public_key().is_ok_and(|p| key.public_eq(&p)))
            .cloned()
            .ok_or(Pkcs12Error::KeyCertificateMismatch { count })?;
        Pkcs12Signer::new(key, leaf, &certificates)
    }

    fn new(key: PKey<Private>, leaf: X509, others: &[X509]) -> Result<Pkcs12Signer, Pkcs12Error> {
        let openssl = |context| move |source| Pkcs12Error::OpenSsl { context, source };
        let leaf_key = leaf
            .public_key()
            .map_err(openssl("reading the certificate's key"))?;
        if !key.public_eq(&leaf_key) {
            return Err(Pkcs12Error::KeyCertificateMismatch { count: 1 });
        }
        let kind = KeyKind::of_key(&key).ok_or_else(|| Pkcs12Error::UnsupportedKey {
            detail: format!("{:?} of {} bits", key.id(), key.bits()),
        })?;
        if let KeyKind::Rsa { bits } = kind
            && bits < MIN_RSA_BITS
        {
            return Err(Pkcs12Error::UnsupportedKey {
                detail: format!("RSA of {bits} bits"),
            });
        }
        let leaf_der = leaf.to_der().map_err(openssl("encoding the certificate"))?;
        let others_der = others
            .iter()
            .map(|c| c.to_der())
            .collect::<Result<Vec<_>, _>>()
            .map_err(openssl("encoding the issuer certificates"))?;
        Ok(Pkcs12Signer {
            key,
            chain: order_chain(leaf_der, &others_der),
            kind,
        })
    }
}

impl Signer for Pkcs12Signer {
    fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn key_kind(&self) -> KeyKind {
        self.kind
    }

    fn sign(
        &self,
        data: &[u8],
        digest: DigestAlgorithm,
        scheme: SignatureScheme,
    ) -> Result<Vec<u8>, SignerError> {
        if !self.kind.allows(scheme) {
            return Err(SignerError::SchemeNotSupported {
                key: self.kind,
                scheme,
            });
        }
        let openssl = |context| move |source| SignerError::OpenSsl { context, source };
        let md = digest.message_digest();
        let mut signer =
            openssl::sign::Signer::new(md, &self.key).map_err(openssl("starting to sign"))?;
        match scheme {
            // RFC 4055 §3.1 / Circular 15/2025: MGF1 with the same hash, salt = hash length.
            SignatureScheme::RsaPss => {
                signer
                    .set_rsa_padding(Padding::PKCS1_PSS)
                    .and_then(|()| signer.set_rsa_mgf1_md(md))
                    .and_then(|()| signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH))
                    .map_err(openssl("setting RSASSA-PSS parameters"))?;
            }
            SignatureScheme::RsaPkcs1v15 => {
                signer
                    .set_rsa_padding(Padding::PKCS1)
                    .map_err(openssl("setting PKCS#1 v1.5 padding"))?;
            }
            // OpenSSL returns ECDSA signatures as DER Ecdsa-Sig-Value already.
            SignatureScheme::Ecdsa => {}
        }
        signer.sign_oneshot_to_vec(data).map_err(openssl("signing"))
    }
}

/// OpenSSL reports a wrong password as a failed MAC check (RFC 7292 §5.1) or, for files
/// without a MAC, as a failed decryption.
fn classify_parse_error(e: ErrorStack) -> Pkcs12Error {
    let wrong_password = e.errors().iter().any(|err| {
        err.reason()
            .is_some_and(|r| r.contains("mac verify failure") || r.contains("bad decrypt"))
    });
    if wrong_password {
        Pkcs12Error::WrongPassword
    } else {
        Pkcs12Error::Decrypt { source: e }
    }
}

fn is_unsupported_algorithm(e: &ErrorStack) -> bool {
    e.errors()
        .iter()
        .any(|err| err.reason().is_some_and(|r| r.contains("unsupported")))
}

/// Loads OpenSSL 3's legacy provider (RC2, DES) once per process, keeping the default one.
fn load_legacy_provider() -> bool {
    static LEGACY: OnceLock<Option<Provider>> = OnceLock::new();
    LEGACY
        .get_or_init(|| Provider::try_load(None, "legacy", true).ok())
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = include_bytes!("../../certs/signers/officer-do-thi-huong.key.pem");
    const CHAIN: &[u8] = include_bytes!("../../certs/signers/officer-do-thi-huong.chain.pem");
    const P12: &[u8] = include_bytes!("../../certs/signers/officer-do-thi-huong.p12");

    #[test]
    fn wrong_password_is_named_and_not_echoed() {
        let err = Pkcs12Signer::from_pkcs12(P12, "hunter2-secret").unwrap_err();
        assert!(matches!(err, Pkcs12Error::WrongPassword), "{err:?}");
        let message = err.to_string();
        assert_eq!(message, "wrong password for the PKCS#12 file");
        assert!(!format!("{err:?}").contains("hunter2"));
        assert!(matches!(
            Pkcs12Signer::from_pkcs12(P12, "a\0b"),
            Err(Pkcs12Error::WrongPassword)
        ));
    }

    #[test]
    fn pem_and_pkcs12_give_the_same_chain() {
        let pem = Pkcs12Signer::from_pem(KEY, CHAIN).unwrap();
        let p12 = Pkcs12Signer::from_pkcs12(P12, "kyso-test").unwrap();
        assert_eq!(pem.certificate_chain(), p12.certificate_chain());
        assert_eq!(pem.key_kind(), KeyKind::EcP256);
        assert_eq!(pem.certificate_chain().len(), 2);
    }

    #[test]
    fn ec_key_refuses_rsa_schemes() {
        let signer = Pkcs12Signer::from_pem(KEY, CHAIN).unwrap();
        let err = signer
            .sign(b"x", DigestAlgorithm::Sha256, SignatureScheme::RsaPss)
            .unwrap_err();
        assert!(matches!(err, SignerError::SchemeNotSupported { .. }));
    }

    #[test]
    fn key_without_its_certificate_is_refused() {
        let other = include_bytes!("../../certs/signers/citizen-nguyen-van-an.pem");
        assert!(matches!(
            Pkcs12Signer::from_pem(KEY, other),
            Err(Pkcs12Error::KeyCertificateMismatch { count: 1 })
        ));
        assert!(matches!(
            Pkcs12Signer::from_pkcs12(b"not a pfx", "x"),
            Err(Pkcs12Error::NotPkcs12 { .. })
        ));
    }
}
