//! Signing keys: PKCS#12 files and PKCS#11 tokens (SoftHSM2), the CMS they make, two-step
//! signing and the RFC 3161 time-stamping authority — judged by `openssl cms`, `openssl ts`
//! and `pkcs11-tool`, not only by kyso's own reader. Shared helpers live here.

mod cms;
mod pkcs11;
mod tsa;

use std::path::{Path, PathBuf};
use std::process::Command;

use kyso::sign::cms::SignedDataParams;
use kyso::sign::p12::Pkcs12Signer;
use kyso::sign::{DigestAlgorithm, SignatureScheme, Signer};

use crate::support::{repo_root, run, stderr, stdout};

pub const PASSWORD: &str = "kyso-test";
pub const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";
pub const ALL_DIGESTS: [DigestAlgorithm; 3] = [
    DigestAlgorithm::Sha256,
    DigestAlgorithm::Sha384,
    DigestAlgorithm::Sha512,
];

pub fn certs() -> PathBuf {
    repo_root().join("certs")
}

pub fn read(relative: &str) -> Vec<u8> {
    std::fs::read(certs().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

pub fn p12(slug: &str) -> Pkcs12Signer {
    Pkcs12Signer::from_pkcs12(&read(&format!("signers/{slug}.p12")), PASSWORD).unwrap()
}

pub fn pem_to_der(pem: &[u8]) -> Vec<Vec<u8>> {
    openssl::x509::X509::stack_from_pem(pem)
        .unwrap()
        .iter()
        .map(|c| c.to_der().unwrap())
        .collect()
}

pub fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
    run(Command::new("openssl").args(args).current_dir(dir))
}

/// `openssl cms -verify` on a detached CMS over `data`, trusting only `root`.
pub fn openssl_cms_verify(cms_der: &[u8], data: &[u8], root: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sig.der"), cms_der).unwrap();
    std::fs::write(dir.path().join("data.bin"), data).unwrap();
    let root = certs().join("trust").join(root);
    openssl(
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "sig.der",
            "-content",
            "data.bin",
            "-CAfile",
            root.to_str().unwrap(),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        dir.path(),
    )
}

pub fn assert_openssl_verifies(cms_der: &[u8], data: &[u8], root: &str, what: &str) {
    let output = openssl_cms_verify(cms_der, data, root);
    assert!(
        output.status.success() && stderr(&output).contains("Verification successful"),
        "{what}: openssl cms -verify failed: {}",
        stderr(&output)
    );
}

/// `openssl cms -cmsout -print`: OpenSSL's own reading of the structure.
pub fn openssl_print(cms_der: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sig.der"), cms_der).unwrap();
    let output = openssl(
        &[
            "cms", "-cmsout", "-print", "-inform", "DER", "-in", "sig.der", "-noout",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

pub fn sign_pades(
    signer: &dyn Signer,
    data: &[u8],
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
) -> Vec<u8> {
    let params = SignedDataParams::pades(
        signer.certificate_chain().to_vec(),
        digest,
        scheme,
        digest.digest(data),
    );
    kyso::sign::cms::sign_detached(&params, signer)
        .unwrap_or_else(|e| panic!("{scheme:?} {digest:?}: {e}"))
}
