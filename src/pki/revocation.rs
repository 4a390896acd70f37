//! Revocation status and the evidence for it (OCSP responses, CRLs), fetched through a
//! [`Fetcher`] so the core does no I/O: `net::HttpFetcher` is the real one, tests use an
//! in-memory one. Embedding the evidence in a PDF (the DSS of PAdES B-LT) is left to `sign`.

use std::fmt;

use const_oid::db::rfc5280;
use time::OffsetDateTime;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, CrlDistributionPoints};

use super::chain::{ID_PKIX_OCSP_NOCHECK, ParsedCertificate};
use super::crl::{Crl, CrlError};
use super::ocsp::{self, CertIdHash, CertificateStatus, OcspError};

/// The media types of RFC 6960 Appendix C.
pub const OCSP_REQUEST_TYPE: &str = "application/ocsp-request";
pub const OCSP_RESPONSE_TYPE: &str = "application/ocsp-response";

/// Length of the OCSP nonce (RFC 8954 §2.1 asks for 1 to 32 octets; 16 is common practice).
const NONCE_LEN: usize = 16;

/// Fetches revocation data and certificates. Implementations decide about transport, limits
/// and timeouts; the core only hands over URLs taken from certificates.
pub trait Fetcher: Send + Sync {
    /// The body of a successful GET.
    fn get(&self, url: &str) -> Result<Vec<u8>, FetchError>;
    /// The body of a successful POST of `body` with `content_type`.
    fn post(&self, url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, FetchError>;
}

/// Why a URL gave nothing usable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    #[error("{url} is not an http:// or https:// address")]
    UnsupportedUrl { url: String },
    #[error("{url} answered with HTTP status {status}")]
    Status { url: String, status: u16 },
    #[error("{url} did not answer within {seconds} seconds")]
    Timeout { url: String, seconds: u64 },
    #[error("{url} sent more than {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error("cannot reach {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("nothing is known at {url}")]
    NotFound { url: String },
}

/// Where a revocation status came from, with the raw evidence for a DSS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// A DER OCSPResponse.
    Ocsp { url: String, response: Vec<u8> },
    /// A DER CertificateList.
    Crl { url: String, crl: Vec<u8> },
}

/// The revocation status of one certificate and the evidence it rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationStatus {
    pub status: CertificateStatus,
    pub evidence: Evidence,
    pub this_update: OffsetDateTime,
    pub next_update: Option<OffsetDateTime>,
    /// For OCSP, the certificate (DER) that signed the response.
    pub responder: Option<Vec<u8>>,
}

/// One URL that was tried and what went wrong there.
#[derive(Debug, thiserror::Error)]
#[error("{url}: {problem}")]
pub struct Attempt {
    pub url: String,
    #[source]
    pub problem: AttemptProblem,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttemptProblem {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Ocsp(#[from] OcspError),
    #[error(transparent)]
    Crl(#[from] CrlError),
    #[error("the responder answered with another request's nonce (a replayed response)")]
    NonceMismatch,
    #[error("the responder does not know the certificate")]
    UnknownToResponder,
}

/// The attempts, one per line, for messages.
#[derive(Debug)]
pub struct Attempts(pub Vec<Attempt>);

impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, attempt) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{attempt}")?;
        }
        Ok(())
    }
}

/// Why the revocation status of a certificate could not be established.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    #[error("the {which} certificate cannot be read ({source})")]
    MalformedCertificate {
        which: &'static str,
        #[source]
        source: der::Error,
    },
    #[error(
        "the certificate of {subject} names no OCSP responder and no CRL: its revocation \
         status cannot be checked"
    )]
    NoSource { subject: String },
    #[error(
        "cannot check whether the certificate of {subject} is revoked; tried {attempts} — \
         check the network connection and try again"
    )]
    Unavailable { subject: String, attempts: Attempts },
}

/// The OCSP responder URLs of a certificate (RFC 5280 §4.2.2.1, id-ad-ocsp).
pub fn ocsp_urls(cert_der: &[u8]) -> Result<Vec<String>, der::Error> {
    Ok(access_urls(
        &ParsedCertificate::from_der(cert_der)?,
        rfc5280::ID_AD_OCSP,
    ))
}

/// The CRL distribution point URLs of a certificate (RFC 5280 §4.2.1.13, fullName URIs).
pub fn crl_urls(cert_der: &[u8]) -> Result<Vec<String>, der::Error> {
    Ok(distribution_points(&ParsedCertificate::from_der(cert_der)?))
}

