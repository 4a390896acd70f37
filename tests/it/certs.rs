//! The test PKI in `certs/`, judged by the `openssl` command: chains verify (and the expired
//! officer does not), names round-trip as UTF8String with their UID identities, the
//! extensions the trust services need are present, and PKCS#12 files open with the
//! documented password. Also a fresh `kyso pki demo` run, with its atomic write.

use std::path::Path;

use serde_json::Value;

use crate::support::{assert_clean_error, kyso, manifest, repo_root, run, stdout};

fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
    run(std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir))
}

fn root_of(entity: &Value, entities: &[Value]) -> String {
    let mut slug = entity["slug"].as_str().unwrap().to_owned();
    loop {
        let current = entities
            .iter()
            .find(|e| e["slug"] == slug.as_str())
            .unwrap();
        match current["issuer"].as_str() {
            Some(issuer) => slug = issuer.to_owned(),
            None => return current["certificate"].as_str().unwrap().to_owned(),
        }
    }
}

/// `openssl verify` for every leaf: success exactly when the certificate is not expired.
fn check_chains(certs: &Path) -> usize {
    let manifest = manifest(certs);
    let entities = manifest["entities"].as_array().unwrap();
    let mut checked = 0;
    for entity in entities.iter().filter(|e| !e["issuer"].is_null()) {
        let issuer = entities
            .iter()
            .find(|e| e["slug"] == entity["issuer"])
            .unwrap();
        let output = openssl(
            &[
                "verify",
                "-CAfile",
                &root_of(entity, entities),
                "-untrusted",
                issuer["certificate"].as_str().unwrap(),
                entity["certificate"].as_str().unwrap(),
            ],
            certs,
        );
        let expired = entity["status"] == "expired";
        assert_eq!(
            output.status.success(),
            !expired,
            "{}: {}",
            entity["slug"],
            String::from_utf8_lossy(&output.stderr)
        );
        if expired {
            assert!(String::from_utf8_lossy(&output.stderr).contains("expired"));
        }
        checked += 1;
    }
    checked
}

#[test]
fn committed_chains_verify_with_openssl_except_the_expired_officer() {
    let certs = repo_root().join("certs");
    assert_eq!(check_chains(&certs), 12);
}

#[test]
fn committed_trust_folder_holds_only_the_two_roots() {
    let certs = repo_root().join("certs");
    let mut names: Vec<String> = std::fs::read_dir(certs.join("trust"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["government-root.pem", "national-root.pem"]);
    for name in names {
        let output = openssl(
            &["x509", "-in", &format!("trust/{name}"), "-noout", "-text"],
            &certs,
        );
        let text = stdout(&output);
        assert!(text.contains("CA:TRUE"), "{name}");
        assert!(text.contains("Certificate Sign, CRL Sign"), "{name}");
    }
}

#[test]
fn names_are_utf8string_and_uids_read_back_as_written() {
    let certs = repo_root().join("certs");
    let manifest = manifest(&certs);
    let mut identities_seen = 0;
    for entity in manifest["entities"].as_array().unwrap() {
        let output = openssl(
            &[
                "x509",
                "-in",
                entity["certificate"].as_str().unwrap(),
                "-noout",
                "-subject",
                "-nameopt",
                "utf8,show_type,sep_multiline",
            ],
            &certs,
        );
        let text = stdout(&output);
        let subject = &entity["subject"];
        let cn = subject["common_name"].as_str().unwrap();
        assert!(text.contains(&format!("CN=UTF8STRING:{cn}")), "{text}");
        assert!(text.contains("C=PRINTABLESTRING:VN"), "{text}");
        for field in ["organization", "locality"] {
            if let Some(value) = subject[field].as_str() {
                assert!(text.contains(&format!("=UTF8STRING:{value}")), "{text}");
            }
        }
        let uids: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("UID=UTF8STRING:"))
            .collect();
        let expected: Vec<String> = subject["identities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| {
                let prefix = match id["kind"].as_str().unwrap() {
                    "CCCD" => "CCCD",
                    "CMND" => "CMND",
                    "PASSPORT" => "HC",
                    "TAX_CODE" => "MST",
                    "BUDGET_UNIT" => "MNS",
                    other => panic!("unknown kind {other}"),
                };
                format!("{prefix}:{}", id["value"].as_str().unwrap())
            })
            .collect();
        assert_eq!(uids, expected, "{}", entity["slug"]);
        identities_seen += uids.len();
        if entity["role"] == "signer" && entity["slug"].as_str().unwrap().starts_with("citizen") {
            assert!(uids.iter().any(|u| u.starts_with("CCCD:") && u.len() == 17));
        }
    }
    // Three citizens (one with an extra CMND), three officers, one agency (MNS).
    assert_eq!(identities_seen, 8);
}

