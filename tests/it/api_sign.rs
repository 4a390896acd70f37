//! Signing through the dossier API over real HTTP: `kyso serve --pki certs` on a free port
//! with its own data folder. An officer signs with the agency key (embedded token) and in two
//! steps with their own key, certifies a result; citizens log in and sign remotely with a
//! delivered OTP (read from the admin outbox) and with TOTP; an earlier signed document is
//! reused after it verifies again. Every output is judged by `verify_pdf` against the test
//! PKI's roots, offline, from what the file carries.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use kyso::csc::{TotpParams, TotpSecret};
use kyso::sign::PadesLevel;
use kyso::verify::{Indication, Report, VerifyOptions, verify_pdf};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::support::{kyso, repo_root, run, stderr, stdout};

const ADMIN_TOKEN: &str = "kyso-api-sign-test-admin-token-0123456789";
const PIN: &str = "135790";
const PASSWORD: &str = "mat-khau-ky-so-2026";
/// Citizens: one gets codes by SMS (the outbox), one from an authenticator app.
const SMS_CITIZEN: &str = "001089055501";
const TOTP_CITIZEN: &str = "079195055502";

/// A port in 20000–60999 that binds on 127.0.0.1 right now (never 8080).
fn free_port() -> u16 {
    let seed = std::process::id() as u64 ^ OffsetDateTime::now_utc().unix_timestamp_nanos() as u64;
    for attempt in 0..500u64 {
        let port = 20000 + ((seed.wrapping_mul(6364136223846793005) >> 7) + attempt * 7919) % 41000;
        if std::net::TcpListener::bind(("127.0.0.1", port as u16)).is_ok() {
            return port as u16;
        }
    }
    panic!("no free port on 127.0.0.1");
}

struct Server {
    child: Child,
    url: String,
    data: PathBuf,
    http: ureq::Agent,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| json!({ "_raw": String::from_utf8_lossy(&self.body).into_owned() }))
    }
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {}", self.status, self.json())
    }
}

impl Server {
    fn start(data: &Path, url: &str, extra: &[&str]) -> Server {
        Server::start_with_env(data, url, extra, &[])
    }

    fn start_with_env(data: &Path, url: &str, extra: &[&str], env: &[(&str, PathBuf)]) -> Server {
        let mut child = kyso()
            .args([
                "serve",
                "--listen",
                url.trim_start_matches("http://"),
                "--data",
            ])
            .arg(data)
            .arg("--pki")
            .arg(repo_root().join("certs"))
            .args(["--public-url", url, "--rate-limit", "0"])
            .args(extra)
            .env("KYSO_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("KYSO_LOG", "info")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kyso serve starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("kyso serve did not start: {seen:?}"));
            if line.contains("listening on http://") {
                break;
            }
            seen.push(line);
        }
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || while rx.recv().is_ok() {});
        Server {
            child,
            url: url.to_owned(),
            data: data.to_path_buf(),
            http: kyso::net::agent(Duration::from_secs(120), 0),
        }
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Reply {
        let url = format!("{}{path}", self.url);
        let mut response = match (method, body) {
            ("GET", _) => {
                let mut request = self.http.get(&url);
                if let Some(token) = token {
                    request = request.header("Authorization", format!("Bearer {token}"));
                }
                request.call()
            }
            (_, body) => {
                let mut request = self.http.post(&url);
                if let Some(token) = token {
                    request = request.header("Authorization", format!("Bearer {token}"));
                }
                let (content_type, bytes) = body.unwrap_or(("application/json", b"{}".to_vec()));
                request
                    .header("Content-Type", content_type)
                    .send(&bytes[..])
            }
        }
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_vec()
            .unwrap();
        Reply { status, body }
    }

    fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(
            "POST",
            path,
            token,
            Some(("application/json", serde_json::to_vec(&body).unwrap())),
        )
    }

    fn get(&self, path: &str, token: &str) -> Reply {
        self.call("GET", path, Some(token), None)
    }

    fn token(&self, role: &str, name: &str, cccd: Option<&str>) -> String {
        let mut command = kyso();
        command
            .args(["token", "add", "--data"])
            .arg(&self.data)
            .args(["--role", role, "--name", name, "--json"]);
        if let Some(cccd) = cccd {
            command.args(["--cccd", cccd]);
        }
        let output = run(&mut command);
        assert!(output.status.success(), "{}", stderr(&output));
        let answer: Value = serde_json::from_str(&stdout(&output)).unwrap();
        answer["token"].as_str().unwrap().to_owned()
    }

    fn dossier(&self, counter: &str, cccd: &str) -> String {
        let reply = self.post(
            "/api/dossiers",
            Some(counter),
            json!({"procedure_code": "2.000635", "applicant_name": "Người Thử",
                   "applicant_cccd": cccd}),
        );
        assert_eq!(reply.status, 201, "{reply:?}");
        reply.json()["id"].as_str().unwrap().to_owned()
    }

    /// A result document (samples/ket-qua-quyet-dinh.pdf) in `dossier`.
    fn result(&self, officer: &str, dossier: &str) -> Value {
        let pdf = std::fs::read(repo_root().join("samples/ket-qua-quyet-dinh.pdf")).unwrap();
        let reply = self.call(
            "POST",
            &format!("/api/dossiers/{dossier}/results"),
            Some(officer),
            Some(("application/pdf", pdf)),
        );
        assert_eq!(reply.status, 201, "{reply:?}");
        reply.json()
    }

    fn pdf(&self, document: &str, token: &str) -> Vec<u8> {
        let reply = self.get(&format!("/api/documents/{document}/pdf"), token);
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body
    }

    /// The newest delivered code of `credential`, from the admin outbox.
    fn delivered_code(&self, credential: &str) -> String {
        let reply = self.get(
            &format!("/csc/admin/outbox?credential={credential}"),
            ADMIN_TOKEN,
        );
        assert_eq!(reply.status, 200, "{reply:?}");
        let messages = reply.json()["messages"].as_array().unwrap().clone();
        let newest = messages
            .iter()
            .max_by_key(|m| m["seq"].as_i64().unwrap())
            .expect("a message in the outbox");
        let text = newest["message"].as_str().unwrap();
        text.split("Mã OTP ký số của bạn: ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .unwrap_or_else(|| panic!("no code in {text}"))
            .to_owned()
    }
}

fn anchors() -> Vec<Vec<u8>> {
    ["national-root", "government-root"]
        .iter()
        .map(|name| pem_der(&format!("certs/trust/{name}.pem")))
        .collect()
}

fn pem_der(path: &str) -> Vec<u8> {
    openssl::x509::X509::from_pem(&std::fs::read(repo_root().join(path)).unwrap())
        .unwrap()
        .to_der()
        .unwrap()
}

/// The report on `pdf` from what it carries (B-LT: the DSS), against the test roots.
fn verify(pdf: &[u8]) -> Report {
    verify_pdf(
        pdf,
        &VerifyOptions {
            trust_anchors: anchors(),
            now: OffsetDateTime::now_utc(),
            fetcher: None,
        },
    )
    .unwrap()
}

fn assert_all_passed(pdf: &[u8], signatures: usize) -> Report {
    let report = verify(pdf);
    assert_eq!(report.signatures.len(), signatures, "{report:#?}");
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
    assert!(report.all_passed(), "{report:#?}");
    report
}

