//! Benchmark: PAdES B-B signing with a PKCS#12 key, kyso in-process side by side with pyHanko
//! in-process (same files, same key, same run), and the floor: SHA-256 of the file plus one
//! RSA signature with OpenSSL. Inputs are scan PDFs made by `kyso digitize` from a sample
//! JPEG: 1 page and 10 pages.
//!
//! Run: `cargo build --release && cargo bench --bench sign_vs_pyhanko` (needs `.venv`, made by
//! `make test`).

mod common;

use std::path::Path;

use common::{ROUNDS, python_ms, root, scan_pdf, time};

use kyso::sign::p12::Pkcs12Signer;
use kyso::sign::{DigestAlgorithm, Services, SignOptions, SignatureScheme, Signer};

const SIGNER: &str = "certs/signers/officer-pham-minh-duc.p12";

fn ca_certificates() -> Vec<Vec<u8>> {
    ["certs/trust/government-root.pem"]
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

fn pyhanko_ms(file: &Path) -> f64 {
    let script = r#"
import sys, time, io, statistics
from pyhanko.sign import signers
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
signer = signers.SimpleSigner.load_pkcs12(sys.argv[1], passphrase=b"kyso-test")
data = open(sys.argv[2], "rb").read()
meta = signers.PdfSignatureMetadata(field_name="Signature1", md_algorithm="sha256")
def once():
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), meta, signer=signer)
    return out.getbuffer().nbytes
once()
samples = []
for _ in range(int(sys.argv[3])):
    t = time.perf_counter(); once(); samples.append(time.perf_counter() - t)
print(statistics.median(samples) * 1000)
"#;
    python_ms(
        script,
        [
            root().join(SIGNER).into_os_string(),
            file.into(),
            ROUNDS.to_string().into(),
        ],
    )
}

fn main() {
    let der = std::fs::read(root().join(SIGNER)).expect("PKCS#12");
    let signer = Pkcs12Signer::from_pkcs12(&der, "kyso-test").expect("open PKCS#12");
    let mut options = SignOptions::new(time::OffsetDateTime::now_utc());
    options.extra_certificates = ca_certificates();
    println!(
        "| input | size | kyso (ms) | pyHanko (ms) | floor (ms) | pyHanko / kyso | kyso / floor |"
    );
    println!("|---|---|---|---|---|---|---|");
    for pages in [1, 10] {
        let file = scan_pdf(pages);
        let bytes = std::fs::read(&file).expect("input");
        let kyso = time(|| {
            let signed =
                kyso::sign::sign_pdf(&bytes, &signer, &options, Services::default()).expect("sign");
            std::hint::black_box(signed);
        });
        let floor = time(|| {
            let digest = DigestAlgorithm::Sha256.digest(&bytes);
            let value = signer
                .sign(&digest, DigestAlgorithm::Sha256, SignatureScheme::RsaPss)
                .expect("signature");
            std::hint::black_box(value);
        });
        let pyhanko = pyhanko_ms(&file);
        let kyso_ms = kyso.as_secs_f64() * 1000.0;
        let floor_ms = floor.as_secs_f64() * 1000.0;
        println!(
            "| {pages}-page scan | {} KB | {kyso_ms:.2} | {pyhanko:.2} | {floor_ms:.2} | {:.1}× | {:.2}× |",
            bytes.len() / 1024,
            pyhanko / kyso_ms,
            kyso_ms / floor_ms
        );
    }
}
