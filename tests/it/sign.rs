//! PAdES signing through the library, offline: the original stays an exact prefix, the
//! /ByteRange covers everything but the /Contents hex string, and `openssl cms -verify`
//! accepts the CMS over those bytes. Levels with network services are tested end to end in
//! tests/py/test_sign.py.

use std::process::Command;

use kyso::pdf::read::{Document, Object};
use kyso::sign::p12::Pkcs12Signer;
use kyso::sign::{self, DocMdpPermission, PadesLevel, Services, SignOptions};

use crate::support::repo_root;

fn signer(slug: &str) -> Pkcs12Signer {
    let der = std::fs::read(repo_root().join(format!("certs/signers/{slug}.p12"))).unwrap();
    Pkcs12Signer::from_pkcs12(&der, "kyso-test").unwrap()
}

/// Signing options at a fixed time, with the test roots to complete the chains (the
/// PKCS#12 files hold the leaf and its CA, not the root).
fn options() -> SignOptions<'static> {
    let mut options = SignOptions::new(now());
    for root in ["national-root", "government-root"] {
        let pem = std::fs::read(repo_root().join(format!("certs/trust/{root}.pem"))).unwrap();
        let cert = openssl::x509::X509::from_pem(&pem).unwrap();
        options.extra_certificates.push(cert.to_der().unwrap());
    }
    options
}

fn now() -> time::OffsetDateTime {
    time::macros::datetime!(2026-11-22 14:05:09 +07:00)
}

/// The /ByteRange and the raw /Contents of the newest signature dictionary.
fn signature_parts(bytes: &[u8]) -> ([usize; 4], Vec<u8>) {
    let document = Document::load(bytes).unwrap();
    let catalog = document.catalog().unwrap();
    let acroform = document.resolve(catalog.get("AcroForm").unwrap()).unwrap();
    let fields = document
        .resolve(acroform.as_dict().unwrap().get("Fields").unwrap())
        .unwrap();
    let last = fields.as_array().unwrap().last().unwrap().clone();
    let field = document.resolve(&last).unwrap();
    let value = document
        .resolve(field.as_dict().unwrap().get("V").unwrap())
        .unwrap();
    let dict = value.as_dict().unwrap();
    let range: Vec<usize> = dict
        .get("ByteRange")
        .and_then(Object::as_array)
        .unwrap()
        .iter()
        .map(|n| n.as_int().unwrap() as usize)
        .collect();
    let contents = dict.get("Contents").and_then(Object::as_string).unwrap();
    ([range[0], range[1], range[2], range[3]], contents.to_vec())
}

fn openssl_verifies(bytes: &[u8], range: [usize; 4], cms: &[u8], root: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut covered = bytes[range[0]..range[0] + range[1]].to_vec();
    covered.extend_from_slice(&bytes[range[2]..range[2] + range[3]]);
    // The DER length, not the last non-zero byte: a CMS may end in a zero byte.
    let end = match cms[1] {
        short if short < 0x80 => 2 + usize::from(short),
        long => {
            let count = usize::from(long & 0x7f);
            2 + count
                + cms[2..2 + count]
                    .iter()
                    .fold(0, |acc, &b| (acc << 8) | usize::from(b))
        }
    };
    std::fs::write(dir.path().join("data"), covered).unwrap();
    std::fs::write(dir.path().join("sig.der"), &cms[..end]).unwrap();
    let output = Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
        ])
        .arg("-in")
        .arg(dir.path().join("sig.der"))
        .arg("-content")
        .arg(dir.path().join("data"))
        .arg("-CAfile")
        .arg(repo_root().join(format!("certs/trust/{root}.pem")))
        .args(["-out", "/dev/null"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("Verification successful"), "{stderr}");
}