/// The caIssuers URLs of a certificate, where its issuer's certificate can be fetched
/// (RFC 5280 §4.2.2.1, id-ad-caIssuers).
pub fn ca_issuer_urls(cert_der: &[u8]) -> Result<Vec<String>, der::Error> {
    Ok(access_urls(
        &ParsedCertificate::from_der(cert_der)?,
        rfc5280::ID_AD_CA_ISSUERS,
    ))
}

fn uri(name: &GeneralName) -> Option<String> {
    match name {
        GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
        _ => None,
    }
}

fn access_urls(cert: &ParsedCertificate, method: const_oid::ObjectIdentifier) -> Vec<String> {
    cert.extension::<AuthorityInfoAccessSyntax>()
        .map(|(_, aia)| aia.0)
        .unwrap_or_default()
        .iter()
        .filter(|access| access.access_method == method)
        .filter_map(|access| uri(&access.access_location))
        .collect()
}

fn distribution_points(cert: &ParsedCertificate) -> Vec<String> {
    cert.extension::<CrlDistributionPoints>()
        .map(|(_, points)| points.0)
        .unwrap_or_default()
        .iter()
        .filter_map(|point| match &point.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        })
        .flatten()
        .filter_map(uri)
        .collect()
}

/// The revocation status of `cert_der`, issued by `issuer_der`, at `now`: first from the OCSP
/// responders its AIA names (RFC 6960), then from its CRL distribution points (RFC 5280 §6.3).
/// An "unknown" OCSP answer falls through to the CRL; it is returned only when nothing else
/// answers.
pub fn status(
    cert_der: &[u8],
    issuer_der: &[u8],
    fetcher: &dyn Fetcher,
    now: OffsetDateTime,
) -> Result<RevocationStatus, RevocationError> {
    let cert = ParsedCertificate::from_der(cert_der).map_err(|source| {
        RevocationError::MalformedCertificate {
            which: "checked",
            source,
        }
    })?;
    let ocsp = access_urls(&cert, rfc5280::ID_AD_OCSP);
    let crls = distribution_points(&cert);
    if ocsp.is_empty() && crls.is_empty() {
        return Err(RevocationError::NoSource {
            subject: cert.subject_cn(),
        });
    }
    let mut attempts = Vec::new();
    let mut unknown = None;
    for url in ocsp {
        match ocsp_status(&url, cert_der, issuer_der, fetcher, now) {
            Ok(found) if found.status == CertificateStatus::Unknown => {
                unknown = Some(found);
                attempts.push(Attempt {
                    url,
                    problem: AttemptProblem::UnknownToResponder,
                });
            }
            Ok(found) => return Ok(found),
            Err(problem) => attempts.push(Attempt { url, problem }),
        }
    }
    for url in crls {
        match crl_status(&url, &cert, issuer_der, fetcher, now) {
            Ok(found) => return Ok(found),
            Err(problem) => attempts.push(Attempt { url, problem }),
        }
    }
    unknown.ok_or(RevocationError::Unavailable {
        subject: cert.subject_cn(),
        attempts: Attempts(attempts),
    })
}

fn ocsp_status(
    url: &str,
    cert_der: &[u8],
    issuer_der: &[u8],
    fetcher: &dyn Fetcher,
    now: OffsetDateTime,
) -> Result<RevocationStatus, AttemptProblem> {
    // A nonce binds the answer to this request (RFC 8954); without a random source, go without.
    let mut nonce = [0u8; NONCE_LEN];
    let nonce = openssl::rand::rand_bytes(&mut nonce).ok().map(|()| nonce);
    let request = ocsp::request(
        cert_der,
        issuer_der,
        CertIdHash::Sha1,
        nonce.as_ref().map(|n| &n[..]),
    )?;
    let response = fetcher.post(url, OCSP_REQUEST_TYPE, &request)?;
    let answer = ocsp::parse_response(&response, cert_der, issuer_der, now)?;
    // Responders that pre-produce answers (RFC 5019 §2.2) send no nonce; a different one means
    // a replay.
    if let (Some(sent), Some(echoed)) = (&nonce, &answer.nonce)
        && sent.as_slice() != echoed.as_slice()
    {
        return Err(AttemptProblem::NonceMismatch);
    }
    Ok(RevocationStatus {
        status: answer.status,
        evidence: Evidence::Ocsp {
            url: url.to_owned(),
            response,
        },
        this_update: answer.this_update,
        next_update: answer.next_update,
        responder: Some(answer.responder),
    })
}

