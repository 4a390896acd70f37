//! The remote-signing service in process, with keys in a SoftHSM2 token: SCAL2 binding of the
//! SAD, TOTP replay refusal, lockout that survives a restart, ownership of credentials, and
//! signatures that openssl verifies against the issued certificate. The HTTP layer is tested
//! over real sockets in tests/py/test_csc.py.

use std::sync::Arc;

use kyso::csc::enroll::{self, CitizenCa, Enrolled, EnrolledCertificates, Enrollment, OtpChoice};
use kyso::csc::service::{Authorization, CscError, CscService, SignRequest};
use kyso::csc::{LockoutError, SadError, Secret, TotpParams, TotpSecret};
use kyso::pki::Endpoints;
use kyso::pki::ocsp::IssuedCertificates;
use kyso::sign::pkcs11::{self, HsmKeySpec, KeyStore};
use kyso::sign::{DigestAlgorithm, SignatureScheme};
use kyso::store::Store;
use kyso::store::audit::AuditLog;
use kyso::store::csc::CscDirectory;
use openssl::x509::X509;
use time::{Duration, OffsetDateTime};

use crate::support::{repo_root, softhsm_conf};

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const PIN: &str = "246810";
const PASSWORD: &str = "mat-khau-thu-nghiem";
const SHA256_OID: &str = "2.16.840.1.101.3.4.2.1";
const RSA_PKCS1: &str = "1.2.840.113549.1.1.1";

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    keys: Arc<KeyStore>,
    service: CscService,
    ca: CitizenCa,
}

