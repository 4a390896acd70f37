//! The JSON of the CSC API on the wire, in both editions (v2.0.0.2 and v1.0.4.0 field
//! names): request bodies for `credentials/authorize` and `signatures/signHash`, the answers of
//! `credentials/list`, `credentials/info` and `signHash`, and error answers as
//! [`CscClientError`]s. Sending them is [`CscClient`](super::CscClient)'s; the signature
//! algorithm identifiers are `algorithm`'s.

use base64ct::{Base64, Encoding};
use const_oid::ObjectIdentifier;
use serde_json::{Value, json};

use super::{CscClientError, sign_algorithm};
use crate::csc::Secret;
use crate::sign::{DigestAlgorithm, SignatureScheme};

/// Server-supplied text kept in an error is cut to this many characters.
const MAX_SERVER_TEXT: usize = 200;
/// Which edition of the CSC API the service speaks: the paths (`/csc/v2/…`) and the field
/// names (`hashes`/`hashAlgorithmOID`/`authData` in v2, `hash`/`hashAlgo`/`PIN`/`OTP` in v1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CscVersion {
    V1,
    #[default]
    V2,
}

impl CscVersion {
    pub(super) fn path(self) -> &'static str {
        match self {
            CscVersion::V1 => "csc/v1",
            CscVersion::V2 => "csc/v2",
        }
    }
}
/// How a credential's one-time password reaches the citizen (CSC API v2 §8.3 `generator`;
/// v1 `OTP/type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpKind {
    /// Made by the citizen's authenticator app (TOTP; v1 "offline").
    Generated,
    /// Sent by the service on request (`credentials/getChallenge`, v1 `credentials/sendOTP`;
    /// v1 "online").
    Delivered,
}

/// What `credentials/info` says about one credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialInfo {
    pub credential_id: String,
    /// DER certificates, the signer's first.
    pub certificates: Vec<Vec<u8>>,
    /// `key/algo`: OIDs of the signature algorithms the key may be used with.
    pub key_algorithms: Vec<ObjectIdentifier>,
    /// `key/len` in bits, when given.
    pub key_len: Option<u32>,
    /// Sole Control Assurance Level: 1 or 2 (CEN TS 119 241-1).
    pub scal: u8,
    /// How many hashes one authorization may cover.
    pub multisign: u32,
    /// `None` when the credential needs no one-time password.
    pub otp: Option<OtpKind>,
}

/// A Signature Activation Data token from `credentials/authorize`.
#[derive(Debug, Clone)]
pub struct SadToken {
    pub sad: Secret,
    /// Seconds the SAD stays valid, when the service says.
    pub expires_in: Option<u64>,
}
/// A CSC error answer (CSC API v2 §10.1: `{"error", "error_description"}`, after RFC 6749
/// §5.2) as something the citizen can act on.
pub(super) fn error_from_response(status: u16, body: &[u8]) -> CscClientError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let text = |key| {
        parsed
            .as_ref()
            .and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .map(server_text)
            .unwrap_or_default()
    };
    let error = text("error");
    let description = text("error_description");
    let code = error.to_ascii_lowercase();
    let words: Vec<String> = description
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let mentions = |w: &str| code.split('_').any(|c| c == w) || words.iter().any(|x| x == w);
    let pin_or_otp = mentions("pin") || mentions("otp");
    // Codes first; descriptions only when the code is the generic `invalid_request`. "N
    // attempts left before the credential is locked" is a wrong PIN, not a lock.
    let attempts_left = mentions("left") || mentions("remaining");
    if matches!(
        code.as_str(),
        "invalid_pin" | "invalid_otp" | "invalid_pin_or_otp" | "wrong_pin" | "wrong_otp"
    ) {
        CscClientError::WrongPinOrOtp { description }
    } else if status == 423 || code.contains("locked") || code.contains("blocked") {
        CscClientError::CredentialLocked { description }
    } else if code == "invalid_sad" || code == "expired_sad" {
        CscClientError::InvalidSad { description }
    } else if code == "invalid_token" {
        CscClientError::Unauthorized
    } else if pin_or_otp && attempts_left {
        CscClientError::WrongPinOrOtp { description }
    } else if mentions("locked") || mentions("blocked") {
        CscClientError::CredentialLocked { description }
    } else if status == 400 && pin_or_otp && !mentions("missing") {
        CscClientError::WrongPinOrOtp { description }
    } else if mentions("sad") {
        CscClientError::InvalidSad { description }
    } else if status == 401 {
        CscClientError::Unauthorized
    } else {
        CscClientError::Http {
            status,
            error,
            description,
        }
    }
}