/// The error with its causes, as the command line prints it.
fn message(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn sample() -> Vec<u8> {
    std::fs::read(repo_root().join("samples/ket-qua-quyet-dinh.pdf")).unwrap()
}

#[test]
fn b_b_keeps_the_original_and_openssl_verifies_it() {
    let original = sample();
    for (slug, root) in [
        ("officer-pham-minh-duc", "government-root"),
        ("officer-do-thi-huong", "government-root"),
        ("citizen-nguyen-van-an", "national-root"),
    ] {
        let signed =
            sign::sign_pdf(&original, &signer(slug), &options(), Services::default()).unwrap();
        assert!(signed.starts_with(&original), "{slug}");
        let (range, cms) = signature_parts(&signed);
        assert_eq!(range[0], 0);
        assert_eq!(
            range[2] + range[3],
            signed.len(),
            "{slug}: the range ends at the file's end"
        );
        assert_eq!(signed[range[1]], b'<');
        assert_eq!(signed[range[2] - 1], b'>');
        assert_eq!((range[2] - range[1] - 2) / 2, cms.len());
        openssl_verifies(&signed, range, &cms, root);
    }
}

#[test]
fn second_signature_keeps_the_first_revision_intact() {
    let original = sample();
    let first = sign::sign_pdf(
        &original,
        &signer("officer-pham-minh-duc"),
        &options(),
        Services::default(),
    )
    .unwrap();
    let second = sign::sign_pdf(
        &first,
        &signer("officer-do-thi-huong"),
        &options(),
        Services::default(),
    )
    .unwrap();
    assert!(second.starts_with(&first));
    let document = Document::load(&second).unwrap();
    assert_eq!(
        document.revisions().len(),
        Document::load(&original).unwrap().revisions().len() + 2
    );
    let (range, cms) = signature_parts(&second);
    openssl_verifies(&second, range, &cms, "government-root");
}

#[test]
fn certification_must_be_the_first_signature() {
    let original = sample();
    let first = sign::sign_pdf(
        &original,
        &signer("officer-pham-minh-duc"),
        &options(),
        Services::default(),
    )
    .unwrap();
    let mut options = options();
    options.certify = Some(DocMdpPermission::NoChanges);
    let error = sign::sign_pdf(
        &first,
        &signer("agency-ubnd-lao-cai"),
        &options,
        Services::default(),
    )
    .unwrap_err();
    assert!(
        message(&error).contains("first signature"),
        "{}",
        message(&error)
    );
}

#[test]
fn expired_signer_is_refused_before_anything_is_signed() {
    let error = sign::sign_pdf(
        &sample(),
        &signer("officer-vu-quoc-khanh"),
        &options(),
        Services::default(),
    )
    .unwrap_err();
    assert!(message(&error).contains("expired"), "{}", message(&error));
}

#[test]
fn levels_above_b_b_need_a_time_stamper() {
    let mut options = options();
    options.level = PadesLevel::BT;
    let error = sign::sign_pdf(
        &sample(),
        &signer("officer-pham-minh-duc"),
        &options,
        Services::default(),
    )
    .unwrap_err();
    assert!(
        message(&error).contains("time-stamping"),
        "{}",
        message(&error)
    );
}

/// `kyso sign` with a key inside a SoftHSM2 token: the key is imported non-extractable
/// through the library, then the command signs with it; pdfsig and openssl judge the result.
#[test]
fn kyso_sign_with_a_pkcs11_key_is_valid_for_pdfsig_and_refuses_a_wrong_pin() {
    use kyso::sign::pkcs11;
    const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
    let conf = crate::support::softhsm_conf().join("softhsm2.conf");
    let token = "kyso-cli-officer";
    pkcs11::init_token(MODULE, token, "so-pin-2468", "user-pin-1357").unwrap();
    let root = repo_root();
    let key_pem = std::fs::read(root.join("certs/signers/officer-do-thi-huong.key.pem")).unwrap();
    let key = openssl::pkey::PKey::private_key_from_pem(&key_pem).unwrap();
    let pkcs8 = key.private_key_to_pkcs8().unwrap();
    let chain: Vec<Vec<u8>> = [
        "certs/signers/officer-do-thi-huong.pem",
        "certs/ca/government-ca.pem",
    ]
    .iter()
    .map(|path| {
        let pem = std::fs::read(root.join(path)).unwrap();
        openssl::x509::X509::from_pem(&pem)
            .unwrap()
            .to_der()
            .unwrap()
    })
    .collect();
    pkcs11::import_key(
        MODULE,
        token,
        "user-pin-1357",
        "officer",
        b"\x01",
        &pkcs8,
        &chain,
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let pin = dir.path().join("pin.txt");
    let out = dir.path().join("signed.pdf");
    let sign = |pin_text: &str| {
        std::fs::write(&pin, format!("{pin_text}\n")).unwrap();
        crate::support::kyso()
            .env("SOFTHSM2_CONF", &conf)
            .arg("sign")
            .arg(root.join("samples/ket-qua-quyet-dinh.pdf"))
            .arg("-o")
            .arg(&out)
            .args([
                "--pkcs11-module",
                MODULE,
                "--token",
                token,
                "--key",
                "officer",
            ])
            .arg("--pin-file")
            .arg(&pin)
            .arg("--ca-certs")
            .arg(root.join("certs/trust"))
            .output()
            .unwrap()
    };

    let wrong = sign("0000");
    crate::support::assert_clean_error(&wrong, "PIN");
    assert!(!String::from_utf8_lossy(&wrong.stderr).contains("0000"));
    assert!(!out.exists());

    let good = sign("user-pin-1357");
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let signed = std::fs::read(&out).unwrap();
    assert!(signed.starts_with(&sample()));
    let pdfsig = Command::new("pdfsig").arg(&out).output().unwrap();
    let report = String::from_utf8_lossy(&pdfsig.stdout);
    assert!(report.contains("Signature is Valid"), "{report}");
    assert!(report.contains("Đỗ Thị Hương"), "{report}");
    let (range, cms) = signature_parts(&signed);
    openssl_verifies(&signed, range, &cms, "government-root");
}