fn fixture(token: &str) -> Fixture {
    softhsm_conf();
    pkcs11::init_token(MODULE, token, "so-pin-8642", "user-pin-9753").unwrap();
    let keys = Arc::new(KeyStore::open(MODULE.as_ref(), token, "user-pin-9753", 4).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let service = CscService::new(&store, keys.clone());
    let root = repo_root();
    let read = |p: &str| std::fs::read(root.join(p)).unwrap();
    let ca = CitizenCa {
        certificate: X509::from_pem(&read("certs/ca/public-ca.pem")).unwrap(),
        key: openssl::pkey::PKey::private_key_from_pem(&read("certs/ca/public-ca.key.pem"))
            .unwrap(),
        slug: "public-ca".into(),
        parents: vec![
            X509::from_pem(&read("certs/trust/national-root.pem"))
                .unwrap()
                .to_der()
                .unwrap(),
        ],
        endpoints: Endpoints::new("http://127.0.0.1:8080").unwrap(),
    };
    Fixture {
        _dir: dir,
        store,
        keys,
        service,
        ca,
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn enroll_one(f: &Fixture, cccd: &str, otp: OtpChoice, key: HsmKeySpec) -> Enrolled {
    enroll::enroll(
        &f.service,
        &f.ca,
        Enrollment {
            cccd: cccd.into(),
            name: "Trần Thị Ngọc Ánh".into(),
            otp,
            pin: Secret::new(PIN),
            password: Some(Secret::new(PASSWORD)),
            key,
        },
        "test",
        now(),
    )
    .unwrap()
}

fn sms() -> OtpChoice {
    OtpChoice::Delivered {
        address: "+84901234567".into(),
    }
}

/// Sends a code and reads it back from the outbox, as the citizen reads the SMS.
fn delivered_code(f: &Fixture, user: &str, credential: &str, at: OffsetDateTime) -> Secret {
    assert!(f.service.challenge(user, credential, at).unwrap());
    let messages = f.service.directory().outbox(Some(credential), 1).unwrap();
    let text = &messages[0].message;
    let start = text.find(": ").unwrap() + 2;
    Secret::new(&text[start..start + 6])
}

fn authorization(hashes: Vec<Vec<u8>>, pin: &str, otp: Secret) -> Authorization {
    Authorization {
        num_signatures: hashes.len() as u32,
        hashes,
        hash_algorithm: Some(SHA256_OID.parse().unwrap()),
        pin: Secret::new(pin),
        otp,
    }
}

fn sign_request(hashes: Vec<Vec<u8>>) -> SignRequest<'static> {
    SignRequest {
        hashes,
        hash_algorithm: Some(SHA256_OID),
        sign_algo: RSA_PKCS1,
        sign_algo_params: None,
    }
}

fn sha256(data: &[u8]) -> Vec<u8> {
    openssl::sha::sha256(data).to_vec()
}

#[test]
fn enrolled_key_signs_what_was_authorized_and_openssl_verifies_it() {
    let f = fixture("csc-svc-flow");
    let user = "001089012345";
    let enrolled = enroll_one(&f, user, sms(), HsmKeySpec::Rsa2048);
    assert!(enrolled.new_account && enrolled.totp_uri.is_none());
    let id = &enrolled.credential_id;

    let (token, _) = f
        .service
        .login(user, &Secret::new(PASSWORD), now())
        .unwrap();
    assert_eq!(f.service.authenticate(&token, now()).unwrap(), user);
    assert!(matches!(
        f.service.login(user, &Secret::new("wrong-password"), now()),
        Err(CscError::BadLogin)
    ));
    assert_eq!(f.service.list(user).unwrap(), vec![id.clone()]);

    let documents: Vec<Vec<u8>> = (0..3)
        .map(|i| sha256(format!("văn bản {i}").as_bytes()))
        .collect();
    let code = delivered_code(&f, user, id, now());
    let sad = f
        .service
        .authorize(user, id, authorization(documents.clone(), PIN, code), now())
        .unwrap();
    // Two signHash calls spend the three authorized hashes.
    let mut signatures = f
        .service
        .sign_hash(
            user,
            id,
            &sad.token,
            sign_request(documents[..2].to_vec()),
            now(),
        )
        .unwrap();
    signatures.extend(
        f.service
            .sign_hash(
                user,
                id,
                &sad.token,
                sign_request(documents[2..].to_vec()),
                now(),
            )
            .unwrap(),
    );
    assert!(matches!(
        f.service.sign_hash(
            user,
            id,
            &sad.token,
            sign_request(documents[..1].to_vec()),
            now()
        ),
        Err(CscError::Sad(SadError::Unknown))
    ));

    let info = f.service.info(user, id).unwrap();
    let leaf = X509::from_der(&info.certificates[0]).unwrap();
    let subject = format!("{:?}", leaf.subject_name());
    assert!(subject.contains("CCCD:001089012345"), "{subject}");
    assert!(
        X509::from_der(&info.certificates[1]).unwrap().issued(&leaf)
            == openssl::x509::X509VerifyResult::OK
    );
    let public = leaf.public_key().unwrap();
    for (i, signature) in signatures.iter().enumerate() {
        let mut verifier =
            openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &public).unwrap();
        verifier.update(format!("văn bản {i}").as_bytes()).unwrap();
        assert!(verifier.verify(signature).unwrap(), "signature {i}");
    }

    // The OCSP responder's view: the certificate is known and good.
    let ca_der = f.ca.certificate.to_der().unwrap();
    let serial = leaf.serial_number().to_bn().unwrap().to_vec();
    let entry = EnrolledCertificates(CscDirectory::new(&f.store))
        .entry(&ca_der, &serial)
        .expect("the enrolled certificate is in the CA's records");
    assert!(entry.revoked.is_none());
    assert!(
        EnrolledCertificates(CscDirectory::new(&f.store))
            .entry(&ca_der, &[1, 2, 3])
            .is_none()
    );

    // enroll, login, login_failed, otp_sent, authorize, sign, sign — all chained.
    let log = AuditLog::new(&f.store);
    assert_eq!(log.verify().unwrap(), 7);
}

#[test]
fn a_sad_is_bound_to_its_user_credential_hashes_and_lifetime() {
    let f = fixture("csc-svc-binding");
    let (alice, bob) = ("001089000001", "001089000002");
    let a1 = enroll_one(&f, alice, sms(), HsmKeySpec::Rsa2048).credential_id;
    let a2 = enroll_one(&f, alice, sms(), HsmKeySpec::EcP256).credential_id;
    let b1 = enroll_one(&f, bob, sms(), HsmKeySpec::Rsa2048).credential_id;
    let hash = sha256(b"to ky");
    let authorize = |credential: &str| {
        let code = delivered_code(&f, alice, credential, now());
        f.service
            .authorize(
                alice,
                credential,
                authorization(vec![hash.clone()], PIN, code),
                now(),
            )
            .unwrap()
    };

    let sad = authorize(&a1);
    // Another hash: refused, and the SAD still signs what it covers.
    let other = f.service.sign_hash(
        alice,
        &a1,
        &sad.token,
        sign_request(vec![sha256(b"khac")]),
        now(),
    );
    assert!(
        matches!(
            other,
            Err(CscError::Sad(SadError::HashNotAuthorized { index: 0 }))
        ),
        "{other:?}"
    );
    // Another user cannot even name Alice's credential; with their own, the SAD is not theirs.
    assert!(matches!(
        f.service.sign_hash(
            bob,
            &a1,
            &sad.token,
            sign_request(vec![hash.clone()]),
            now()
        ),
        Err(CscError::UnknownCredential)
    ));
    let stolen = f.service.sign_hash(
        bob,
        &b1,
        &sad.token,
        sign_request(vec![hash.clone()]),
        now(),
    );
    assert!(
        matches!(stolen, Err(CscError::Sad(SadError::OtherUser))),
        "{stolen:?}"
    );
    // A leaked SAD is revoked: Alice cannot use it any more either.
    assert!(matches!(
        f.service.sign_hash(
            alice,
            &a1,
            &sad.token,
            sign_request(vec![hash.clone()]),
            now()
        ),
        Err(CscError::Sad(SadError::Unknown))
    ));

    let sad = authorize(&a1);
    let ecdsa = SignRequest {
        hashes: vec![hash.clone()],
        hash_algorithm: Some(SHA256_OID),
        sign_algo: "1.2.840.10045.4.3.2",
        sign_algo_params: None,
    };
    let wrong_credential = f.service.sign_hash(alice, &a2, &sad.token, ecdsa, now());
    assert!(
        matches!(
            wrong_credential,
            Err(CscError::Sad(SadError::OtherCredential))
        ),
        "{wrong_credential:?}"
    );

    let sad = authorize(&a1);
    let later = now() + Duration::minutes(6);
    assert!(matches!(
        f.service.sign_hash(
            alice,
            &a1,
            &sad.token,
            sign_request(vec![hash.clone()]),
            later
        ),
        Err(CscError::Sad(SadError::Expired))
    ));

    // Alice cannot see or challenge Bob's credential.
    assert!(matches!(
        f.service.info(alice, &b1),
        Err(CscError::UnknownCredential)
    ));
    assert!(matches!(
        f.service.challenge(alice, &b1, now()),
        Err(CscError::UnknownCredential)
    ));
    assert_eq!(f.service.list(alice).unwrap(), vec![a1, a2]);
}

#[test]
fn totp_codes_work_once_and_five_failures_lock_until_an_admin_unlocks() {
    let f = fixture("csc-svc-lockout");
    let user = "001089000003";
    let enrolled = enroll_one(&f, user, OtpChoice::Totp, HsmKeySpec::Rsa2048);
    let id = enrolled.credential_id;
    let uri = enrolled.totp_uri.unwrap();
    let secret = uri
        .expose()
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let totp = TotpSecret::from_base32(secret).unwrap();
    let params = TotpParams::default();
    let hash = sha256(b"don de nghi");
    let at = now();
    let code = || totp.code_at(&params, at).unwrap();

    f.service
        .authorize(
            user,
            &id,
            authorization(vec![hash.clone()], PIN, code()),
            at,
        )
        .unwrap();
    // The same code again is a replay: refused and counted.
    let replay = f.service.authorize(
        user,
        &id,
        authorization(vec![hash.clone()], PIN, code()),
        at,
    );
    assert!(
        matches!(
            replay,
            Err(CscError::Lockout(LockoutError::Failed { remaining: 4 }))
        ),
        "{replay:?}"
    );

    // Three wrong PINs in parallel all count: 1 + 3 = 4 failures.
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                let wrong = f.service.authorize(
                    user,
                    &id,
                    authorization(vec![hash.clone()], "999999", code()),
                    at,
                );
                assert!(matches!(wrong, Err(CscError::Lockout(_))), "{wrong:?}");
            });
        }
    });
    let fifth = f.service.authorize(
        user,
        &id,
        authorization(vec![hash.clone()], "999999", code()),
        at,
    );
    assert!(
        matches!(fifth, Err(CscError::Lockout(LockoutError::Locked { .. }))),
        "{fifth:?}"
    );

    // Locked survives a restart (a new service on the same store), even for right factors.
    let restarted = CscService::new(&f.store, f.keys.clone());
    let next = at + Duration::seconds(30);
    let fresh = totp.code_at(&params, next).unwrap();
    let locked = restarted.authorize(
        user,
        &id,
        authorization(vec![hash.clone()], PIN, fresh),
        next,
    );
    assert!(
        matches!(locked, Err(CscError::Lockout(LockoutError::Locked { .. }))),
        "{locked:?}"
    );
    assert!(restarted.info(user, &id).unwrap().locked);

    restarted.unlock("admin", &id, next).unwrap();
    let fresh = totp.code_at(&params, next).unwrap();
    restarted
        .authorize(user, &id, authorization(vec![hash], PIN, fresh), next)
        .expect("unlocked");

    let actions: Vec<String> = {
        let log = AuditLog::new(&f.store);
        assert!(log.verify().unwrap() >= 9);
        let connection = rusqlite::Connection::open(f.store.path()).unwrap();
        let mut statement = connection
            .prepare("SELECT action FROM audit_log ORDER BY seq")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    for action in [
        "enroll",
        "authorize",
        "authorize_failed",
        "lockout",
        "unlock",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} not in {actions:?}"
        );
    }
    assert_eq!(actions.iter().filter(|a| *a == "lockout").count(), 1);
}

