//! Algorithm strength in the verifier (ETSI EN 319 102-1 §5.2.8, §5.6.2.5): a signature whose
//! signer's or TSA's key is below the required size is INDETERMINATE /
//! CRYPTO_CONSTRAINTS_FAILURE_NO_POE unless a trusted timestamp dates it before the key
//! size's sunset. The RSA-1024 keys are made here, at test time, in a throwaway hierarchy
//! (certs/ keeps the project's committed test keys and is not touched); signatures are made
//! with kyso's own CMS and PAdES code and judged by the library at a fixed time.

use openssl::asn1::{Asn1Object, Asn1OctetString, Asn1Time};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::RsaPssSaltlen;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Extension, X509NameBuilder};
use time::OffsetDateTime;
use time::macros::datetime;

use kyso::pki::tsa::{self, TimeStampAuthority};
use kyso::sign::baseline::document_timestamp;
use kyso::sign::{
    DigestAlgorithm, KeyKind, PadesLevel, ServiceError, Services, SignOptions, SignatureScheme,
    Signer, SignerError, TimeStamper, sign_pdf,
};
use kyso::verify::{
    AlgorithmUse, Finding, Indication, SignatureKind, SignatureReport, SubIndication,
    VerifyOptions, verify_pdf,
};

use crate::support::repo_root;

/// When the verifier runs: long after RSA-1024 (2009) and RSA-1536..2047 (2016) went weak.
const NOW: OffsetDateTime = datetime!(2026-11-23 00:00 UTC);
/// A time before RSA-1024's sunset, for a timestamp that proves the signature came then.
const BEFORE_SUNSET: OffsetDateTime = datetime!(2008-06-01 10:00 UTC);

/// A key and its certificate.
struct Holder {
    key: PKey<Private>,
    certificate: X509,
}

/// What a certificate is for.
enum Role {
    Root,
    Signer,
    TimeStamping,
}

fn asn1_time(at: OffsetDateTime) -> Asn1Time {
    Asn1Time::from_unix(at.unix_timestamp()).unwrap()
}

