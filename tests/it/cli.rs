//! The command-line contract: help for every subcommand, exit codes, one-line errors.

use crate::support::{assert_clean_error, kyso, run, stdout};

#[test]
fn every_subcommand_has_help() {
    let top = run(kyso().arg("--help"));
    assert_eq!(top.status.code(), Some(0));
    let text = stdout(&top);
    for sub in ["digitize", "sign", "verify", "serve", "pki"] {
        assert!(text.contains(sub), "top-level help lacks {sub}");
        let help = run(kyso().args([sub, "--help"]));
        assert_eq!(help.status.code(), Some(0), "kyso {sub} --help");
        assert!(stdout(&help).contains("Usage: kyso"), "kyso {sub} --help");
    }
    let demo = run(kyso().args(["pki", "demo", "--help"]));
    assert!(stdout(&demo).contains("--base-url"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["frobnicate"][..],
        &["verify"],
        &["sign", "in.pdf"],
        &["serve", "--listen", "not-an-address"],
        &["digitize", "a.png", "-o", "out.pdf", "--pdfa", "3a"],
    ] {
        let output = run(kyso().args(args));
        assert_eq!(output.status.code(), Some(2), "kyso {args:?}");
    }
}

#[test]
fn missing_input_file_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("khong-co.pdf");
    let missing = missing.to_str().unwrap();
    for args in [
        vec!["verify", missing],
        vec!["digitize", missing, "-o", "out.pdf"],
        vec!["sign", missing, "-o", "out.pdf", "--p12", "x.p12"],
    ] {
        let output = run(kyso().args(&args));
        assert_clean_error(&output, "khong-co.pdf");
    }
}

#[test]
fn sign_explains_missing_key_and_missing_tsa() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pdf");
    std::fs::write(&input, b"%PDF-1.7\n").unwrap();
    let input = input.to_str().unwrap();
    let no_key = run(kyso().args(["sign", input, "-o", "out.pdf"]));
    assert_clean_error(&no_key, "--p12");
    let p12 = crate::support::repo_root().join("certs/signers/citizen-nguyen-van-an.p12");
    let no_tsa = run(kyso()
        .args(["sign", input, "-o", "out.pdf", "--level", "b-t", "--p12"])
        .arg(&p12));
    assert_clean_error(&no_tsa, "--tsa");
}
