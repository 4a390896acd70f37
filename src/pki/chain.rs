//! Building and checking certificate chains (RFC 5280 §6): issuer links, validity, key usage,
//! basic constraints; the signature checks themselves live in `signature`, shared with CRLs and
//! OCSP. Whether the root at the end of a chain is trusted is left to the caller, who holds the
//! trust anchors.

use std::fmt;

use const_oid::ObjectIdentifier;
use const_oid::db::{rfc4519, rfc5280};
use der::asn1::{GeneralizedTime, UtcTime};
use der::{DateTime, Decode, Encode};
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::time::Time;

pub use super::signature::SignatureError;
pub(crate) use super::signature::{signed_parts, verify_signature};

/// Chains longer than this are refused: no real hierarchy is that deep, and the bound stops
/// loops through cross-certificates.
const MAX_CHAIN_LEN: usize = 16;

/// id-kp-documentSigning (RFC 9336 §3.1).
const ID_KP_DOCUMENT_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.36");
/// Adobe Authentic Documents Trust (Adobe's PDF signing EKU).
const ADOBE_AUTHENTIC_DOCUMENTS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113583.1.1.5");
/// Microsoft Document Signing.
const MS_DOCUMENT_SIGNING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.10.3.12");
/// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1).
pub(crate) const ID_PKIX_OCSP_NOCHECK: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5");

/// What a certificate is about to be used for; each purpose asks for different key usages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signing a document (PAdES): digitalSignature or nonRepudiation (RFC 5280 §4.2.1.3).
    DocumentSigning,
    /// An RFC 3161 time-stamping unit: critical EKU id-kp-timeStamping (RFC 3161 §2.3).
    TimeStamping,
    /// A delegated OCSP responder: EKU id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
    OcspSigning,
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Purpose::DocumentSigning => "signing documents",
            Purpose::TimeStamping => "time-stamping",
            Purpose::OcspSigning => "signing OCSP responses",
        })
    }
}

/// Why a certificate chain cannot be used. Certificates are named by their subject common name
/// so that a counter officer can tell whose certificate is at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateProblem {
    #[error("no certificate was given")]
    Empty,
    #[error("certificate number {position} of the chain cannot be read ({source})")]
    Malformed {
        position: usize,
        #[source]
        source: der::Error,
    },
    #[error(
        "the certificate of {subject} expired on {}; it can no longer be used — the holder must \
         renew it",
        display_time(*not_after)
    )]
    Expired {
        subject: String,
        not_after: OffsetDateTime,
    },
    #[error(
        "the certificate of {subject} is only valid from {}; check the computer's clock or wait",
        display_time(*not_before)
    )]
    NotYetValid {
        subject: String,
        not_before: OffsetDateTime,
    },
    #[error("the certificate of {subject} does not allow {purpose} (key usage)")]
    KeyUsageForbidsSigning { subject: String, purpose: Purpose },
    #[error("the certificate of {subject} is not meant for {purpose} (extended key usage)")]
    WrongExtendedKeyUsage { subject: String, purpose: Purpose },
    #[error(
        "the chain of {subject} is incomplete: the certificate of its issuer \
         {missing_issuer} was not found"
    )]
    ChainIncomplete {
        subject: String,
        missing_issuer: String,
    },
    #[error(
        "the certificate of {subject} does not carry a valid signature of {issuer}: it may be \
         forged or damaged"
    )]
    BadSignature { subject: String, issuer: String },
    #[error("{subject} is not a certification authority, yet it issued another certificate")]
    NotACa { subject: String },
    #[error("{subject} may not issue certificates that deep in the hierarchy (path length)")]
    PathTooLong { subject: String },
    #[error("the certificate of {subject} has a critical extension {oid} that kyso cannot check")]
    UnknownCriticalExtension {
        subject: String,
        oid: ObjectIdentifier,
    },
    #[error(
        "the certificate of {subject} is signed with an algorithm kyso does not accept ({oid})"
    )]
    UnsupportedAlgorithm {
        subject: String,
        oid: ObjectIdentifier,
    },
    #[error("the chain of {subject} is longer than {MAX_CHAIN_LEN} certificates")]
    TooLong { subject: String },
}

