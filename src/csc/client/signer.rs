//! A CSC credential as a [`Signer`]: one SCAL2 round per signature (PIN and a fresh OTP
//! authorize exactly one hash), the value checked against the certificate before it is
//! returned. The HTTP exchanges are [`CscClient`]'s; where the OTP comes from is the caller's
//! ([`OtpSource`]).

use super::{CredentialInfo, CscClient, CscClientError, OtpKind, scheme_offered};
use crate::csc::Secret;
use crate::sign::algorithm::ecdsa_raw_to_der;
use crate::sign::cms::{SignatureAlgorithm, verify_signature_value};
use crate::sign::signer::order_chain;
use crate::sign::{DigestAlgorithm, KeyKind, SignatureScheme, Signer, SignerError};

/// The smallest RSA key Circular 15/2025/TT-BKHCN allows.
const MIN_RSA_BITS: u32 = 2048;
/// The source of the one-time password for each signature (the CLI asks the terminal; tests
/// compute a TOTP or read the demo outbox).
pub trait OtpSource: Send + Sync {
    /// Whether the service should be asked to deliver a code before [`OtpSource::otp`] is
    /// called, for credentials whose codes are delivered. `false` when the code is already at
    /// hand (given on the command line).
    fn wants_delivery(&self) -> bool {
        true
    }

    /// The one-time password; `delivered` says the service has just sent it (SMS, e-mail).
    fn otp(&self, delivered: bool) -> Result<Secret, CscClientError>;
}

/// A code known in advance.
#[derive(Debug, Clone)]
pub struct GivenOtp(pub Secret);

impl OtpSource for GivenOtp {
    fn wants_delivery(&self) -> bool {
        false
    }

    fn otp(&self, _delivered: bool) -> Result<Secret, CscClientError> {
        Ok(self.0.clone())
    }
}
/// A credential of a remote signing service as a [`Signer`]: each `sign` is one SCAL2
/// round — one hash, authorized with the PIN and a fresh OTP, then signed — and the value is
/// checked against the certificate before it is returned.
pub struct CscSigner {
    client: CscClient,
    credential: CredentialInfo,
    chain: Vec<Vec<u8>>,
    kind: KeyKind,
    pin: Secret,
    otp: Box<dyn OtpSource>,
}

impl std::fmt::Debug for CscSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CscSigner")
            .field("client", &self.client)
            .field("credential", &self.credential.credential_id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl CscSigner {
    /// A signer for `credential` (from [`CscClient::credential_info`]) over a logged-in
    /// `client`. Refuses keys Circular 15/2025/TT-BKHCN does not allow.
    pub fn new(
        client: CscClient,
        credential: CredentialInfo,
        pin: Secret,
        otp: Box<dyn OtpSource>,
    ) -> Result<CscSigner, CscClientError> {
        let leaf = credential
            .certificates
            .first()
            .ok_or_else(|| CscClientError::BadResponse {
                what: "credentials/info: no certificates".into(),
            })?;
        let certificate =
            openssl::x509::X509::from_der(leaf).map_err(|_| CscClientError::BadResponse {
                what: "credentials/info: the first certificate is not DER X.509".into(),
            })?;
        let key = certificate
            .public_key()
            .map_err(|_| CscClientError::BadResponse {
                what: "credentials/info: the certificate's key cannot be read".into(),
            })?;
        let kind = KeyKind::of_key(&key).ok_or_else(|| CscClientError::UnsupportedKey {
            detail: format!("{:?} of {} bits", key.id(), key.bits()),
        })?;
        if let KeyKind::Rsa { bits } = kind
            && bits < MIN_RSA_BITS
        {
            return Err(CscClientError::UnsupportedKey {
                detail: format!("RSA of {bits} bits"),
            });
        }
        let chain = order_chain(leaf.clone(), &credential.certificates[1..]);
        Ok(CscSigner {
            client,
            credential,
            chain,
            kind,
            pin,
            otp,
        })
    }

    pub fn credential(&self) -> &CredentialInfo {
        &self.credential
    }

    /// The SCAL2 round for one hash; the signature value as CMS carries it.
    pub(super) fn sign_hash(
        &self,
        data: &[u8],
        digest: DigestAlgorithm,
        scheme: SignatureScheme,
    ) -> Result<Vec<u8>, CscClientError> {
        if !scheme_offered(&self.credential.key_algorithms, scheme) {
            return Err(CscClientError::SchemeNotOffered {
                scheme,
                offered: self
                    .credential
                    .key_algorithms
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            });
        }
        let id = &self.credential.credential_id;
        let hashes = [digest.digest(data)];
        let otp = match self.credential.otp {
            None => None,
            Some(kind) => {
                let delivered = kind == OtpKind::Delivered && self.otp.wants_delivery();
                if delivered {
                    self.client.request_otp(id)?;
                }
                Some(self.otp.otp(delivered)?)
            }
        };
        let sad = self
            .client
            .authorize(id, &hashes, digest, &self.pin, otp.as_ref())?;
        let mut signature = self
            .client
            .sign_hash(id, &sad.sad, &hashes, digest, scheme)?
            .remove(0);
        // Some services return ECDSA as r || s (PKCS#11 style); CMS carries DER.
        if scheme == SignatureScheme::Ecdsa
            && openssl::ecdsa::EcdsaSig::from_der(&signature).is_err()
            && let Some(der) = ecdsa_raw_to_der(&signature)
        {
            signature = der;
        }
        let leaf = &self.chain[0];
        let algorithm = SignatureAlgorithm::new(scheme, digest);
        if !verify_signature_value(leaf, data, algorithm, digest, &signature).unwrap_or(false) {
            return Err(CscClientError::SignatureMismatch {
                subject: subject_of(leaf),
            });
        }
        Ok(signature)
    }
}

fn subject_of(der: &[u8]) -> String {
    openssl::x509::X509::from_der(der)
        .ok()
        .and_then(|c| {
            let entry = c
                .subject_name()
                .entries_by_nid(openssl::nid::Nid::COMMONNAME)
                .next()?;
            entry.data().to_string().ok()
        })
        .unwrap_or_else(|| "the credential".to_owned())
}

impl Signer for CscSigner {
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
        self.sign_hash(data, digest, scheme)
            .map_err(|error| match error {
                CscClientError::Timeout { .. }
                | CscClientError::Transport { .. }
                | CscClientError::BadResponse { .. }
                | CscClientError::SignatureMismatch { .. }
                | CscClientError::Http { .. } => SignerError::Device {
                    context: "signing with the remote signing service",
                    detail: error.to_string(),
                },
                other => SignerError::Refused {
                    reason: other.to_string(),
                },
            })
    }
}
