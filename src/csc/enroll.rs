//! Enrollment of a citizen for remote signing: a key pair generated inside the HSM, a
//! certificate from the public CA naming the citizen by CCCD (UID=CCCD:…), the PIN's Argon2id
//! hash and the OTP factor, stored as one credential and audited. Reading the CA's files and
//! asking for secrets are left to the CLI and the admin route.

use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use time::{Duration, OffsetDateTime};

use super::otp::TotpSecret;
use super::pin::{PinError, PinHash};
use super::service::{CscError, CscService, certificate_sha256};
use super::{Lockout, Secret};
use crate::pki::crl::DatabaseEntry;
use crate::pki::identity::{Identity, IdentityKind, SubjectName};
use crate::pki::ocsp::IssuedCertificates;
use crate::pki::profile::{
    self, CertificateRequest, Endpoints, Issuer, Role, SubjectKey, Validity,
};
use crate::sign::pkcs11::HsmKeySpec;
use crate::store::csc::{CredentialRow, CscDirectory, IssuedRow, OtpFactor, UserRow};

/// How long a citizen's signing certificate is valid.
pub const CERTIFICATE_LIFETIME: Duration = Duration::days(2 * 365);

/// The CA that certifies citizens' remote-signing keys.
pub struct CitizenCa {
    pub certificate: X509,
    pub key: PKey<Private>,
    /// The short name in the CA's URLs (`/crl/<slug>.crl`).
    pub slug: String,
    /// DER certificates above the CA, up to and including the root.
    pub parents: Vec<Vec<u8>>,
    pub endpoints: Endpoints,
}

impl std::fmt::Debug for CitizenCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CitizenCa")
            .field("slug", &self.slug)
            .finish_non_exhaustive()
    }
}

/// How the citizen will receive one-time passwords.
#[derive(Debug, Clone)]
pub enum OtpChoice {
    /// An authenticator app (RFC 6238).
    Totp,
    /// Codes sent by SMS or e-mail to this address (the outbox in this service).
    Delivered { address: String },
}

/// Who to enroll and with what.
pub struct Enrollment {
    pub cccd: String,
    pub name: String,
    pub otp: OtpChoice,
    pub pin: Secret,
    /// The login password of a new account; ignored (may be `None`) when the citizen
    /// already has an account.
    pub password: Option<Secret>,
    pub key: HsmKeySpec,
}

/// What enrollment made. The TOTP URI is shown to the citizen once, as a QR code.
#[derive(Debug)]
pub struct Enrolled {
    pub credential_id: String,
    pub new_account: bool,
    pub certificate: Vec<u8>,
    pub totp_uri: Option<Secret>,
}

