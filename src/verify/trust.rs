//! Can the signer's (or the TSA's) certificate be relied on at the time that matters (ETSI EN
//! 319 102-1 §5.2.6, X.509 certificate validation)? A chain to one of the caller's trust
//! anchors, every certificate within validity and fit for its purpose, and the revocation
//! status of each from the file's validation data or, when allowed, fetched now. Which time
//! matters (a proven signing time or now) is decided by the caller.

use time::OffsetDateTime;

use crate::pki::chain::{self, CertificateProblem, ParsedCertificate, Purpose};
use crate::pki::crl::Crl;
use crate::pki::ocsp::{self, CertificateStatus};
use crate::pki::revocation::{self, Fetcher};

use super::report::{Finding, Indication, RevocationReport, RevocationSource, SubIndication};

/// Certificates and revocation values found in the file: the DSS (ETSI EN 319 142-1 §5.4.2)
/// and the CMS certificate sets.
#[derive(Debug, Clone, Default)]
pub(crate) struct Evidence {
    pub certificates: Vec<Vec<u8>>,
    pub ocsp_responses: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
    /// Revocation values the signature itself carries (adbe-revocationInfoArchival).
    pub cms_ocsp_responses: Vec<Vec<u8>>,
    pub cms_crls: Vec<Vec<u8>>,
}

/// What the checks rest on: the anchors, the clock, and the network when allowed.
pub(crate) struct TrustContext<'f> {
    pub anchors: &'f [Vec<u8>],
    pub now: OffsetDateTime,
    pub fetcher: Option<&'f dyn Fetcher>,
}

/// The time a chain is judged at, and whether something proves the signature existed then.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JudgedAt {
    pub time: OffsetDateTime,
    pub proven: bool,
}

/// The outcome of certificate validation.
#[derive(Debug, Clone)]
pub(crate) struct ChainOutcome {
    /// Leaf → anchor, when a chain to an anchor was built.
    pub chain: Vec<Vec<u8>>,
    pub trusted: bool,
    pub revocation: RevocationReport,
    /// Every non-root certificate's status came from the file's own data.
    pub revocation_from_file: bool,
    pub failure: Option<(Indication, SubIndication, Finding)>,
}

/// Validates `leaf` for `purpose`, with `extra` certificates (from the CMS) to build from.
pub(crate) fn validate(
    leaf: &[u8],
    extra: &[Vec<u8>],
    evidence: &Evidence,
    purpose: Purpose,
    at: JudgedAt,
    context: &TrustContext<'_>,
) -> ChainOutcome {
    let mut outcome = ChainOutcome {
        chain: Vec::new(),
        trusted: false,
        revocation: RevocationReport {
            status: "unchecked".into(),
            source: RevocationSource::None,
            revoked_at: None,
        },
        revocation_from_file: false,
        failure: None,
    };
    let pool: Vec<Vec<u8>> = extra
        .iter()
        .chain(&evidence.certificates)
        .chain(context.anchors)
        .cloned()
        .collect();
    let built = match chain::build_chain(leaf, &pool) {
        Ok(built) => built,
        Err(problem) => {
            let sub = match problem {
                CertificateProblem::BadSignature { .. } => {
                    SubIndication::CertificateChainGeneralFailure
                }
                _ => SubIndication::NoCertificateChainFound,
            };
            outcome.failure = Some((
                Indication::Indeterminate,
                sub,
                Finding::ChainNotFound {
                    detail: problem.to_string(),
                },
            ));
            return outcome;
        }
    };
    // The chain ends at the first certificate that is an anchor; an anchor may be an
    // intermediate CA.
    let Some(anchor_at) = built.iter().position(|c| is_anchor(c, context.anchors)) else {
        let root = built
            .last()
            .and_then(|r| ParsedCertificate::from_der(r).ok())
            .map(|r| r.subject_cn())
            .unwrap_or_default();
        outcome.failure = Some((
            Indication::Indeterminate,
            SubIndication::NoCertificateChainFound,
            Finding::Untrusted { root },
        ));
        return outcome;
    };
    // check_signer wants the chain up to its self-signed root; when the anchor is an
    // intermediate CA, the part above it is checked for structure too.
    if let Err(problem) = chain::check_signer(&built, at.time, purpose) {
        outcome.failure = Some(certificate_failure(problem, at));
        outcome.chain = built[..=anchor_at].to_vec();
        return outcome;
    }
    outcome.chain = built[..=anchor_at].to_vec();
    outcome.trusted = true;
    check_revocation(&mut outcome, evidence, at, context);
    outcome
}

fn is_anchor(cert: &[u8], anchors: &[Vec<u8>]) -> bool {
    if anchors.iter().any(|a| a == cert) {
        return true;
    }
    // The same key and name under a re-encoded certificate is the same anchor.
    let Ok(cert) = ParsedCertificate::from_der(cert) else {
        return false;
    };
    anchors.iter().any(|a| {
        ParsedCertificate::from_der(a)
            .is_ok_and(|a| a.subject() == cert.subject() && a.spki_der() == cert.spki_der())
    })
}

