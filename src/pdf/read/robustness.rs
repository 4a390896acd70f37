//! Fuzz-style robustness test of the reader: cut, spliced and corrupted versions of real
//! PDFs (the born-digital sample and what `qpdf` makes of it) must give values or errors,
//! never a panic, and each within a bounded time. Needs `qpdf` on the PATH, as `make test`
//! installs it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::{Document, Object, ObjectId};

/// Everything a caller may ask of a document: every object, every stream decoded, every
/// page and its content. Errors are fine; only panics and hangs are not.
fn exercise(bytes: &[u8]) -> Outcome {
    let Ok(doc) = Document::load(bytes) else {
        return Outcome::Refused;
    };
    let ids: Vec<u32> = doc.xref().keys().copied().take(2000).collect();
    for number in ids {
        if let Ok(object) = doc.get(ObjectId::new(number, 0)) {
            let _ = doc.resolve(&object);
            if let Object::Stream(stream) = &object {
                let _ = doc.decode_stream(stream);
            }
        }
    }
    let Ok(pages) = doc.pages() else {
        return Outcome::Loaded;
    };
    for page in pages {
        if let Ok(content) = page.contents(&doc) {
            let _ = super::content::operations(&content, 64);
        }
    }
    let _ = crate::digitize::pdf_input::scanned_pages(bytes);
    Outcome::Paged
}

/// How far a damaged file got, to show the test reaches past the first check.
#[derive(Clone, Copy)]
enum Outcome {
    Refused,
    Loaded,
    Paged,
}

#[derive(Default)]
struct Tally {
    slowest: Duration,
    counts: [usize; 3],
}

fn check(label: &str, bytes: &[u8], tally: &mut Tally) {
    let started = Instant::now();
    let Ok(outcome) = catch_unwind(AssertUnwindSafe(|| exercise(bytes))) else {
        panic!("{label}: the reader panicked");
    };
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "{label}: took {took:?}");
    tally.slowest = tally.slowest.max(took);
    tally.counts[outcome as usize] += 1;
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn qpdf(dir: &Path, input: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let out = dir.join(name);
    let status = Command::new("qpdf")
        .args(args)
        .arg(input)
        .arg(&out)
        .status()
        .expect("qpdf runs");
    // qpdf exits 3 for warnings; the file is written either way.
    assert!(matches!(status.code(), Some(0 | 3)), "qpdf {args:?}");
    std::fs::read(&out).expect("qpdf wrote its output")
}

#[test]
fn cut_and_corrupted_pdfs_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample = root.join("samples/ket-qua-quyet-dinh.pdf");
    let dir = tempfile::tempdir().expect("temp dir");
    let files = [
        ("sample", std::fs::read(&sample).expect("sample")),
        ("qdf", qpdf(dir.path(), &sample, "qdf.pdf", &["--qdf"])),
        (
            "objstm",
            qpdf(
                dir.path(),
                &sample,
                "objstm.pdf",
                &["--object-streams=generate"],
            ),
        ),
        (
            "encrypted",
            qpdf(
                dir.path(),
                &sample,
                "enc.pdf",
                &["--encrypt", "u", "o", "256", "--"],
            ),
        ),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut tally = Tally::default();
    for (name, bytes) in &files {
        let len = bytes.len();
        let tail = &bytes[len.saturating_sub(1500)..];
        for step in 0..60 {
            let cut = len * step / 60 + rng.below(len / 60);
            let prefix = &bytes[..cut.min(len)];
            check(&format!("{name} cut at {cut}"), prefix, &mut tally);
            // The prefix with the real end: `startxref` is found, offsets point at garbage.
            let spliced = [prefix, tail].concat();
            check(&format!("{name} cut at {cut} + tail"), &spliced, &mut tally);
        }
        for round in 0..80 {
            let mut corrupt = bytes.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(len);
                corrupt[at] = match rng.below(4) {
                    0 => rng.next() as u8,
                    1 => b"()<>[]/%0R"[rng.below(10)],
                    2 => b' ',
                    _ => corrupt[at] ^ 0x20,
                };
            }
            check(&format!("{name} corruption {round}"), &corrupt, &mut tally);
            // Corrupt the tail too, where the cross-reference lives.
            let mut corrupt = bytes.clone();
            let at = len - 1 - rng.below(len.min(3000));
            corrupt[at] = rng.next() as u8;
            check(
                &format!("{name} tail corruption {round}"),
                &corrupt,
                &mut tally,
            );
        }
    }
    let [refused, loaded, paged] = tally.counts;
    eprintln!(
        "{} damaged files: {refused} refused at load, {loaded} loaded, {paged} read to the \
         pages; slowest {:?}",
        refused + loaded + paged,
        tally.slowest
    );
    assert!(paged > 100, "the damage should leave many files readable");
}
