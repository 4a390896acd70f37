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
    #[error("the signing device failed while {context}: {detail}")]
    Device {
        context: &'static str,
        detail: String,
    },
    #[error("OpenSSL failed while {context}: {source}")]
    OpenSsl {
        context: &'static str,
        #[source]
        source: openssl::error::ErrorStack,
    },
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

/// Orders certificates (DER) into a chain: `leaf` first, then the certificate that issued it,
/// and so on, following issuer/subject names and key identifiers (RFC 5280 §4.1.2.4,
/// §4.2.1.1). Certificates that are not on the leaf's path are left out; a self-signed
/// certificate ends the chain. Unreadable certificates are skipped.
pub fn order_chain(leaf: Vec<u8>, others: &[Vec<u8>]) -> Vec<Vec<u8>> {
    use openssl::x509::{X509, X509VerifyResult};
    let parsed: Vec<(X509, &Vec<u8>)> = others
        .iter()
        .filter(|der| **der != leaf)
        .filter_map(|der| X509::from_der(der).ok().map(|c| (c, der)))
        .collect();
    let mut used = vec![false; parsed.len()];
    let mut chain = vec![leaf.clone()];
    let Ok(mut current) = X509::from_der(&leaf) else {
        return chain;
    };
    while current.issued(&current) != X509VerifyResult::OK {
        let next = parsed
            .iter()
            .enumerate()
            .find(|(i, (candidate, _))| {
                !used[*i] && candidate.issued(&current) == X509VerifyResult::OK
            })
            .map(|(i, _)| i);
        let Some(i) = next else { break };
        used[i] = true;
        chain.push(parsed[i].1.clone());
        current = parsed[i].0.clone();
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(pem: &[u8]) -> Vec<u8> {
        openssl::x509::X509::from_pem(pem)
            .unwrap()
            .to_der()
            .unwrap()
    }

    #[test]
    fn chains_follow_issuers_and_drop_strangers() {
        let leaf = der(include_bytes!(
            "../../certs/signers/officer-do-thi-huong.pem"
        ));
        let ca = der(include_bytes!("../../certs/ca/government-ca.pem"));
        let root = der(include_bytes!("../../certs/trust/government-root.pem"));
        let stranger = der(include_bytes!("../../certs/ca/public-ca.pem"));
        let chain = order_chain(leaf.clone(), &[root.clone(), stranger, ca.clone()]);
        assert_eq!(chain, vec![leaf.clone(), ca, root]);
        assert_eq!(order_chain(leaf.clone(), &[]), vec![leaf]);
    }
}