fn crl_status(
    url: &str,
    cert: &ParsedCertificate,
    issuer_der: &[u8],
    fetcher: &dyn Fetcher,
    now: OffsetDateTime,
) -> Result<RevocationStatus, AttemptProblem> {
    let der = fetcher.get(url)?;
    let crl = Crl::from_der(&der)?;
    crl.check(issuer_der, now)?;
    let status = match crl.lookup(cert.cert.tbs_certificate.serial_number.as_bytes()) {
        Some(revocation) => CertificateStatus::Revoked(revocation),
        None => CertificateStatus::Good,
    };
    Ok(RevocationStatus {
        status,
        this_update: crl.this_update(),
        next_update: crl.next_update(),
        evidence: Evidence::Crl {
            url: url.to_owned(),
            crl: der,
        },
        responder: None,
    })
}

/// The revocation status of one certificate of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRevocation {
    /// The certificate's subject common name.
    pub subject: String,
    pub certificate: Vec<u8>,
    pub status: CertificateStatus,
}

/// What a PAdES B-LT document security store needs to validate a chain later (ETSI EN 319
/// 142-1 §5.4.2): the certificates, and OCSP responses or CRLs for every certificate but the
/// root. All values are DER, without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationData {
    pub certificates: Vec<Vec<u8>>,
    pub ocsp_responses: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
    /// The status each piece of evidence gives, leaf first; a revoked signer is reported here,
    /// not as an error, so that the caller decides.
    pub statuses: Vec<CertificateRevocation>,
}

fn push_unique(list: &mut Vec<Vec<u8>>, item: Vec<u8>) {
    if !list.contains(&item) {
        list.push(item);
    }
}

impl ValidationData {
    fn add_evidence(&mut self, evidence: Evidence) {
        match evidence {
            Evidence::Ocsp { response, .. } => push_unique(&mut self.ocsp_responses, response),
            Evidence::Crl { crl, .. } => push_unique(&mut self.crls, crl),
        }
    }
}

