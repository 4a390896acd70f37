//! Remote signing end to end: `kyso ca enroll` makes two citizens in a temporary data folder
//! (RSA with an authenticator app, ECDSA P-256 with delivered codes), `kyso serve` runs the
//! CSC API on 127.0.0.1, and kyso's CSC client signs a PDF through v2 (`kyso sign --csc`,
//! TOTP, RSASSA-PSS, B-T) and v1 (the library, a code read from the demo outbox);
//! `kyso::verify::verify_pdf` judges
//! both online against the test trust anchors in certs/trust/. B-LT is left out: the committed
//! CA certificates point at 127.0.0.1:8080, which the signing command cannot be redirected
//! from (the verifier here can).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use kyso::csc::client::{CscClient, CscClientError, CscSigner, CscVersion, OtpSource};
use kyso::csc::{Secret, TotpParams, TotpSecret};
use kyso::net::HttpFetcher;
use kyso::pki::revocation::{FetchError, Fetcher};
use kyso::sign::{self, KeyKind, PadesLevel, Services, SignOptions, Signer};
use kyso::verify::{self, Indication, VerifyOptions};
use time::OffsetDateTime;

use crate::support::{assert_clean_error, kyso, repo_root, run, stderr, stdout};

const PIN: &str = "580924";
const PASSWORD: &str = "mat-khau-thu-nghiem";
const AN: &str = "001099012345";
const BINH: &str = "079088004321";

/// `kyso` with the embedded SoftHSM2 token of the data folder, whatever the test process set.
fn kyso_here() -> Command {
    let mut command = kyso();
    command.env_remove("SOFTHSM2_CONF").stdin(Stdio::null());
    command
}

/// A port that was free a moment ago: enrollment writes the server's address into the
/// certificates (CRL, OCSP), so it must be known before the server starts.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(data: &Path, url: &str) -> Server {
    let mut child = kyso_here()
        .args([
            "serve",
            "--listen",
            url.trim_start_matches("http://"),
            "--data",
        ])
        .arg(data)
        .arg("--pki")
        .arg(repo_root().join("certs"))
        .args(["--public-url", url])
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
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("kyso serve did not start: {seen:?}"));
        if line.contains("remote signing ready") {
            break;
        }
        seen.push(line);
    }
    Server {
        child,
        url: url.to_owned(),
    }
}