/// How many verified (certificate, issuer) signatures the process remembers; beyond this,
/// signatures are simply checked again.
const MAX_REMEMBERED_LINKS: usize = 4096;

/// SHA-256 over the two certificates' SHA-256 digests, for each link whose signature verified.
fn verified_links() -> &'static std::sync::Mutex<std::collections::HashSet<[u8; 32]>> {
    static LINKS: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<[u8; 32]>>> =
        std::sync::OnceLock::new();
    LINKS.get_or_init(Default::default)
}

/// A decoded certificate together with its DER. The decoded form is shared: the same
/// certificates (CAs, TSAs, OCSP responders) come back in every document a service checks.
#[derive(Debug, Clone)]
pub(crate) struct ParsedCertificate {
    pub der: Vec<u8>,
    pub cert: std::sync::Arc<Certificate>,
}

impl ParsedCertificate {
    /// Decodes `der`, reusing the decoding of the last few hundred certificates seen.
    pub fn from_der(der: &[u8]) -> Result<ParsedCertificate, der::Error> {
        static DECODED: super::remembered::ByDer<std::sync::Arc<Certificate>> =
            super::remembered::ByDer::new(512);
        let cert = DECODED.get_or_decode(der, |der| {
            Certificate::from_der(der).map(std::sync::Arc::new)
        })?;
        Ok(ParsedCertificate {
            der: der.to_vec(),
            cert,
        })
    }

    pub fn subject(&self) -> &Name {
        &self.cert.tbs_certificate.subject
    }

    pub fn issuer(&self) -> &Name {
        &self.cert.tbs_certificate.issuer
    }

    /// The subject's common name, for messages.
    pub fn subject_cn(&self) -> String {
        display_name(self.subject())
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Vec<u8> {
        self.cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .expect("a decoded SubjectPublicKeyInfo encodes again")
    }

    /// The subjectPublicKey BIT STRING content, the input of key hashes (RFC 6960 §4.1.1).
    pub fn public_key_bits(&self) -> &[u8] {
        self.cert
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes()
    }

    pub fn not_before(&self) -> OffsetDateTime {
        from_x509_time(self.cert.tbs_certificate.validity.not_before)
    }

    pub fn not_after(&self) -> OffsetDateTime {
        from_x509_time(self.cert.tbs_certificate.validity.not_after)
    }

    /// An extension decoded as `T`, with its criticality; `None` if absent or unreadable.
    pub fn extension<'a, T>(&'a self) -> Option<(bool, T)>
    where
        T: Decode<'a> + const_oid::AssociatedOid,
    {
        self.cert.tbs_certificate.get::<T>().ok().flatten()
    }

    pub fn has_extension(&self, oid: ObjectIdentifier) -> bool {
        self.cert
            .tbs_certificate
            .extensions
            .iter()
            .flatten()
            .any(|e| e.extn_id == oid)
    }

    fn subject_key_id(&self) -> Option<Vec<u8>> {
        self.extension::<SubjectKeyIdentifier>()
            .map(|(_, ski)| ski.0.as_bytes().to_vec())
    }

    fn authority_key_id(&self) -> Option<Vec<u8>> {
        self.extension::<AuthorityKeyIdentifier>()
            .and_then(|(_, aki)| aki.key_identifier)
            .map(|id| id.as_bytes().to_vec())
    }