/// Server text for an error message: printable characters only, at most
/// [`MAX_SERVER_TEXT`] of them, so a hostile answer cannot drive the terminal.
fn server_text(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_SERVER_TEXT)
        .collect()
}

pub(super) fn string_field(body: &Value, key: &str) -> Result<String, CscClientError> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| CscClientError::BadResponse {
            what: format!("no {key} in the answer"),
        })
}

fn decode_base64(text: &str, what: &str) -> Result<Vec<u8>, CscClientError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    Base64::decode_vec(&compact).map_err(|_| CscClientError::BadResponse {
        what: format!("{what} is not base64"),
    })
}

pub(super) fn parse_credential_list(body: &Value) -> Result<Vec<String>, CscClientError> {
    body.get("credentialIDs")
        .and_then(Value::as_array)
        .ok_or_else(|| CscClientError::BadResponse {
            what: "no credentialIDs in the answer".into(),
        })?
        .iter()
        .map(|id| {
            id.as_str()
                .map(str::to_owned)
                .ok_or_else(|| CscClientError::BadResponse {
                    what: "a credential ID is not a string".into(),
                })
        })
        .collect()
}

/// Reads a number that some services send as a JSON string ("SCAL": "2").
fn loose_u64(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(u64::from(*b)),
        _ => None,
    }
}

fn loose_bool(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(s.eq_ignore_ascii_case("true")),
        _ => None,
    }
}

