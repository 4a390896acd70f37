//! Keys on a PKCS#11 token (SoftHSM2): imported as sensitive and non-extractable, signing
//! CMS that `openssl cms` verifies, checked by `pkcs11-tool`, and clear errors.

use std::process::Command;

use kyso::sign::pkcs11::{self, Pkcs11Error, Pkcs11Signer};
use kyso::sign::{DigestAlgorithm, KeyKind, SignatureScheme, Signer};

use super::{ALL_DIGESTS, SOFTHSM, assert_openssl_verifies, p12, pem_to_der, read, sign_pades};
use crate::support::{run, softhsm_conf, stderr, stdout};

fn token_with(label: &str, slug_key: &str, chain_pem: &str) -> &'static str {
    softhsm_conf();
    pkcs11::init_token(SOFTHSM, label, "so-pin-1234", "123456").unwrap();
    let key = openssl::pkey::PKey::private_key_from_pem(&read(slug_key)).unwrap();
    let chain = pem_to_der(&read(chain_pem));
    pkcs11::import_key(
        SOFTHSM,
        label,
        "123456",
        "signing key",
        &[0x01, 0x02],
        &key.private_key_to_pkcs8().unwrap(),
        &chain,
    )
    .unwrap();
    "123456"
}

#[test]
fn pkcs11_rsa_key_signs_pss_and_v15_without_leaving_the_token() {
    let pin = token_with(
        "officer-rsa",
        "signers/officer-pham-minh-duc.key.pem",
        "signers/officer-pham-minh-duc.chain.pem",
    );
    let signer = Pkcs11Signer::open(SOFTHSM, "officer-rsa", "signing key", pin).unwrap();
    assert_eq!(signer.key_kind(), KeyKind::Rsa { bits: 3072 });
    assert_eq!(
        signer.certificate_chain(),
        p12("officer-pham-minh-duc").certificate_chain()
    );
    let protection = signer.key_protection().unwrap();
    assert!(
        protection.sensitive && !protection.extractable,
        "{protection:?}"
    );
    assert!(signer.key_is_protected());
    assert!(!format!("{signer:?}").contains(pin));

    let data = b"PKCS#11 RSA".repeat(100);
    for (digest, scheme) in [
        (DigestAlgorithm::Sha256, SignatureScheme::RsaPss),
        (DigestAlgorithm::Sha512, SignatureScheme::RsaPss),
        (DigestAlgorithm::Sha384, SignatureScheme::RsaPkcs1v15),
    ] {
        let cms_der = sign_pades(&signer, &data, digest, scheme);
        assert_openssl_verifies(
            &cms_der,
            &data,
            "government-root.pem",
            &format!("token {scheme:?} {digest:?}"),
        );
    }

    // pkcs11-tool, another process, sees a sensitive key that cannot be extracted.
    let output = run(Command::new("pkcs11-tool").args([
        "--module",
        SOFTHSM,
        "--token-label",
        "officer-rsa",
        "--login",
        "--pin",
        pin,
        "--list-objects",
        "--type",
        "privkey",
    ]));
    let listing = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    let field = |name: &str| -> Vec<String> {
        let line = listing
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {listing}"));
        line.split_once(':')
            .unwrap()
            .1
            .split(',')
            .map(|w| w.trim().to_owned())
            .collect()
    };
    let access = field("Access:");
    assert!(access.contains(&"sensitive".to_owned()), "{access:?}");
    assert!(!access.contains(&"extractable".to_owned()), "{access:?}");
    assert_eq!(field("Usage:"), vec!["sign".to_owned()]);
}

#[test]
fn pkcs11_ec_keys_sign_ecdsa() {
    let pin = token_with(
        "officer-ec",
        "signers/officer-do-thi-huong.key.pem",
        "signers/officer-do-thi-huong.chain.pem",
    );
    let signer = Pkcs11Signer::open(SOFTHSM, "officer-ec", "signing key", pin).unwrap();
    assert_eq!(signer.key_kind(), KeyKind::EcP256);
    assert!(signer.key_is_protected());
    for digest in ALL_DIGESTS {
        let cms_der = sign_pades(&signer, b"EC on a token", digest, SignatureScheme::Ecdsa);
        assert_openssl_verifies(
            &cms_der,
            b"EC on a token",
            "government-root.pem",
            &format!("token P-256 {digest:?}"),
        );
    }
    assert!(matches!(
        signer.sign(b"x", DigestAlgorithm::Sha256, SignatureScheme::RsaPss),
        Err(kyso::sign::SignerError::SchemeNotSupported { .. })
    ));

    let pin = token_with(
        "ca-p384",
        "ca/government-ca.key.pem",
        "ca/government-ca.pem",
    );
    let signer = Pkcs11Signer::open(SOFTHSM, "ca-p384", "signing key", pin).unwrap();
    assert_eq!(signer.key_kind(), KeyKind::EcP384);
    let cms_der = sign_pades(
        &signer,
        b"P-384",
        DigestAlgorithm::Sha384,
        SignatureScheme::Ecdsa,
    );
    assert_openssl_verifies(&cms_der, b"P-384", "government-root.pem", "token P-384");
}

#[test]
fn pkcs11_errors_say_what_is_wrong() {
    let pin = token_with(
        "officer-pin",
        "signers/citizen-nguyen-van-an.key.pem",
        "signers/citizen-nguyen-van-an.chain.pem",
    );
    let err = Pkcs11Signer::open(SOFTHSM, "officer-pin", "signing key", "654321").unwrap_err();
    assert!(matches!(err, Pkcs11Error::WrongPin { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("wrong PIN for token 'officer-pin'"),
        "{message}"
    );
    assert!(!message.contains("654321") && !format!("{err:?}").contains("654321"));

    let err = Pkcs11Signer::open(SOFTHSM, "no-such-token", "signing key", pin).unwrap_err();
    match &err {
        Pkcs11Error::TokenNotFound { available, .. } => {
            assert!(available.contains(&"officer-pin".to_owned()))
        }
        other => panic!("{other:?}"),
    }

    let err = Pkcs11Signer::open(SOFTHSM, "officer-pin", "missing key", pin).unwrap_err();
    match &err {
        Pkcs11Error::KeyNotFound { available, .. } => {
            assert_eq!(available, &vec!["signing key".to_owned()])
        }
        other => panic!("{other:?}"),
    }

    // Still usable with the right PIN, and a wrong PIN is still refused while logged in.
    let signer = Pkcs11Signer::open(SOFTHSM, "officer-pin", "signing key", pin).unwrap();
    let err = Pkcs11Signer::open(SOFTHSM, "officer-pin", "signing key", "000000").unwrap_err();
    assert!(matches!(err, Pkcs11Error::WrongPin { .. }), "{err:?}");
    let cms_der = sign_pades(
        &signer,
        b"ok",
        DigestAlgorithm::Sha256,
        SignatureScheme::RsaPss,
    );
    assert_openssl_verifies(&cms_der, b"ok", "national-root.pem", "after wrong PIN");

    // The same label twice is refused rather than making the key ambiguous.
    let key =
        openssl::pkey::PKey::private_key_from_pem(&read("signers/citizen-nguyen-van-an.key.pem"))
            .unwrap();
    let err = pkcs11::import_key(
        SOFTHSM,
        "officer-pin",
        pin,
        "signing key",
        &[9],
        &key.private_key_to_pkcs8().unwrap(),
        &[],
    )
    .unwrap_err();
    assert!(matches!(err, Pkcs11Error::LabelTaken { .. }), "{err:?}");
}
