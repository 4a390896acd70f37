//! The CSC key store on SoftHSM2: keys generated inside the token sign precomputed hashes that
//! OpenSSL (the library and the `openssl pkeyutl` tool) verifies, stay sensitive, serve many
//! threads at once and fail clearly; and the embedded default token is created once and
//! found again.

use std::path::Path;
use std::process::Command;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, ObjectClass};
use kyso::sign::pkcs11::{self, HsmKeySpec, KeyStore, Pkcs11Error};
use kyso::sign::{DigestAlgorithm, KeyKind, SignatureScheme};
use openssl::pkey::{PKey, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Verifier};

use crate::support::{run, softhsm_conf, stderr, stdout};

const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";
const USER_PIN: &str = "hsm-user-2468";
const DIGESTS: [DigestAlgorithm; 3] = [
    DigestAlgorithm::Sha256,
    DigestAlgorithm::Sha384,
    DigestAlgorithm::Sha512,
];

/// A fresh token labelled `token` and a store on it.
fn store(token: &str, sessions: usize) -> KeyStore {
    softhsm_conf();
    pkcs11::init_token(SOFTHSM, token, "hsm-so-1357", USER_PIN).unwrap();
    KeyStore::open(Path::new(SOFTHSM), token, USER_PIN, sessions).unwrap()
}

fn public(spki: &[u8]) -> PKey<Public> {
    PKey::public_key_from_der(spki).expect("a DER SubjectPublicKeyInfo")
}

/// Hashes `message`, has the token sign the hash, and returns the signature.
fn sign(
    store: &KeyStore,
    id: &[u8],
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
    message: &[u8],
) -> Vec<u8> {
    store
        .sign_digest(id, digest, scheme, &digest.digest(message))
        .unwrap_or_else(|e| panic!("{digest:?} {scheme:?}: {e}"))
}

/// OpenSSL's verdict on `signature` over `message` (OpenSSL hashes the message itself).
fn openssl_accepts(
    key: &PKey<Public>,
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> bool {
    let mut verifier = Verifier::new(digest.message_digest(), key).unwrap();
    match scheme {
        SignatureScheme::RsaPss => {
            verifier.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
            // RFC 4055 §3.1: the salt is exactly as long as the hash, MGF1 uses the same hash.
            verifier
                .set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)
                .unwrap();
            verifier.set_rsa_mgf1_md(digest.message_digest()).unwrap();
        }
        SignatureScheme::RsaPkcs1v15 => verifier.set_rsa_padding(Padding::PKCS1).unwrap(),
        SignatureScheme::Ecdsa => {}
    }
    verifier.update(message).unwrap();
    verifier.verify(signature).unwrap_or(false)
}

/// `openssl pkeyutl -verify` over the hash, in another process: the output of a run.
fn pkeyutl_verify(
    spki: &[u8],
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
    hash: &[u8],
    signature: &[u8],
) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key.der"), spki).unwrap();
    std::fs::write(dir.path().join("hash.bin"), hash).unwrap();
    std::fs::write(dir.path().join("sig.bin"), signature).unwrap();
    let md = match digest {
        DigestAlgorithm::Sha256 => "digest:sha256",
        DigestAlgorithm::Sha384 => "digest:sha384",
        DigestAlgorithm::Sha512 => "digest:sha512",
    };
    let mut command = Command::new("openssl");
    command.current_dir(dir.path()).args([
        "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", "key.der", "-in", "hash.bin",
        "-sigfile", "sig.bin", "-pkeyopt", md,
    ]);
    match scheme {
        SignatureScheme::RsaPss => {
            command.args([
                "-pkeyopt",
                "rsa_padding_mode:pss",
                "-pkeyopt",
                "rsa_pss_saltlen:digest",
            ]);
        }
        SignatureScheme::RsaPkcs1v15 => {
            command.args(["-pkeyopt", "rsa_padding_mode:pkcs1"]);
        }
        SignatureScheme::Ecdsa => {}
    }
    run(&mut command)
}

/// A session of the test's own on the token, to ask it directly what it reveals.
fn raw_session(token: &str) -> cryptoki::session::Session {
    let context = Pkcs11::new(SOFTHSM).unwrap();
    // kyso initialized the module already; this handle shares that state.
    match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(())
        | Err(cryptoki::error::Error::Pkcs11(
            cryptoki::error::RvError::CryptokiAlreadyInitialized,
            _,
        )) => {}
        Err(e) => panic!("{e}"),
    }
    let slot = context
        .get_slots_with_token()
        .unwrap()
        .into_iter()
        .find(|s| context.get_token_info(*s).unwrap().label() == token)
        .unwrap();
    context.open_ro_session(slot).unwrap()
}