/// Enrolls a citizen; returns the credential id and, for authenticator users, the TOTP
/// secret from the `otpauth://` URI.
fn enroll(
    dir: &Path,
    cccd: &str,
    name: &str,
    email: Option<&str>,
    key: &str,
    url: &str,
) -> (String, Option<TotpSecret>) {
    let mut command = kyso_here();
    command
        .args(["ca", "enroll", "--cccd", cccd, "--name", name, "--pin-file"])
        .arg(dir.join("pin"))
        .arg("--password-file")
        .arg(dir.join("password"))
        .arg("--data")
        .arg(dir.join("data"))
        .arg("--pki")
        .arg(repo_root().join("certs"))
        .args(["--public-url", url, "--key", key]);
    if let Some(email) = email {
        command.args(["--email", email]);
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

/// The newest delivered code of a credential, from the demo outbox.
struct Outbox {
    data: PathBuf,
    credential: String,
}

impl OtpSource for Outbox {
    fn otp(&self, delivered: bool) -> Result<Secret, CscClientError> {
        assert!(
            delivered,
            "a delivered code is asked for only after it was sent"
        );
        let output = run(kyso_here()
            .args([
                "ca",
                "outbox",
                "--limit",
                "1",
                "--credential",
                &self.credential,
            ])
            .arg("--data")
            .arg(&self.data));
        let text = stdout(&output);
        let code = text
            .split("Your signing OTP: ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("no code in the outbox: {text}"));
        Ok(Secret::new(code))
    }
}

/// The committed CA certificates point at 127.0.0.1:8080; the server listens elsewhere.
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

fn verify_online(pdf: &[u8], base: &str) -> verify::Report {
    let anchors = ["government-root.pem", "national-root.pem"]
        .iter()
        .map(|name| {
            let pem = std::fs::read(repo_root().join("certs/trust").join(name)).unwrap();
            openssl::x509::X509::from_pem(&pem)
                .unwrap()
                .to_der()
                .unwrap()
        })
        .collect();
    let fetcher = Redirect {
        inner: HttpFetcher::new(),
        base,
    };
    verify::verify_pdf(
        pdf,
        &VerifyOptions {
            trust_anchors: anchors,
            now: OffsetDateTime::now_utc(),
            fetcher: Some(&fetcher),
        },
    )
    .unwrap()
}

#[test]
fn citizens_sign_remotely_through_v2_and_v1() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("pin"), PIN).unwrap();
    std::fs::write(root.join("password"), PASSWORD).unwrap();
    let url = format!("http://127.0.0.1:{}", free_port());
    let (an, totp) = enroll(root, AN, "Nguyễn Văn An", None, "rsa-2048", &url);
    let totp = totp.expect("an authenticator user gets an otpauth:// URI");
    let (binh, none) = enroll(
        root,
        BINH,
        "Trần Thị Bình",
        Some("binh@example.vn"),
        "ec-p256",
        &url,
    );
    assert!(none.is_none());
    let server = start_server(&root.join("data"), &url);
    let input = repo_root().join("samples/ket-qua-quyet-dinh.pdf");

    // A wrong PIN is named in the citizen's language, in one line.
    std::fs::write(root.join("wrong-pin"), "000000").unwrap();
    let output = run(kyso_here()
        .arg("sign")
        .arg(&input)
        .arg("-o")
        .arg(root.join("never.pdf"))
        .args(["--csc", &server.url, "--user", BINH, "--otp", "123123"])
        .arg("--csc-password-file")
        .arg(root.join("password"))
        .arg("--pin-file")
        .arg(root.join("wrong-pin")));
    assert_clean_error(&output, "sai mã PIN hoặc mã OTP");

    // v2 through the command, TOTP, B-T with the server's TSA, RSASSA-PSS by default.
    let code = totp
        .code_at(&TotpParams::default(), OffsetDateTime::now_utc())
        .unwrap();
    let v2_pdf = root.join("v2.pdf");
    let output = run(kyso_here()
        .arg("sign")
        .arg(&input)
        .arg("-o")
        .arg(&v2_pdf)
        .args(["--csc", &server.url, "--user", AN, "--credential", &an])
        .args(["--otp", code.expose(), "--level", "b-t", "--stamp"])
        .args(["--tsa", &format!("{}/tsa", server.url)])
        .arg("--csc-password-file")
        .arg(root.join("password"))
        .arg("--pin-file")
        .arg(root.join("pin")));
    assert!(output.status.success(), "sign v2: {}", stderr(&output));
    let report = verify_online(&std::fs::read(&v2_pdf).unwrap(), &server.url);
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");

    // v1 through the library: the code is delivered and read back from the outbox.
    let mut client = CscClient::new(&server.url, CscVersion::V1).unwrap();
    client.login(BINH, &Secret::new(PASSWORD)).unwrap();
    let credential = client.choose_credential(None).unwrap();
    assert_eq!(credential, binh);
    let info = client.credential_info(&credential).unwrap();
    let outbox = Outbox {
        data: root.join("data"),
        credential: credential.clone(),
    };
    let signer = CscSigner::new(client, info, Secret::new(PIN), Box::new(outbox)).unwrap();
    assert_eq!(signer.key_kind(), KeyKind::EcP256);
    let original = std::fs::read(&input).unwrap();
    let mut options = SignOptions::new(OffsetDateTime::now_utc());
    options.level = PadesLevel::BB;
    let services = Services {
        tsa: None,
        revocation: None,
    };
    let signed = sign::sign_pdf(&original, &signer, &options, services).unwrap();
    assert!(signed.starts_with(&original));
    let report = verify_online(&signed, &server.url);
    assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
}
