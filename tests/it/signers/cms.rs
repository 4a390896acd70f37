//! CMS from PKCS#12 keys of every kind and digest, PAdES attributes, and two-step signing,
//! judged by `openssl cms`.

use kyso::sign::cms::{self, EssCertificateCheck, SignatureAlgorithm, SignedDataParams};
use kyso::sign::external::{self, ExternalError};
use kyso::sign::p12::{Pkcs12Error, Pkcs12Signer};
use kyso::sign::{DigestAlgorithm, KeyKind, SignatureScheme, Signer};

use super::{
    ALL_DIGESTS, assert_openssl_verifies, certs, openssl, openssl_cms_verify, openssl_print, p12,
    read, sign_pades,
};
use crate::support::stderr;

#[test]
fn every_key_kind_and_digest_makes_cms_that_openssl_verifies() {
    let data = "Hồ sơ số 0042/2026 — bản số hóa".repeat(50).into_bytes();
    let government_ca = Pkcs12Signer::from_pem(
        &read("ca/government-ca.key.pem"),
        &read("ca/government-ca.pem"),
    )
    .unwrap();
    assert_eq!(government_ca.key_kind(), KeyKind::EcP384);
    let cases: Vec<(&str, Box<dyn Signer>, SignatureScheme, &str)> = vec![
        (
            "RSA-3072 PSS",
            Box::new(p12("officer-pham-minh-duc")),
            SignatureScheme::RsaPss,
            "government-root.pem",
        ),
        (
            "RSA-2048 v1.5",
            Box::new(p12("citizen-nguyen-van-an")),
            SignatureScheme::RsaPkcs1v15,
            "national-root.pem",
        ),
        (
            "ECDSA P-256",
            Box::new(p12("officer-do-thi-huong")),
            SignatureScheme::Ecdsa,
            "government-root.pem",
        ),
        (
            "ECDSA P-384",
            Box::new(government_ca),
            SignatureScheme::Ecdsa,
            "government-root.pem",
        ),
    ];
    for (name, signer, scheme, root) in &cases {
        for digest in ALL_DIGESTS {
            let what = format!("{name} {}", digest.name());
            let cms_der = sign_pades(signer.as_ref(), &data, digest, *scheme);
            assert_openssl_verifies(&cms_der, &data, root, &what);

            // Our reading agrees with what was asked for, and the ESS binding holds.
            let parsed = cms::parse(&cms_der).unwrap();
            assert_eq!(parsed.digest_algorithm, digest, "{what}");
            assert_eq!(
                parsed.signature_algorithm,
                SignatureAlgorithm::new(*scheme, digest)
            );
            assert_eq!(
                parsed.message_digest.as_deref(),
                Some(&digest.digest(&data)[..])
            );
            assert_eq!(
                parsed.signer_certificate.as_ref(),
                Some(&signer.certificate_chain()[0])
            );
            assert_eq!(parsed.encapsulated, None, "{what}: detached");
            assert_eq!(
                parsed.check_signing_certificate(),
                EssCertificateCheck::Matches { version: 2 }
            );
            parsed.verify_signature().unwrap();
            for certificate in signer.certificate_chain() {
                assert!(
                    parsed.certificates.contains(certificate),
                    "{what}: chain included"
                );
            }
        }
    }

    // The judge discriminates: other content does not verify.
    let cms_der = sign_pades(
        cases[0].1.as_ref(),
        &data,
        DigestAlgorithm::Sha256,
        SignatureScheme::RsaPss,
    );
    let mut tampered = data.clone();
    tampered[10] ^= 1;
    let output = openssl_cms_verify(&cms_der, &tampered, "government-root.pem");
    assert!(!output.status.success(), "tampered content verified");
    // A chain to the other root does not verify either.
    let output = openssl_cms_verify(&cms_der, &data, "national-root.pem");
    assert!(!output.status.success(), "wrong trust anchor verified");
}

#[test]
fn pades_attributes_are_as_etsi_asks_in_openssls_reading() {
    let signer = p12("officer-pham-minh-duc");
    let cms_der = sign_pades(
        &signer,
        b"byte ranges",
        DigestAlgorithm::Sha256,
        SignatureScheme::RsaPss,
    );
    let printed = openssl_print(&cms_der);
    for expected in [
        "contentType",
        "messageDigest",
        "id-smime-aa-signingCertificateV2",
        "rsassaPss",
        ":mgf1",
        "cont [ 2 ]",
        "INTEGER           :20",
    ] {
        assert!(
            printed.contains(expected),
            "{expected} missing in:\n{printed}"
        );
    }
    assert!(
        !printed.contains("signingTime"),
        "PAdES forbids signing-time"
    );
    // id-data, detached: SignedData version 1 and no eContent.
    assert!(printed.contains("eContentType: pkcs7-data"), "{printed}");
    assert!(printed.contains("eContent: <ABSENT>"), "{printed}");
}

