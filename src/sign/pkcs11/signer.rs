//! The PKCS#11 [`Signer`]: a logged-in session, the private key's handle and the chain read
//! from the token, signing with the token's own mechanisms. Loading modules and logging in
//! are in `mod.rs`.

use std::fmt;
use std::path::Path;
use std::sync::Mutex;

use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use cryptoki::types::Ulong;
use openssl::x509::X509;

use super::{Pkcs11Error, context, find_token, lock, login, token_error};
use crate::sign::algorithm::ecdsa_raw_to_der;
use crate::sign::signer::order_chain;
use crate::sign::{DigestAlgorithm, KeyKind, SignatureScheme, Signer, SignerError};

/// How well the token protects a private key (PKCS#11 v2.40 §4.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyProtection {
    /// CKA_SENSITIVE: the key's secret parts cannot be read in plaintext.
    pub sensitive: bool,
    /// CKA_EXTRACTABLE: the key can be wrapped out of the token.
    pub extractable: bool,
    /// CKA_ALWAYS_AUTHENTICATE: the token wants the PIN again for every signature.
    pub always_authenticate: bool,
}

/// A private key on a PKCS#11 token, with its certificate chain read from the same token.
pub struct Pkcs11Signer {
    session: Mutex<Session>,
    key: ObjectHandle,
    chain: Vec<Vec<u8>>,
    kind: KeyKind,
    protection: KeyProtection,
    mechanisms: Vec<MechanismType>,
    token_label: String,
    key_label: String,
}

