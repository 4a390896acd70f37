//! The outside services a signature level needs, reached through a
//! [`Fetcher`](crate::pki::revocation::Fetcher): an RFC 3161 time-stamping authority
//! ([`HttpTimeStamper`]) and revocation status and validation data from the OCSP and CRL
//! addresses certificates carry ([`OnlineRevocation`]). Which fetcher — HTTP, or the server's
//! own trust services in process — and the clock are the caller's.

use time::OffsetDateTime;

use crate::pki::ocsp::CertificateStatus;
use crate::pki::revocation::{self, Fetcher};
use crate::pki::tsa;

use super::dss::ValidationMaterial;
use super::{DigestAlgorithm, RevocationSource, ServiceError, TimeStamper};

/// The media type of an RFC 3161 request (RFC 3161 §3.4).
const TIMESTAMP_QUERY_TYPE: &str = "application/timestamp-query";

/// A time-stamping authority at `url`, asked over a fetcher (RFC 3161 §3.4: POST the
/// TimeStampReq, read the TimeStampResp).
pub struct HttpTimeStamper<'f> {
    url: String,
    fetcher: &'f dyn Fetcher,
}

impl<'f> HttpTimeStamper<'f> {
    pub fn new(url: impl Into<String>, fetcher: &'f dyn Fetcher) -> HttpTimeStamper<'f> {
        HttpTimeStamper {
            url: url.into(),
            fetcher,
        }
    }
}

impl TimeStamper for HttpTimeStamper<'_> {
    fn timestamp(&self, digest: DigestAlgorithm, imprint: &[u8]) -> Result<Vec<u8>, ServiceError> {
        // The nonce ties the answer to this request (RFC 3161 §2.4.1); derived from the
        // imprint, so no random source is needed here.
        let nonce = u64::from_be_bytes(
            openssl::sha::sha256(imprint)[..8]
                .try_into()
                .unwrap_or_default(),
        );
        let request = tsa::request(digest, imprint, Some(nonce), true);
        let response = self
            .fetcher
            .post(&self.url, TIMESTAMP_QUERY_TYPE, &request)?;
        Ok(tsa::token_from_response(&response, &request)?)
    }
}

/// Revocation through the OCSP and CRL addresses the certificates carry, at `now`.
pub struct OnlineRevocation<'f> {
    fetcher: &'f dyn Fetcher,
    now: OffsetDateTime,
    strict: bool,
}

impl<'f> OnlineRevocation<'f> {
    /// `strict`: an unreachable responder is an error. Below B-LT it can be a warning: the
    /// certificate was checked for validity and chain, and the signature does not depend on
    /// the answer.
    pub fn new(
        fetcher: &'f dyn Fetcher,
        now: OffsetDateTime,
        strict: bool,
    ) -> OnlineRevocation<'f> {
        OnlineRevocation {
            fetcher,
            now,
            strict,
        }
    }
}

impl RevocationSource for OnlineRevocation<'_> {
    fn revoked(&self, chain: &[Vec<u8>]) -> Result<Option<String>, ServiceError> {
        let (Some(leaf), Some(issuer)) = (chain.first(), chain.get(1)) else {
            return Ok(None);
        };
        match revocation::status(leaf, issuer, self.fetcher, self.now) {
            Ok(answer) => Ok(match answer.status {
                CertificateStatus::Revoked(revocation) => Some(match revocation.reason {
                    Some(reason) => format!("{reason:?} since {}", revocation.time),
                    None => format!("since {}", revocation.time),
                }),
                _ => None,
            }),
            Err(error) if !self.strict => {
                tracing::warn!("revocation not checked: {error}");
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
    }

    fn validation_data(&self, chain: &[Vec<u8>]) -> Result<ValidationMaterial, ServiceError> {
        let data = revocation::collect_validation_data(chain, self.fetcher, self.now)?;
        if let Some(revoked) = data
            .statuses
            .iter()
            .find(|s| matches!(s.status, CertificateStatus::Revoked(_)))
        {
            return Err(format!("the certificate of {} is revoked", revoked.subject).into());
        }
        Ok(ValidationMaterial {
            certificates: data.certificates,
            ocsp_responses: data.ocsp_responses,
            crls: data.crls,
        })
    }

    fn fetch_issuer(&self, certificate: &[u8]) -> Option<Vec<u8>> {
        let urls = revocation::ca_issuer_urls(certificate).ok()?;
        urls.iter().find_map(|url| {
            let body = self.fetcher.get(url).ok()?;
            // caIssuers answers are DER (RFC 5280 §4.2.2.1), some servers send PEM.
            match openssl::x509::X509::from_der(&body) {
                Ok(cert) => cert.to_der().ok(),
                Err(_) => openssl::x509::X509::from_pem(&body).ok()?.to_der().ok(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::revocation::FetchError;

    /// Answers every POST with a fixed body and remembers what it was sent.
    struct Canned {
        body: Vec<u8>,
        sent: std::sync::Mutex<Vec<(String, String)>>,
    }

    impl Fetcher for Canned {
        fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
            Err(FetchError::NotFound { url: url.into() })
        }
        fn post(&self, url: &str, content_type: &str, _: &[u8]) -> Result<Vec<u8>, FetchError> {
            self.sent
                .lock()
                .unwrap()
                .push((url.to_owned(), content_type.to_owned()));
            Ok(self.body.clone())
        }
    }

    #[test]
    fn a_timestamp_query_goes_to_the_url_and_a_bad_answer_is_an_error() {
        let fetcher = Canned {
            body: b"not DER".to_vec(),
            sent: Default::default(),
        };
        let stamper = HttpTimeStamper::new("http://tsa.example/tsa", &fetcher);
        assert!(
            stamper
                .timestamp(DigestAlgorithm::Sha256, &[7; 32])
                .is_err()
        );
        assert_eq!(
            fetcher.sent.lock().unwrap().as_slice(),
            [(
                "http://tsa.example/tsa".to_owned(),
                TIMESTAMP_QUERY_TYPE.to_owned()
            )]
        );
    }

    #[test]
    fn an_unreachable_responder_is_a_warning_below_b_lt_and_an_error_at_it() {
        let leaf = openssl::x509::X509::from_pem(include_bytes!(
            "../../certs/signers/officer-do-thi-huong.pem"
        ))
        .unwrap()
        .to_der()
        .unwrap();
        let issuer =
            openssl::x509::X509::from_pem(include_bytes!("../../certs/ca/government-ca.pem"))
                .unwrap()
                .to_der()
                .unwrap();
        let fetcher = Canned {
            body: Vec::new(),
            sent: Default::default(),
        };
        let now = OffsetDateTime::now_utc();
        let chain = [leaf, issuer];
        assert_eq!(
            OnlineRevocation::new(&fetcher, now, false)
                .revoked(&chain)
                .unwrap(),
            None
        );
        assert!(
            OnlineRevocation::new(&fetcher, now, true)
                .revoked(&chain)
                .is_err()
        );
    }
}