fn token_count(label: &str) -> usize {
    let session_context = Pkcs11::new(SOFTHSM).unwrap();
    let _ = session_context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    session_context
        .get_slots_with_token()
        .unwrap()
        .into_iter()
        .filter(|s| {
            session_context
                .get_token_info(*s)
                .is_ok_and(|i| i.label() == label)
        })
        .count()
}

#[test]
fn hsm_generated_keys_sign_hashes_that_openssl_verifies() {
    let store = store("hsm-sign", 2);
    let keys = [
        (HsmKeySpec::Rsa2048, b"rsa-2048".as_slice()),
        (HsmKeySpec::Rsa3072, b"rsa-3072".as_slice()),
        (HsmKeySpec::EcP256, b"ec-p256".as_slice()),
    ];
    for (spec, id) in keys {
        let spki = store
            .generate(&String::from_utf8_lossy(id), id, spec)
            .unwrap();
        let key = public(&spki);
        assert_eq!(KeyKind::of_key(&key), Some(spec.kind()), "{spec:?}");
        assert_eq!(store.key_kind(id).unwrap(), spec.kind());
        assert_eq!(store.public_key(id).unwrap(), spki, "{spec:?}");
        if let KeyKind::Rsa { .. } = spec.kind() {
            // F4, as asked of CKM_RSA_PKCS_KEY_PAIR_GEN.
            assert_eq!(key.rsa().unwrap().e().to_vec(), vec![1, 0, 1]);
        }

        let schemes: &[SignatureScheme] = match spec.kind() {
            KeyKind::Rsa { .. } => &[SignatureScheme::RsaPkcs1v15, SignatureScheme::RsaPss],
            _ => &[SignatureScheme::Ecdsa],
        };
        for &scheme in schemes {
            for digest in DIGESTS {
                let message = format!("hồ sơ {spec:?} {scheme:?} {digest:?}").into_bytes();
                let signature = sign(&store, id, digest, scheme, &message);
                assert!(
                    signature.len() <= spec.kind().max_signature_len(),
                    "{spec:?} {scheme:?}: {} bytes",
                    signature.len()
                );
                assert!(
                    openssl_accepts(&key, digest, scheme, &message, &signature),
                    "openssl rejects {spec:?} {scheme:?} {digest:?}"
                );
                // The verdict can fail: another message is refused.
                assert!(
                    !openssl_accepts(&key, digest, scheme, b"another dossier", &signature),
                    "{spec:?} {scheme:?} {digest:?} verifies for any message"
                );
                if scheme == SignatureScheme::RsaPss {
                    // PSS really is PSS, not PKCS#1 v1.5 under another name.
                    assert!(!openssl_accepts(
                        &key,
                        digest,
                        SignatureScheme::RsaPkcs1v15,
                        &message,
                        &signature
                    ));
                }
            }
            // The command-line tool, in another process, for one digest per scheme.
            let digest = DigestAlgorithm::Sha256;
            let hash = digest.digest(b"pkeyutl");
            let signature = store.sign_digest(id, digest, scheme, &hash).unwrap();
            let output = pkeyutl_verify(&spki, digest, scheme, &hash, &signature);
            assert!(
                output.status.success() && stdout(&output).contains("Verified Successfully"),
                "{spec:?} {scheme:?}: {}{}",
                stdout(&output),
                stderr(&output)
            );
            let other = digest.digest(b"something else");
            let output = pkeyutl_verify(&spki, digest, scheme, &other, &signature);
            assert!(!output.status.success(), "{spec:?} {scheme:?}");
        }
    }
}