#[test]
fn officer_signs_with_the_agency_key_in_two_steps_and_certifies() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", free_port());
    let server = Server::start(&dir.path().join("data"), &url, &[]);
    let counter = server.token("counter", "Quầy một cửa", None);
    let officer = server.token("officer", "Phạm Minh Đức", None);
    let dossier = server.dossier(&counter, "001089012345");

    // Server-side signing with the agency key: B-LT by default, verified from the file.
    let first = server.result(&officer, &dossier);
    let id = first["id"].as_str().unwrap();
    let started = Instant::now();
    let reply = server.post(
        &format!("/api/documents/{id}/sign"),
        Some(&officer),
        json!({"reason": "Sao y bản chính", "location": "Lào Cai"}),
    );
    let took = started.elapsed();
    assert_eq!(reply.status, 200, "{reply:?}");
    eprintln!("server-side sign (agency key, B-LT, 1-page result): {took:?}");
    let signed = reply.json();
    assert_eq!(signed["version"], 2);
    assert_eq!(signed["last_action"], "sign");
    assert_ne!(signed["sha256"], first["sha256"]);
    let pdf = server.pdf(id, &officer);
    let original = std::fs::read(repo_root().join("samples/ket-qua-quyet-dinh.pdf")).unwrap();
    assert!(pdf.starts_with(&original), "an incremental update");
    let report = assert_all_passed(&pdf, 1);
    let signature = &report.signatures[0];
    assert_eq!(signature.pades_level, Some(PadesLevel::BLt));
    assert_eq!(signature.reason.as_deref(), Some("Sao y bản chính"));
    let signer = signature.signer.as_ref().unwrap();
    assert_eq!(signer.common_name, "Ủy ban nhân dân tỉnh Lào Cai");

    // A second signature with the visible stamp at B-LTA: both signatures still pass.
    let reply = server.post(
        &format!("/api/documents/{id}/sign"),
        Some(&officer),
        json!({"level": "b-lta", "stamp": true}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["version"], 3);
    let report = assert_all_passed(&server.pdf(id, &officer), 3);
    // Two signatures and the document timestamp that lifts both to B-LTA.
    assert!(
        report.signatures[..2]
            .iter()
            .all(|s| s.pades_level == Some(PadesLevel::BLta)),
        "{report:#?}"
    );

    // A signed document cannot be certified; other roles and bad input get 4xx.
    let reply = server.post(
        &format!("/api/documents/{id}/certify"),
        Some(&officer),
        json!({}),
    );
    assert_eq!(reply.status, 409, "{reply:?}");
    assert!(
        reply.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("a certification signature must be the first signature")
    );
    let reply = server.post(
        &format!("/api/documents/{id}/sign"),
        Some(&counter),
        json!({}),
    );
    assert_eq!(reply.status, 403, "{reply:?}");
    let reply = server.post(&format!("/api/documents/{id}/sign"), None, json!({}));
    assert_eq!(reply.status, 401, "{reply:?}");
    let reply = server.post("/api/documents/nope/sign", Some(&officer), json!({}));
    assert_eq!(reply.status, 404, "{reply:?}");
    let reply = server.post(
        &format!("/api/documents/{id}/sign"),
        Some(&officer),
        json!({"level": "b-zz"}),
    );
    assert_eq!(reply.status, 422, "{reply:?}");

    // Certification of a fresh result: DocMDP form filling, B-LT.
    let result = server.result(&officer, &dossier);
    let rid = result["id"].as_str().unwrap();
    let reply = server.post(
        &format!("/api/documents/{rid}/certify"),
        Some(&officer),
        json!({"permission": "form-fill"}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["last_action"], "certify");
    let report = assert_all_passed(&server.pdf(rid, &officer), 1);
    assert!(report.signatures[0].certification.is_some(), "{report:#?}");

    // Two steps with Đỗ Thị Hương's own key (ECDSA P-256): the server hands out the signed
    // attributes, the "token" here signs them, the server embeds the value.
    let third = server.result(&officer, &dossier);
    let tid = third["id"].as_str().unwrap();
    let chain: Vec<String> = [
        "certs/signers/officer-do-thi-huong.pem",
        "certs/ca/government-ca.pem",
    ]
    .iter()
    .map(|p| Base64::encode_string(&pem_der(p)))
    .collect();
    let reply = server.post(
        &format!("/api/documents/{tid}/sign/prepare"),
        Some(&officer),
        json!({"certificates": chain, "reason": "Ký bằng USB token"}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let prepared = reply.json();
    assert_eq!(prepared["digest_algorithm"], "SHA-256");
    assert_eq!(prepared["signature_algorithm"], "ECDSA");
    let to_be_signed = Base64::decode_vec(prepared["to_be_signed"].as_str().unwrap()).unwrap();
    let session = prepared["session_id"].as_str().unwrap();
    let key = openssl::pkey::PKey::private_key_from_pem(
        &std::fs::read(repo_root().join("certs/signers/officer-do-thi-huong.key.pem")).unwrap(),
    )
    .unwrap();
    let sign = |data: &[u8]| {
        let mut signer =
            openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
        signer.update(data).unwrap();
        Base64::encode_string(&signer.sign_to_vec().unwrap())
    };
    // A value over other data is refused, and the session survives for the right one.
    let reply = server.post(
        &format!("/api/documents/{tid}/sign/complete"),
        Some(&officer),
        json!({"session_id": session, "signature": sign(b"other data")}),
    );
    assert_eq!(reply.status, 422, "{reply:?}");
    let reply = server.post(
        &format!("/api/documents/{tid}/sign/complete"),
        Some(&officer),
        json!({"session_id": session, "signature": sign(&to_be_signed)}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["last_action"], "sign");
    assert_eq!(reply.json()["version"], 2);
    let report = assert_all_passed(&server.pdf(tid, &officer), 1);
    let signer = report.signatures[0].signer.as_ref().unwrap();
    assert_eq!(signer.common_name, "Đỗ Thị Hương");
    // Used once.
    let reply = server.post(
        &format!("/api/documents/{tid}/sign/complete"),
        Some(&officer),
        json!({"session_id": session, "signature": sign(&to_be_signed)}),
    );
    assert_eq!(reply.status, 404, "{reply:?}");

    // A citizen's certificate (public CA) and an expired officer are refused at prepare.
    for leaf in [
        "certs/signers/citizen-nguyen-van-an.pem",
        "certs/signers/officer-vu-quoc-khanh.pem",
    ] {
        let reply = server.post(
            &format!("/api/documents/{tid}/sign/prepare"),
            Some(&officer),
            json!({"certificates": [Base64::encode_string(&pem_der(leaf))]}),
        );
        assert_eq!(reply.status, 422, "{leaf}: {reply:?}");
    }
}

/// Enrolls a citizen with `kyso ca enroll` (before the server opens the folder); the
/// credential id and, for authenticator users, the TOTP secret.
fn enroll(
    data: &Path,
    dir: &Path,
    cccd: &str,
    phone: Option<&str>,
    url: &str,
) -> (String, Option<TotpSecret>) {
    std::fs::write(dir.join("pin"), PIN).unwrap();
    std::fs::write(dir.join("password"), PASSWORD).unwrap();
    let mut command = kyso();
    command
        .args([
            "ca",
            "enroll",
            "--cccd",
            cccd,
            "--name",
            "Công Dân Thử",
            "--pin-file",
        ])
        .arg(dir.join("pin"))
        .arg("--password-file")
        .arg(dir.join("password"))
        .arg("--data")
        .arg(data)
        .arg("--pki")
        .arg(repo_root().join("certs"))
        .args(["--public-url", url])
        .stdin(Stdio::null());
    if let Some(phone) = phone {
        command.args(["--phone", phone]);
    }
    let output = run(&mut command);
    assert!(output.status.success(), "enroll: {}", stderr(&output));
    let id = stdout(&output).trim().to_owned();
    let totp = stderr(&output)
        .split("secret=")
        .nth(1)
        .map(|rest| rest.split('&').next().unwrap().trim().to_owned())
        .map(|secret| TotpSecret::from_base32(&secret).unwrap());
    (id, totp)
}

#[test]
fn citizens_log_in_sign_remotely_and_reuse_signed_documents() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let url = format!("http://127.0.0.1:{}", free_port());
    let (sms_credential, none) = enroll(&data, dir.path(), SMS_CITIZEN, Some("0912345678"), &url);
    assert!(none.is_none());
    let (_, totp) = enroll(&data, dir.path(), TOTP_CITIZEN, None, &url);
    let totp = totp.expect("an authenticator user gets a TOTP secret");
    // The agency key sits in the embedded SoftHSM2 token of its own (the default).
    let server = Server::start(&data, &url, &[]);
    let counter = server.token("counter", "Quầy một cửa", None);
    let officer = server.token("officer", "Phạm Minh Đức", None);
    let mine = server.dossier(&counter, SMS_CITIZEN);
    let theirs = server.dossier(&counter, TOTP_CITIZEN);
    let my_doc = server.result(&officer, &mine)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let their_doc = server.result(&officer, &theirs)["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Login: a wrong password gets 401 without saying which part was wrong.
    let reply = server.post(
        "/api/login",
        None,
        json!({"cccd": SMS_CITIZEN, "password": "sai-mat-khau"}),
    );
    assert_eq!(reply.status, 401, "{reply:?}");
    let unknown = server.post(
        "/api/login",
        None,
        json!({"cccd": "001000000000", "password": PASSWORD}),
    );
    assert_eq!(unknown.status, 401, "{unknown:?}");
    assert_eq!(
        reply.json()["error_description"],
        unknown.json()["error_description"]
    );
    let reply = server.post(
        "/api/login",
        None,
        json!({"cccd": SMS_CITIZEN, "password": PASSWORD}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let login = reply.json();
    assert_eq!(
        (login["role"].as_str(), login["cccd"].as_str()),
        (Some("citizen"), Some(SMS_CITIZEN))
    );
    assert!(login["expires_in"].as_u64().unwrap() > 0);
    let citizen = login["token"].as_str().unwrap().to_owned();

    // Another citizen's document is not there for them; staff do not sign remotely.
    let path = |doc: &str| format!("/api/documents/{doc}/remote-sign");
    let reply = server.post(&path(&their_doc), Some(&citizen), json!({}));
    assert_eq!(reply.status, 404, "{reply:?}");
    let reply = server.post(&path(&my_doc), Some(&officer), json!({}));
    assert_eq!(reply.status, 403, "{reply:?}");

    // The OTP is delivered; a wrong PIN is a 4xx in the service's words, never a 5xx.
    let reply = server.post(&path(&my_doc), Some(&citizen), json!({}));
    assert_eq!(reply.status, 200, "{reply:?}");
    let started = reply.json();
    assert_eq!(started["otp"], "delivered");
    assert_eq!(
        started["credential_id"].as_str(),
        Some(sms_credential.as_str())
    );
    let code = server.delivered_code(&sms_credential);
    let complete = format!("{}/complete", path(&my_doc));
    let reply = server.post(
        &complete,
        Some(&citizen),
        json!({"session_id": started["session_id"], "pin": "000000", "otp": code}),
    );
    assert!((400..500).contains(&reply.status), "{reply:?}");
    assert!(
        reply.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("sai mã PIN"),
        "{reply:?}"
    );

    // With the right PIN and a fresh code: the new version verifies.
    let reply = server.post(&path(&my_doc), Some(&citizen), json!({}));
    assert_eq!(reply.status, 200, "{reply:?}");
    let session = reply.json()["session_id"].clone();
    let code = server.delivered_code(&sms_credential);
    let reply = server.post(
        &complete,
        Some(&citizen),
        json!({"session_id": session, "pin": PIN, "otp": code}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let signed = reply.json();
    assert_eq!(
        (signed["version"].as_u64(), signed["last_action"].as_str()),
        (Some(2), Some("remote-sign"))
    );
    let report = assert_all_passed(&server.pdf(&my_doc, &citizen), 1);
    let signer = report.signatures[0].signer.as_ref().unwrap();
    assert!(
        signer.identities.iter().any(|i| i.value == SMS_CITIZEN),
        "{signer:#?}"
    );

    // The other citizen signs with an authenticator code.
    let reply = server.post(
        "/api/login",
        None,
        json!({"cccd": TOTP_CITIZEN, "password": PASSWORD}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let other = reply.json()["token"].as_str().unwrap().to_owned();
    let reply = server.post(&path(&their_doc), Some(&other), json!({}));
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["otp"], "totp");
    let session = reply.json()["session_id"].clone();
    let code = totp
        .code_at(&TotpParams::default(), OffsetDateTime::now_utc())
        .unwrap();
    let reply = server.post(
        &format!("{}/complete", path(&their_doc)),
        Some(&other),
        json!({"session_id": session, "pin": PIN, "otp": code.expose()}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_all_passed(&server.pdf(&their_doc, &other), 1);

    // Reuse: the signed document comes into the citizen's new dossier with the same bytes.
    let new = server.dossier(&counter, SMS_CITIZEN);
    let reuse = format!("/api/dossiers/{new}/reuse");
    let reply = server.post(&reuse, Some(&citizen), json!({"document_id": my_doc}));
    assert_eq!(reply.status, 201, "{reply:?}");
    let reused = reply.json();
    assert_eq!(reused["kind"], "reused");
    assert_eq!(reused["source"].as_str(), Some(my_doc.as_str()));
    assert_eq!(reused["sha256"], signed["sha256"]);
    assert_eq!(reused["last_action"], "reuse");
    let reply = server.post(&reuse, Some(&citizen), json!({"document_id": my_doc}));
    assert_eq!(reply.status, 409, "already reused: {reply:?}");
    // Not from the same dossier, not another applicant's, not unsigned.
    let reply = server.post(
        &format!("/api/dossiers/{mine}/reuse"),
        Some(&counter),
        json!({"document_id": my_doc}),
    );
    assert_eq!(reply.status, 409, "{reply:?}");
    let reply = server.post(&reuse, Some(&counter), json!({"document_id": their_doc}));
    assert_eq!(reply.status, 409, "{reply:?}");
    let reply = server.post(&reuse, Some(&other), json!({"document_id": their_doc}));
    assert_eq!(reply.status, 404, "not their dossier: {reply:?}");
    let unsigned = server.result(&officer, &mine)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = server.post(&reuse, Some(&counter), json!({"document_id": unsigned}));
    assert_eq!(reply.status, 422, "{reply:?}");
    let reply = server.post(&reuse, Some(&officer), json!({"document_id": my_doc}));
    assert_eq!(reply.status, 403, "{reply:?}");

    // The agency signs through PKCS#11 here: the key on the embedded token signs, and the
    // token holds it sensitive and not extractable.
    let reply = server.post(
        &format!("/api/documents/{unsigned}/sign"),
        Some(&officer),
        json!({}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let report = assert_all_passed(&server.pdf(&unsigned, &officer), 1);
    assert_eq!(
        report.signatures[0].signer.as_ref().unwrap().common_name,
        "Ủy ban nhân dân tỉnh Lào Cai"
    );
    let listing = run(std::process::Command::new("pkcs11-tool")
        .args([
            "--module",
            "/usr/lib/softhsm/libsofthsm2.so",
            "--token-label",
            "kyso-agency",
        ])
        .args([
            "--list-objects",
            "--type",
            "privkey",
            "--login",
            "--pin",
            &user_pin(&data),
        ])
        .env("SOFTHSM2_CONF", data.join("softhsm/softhsm2.conf")));
    let listed = stdout(&listing);
    assert!(
        listed.contains("label:      kyso-agency"),
        "{listed}{}",
        stderr(&listing)
    );
    assert!(
        listed.contains("sensitive") && !listed.contains(" extractable"),
        "{listed}"
    );

    // The audit log has the login, the remote signature and the reuse, and is intact.
    let output = run(kyso().args(["audit", "verify", "--data"]).arg(&data));
    assert!(output.status.success(), "{}", stderr(&output));
}

/// The embedded tokens' user PIN, from DATA/softhsm/pins.
fn user_pin(data: &Path) -> String {
    let pins = std::fs::read_to_string(data.join("softhsm/pins")).unwrap();
    pins.lines()
        .find_map(|line| line.strip_prefix("user-pin="))
        .unwrap()
        .to_owned()
}

#[test]
fn a_configured_pkcs11_agency_key_signs_and_a_wrong_pin_stops_the_start() {
    use kyso::sign::pkcs11::{import_key, init_token};
    let conf = crate::support::softhsm_conf();
    let module = "/usr/lib/softhsm/libsofthsm2.so";
    let token = "api-sign-agency";
    init_token(module, token, "87654321", "24681357").unwrap();
    let key = openssl::pkey::PKey::private_key_from_pem(
        &std::fs::read(repo_root().join("certs/signers/agency-ubnd-lao-cai.key.pem")).unwrap(),
    )
    .unwrap()
    .private_key_to_pkcs8()
    .unwrap();
    let chain = [
        pem_der("certs/signers/agency-ubnd-lao-cai.pem"),
        pem_der("certs/ca/government-ca.pem"),
    ];
    import_key(module, token, "24681357", "ubnd", b"ubnd", &key, &chain).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pin"), "24681357\n").unwrap();
    std::fs::write(dir.path().join("wrong-pin"), "11111111\n").unwrap();
    let agency = |pin: &str| {
        vec![
            "--agency-pkcs11-module".to_owned(),
            module.to_owned(),
            "--agency-token".to_owned(),
            token.to_owned(),
            "--agency-key".to_owned(),
            "ubnd".to_owned(),
            "--agency-pin-file".to_owned(),
            dir.path().join(pin).display().to_string(),
            "--no-remote-signing".to_owned(),
        ]
    };

    // A configured key that cannot be opened stops the start, in one line.
    let url = format!("http://127.0.0.1:{}", free_port());
    let output = run(kyso()
        .args([
            "serve",
            "--listen",
            url.trim_start_matches("http://"),
            "--data",
        ])
        .arg(dir.path().join("data"))
        .args(agency("wrong-pin"))
        .env("SOFTHSM2_CONF", conf.join("softhsm2.conf")));
    crate::support::assert_clean_error(&output, "agency key 'ubnd'");

    let url = format!("http://127.0.0.1:{}", free_port());
    let args = agency("pin");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start_with_env(
        &dir.path().join("data"),
        &url,
        &args,
        &[("SOFTHSM2_CONF", conf.join("softhsm2.conf"))],
    );
    let counter = server.token("counter", "Quầy", None);
    let officer = server.token("officer", "Cán bộ", None);
    let dossier = server.dossier(&counter, "001089012345");
    let document = server.result(&officer, &dossier)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = server.post(
        &format!("/api/documents/{document}/sign"),
        Some(&officer),
        json!({}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let report = assert_all_passed(&server.pdf(&document, &officer), 1);
    assert_eq!(
        report.signatures[0].signer.as_ref().unwrap().common_name,
        "Ủy ban nhân dân tỉnh Lào Cai"
    );
    // Remote signing is off here, so citizens cannot log in.
    let reply = server.post(
        "/api/login",
        None,
        json!({"cccd": SMS_CITIZEN, "password": PASSWORD}),
    );
    assert_eq!(reply.status, 503, "{reply:?}");
}