/// A certificate for a new RSA key of `bits`, issued by `issuer` (self-signed when `None`),
/// valid 2007–2040. Signers and the TSA carry id-pkix-ocsp-nocheck so that the test needs no
/// revocation service: kyso skips the revocation check for such certificates (RFC 6960
/// §4.2.2.2.1), and what is under test here is the key size alone.
fn issue(name: &str, bits: u32, role: Role, issuer: Option<&Holder>, serial: u32) -> Holder {
    let key = PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap();
    let mut subject = X509NameBuilder::new().unwrap();
    subject.append_entry_by_text("CN", name).unwrap();
    subject
        .append_entry_by_text("O", "Kyso crypto test")
        .unwrap();
    let subject = subject.build();
    let mut builder = X509::builder().unwrap();
    builder.set_version(2).unwrap();
    builder
        .set_serial_number(&BigNum::from_u32(serial).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    builder.set_subject_name(&subject).unwrap();
    builder
        .set_issuer_name(issuer.map_or(&subject, |i| i.certificate.subject_name()))
        .unwrap();
    builder.set_pubkey(&key).unwrap();
    builder
        .set_not_before(&asn1_time(datetime!(2007-01-01 00:00 UTC)))
        .unwrap();
    builder
        .set_not_after(&asn1_time(datetime!(2040-01-01 00:00 UTC)))
        .unwrap();
    let context = builder.x509v3_context(issuer.map(|i| i.certificate.as_ref()), None);
    let ski = SubjectKeyIdentifier::new().build(&context).unwrap();
    let aki = issuer.map(|_| {
        AuthorityKeyIdentifier::new()
            .keyid(true)
            .build(&context)
            .unwrap()
    });
    builder.append_extension(ski).unwrap();
    if let Some(aki) = aki {
        builder.append_extension(aki).unwrap();
    }
    match role {
        Role::Root => {
            builder
                .append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            builder
                .append_extension(
                    KeyUsage::new()
                        .critical()
                        .key_cert_sign()
                        .crl_sign()
                        .build()
                        .unwrap(),
                )
                .unwrap();
        }
        Role::Signer | Role::TimeStamping => {
            builder
                .append_extension(BasicConstraints::new().critical().build().unwrap())
                .unwrap();
            let mut usage = KeyUsage::new();
            usage.critical().digital_signature();
            if matches!(role, Role::Signer) {
                usage.non_repudiation();
            }
            builder.append_extension(usage.build().unwrap()).unwrap();
            if matches!(role, Role::TimeStamping) {
                builder
                    .append_extension(
                        ExtendedKeyUsage::new()
                            .critical()
                            .time_stamping()
                            .build()
                            .unwrap(),
                    )
                    .unwrap();
            }
            let no_check = X509Extension::new_from_der(
                &Asn1Object::from_str("1.3.6.1.5.5.7.48.1.5").unwrap(),
                false,
                &Asn1OctetString::new_from_bytes(&[0x05, 0x00]).unwrap(),
            )
            .unwrap();
            builder.append_extension(no_check).unwrap();
        }
    }
    let signing_key = issuer.map_or(&key, |i| &i.key);
    builder.sign(signing_key, MessageDigest::sha256()).unwrap();
    Holder {
        certificate: builder.build(),
        key,
    }
}

/// kyso's [`Signer`] over a test key of any size (the PKCS#12 signer refuses RSA under 2048
/// bits, as it should).
struct TestSigner {
    key: PKey<Private>,
    chain: Vec<Vec<u8>>,
}

impl TestSigner {
    fn new(holder: &Holder, root: &Holder) -> TestSigner {
        TestSigner {
            key: holder.key.clone(),
            chain: vec![
                holder.certificate.to_der().unwrap(),
                root.certificate.to_der().unwrap(),
            ],
        }
    }
}

impl Signer for TestSigner {
    fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn key_kind(&self) -> KeyKind {
        KeyKind::Rsa {
            bits: self.key.bits(),
        }
    }

    fn sign(
        &self,
        data: &[u8],
        digest: DigestAlgorithm,
        scheme: SignatureScheme,
    ) -> Result<Vec<u8>, SignerError> {
        let mut signer = openssl::sign::Signer::new(digest.message_digest(), &self.key).unwrap();
        if scheme == SignatureScheme::RsaPss {
            signer.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
            signer.set_rsa_mgf1_md(digest.message_digest()).unwrap();
            signer
                .set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)
                .unwrap();
        } else {
            signer.set_rsa_padding(Padding::PKCS1).unwrap();
        }
        signer.update(data).unwrap();
        Ok(signer.sign_to_vec().unwrap())
    }
}

/// A TSA answering at a fixed time.
struct FixedTimeTsa {
    authority: TimeStampAuthority,
    at: OffsetDateTime,
}

impl TimeStamper for FixedTimeTsa {
    fn timestamp(&self, digest: DigestAlgorithm, imprint: &[u8]) -> Result<Vec<u8>, ServiceError> {
        let request = tsa::request(digest, imprint, Some(7), true);
        let response = self.authority.respond(&request, self.at, 1);
        Ok(tsa::token_from_response(&response, &request).unwrap())
    }
}

struct Hierarchy {
    root: Holder,
}

impl Hierarchy {
    fn new() -> Hierarchy {
        Hierarchy {
            root: issue("Kyso Crypto Test Root", 2048, Role::Root, None, 1),
        }
    }

    fn signer(&self, bits: u32, serial: u32) -> TestSigner {
        let holder = issue(
            &format!("Signer RSA-{bits}"),
            bits,
            Role::Signer,
            Some(&self.root),
            serial,
        );
        TestSigner::new(&holder, &self.root)
    }

