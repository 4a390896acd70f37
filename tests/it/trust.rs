//! Trust services over real HTTP on 127.0.0.1 (`kyso serve --pki certs`), judged by openssl:
//! `openssl ocsp` against our responder, `openssl crl` on our CRLs, `openssl x509` on our CA
//! certificates; and our OCSP client judged against `openssl ocsp`'s responder.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use kyso::net::HttpFetcher;
use kyso::pki::ocsp::{self, CertIdHash, CertificateStatus};
use kyso::pki::revocation::{self, FetchError, Fetcher};
use time::OffsetDateTime;

use crate::support::{kyso, repo_root, run, stderr, stdout};

/// `kyso serve` on a free port of 127.0.0.1 with the committed test PKI; stopped on drop.
struct TrustServer {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl TrustServer {
    fn start() -> TrustServer {
        let data = tempfile::tempdir().unwrap();
        let mut child = kyso()
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .arg("--pki")
            .arg(certs())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kyso serve starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let address = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(20))
                .expect("kyso serve logs its address within 20 s");
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.trim().to_owned();
            }
        };
        TrustServer {
            child,
            base: format!("http://{address}"),
            _data: data,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for TrustServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn certs() -> PathBuf {
    repo_root().join("certs")
}

fn pem_to_der(path: &Path) -> Vec<u8> {
    let pem = std::fs::read(path).unwrap();
    openssl::x509::X509::from_pem(&pem)
        .unwrap()
        .to_der()
        .unwrap()
}

fn openssl_ocsp(server: &TrustServer, issuer: &str, cert: &str, root: &str) -> String {
    let certs = certs();
    let output = run(Command::new("openssl")
        .arg("ocsp")
        .arg("-issuer")
        .arg(certs.join(issuer))
        .arg("-cert")
        .arg(certs.join(cert))
        .arg("-url")
        .arg(server.url("/ocsp"))
        .arg("-CAfile")
        .arg(certs.join(root))
        .arg("-resp_text"));
    assert!(output.status.success(), "{}", stderr(&output));
    format!("{}{}", stdout(&output), stderr(&output))
}

#[test]
fn openssl_ocsp_trusts_our_responder() {
    let server = TrustServer::start();
    let good = openssl_ocsp(
        &server,
        "ca/public-ca.pem",
        "signers/citizen-nguyen-van-an.pem",
        "trust/national-root.pem",
    );
    assert!(good.contains("Response verify OK"), "{good}");
    assert!(good.contains("citizen-nguyen-van-an.pem: good"), "{good}");
    // The nonce openssl sent came back.
    assert!(good.contains("OCSP Nonce"), "{good}");
    assert!(!good.contains("WARNING"), "{good}");

    let revoked = openssl_ocsp(
        &server,
        "ca/public-ca.pem",
        "signers/citizen-le-hoang-phuc.pem",
        "trust/national-root.pem",
    );
    assert!(revoked.contains("Response verify OK"), "{revoked}");
    assert!(
        revoked.contains("citizen-le-hoang-phuc.pem: revoked"),
        "{revoked}"
    );
    assert!(revoked.contains("Reason: keyCompromise"), "{revoked}");
    assert!(
        revoked.contains("Revocation Time: Nov 21 15:23:23 2026 GMT"),
        "{revoked}"
    );

    // The government hierarchy has its own responder (P-256 key under a P-384 CA).
    let officer = openssl_ocsp(
        &server,
        "ca/government-ca.pem",
        "signers/officer-pham-minh-duc.pem",
        "trust/government-root.pem",
    );
    assert!(officer.contains("Response verify OK"), "{officer}");
    assert!(
        officer.contains("officer-pham-minh-duc.pem: good"),
        "{officer}"
    );
}

#[test]
fn ocsp_by_get_is_accepted_by_openssl_and_garbage_is_no_server_error() {
    let server = TrustServer::start();
    let fetcher = HttpFetcher::new();
    let certs = certs();
    let leaf = pem_to_der(&certs.join("signers/citizen-le-hoang-phuc.pem"));
    let issuer = pem_to_der(&certs.join("ca/public-ca.pem"));
    let request = ocsp::request(&leaf, &issuer, CertIdHash::Sha256, None).unwrap();
    // RFC 6960 Appendix A.1: base64, then URL-encoded.
    let encoded = openssl::base64::encode_block(&request)
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let response = fetcher
        .get(&server.url(&format!("/ocsp/{encoded}")))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("response.der");
    std::fs::write(&file, &response).unwrap();
    let output = run(Command::new("openssl")
        .arg("ocsp")
        .arg("-respin")
        .arg(&file)
        .arg("-no_nonce")
        .arg("-sha256")
        .arg("-issuer")
        .arg(certs.join("ca/public-ca.pem"))
        .arg("-cert")
        .arg(certs.join("signers/citizen-le-hoang-phuc.pem"))
        .arg("-CAfile")
        .arg(certs.join("trust/national-root.pem")));
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(text.contains("Response verify OK"), "{text}");
    assert!(text.contains(": revoked"), "{text}");

    // Garbage: answered (malformedRequest), never a 5xx.
    for body in [
        &b"garbage"[..],
        b"",
        b"\x30\x80\x00\x00",
        &request[..request.len() / 2],
    ] {
        match fetcher.post(&server.url("/ocsp"), "application/ocsp-request", body) {
            Ok(answer) => assert_eq!(answer, [0x30, 0x03, 0x0a, 0x01, 0x01]),
            Err(FetchError::Status { status, .. }) => assert!(status < 500, "{status}"),
            Err(other) => panic!("{other}"),
        }
    }
    // A certificate of a CA without a responder here: unauthorized (RFC 6960 §2.3).
    let root_issued = pem_to_der(&certs.join("ca/public-ca.pem"));
    let root = pem_to_der(&certs.join("trust/national-root.pem"));
    let foreign = ocsp::request(&root_issued, &root, CertIdHash::Sha1, None).unwrap();
    let answer = fetcher
        .post(&server.url("/ocsp"), "application/ocsp-request", &foreign)
        .unwrap();
    assert_eq!(answer, [0x30, 0x03, 0x0a, 0x01, 0x06]);
}

#[test]
fn crls_and_ca_certificates_satisfy_openssl() {
    let server = TrustServer::start();
    let fetcher = HttpFetcher::new();
    let certs = certs();
    let dir = tempfile::tempdir().unwrap();
    for (ca, chain, revoked) in [
        (
            "public-ca",
            vec!["ca/public-ca.pem"],
            Some("1BC9CBB4745E00FBC8EF9818698324B0"),
        ),
        (
            "government-ca",
            vec!["ca/government-ca.pem", "trust/government-root.pem"],
            None,
        ),
        ("national-root", vec!["trust/national-root.pem"], None),
        ("government-root", vec!["trust/government-root.pem"], None),
    ] {
        let crl = fetcher.get(&server.url(&format!("/crl/{ca}.crl"))).unwrap();
        let crl_file = dir.path().join(format!("{ca}.crl"));
        std::fs::write(&crl_file, &crl).unwrap();
        let bundle = dir.path().join(format!("{ca}.bundle.pem"));
        let pems: Vec<u8> = chain
            .iter()
            .flat_map(|p| std::fs::read(certs.join(p)).unwrap())
            .collect();
        std::fs::write(&bundle, pems).unwrap();
        let output = run(Command::new("openssl")
            .args(["crl", "-inform", "DER", "-noout", "-text", "-in"])
            .arg(&crl_file)
            .arg("-CAfile")
            .arg(&bundle));
        let text = format!("{}{}", stdout(&output), stderr(&output));
        assert!(output.status.success(), "{ca}: {text}");
        assert!(text.contains("verify OK"), "{ca}: {text}");
        assert!(text.contains("X509v3 CRL Number"), "{ca}: {text}");
        assert!(text.contains("Authority Key Identifier"), "{ca}: {text}");
        match revoked {
            Some(serial) => {
                assert!(text.contains(&format!("Serial Number: {serial}")), "{text}");
                assert!(text.contains("Key Compromise"), "{text}");
            }
            None => assert!(text.contains("No Revoked Certificates"), "{ca}: {text}"),
        }

        let der = fetcher.get(&server.url(&format!("/ca/{ca}.cer"))).unwrap();
        let cer_file = dir.path().join(format!("{ca}.cer"));
        std::fs::write(&cer_file, &der).unwrap();
        let output = run(Command::new("openssl")
            .args([
                "x509",
                "-inform",
                "DER",
                "-noout",
                "-fingerprint",
                "-sha256",
                "-in",
            ])
            .arg(&cer_file));
        assert!(output.status.success(), "{}", stderr(&output));
        let expected = run(Command::new("openssl")
            .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
            .arg(certs.join(chain[0])));
        assert_eq!(stdout(&output), stdout(&expected));
    }
    for path in ["/crl/nowhere.crl", "/ca/nowhere.cer", "/crl/public-ca.pem"] {
        match fetcher.get(&server.url(path)) {
            Err(FetchError::Status { status: 404, .. }) => {}
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[test]
fn our_client_reads_answers_of_the_openssl_responder() {
    let certs = certs();
    let dir = tempfile::tempdir().unwrap();
    let issuer = pem_to_der(&certs.join("ca/public-ca.pem"));
    for (signer, expected_revoked) in [
        ("citizen-tran-thi-ngoc-anh", false),
        ("citizen-le-hoang-phuc", true),
    ] {
        let leaf = pem_to_der(&certs.join(format!("signers/{signer}.pem")));
        let request = ocsp::request(&leaf, &issuer, CertIdHash::Sha1, Some(b"kyso-nonce")).unwrap();
        let request_file = dir.path().join("request.der");
        let response_file = dir.path().join("response.der");
        std::fs::write(&request_file, &request).unwrap();
        let output = run(Command::new("openssl")
            .arg("ocsp")
            .arg("-index")
            .arg(certs.join("ca/public-ca.index.txt"))
            .arg("-rsigner")
            .arg(certs.join("services/public-ca-ocsp.pem"))
            .arg("-rkey")
            .arg(certs.join("services/public-ca-ocsp.key.pem"))
            .arg("-CA")
            .arg(certs.join("ca/public-ca.pem"))
            .arg("-reqin")
            .arg(&request_file)
            .arg("-respout")
            .arg(&response_file)
            .args(["-ndays", "1"]));
        assert!(output.status.success(), "{}", stderr(&output));
        let response = std::fs::read(&response_file).unwrap();
        let status =
            ocsp::parse_response(&response, &leaf, &issuer, OffsetDateTime::now_utc()).unwrap();
        assert_eq!(status.nonce.as_deref(), Some(&b"kyso-nonce"[..]));
        assert_eq!(
            status.responder,
            pem_to_der(&certs.join("services/public-ca-ocsp.pem"))
        );
        match status.status {
            CertificateStatus::Revoked(revocation) => {
                assert!(expected_revoked, "{signer}");
                assert_eq!(
                    revocation.reason,
                    Some(x509_cert::ext::pkix::CrlReason::KeyCompromise)
                );
            }
            CertificateStatus::Good => assert!(!expected_revoked, "{signer}"),
            CertificateStatus::Unknown => panic!("{signer}: unknown"),
        }
    }
}

/// The certificates point at 127.0.0.1:8080; the test server listens elsewhere.
struct Redirect<'a> {
    inner: HttpFetcher,
    base: &'a str,
}

impl Redirect<'_> {
    fn map(&self, url: &str) -> String {
        url.replace("http://127.0.0.1:8080", self.base)
    }
}

impl Fetcher for Redirect<'_> {
    fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        self.inner.get(&self.map(url))
    }

    fn post(&self, url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, FetchError> {
        self.inner.post(&self.map(url), content_type, body)
    }
}

#[test]
fn validation_data_is_collected_over_http() {
    let server = TrustServer::start();
    let fetcher = Redirect {
        inner: HttpFetcher::new(),
        base: &server.base,
    };
    let certs = certs();
    let chain: Vec<Vec<u8>> = [
        "signers/officer-do-thi-huong.pem",
        "ca/government-ca.pem",
        "trust/government-root.pem",
    ]
    .iter()
    .map(|p| pem_to_der(&certs.join(p)))
    .collect();
    let data =
        revocation::collect_validation_data(&chain, &fetcher, OffsetDateTime::now_utc()).unwrap();
    assert_eq!(data.ocsp_responses.len(), 1, "the officer by OCSP");
    assert_eq!(data.crls.len(), 1, "the government CA by the root's CRL");
    assert!(
        data.certificates
            .contains(&pem_to_der(&certs.join("services/government-ca-ocsp.pem")))
    );
    assert!(
        data.statuses
            .iter()
            .all(|s| s.status == CertificateStatus::Good),
        "{:?}",
        data.statuses
    );

    // The OCSP response stored for the DSS verifies with openssl on its own.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dss-ocsp.der");
    std::fs::write(&file, &data.ocsp_responses[0]).unwrap();
    let output = run(Command::new("openssl")
        .arg("ocsp")
        .arg("-respin")
        .arg(&file)
        .arg("-no_nonce")
        .arg("-issuer")
        .arg(certs.join("ca/government-ca.pem"))
        .arg("-cert")
        .arg(certs.join("signers/officer-do-thi-huong.pem"))
        .arg("-CAfile")
        .arg(certs.join("trust/government-root.pem")));
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(text.contains("Response verify OK"), "{text}");
    assert!(text.contains(": good"), "{text}");

    // The revoked citizen is reported revoked.
    let chain: Vec<Vec<u8>> = [
        "signers/citizen-le-hoang-phuc.pem",
        "ca/public-ca.pem",
        "trust/national-root.pem",
    ]
    .iter()
    .map(|p| pem_to_der(&certs.join(p)))
    .collect();
    let found =
        revocation::status(&chain[0], &chain[1], &fetcher, OffsetDateTime::now_utc()).unwrap();
    assert!(matches!(found.status, CertificateStatus::Revoked(_)));
    assert!(matches!(found.evidence, revocation::Evidence::Ocsp { .. }));
}

#[test]
fn openssl_ts_verifies_our_timestamp_tokens() {
    let server = TrustServer::start();
    let certs = certs();
    let dir = tempfile::tempdir().unwrap();
    let document = dir.path().join("ho-so.txt");
    std::fs::write(&document, "Hồ sơ số 001/2026\n").unwrap();
    let query = dir.path().join("query.tsq");
    let output = run(Command::new("openssl")
        .args(["ts", "-query", "-sha256", "-cert", "-data"])
        .arg(&document)
        .arg("-out")
        .arg(&query));
    assert!(output.status.success(), "{}", stderr(&output));
    let reply = HttpFetcher::new()
        .post_timestamp_query(&server.url("/tsa"), &std::fs::read(&query).unwrap())
        .unwrap();
    let reply_file = dir.path().join("reply.tsr");
    std::fs::write(&reply_file, &reply).unwrap();
    let output = run(Command::new("openssl")
        .args(["ts", "-verify", "-in"])
        .arg(&reply_file)
        .arg("-queryfile")
        .arg(&query)
        .arg("-CAfile")
        .arg(certs.join("trust/national-root.pem"))
        .arg("-untrusted")
        .arg(certs.join("ca/public-ca.pem")));
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(text.contains("Verification: OK"), "{text}");

    // Garbage is a rejection reply, not a server error.
    let reply = HttpFetcher::new()
        .post_timestamp_query(&server.url("/tsa"), b"not a query")
        .unwrap();
    std::fs::write(&reply_file, &reply).unwrap();
    let output = run(Command::new("openssl")
        .args(["ts", "-reply", "-text", "-in"])
        .arg(&reply_file));
    assert!(
        stdout(&output).contains("Status: Rejected"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn without_a_pki_folder_the_trust_routes_are_off() {
    let data = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let output = run(kyso()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .arg("--pki")
        .arg(empty.path()));
    crate::support::assert_clean_error(&output, "PKI folder");
}