fn certificate_failure(
    problem: CertificateProblem,
    at: JudgedAt,
) -> (Indication, SubIndication, Finding) {
    match problem {
        CertificateProblem::Expired { subject, not_after } => {
            let finding = Finding::CertificateExpired { subject, not_after };
            if at.proven {
                (Indication::TotalFailed, SubIndication::Expired, finding)
            } else {
                (
                    Indication::Indeterminate,
                    SubIndication::OutOfBoundsNoPoe,
                    finding,
                )
            }
        }
        CertificateProblem::NotYetValid {
            subject,
            not_before,
        } => {
            let finding = Finding::CertificateNotYetValid {
                subject,
                not_before,
            };
            if at.proven {
                (Indication::TotalFailed, SubIndication::NotYetValid, finding)
            } else {
                (
                    Indication::Indeterminate,
                    SubIndication::OutOfBoundsNoPoe,
                    finding,
                )
            }
        }
        CertificateProblem::KeyUsageForbidsSigning { .. }
        | CertificateProblem::WrongExtendedKeyUsage { .. } => (
            Indication::Indeterminate,
            SubIndication::SigConstraintsFailure,
            Finding::ChainProblem {
                detail: problem.to_string(),
            },
        ),
        CertificateProblem::BadSignature { .. } => (
            Indication::Indeterminate,
            SubIndication::CertificateChainGeneralFailure,
            Finding::ChainProblem {
                detail: problem.to_string(),
            },
        ),
        other => (
            Indication::Indeterminate,
            SubIndication::ChainConstraintsFailure,
            Finding::ChainProblem {
                detail: other.to_string(),
            },
        ),
    }
}

/// The status of one certificate and where it came from.
struct Status {
    status: CertificateStatus,
    source: RevocationSource,
}

/// Every certificate but the anchor needs a status (RFC 5280 §6.3); responders marked
/// id-pkix-ocsp-nocheck are exempt (RFC 6960 §4.2.2.2.1).
fn check_revocation(
    outcome: &mut ChainOutcome,
    evidence: &Evidence,
    at: JudgedAt,
    context: &TrustContext<'_>,
) {
    let parsed: Vec<ParsedCertificate> = outcome
        .chain
        .iter()
        .filter_map(|c| ParsedCertificate::from_der(c).ok())
        .collect();
    let mut from_file = true;
    for (index, pair) in parsed.windows(2).enumerate() {
        let (cert, issuer) = (&pair[0], &pair[1]);
        if cert.has_extension(chain::ID_PKIX_OCSP_NOCHECK) {
            continue;
        }
        let found = status_of(cert, issuer, evidence, at, context);
        let leaf = index == 0;
        let Some(found) = found else {
            outcome.trusted = false;
            outcome.failure = Some((
                Indication::Indeterminate,
                SubIndication::TryLater,
                Finding::RevocationUnknown {
                    subject: cert.subject_cn(),
                    detail: if context.fetcher.is_some() {
                        "no usable OCSP response or CRL in the file or from the responder".into()
                    } else {
                        "no usable OCSP response or CRL in the file, and fetching is off".into()
                    },
                },
            ));
            return;
        };
        from_file &= found.source != RevocationSource::Online;
        if leaf {
            outcome.revocation = RevocationReport {
                status: match found.status {
                    CertificateStatus::Good => "good",
                    CertificateStatus::Revoked(_) => "revoked",
                    CertificateStatus::Unknown => "unknown",
                }
                .into(),
                source: found.source,
                revoked_at: match found.status {
                    CertificateStatus::Revoked(r) => Some(r.time),
                    _ => None,
                },
            };
        }
        match found.status {
            CertificateStatus::Good => {}
            CertificateStatus::Unknown => {
                outcome.trusted = false;
                outcome.failure = Some((
                    Indication::Indeterminate,
                    SubIndication::TryLater,
                    Finding::RevocationUnknown {
                        subject: cert.subject_cn(),
                        detail: "the responder does not know the certificate".into(),
                    },
                ));
                return;
            }
            CertificateStatus::Revoked(revocation) => {
                // Revoked after a proven signing time: the signature was made while the
                // certificate was good (ETSI EN 319 102-1 §5.5.4).
                if at.proven && revocation.time > at.time {
                    continue;
                }
                outcome.trusted = false;
                let finding = Finding::Revoked {
                    subject: cert.subject_cn(),
                    at: revocation.time,
                };
                outcome.failure = Some(if at.proven {
                    (Indication::TotalFailed, SubIndication::Revoked, finding)
                } else {
                    (
                        Indication::Indeterminate,
                        SubIndication::RevokedNoPoe,
                        finding,
                    )
                });
                return;
            }
        }
    }
    outcome.revocation_from_file = from_file;
}

/// The status from the file's OCSP responses, then its CRLs, then (when allowed) online.
/// File data is judged at the signing time it has to speak for; online data now.
fn status_of(
    cert: &ParsedCertificate,
    issuer: &ParsedCertificate,
    evidence: &Evidence,
    at: JudgedAt,
    context: &TrustContext<'_>,
) -> Option<Status> {
    let sources = [
        (
            &evidence.ocsp_responses,
            &evidence.crls,
            RevocationSource::Dss,
        ),
        (
            &evidence.cms_ocsp_responses,
            &evidence.cms_crls,
            RevocationSource::Cms,
        ),
    ];
    for (responses, crls, source) in sources {
        for response in responses {
            if let Ok(answer) = ocsp::parse_response(response, &cert.der, &issuer.der, at.time)
                && answer.status != CertificateStatus::Unknown
            {
                return Some(Status {
                    status: answer.status,
                    source,
                });
            }
        }
        for der in crls {
            let Ok(crl) = Crl::from_der(der) else {
                continue;
            };
            if crl.check(&issuer.der, at.time).is_ok() {
                let serial = cert.cert.tbs_certificate.serial_number.as_bytes();
                let status = match crl.lookup(serial) {
                    Some(revocation) => CertificateStatus::Revoked(revocation),
                    None => CertificateStatus::Good,
                };
                return Some(Status { status, source });
            }
        }
    }
    let fetcher = context.fetcher?;
    let found = revocation::status(&cert.der, &issuer.der, fetcher, context.now).ok()?;
    Some(Status {
        status: found.status,
        source: RevocationSource::Online,
    })
}