/// Why enrollment was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnrollError {
    #[error("'{0}' is not a CCCD number: 12 digits")]
    Cccd(String),
    #[error("the name must not be empty")]
    Name,
    #[error("'{0}' is neither a phone number (+84… or 0…, 10–11 digits) nor an e-mail address")]
    Address(String),
    #[error("{0}")]
    Pin(PinError),
    #[error("a new account needs a login password of 8 to 128 characters")]
    Password,
    #[error("CCCD {0} already has an account under another name")]
    NameMismatch(String),
    #[error("cannot create the key in the HSM")]
    Key(#[source] crate::sign::pkcs11::Pkcs11Error),
    #[error("cannot issue the certificate")]
    Certificate(#[source] crate::pki::PkiError),
    #[error(transparent)]
    Service(#[from] CscError),
}

impl From<crate::store::StoreError> for EnrollError {
    fn from(e: crate::store::StoreError) -> Self {
        EnrollError::Service(CscError::Store(e))
    }
}

fn valid_address(address: &str) -> bool {
    let phone = address.strip_prefix("+84").map_or_else(
        || {
            address
                .strip_prefix('0')
                .is_some_and(|r| (9..=10).contains(&r.len()))
        },
        |r| (9..=10).contains(&r.len()),
    ) && address
        .trim_start_matches('+')
        .bytes()
        .all(|b| b.is_ascii_digit());
    let email = address
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !address.contains(char::is_whitespace);
    phone || email
}

fn random_hex(bytes: usize) -> Result<String, CscError> {
    let mut raw = vec![0u8; bytes];
    openssl::rand::rand_bytes(&mut raw).map_err(|_| CscError::Internal("randomness"))?;
    Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
}

/// Enrolls `enrollment` at `now`, acting for `actor` (the admin or the CLI user).
pub fn enroll(
    service: &CscService,
    ca: &CitizenCa,
    enrollment: Enrollment,
    actor: &str,
    now: OffsetDateTime,
) -> Result<Enrolled, EnrollError> {
    let cccd = enrollment.cccd.trim().to_owned();
    let identity =
        Identity::new(IdentityKind::Cccd, &cccd).map_err(|_| EnrollError::Cccd(cccd.clone()))?;
    let name = enrollment.name.trim().to_owned();
    if name.is_empty() {
        return Err(EnrollError::Name);
    }
    if let OtpChoice::Delivered { address } = &enrollment.otp
        && !valid_address(address)
    {
        return Err(EnrollError::Address(address.clone()));
    }
    let pin_hash = PinHash::new(&enrollment.pin).map_err(EnrollError::Pin)?;
    let directory = service.directory();
    let existing = directory.user(&cccd)?;
    if let Some(user) = &existing
        && user.name != name
    {
        return Err(EnrollError::NameMismatch(cccd));
    }
    let password_hash = match (&existing, &enrollment.password) {
        (Some(_), _) => None,
        (None, Some(password)) => {
            Some(PinHash::for_password(password).map_err(|_| EnrollError::Password)?)
        }
        (None, None) => return Err(EnrollError::Password),
    };

    let credential_id = format!("cred-{}", random_hex(12)?);
    let key_id = random_hex(16)?.into_bytes();
    let spki = service
        .keys()
        .generate(&credential_id, &key_id, enrollment.key)
        .map_err(EnrollError::Key)?;
    // From here on, a failure removes the key again so no orphan stays in the HSM.
    let made = (|| {
        let public = PKey::public_key_from_der(&spki)
            .map_err(|_| CscError::Internal("the HSM returned an unreadable public key"))?;
        let subject = SubjectName {
            common_name: name.clone(),
            country: Some("VN".into()),
            identities: vec![identity],
            ..SubjectName::default()
        };
        let not_before = (now - Duration::minutes(5)).unix_timestamp();
        // A certificate must not outlive its issuer (RFC 5280 §6.1.3 would reject it later).
        let epoch = openssl::asn1::Asn1Time::from_unix(0)
            .map_err(|_| CscError::Internal("reading the CA's validity"))?;
        let ca_end = epoch
            .diff(ca.certificate.not_after())
            .map(|d| i64::from(d.days) * 86_400 + i64::from(d.secs))
            .map_err(|_| CscError::Internal("reading the CA's validity"))?;
        let not_after = (now + CERTIFICATE_LIFETIME).unix_timestamp().min(ca_end);
        let certificate = profile::issue(&CertificateRequest {
            role: Role::Signer,
            subject: &subject,
            key: SubjectKey::Public(&public),
            validity: Validity {
                not_before,
                not_after,
            },
            issuer: Some(Issuer {
                certificate: &ca.certificate,
                key: &ca.key,
                slug: &ca.slug,
            }),
            endpoints: &ca.endpoints,
        })
        .map_err(EnrollError::Certificate)?;
        let certificate_der = certificate
            .to_der()
            .map_err(|_| CscError::Internal("encoding the certificate"))?;
        let ca_der = ca
            .certificate
            .to_der()
            .map_err(|_| CscError::Internal("encoding the CA certificate"))?;
        let serial = certificate
            .serial_number()
            .to_bn()
            .map_err(|_| CscError::Internal("reading the serial"))?
            .to_vec();

        if let Some(password_hash) = &password_hash {
            directory.insert_user(
                &UserRow {
                    id: cccd.clone(),
                    name: name.clone(),
                    password_hash: password_hash.as_phc().to_owned(),
                },
                now,
            )?;
        }
        let (otp, totp) = match &enrollment.otp {
            OtpChoice::Totp => {
                let secret =
                    TotpSecret::generate().map_err(|_| CscError::Internal("drawing a TOTP key"))?;
                let factor = OtpFactor::Totp {
                    secret: secret.expose().to_vec(),
                    last_step: None,
                };
                (factor, Some(secret))
            }
            OtpChoice::Delivered { address } => (
                OtpFactor::Delivered {
                    address: address.clone(),
                },
                None,
            ),
        };
        let mut certificates = vec![certificate_der.clone(), ca_der.clone()];
        certificates.extend(ca.parents.iter().cloned());
        directory.insert_credential(
            &CredentialRow {
                id: credential_id.clone(),
                user_id: cccd.clone(),
                key_id: key_id.clone(),
                certificates,
                pin_hash: pin_hash.as_phc().to_owned(),
                otp,
                lockout: Lockout::default(),
            },
            now,
        )?;
        directory.record_issued(&IssuedRow {
            issuer_sha256: certificate_sha256(&ca_der),
            serial: hex_serial(&serial),
            subject: format!("/C=VN/CN={name}/UID=CCCD:{cccd}"),
            not_after,
            revoked_at: None,
        })?;
        let factor = match &enrollment.otp {
            OtpChoice::Totp => "totp",
            OtpChoice::Delivered { .. } => "delivered",
        };
        service.record(
            now,
            actor,
            "enroll",
            &credential_id,
            serde_json::json!({ "user": cccd, "otp_factor": factor }),
        )?;
        Ok::<_, EnrollError>((certificate_der, totp))
    })();
    let (certificate, totp) = match made {
        Ok(made) => made,
        Err(error) => {
            let _ = directory.delete_credential(&credential_id);
            if password_hash.is_some() {
                let _ = directory.delete_user(&cccd);
            }
            let _ = service.keys().delete(&key_id);
            return Err(error);
        }
    };
    Ok(Enrolled {
        totp_uri: totp.map(|t| t.otpauth_uri(&cccd)),
        credential_id,
        new_account: password_hash.is_some(),
        certificate,
    })
}

fn hex_serial(serial: &[u8]) -> String {
    let stripped = crate::pki::crl::strip_leading_zeros(serial);
    stripped.iter().map(|b| format!("{b:02x}")).collect()
}

/// The OCSP responder's view of the certificates enrollment issued.
#[derive(Debug, Clone)]
pub struct EnrolledCertificates(pub CscDirectory);

impl IssuedCertificates for EnrolledCertificates {
    fn entry(&self, ca_der: &[u8], serial: &[u8]) -> Option<DatabaseEntry> {
        let row = self
            .0
            .issued(&certificate_sha256(ca_der), &hex_serial(serial))
            .ok()??;
        Some(DatabaseEntry {
            serial: crate::pki::crl::strip_leading_zeros(serial).to_vec(),
            expires: OffsetDateTime::from_unix_timestamp(row.not_after).ok()?,
            revoked: row
                .revoked_at
                .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
                .map(|time| crate::pki::crl::Revocation { time, reason: None }),
            subject: row.subject,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_phones_or_emails() {
        for good in ["+84901234567", "0901234567", "an.nguyen@example.vn"] {
            assert!(valid_address(good), "{good}");
        }
        for bad in ["", "12345", "+1555123", "an@", "a b@c.vn", "09012345678901"] {
            assert!(!valid_address(bad), "{bad}");
        }
    }
}