#[test]
fn hsm_keys_are_sensitive_and_the_token_refuses_their_secrets() {
    let store = store("hsm-sensitive", 1);
    store
        .generate("citizen rsa", b"\x01", HsmKeySpec::Rsa2048)
        .unwrap();
    store
        .generate("citizen ec", b"\x02", HsmKeySpec::EcP256)
        .unwrap();
    let session = raw_session("hsm-sensitive");
    for (id, secrets) in [
        (
            b"\x01",
            &[
                AttributeType::PrivateExponent,
                AttributeType::Prime1,
                AttributeType::Prime2,
                AttributeType::Exponent1,
                AttributeType::Coefficient,
            ][..],
        ),
        (b"\x02", &[AttributeType::Value][..]),
    ] {
        let protection = store.protection(id).unwrap();
        assert!(
            protection.sensitive && !protection.extractable && !protection.always_authenticate,
            "{protection:?}"
        );
        let private = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Id(id.to_vec()),
            ])
            .unwrap();
        assert_eq!(private.len(), 1);
        let returned = session.get_attributes(private[0], secrets).unwrap();
        assert!(
            returned.is_empty(),
            "the token returned {:?}",
            returned
                .iter()
                .map(Attribute::attribute_type)
                .collect::<Vec<_>>()
        );
        let info = session.get_attribute_info(private[0], secrets).unwrap();
        assert!(
            info.iter().all(|i| matches!(i, AttributeInfo::Sensitive)),
            "{info:?}"
        );
        // Only signing: no decryption, unwrapping or derivation with a signature key.
        let usage = session
            .get_attributes(
                private[0],
                &[
                    AttributeType::Sign,
                    AttributeType::Decrypt,
                    AttributeType::Unwrap,
                    AttributeType::Derive,
                    AttributeType::Token,
                    AttributeType::Private,
                ],
            )
            .unwrap();
        for attribute in usage {
            match attribute {
                Attribute::Sign(v) | Attribute::Token(v) | Attribute::Private(v) => assert!(v),
                Attribute::Decrypt(v) | Attribute::Unwrap(v) | Attribute::Derive(v) => {
                    assert!(!v)
                }
                other => panic!("{other:?}"),
            }
        }
    }
    // The RSA public parts are readable, as they should be.
    let private = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Id(vec![1]),
        ])
        .unwrap();
    let modulus = session
        .get_attributes(private[0], &[AttributeType::Modulus])
        .unwrap();
    assert!(matches!(modulus.as_slice(), [Attribute::Modulus(n)] if n.len() == 256));
}

