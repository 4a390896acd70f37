//! `kyso digitize` on bad input: every case exits 2 with one line naming the file and the
//! problem, quickly, and leaves nothing at the output path.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{assert_clean_error, kyso, repo_root, run};

fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit gray, deflate, no filter, no interlace
    let mut crc = flate2::Crc::new();
    crc.update(&ihdr);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc.sum().to_be_bytes());
    png
}

fn assert_refused(dir: &Path, name: &str, bytes: &[u8], problem: &str) {
    let input = dir.join(name);
    std::fs::write(&input, bytes).unwrap();
    let output = dir.join("out.pdf");
    let started = Instant::now();
    let result = run(kyso().arg("digitize").arg(&input).arg("-o").arg(&output));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{name} took {:?}",
        started.elapsed()
    );
    assert_clean_error(&result, name);
    let message = crate::support::stderr(&result);
    assert!(message.contains(problem), "{name}: {message}");
    assert!(!output.exists(), "{name}: an output file was left");
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".kyso-"))
        .collect();
    assert!(leftovers.is_empty(), "{name}: temporary files left");
}

#[test]
fn bad_inputs_are_refused_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read(repo_root().join("samples/don-de-nghi-300dpi.png")).unwrap();
    assert_refused(
        dir.path(),
        "cut.png",
        &sample[..sample.len() / 3],
        "truncated",
    );
    assert_refused(dir.path(), "empty.png", b"", "empty");
    assert_refused(
        dir.path(),
        "note.jpg",
        "Đây là một tệp văn bản, không phải ảnh.\n".as_bytes(),
        "not a PNG, JPEG, TIFF or PDF",
    );
    assert_refused(
        dir.path(),
        "huge.png",
        &png_header_only(50_000, 50_000),
        "50000×50000",
    );
}

#[test]
fn password_protected_pdf_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked.pdf");
    let made = run(std::process::Command::new("qpdf")
        .args(["--encrypt", "user-pw", "owner-pw", "256", "--"])
        .arg(repo_root().join("samples/ket-qua-quyet-dinh.pdf"))
        .arg(&locked));
    assert!(made.status.success(), "qpdf could not encrypt the sample");
    let bytes = std::fs::read(&locked).unwrap();
    assert_refused(dir.path(), "locked.pdf", &bytes, "PDF");
}

#[test]
fn output_may_not_overwrite_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("scan.png");
    std::fs::copy(repo_root().join("samples/don-de-nghi-300dpi.png"), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let result = run(kyso().arg("digitize").arg(&input).arg("-o").arg(&input));
    assert_clean_error(&result, "both an input and the output");
    assert_eq!(std::fs::read(&input).unwrap(), before);
}
