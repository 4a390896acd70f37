//! Benchmark: issuing end-entity certificates with kyso's profile (the work behind
//! `kyso pki demo` and, later, citizen enrollment), side by side with Python `cryptography`
//! issuing the same profile in the same run. Key generation is outside the timed loop for both.
//!
//! Run: `cargo bench --bench pki_issue` (needs `.venv`, made by `make test`).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use kyso::pki::{
    CertificateRequest, Endpoints, Issuer, KeySpec, Role, SubjectKey, SubjectName, Validity,
};

const N: usize = 500;

fn main() {
    let endpoints = Endpoints::new("http://127.0.0.1:8080").expect("valid base URL");
    let validity = Validity {
        not_before: 1_767_225_600,
        not_after: 1_767_225_600 + 7300 * 86_400,
    };
    let ca_key = KeySpec::EcP256.generate().expect("CA key");
    let ca_subject = SubjectName {
        common_name: "Kyso Bench CA".into(),
        locality: Some("Hà Nội".into()),
        country: Some("VN".into()),
        ..SubjectName::default()
    };
    let ca = kyso::pki::profile::issue(&CertificateRequest {
        role: Role::IssuingCa,
        subject: &ca_subject,
        key: SubjectKey::Pair(&ca_key),
        validity,
        issuer: None,
        endpoints: &endpoints,
    })
    .expect("CA certificate");
    let subject = SubjectName {
        common_name: "Nguyễn Văn An".into(),
        locality: Some("Hà Nội".into()),
        country: Some("VN".into()),
        identities: vec!["CCCD:001089012345".parse().expect("identity")],
        ..SubjectName::default()
    };
    let keys: Vec<_> = (0..N)
        .map(|_| KeySpec::EcP256.generate().expect("leaf key"))
        .collect();

    let start = Instant::now();
    let mut bytes = 0;
    for key in &keys {
        let certificate = kyso::pki::profile::issue(&CertificateRequest {
            role: Role::Signer,
            subject: &subject,
            key: SubjectKey::Pair(key),
            validity,
            issuer: Some(Issuer {
                certificate: &ca,
                key: &ca_key,
                slug: "bench-ca",
            }),
            endpoints: &endpoints,
        })
        .expect("leaf certificate");
        bytes += certificate.to_der().expect("DER").len();
    }
    let ours = start.elapsed().as_secs_f64() / N as f64;
    println!(
        "kyso       issue P-256 leaf: {:>8.1} µs/cert ({N} certs, {} bytes DER each)",
        ours * 1e6,
        bytes / N
    );

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    let peer = Command::new(&python)
        .arg(root.join("benches/peers/issue_certs.py"))
        .arg(N.to_string())
        .output();
    match peer {
        Ok(output) if output.status.success() => {
            let theirs: f64 = String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse()
                .expect("the peer prints seconds per certificate");
            println!(
                "cryptography issue P-256 leaf: {:>8.1} µs/cert",
                theirs * 1e6
            );
            println!("ratio peer/kyso: {:.2}x", theirs / ours);
        }
        Ok(output) => {
            eprintln!("peer failed: {}", String::from_utf8_lossy(&output.stderr));
            std::process::exit(1);
        }
        Err(error) => {
            eprintln!(
                "peer not available ({}): {error}; run `make test` first",
                python.display()
            );
            std::process::exit(1);
        }
    }
}
