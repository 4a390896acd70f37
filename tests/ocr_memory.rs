//! Resident memory across many pages through one OCR engine. A binary of its own, because
//! RSS is a process-wide figure that other tests running beside it would move.

use image::GrayImage;
use kyso::ocr::{OcrEngine, TesseractConfig, TesseractEngine};

const PAGES: usize = 8;

fn sample(name: &str) -> GrayImage {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    image::open(&path).expect("sample").to_luma8()
}

fn engine() -> TesseractEngine {
    TesseractEngine::new(&TesseractConfig::default()).expect("tesseract with vie")
}

/// Resident memory of this process in kB, from `/proc/self/status`.
fn resident_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .expect("VmRSS")
}

/// Twenty pages through one engine must not grow resident memory: every Tesseract object is
/// freed.
#[test]
fn pages_through_one_engine_do_not_grow_memory() {
    let mut engine = engine();
    let image = sample("don-de-nghi-300dpi.png");
    let rotated = sample("giay-tiep-nhan-rot90-300dpi.png");
    // Warm up: models, OSD handle, allocator pools.
    for _ in 0..2 {
        engine.recognize(&image, 300).expect("ocr");
        engine.detect_orientation(&rotated, 300).expect("osd");
    }
    let before = resident_kb();
    for _ in 0..PAGES {
        engine.recognize(&image, 300).expect("ocr");
        engine.detect_orientation(&rotated, 300).expect("osd");
    }
    let after = resident_kb();
    eprintln!("RSS before {before} kB, after {PAGES} pages {after} kB");
    // A leaked page image alone is 8.7 MB (2480×3508 bytes); eight of them would be 70 MB.
    assert!(
        after < before + 20_000,
        "RSS grew from {before} kB to {after} kB"
    );
}