    fn tsa(&self, bits: u32, at: OffsetDateTime) -> FixedTimeTsa {
        let holder = issue(
            &format!("TSA RSA-{bits}"),
            bits,
            Role::TimeStamping,
            Some(&self.root),
            99,
        );
        let authority = TimeStampAuthority::new(
            Box::new(TestSigner::new(&holder, &self.root)),
            const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1"),
        );
        FixedTimeTsa { authority, at }
    }

    /// Signs the sample at `at` (B-T when a TSA is given).
    fn sign(&self, signer: &TestSigner, at: OffsetDateTime, tsa: Option<&FixedTimeTsa>) -> Vec<u8> {
        let original = std::fs::read(repo_root().join("samples/ket-qua-quyet-dinh.pdf")).unwrap();
        let mut options = SignOptions::new(at);
        options.scheme = Some(SignatureScheme::RsaPkcs1v15);
        if tsa.is_some() {
            options.level = PadesLevel::BT;
        }
        let services = Services {
            tsa: tsa.map(|t| t as &dyn TimeStamper),
            revocation: None,
        };
        sign_pdf(&original, signer, &options, services).unwrap()
    }

    /// Every verdict on `signed`, now, offline.
    fn verify(&self, signed: &[u8]) -> Vec<SignatureReport> {
        verify_pdf(
            signed,
            &VerifyOptions {
                trust_anchors: vec![self.root.certificate.to_der().unwrap()],
                now: NOW,
                fetcher: None,
            },
        )
        .unwrap()
        .signatures
    }

    /// Signs the sample at `at` (B-T when a TSA is given) and verifies it now, offline.
    fn sign_and_verify(
        &self,
        signer: &TestSigner,
        at: OffsetDateTime,
        tsa: Option<&FixedTimeTsa>,
    ) -> SignatureReport {
        let mut reports = self.verify(&self.sign(signer, at, tsa));
        assert_eq!(reports.len(), 1);
        reports.remove(0)
    }
}

fn verdict(report: &SignatureReport) -> (Indication, Option<SubIndication>) {
    (report.indication, report.sub_indication)
}

fn weak_finding(report: &SignatureReport) -> Option<(AlgorithmUse, String)> {
    report.findings.iter().find_map(|f| match f {
        Finding::WeakAlgorithm {
            used_for,
            algorithm,
            ..
        } => Some((*used_for, algorithm.clone())),
        _ => None,
    })
}

#[test]
fn an_rsa_1024_signer_is_indeterminate_without_proof_of_existence() {
    let pki = Hierarchy::new();
    let weak = pki.sign_and_verify(&pki.signer(1024, 10), NOW, None);
    assert_eq!(
        verdict(&weak),
        (
            Indication::Indeterminate,
            Some(SubIndication::CryptoConstraintsFailureNoPoe)
        ),
        "{weak:?}"
    );
    assert_eq!(
        weak_finding(&weak),
        Some((AlgorithmUse::SignerKey, "RSA-1024".into()))
    );
    // The signature itself is sound: only its strength withholds the verdict.
    assert!(weak.intact && weak.valid && weak.trusted, "{weak:?}");

    // The same hierarchy with an RSA-2048 signer passes: the key size alone made the
    // difference.
    let strong = pki.sign_and_verify(&pki.signer(2048, 11), NOW, None);
    assert_eq!(
        verdict(&strong),
        (Indication::TotalPassed, None),
        "{strong:?}"
    );
    assert_eq!(weak_finding(&strong), None);
}