#[test]
fn enrolled_keys_are_sensitive_and_never_extractable() {
    let f = fixture("csc-svc-keys");
    enroll_one(&f, "001089000004", sms(), HsmKeySpec::EcP256);
    let row = {
        let directory = CscDirectory::new(&f.store);
        let id = directory.credential_ids("001089000004").unwrap().remove(0);
        directory.credential(&id).unwrap().unwrap()
    };
    let protection = f.keys.protection(&row.key_id).unwrap();
    assert!(
        protection.sensitive && !protection.extractable,
        "{protection:?}"
    );
    // The token signs with it all the same.
    let signature = f
        .keys
        .sign_digest(
            &row.key_id,
            DigestAlgorithm::Sha256,
            SignatureScheme::Ecdsa,
            &sha256(b"x"),
        )
        .unwrap();
    assert!(openssl::ecdsa::EcdsaSig::from_der(&signature).is_ok());
}

#[test]
fn enrollment_refuses_bad_input_and_leaves_nothing_behind() {
    let f = fixture("csc-svc-enroll");
    let attempt = |cccd: &str, pin: &str, password: Option<&str>, otp: OtpChoice| {
        enroll::enroll(
            &f.service,
            &f.ca,
            Enrollment {
                cccd: cccd.into(),
                name: "Lê Hoàng Phúc".into(),
                otp,
                pin: Secret::new(pin),
                password: password.map(Secret::new),
                key: HsmKeySpec::Rsa2048,
            },
            "test",
            now(),
        )
    };
    let bad = [
        attempt("12345", PIN, Some(PASSWORD), sms()),
        attempt("001089000005", "12ab56", Some(PASSWORD), sms()),
        attempt("001089000005", PIN, None, sms()),
        attempt("001089000005", PIN, Some("short"), sms()),
        attempt(
            "001089000005",
            PIN,
            Some(PASSWORD),
            OtpChoice::Delivered {
                address: "not an address".into(),
            },
        ),
    ];
    for (i, result) in bad.iter().enumerate() {
        let error = result.as_ref().expect_err("refused");
        let message = error.to_string();
        assert!(
            !message.contains(PIN) && !message.contains(PASSWORD),
            "{i}: {message}"
        );
    }
    assert!(
        CscDirectory::new(&f.store)
            .user("001089000005")
            .unwrap()
            .is_none()
    );
    assert_eq!(AuditLog::new(&f.store).verify().unwrap(), 0);
}

