//! The RFC 3161 time-stamping authority and client, judged by `openssl ts` both ways, and
//! the signature timestamp of PAdES B-T as an unsigned attribute.

use kyso::pki::tsa::{self, FailureInfo, TimeStampAuthority, TsaError};
use kyso::sign::cms::{self, CmsError, EssCertificateCheck, ID_AA_SIGNATURE_TIME_STAMP_TOKEN};
use kyso::sign::p12::Pkcs12Signer;
use kyso::sign::{DigestAlgorithm, SignatureScheme};

use super::{
    PASSWORD, assert_openssl_verifies, certs, openssl, openssl_print, p12, pem_to_der, read,
    sign_pades,
};
use crate::support::{stderr, stdout};

fn tsa() -> TimeStampAuthority {
    let signer = Pkcs12Signer::from_pkcs12(&read("services/tsa.p12"), PASSWORD).unwrap();
    TimeStampAuthority::new(
        Box::new(signer),
        const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1.1"),
    )
}

fn fixed_now() -> time::OffsetDateTime {
    time::macros::datetime!(2026-11-22 10:15:30 UTC)
}

#[test]
fn tsa_answers_openssl_requests_and_openssl_verifies_the_reply() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("file.pdf"),
        b"%PDF-1.7 a document to timestamp",
    )
    .unwrap();
    let output = openssl(
        &[
            "ts", "-query", "-data", "file.pdf", "-sha256", "-cert", "-out", "req.tsq",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let request = std::fs::read(dir.path().join("req.tsq")).unwrap();

    let response = tsa().respond(&request, fixed_now(), 0x1234_5678_9abc);
    std::fs::write(dir.path().join("resp.tsr"), &response).unwrap();

    let output = openssl(&["ts", "-reply", "-in", "resp.tsr", "-text"], dir.path());
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(text.contains("Status: Granted."), "{text}");
    assert!(text.contains("Policy OID: 1.3.6.1.4.1.99999.1.1"), "{text}");
    assert!(
        text.contains("Time stamp: Nov 22 10:15:30 2026 GMT"),
        "{text}"
    );
    assert!(text.contains("Serial number: 0x123456789ABC"), "{text}");
    assert!(text.contains("Accuracy: 0x01 seconds"), "{text}");
    assert!(
        text.contains("Kyso Test Time-Stamping Authority"),
        "TSA name: {text}"
    );

    let output = openssl(
        &[
            "ts",
            "-verify",
            "-in",
            "resp.tsr",
            "-queryfile",
            "req.tsq",
            "-CAfile",
            certs().join("trust/national-root.pem").to_str().unwrap(),
            "-untrusted",
            certs().join("ca/public-ca.pem").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(
        stdout(&output).contains("Verification: OK"),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );

    // Our own client accepts it for that request too.
    let token = tsa::token_from_response(&response, &request).unwrap();
    let info = tsa::tst_info(&token).unwrap();
    assert_eq!(info.gen_time, fixed_now());
    assert_eq!(info.serial, vec![0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc]);
    assert_eq!(
        info.imprint,
        DigestAlgorithm::Sha256.digest(b"%PDF-1.7 a document to timestamp")
    );
    assert_eq!(
        info.tsa_certificate,
        Some(pem_to_der(&read("services/tsa.pem")).remove(0))
    );
}

#[test]
fn tsa_client_accepts_tokens_from_openssls_tsa() {
    // An independent producer: `openssl ts -reply`, with ESS signing-certificate v1 (SHA-1)
    // and a genTime with milliseconds, both of which RFC 3161 allows.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("serial"), "0A\n").unwrap();
    std::fs::write(
        dir.path().join("tsa.cnf"),
        format!(
            "[tsa]\ndefault_tsa = tsa_config\n[tsa_config]\nserial = {serial}\n\
             crypto_device = builtin\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.5\n\
             digests = sha256, sha384, sha512\naccuracy = secs:1\nclock_precision_digits = 3\n\
             ess_cert_id_alg = sha1\n",
            serial = dir.path().join("serial").display()
        ),
    )
    .unwrap();
    let imprint = DigestAlgorithm::Sha384.digest(b"a signature value");
    let request = tsa::request(DigestAlgorithm::Sha384, &imprint, Some(0xfeed), true);
    std::fs::write(dir.path().join("req.tsq"), &request).unwrap();
    let output = openssl(
        &[
            "ts",
            "-reply",
            "-config",
            "tsa.cnf",
            "-queryfile",
            "req.tsq",
            "-signer",
            certs().join("services/tsa.pem").to_str().unwrap(),
            "-inkey",
            certs().join("services/tsa.key.pem").to_str().unwrap(),
            "-chain",
            certs().join("services/tsa.chain.pem").to_str().unwrap(),
            "-out",
            "resp.tsr",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let response = std::fs::read(dir.path().join("resp.tsr")).unwrap();

    let token = tsa::token_from_response(&response, &request).unwrap();
    let parsed = cms::parse(&token).unwrap();
    assert_eq!(
        parsed.check_signing_certificate(),
        EssCertificateCheck::Matches { version: 1 }
    );
    let info = tsa::tst_info(&token).unwrap();
    // OpenSSL increments the serial file before use.
    assert_eq!(info.serial, vec![0x0b]);
    assert_eq!(
        info.nonce,
        // INTEGER content octets: 0xfeed needs a leading zero to stay positive.
        Some(vec![0x00, 0xfe, 0xed])
    );
    assert_eq!(info.accuracy, Some(time::Duration::SECOND));
    let age = time::OffsetDateTime::now_utc() - info.gen_time;
    assert!(age.whole_seconds().abs() < 300, "genTime {}", info.gen_time);

    // The same reply does not fit another request.
    let other = tsa::request(DigestAlgorithm::Sha384, &imprint, Some(0xbeef), true);
    assert!(matches!(
        tsa::token_from_response(&response, &other),
        Err(TsaError::NonceMismatch)
    ));
}

#[test]
fn tsa_client_checks_what_comes_back() {
    let authority = tsa();
    let imprint = DigestAlgorithm::Sha512.digest(b"signature value");
    let request = tsa::request(DigestAlgorithm::Sha512, &imprint, Some(42), true);
    let response = authority.respond(&request, fixed_now(), 7);
    let token = tsa::token_from_response(&response, &request).unwrap();
    let info = tsa::verify_token(&token, DigestAlgorithm::Sha512, &imprint).unwrap();
    assert_eq!(info.nonce, Some(vec![42]));
    assert_eq!(info.policy, authority.policy());

    // Another request's answer is refused: different nonce, or different data.
    let other = tsa::request(DigestAlgorithm::Sha512, &imprint, Some(43), true);
    assert!(matches!(
        tsa::token_from_response(&response, &other),
        Err(TsaError::NonceMismatch)
    ));
    let other_imprint = DigestAlgorithm::Sha512.digest(b"other");
    let other = tsa::request(DigestAlgorithm::Sha512, &other_imprint, Some(42), true);
    assert!(matches!(
        tsa::token_from_response(&response, &other),
        Err(TsaError::ImprintMismatch)
    ));

    // Without certReq the token carries no certificate, so it cannot be checked alone.
    let bare = tsa::request(DigestAlgorithm::Sha256, &[7; 32], None, false);
    let response = authority.respond(&bare, fixed_now(), 8);
    let err = tsa::token_from_response(&response, &bare).unwrap_err();
    assert!(matches!(err, TsaError::NoTsaCertificate), "{err:?}");

    // A token signed by a certificate without the timeStamping usage is refused (RFC 3161
    // §2.3), even though its signature is fine.
    let impostor =
        TimeStampAuthority::new(Box::new(p12("citizen-nguyen-van-an")), authority.policy());
    let response = impostor.respond(&request, fixed_now(), 9);
    assert!(matches!(
        tsa::token_from_response(&response, &request),
        Err(TsaError::NotTimeStampingCertificate)
    ));
}

#[test]
fn tsa_rejects_bad_requests_without_panicking() {
    let authority = tsa();
    let dir = tempfile::tempdir().unwrap();
    let reject = |request: &[u8], expected: FailureInfo, name: &str| {
        let response = authority.respond(request, fixed_now(), 1);
        match tsa::token_from_response(
            &response,
            &tsa::request(DigestAlgorithm::Sha256, &[0; 32], None, true),
        ) {
            Err(TsaError::Rejected {
                status,
                failures,
                text,
            }) => {
                assert_eq!(status, 2, "{name}");
                assert_eq!(failures, vec![expected], "{name}");
                assert!(text.is_some(), "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
        std::fs::write(dir.path().join("rejected.tsr"), &response).unwrap();
        let output = openssl(
            &["ts", "-reply", "-in", "rejected.tsr", "-text"],
            dir.path(),
        );
        assert!(
            stdout(&output).contains("Status: Rejected."),
            "{name}: {}",
            stdout(&output)
        );
    };
    reject(b"", FailureInfo::BadDataFormat, "empty");
    reject(
        b"\x30\x82\xff\xff garbage",
        FailureInfo::BadDataFormat,
        "garbage",
    );
    reject(&[0x30; 4096], FailureInfo::BadDataFormat, "deep nesting");

    // SHA-1 is refused as an algorithm (openssl ts -query -sha1).
    std::fs::write(dir.path().join("file"), b"data").unwrap();
    let output = openssl(
        &["ts", "-query", "-data", "file", "-sha1", "-out", "sha1.tsq"],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    reject(
        &std::fs::read(dir.path().join("sha1.tsq")).unwrap(),
        FailureInfo::BadAlg,
        "sha1",
    );

    // An imprint of the wrong length for its algorithm.
    reject(
        &tsa::request(DigestAlgorithm::Sha256, &[1; 20], None, true),
        FailureInfo::BadDataFormat,
        "short imprint",
    );
}

#[test]
fn signature_timestamp_goes_into_unsigned_attributes_without_breaking_the_signature() {
    let signer = p12("officer-do-thi-huong");
    let data = b"PAdES B-T";
    let cms_der = sign_pades(
        &signer,
        data,
        DigestAlgorithm::Sha256,
        SignatureScheme::Ecdsa,
    );
    let before = cms::parse(&cms_der).unwrap();

    // RFC 3161 Appendix A: the timestamp covers the signature value.
    let signature = cms::signature_value(&cms_der).unwrap();
    assert_eq!(signature, before.signature);
    let imprint = DigestAlgorithm::Sha256.digest(&signature);
    let request = tsa::request(DigestAlgorithm::Sha256, &imprint, Some(99), true);
    let token =
        tsa::token_from_response(&tsa().respond(&request, fixed_now(), 2), &request).unwrap();

    let with_timestamp =
        cms::add_unsigned_attribute(&cms_der, ID_AA_SIGNATURE_TIME_STAMP_TOKEN, &token).unwrap();
    assert_openssl_verifies(
        &with_timestamp,
        data,
        "government-root.pem",
        "with timestamp",
    );
    let after = cms::parse(&with_timestamp).unwrap();
    assert_eq!(after.signed_attributes_der, before.signed_attributes_der);
    assert_eq!(after.certificates, before.certificates);
    let attribute = after
        .unsigned_attribute(ID_AA_SIGNATURE_TIME_STAMP_TOKEN)
        .unwrap();
    assert_eq!(attribute.values, vec![token.clone()]);
    assert!(openssl_print(&with_timestamp).contains("id-smime-aa-timeStampToken"));

    // A second attribute joins the same set.
    let twice =
        cms::add_unsigned_attribute(&with_timestamp, ID_AA_SIGNATURE_TIME_STAMP_TOKEN, &token)
            .unwrap();
    assert_eq!(cms::parse(&twice).unwrap().unsigned_attributes.len(), 2);
    assert!(matches!(
        cms::add_unsigned_attribute(b"junk", ID_AA_SIGNATURE_TIME_STAMP_TOKEN, &token),
        Err(CmsError::Der { .. })
    ));
}