impl fmt::Debug for Pkcs11Signer {
    /// Never shows the PIN, which the signer does not keep anyway.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("token", &self.token_label)
            .field("key", &self.key_label)
            .field("kind", &self.kind)
            .field("protection", &self.protection)
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Pkcs11Signer {
    /// Opens the key labelled `key_label` on the token labelled `token_label`, logging in as
    /// the user with `pin` once. A wrong PIN is reported and never retried. The certificate
    /// is the one with the key's CKA_ID (or, failing that, its label); its issuers are the
    /// token's other certificates, ordered by issuer.
    pub fn open(
        module: impl AsRef<Path>,
        token_label: &str,
        key_label: &str,
        pin: &str,
    ) -> Result<Pkcs11Signer, Pkcs11Error> {
        let module = module.as_ref();
        let context = context(module)?;
        let slot = find_token(&context, token_label)?;
        let session = context
            .open_ro_session(slot)
            .map_err(token_error("opening a session"))?;
        login(&context, module, slot, &session, pin, token_label)?;

        let key = find_private_key(&session, token_label, key_label)?;
        let attributes = session
            .get_attributes(key, &[AttributeType::Id, AttributeType::KeyType])
            .map_err(token_error("reading the key's attributes"))?;
        let mut id = Vec::new();
        let mut key_type = None;
        for attribute in attributes {
            match attribute {
                Attribute::Id(value) => id = value,
                Attribute::KeyType(value) => key_type = Some(value),
                _ => {}
            }
        }
        let protection = read_protection(&session, key)?;

        let leaf = find_certificate(&session, &id, key_label)?;
        let others = certificate_values(&session, &[Attribute::Class(ObjectClass::CERTIFICATE)])?;
        let chain = order_chain(leaf, &others);

        let public_key = X509::from_der(&chain[0])
            .and_then(|c| c.public_key())
            .map_err(|e| Pkcs11Error::UnsupportedKey {
                detail: format!("in an unreadable certificate ({e})"),
            })?;
        let kind = KeyKind::of_key(&public_key).ok_or_else(|| Pkcs11Error::UnsupportedKey {
            detail: format!("{:?} of {} bits", public_key.id(), public_key.bits()),
        })?;
        let expected_type = match kind {
            KeyKind::Rsa { .. } => KeyType::RSA,
            KeyKind::EcP256 | KeyKind::EcP384 => KeyType::EC,
        };
        if key_type != Some(expected_type) {
            return Err(Pkcs11Error::KeyCertificateMismatch {
                label: key_label.to_owned(),
            });
        }
        if let KeyKind::Rsa { bits } = kind
            && bits < 2048
        {
            return Err(Pkcs11Error::UnsupportedKey {
                detail: format!("RSA of {bits} bits"),
            });
        }
        let mechanisms = context
            .get_mechanism_list(slot)
            .map_err(token_error("listing mechanisms"))?;
        Ok(Pkcs11Signer {
            session: Mutex::new(session),
            key,
            chain,
            kind,
            protection,
            mechanisms,
            token_label: token_label.to_owned(),
            key_label: key_label.to_owned(),
        })
    }

    /// Whether the key is sensitive and not extractable, as a signing key on a token should
    /// be. A `false` deserves a warning: the key could be copied off the token.
    pub fn key_is_protected(&self) -> bool {
        self.protection.sensitive && !self.protection.extractable
    }

    /// The key's protection attributes as read from the token now.
    pub fn key_protection(&self) -> Result<KeyProtection, Pkcs11Error> {
        read_protection(&lock(&self.session), self.key)
    }

    fn mechanism_for(
        &self,
        digest: DigestAlgorithm,
        scheme: SignatureScheme,
    ) -> Result<(Mechanism<'static>, bool), SignerError> {
        let has = |m: MechanismType| self.mechanisms.contains(&m);
        let (hash, mgf) = match digest {
            DigestAlgorithm::Sha256 => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
            DigestAlgorithm::Sha384 => (MechanismType::SHA384, PkcsMgfType::MGF1_SHA384),
            DigestAlgorithm::Sha512 => (MechanismType::SHA512, PkcsMgfType::MGF1_SHA512),
        };
        // RFC 4055 §3.1 / Circular 15/2025: MGF1 with the same hash, salt = hash length.
        let pss = PkcsPssParams {
            hash_alg: hash,
            mgf,
            s_len: Ulong::from(digest.output_len() as u64),
        };
        // `true`: the token hashes `data` itself; `false`: kyso hashes and the token signs
        // the digest (PKCS#11 v2.40 §2.1.14-15, §2.3.6).
        let (combined, raw) = match (scheme, digest) {
            (SignatureScheme::RsaPss, DigestAlgorithm::Sha256) => {
                (Mechanism::Sha256RsaPkcsPss(pss), Mechanism::RsaPkcsPss(pss))
            }
            (SignatureScheme::RsaPss, DigestAlgorithm::Sha384) => {
                (Mechanism::Sha384RsaPkcsPss(pss), Mechanism::RsaPkcsPss(pss))
            }
            (SignatureScheme::RsaPss, DigestAlgorithm::Sha512) => {
                (Mechanism::Sha512RsaPkcsPss(pss), Mechanism::RsaPkcsPss(pss))
            }
            (SignatureScheme::RsaPkcs1v15, DigestAlgorithm::Sha256) => {
                (Mechanism::Sha256RsaPkcs, Mechanism::RsaPkcs)
            }
            (SignatureScheme::RsaPkcs1v15, DigestAlgorithm::Sha384) => {
                (Mechanism::Sha384RsaPkcs, Mechanism::RsaPkcs)
            }
            (SignatureScheme::RsaPkcs1v15, DigestAlgorithm::Sha512) => {
                (Mechanism::Sha512RsaPkcs, Mechanism::RsaPkcs)
            }
            (SignatureScheme::Ecdsa, _) => return Ok((Mechanism::Ecdsa, false)),
        };
        if has(combined.mechanism_type()) {
            Ok((combined, true))
        } else if has(raw.mechanism_type()) {
            Ok((raw, false))
        } else {
            Err(SignerError::Refused {
                reason: format!(
                    "token '{}' offers no mechanism for {scheme:?} with {}",
                    self.token_label,
                    digest.name()
                ),
            })
        }
    }
}

impl Signer for Pkcs11Signer {
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
        if self.protection.always_authenticate {
            return Err(SignerError::Refused {
                reason: format!(
                    "key '{}' wants its PIN for every signature (CKA_ALWAYS_AUTHENTICATE), \
                     which kyso does not support yet",
                    self.key_label
                ),
            });
        }
        let (mechanism, token_hashes) = self.mechanism_for(digest, scheme)?;
        let input = if token_hashes {
            data.to_vec()
        } else if scheme == SignatureScheme::RsaPkcs1v15 {
            // CKM_RSA_PKCS signs a DigestInfo (RFC 8017 §9.2).
            [digest_info_prefix(digest), &digest.digest(data)].concat()
        } else {
            digest.digest(data)
        };
        let signature = lock(&self.session)
            .sign(&mechanism, self.key, &input)
            .map_err(|e| SignerError::Device {
                context: "signing on the token",
                detail: match e {
                    CkError::Pkcs11(RvError::UserNotLoggedIn, _) => {
                        "the token is no longer logged in (removed or logged out)".to_owned()
                    }
                    other => other.to_string(),
                },
            })?;
        if scheme == SignatureScheme::Ecdsa {
            // CKM_ECDSA returns r || s (PKCS#11 v2.40 §2.3.1); CMS wants Ecdsa-Sig-Value.
            ecdsa_raw_to_der(&signature).ok_or_else(|| SignerError::Device {
                context: "reading the ECDSA signature",
                detail: format!("{} bytes is not r || s", signature.len()),
            })
        } else {
            Ok(signature)
        }
    }
}

