//! `kyso verify` on the signed corpus (tests/corpus/verify, made by pyHanko, by `kyso sign`
//! and by hand-written attacks), offline: every verdict that does not depend on asking a
//! revocation server must come out as expected.json says. The online verdicts, and pyHanko's
//! agreement with all of them, are checked in tests/py/test_verify_corpus.py.

use serde_json::Value;

use crate::support::{kyso, repo_root, run, stderr, stdout};

fn corpus() -> Vec<Value> {
    let path = repo_root().join("tests/corpus/verify/expected.json");
    let expected: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    expected["files"].as_array().unwrap().clone()
}

/// `kyso verify FILE --offline --json` with the entry's trust anchors and time.
fn verify_offline(entry: &Value) -> (Option<i32>, Value) {
    let root = repo_root();
    let mut command = kyso();
    command
        .arg("verify")
        .arg(
            root.join("tests/corpus/verify")
                .join(entry["file"].as_str().unwrap()),
        )
        .args(["--offline", "--json"]);
    for anchor in entry["trust"].as_array().unwrap() {
        command
            .arg("--trust")
            .arg(root.join(anchor.as_str().unwrap()));
    }
    if let Some(at) = entry["validate_at"].as_str() {
        command.args(["--at", at]);
    }
    let output = run(&mut command);
    let report = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{}: no JSON ({e}): {}", entry["file"], stderr(&output)));
    (output.status.code(), report)
}

#[test]
fn offline_verdicts_match_the_corpus() {
    let mut checked = 0;
    for entry in corpus() {
        let (code, report) = verify_offline(&entry);
        let name = entry["file"].as_str().unwrap();
        assert_eq!(report["schema"], "kyso.verify/1", "{name}");
        let expected = entry["signatures"].as_array().unwrap();
        let found = report["signatures"].as_array().unwrap();
        assert_eq!(found.len(), expected.len(), "{name}: number of signatures");
        // Without the network only the file's own data speaks: failures that need no
        // revocation data (format, hash, cryptography, forbidden changes, weak algorithms)
        // and files that carry their validation data must match exactly.
        let fully_offline = entry["offline"].as_bool() == Some(true);
        for (want, got) in expected.iter().zip(found) {
            // REVOKED needs the signer's status, EXPIRED a timestamp whose TSA's status is
            // known: both ask the responder.
            let needs_revocation = ["REVOKED", "EXPIRED"]
                .map(Value::from)
                .contains(&want["sub_indication"]);
            // A weak algorithm is judged before revocation, so it needs no network either.
            let weak = want["sub_indication"] == "CRYPTO_CONSTRAINTS_FAILURE_NO_POE";
            if !fully_offline && !weak && (want["indication"] != "TOTAL_FAILED" || needs_revocation)
            {
                continue;
            }
            for key in ["field", "kind", "indication", "sub_indication"] {
                assert_eq!(got[key], want[key], "{name}: {key} of {}", want["field"]);
            }
            checked += 1;
        }
        if fully_offline {
            assert_eq!(
                code,
                entry["exit"].as_i64().map(|c| c as i32),
                "{name}: exit"
            );
        } else {
            // Offline, a file is never all TOTAL_PASSED without validation data.
            assert_eq!(code, Some(1), "{name}: exit offline");
        }
    }
    assert!(
        checked >= 29,
        "only {checked} verdicts were comparable offline"
    );
}

#[test]
fn every_corpus_report_reads_in_vietnamese_and_english() {
    let entry = corpus()
        .into_iter()
        .find(|e| e["file"] == "kyso-b-lt.pdf")
        .expect("kyso-b-lt.pdf is in the corpus");
    let root = repo_root();
    for (lang, phrase) in [("vi", "hợp lệ"), ("en", "valid")] {
        let output = run(kyso()
            .arg("verify")
            .arg(root.join("tests/corpus/verify/kyso-b-lt.pdf"))
            .args(["--offline", "--lang", lang, "--trust"])
            .arg(root.join("certs/trust"))
            .args(["--at", entry["validate_at"].as_str().unwrap()]));
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let text = stdout(&output);
        assert!(text.contains(phrase), "{lang}: {text}");
        assert!(text.contains("B-LT"), "{lang}: {text}");
    }
}

#[test]
fn unreadable_files_exit_2_and_unsigned_files_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pdf");
    std::fs::write(&junk, b"this is not a PDF").unwrap();
    let output = run(kyso().arg("verify").arg(&junk));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("junk.pdf"), "{}", stderr(&output));

    let unsigned = repo_root().join("samples/ket-qua-quyet-dinh.pdf");
    let output = run(kyso()
        .arg("verify")
        .arg(&unsigned)
        .args(["--offline", "--json"]));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["signatures"].as_array().unwrap().len(), 0);
    assert_eq!(report["indication"], "INDETERMINATE");

    let missing_anchor = run(kyso()
        .arg("verify")
        .arg(&unsigned)
        .args(["--trust", "/nonexistent/root.pem"]));
    assert_eq!(missing_anchor.status.code(), Some(2));
    assert!(stderr(&missing_anchor).contains("root.pem"));
}

#[test]
fn the_configured_trust_folder_is_trusted_and_nothing_else() {
    let entry = corpus()
        .into_iter()
        .find(|e| e["file"] == "kyso-b-lt.pdf")
        .expect("kyso-b-lt.pdf is in the corpus");
    let root = repo_root();
    let verify = |trust_dir: Option<&std::path::Path>| {
        let mut command = kyso();
        command
            .arg("verify")
            .arg(root.join("tests/corpus/verify/kyso-b-lt.pdf"))
            .args([
                "--offline",
                "--json",
                "--at",
                entry["validate_at"].as_str().unwrap(),
            ])
            .env_remove("KYSO_TRUST_DIR");
        if let Some(dir) = trust_dir {
            command.env("KYSO_TRUST_DIR", dir);
        }
        let output = run(&mut command);
        let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
        (
            output.status.code(),
            report["signatures"][0]["sub_indication"].clone(),
        )
    };
    assert_eq!(
        verify(Some(&root.join("certs/trust"))),
        (Some(0), Value::Null)
    );
    // Without any anchor, not even the operating system's store is consulted.
    assert_eq!(
        verify(None),
        (Some(1), Value::from("NO_CERTIFICATE_CHAIN_FOUND"))
    );
}
