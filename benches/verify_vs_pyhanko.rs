//! Benchmark: verifying PAdES signatures, kyso in-process side by side with pyHanko in-process
//! (same files, same trust anchors, same run), and the floor: SHA-256 of the file. Inputs are
//! the scan PDFs of `sign_vs_pyhanko` (1 page and 10 pages, made by `kyso digitize`), signed
//! by `kyso sign` at B-LT (signature timestamp, then a DSS with the chain's OCSP responses and
//! CRLs), so that both tools validate offline from the file: kyso with no fetcher, pyHanko with
//! a ValidationContext read from the DSS, `allow_fetching=False`, hard-fail revocation. B-B
//! copies (no revocation data) are checked too, at face value: pyHanko soft-fail, kyso offline
//! (INDETERMINATE, same work up to the revocation check).
//!
//! kyso remembers the certificate signatures it has verified for the life of the process
//! (`pki::chain`), as a verifying service would; "warm" is the steady state, "cold" the first
//! verification in a fresh process (this binary re-run once per sample).
//!
//! Signing needs the test PKI's TSA, OCSP and CRLs: the bench starts
//! `kyso serve --listen 127.0.0.1:8080` (waiting while another process holds the port), signs,
//! and stops it before timing.
//!
//! Run: `cargo build --release && cargo bench --bench verify_vs_pyhanko` (needs `.venv`, made
//! by `make test`).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ROUNDS, kyso_bin, median, python_ms, root, scan_pdf, time};
use kyso::verify::{Indication, Report, VerifyOptions, verify_pdf};

const SIGNER: &str = "certs/signers/officer-pham-minh-duc.p12";
const ROOTS: [&str; 2] = [
    "certs/trust/government-root.pem",
    "certs/trust/national-root.pem",
];
/// Fresh processes for the cold measurement.
const COLD_ROUNDS: usize = 15;
const LISTEN: &str = "127.0.0.1:8080";
/// Set in the re-run child: the file to verify once, cold.
const COLD_ENV: &str = "KYSO_BENCH_VERIFY_COLD";

/// `kyso serve` with the test PKI, stopped (SIGTERM, then SIGKILL) when dropped, also when
/// the bench panics.
struct Server(Child);

impl Server {
    fn start(data: &Path) -> Server {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            if port_free() {
                let child = Command::new(kyso_bin())
                    .args(["serve", "--listen", LISTEN, "--data"])
                    .arg(data)
                    .arg("--pki")
                    .arg(root().join("certs"))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("kyso serve");
                let mut server = Server(child);
                if server.wait_healthy() {
                    return server;
                }
                // Lost the port to someone else in between; try again.
            }
            assert!(
                Instant::now() < deadline,
                "port 8080 stayed busy for 10 minutes"
            );
            eprintln!("port 8080 is in use by another process; waiting");
            std::thread::sleep(Duration::from_secs(5));
        }
    }

    fn wait_healthy(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.0.try_wait().ok().flatten().is_some() {
                return false;
            }
            if healthz() {
                // Ours, not a server that took the port in between: still running.
                std::thread::sleep(Duration::from_millis(200));
                return self.0.try_wait().ok().flatten().is_none();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.0.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether nothing listens on 127.0.0.1:8080 (or on all interfaces at 8080), per `ss`.
fn port_free() -> bool {
    let output = Command::new("ss").arg("-ltnH").output().expect("ss");
    !String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().nth(3))
        .any(|local| local.ends_with(":8080"))
}

fn healthz() -> bool {
    let Ok(mut stream) = TcpStream::connect(LISTEN) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b" 200")
}

