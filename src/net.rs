//! Outbound HTTP (TSA, OCSP, CRL, CA certificates): the only module that opens client
//! connections; it implements `pki::revocation::Fetcher`. What to ask and how to read the
//! answers is left to `pki`.

use std::io;
use std::time::Duration;

use ureq::Agent;
use ureq::tls::{RootCerts, TlsConfig, TlsProvider};

use crate::pki::revocation::{FetchError, Fetcher};

/// How long one exchange (connect, send, receive the whole body) may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The largest body accepted: CRLs of big CAs reach a few megabytes, nothing kyso fetches
/// should be larger.
pub const MAX_BODY: u64 = 10 * 1024 * 1024;

/// The media types of RFC 3161 §3.4 (HTTP transport of time-stamp queries).
pub const TIMESTAMP_QUERY_TYPE: &str = "application/timestamp-query";
pub const TIMESTAMP_REPLY_TYPE: &str = "application/timestamp-reply";

/// A [`Fetcher`] over HTTP and HTTPS (native TLS with the system's roots), with a timeout per
/// exchange and a cap on body size. Redirects are followed for GET only.
#[derive(Debug, Clone)]
pub struct HttpFetcher {
    agent: Agent,
    timeout: Duration,
    limit: u64,
}

impl Default for HttpFetcher {
    fn default() -> Self {
        HttpFetcher::new()
    }
}

/// kyso's HTTP agent: native TLS with the platform's roots, one `timeout` for the whole
/// exchange, status codes returned rather than raised (callers report them with the URL),
/// at most `max_redirects` redirects, and a `kyso/<version>` User-Agent.
pub fn agent(timeout: Duration, max_redirects: u32) -> Agent {
    let tls = TlsConfig::builder()
        .provider(TlsProvider::NativeTls)
        .root_certs(RootCerts::PlatformVerifier)
        .build();
    let config = Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(max_redirects)
        .user_agent(concat!("kyso/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build();
    Agent::new_with_config(config)
}

impl HttpFetcher {
    /// A fetcher with [`TIMEOUT`] and [`MAX_BODY`].
    pub fn new() -> HttpFetcher {
        HttpFetcher::with_limits(TIMEOUT, MAX_BODY)
    }

    pub fn with_limits(timeout: Duration, limit: u64) -> HttpFetcher {
        HttpFetcher {
            agent: agent(timeout, 5),
            timeout,
            limit,
        }
    }

    fn check_url(url: &str) -> Result<(), FetchError> {
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Ok(())
        } else {
            Err(FetchError::UnsupportedUrl {
                url: url.to_owned(),
            })
        }
    }

    fn read(
        &self,
        url: &str,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Vec<u8>, FetchError> {
        let mut response = result.map_err(|e| self.error(url, e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status,
            });
        }
        response
            .body_mut()
            .with_config()
            .limit(self.limit)
            .read_to_vec()
            .map_err(|e| self.error(url, e))
    }

    fn error(&self, url: &str, error: ureq::Error) -> FetchError {
        let url = url.to_owned();
        match error {
            ureq::Error::Timeout(_) => FetchError::Timeout {
                url,
                seconds: self.timeout.as_secs(),
            },
            ureq::Error::BodyExceedsLimit(limit) => FetchError::TooLarge { url, limit },
            ureq::Error::StatusCode(status) => FetchError::Status { url, status },
            ureq::Error::Io(e) if e.kind() == io::ErrorKind::TimedOut => FetchError::Timeout {
                url,
                seconds: self.timeout.as_secs(),
            },
            other => FetchError::Unreachable {
                url,
                source: Box::new(other),
            },
        }
    }

    /// Sends an RFC 3161 TimeStampReq (DER) to a TSA and returns its TimeStampResp (DER)
    /// (RFC 3161 §3.4).
    pub fn post_timestamp_query(&self, url: &str, query: &[u8]) -> Result<Vec<u8>, FetchError> {
        self.post(url, TIMESTAMP_QUERY_TYPE, query)
    }
}

impl Fetcher for HttpFetcher {
    fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        HttpFetcher::check_url(url)?;
        let result = self.agent.get(url).call();
        self.read(url, result)
    }

    fn post(&self, url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, FetchError> {
        HttpFetcher::check_url(url)?;
        let result = self
            .agent
            .post(url)
            .header("Content-Type", content_type)
            .send(body);
        self.read(url, result)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use super::*;

    /// A one-shot HTTP server on 127.0.0.1 that answers with `response` and returns what it
    /// received.
    fn serve_once(response: Vec<u8>) -> (String, std::thread::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            let mut received = Vec::new();
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stream.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                received.extend_from_slice(&buffer[..n]);
                if received.windows(4).any(|w| w == b"\r\n\r\n") && !received.starts_with(b"POST") {
                    break;
                }
            }
            let _ = stream.write_all(&response);
            received
        });
        (format!("http://{address}"), handle)
    }

    #[test]
    fn posts_with_the_content_type_and_reads_the_body() {
        let (base, server) =
            serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc".to_vec());
        let body = HttpFetcher::new()
            .post(
                &format!("{base}/ocsp"),
                "application/ocsp-request",
                b"\x30\x00",
            )
            .unwrap();
        assert_eq!(body, b"abc");
        let request = String::from_utf8_lossy(&server.join().unwrap()).to_lowercase();
        assert!(request.starts_with("post /ocsp http/1.1"), "{request}");
        assert!(
            request.contains("content-type: application/ocsp-request"),
            "{request}"
        );
    }

    #[test]
    fn an_error_status_names_the_url() {
        let (base, _server) =
            serve_once(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec());
        let url = format!("{base}/crl/nope.crl");
        let error = HttpFetcher::new().get(&url).unwrap_err();
        assert!(matches!(error, FetchError::Status { status: 404, .. }));
        assert!(error.to_string().contains(&url), "{error}");
    }

    #[test]
    fn a_body_over_the_cap_is_refused() {
        let mut response = b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n".to_vec();
        response.extend_from_slice(&[0u8; 2000]);
        let (base, _server) = serve_once(response);
        let error = HttpFetcher::with_limits(TIMEOUT, 1000)
            .get(&format!("{base}/big"))
            .unwrap_err();
        assert!(
            matches!(error, FetchError::TooLarge { limit: 1000, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_silent_server_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/slow", listener.local_addr().unwrap());
        let error = HttpFetcher::with_limits(Duration::from_millis(300), MAX_BODY)
            .get(&url)
            .unwrap_err();
        drop(listener);
        assert!(matches!(error, FetchError::Timeout { .. }), "{error:?}");
    }

    #[test]
    fn only_http_urls_are_fetched() {
        let error = HttpFetcher::new().get("file:///etc/passwd").unwrap_err();
        assert!(matches!(error, FetchError::UnsupportedUrl { .. }));
        let error = HttpFetcher::new().get("ldap://example/cn=x").unwrap_err();
        assert!(matches!(error, FetchError::UnsupportedUrl { .. }));
    }

    #[test]
    fn nothing_listening_is_unreachable() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let url = format!("http://127.0.0.1:{port}/ocsp");
        let error = HttpFetcher::new().get(&url).unwrap_err();
        assert!(matches!(error, FetchError::Unreachable { .. }), "{error:?}");
        assert!(error.to_string().contains(&url));
    }
}
