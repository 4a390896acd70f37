//! Fuzz target: `kyso::verify::verify_pdf` on arbitrary bytes, offline (no fetcher), with the
//! test PKI's two roots as trust anchors and a fixed validation time. Any input must give a
//! report or a `VerifyError`; panics, hangs and unbounded memory are the findings.

#![no_main]

use std::sync::OnceLock;

use kyso::verify::{VerifyOptions, verify_pdf};
use libfuzzer_sys::fuzz_target;

const ROOTS: [&[u8]; 2] = [
    include_bytes!("../../certs/trust/government-root.pem"),
    include_bytes!("../../certs/trust/national-root.pem"),
];

fn anchors() -> &'static Vec<Vec<u8>> {
    static DER: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    DER.get_or_init(|| {
        ROOTS
            .iter()
            .map(|pem| {
                openssl::x509::X509::from_pem(pem)
                    .and_then(|c| c.to_der())
                    .expect("committed root certificate")
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let options = VerifyOptions {
        trust_anchors: anchors().clone(),
        // Inside the test PKI's validity and the corpus files' DSS freshness window.
        now: time::macros::datetime!(2026-11-22 20:00 UTC),
        fetcher: None,
    };
    let _ = verify_pdf(data, &options);
});
