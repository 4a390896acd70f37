//! Client of a Cloud Signature Consortium API service (CSC API v2.0.0.2; v1.0.4.0 field names
//! on request) for remote signing (ký số từ xa): login, credential discovery, SCAL2
//! authorization of exactly one hash with PIN + OTP, and `signatures/signHash`, behind the
//! [`Signer`](crate::sign::Signer) trait as [`CscSigner`]. This file holds the HTTP client,
//! [`CscClient`]; the JSON shapes and error mapping are in `wire`, the signature algorithm
//! identifiers in `algorithm`, [`CscSigner`] in `signer`. Reading the password, PIN and OTP
//! from the citizen is left to the caller ([`OtpSource`], [`Secret`]); building the PAdES
//! signature to `sign`.

mod algorithm;
mod error;
mod signer;
#[cfg(test)]
mod tests;
mod wire;

use std::io;
use std::time::Duration;

use base64ct::{Base64, Encoding};
use serde_json::{Value, json};
use ureq::Agent;

use super::Secret;
use crate::sign::{DigestAlgorithm, SignatureScheme};

pub use algorithm::{scheme_offered, sign_algorithm};
pub use error::CscClientError;
pub use signer::{CscSigner, GivenOtp, OtpSource};
pub use wire::{CredentialInfo, CscVersion, OtpKind, SadToken};
use wire::{
    authorize_body, error_from_response, parse_credential_info, parse_credential_list,
    parse_signatures, sign_hash_body, string_field,
};

/// How long one exchange with the service may take: signing in an HSM is quick, but the
/// service may sit behind slow networks.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The largest answer accepted: a credential's chain is a few kilobytes.
const MAX_BODY: u64 = 1024 * 1024;

/// A blocking CSC API client for one service and, after [`CscClient::login`], one user.
#[derive(Clone)]
pub struct CscClient {
    agent: Agent,
    base: String,
    version: CscVersion,
    timeout: Duration,
    token: Option<Secret>,
}

impl std::fmt::Debug for CscClient {
    /// Shows where it talks to, never the access token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CscClient")
            .field("base", &self.base)
            .field("version", &self.version)
            .field("logged_in", &self.token.is_some())
            .finish_non_exhaustive()
    }
}

impl CscClient {
    /// A client for the service at `base_url` (e.g. `https://ca.example.vn`; the API lives at
    /// `{base}/csc/v2/`). Plain `http://` is accepted for loopback addresses only, since the
    /// password, PIN and OTP travel in the requests.
    pub fn new(base_url: &str, version: CscVersion) -> Result<CscClient, CscClientError> {
        CscClient::with_timeout(base_url, version, TIMEOUT)
    }

    pub fn with_timeout(
        base_url: &str,
        version: CscVersion,
        timeout: Duration,
    ) -> Result<CscClient, CscClientError> {
        let base = check_base_url(base_url)?;
        Ok(CscClient {
            // No redirects: a redirected POST would carry the credentials somewhere else.
            agent: crate::net::agent(timeout, 0),
            base,
            version,
            timeout,
            token: None,
        })
    }

    pub fn version(&self) -> CscVersion {
        self.version
    }

    /// `auth/login` with HTTP Basic authentication (CSC API v2 §11.2, RFC 7617); keeps the
    /// bearer token and returns its lifetime in seconds when the service gives one.
    pub fn login(&mut self, user: &str, password: &Secret) -> Result<Option<u64>, CscClientError> {
        let basic = Base64::encode_string(format!("{user}:{}", password.expose()).as_bytes());
        let answer = self.post("auth/login", &json!({ "rememberMe": false }), Some(&basic));
        let body = match answer {
            Err(CscClientError::Unauthorized) => return Err(CscClientError::LoginFailed),
            Err(CscClientError::Http { status, .. }) if status == 400 || status == 403 => {
                return Err(CscClientError::LoginFailed);
            }
            other => other?,
        };
        let token = string_field(&body, "access_token")?;
        self.token = Some(Secret::new(token));
        Ok(body.get("expires_in").and_then(Value::as_u64))
    }

    /// `credentials/list` (CSC API v2 §11.4): the user's credential IDs.
    pub fn list_credentials(&self) -> Result<Vec<String>, CscClientError> {
        let body = self.post("credentials/list", &json!({}), None)?;
        parse_credential_list(&body)
    }

    /// `wanted` if given, else the user's only credential.
    pub fn choose_credential(&self, wanted: Option<&str>) -> Result<String, CscClientError> {
        if let Some(id) = wanted {
            return Ok(id.to_owned());
        }
        let mut ids = self.list_credentials()?;
        match ids.len() {
            0 => Err(CscClientError::NoCredential),
            1 => Ok(ids.remove(0)),
            _ => Err(CscClientError::AmbiguousCredential { ids }),
        }
    }

    /// `credentials/info` (CSC API v2 §11.5) with the whole chain and the authentication
    /// objects.
    pub fn credential_info(&self, credential_id: &str) -> Result<CredentialInfo, CscClientError> {
        let request = json!({
            "credentialID": credential_id,
            "certificates": "chain",
            "certInfo": false,
            "authInfo": true,
        });
        let body = self.post("credentials/info", &request, None)?;
        parse_credential_info(self.version, credential_id, &body)
    }