/// Gathers the validation data for `chain` (DER, leaf → root, as `chain::build_chain` returns
/// it) at `now`: the revocation status of every certificate but the self-signed root, the
/// certificates of the OCSP responders that answered and, for responders without
/// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), their own CRL.
pub fn collect_validation_data(
    chain: &[Vec<u8>],
    fetcher: &dyn Fetcher,
    now: OffsetDateTime,
) -> Result<ValidationData, RevocationError> {
    let mut data = ValidationData::default();
    let parsed = chain
        .iter()
        .map(|der| {
            ParsedCertificate::from_der(der).map_err(|source| {
                RevocationError::MalformedCertificate {
                    which: "chain",
                    source,
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for der in chain {
        push_unique(&mut data.certificates, der.clone());
    }
    for (cert, issuer) in parsed.iter().zip(parsed.iter().skip(1)) {
        if cert.has_extension(ID_PKIX_OCSP_NOCHECK) {
            continue;
        }
        let found = status(&cert.der, &issuer.der, fetcher, now)?;
        if let Some(responder) = &found.responder {
            add_responder(&mut data, responder, issuer, fetcher, now)?;
        }
        data.statuses.push(CertificateRevocation {
            subject: cert.subject_cn(),
            certificate: cert.der.clone(),
            status: found.status,
        });
        data.add_evidence(found.evidence);
    }
    Ok(data)
}

/// Adds a delegated OCSP responder's certificate and, unless it is marked no-check, the CRL
/// that covers it. The issuer answering for itself needs nothing more.
fn add_responder(
    data: &mut ValidationData,
    responder_der: &[u8],
    issuer: &ParsedCertificate,
    fetcher: &dyn Fetcher,
    now: OffsetDateTime,
) -> Result<(), RevocationError> {
    if responder_der == issuer.der {
        return Ok(());
    }
    push_unique(&mut data.certificates, responder_der.to_vec());
    let responder = ParsedCertificate::from_der(responder_der).map_err(|source| {
        RevocationError::MalformedCertificate {
            which: "OCSP responder",
            source,
        }
    })?;
    if responder.has_extension(ID_PKIX_OCSP_NOCHECK) {
        return Ok(());
    }
    // Asking the responder about itself proves nothing (§4.2.2.2.1): use the CRL.
    let mut attempts = Vec::new();
    for url in distribution_points(&responder) {
        match crl_status(&url, &responder, &issuer.der, fetcher, now) {
            Ok(found) => {
                data.add_evidence(found.evidence);
                return Ok(());
            }
            Err(problem) => attempts.push(Attempt { url, problem }),
        }
    }
    Err(RevocationError::Unavailable {
        subject: responder.subject_cn(),
        attempts: Attempts(attempts),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use openssl::pkey::PKey;
    use openssl::x509::X509;
    use time::macros::datetime;
    use x509_cert::ext::pkix::CrlReason;

    use super::*;
    use crate::pki::crl::{Revocation, issue_crl, parse_database};
    use crate::pki::ocsp::OcspResponder;

    const NOW: OffsetDateTime = datetime!(2026-11-22 16:00:00 UTC);
    const BASE: &str = "http://127.0.0.1:8080";

    fn read(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/certs/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn cert(path: &str) -> Vec<u8> {
        X509::from_pem(&read(path)).unwrap().to_der().unwrap()
    }

    fn database(ca: &str) -> Vec<crate::pki::crl::DatabaseEntry> {
        parse_database(std::str::from_utf8(&read(&format!("ca/{ca}.index.txt"))).unwrap()).unwrap()
    }

    /// The test PKI's services in memory: CRLs for every CA, OCSP for the two issuing CAs
    /// (unless switched off), and a log of the URLs asked.
    struct MemoryFetcher {
        crls: HashMap<String, Vec<u8>>,
        responders: Vec<OcspResponder>,
        log: Mutex<Vec<String>>,
    }

    impl MemoryFetcher {
        fn new(with_ocsp: bool) -> MemoryFetcher {
            let mut crls = HashMap::new();
            for (ca, path) in [
                ("national-root", "trust/national-root.pem"),
                ("government-root", "trust/government-root.pem"),
                ("public-ca", "ca/public-ca.pem"),
                ("government-ca", "ca/government-ca.pem"),
            ] {
                let key = PKey::private_key_from_pem(&read(&format!("ca/{ca}.key.pem"))).unwrap();
                let crl = issue_crl(
                    &cert(path),
                    &key,
                    &database(ca),
                    NOW - time::Duration::hours(1),
                    NOW + time::Duration::days(7),
                )
                .unwrap();
                crls.insert(format!("{BASE}/crl/{ca}.crl"), crl);
            }
            let responders = if with_ocsp {
                ["public-ca", "government-ca"]
                    .into_iter()
                    .map(|ca| {
                        OcspResponder::new(
                            &cert(&format!("ca/{ca}.pem")),
                            PKey::private_key_from_pem(&read(&format!(
                                "services/{ca}-ocsp.key.pem"
                            )))
                            .unwrap(),
                            &cert(&format!("services/{ca}-ocsp.pem")),
                            database(ca),
                        )
                        .unwrap()
                    })
                    .collect()
            } else {
                Vec::new()
            };
            MemoryFetcher {
                crls,
                responders,
                log: Mutex::new(Vec::new()),
            }
        }

        fn asked(&self) -> Vec<String> {
            self.log.lock().unwrap().clone()
        }
    }

    impl Fetcher for MemoryFetcher {
        fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
            self.log.lock().unwrap().push(format!("GET {url}"));
            self.crls.get(url).cloned().ok_or(FetchError::NotFound {
                url: url.to_owned(),
            })
        }

        fn post(&self, url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, FetchError> {
            self.log.lock().unwrap().push(format!("POST {url}"));
            assert_eq!(content_type, OCSP_REQUEST_TYPE);
            if url != format!("{BASE}/ocsp") || self.responders.is_empty() {
                return Err(FetchError::Status {
                    url: url.to_owned(),
                    status: 404,
                });
            }
            Ok(ocsp::respond(&self.responders, body, NOW))
        }
    }

    #[test]
    fn ocsp_comes_first_and_the_crl_covers_the_rest() {
        let fetcher = MemoryFetcher::new(true);
        let leaf = cert("signers/citizen-le-hoang-phuc.pem");
        let found = status(&leaf, &cert("ca/public-ca.pem"), &fetcher, NOW).unwrap();
        assert!(matches!(found.evidence, Evidence::Ocsp { .. }));
        assert_eq!(
            found.status,
            CertificateStatus::Revoked(Revocation {
                time: datetime!(2026-11-21 15:23:23 UTC),
                reason: Some(CrlReason::KeyCompromise)
            })
        );
        assert_eq!(fetcher.asked(), vec![format!("POST {BASE}/ocsp")]);

        let offline = MemoryFetcher::new(false);
        let found = status(&leaf, &cert("ca/public-ca.pem"), &offline, NOW).unwrap();
        assert!(matches!(found.evidence, Evidence::Crl { .. }));
        assert!(matches!(found.status, CertificateStatus::Revoked(_)));
        assert_eq!(
            offline.asked(),
            vec![
                format!("POST {BASE}/ocsp"),
                format!("GET {BASE}/crl/public-ca.crl")
            ]
        );
    }

    #[test]
    fn nothing_reachable_is_an_error_naming_every_url() {
        struct Offline;
        impl Fetcher for Offline {
            fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
                Err(FetchError::Timeout {
                    url: url.to_owned(),
                    seconds: 10,
                })
            }
            fn post(&self, url: &str, _: &str, _: &[u8]) -> Result<Vec<u8>, FetchError> {
                self.get(url)
            }
        }
        let error = status(
            &cert("signers/citizen-nguyen-van-an.pem"),
            &cert("ca/public-ca.pem"),
            &Offline,
            NOW,
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("Nguyễn Văn An"), "{message}");
        assert!(message.contains(&format!("{BASE}/ocsp")), "{message}");
        assert!(
            message.contains(&format!("{BASE}/crl/public-ca.crl")),
            "{message}"
        );
        // A root names neither.
        assert!(matches!(
            status(
                &cert("trust/national-root.pem"),
                &cert("trust/national-root.pem"),
                &Offline,
                NOW
            ),
            Err(RevocationError::NoSource { .. })
        ));
    }

    #[test]
    fn a_stale_crl_is_not_evidence() {
        let fetcher = MemoryFetcher::new(false);
        let later = NOW + time::Duration::days(8);
        let error = status(
            &cert("signers/officer-pham-minh-duc.pem"),
            &cert("ca/government-ca.pem"),
            &fetcher,
            later,
        )
        .unwrap_err();
        assert!(error.to_string().contains("out of date"), "{error}");
    }

    #[test]
    fn validation_data_for_a_citizen_chain() {
        let fetcher = MemoryFetcher::new(true);
        let chain = vec![
            cert("signers/citizen-nguyen-van-an.pem"),
            cert("ca/public-ca.pem"),
            cert("trust/national-root.pem"),
        ];
        let data = collect_validation_data(&chain, &fetcher, NOW).unwrap();
        // The leaf by OCSP; the public CA has no OCSP URL, so by the root's CRL.
        assert_eq!(data.ocsp_responses.len(), 1);
        assert_eq!(
            data.crls,
            vec![fetcher.crls[&format!("{BASE}/crl/national-root.crl")].clone()]
        );
        assert_eq!(data.certificates.len(), 4);
        assert!(
            data.certificates
                .contains(&cert("services/public-ca-ocsp.pem"))
        );
        assert_eq!(data.statuses.len(), 2);
        assert!(
            data.statuses
                .iter()
                .all(|s| s.status == CertificateStatus::Good)
        );
        assert_eq!(data.statuses[0].subject, "Nguyễn Văn An");

        // The same chain without OCSP: two CRLs, no responder.
        let offline = MemoryFetcher::new(false);
        let data = collect_validation_data(&chain, &offline, NOW).unwrap();
        assert!(data.ocsp_responses.is_empty());
        assert_eq!(data.crls.len(), 2);
        assert_eq!(data.certificates, chain);
    }

    #[test]
    fn a_revoked_signer_is_reported_not_hidden() {
        let fetcher = MemoryFetcher::new(true);
        let chain = vec![
            cert("signers/citizen-le-hoang-phuc.pem"),
            cert("ca/public-ca.pem"),
            cert("trust/national-root.pem"),
        ];
        let data = collect_validation_data(&chain, &fetcher, NOW).unwrap();
        assert!(matches!(
            data.statuses[0].status,
            CertificateStatus::Revoked(_)
        ));
    }

    #[test]
    fn urls_come_from_the_certificate() {
        let leaf = cert("signers/officer-do-thi-huong.pem");
        assert_eq!(ocsp_urls(&leaf).unwrap(), vec![format!("{BASE}/ocsp")]);
        assert_eq!(
            crl_urls(&leaf).unwrap(),
            vec![format!("{BASE}/crl/government-ca.crl")]
        );
        assert_eq!(
            ca_issuer_urls(&leaf).unwrap(),
            vec![format!("{BASE}/ca/government-ca.cer")]
        );
        assert!(ocsp_urls(&cert("ca/government-ca.pem")).unwrap().is_empty());
    }
}