#[test]
fn service_certificates_carry_what_rfc_3161_and_6960_ask() {
    let certs = repo_root().join("certs");
    let text = |path: &str| stdout(&openssl(&["x509", "-in", path, "-noout", "-text"], &certs));
    let tsa = text("services/tsa.pem");
    assert!(
        tsa.contains("X509v3 Extended Key Usage: critical\n                Time Stamping\n"),
        "{tsa}"
    );
    for responder in [
        "services/public-ca-ocsp.pem",
        "services/government-ca-ocsp.pem",
    ] {
        let ocsp = text(responder);
        assert!(ocsp.contains("OCSP Signing"), "{ocsp}");
        assert!(ocsp.contains("OCSP No Check"), "{ocsp}");
        assert!(
            !ocsp.contains("OCSP - URI"),
            "a no-check responder needs no OCSP URL"
        );
    }
    let leaf = text("signers/citizen-nguyen-van-an.pem");
    assert!(leaf.contains("Digital Signature, Non Repudiation"));
    assert!(leaf.contains("URI:http://127.0.0.1:8080/crl/public-ca.crl"));
    assert!(leaf.contains("OCSP - URI:http://127.0.0.1:8080/ocsp"));
    assert!(leaf.contains("CA Issuers - URI:http://127.0.0.1:8080/ca/public-ca.cer"));
    let officer = text("signers/officer-pham-minh-duc.pem");
    assert!(
        officer.contains("ecdsa-with-SHA384"),
        "issued by the P-384 government CA"
    );
    assert!(officer.contains("Public-Key: (3072 bit)"));
    let intermediate = text("ca/government-ca.pem");
    assert!(intermediate.contains("CA:TRUE, pathlen:0"));
    assert!(intermediate.contains("URI:http://127.0.0.1:8080/crl/government-root.crl"));
}

#[test]
fn key_types_and_validity_match_the_manifest() {
    let certs = repo_root().join("certs");
    let manifest = manifest(&certs);
    let mut keys = std::collections::BTreeSet::new();
    for entity in manifest["entities"].as_array().unwrap() {
        let text = stdout(&openssl(
            &[
                "x509",
                "-in",
                entity["certificate"].as_str().unwrap(),
                "-noout",
                "-text",
            ],
            &certs,
        ));
        let expected = match entity["key"].as_str().unwrap() {
            "RSA-2048" => "Public-Key: (2048 bit)",
            "RSA-3072" => "Public-Key: (3072 bit)",
            "ECDSA P-256" => "NIST CURVE: P-256",
            "ECDSA P-384" => "NIST CURVE: P-384",
            other => panic!("unknown key {other}"),
        };
        assert!(text.contains(expected), "{}: {expected}", entity["slug"]);
        if entity["role"] == "signer" {
            keys.insert(entity["key"].as_str().unwrap().to_owned());
        }
        // Everything but the expired officer stays valid for at least 19 more years.
        let end = stdout(&openssl(
            &[
                "x509",
                "-in",
                entity["certificate"].as_str().unwrap(),
                "-noout",
                "-checkend",
                &(19 * 365 * 86_400).to_string(),
            ],
            &certs,
        ));
        assert_eq!(
            end.contains("will not expire"),
            entity["status"] != "expired",
            "{}",
            entity["slug"]
        );
    }
    assert_eq!(
        keys.into_iter().collect::<Vec<_>>(),
        ["ECDSA P-256", "RSA-2048", "RSA-3072"]
    );
}

