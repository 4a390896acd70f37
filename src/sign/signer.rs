//! The one trait every signing key sits behind — a PKCS#12 file, a PKCS#11 token, or a
//! remote service — so PAdES staging never knows where the key lives.

use super::algorithm::{DigestAlgorithm, KeyKind, SignatureScheme};

/// Why a key could not sign.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignerError {
    #[error("the {key:?} key cannot sign with {scheme:?}")]
    SchemeNotSupported {
        key: KeyKind,
        scheme: SignatureScheme,
    },
    #[error("the signing key refused to sign: {reason}")]
    Refused { reason: String },
}

/// A private key and the certificates that go with it.
pub trait Signer: Send + Sync {
    /// The signer's certificate (DER) first, then its issuers as far as they are known.
    fn certificate_chain(&self) -> &[Vec<u8>];

    /// What kind of key this is.
    fn key_kind(&self) -> KeyKind;

    /// Signs `data` (in PAdES, the DER of the signed attributes): the key hashes `data` with
    /// `digest` and returns the signature value in the encoding CMS carries (RSA: the raw
    /// octets; ECDSA: DER `Ecdsa-Sig-Value`).
    fn sign(
        &self,
        data: &[u8],
        digest: DigestAlgorithm,
        scheme: SignatureScheme,
    ) -> Result<Vec<u8>, SignerError>;
}
