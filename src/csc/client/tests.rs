//! Tests of [`CscClient`] and [`CscSigner`] end to end against a CSC service double on
//! 127.0.0.1, and the fixtures (test keys, OIDs) the other files' tests share. The JSON shapes
//! are tested in `wire`, the algorithm identifiers in `algorithm`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use const_oid::ObjectIdentifier;
use openssl::pkey::{PKey, Private};

use super::*;
use crate::sign::cms::{SignatureAlgorithm, verify_signature_value};
use crate::sign::{KeyKind, Signer, SignerError};

const RSA_KEY: &[u8] = include_bytes!("../../../certs/signers/citizen-nguyen-van-an.key.pem");
pub(super) const RSA_CHAIN: &[u8] =
    include_bytes!("../../../certs/signers/citizen-nguyen-van-an.chain.pem");
const EC_KEY: &[u8] = include_bytes!("../../../certs/signers/citizen-tran-thi-ngoc-anh.key.pem");
const EC_CHAIN: &[u8] =
    include_bytes!("../../../certs/signers/citizen-tran-thi-ngoc-anh.chain.pem");

pub(super) const PSS: &str = "1.2.840.113549.1.1.10";
pub(super) const RSA: &str = "1.2.840.113549.1.1.1";

pub(super) fn chain_base64(pem: &[u8]) -> Vec<String> {
    openssl::x509::X509::stack_from_pem(pem)
        .unwrap()
        .iter()
        .map(|c| Base64::encode_string(&c.to_der().unwrap()))
        .collect()
}

#[test]
fn only_https_or_loopback_http() {
    assert_eq!(
        check_base_url("https://ca.example.vn/").unwrap(),
        "https://ca.example.vn"
    );
    assert!(check_base_url("http://127.0.0.1:8080").is_ok());
    assert!(check_base_url("http://localhost").is_ok());
    assert!(check_base_url("http://[::1]:9000/x").is_ok());
    for bad in [
        "http://ca.example.vn",
        "ftp://x",
        "https://",
        "https://h/?a",
    ] {
        assert!(
            matches!(check_base_url(bad), Err(CscClientError::BadUrl { .. })),
            "{bad}"
        );
    }
}

/// A CSC service double on 127.0.0.1 that signs with a test key, checks the PIN, OTP
/// and SAD, and records each request (path, JSON body, Authorization header).
struct FakeService {
    key: PKey<Private>,
    chain: Vec<String>,
    algos: Vec<&'static str>,
    generator: &'static str,
    /// `None` signs correctly; `Some(f)` passes the value through `f` first.
    tamper: Option<fn(Vec<u8>) -> Vec<u8>>,
    challenged: Mutex<bool>,
    authorized: Mutex<Option<String>>,
    log: Mutex<Vec<(String, Value, String)>>,
}

const PIN: &str = "246810";
const DELIVERED: &str = "135790";

impl FakeService {
    fn new(key: &[u8], chain: &[u8], algos: Vec<&'static str>) -> FakeService {
        FakeService {
            key: PKey::private_key_from_pem(key).unwrap(),
            chain: chain_base64(chain),
            algos,
            generator: "delivered",
            tamper: None,
            challenged: Mutex::new(false),
            authorized: Mutex::new(None),
            log: Mutex::new(Vec::new()),
        }
    }