/// The body of `credentials/info`: v2 `auth/objects[]` with the OTP object's `generator`,
/// v1 `OTP/presence` and `OTP/type` ("offline" codes come from an app, "online" ones are sent).
pub(super) fn parse_credential_info(
    version: CscVersion,
    credential_id: &str,
    body: &Value,
) -> Result<CredentialInfo, CscClientError> {
    let bad = |what: &str| CscClientError::BadResponse {
        what: format!("credentials/info: {what}"),
    };
    let certificates = body
        .pointer("/cert/certificates")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad("no certificates"))?
        .iter()
        .map(|c| {
            c.as_str()
                .ok_or_else(|| bad("a certificate is not a string"))
                .and_then(|c| decode_base64(c, "a certificate"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let key_algorithms = body
        .pointer("/key/algo")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no key/algo"))?
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|oid| ObjectIdentifier::new(oid.trim()).ok())
        .collect();
    let otp = match version {
        CscVersion::V2 => body
            .pointer("/auth/objects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|o| {
                o.get("id").and_then(Value::as_str) == Some("OTP") || o.get("generator").is_some()
            })
            .map(
                |o| match o.get("generator").and_then(Value::as_str).unwrap_or("totp") {
                    "totp" | "hotp" => OtpKind::Generated,
                    _ => OtpKind::Delivered,
                },
            ),
        CscVersion::V1 => body
            .get("OTP")
            .filter(|o| loose_bool(o.get("presence")).unwrap_or(true))
            .map(|o| match o.get("type").and_then(Value::as_str) {
                Some("online") => OtpKind::Delivered,
                _ => OtpKind::Generated,
            }),
    };
    Ok(CredentialInfo {
        credential_id: credential_id.to_owned(),
        certificates,
        key_algorithms,
        key_len: loose_u64(body.pointer("/key/len")).and_then(|n| u32::try_from(n).ok()),
        scal: loose_u64(body.get("SCAL"))
            .and_then(|n| u8::try_from(n).ok())
            .unwrap_or(1),
        multisign: loose_u64(body.get("multisign"))
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(1),
        otp,
    })
}

pub(super) fn parse_signatures(body: &Value) -> Result<Vec<Vec<u8>>, CscClientError> {
    body.get("signatures")
        .and_then(Value::as_array)
        .ok_or_else(|| CscClientError::BadResponse {
            what: "no signatures in the signHash answer".into(),
        })?
        .iter()
        .map(|s| match s.as_str() {
            Some(s) => decode_base64(s, "a signature"),
            None => Err(CscClientError::BadResponse {
                what: "a signature is not a string".into(),
            }),
        })
        .collect()
}

fn base64_all(hashes: &[Vec<u8>]) -> Vec<String> {
    hashes.iter().map(|h| Base64::encode_string(h)).collect()
}

/// The body of `credentials/authorize`. The PIN and OTP go into the JSON and nowhere else.
pub(super) fn authorize_body(
    version: CscVersion,
    credential_id: &str,
    hashes: &[Vec<u8>],
    digest: DigestAlgorithm,
    pin: &Secret,
    otp: Option<&Secret>,
) -> Value {
    let mut body = json!({
        "credentialID": credential_id,
        "numSignatures": hashes.len(),
    });
    match version {
        CscVersion::V2 => {
            let mut auth = vec![json!({ "id": "PIN", "value": pin.expose() })];
            if let Some(otp) = otp {
                auth.push(json!({ "id": "OTP", "value": otp.expose() }));
            }
            body["hashes"] = json!(base64_all(hashes));
            body["hashAlgorithmOID"] = json!(digest.oid().to_string());
            body["authData"] = Value::Array(auth);
        }
        CscVersion::V1 => {
            body["hash"] = json!(base64_all(hashes));
            body["hashAlgo"] = json!(digest.oid().to_string());
            body["PIN"] = json!(pin.expose());
            if let Some(otp) = otp {
                body["OTP"] = json!(otp.expose());
            }
        }
    }
    body
}

/// The body of `signatures/signHash`.
pub(super) fn sign_hash_body(
    version: CscVersion,
    credential_id: &str,
    sad: &Secret,
    hashes: &[Vec<u8>],
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
) -> Result<Value, CscClientError> {
    let (sign_algo, params) = sign_algorithm(scheme, digest)?;
    let (hash_key, algo_key) = match version {
        CscVersion::V2 => ("hashes", "hashAlgorithmOID"),
        CscVersion::V1 => ("hash", "hashAlgo"),
    };
    let mut body = json!({
        "credentialID": credential_id,
        "SAD": sad.expose(),
        "signAlgo": sign_algo.to_string(),
    });
    body[hash_key] = json!(base64_all(hashes));
    body[algo_key] = json!(digest.oid().to_string());
    if let Some(params) = params {
        body["signAlgoParams"] = json!(Base64::encode_string(&params));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csc::client::tests::{PSS, RSA, RSA_CHAIN, chain_base64};

    #[test]
    fn authorize_bodies_use_each_versions_names() {
        let hash = vec![vec![0xab; 32]];
        let pin = Secret::new("1234");
        let otp = Secret::new("987654");
        let d = DigestAlgorithm::Sha256;
        let v2 = authorize_body(CscVersion::V2, "cred-1", &hash, d, &pin, Some(&otp));
        assert_eq!(
            v2,
            json!({
                "credentialID": "cred-1",
                "numSignatures": 1,
                "hashes": [Base64::encode_string(&[0xab; 32])],
                "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1",
                "authData": [{"id": "PIN", "value": "1234"}, {"id": "OTP", "value": "987654"}],
            })
        );
        let v1 = authorize_body(CscVersion::V1, "cred-1", &hash, d, &pin, Some(&otp));
        assert_eq!(
            v1,
            json!({
                "credentialID": "cred-1",
                "numSignatures": 1,
                "hash": [Base64::encode_string(&[0xab; 32])],
                "hashAlgo": "2.16.840.1.101.3.4.2.1",
                "PIN": "1234",
                "OTP": "987654",
            })
        );
        let no_otp = authorize_body(CscVersion::V1, "c", &hash, d, &pin, None);
        assert!(no_otp.get("OTP").is_none());
    }

    #[test]
    fn sign_hash_bodies_use_each_versions_names() {
        let hash = vec![vec![1u8; 48]];
        let sad = Secret::new("sad-token");
        let d = DigestAlgorithm::Sha384;
        let v2 = sign_hash_body(
            CscVersion::V2,
            "c",
            &sad,
            &hash,
            d,
            SignatureScheme::RsaPkcs1v15,
        )
        .unwrap();
        assert_eq!(
            v2,
            json!({
                "credentialID": "c",
                "SAD": "sad-token",
                "hashes": [Base64::encode_string(&[1u8; 48])],
                "hashAlgorithmOID": "2.16.840.1.101.3.4.2.2",
                "signAlgo": RSA,
            })
        );
        let v1 =
            sign_hash_body(CscVersion::V1, "c", &sad, &hash, d, SignatureScheme::Ecdsa).unwrap();
        assert_eq!(
            v1,
            json!({
                "credentialID": "c",
                "SAD": "sad-token",
                "hash": [Base64::encode_string(&[1u8; 48])],
                "hashAlgo": "2.16.840.1.101.3.4.2.2",
                "signAlgo": "1.2.840.10045.4.3.3",
            })
        );
        let pss =
            sign_hash_body(CscVersion::V2, "c", &sad, &hash, d, SignatureScheme::RsaPss).unwrap();
        assert_eq!(pss["signAlgo"], PSS);
        assert!(pss["signAlgoParams"].is_string());
    }

    #[test]
    fn credential_info_is_read_in_both_versions() {
        let chain = chain_base64(RSA_CHAIN);
        let v2 = json!({
            "key": {"status": "enabled", "algo": [RSA, PSS], "len": 2048},
            "cert": {"status": "valid", "certificates": chain},
            "auth": {"mode": "explicit", "expression": "PIN AND OTP", "objects": [
                {"type": "Password", "id": "PIN", "format": "N"},
                {"type": "Password", "id": "OTP", "format": "N", "generator": "delivered"},
            ]},
            "SCAL": "2",
            "multisign": 1,
        });
        let info = parse_credential_info(CscVersion::V2, "cred-1", &v2).unwrap();
        assert_eq!(info.certificates.len(), 2);
        assert_eq!(info.key_len, Some(2048));
        assert_eq!(info.scal, 2);
        assert_eq!(info.multisign, 1);
        assert_eq!(info.otp, Some(OtpKind::Delivered));
        assert_eq!(info.key_algorithms.len(), 2);
        let mut totp = v2.clone();
        totp["auth"]["objects"][1]["generator"] = json!("totp");
        let info = parse_credential_info(CscVersion::V2, "c", &totp).unwrap();
        assert_eq!(info.otp, Some(OtpKind::Generated));

        let v1 = json!({
            "key": {"status": "enabled", "algo": [RSA], "len": 2048},
            "cert": {"status": "valid", "certificates": chain},
            "authMode": "explicit",
            "PIN": {"presence": "true", "format": "N"},
            "OTP": {"presence": "true", "type": "online", "format": "N"},
            "SCAL": 2,
            "multisign": 1,
        });
        let info = parse_credential_info(CscVersion::V1, "c", &v1).unwrap();
        assert_eq!((info.scal, info.otp), (2, Some(OtpKind::Delivered)));
        let mut offline = v1.clone();
        offline["OTP"]["type"] = json!("offline");
        let info = parse_credential_info(CscVersion::V1, "c", &offline).unwrap();
        assert_eq!(info.otp, Some(OtpKind::Generated));
        offline["OTP"]["presence"] = json!("false");
        let info = parse_credential_info(CscVersion::V1, "c", &offline).unwrap();
        assert_eq!(info.otp, None);

        let broken = json!({"key": {"algo": []}, "cert": {"certificates": ["%%%"]}});
        assert!(matches!(
            parse_credential_info(CscVersion::V2, "c", &broken),
            Err(CscClientError::BadResponse { .. })
        ));
    }

    #[test]
    fn signatures_and_lists_are_read() {
        let body = json!({"signatures": [Base64::encode_string(b"sig")]});
        assert_eq!(parse_signatures(&body).unwrap(), vec![b"sig".to_vec()]);
        assert!(parse_signatures(&json!({})).is_err());
        let list = json!({"credentialIDs": ["a", "b"]});
        assert_eq!(parse_credential_list(&list).unwrap(), vec!["a", "b"]);
    }

    fn error_of(status: u16, error: &str, description: &str) -> CscClientError {
        let body = json!({"error": error, "error_description": description}).to_string();
        error_from_response(status, body.as_bytes())
    }

    #[test]
    fn error_answers_become_actionable_errors() {
        use CscClientError as E;
        assert!(matches!(
            error_of(400, "invalid_request", "Invalid PIN"),
            E::WrongPinOrOtp { .. }
        ));
        assert!(matches!(
            error_of(400, "invalid_otp", "The OTP is invalid"),
            E::WrongPinOrOtp { .. }
        ));
        assert!(matches!(
            error_of(400, "invalid_request", "Missing string parameter PIN"),
            E::Http { status: 400, .. }
        ));
        assert!(matches!(
            error_of(403, "credential_locked", "too many failed attempts"),
            E::CredentialLocked { .. }
        ));
        assert!(matches!(
            error_of(400, "invalid_request", "PIN locked"),
            E::CredentialLocked { .. }
        ));
        assert!(matches!(
            error_of(
                400,
                "invalid_request",
                "wrong PIN or OTP; 4 attempt(s) left before the credential is locked"
            ),
            E::WrongPinOrOtp { .. }
        ));
        assert!(matches!(
            error_of(
                403,
                "access_denied",
                "the credential is locked after 5 wrong attempts; ask an administrator"
            ),
            E::CredentialLocked { .. }
        ));
        assert!(matches!(
            error_of(400, "invalid_request", "Invalid parameter SAD"),
            E::InvalidSad { .. }
        ));
        assert!(matches!(
            error_of(400, "invalid_sad", ""),
            E::InvalidSad { .. }
        ));
        // The codes kyso's own server sends (server::csc).
        assert!(matches!(
            error_of(
                400,
                "invalid_pin_or_otp",
                "wrong PIN or OTP; 4 attempt(s) left"
            ),
            E::WrongPinOrOtp { .. }
        ));
        assert!(matches!(
            error_of(403, "credential_locked", "the credential is locked"),
            E::CredentialLocked { .. }
        ));
        assert!(matches!(
            error_of(400, "expired_sad", "the SAD has expired; authorize again"),
            E::InvalidSad { .. }
        ));
        assert!(matches!(
            error_of(401, "invalid_token", "expired"),
            E::Unauthorized
        ));
        assert!(matches!(
            error_from_response(502, b"<html>bad gateway</html>"),
            E::Http { status: 502, .. }
        ));
        let message = error_of(400, "invalid_request", "Invalid PIN\u{1b}[2J").to_string();
        assert!(
            message.starts_with("sai mã PIN hoặc mã OTP / wrong PIN"),
            "{message}"
        );
        assert!(!message.contains('\u{1b}'), "{message}");
    }
}