#[test]
fn a_timestamp_before_the_sunset_saves_an_rsa_1024_signature_and_a_later_one_does_not() {
    let pki = Hierarchy::new();
    let signer = pki.signer(1024, 20);
    let early = pki.sign_and_verify(&signer, BEFORE_SUNSET, Some(&pki.tsa(2048, BEFORE_SUNSET)));
    assert_eq!(
        verdict(&early),
        (Indication::TotalPassed, None),
        "{early:?}"
    );
    assert_eq!(
        early.timestamp.as_ref().map(|t| t.time),
        Some(BEFORE_SUNSET)
    );

    let late = pki.sign_and_verify(&signer, NOW, Some(&pki.tsa(2048, NOW)));
    assert_eq!(
        verdict(&late),
        (
            Indication::Indeterminate,
            Some(SubIndication::CryptoConstraintsFailureNoPoe)
        ),
        "{late:?}"
    );
    assert_eq!(
        weak_finding(&late),
        Some((AlgorithmUse::SignerKey, "RSA-1024".into()))
    );
}

#[test]
fn a_timestamp_by_an_rsa_1024_tsa_is_no_proof_of_existence() {
    let pki = Hierarchy::new();
    // A strong signer stamped by a weak TSA: the timestamp proves nothing, so the signature
    // is not B-T-valid, and the report says why.
    let stamped = pki.sign_and_verify(&pki.signer(2048, 30), NOW, Some(&pki.tsa(1024, NOW)));
    assert_eq!(
        verdict(&stamped),
        (
            Indication::Indeterminate,
            Some(SubIndication::CryptoConstraintsFailureNoPoe)
        ),
        "{stamped:?}"
    );
    assert_eq!(
        weak_finding(&stamped),
        Some((AlgorithmUse::TimestampKey, "RSA-1024".into()))
    );
    assert!(stamped.timestamp.as_ref().is_some_and(|t| !t.trusted));

    // And it cannot save a weak signer made before the sunset either.
    let weak = pki.sign_and_verify(
        &pki.signer(1024, 31),
        BEFORE_SUNSET,
        Some(&pki.tsa(1024, BEFORE_SUNSET)),
    );
    assert_eq!(
        verdict(&weak),
        (
            Indication::Indeterminate,
            Some(SubIndication::CryptoConstraintsFailureNoPoe)
        ),
        "{weak:?}"
    );
    assert_eq!(
        weak_finding(&weak),
        Some((AlgorithmUse::SignerKey, "RSA-1024".into()))
    );
}

#[test]
fn a_document_timestamp_is_judged_like_a_signature_timestamp() {
    let pki = Hierarchy::new();
    // A weak signer whose only proof of existence is a later document timestamp from before
    // the sunset (PAdES B-LTA style): both pass.
    let signed = pki.sign(&pki.signer(1024, 40), BEFORE_SUNSET, None);
    let stamped = document_timestamp(
        &signed,
        &pki.tsa(2048, BEFORE_SUNSET),
        DigestAlgorithm::Sha256,
    )
    .unwrap();
    let reports = pki.verify(&stamped);
    assert_eq!(reports.len(), 2);
    for report in &reports {
        assert_eq!(
            verdict(report),
            (Indication::TotalPassed, None),
            "{report:?}"
        );
    }

    // A document timestamp by an RSA-1024 TSA is itself undecided and proves nothing, so
    // the weak signer before it is undecided too.
    let weakly_stamped = document_timestamp(
        &signed,
        &pki.tsa(1024, BEFORE_SUNSET),
        DigestAlgorithm::Sha256,
    )
    .unwrap();
    let reports = pki.verify(&weakly_stamped);
    let weak = (
        Indication::Indeterminate,
        Some(SubIndication::CryptoConstraintsFailureNoPoe),
    );
    let [signature, timestamp] = reports.as_slice() else {
        panic!("{reports:?}");
    };
    assert_eq!(timestamp.kind, SignatureKind::DocumentTimestamp);
    assert_eq!(verdict(timestamp), weak, "{timestamp:?}");
    assert_eq!(
        weak_finding(timestamp),
        Some((AlgorithmUse::TimestampKey, "RSA-1024".into()))
    );
    assert_eq!(verdict(signature), weak, "{signature:?}");
    assert_eq!(
        weak_finding(signature),
        Some((AlgorithmUse::SignerKey, "RSA-1024".into()))
    );
}
