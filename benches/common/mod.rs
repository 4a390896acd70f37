//! What the side-by-side benchmarks share: the repository root, the release binary, the
//! scan PDFs they sign and verify (made once under target/bench-inputs), and the median
//! timing loop. Each bench keeps its own peers and tables.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Rounds timed after one warm-up; the median is reported.
pub const ROUNDS: usize = 40;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn kyso_bin() -> PathBuf {
    let kyso = root().join("target/release/kyso");
    assert!(
        kyso.exists(),
        "build the release binary first: cargo build --release"
    );
    kyso
}

/// A scan PDF of `pages` copies of the sample page, made once and kept under target/.
pub fn scan_pdf(pages: usize) -> PathBuf {
    let dir = root().join("target/bench-inputs");
    std::fs::create_dir_all(&dir).expect("bench folder");
    let out = dir.join(format!("scan-{pages}p.pdf"));
    if out.exists() {
        return out;
    }
    let page = root().join("samples/dang-ky-ho-kinh-doanh-200dpi.jpg");
    let status = Command::new(kyso_bin())
        .arg("digitize")
        .args(std::iter::repeat_n(&page, pages))
        .arg("-o")
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .status()
        .expect("kyso digitize");
    assert!(status.success());
    out
}

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The median of [`ROUNDS`] runs of `f`, after one warm-up run.
pub fn time(mut f: impl FnMut()) -> Duration {
    f();
    median(
        (0..ROUNDS)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

/// Runs `script` with the venv's Python (pyHanko installed by `make test`) and `args`, and
/// reads the milliseconds it prints.
pub fn python_ms<I, S>(script: &str, args: I) -> f64
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let output = Command::new(root().join(".venv/bin/python"))
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python with pyHanko in .venv");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("milliseconds")
}