#[test]
fn hsm_signs_from_eight_threads_at_once() {
    let store = store("hsm-threads", 4);
    let rsa = public(
        &store
            .generate("threads rsa", b"rsa", HsmKeySpec::Rsa2048)
            .unwrap(),
    );
    let ec = public(
        &store
            .generate("threads ec", b"ec", HsmKeySpec::EcP256)
            .unwrap(),
    );
    let signatures: Vec<(usize, usize, Vec<u8>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|thread| {
                let store = &store;
                scope.spawn(move || {
                    (0..50)
                        .map(|i| {
                            let (id, scheme) = match (thread + i) % 3 {
                                0 => (b"rsa".as_slice(), SignatureScheme::RsaPss),
                                1 => (b"rsa".as_slice(), SignatureScheme::RsaPkcs1v15),
                                _ => (b"ec".as_slice(), SignatureScheme::Ecdsa),
                            };
                            let message = format!("thread {thread} signature {i}");
                            let signature = sign(
                                store,
                                id,
                                DigestAlgorithm::Sha256,
                                scheme,
                                message.as_bytes(),
                            );
                            (thread, i, signature)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert_eq!(signatures.len(), 400);
    for (thread, i, signature) in signatures {
        let (key, scheme) = match (thread + i) % 3 {
            0 => (&rsa, SignatureScheme::RsaPss),
            1 => (&rsa, SignatureScheme::RsaPkcs1v15),
            _ => (&ec, SignatureScheme::Ecdsa),
        };
        let message = format!("thread {thread} signature {i}");
        assert!(
            openssl_accepts(
                key,
                DigestAlgorithm::Sha256,
                scheme,
                message.as_bytes(),
                &signature
            ),
            "thread {thread} signature {i} ({scheme:?})"
        );
    }
}

#[test]
fn hsm_refuses_bad_requests_with_clear_errors() {
    let store = store("hsm-errors", 2);
    assert!(!format!("{store:?}").contains(USER_PIN));
    store
        .generate("citizen 001", b"\x00\x01", HsmKeySpec::Rsa2048)
        .unwrap();
    store
        .generate("citizen 002", b"\x00\x02", HsmKeySpec::EcP256)
        .unwrap();

    let err = store
        .sign_digest(
            b"\x00\x01",
            DigestAlgorithm::Sha256,
            SignatureScheme::RsaPss,
            &[0; 31],
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            Pkcs11Error::HashLength {
                expected: 32,
                actual: 31,
                ..
            }
        ),
        "{err:?}"
    );
    // A SHA-256 hash announced as SHA-384 is refused as well.
    let err = store
        .sign_digest(
            b"\x00\x01",
            DigestAlgorithm::Sha384,
            SignatureScheme::RsaPss,
            &[0; 32],
        )
        .unwrap_err();
    assert!(matches!(err, Pkcs11Error::HashLength { .. }), "{err:?}");

    let hash = DigestAlgorithm::Sha256.digest(b"x");
    let err = store
        .sign_digest(
            b"\xde\xad",
            DigestAlgorithm::Sha256,
            SignatureScheme::RsaPss,
            &hash,
        )
        .unwrap_err();
    assert!(matches!(err, Pkcs11Error::KeyNotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "no private key with CKA_ID dead on token 'hsm-errors'"
    );
    assert!(matches!(
        store.key_kind(b"\xde\xad"),
        Err(Pkcs11Error::KeyNotFound { .. })
    ));
    assert!(matches!(
        store.public_key(b"\xde\xad"),
        Err(Pkcs11Error::KeyNotFound { .. })
    ));

    for (label, id) in [
        ("citizen 001", b"\x09\x09".as_slice()),
        ("someone else", b"\x00\x01".as_slice()),
        ("someone else", b"\x00\x02".as_slice()),
    ] {
        let err = store.generate(label, id, HsmKeySpec::EcP256).unwrap_err();
        assert!(matches!(err, Pkcs11Error::LabelTaken { .. }), "{err:?}");
    }
    // The refused generations left nothing behind.
    assert!(matches!(
        store.key_kind(b"\x09\x09"),
        Err(Pkcs11Error::KeyNotFound { .. })
    ));

    for (id, scheme) in [
        (b"\x00\x01", SignatureScheme::Ecdsa),
        (b"\x00\x02", SignatureScheme::RsaPss),
        (b"\x00\x02", SignatureScheme::RsaPkcs1v15),
    ] {
        let err = store
            .sign_digest(id, DigestAlgorithm::Sha256, scheme, &hash)
            .unwrap_err();
        assert!(
            matches!(err, Pkcs11Error::SchemeMismatch { scheme: s, .. } if s == scheme),
            "{err:?}"
        );
    }

    let err = KeyStore::open(Path::new(SOFTHSM), "hsm-errors", "000000", 1).unwrap_err();
    assert!(matches!(err, Pkcs11Error::WrongPin { .. }), "{err:?}");
    let err = KeyStore::open(Path::new(SOFTHSM), "hsm-no-such-token", USER_PIN, 1).unwrap_err();
    assert!(matches!(err, Pkcs11Error::TokenNotFound { .. }), "{err:?}");
}

#[test]
fn hsm_delete_removes_both_keys_even_under_another_store_cache() {
    let store = store("hsm-delete", 1);
    let id = b"enrol-1";
    let first = public(&store.generate("enrol", id, HsmKeySpec::EcP256).unwrap());
    let hash = DigestAlgorithm::Sha256.digest(b"before");
    store
        .sign_digest(id, DigestAlgorithm::Sha256, SignatureScheme::Ecdsa, &hash)
        .unwrap();

    // A second store on the same token deletes the key the first one has cached.
    let other = KeyStore::open(Path::new(SOFTHSM), "hsm-delete", USER_PIN, 1).unwrap();
    other.delete(id).unwrap();
    let session = raw_session("hsm-delete");
    let left = session.find_objects(&[Attribute::Id(id.to_vec())]).unwrap();
    assert!(left.is_empty(), "{} objects left", left.len());
    let err = store
        .sign_digest(id, DigestAlgorithm::Sha256, SignatureScheme::Ecdsa, &hash)
        .unwrap_err();
    assert!(matches!(err, Pkcs11Error::KeyNotFound { .. }), "{err:?}");
    assert!(matches!(
        store.public_key(id),
        Err(Pkcs11Error::KeyNotFound { .. })
    ));
    assert!(matches!(
        store.delete(id),
        Err(Pkcs11Error::KeyNotFound { .. })
    ));

    // After a rollback the same enrollment can run again, and signs with the new key.
    let second = public(&other.generate("enrol", id, HsmKeySpec::EcP256).unwrap());
    assert!(!first.public_eq(&second));
    let signature = store
        .sign_digest(id, DigestAlgorithm::Sha256, SignatureScheme::Ecdsa, &hash)
        .unwrap();
    let message = b"before";
    assert!(openssl_accepts(
        &second,
        DigestAlgorithm::Sha256,
        SignatureScheme::Ecdsa,
        message,
        &signature
    ));
}

#[test]
fn embedded_token_is_created_once_and_reused_with_its_pin_file() {
    use std::os::unix::fs::PermissionsExt;
    let conf = softhsm_conf().join("softhsm2.conf");
    let dir = tempfile::tempdir().unwrap();
    let label = "kyso-csc-embedded-it";
    let token = pkcs11::prepare_embedded_token_labelled(dir.path(), label).unwrap();
    assert_eq!(token.token_label, label);
    assert!(token.module.exists());
    assert!(!format!("{token:?}").contains(&token.user_pin));
    // SOFTHSM2_CONF was already set: it stays as it was.
    assert_eq!(
        std::env::var_os("SOFTHSM2_CONF"),
        Some(conf.into_os_string())
    );

    let pins_path = dir.path().join("pins");
    let pins = std::fs::read_to_string(&pins_path).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&pins_path), 0o600);
    assert_eq!(mode(&dir.path().join("tokens")), 0o700);
    let lines: Vec<&str> = pins.lines().collect();
    assert_eq!(lines.len(), 2, "two PINs");
    for line in &lines {
        let (_, pin) = line.split_once('=').unwrap();
        assert_eq!(pin.len(), 16);
        assert!(pin.bytes().all(|b| b.is_ascii_digit()));
    }
    assert!(lines[1].ends_with(&token.user_pin));
    assert_ne!(lines[0].split_once('=').unwrap().1, token.user_pin);
    let conf_text = std::fs::read_to_string(dir.path().join("softhsm2.conf")).unwrap();
    assert!(conf_text.contains("directories.tokendir = "));
    assert!(conf_text.contains("objectstore.backend = file"));
    assert_eq!(token_count(label), 1);

    let store = KeyStore::open(&token.module, label, &token.user_pin, 1).unwrap();
    let spki = store.generate("demo", b"demo", HsmKeySpec::EcP256).unwrap();
    drop(store);

    // The second start finds the token and the PINs again, and the key is still there.
    let again = pkcs11::prepare_embedded_token_labelled(dir.path(), label).unwrap();
    assert_eq!(again.user_pin, token.user_pin);
    assert_eq!(std::fs::read_to_string(&pins_path).unwrap(), pins);
    assert_eq!(token_count(label), 1);
    let store = KeyStore::open(&again.module, label, &again.user_pin, 1).unwrap();
    assert_eq!(store.public_key(b"demo").unwrap(), spki);

    // A damaged PIN file is reported, never replaced by new PINs that would lock the token.
    std::fs::write(&pins_path, "so-pin=12\n").unwrap();
    let err = pkcs11::prepare_embedded_token_labelled(dir.path(), label).unwrap_err();
    assert!(matches!(err, Pkcs11Error::EmbeddedStore { .. }), "{err:?}");
    std::fs::remove_file(&pins_path).unwrap();
    let err = pkcs11::prepare_embedded_token_labelled(dir.path(), label).unwrap_err();
    assert!(
        matches!(err, Pkcs11Error::EmbeddedStore { .. }) && err.to_string().contains("missing"),
        "{err}"
    );
    assert!(!pins_path.exists());
}

/// A fresh machine: `kyso ca enroll` without SOFTHSM2_CONF keeps the embedded token in the
/// data folder (`softhsm/`), creates it once, and finds it again with the same PINs.
#[test]
fn embedded_token_without_softhsm2_conf_keeps_its_tokens_in_its_data_folder() {
    let data = tempfile::tempdir().unwrap();
    let secrets = tempfile::tempdir().unwrap();
    let pin = secrets.path().join("pin");
    let password = secrets.path().join("password");
    std::fs::write(&pin, "135790\n").unwrap();
    std::fs::write(&password, "mat-khau-may-moi\n").unwrap();
    let enroll = |cccd: &str| {
        let output = run(crate::support::kyso()
            .args(["ca", "enroll", "--cccd", cccd, "--name", "Phạm Văn Bình"])
            .args(["--phone", "0912345678", "--pin-file"])
            .arg(&pin)
            .arg("--password-file")
            .arg(&password)
            .arg("--pki")
            .arg(crate::support::repo_root().join("certs"))
            .arg("--data")
            .arg(data.path()));
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output).trim().to_owned()
    };
    let tokens = || {
        std::fs::read_dir(data.path().join("softhsm/tokens"))
            .unwrap()
            .flatten()
            .count()
    };
    let first = enroll("001099000001");
    assert!(first.starts_with("cred-"), "{first}");
    assert_eq!(tokens(), 1, "one token directory");
    let pins = std::fs::read(data.path().join("softhsm/pins")).unwrap();
    let second = enroll("001099000002");
    assert_ne!(first, second);
    assert_eq!(tokens(), 1, "the token was reused, not created again");
    assert_eq!(
        std::fs::read(data.path().join("softhsm/pins")).unwrap(),
        pins
    );
}