/// Counts the `sign` entries of the audit log.
fn sign_entries(store: &Store) -> usize {
    let connection = rusqlite::Connection::open(store.path()).unwrap();
    let count: i64 = connection
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'sign'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    count as usize
}

#[test]
fn hsm_threads_sign_and_signatures_come_out_only_with_their_audit_entry() {
    let f = fixture("csc-svc-threads");
    let user = "001089000031";
    let id = enroll_one(&f, user, sms(), HsmKeySpec::Rsa2048).credential_id;
    let service = Arc::new(
        CscService::new(&f.store, f.keys.clone())
            .with_hsm_threads(1000)
            .with_sad_lifetime(Duration::minutes(5)),
    );
    // At most one thread per session of the KeyStore (4 in the fixture).
    assert_eq!(service.hsm_threads().threads(), 4);

    let documents: Vec<Vec<u8>> = (0..12)
        .map(|i| sha256(format!("hồ sơ {i}").as_bytes()))
        .collect();
    // Codes live in the service that sent them.
    assert!(service.challenge(user, &id, now()).unwrap());
    let message = &service.directory().outbox(Some(&id), 1).unwrap()[0].message;
    let start = message.find(": ").unwrap() + 2;
    let code = Secret::new(&message[start..start + 6]);
    let sad = service
        .authorize(
            user,
            &id,
            authorization(documents.clone(), PIN, code),
            now(),
        )
        .unwrap()
        .token;
    let sad = Arc::new(sad);
    let (done, finished) = std::sync::mpsc::channel();
    for (i, document) in documents.iter().enumerate() {
        let (service, id, sad, done) = (service.clone(), id.clone(), sad.clone(), done.clone());
        let document = document.clone();
        service
            .clone()
            .hsm_threads()
            .submit(move || {
                let signed = service
                    .sign_unrecorded(user, &id, &sad, sign_request(vec![document]), now())
                    .unwrap();
                let thread = std::thread::current().name().map(str::to_owned);
                // Every third one is never recorded: its signature is never handed out.
                let handed = (i % 3 != 0).then(|| service.record_signature(signed).unwrap());
                done.send((i, thread, handed)).unwrap();
            })
            .unwrap();
    }
    let mut results: Vec<_> = (0..documents.len())
        .map(|_| {
            finished
                .recv_timeout(std::time::Duration::from_secs(60))
                .unwrap()
        })
        .collect();
    results.sort_by_key(|(i, _, _)| *i);
    assert!(results.iter().all(|(_, thread, _)| {
        thread
            .as_deref()
            .is_some_and(|t| t.starts_with("kyso-hsm-"))
    }));
    let handed: Vec<_> = results.iter().filter_map(|(_, _, h)| h.as_ref()).collect();
    assert_eq!(handed.len(), 8);
    assert!(
        handed
            .iter()
            .all(|signatures| signatures.len() == 1 && signatures[0].len() == 256)
    );
    assert_eq!(
        sign_entries(&f.store),
        8,
        "one entry per recorded signHash call"
    );
    assert!(AuditLog::new(&f.store).verify().unwrap() >= 8);
    // The SAD was spent by all twelve, recorded or not.
    assert!(matches!(
        service.sign_hash(
            user,
            &id,
            &sad,
            sign_request(documents[..1].to_vec()),
            now()
        ),
        Err(CscError::Sad(SadError::Unknown))
    ));
}