    /// Whether `issuer` could have issued this certificate by name and key identifier
    /// (RFC 5280 §4.2.1.1: the AKI of a certificate is the SKI of its issuer).
    pub fn names_issuer(&self, issuer: &ParsedCertificate) -> bool {
        if self.issuer() != issuer.subject() {
            return false;
        }
        match (self.authority_key_id(), issuer.subject_key_id()) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        }
    }

    /// Verifies this certificate's signature with `issuer`'s key. A signature that verified
    /// once verifies forever (the bytes of both certificates fix the answer), so successes are
    /// remembered for the process: a service signing many documents with one key checks its
    /// chain's signatures once, while validity, usage and revocation are checked every time.
    pub fn verify_issued_by(&self, issuer: &ParsedCertificate) -> Result<(), SignatureError> {
        let key = {
            let mut hasher = openssl::sha::Sha256::new();
            hasher.update(&openssl::sha::sha256(&self.der));
            hasher.update(&openssl::sha::sha256(&issuer.der));
            hasher.finish()
        };
        if verified_links().lock().is_ok_and(|set| set.contains(&key)) {
            return Ok(());
        }
        let parts = signed_parts(&self.der).map_err(|_| SignatureError::Invalid)?;
        verify_signature(
            &issuer.spki_der(),
            &parts.algorithm,
            parts.tbs,
            &parts.signature,
        )?;
        if let Ok(mut set) = verified_links().lock()
            && set.len() < MAX_REMEMBERED_LINKS
        {
            set.insert(key);
        }
        Ok(())
    }

    /// Self-signed: names itself as issuer and its own key verifies its signature.
    pub fn is_self_signed(&self) -> bool {
        self.names_issuer(self) && self.verify_issued_by(self).is_ok()
    }

    fn is_ca(&self) -> Option<BasicConstraints> {
        self.extension::<BasicConstraints>()
            .map(|(_, bc)| bc)
            .filter(|bc| bc.ca)
    }

    fn extended_key_usage(&self) -> Option<(bool, Vec<ObjectIdentifier>)> {
        self.extension::<ExtendedKeyUsage>()
            .map(|(critical, eku)| (critical, eku.0))
    }

    /// Whether the EKU extension lists `purpose` (RFC 5280 §4.2.1.12).
    pub fn has_extended_key_usage(&self, purpose: ObjectIdentifier) -> bool {
        self.extended_key_usage()
            .is_some_and(|(_, usages)| usages.contains(&purpose))
    }
}

/// Whether a root certificate stands for Vietnam's government special-use hierarchy (chữ ký
/// số chuyên dùng Chính phủ, run by the Government Cipher Committee), judged by the words of
/// its common name and organization.
pub(crate) fn is_government_root(root: &ParsedCertificate) -> bool {
    const WORDS: [&str; 4] = ["chuyên dùng", "chính phủ", "ban cơ yếu", "government"];
    let organization = openssl::x509::X509::from_der(&root.der)
        .ok()
        .and_then(|c| {
            let entry = c
                .subject_name()
                .entries_by_nid(openssl::nid::Nid::ORGANIZATIONNAME)
                .next()?;
            entry.data().to_string().ok()
        })
        .unwrap_or_default()
        .to_lowercase();
    let name = display_name(root.subject()).to_lowercase();
    WORDS
        .iter()
        .any(|w| name.contains(w) || organization.contains(w))
}

/// A name for messages: the common name (RFC 4519 §2.3) if there is one, else the whole
/// distinguished name (RFC 4514).
pub fn display_name(name: &Name) -> String {
    let cn = name
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == rfc4519::COMMON_NAME);
    match cn {
        // DirectoryString (RFC 5280 §4.1.2.4): UTF8String, PrintableString and the rest are
        // all read as UTF-8, which the ASCII-only ones are a subset of.
        Some(atv) => String::from_utf8_lossy(atv.value.value()).into_owned(),
        None => name.to_string(),
    }
}

/// An X.509 `Time` as an `OffsetDateTime` (both count seconds from the Unix epoch).
pub(crate) fn from_x509_time(time: Time) -> OffsetDateTime {
    let seconds = i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// An `OffsetDateTime` as an X.509 `Time`: UTCTime through 2049, GeneralizedTime from 2050
/// (RFC 5280 §4.1.2.5, §5.1.2.4). `None` before 1970 or past 9999.
pub(crate) fn to_x509_time(time: OffsetDateTime) -> Option<Time> {
    let date_time = to_der_date_time(time)?;
    if date_time.year() < 2050 {
        UtcTime::from_date_time(date_time).ok().map(Time::UtcTime)
    } else {
        Some(Time::GeneralTime(GeneralizedTime::from_date_time(
            date_time,
        )))
    }
}

/// An `OffsetDateTime` truncated to whole seconds, as DER wants it (X.690 §11.7).
pub(crate) fn to_der_date_time(time: OffsetDateTime) -> Option<DateTime> {
    let seconds = u64::try_from(time.unix_timestamp()).ok()?;
    DateTime::from_unix_duration(std::time::Duration::from_secs(seconds)).ok()
}

/// `2026-11-22 14:23:23 UTC`, the form used in messages.
pub(crate) fn display_time(time: OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| time.unix_timestamp().to_string())
}