#[test]
fn pkcs12_errors_are_clear_and_legacy_files_open() {
    let bytes = read("signers/officer-do-thi-huong.p12");
    let err = Pkcs12Signer::from_pkcs12(&bytes, "not-the-password").unwrap_err();
    assert!(matches!(err, Pkcs12Error::WrongPassword));
    assert_eq!(err.to_string(), "wrong password for the PKCS#12 file");

    // Older tools and CAs write RC2/3DES-encrypted files (`openssl pkcs12 -legacy`).
    let dir = tempfile::tempdir().unwrap();
    let output = openssl(
        &[
            "pkcs12",
            "-export",
            "-legacy",
            "-inkey",
            certs()
                .join("signers/citizen-nguyen-van-an.key.pem")
                .to_str()
                .unwrap(),
            "-in",
            certs()
                .join("signers/citizen-nguyen-van-an.chain.pem")
                .to_str()
                .unwrap(),
            "-passout",
            "pass:cu-2019",
            "-out",
            "legacy.p12",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let legacy = std::fs::read(dir.path().join("legacy.p12")).unwrap();
    let signer = Pkcs12Signer::from_pkcs12(&legacy, "cu-2019").unwrap();
    assert_eq!(
        signer.certificate_chain(),
        p12("citizen-nguyen-van-an").certificate_chain()
    );
    assert!(matches!(
        Pkcs12Signer::from_pkcs12(&legacy, "wrong"),
        Err(Pkcs12Error::WrongPassword)
    ));
}

#[test]
fn two_step_signing_accepts_only_matching_signatures() {
    let officer = p12("officer-pham-minh-duc");
    let data = b"ket qua giai quyet TTHC".repeat(10);
    let params = SignedDataParams::for_signer(
        &officer,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha384.digest(&data),
    );
    let prepared = external::prepare(&params).unwrap();
    assert_eq!(
        prepared.digest_to_be_signed,
        DigestAlgorithm::Sha384.digest(&prepared.data_to_be_signed)
    );

    // A server keeps it between the two requests.
    let stored = serde_json::to_string(&prepared).unwrap();
    let prepared: external::Prepared = serde_json::from_str(&stored).unwrap();

    // The officer's token signs the data to be signed.
    let signature = officer
        .sign(
            &prepared.data_to_be_signed,
            DigestAlgorithm::Sha384,
            SignatureScheme::RsaPss,
        )
        .unwrap();
    let cms_der = external::complete_with_signature(&prepared, &signature, &[]).unwrap();
    assert_openssl_verifies(&cms_der, &data, "government-root.pem", "two-step");

    // Another key's signature is refused, naming the certificate.
    let other = p12("agency-ubnd-lao-cai");
    let wrong = other
        .sign(
            &prepared.data_to_be_signed,
            DigestAlgorithm::Sha384,
            SignatureScheme::RsaPss,
        )
        .unwrap();
    let err = external::complete_with_signature(&prepared, &wrong, &[]).unwrap_err();
    assert!(
        matches!(err, ExternalError::SignatureMismatch { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("Phạm Minh Đức"), "{err}");
    // A chain for another signer is refused before any signature check.
    let err = external::complete_with_signature(&prepared, &signature, other.certificate_chain())
        .unwrap_err();
    assert!(
        matches!(err, ExternalError::CertificateMismatch { .. }),
        "{err:?}"
    );

    // A whole CMS from a remote service over the same content is accepted as it is...
    let remote = cms::sign_detached(&params, &officer).unwrap();
    assert_eq!(
        external::complete_with_cms(&prepared, &remote).unwrap(),
        remote
    );
    // ...but not over other content.
    let other_params = SignedDataParams::for_signer(
        &officer,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha384.digest(b"other"),
    );
    let remote = cms::sign_detached(&other_params, &officer).unwrap();
    let err = external::complete_with_cms(&prepared, &remote).unwrap_err();
    assert!(
        matches!(err, ExternalError::MessageDigestMismatch { .. }),
        "{err:?}"
    );
}

#[test]
fn two_step_ecdsa_accepts_raw_r_and_s() {
    let officer = p12("officer-do-thi-huong");
    let data = b"to ky so";
    let params = SignedDataParams::for_signer(
        &officer,
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha256.digest(data),
    );
    let prepared = external::prepare(&params).unwrap();
    let der_signature = officer
        .sign(
            &prepared.data_to_be_signed,
            DigestAlgorithm::Sha256,
            SignatureScheme::Ecdsa,
        )
        .unwrap();
    // What a PKCS#11 token or some CSC services return: r || s, 32 bytes each.
    let sig = openssl::ecdsa::EcdsaSig::from_der(&der_signature).unwrap();
    let raw = [
        sig.r().to_vec_padded(32).unwrap(),
        sig.s().to_vec_padded(32).unwrap(),
    ]
    .concat();
    let cms_der =
        external::complete_with_signature(&prepared, &raw, officer.certificate_chain()).unwrap();
    assert_openssl_verifies(&cms_der, data, "government-root.pem", "raw ECDSA");
}