    fn handle(&self, path: &str, body: &Value, auth: &str) -> (u16, Value) {
        let v1 = path.starts_with("/csc/v1/");
        let endpoint = path.splitn(4, '/').nth(3).unwrap_or_default();
        let error = |status, code: &str, text: &str| {
            (status, json!({"error": code, "error_description": text}))
        };
        if endpoint == "auth/login" {
            let expected = Base64::encode_string(b"an:correct horse");
            if auth != format!("Basic {expected}") {
                return error(401, "unauthorized_client", "bad credentials");
            }
            return (200, json!({"access_token": "tok-1", "expires_in": 3600}));
        }
        if auth != "Bearer tok-1" {
            return error(401, "invalid_token", "no token");
        }
        let (hash_key, algo_key) = match v1 {
            true => ("hash", "hashAlgo"),
            false => ("hashes", "hashAlgorithmOID"),
        };
        match endpoint {
            "credentials/list" => (200, json!({"credentialIDs": ["an-1"]})),
            "credentials/info" => (
                200,
                json!({
                    "key": {"status": "enabled", "algo": self.algos, "len": 2048},
                    "cert": {"status": "valid", "certificates": self.chain},
                    "auth": {"mode": "explicit", "objects": [
                        {"type": "Password", "id": "PIN"},
                        {"type": "Password", "id": "OTP", "generator": self.generator},
                    ]},
                    "OTP": {"presence": "true", "type": "online"},
                    "SCAL": "2",
                    "multisign": 1,
                }),
            ),
            "credentials/getChallenge" | "credentials/sendOTP" => {
                *self.challenged.lock().unwrap() = true;
                (200, json!({}))
            }
            "credentials/authorize" => {
                let (pin, otp) = match v1 {
                    true => (body["PIN"].clone(), body["OTP"].clone()),
                    false => (
                        body["authData"][0]["value"].clone(),
                        body["authData"][1]["value"].clone(),
                    ),
                };
                let otp_ok = *self.challenged.lock().unwrap() && otp == DELIVERED;
                if pin != PIN || !otp_ok {
                    return error(400, "invalid_request", "Invalid PIN or OTP");
                }
                *self.authorized.lock().unwrap() = Some(body[hash_key][0].to_string());
                (200, json!({"SAD": "sad-1", "expiresIn": 300}))
            }
            "signatures/signHash" => {
                let granted = self.authorized.lock().unwrap().take();
                if body["SAD"] != "sad-1" || granted != Some(body[hash_key][0].to_string()) {
                    return error(400, "invalid_request", "Invalid parameter SAD");
                }
                let hash = Base64::decode_vec(body[hash_key][0].as_str().unwrap()).unwrap();
                let digest = DigestAlgorithm::from_oid(
                    &ObjectIdentifier::new(body[algo_key].as_str().unwrap()).unwrap(),
                )
                .unwrap();
                let mut value = self.sign_digest(&hash, digest, body["signAlgo"] == PSS);
                if let Some(tamper) = self.tamper {
                    value = tamper(value);
                }
                (200, json!({"signatures": [Base64::encode_string(&value)]}))
            }
            _ => error(404, "invalid_request", "unknown endpoint"),
        }
    }

    fn sign_digest(&self, hash: &[u8], digest: DigestAlgorithm, pss: bool) -> Vec<u8> {
        use openssl::rsa::Padding;
        let md = match digest {
            DigestAlgorithm::Sha256 => openssl::md::Md::sha256(),
            DigestAlgorithm::Sha384 => openssl::md::Md::sha384(),
            DigestAlgorithm::Sha512 => openssl::md::Md::sha512(),
        };
        let mut ctx = openssl::pkey_ctx::PkeyCtx::new(&self.key).unwrap();
        ctx.sign_init().unwrap();
        ctx.set_signature_md(md).unwrap();
        if self.key.id() == openssl::pkey::Id::RSA {
            if pss {
                ctx.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
                ctx.set_rsa_mgf1_md(md).unwrap();
                ctx.set_rsa_pss_saltlen(openssl::sign::RsaPssSaltlen::DIGEST_LENGTH)
                    .unwrap();
            } else {
                ctx.set_rsa_padding(Padding::PKCS1).unwrap();
            }
        }
        let mut signature = Vec::new();
        ctx.sign_to_vec(hash, &mut signature).unwrap();
        signature
    }
}