/// Orders a certificate chain from `leaf` up to a self-signed root, picking issuers from
/// `pool` by name and key identifier and keeping only those whose signature verifies
/// (RFC 5280 §6.1, path construction). Unreadable certificates in `pool` are skipped.
/// The result starts with `leaf` and ends with the root, all as DER.
pub fn build_chain(leaf: &[u8], pool: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, CertificateProblem> {
    let leaf =
        ParsedCertificate::from_der(leaf).map_err(|source| CertificateProblem::Malformed {
            position: 0,
            source,
        })?;
    let pool: Vec<ParsedCertificate> = pool
        .iter()
        .filter_map(|der| ParsedCertificate::from_der(der).ok())
        .collect();
    let mut chain = vec![leaf];
    loop {
        let current = chain.last().expect("the chain starts with the leaf");
        if current.is_self_signed() {
            return Ok(chain.into_iter().map(|c| c.der).collect());
        }
        if chain.len() >= MAX_CHAIN_LEN {
            return Err(CertificateProblem::TooLong {
                subject: chain[0].subject_cn(),
            });
        }
        let candidates: Vec<&ParsedCertificate> = pool
            .iter()
            .filter(|c| current.names_issuer(c))
            .filter(|c| chain.iter().all(|link| link.der != c.der))
            .collect();
        let next = candidates
            .iter()
            .find(|c| current.verify_issued_by(c).is_ok());
        match next {
            Some(issuer) => {
                let issuer = (*issuer).clone();
                chain.push(issuer);
            }
            None if candidates.is_empty() => {
                return Err(CertificateProblem::ChainIncomplete {
                    subject: current.subject_cn(),
                    missing_issuer: display_name(current.issuer()),
                });
            }
            None => {
                return Err(CertificateProblem::BadSignature {
                    subject: current.subject_cn(),
                    issuer: display_name(current.issuer()),
                });
            }
        }
    }
}

/// Checks a chain ordered leaf → root (as [`build_chain`] returns it) at `now` for `purpose`:
/// every certificate within its validity, every link signed by the next certificate, every
/// issuer a CA allowed to sign certificates (RFC 5280 §4.2.1.9, §6.1.4), the last one
/// self-signed, and the leaf's key usages fit for `purpose`. It does not check revocation
/// (see `pki::revocation`) nor whether the root is a trust anchor.
pub fn check_signer(
    chain: &[Vec<u8>],
    now: OffsetDateTime,
    purpose: Purpose,
) -> Result<(), CertificateProblem> {
    if chain.is_empty() {
        return Err(CertificateProblem::Empty);
    }
    let certs = chain
        .iter()
        .enumerate()
        .map(|(position, der)| {
            ParsedCertificate::from_der(der)
                .map_err(|source| CertificateProblem::Malformed { position, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (index, cert) in certs.iter().enumerate() {
        check_validity(cert, now)?;
        check_critical_extensions(cert)?;
        match certs.get(index + 1) {
            Some(issuer) => check_link(cert, issuer, &certs[..index])?,
            None if cert.is_self_signed() => {}
            None => {
                return Err(CertificateProblem::ChainIncomplete {
                    subject: cert.subject_cn(),
                    missing_issuer: display_name(cert.issuer()),
                });
            }
        }
    }
    check_purpose(&certs[0], purpose)
}

fn check_validity(cert: &ParsedCertificate, now: OffsetDateTime) -> Result<(), CertificateProblem> {
    // RFC 5280 §4.1.2.5: both ends of the validity period are inclusive.
    if now < cert.not_before() {
        return Err(CertificateProblem::NotYetValid {
            subject: cert.subject_cn(),
            not_before: cert.not_before(),
        });
    }
    if now > cert.not_after() {
        return Err(CertificateProblem::Expired {
            subject: cert.subject_cn(),
            not_after: cert.not_after(),
        });
    }
    Ok(())
}

/// RFC 5280 §4.2: a certificate with a critical extension the verifier does not process must
/// be rejected.
fn check_critical_extensions(cert: &ParsedCertificate) -> Result<(), CertificateProblem> {
    const UNDERSTOOD: [ObjectIdentifier; 8] = [
        rfc5280::ID_CE_BASIC_CONSTRAINTS,
        rfc5280::ID_CE_KEY_USAGE,
        rfc5280::ID_CE_EXT_KEY_USAGE,
        rfc5280::ID_CE_SUBJECT_ALT_NAME,
        rfc5280::ID_CE_CERTIFICATE_POLICIES,
        rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER,
        rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
        rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS,
    ];
    let unknown = cert
        .cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.critical && !UNDERSTOOD.contains(&e.extn_id));
    match unknown {
        Some(extension) => Err(CertificateProblem::UnknownCriticalExtension {
            subject: cert.subject_cn(),
            oid: extension.extn_id,
        }),
        None => Ok(()),
    }
}

/// `cert` is issued by `issuer`; `below` are the certificates under `cert` in the chain.
fn check_link(
    cert: &ParsedCertificate,
    issuer: &ParsedCertificate,
    below: &[ParsedCertificate],
) -> Result<(), CertificateProblem> {
    if cert.issuer() != issuer.subject() {
        return Err(CertificateProblem::ChainIncomplete {
            subject: cert.subject_cn(),
            missing_issuer: display_name(cert.issuer()),
        });
    }
    match cert.verify_issued_by(issuer) {
        Ok(()) => {}
        Err(SignatureError::UnsupportedAlgorithm { oid }) => {
            return Err(CertificateProblem::UnsupportedAlgorithm {
                subject: cert.subject_cn(),
                oid,
            });
        }
        Err(_) => {
            return Err(CertificateProblem::BadSignature {
                subject: cert.subject_cn(),
                issuer: issuer.subject_cn(),
            });
        }
    }
    // RFC 5280 §4.2.1.9: only a CA with keyCertSign (§4.2.1.3) issues certificates.
    let Some(constraints) = issuer.is_ca() else {
        return Err(CertificateProblem::NotACa {
            subject: issuer.subject_cn(),
        });
    };
    if let Some((_, usage)) = issuer.extension::<KeyUsage>()
        && !usage.key_cert_sign()
    {
        return Err(CertificateProblem::NotACa {
            subject: issuer.subject_cn(),
        });
    }
    // pathLenConstraint bounds the non-self-issued intermediate CAs that follow the issuer
    // in the path (§4.2.1.9): `cert` and those below it, not counting the leaf.
    if let Some(limit) = constraints.path_len_constraint {
        let intermediates = match below {
            [] => 0,
            [_leaf, rest @ ..] => rest
                .iter()
                .chain(std::iter::once(cert))
                .filter(|c| c.issuer() != c.subject())
                .count(),
        };
        if intermediates > usize::from(limit) {
            return Err(CertificateProblem::PathTooLong {
                subject: issuer.subject_cn(),
            });
        }
    }
    Ok(())
}

fn check_purpose(leaf: &ParsedCertificate, purpose: Purpose) -> Result<(), CertificateProblem> {
    let subject = || leaf.subject_cn();
    // An extension that is present but unreadable restricts everything (fail closed).
    let usage = match leaf.extension::<KeyUsage>() {
        Some((_, usage)) => Some(Some(usage)),
        None if leaf.has_extension(rfc5280::ID_CE_KEY_USAGE) => Some(None),
        None => None,
    };
    if let Some(usage) = usage {
        // ETSI EN 319 412-2 §4.3.2: signatures use nonRepudiation (contentCommitment) or
        // digitalSignature; time-stamp tokens and OCSP responses use digitalSignature.
        let allowed = usage.is_some_and(|u| match purpose {
            Purpose::DocumentSigning => u.digital_signature() || u.non_repudiation(),
            Purpose::TimeStamping | Purpose::OcspSigning => u.digital_signature(),
        });
        if !allowed {
            return Err(CertificateProblem::KeyUsageForbidsSigning {
                subject: subject(),
                purpose,
            });
        }
    }
    if leaf.has_extension(rfc5280::ID_CE_EXT_KEY_USAGE) && leaf.extended_key_usage().is_none() {
        return Err(CertificateProblem::WrongExtendedKeyUsage {
            subject: subject(),
            purpose,
        });
    }
    let eku = leaf.extended_key_usage();
    let fits = match (purpose, &eku) {
        // RFC 5280 §4.2.1.12: if present, the certificate is only for the listed purposes.
        (Purpose::DocumentSigning, None) => true,
        (Purpose::DocumentSigning, Some((_, usages))) => usages.iter().any(|u| {
            [
                rfc5280::ANY_EXTENDED_KEY_USAGE,
                rfc5280::ID_KP_EMAIL_PROTECTION,
                rfc5280::ID_KP_CLIENT_AUTH,
                ID_KP_DOCUMENT_SIGNING,
                ADOBE_AUTHENTIC_DOCUMENTS,
                MS_DOCUMENT_SIGNING,
            ]
            .contains(u)
        }),
        // RFC 3161 §2.3: exactly one EKU, timeStamping, marked critical.
        (Purpose::TimeStamping, Some((critical, usages))) => {
            *critical && usages.as_slice() == [rfc5280::ID_KP_TIME_STAMPING]
        }
        (Purpose::OcspSigning, Some((_, usages))) => usages.contains(&rfc5280::ID_KP_OCSP_SIGNING),
        (Purpose::TimeStamping | Purpose::OcspSigning, None) => false,
    };
    if fits {
        Ok(())
    } else {
        Err(CertificateProblem::WrongExtendedKeyUsage {
            subject: subject(),
            purpose,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn pem(path: &str) -> Vec<u8> {
        let text = std::fs::read(format!("{}/certs/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        openssl::x509::X509::from_pem(&text)
            .unwrap()
            .to_der()
            .unwrap()
    }

    fn pool() -> Vec<Vec<u8>> {
        [
            "trust/government-root.pem",
            "ca/government-ca.pem",
            "trust/national-root.pem",
            "ca/public-ca.pem",
            "services/tsa.pem",
        ]
        .into_iter()
        .map(pem)
        .collect()
    }

    const NOW: OffsetDateTime = datetime!(2026-11-22 16:00:00 UTC);

    #[test]
    fn builds_rsa_and_p384_chains_to_their_roots() {
        let leaf = pem("signers/citizen-nguyen-van-an.pem");
        let chain = build_chain(&leaf, &pool()).unwrap();
        assert_eq!(chain.len(), 3);
        assert_eq!(chain[1], pem("ca/public-ca.pem"));
        assert_eq!(chain[2], pem("trust/national-root.pem"));
        check_signer(&chain, NOW, Purpose::DocumentSigning).unwrap();

        let officer = pem("signers/officer-do-thi-huong.pem");
        let chain = build_chain(&officer, &pool()).unwrap();
        assert_eq!(chain[1], pem("ca/government-ca.pem"));
        assert_eq!(chain[2], pem("trust/government-root.pem"));
        check_signer(&chain, NOW, Purpose::DocumentSigning).unwrap();
    }

    #[test]
    fn a_missing_issuer_is_named() {
        let leaf = pem("signers/officer-pham-minh-duc.pem");
        let pool = vec![pem("trust/government-root.pem")];
        let problem = build_chain(&leaf, &pool).unwrap_err();
        assert_eq!(
            problem,
            CertificateProblem::ChainIncomplete {
                subject: "Phạm Minh Đức".into(),
                missing_issuer: "Kyso Test Government CA".into()
            }
        );
        assert!(problem.to_string().contains("Kyso Test Government CA"));
        // The same chain handed to check_signer without its root.
        let chain = vec![leaf, pem("ca/government-ca.pem")];
        assert!(matches!(
            check_signer(&chain, NOW, Purpose::DocumentSigning),
            Err(CertificateProblem::ChainIncomplete { .. })
        ));
    }

    #[test]
    fn an_expired_signer_is_reported_with_its_end_date() {
        let leaf = pem("signers/officer-vu-quoc-khanh.pem");
        let chain = build_chain(&leaf, &pool()).unwrap();
        let problem = check_signer(&chain, NOW, Purpose::DocumentSigning).unwrap_err();
        match &problem {
            CertificateProblem::Expired { subject, not_after } => {
                assert_eq!(subject, "Vũ Quốc Khánh");
                assert_eq!(*not_after, datetime!(2025-11-22 14:23:23 UTC));
            }
            other => panic!("{other:?}"),
        }
        assert!(problem.to_string().contains("2025-11-22 14:23:23 UTC"));
        // Before it expired it was fine.
        check_signer(
            &chain,
            datetime!(2025-01-01 00:00:00 UTC),
            Purpose::DocumentSigning,
        )
        .unwrap();
        assert!(matches!(
            check_signer(
                &chain,
                datetime!(2000-01-01 00:00:00 UTC),
                Purpose::DocumentSigning
            ),
            Err(CertificateProblem::NotYetValid { .. })
        ));
    }

    #[test]
    fn a_wrong_issuer_signature_is_refused() {
        // One flipped bit in the last octet of the signature value.
        let mut leaf = pem("signers/citizen-nguyen-van-an.pem");
        let last = leaf.len() - 1;
        leaf[last] ^= 1;
        let chain = vec![
            leaf.clone(),
            pem("ca/public-ca.pem"),
            pem("trust/national-root.pem"),
        ];
        assert_eq!(
            check_signer(&chain, NOW, Purpose::DocumentSigning),
            Err(CertificateProblem::BadSignature {
                subject: "Nguyễn Văn An".into(),
                issuer: "Kyso Test Public CA".into()
            })
        );
        assert!(matches!(
            build_chain(&leaf, &pool()),
            Err(CertificateProblem::BadSignature { .. })
        ));
    }

    #[test]
    fn a_leaf_cannot_act_as_issuer() {
        // The TSA certificate is not a CA: a chain claiming it issued something fails on
        // the name link or on NotACa, never passes.
        let chain = vec![
            pem("signers/citizen-nguyen-van-an.pem"),
            pem("services/tsa.pem"),
        ];
        assert!(check_signer(&chain, NOW, Purpose::DocumentSigning).is_err());
    }

    #[test]
    fn purposes_follow_key_usage_and_eku() {
        let tsa = build_chain(&pem("services/tsa.pem"), &pool()).unwrap();
        check_signer(&tsa, NOW, Purpose::TimeStamping).unwrap();
        assert!(matches!(
            check_signer(&tsa, NOW, Purpose::DocumentSigning),
            Err(CertificateProblem::WrongExtendedKeyUsage { .. })
        ));
        let ocsp = build_chain(&pem("services/public-ca-ocsp.pem"), &pool()).unwrap();
        check_signer(&ocsp, NOW, Purpose::OcspSigning).unwrap();
        let citizen = build_chain(&pem("signers/citizen-nguyen-van-an.pem"), &pool()).unwrap();
        assert!(matches!(
            check_signer(&citizen, NOW, Purpose::TimeStamping),
            Err(CertificateProblem::WrongExtendedKeyUsage { .. })
        ));
        // A CA certificate has keyCertSign and cRLSign only.
        let ca = build_chain(&pem("ca/public-ca.pem"), &pool()).unwrap();
        assert!(matches!(
            check_signer(&ca, NOW, Purpose::DocumentSigning),
            Err(CertificateProblem::KeyUsageForbidsSigning { .. })
        ));
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        assert!(matches!(
            build_chain(b"\x30\x03\x02\x01", &[]),
            Err(CertificateProblem::Malformed { position: 0, .. })
        ));
        assert_eq!(
            check_signer(&[], NOW, Purpose::DocumentSigning),
            Err(CertificateProblem::Empty)
        );
        assert!(signed_parts(b"\x30\x00").is_err());
    }
}
