//! A [`Fetcher`] that answers addresses of the server's own trust services (OCSP, CRLs, CA
//! certificates, the TSA) in process, and everything else over HTTP. Certificates of the test
//! PKI name one fixed address (`http://127.0.0.1:8080`) while the server may run on any port;
//! answering those addresses from its own [`TrustServices`] makes B-T, B-LT and B-LTA work
//! wherever it listens, without a request to itself.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::net::HttpFetcher;
use crate::pki::revocation::{FetchError, Fetcher};
use crate::server::TrustServices;

/// In-process answers for `origins`, HTTP for the rest.
pub struct TrustFetcher<'a> {
    trust: Option<&'a Arc<TrustServices>>,
    origins: &'a [String],
    http: HttpFetcher,
}

impl<'a> TrustFetcher<'a> {
    /// `origins` are `scheme://host:port` strings, lower case, without a trailing slash.
    pub fn new(trust: Option<&'a Arc<TrustServices>>, origins: &'a [String]) -> TrustFetcher<'a> {
        TrustFetcher {
            trust,
            origins,
            http: HttpFetcher::new(),
        }
    }

    /// The trust services and the path, when `url` is one of ours.
    fn local<'u>(&self, url: &'u str) -> Option<(&'a TrustServices, &'u str)> {
        let trust = self.trust?;
        let (origin, path) = split_origin(url)?;
        self.origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
            .then_some((trust.as_ref(), path))
    }
}

/// `http://host:port/path` → (`http://host:port`, `/path`).
pub fn split_origin(url: &str) -> Option<(&str, &str)> {
    let scheme_end = url.find("://")? + 3;
    let path_start = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |at| scheme_end + at);
    Some((&url[..path_start], &url[path_start..]))
}

/// The origin of a base URL as [`TrustFetcher::new`] wants it.
pub fn origin_of(base_url: &str) -> Option<String> {
    split_origin(base_url.trim_end_matches('/')).map(|(origin, _)| origin.to_ascii_lowercase())
}

impl Fetcher for TrustFetcher<'_> {
    fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let Some((trust, path)) = self.local(url) else {
            return self.http.get(url);
        };
        let not_found = || FetchError::NotFound {
            url: url.to_owned(),
        };
        let now = OffsetDateTime::now_utc();
        if let Some(slug) = path
            .strip_prefix("/crl/")
            .and_then(|f| f.strip_suffix(".crl"))
        {
            return trust
                .crl(slug, now)
                .ok_or_else(not_found)?
                .map_err(|error| FetchError::Unreachable {
                    url: url.to_owned(),
                    source: Box::new(error),
                });
        }
        if let Some(slug) = path
            .strip_prefix("/ca/")
            .and_then(|f| f.strip_suffix(".cer"))
        {
            return trust
                .ca_certificate(slug)
                .map(<[u8]>::to_vec)
                .ok_or_else(not_found);
        }
        if let Some(encoded) = path.strip_prefix("/ocsp/") {
            // RFC 6960 Appendix A.1: the URL-encoded base64 of the request.
            let decoded = encoded
                .replace("%2B", "+")
                .replace("%2F", "/")
                .replace("%3D", "=")
                .replace("%2b", "+")
                .replace("%2f", "/")
                .replace("%3d", "=");
            let request = openssl::base64::decode_block(&decoded).map_err(|_| not_found())?;
            return Ok(trust.ocsp(&request, now));
        }
        Err(not_found())
    }

    fn post(&self, url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, FetchError> {
        let Some((trust, path)) = self.local(url) else {
            return self.http.post(url, content_type, body);
        };
        let now = OffsetDateTime::now_utc();
        match path {
            "/ocsp" | "/ocsp/" => Ok(trust.ocsp(body, now)),
            "/tsa" => trust
                .timestamp(body, now)
                .ok_or_else(|| FetchError::NotFound {
                    url: url.to_owned(),
                }),
            _ => Err(FetchError::NotFound {
                url: url.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_split_from_paths() {
        assert_eq!(
            split_origin("http://127.0.0.1:8080/crl/public-ca.crl"),
            Some(("http://127.0.0.1:8080", "/crl/public-ca.crl"))
        );
        assert_eq!(
            split_origin("https://ca.example.vn"),
            Some(("https://ca.example.vn", ""))
        );
        assert_eq!(split_origin("no scheme"), None);
        assert_eq!(
            origin_of("HTTP://127.0.0.1:41234/").as_deref(),
            Some("http://127.0.0.1:41234")
        );
    }

    #[test]
    fn other_addresses_are_not_answered_in_process() {
        let trust = Arc::new(TrustServices::new());
        let origins = vec!["http://127.0.0.1:8080".to_owned()];
        let fetcher = TrustFetcher::new(Some(&trust), &origins);
        assert!(fetcher.local("http://127.0.0.1:8080/ocsp").is_some());
        assert!(fetcher.local("http://127.0.0.1:8081/ocsp").is_none());
        assert!(matches!(
            fetcher.get("http://127.0.0.1:8080/crl/nope.crl"),
            Err(FetchError::NotFound { .. })
        ));
        assert!(matches!(
            fetcher.post(
                "http://127.0.0.1:8080/tsa",
                "application/timestamp-query",
                b""
            ),
            Err(FetchError::NotFound { .. })
        ));
    }
}