/// `input` signed by `kyso sign` at `level` into `out`.
fn sign(input: &Path, level: &str, out: &Path, password: &Path) {
    let output = Command::new(kyso_bin())
        .arg("sign")
        .arg(input)
        .arg("-o")
        .arg(out)
        .arg("--p12")
        .arg(root().join(SIGNER))
        .arg("--password-file")
        .arg(password)
        .arg("--ca-certs")
        .arg(root().join("certs/trust"))
        .args(["--level", level])
        .args(if level == "b-b" {
            vec![]
        } else {
            vec!["--tsa", "http://127.0.0.1:8080/tsa"]
        })
        .env("KYSO_LOG", "error")
        .output()
        .expect("kyso sign");
    assert!(
        output.status.success(),
        "kyso sign --level {level}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn anchors() -> Vec<Vec<u8>> {
    ROOTS
        .iter()
        .map(|p| {
            let pem = std::fs::read(root().join(p)).expect("root");
            openssl::x509::X509::from_pem(&pem)
                .expect("pem")
                .to_der()
                .expect("der")
        })
        .collect()
}

fn kyso_verify(bytes: &[u8], anchors: &[Vec<u8>]) -> Report {
    let options = VerifyOptions {
        trust_anchors: anchors.to_vec(),
        now: time::OffsetDateTime::now_utc(),
        fetcher: None,
    };
    verify_pdf(bytes, &options).expect("the signed file can be evaluated")
}

/// Median of the first verification in `COLD_ROUNDS` fresh processes.
fn kyso_cold_ms(file: &Path) -> f64 {
    let exe = std::env::current_exe().expect("this bench");
    let samples = (0..COLD_ROUNDS)
        .map(|_| {
            let output = Command::new(&exe)
                .env(COLD_ENV, file)
                .output()
                .expect("re-run this bench");
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            Duration::from_secs_f64(
                String::from_utf8_lossy(&output.stdout)
                    .trim()
                    .parse::<f64>()
                    .expect("milliseconds")
                    / 1000.0,
            )
        })
        .collect();
    median(samples).as_secs_f64() * 1000.0
}

/// The child of [`kyso_cold_ms`]: read the file, verify it once, print milliseconds. With
/// `KYSO_BENCH_VERIFY_REPEAT=N` it then verifies N more times, warm, for a profiler
/// (`perf record` on this binary).
fn cold_child(file: &Path) {
    let bytes = std::fs::read(file).expect("input");
    let anchors = anchors();
    let start = Instant::now();
    let report = kyso_verify(&bytes, &anchors);
    let took = start.elapsed();
    std::hint::black_box(report);
    println!("{}", took.as_secs_f64() * 1000.0);
    let repeat = std::env::var("KYSO_BENCH_VERIFY_REPEAT").map_or(0, |n| n.parse().unwrap_or(0));
    for _ in 0..repeat {
        std::hint::black_box(kyso_verify(&bytes, &anchors));
    }
}

/// pyHanko's median time to read the file and validate its signature in-process, with a new
/// ValidationContext each time (from the DSS for B-LT; bare, soft-fail, for B-B). Fails
/// unless pyHanko's bottom line is what kyso says.
fn pyhanko_ms(file: &Path, long_term: bool) -> f64 {
    let script = r#"
import io, logging, statistics, sys, time
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext
logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
data = open(sys.argv[1], "rb").read()
long_term = sys.argv[2] == "1"
roots = [load_cert_from_pemder(p) for p in sys.argv[4:]]
def once():
    reader = PdfFileReader(io.BytesIO(data))
    emb = reader.embedded_signatures[0]
    if long_term:
        context = DocumentSecurityStore.read_dss(reader).as_validation_context(
            {"trust_roots": roots, "allow_fetching": False, "revocation_mode": "hard-fail"})
    else:
        context = ValidationContext(trust_roots=roots, allow_fetching=False,
                                    revocation_mode="soft-fail")
    status = validate_pdf_signature(emb, signer_validation_context=context)
    assert status.bottom_line, status.pretty_print_details()
once()
samples = []
for _ in range(int(sys.argv[3])):
    t = time.perf_counter(); once(); samples.append(time.perf_counter() - t)
print(statistics.median(samples) * 1000)
"#;
    let mut args = vec![
        file.as_os_str().to_owned(),
        (if long_term { "1" } else { "0" }).into(),
        ROUNDS.to_string().into(),
    ];
    args.extend(ROOTS.iter().map(|p| root().join(p).into_os_string()));
    python_ms(script, args)
}

fn main() {
    if let Some(file) = std::env::var_os(COLD_ENV) {
        cold_child(Path::new(&file));
        return;
    }
    // Sign fresh copies each run: the DSS's OCSP responses are only fresh for a while.
    let work = tempfile::tempdir().expect("temp dir");
    let password = work.path().join("password.txt");
    std::fs::write(&password, "kyso-test").expect("password file");
    let scans: Vec<(usize, PathBuf)> = [1, 10].into_iter().map(|p| (p, scan_pdf(p))).collect();
    let mut inputs = Vec::new();
    {
        let _server = Server::start(&work.path().join("serve"));
        for (pages, scan) in &scans {
            for level in ["b-lt", "b-b"] {
                let out = work.path().join(format!("scan-{pages}p-{level}.pdf"));
                sign(scan, level, &out, &password);
                inputs.push((*pages, level, out));
            }
        }
    } // the server stops here, before anything is timed

    let anchors = anchors();
    println!(
        "| input | level | size | kyso warm (ms) | kyso cold (ms) | pyHanko (ms) | floor (ms) | pyHanko / kyso warm | pyHanko / kyso cold |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (pages, level, file) in &inputs {
        let bytes = std::fs::read(file).expect("input");
        let long_term = *level == "b-lt";
        let report = kyso_verify(&bytes, &anchors);
        let indication = report.signatures.first().map(|s| s.indication);
        if long_term {
            assert!(report.all_passed(), "kyso does not pass {}", file.display());
        } else {
            // No revocation data in a B-B file and no fetching: kyso cannot confirm it.
            assert_eq!(indication, Some(Indication::Indeterminate), "{report:?}");
        }
        let warm = time(|| {
            std::hint::black_box(kyso_verify(&bytes, &anchors));
        });
        let floor = time(|| {
            std::hint::black_box(openssl::sha::sha256(&bytes));
        });
        let cold_ms = kyso_cold_ms(file);
        let pyhanko = pyhanko_ms(file, long_term);
        let warm_ms = warm.as_secs_f64() * 1000.0;
        let floor_ms = floor.as_secs_f64() * 1000.0;
        println!(
            "| {pages}-page scan | {} | {} KB | {warm_ms:.2} | {cold_ms:.2} | {pyhanko:.2} | {floor_ms:.2} | {:.1}× | {:.1}× |",
            level.to_uppercase(),
            bytes.len() / 1024,
            pyhanko / warm_ms,
            pyhanko / cold_ms,
        );
    }
}