    /// Asks the service to send the citizen a one-time code: v2 `credentials/getChallenge`,
    /// v1 `credentials/sendOTP` (CSC API v1 §11.6).
    pub fn request_otp(&self, credential_id: &str) -> Result<(), CscClientError> {
        let endpoint = match self.version {
            CscVersion::V1 => "credentials/sendOTP",
            CscVersion::V2 => "credentials/getChallenge",
        };
        self.post(endpoint, &json!({ "credentialID": credential_id }), None)?;
        Ok(())
    }

    /// `credentials/authorize` (CSC API v2 §11.6): a SAD for exactly `hashes` (SCAL2).
    pub fn authorize(
        &self,
        credential_id: &str,
        hashes: &[Vec<u8>],
        digest: DigestAlgorithm,
        pin: &Secret,
        otp: Option<&Secret>,
    ) -> Result<SadToken, CscClientError> {
        let request = authorize_body(self.version, credential_id, hashes, digest, pin, otp);
        let body = self.post("credentials/authorize", &request, None)?;
        Ok(SadToken {
            sad: Secret::new(string_field(&body, "SAD")?),
            expires_in: body.get("expiresIn").and_then(Value::as_u64),
        })
    }

    /// `signatures/signHash` (CSC API v2 §11.9): one signature value per hash, in order.
    pub fn sign_hash(
        &self,
        credential_id: &str,
        sad: &Secret,
        hashes: &[Vec<u8>],
        digest: DigestAlgorithm,
        scheme: SignatureScheme,
    ) -> Result<Vec<Vec<u8>>, CscClientError> {
        let request = sign_hash_body(self.version, credential_id, sad, hashes, digest, scheme)?;
        let body = self.post("signatures/signHash", &request, None)?;
        let signatures = parse_signatures(&body)?;
        if signatures.len() != hashes.len() {
            return Err(CscClientError::BadResponse {
                what: format!(
                    "{} signatures for {} hashes",
                    signatures.len(),
                    hashes.len()
                ),
            });
        }
        Ok(signatures)
    }

    fn url(&self, endpoint: &str) -> String {
        format!("{}/{}/{endpoint}", self.base, self.version.path())
    }

    /// POSTs a JSON body and returns the JSON answer; 4xx/5xx answers become errors.
    fn post(
        &self,
        endpoint: &str,
        request: &Value,
        basic: Option<&str>,
    ) -> Result<Value, CscClientError> {
        let url = self.url(endpoint);
        let body = serde_json::to_vec(request).map_err(|_| CscClientError::Encode {
            what: "the request",
        })?;
        let mut builder = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json");
        match (basic, &self.token) {
            (Some(basic), _) => builder = builder.header("Authorization", format!("Basic {basic}")),
            (None, Some(token)) => {
                builder = builder.header("Authorization", format!("Bearer {}", token.expose()));
            }
            (None, None) => {}
        }
        let transport = |error| self.transport_error(&url, error);
        let mut response = builder.send(&body[..]).map_err(transport)?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(transport)?;
        if !(200..300).contains(&status) {
            return Err(error_from_response(status, &bytes));
        }
        tracing::debug!(endpoint, status, "CSC API call");
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&bytes).map_err(|_| CscClientError::BadResponse {
            what: format!("{endpoint} did not answer with JSON"),
        })
    }

    fn transport_error(&self, url: &str, error: ureq::Error) -> CscClientError {
        let url = url.to_owned();
        match error {
            ureq::Error::Timeout(_) => CscClientError::Timeout {
                url,
                seconds: self.timeout.as_secs(),
            },
            ureq::Error::Io(e) if e.kind() == io::ErrorKind::TimedOut => CscClientError::Timeout {
                url,
                seconds: self.timeout.as_secs(),
            },
            ureq::Error::BodyExceedsLimit(_) => CscClientError::BadResponse {
                what: format!("the answer is larger than {MAX_BODY} bytes"),
            },
            other => CscClientError::Transport {
                url,
                cause: Box::new(other),
            },
        }
    }
}

/// The base URL without a trailing slash; `http://` only for loopback hosts.
fn check_base_url(url: &str) -> Result<String, CscClientError> {
    let bad = |reason| CscClientError::BadUrl {
        url: url.to_owned(),
        reason,
    };
    let lower = url.to_ascii_lowercase();
    let rest = if let Some(rest) = lower.strip_prefix("https://") {
        rest
    } else if let Some(rest) = lower.strip_prefix("http://") {
        let authority = rest.split('/').next().unwrap_or_default();
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => authority.split(':').next().unwrap_or_default(),
        };
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(bad(
                "it must start with https:// (plain http:// only on this computer)",
            ));
        }
        rest
    } else {
        return Err(bad("it must start with https://"));
    };
    if rest.is_empty() || rest.contains(['?', '#']) {
        return Err(bad("it must name a host, without ? or #"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}