/// Serves `service` on 127.0.0.1 (one request per connection) and returns the base URL.
fn serve(service: Arc<FakeService>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let path = request_line
                .split(' ')
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            let (mut length, mut auth) = (0, String::new());
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap(),
                    "authorization" => auth = value.trim().to_owned(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let (status, answer) = service.handle(&path, &body, &auth);
            service.log.lock().unwrap().push((path, body, auth));
            let answer = answer.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: \
                 {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    format!("http://{address}")
}

/// An OTP source that reads the code the service "delivered".
struct Inbox;

impl OtpSource for Inbox {
    fn otp(&self, delivered: bool) -> Result<Secret, CscClientError> {
        assert!(delivered, "the code was asked for before it was sent");
        Ok(Secret::new(DELIVERED))
    }
}

fn signer(
    service: &Arc<FakeService>,
    version: CscVersion,
    pin: &str,
) -> Result<CscSigner, CscClientError> {
    let mut client = CscClient::new(&serve(Arc::clone(service)), version)?;
    assert_eq!(
        client.login("an", &Secret::new("correct horse"))?,
        Some(3600)
    );
    let id = client.choose_credential(None)?;
    let info = client.credential_info(&id)?;
    CscSigner::new(client, info, Secret::new(pin), Box::new(Inbox))
}

#[test]
fn signs_one_hash_through_v2_and_v1() {
    for version in [CscVersion::V2, CscVersion::V1] {
        let service = Arc::new(FakeService::new(RSA_KEY, RSA_CHAIN, vec![RSA, PSS]));
        let signer = signer(&service, version, PIN).unwrap();
        assert_eq!(signer.key_kind(), KeyKind::Rsa { bits: 2048 });
        assert_eq!(signer.certificate_chain().len(), 2);
        for scheme in [SignatureScheme::RsaPss, SignatureScheme::RsaPkcs1v15] {
            let digest = DigestAlgorithm::Sha384;
            let value = signer.sign(b"signed attributes", digest, scheme).unwrap();
            let algorithm = SignatureAlgorithm::new(scheme, digest);
            let leaf = &signer.certificate_chain()[0];
            assert!(
                verify_signature_value(leaf, b"signed attributes", algorithm, digest, &value)
                    .unwrap()
            );
        }
        let log = service.log.lock().unwrap();
        let prefix = match version {
            CscVersion::V1 => "/csc/v1/",
            CscVersion::V2 => "/csc/v2/",
        };
        assert!(log.iter().all(|(path, _, _)| path.starts_with(prefix)));
        assert!(log[0].2.starts_with("Basic "));
        assert!(log[1..].iter().all(|(_, _, auth)| auth == "Bearer tok-1"));
    }
}

#[test]
fn ecdsa_values_are_checked_and_raw_ones_converted() {
    let mut fake = FakeService::new(EC_KEY, EC_CHAIN, vec!["1.2.840.10045.4.3.2"]);
    fake.tamper = Some(|der| {
        let sig = openssl::ecdsa::EcdsaSig::from_der(&der).unwrap();
        let mut raw = sig.r().to_vec_padded(32).unwrap();
        raw.extend(sig.s().to_vec_padded(32).unwrap());
        raw
    });
    let service = Arc::new(fake);
    let signer = signer(&service, CscVersion::V2, PIN).unwrap();
    assert_eq!(signer.key_kind(), KeyKind::EcP256);
    let value = signer
        .sign(b"x", DigestAlgorithm::Sha256, SignatureScheme::Ecdsa)
        .unwrap();
    assert!(openssl::ecdsa::EcdsaSig::from_der(&value).is_ok());
}

#[test]
fn a_wrong_signature_from_the_service_is_an_error() {
    let mut fake = FakeService::new(RSA_KEY, RSA_CHAIN, vec![RSA, PSS]);
    fake.tamper = Some(|mut value| {
        value[10] ^= 1;
        value
    });
    let service = Arc::new(fake);
    let signer = signer(&service, CscVersion::V2, PIN).unwrap();
    let error = signer
        .sign_hash(b"x", DigestAlgorithm::Sha256, SignatureScheme::RsaPss)
        .unwrap_err();
    assert!(
        matches!(error, CscClientError::SignatureMismatch { .. }),
        "{error:?}"
    );
}

#[test]
fn wrong_pin_unoffered_scheme_and_bad_login_are_named() {
    let service = Arc::new(FakeService::new(RSA_KEY, RSA_CHAIN, vec![RSA]));
    let signer = signer(&service, CscVersion::V2, "000000").unwrap();
    let error = signer
        .sign_hash(b"x", DigestAlgorithm::Sha256, SignatureScheme::RsaPkcs1v15)
        .unwrap_err();
    assert!(
        matches!(error, CscClientError::WrongPinOrOtp { .. }),
        "{error:?}"
    );
    let error = signer
        .sign_hash(b"x", DigestAlgorithm::Sha256, SignatureScheme::RsaPss)
        .unwrap_err();
    assert!(
        matches!(error, CscClientError::SchemeNotOffered { .. }),
        "{error:?}"
    );
    let refused = signer
        .sign(b"x", DigestAlgorithm::Sha256, SignatureScheme::Ecdsa)
        .unwrap_err();
    assert!(matches!(refused, SignerError::SchemeNotSupported { .. }));

    let mut client = CscClient::new(&serve(Arc::clone(&service)), CscVersion::V2).unwrap();
    let error = client
        .login("an", &Secret::new("hunter2-wrong"))
        .unwrap_err();
    assert!(matches!(error, CscClientError::LoginFailed), "{error:?}");
    assert!(matches!(
        client.list_credentials(),
        Err(CscClientError::Unauthorized)
    ));
}

#[test]
fn secrets_stay_out_of_debug_and_errors() {
    let service = Arc::new(FakeService::new(RSA_KEY, RSA_CHAIN, vec![RSA, PSS]));
    let signer = signer(&service, CscVersion::V2, "000000").unwrap();
    let error = signer
        .sign(b"x", DigestAlgorithm::Sha256, SignatureScheme::RsaPss)
        .unwrap_err();
    let shown = format!("{signer:?} {error} {error:?}");
    for secret in ["000000", DELIVERED, "tok-1", "correct horse", "sad-1"] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    let sad = SadToken {
        sad: Secret::new("sad-1"),
        expires_in: Some(1),
    };
    assert!(!format!("{sad:?}").contains("sad-1"));
}