#[test]
fn pkcs12_files_open_with_the_documented_password_only() {
    let certs = repo_root().join("certs");
    let manifest = manifest(&certs);
    let password = manifest["pkcs12_password"].as_str().unwrap();
    let readme = std::fs::read_to_string(certs.join("README.md")).unwrap();
    assert!(
        readme.contains(password),
        "README.md documents the password"
    );
    let mut opened = 0;
    for entity in manifest["entities"].as_array().unwrap() {
        let Some(p12) = entity["pkcs12"].as_str() else {
            continue;
        };
        assert!(readme.contains(p12), "README.md lists {p12}");
        let good = openssl(
            &[
                "pkcs12",
                "-in",
                p12,
                "-passin",
                &format!("pass:{password}"),
                "-nokeys",
                "-clcerts",
            ],
            &certs,
        );
        assert!(good.status.success(), "{p12}");
        let pem_body = |text: &str| -> String {
            let start = text.find("-----BEGIN CERTIFICATE-----").unwrap();
            let end = text[start..].find("-----END CERTIFICATE-----").unwrap();
            text[start..start + end].to_owned()
        };
        let certificate =
            std::fs::read_to_string(certs.join(entity["certificate"].as_str().unwrap())).unwrap();
        assert_eq!(
            pem_body(&stdout(&good)),
            pem_body(&certificate),
            "{p12} holds its certificate"
        );
        let bad = openssl(
            &["pkcs12", "-in", p12, "-passin", "pass:wrong", "-nokeys"],
            &certs,
        );
        assert!(!bad.status.success(), "{p12} opened with a wrong password");
        opened += 1;
    }
    assert_eq!(opened, 10);
}

#[test]
fn revoked_citizen_is_revoked_in_the_ca_database() {
    let certs = repo_root().join("certs");
    let manifest = manifest(&certs);
    let revoked = manifest["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["status"] == "revoked")
        .unwrap();
    let index = std::fs::read_to_string(certs.join("ca/public-ca.index.txt")).unwrap();
    let line = index
        .lines()
        .find(|l| l.contains(revoked["serial"].as_str().unwrap()))
        .unwrap();
    let fields: Vec<&str> = line.split('\t').collect();
    assert_eq!(fields[0], "R");
    assert!(fields[2].ends_with(",keyCompromise"));
    // The serial in the database is the one openssl reads from the certificate.
    let serial = stdout(&openssl(
        &[
            "x509",
            "-in",
            revoked["certificate"].as_str().unwrap(),
            "-noout",
            "-serial",
        ],
        &certs,
    ));
    assert_eq!(serial.trim(), format!("serial={}", fields[3]));
}

#[test]
fn fresh_demo_pki_uses_the_base_url_and_replaces_only_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pki");
    let made = run(kyso()
        .args([
            "pki",
            "demo",
            "--base-url",
            "https://ca.kyso.test:9443/",
            "--out",
        ])
        .arg(&out));
    assert!(made.status.success(), "{}", crate::support::stderr(&made));
    assert_eq!(check_chains(&out), 12);
    let leaf = stdout(&openssl(
        &[
            "x509",
            "-in",
            "signers/citizen-tran-thi-ngoc-anh.pem",
            "-noout",
            "-text",
        ],
        &out,
    ));
    assert!(
        leaf.contains("URI:https://ca.kyso.test:9443/crl/public-ca.crl"),
        "{leaf}"
    );
    assert!(leaf.contains("OCSP - URI:https://ca.kyso.test:9443/ocsp"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("signers/citizen-tran-thi-ngoc-anh.key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "private keys are readable by the owner only"
        );
    }

    let before = std::fs::read(out.join("trust/national-root.pem")).unwrap();
    let refused = run(kyso().args(["pki", "demo", "--out"]).arg(&out));
    assert_clean_error(&refused, "--force");
    assert_eq!(
        std::fs::read(out.join("trust/national-root.pem")).unwrap(),
        before
    );

    let bad_url = run(kyso()
        .args(["pki", "demo", "--force", "--base-url", "ftp://x", "--out"])
        .arg(&out));
    assert_clean_error(&bad_url, "ftp://x");
    assert_eq!(
        std::fs::read(out.join("trust/national-root.pem")).unwrap(),
        before
    );

    let replaced = run(kyso().args(["pki", "demo", "--force", "--out"]).arg(&out));
    assert!(replaced.status.success());
    assert_ne!(
        std::fs::read(out.join("trust/national-root.pem")).unwrap(),
        before
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["pki"], "no staging folders left behind");
}