/// The DER prefix of `DigestInfo ::= SEQUENCE { digestAlgorithm, digest OCTET STRING }` for
/// each hash (RFC 8017 §9.2, note 1).
pub(super) fn digest_info_prefix(digest: DigestAlgorithm) -> &'static [u8] {
    match digest {
        DigestAlgorithm::Sha256 => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ],
        DigestAlgorithm::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x02, 0x05, 0x00, 0x04, 0x30,
        ],
        DigestAlgorithm::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x03, 0x05, 0x00, 0x04, 0x40,
        ],
    }
}

pub(super) fn find_private_key(
    session: &Session,
    token: &str,
    label: &str,
) -> Result<ObjectHandle, Pkcs11Error> {
    let keys = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .map_err(token_error("searching for the key"))?;
    match keys.as_slice() {
        [key] => Ok(*key),
        [] => {
            let all = session
                .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])
                .map_err(token_error("listing keys"))?;
            let available = all
                .into_iter()
                .filter_map(|k| session.get_attributes(k, &[AttributeType::Label]).ok())
                .flatten()
                .filter_map(|a| match a {
                    Attribute::Label(l) => Some(String::from_utf8_lossy(&l).into_owned()),
                    _ => None,
                })
                .collect();
            Err(Pkcs11Error::KeyNotFound {
                token: token.to_owned(),
                label: label.to_owned(),
                available,
            })
        }
        many => Err(Pkcs11Error::AmbiguousKey {
            label: label.to_owned(),
            count: many.len(),
        }),
    }
}

pub(super) fn read_protection(
    session: &Session,
    key: ObjectHandle,
) -> Result<KeyProtection, Pkcs11Error> {
    let attributes = session
        .get_attributes(
            key,
            &[
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::AlwaysAuthenticate,
            ],
        )
        .map_err(token_error("reading the key's protection"))?;
    // Absent attributes count as the unsafe answer for sensitivity and extractability.
    let mut protection = KeyProtection {
        sensitive: false,
        extractable: true,
        always_authenticate: false,
    };
    for attribute in attributes {
        match attribute {
            Attribute::Sensitive(v) => protection.sensitive = v,
            Attribute::Extractable(v) => protection.extractable = v,
            Attribute::AlwaysAuthenticate(v) => protection.always_authenticate = v,
            _ => {}
        }
    }
    Ok(protection)
}

fn certificate_values(
    session: &Session,
    template: &[Attribute],
) -> Result<Vec<Vec<u8>>, Pkcs11Error> {
    let handles = session
        .find_objects(template)
        .map_err(token_error("searching for certificates"))?;
    let mut values = Vec::new();
    for handle in handles {
        let attributes = session
            .get_attributes(handle, &[AttributeType::Value])
            .map_err(token_error("reading a certificate"))?;
        values.extend(attributes.into_iter().filter_map(|a| match a {
            Attribute::Value(v) => Some(v),
            _ => None,
        }));
    }
    Ok(values)
}

fn find_certificate(session: &Session, id: &[u8], label: &str) -> Result<Vec<u8>, Pkcs11Error> {
    let class = Attribute::Class(ObjectClass::CERTIFICATE);
    if !id.is_empty() {
        let by_id = certificate_values(session, &[class.clone(), Attribute::Id(id.to_vec())])?;
        if let Some(first) = by_id.into_iter().next() {
            return Ok(first);
        }
    }
    certificate_values(
        session,
        &[class, Attribute::Label(label.as_bytes().to_vec())],
    )?
    .into_iter()
    .next()
    .ok_or_else(|| Pkcs11Error::CertificateNotFound {
        label: label.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_info_prefixes_encode_the_hash_oids() {
        for digest in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            let prefix = digest_info_prefix(digest);
            let oid = der::Encode::to_der(&digest.oid()).unwrap();
            assert_eq!(&prefix[4..4 + oid.len()], oid.as_slice());
            assert_eq!(*prefix.last().unwrap() as usize, digest.output_len());
            // The outer length covers the rest of the prefix plus the digest.
            assert_eq!(prefix[1] as usize, prefix.len() - 2 + digest.output_len());
        }
    }
}
