//! The page pipeline and its orchestration: every page is decoded, turned upright, measured
//! for skew, straightened and OCRed by one of `jobs` workers, each with its own OCR engine;
//! the pages are then written in input order. Progress goes through a trait, never to stdout.

use std::borrow::Cow;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use image::{DynamicImage, GrayImage, imageops};
use serde::Serialize;
use time::OffsetDateTime;

use super::decode::{self, DecodedPage, Original};
use super::{DigitizeError, ccitt, deskew, upright};
use crate::ocr::{OcrEngine, OcrError, OcrPage};
use crate::pdf::{self, DocumentInfo, ImageData, PageImage, PageSpec, PdfAPart};

/// Resolution assumed when a file does not state one.
pub const ASSUMED_DPI: f64 = 300.0;
/// Circular 05/2025/TT-BNV: administrative documents are digitized at 200 dpi or more.
pub const MINIMUM_DPI: f64 = 200.0;

/// One input file's name (for messages) and bytes.
#[derive(Debug, Clone)]
pub struct Input {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What to make and how.
#[derive(Debug, Clone)]
pub struct DigitizeOptions {
    pub part: PdfAPart,
    /// Pages processed at once, each by its own engine.
    pub jobs: usize,
    pub deskew: bool,
    pub title: Option<String>,
    pub dossier_code: Option<String>,
    /// The caller's clock, written into the metadata.
    pub created: OffsetDateTime,
    pub creator_tool: String,
}

/// Told about progress; implementations must be cheap.
pub trait Progress: Sync {
    fn started(&self, total_pages: usize);
    fn page_done(&self, done_pages: usize);
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl Progress for NoProgress {
    fn started(&self, _: usize) {}
    fn page_done(&self, _: usize) {}
}

/// What happened to one page.
#[derive(Debug, Clone, Serialize)]
pub struct PageReport {
    /// 1-based page number in the output.
    pub page: usize,
    pub input: String,
    /// 1-based page number within its input.
    pub input_page: usize,
    pub width_px: u32,
    pub height_px: u32,
    pub dpi: f64,
    pub dpi_assumed: bool,
    /// Clockwise turn applied to make the page upright: 0, 90, 180 or 270.
    pub rotation_degrees: u16,
    /// The orientation detector's score, or null when the detector was not needed: the page
    /// read confidently the way up its ink showed.
    pub orientation_confidence: Option<f32>,
    /// Measured skew of the text lines, counter-clockwise positive; the page is drawn turned
    /// back by this much.
    pub skew_degrees: f64,
    pub mean_confidence: f32,
    pub words: usize,
    /// How the scan is stored in the PDF: `jpeg` (original bytes), `ccitt-g4` (original
    /// strip) or `flate` (lossless).
    pub image: &'static str,
}

/// The summary `--json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub pages: Vec<PageReport>,
    pub mean_confidence: f32,
    pub warnings: Vec<String>,
}

/// The PDF/A bytes, the summary, and each page's text for search.
#[derive(Debug)]
pub struct Digitized {
    pub pdf: Vec<u8>,
    pub summary: Summary,
    /// The text layer of each page, in output order: words joined by spaces, lines by
    /// newlines, with the noise the text layer leaves out left out here too.
    pub page_texts: Vec<String>,
}

type PageResult = Result<(PageSpec, PageReport), DigitizeError>;

/// A page to do: which input, which page within it.
#[derive(Debug, Clone, Copy)]
struct PageRef {
    input: usize,
    index: usize,
}

/// Digitizes `inputs` in order into one PDF/A. `engines` makes one OCR engine per worker.
pub fn digitize(
    inputs: &[Input],
    options: &DigitizeOptions,
    engines: &(dyn Fn() -> Result<Box<dyn OcrEngine>, OcrError> + Sync),
    progress: &dyn Progress,
) -> Result<Digitized, DigitizeError> {
    let mut pages = Vec::new();
    for (input, file) in inputs.iter().enumerate() {
        let count = decode::page_count(&file.name, &file.bytes)?;
        pages.extend((0..count).map(|index| PageRef { input, index }));
    }
    if pages.is_empty() {
        return Err(DigitizeError::NoInput);
    }
    progress.started(pages.len());

    let results: Vec<Mutex<Option<PageResult>>> = pages.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let workers = options.jobs.clamp(1, pages.len());
    let engine_error: Mutex<Option<OcrError>> = Mutex::new(None);

    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut engine = match engines() {
                    Ok(engine) => engine,
                    Err(error) => {
                        failed.store(true, Ordering::Relaxed);
                        *engine_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
                        return;
                    }
                };
                while !failed.load(Ordering::Relaxed) {
                    let slot = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&page) = pages.get(slot) else { break };
                    let result =
                        process_page(&inputs[page.input], page, slot, options, &mut *engine);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    *results[slot].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                    progress.page_done(done.fetch_add(1, Ordering::Relaxed) + 1);
                }
            });
        }
    });

    if let Some(error) = engine_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(DigitizeError::Engine(error));
    }
    let mut specs = Vec::with_capacity(pages.len());
    let mut reports = Vec::with_capacity(pages.len());
    for slot in results {
        match slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(Ok((spec, report))) => {
                specs.push(spec);
                reports.push(report);
            }
            Some(Err(error)) => return Err(error),
            // Not reached: workers stop only after a failure, which is returned above in
            // page order before any empty slot after it.
            None => continue,
        }
    }

    let info = DocumentInfo {
        part: options.part,
        title: options.title.clone(),
        dossier_code: options.dossier_code.clone(),
        creator_tool: options.creator_tool.clone(),
        created: options.created,
        language: "vi-VN".into(),
    };
    let pdf = pdf::write_pdfa(&specs, &info)?;
    let page_texts = specs.iter().map(|spec| plain_text(&spec.lines)).collect();
    Ok(Digitized {
        pdf,
        summary: summarize(reports),
        page_texts,
    })
}

/// A page's text layer as plain text: words joined by spaces, lines by newlines.
fn plain_text(lines: &[pdf::TextLine]) -> String {
    let lines: Vec<String> = lines
        .iter()
        .map(|line| {
            let words: Vec<&str> = line.words.iter().map(|w| w.text.as_str()).collect();
            words.join(" ")
        })
        .filter(|line| !line.trim().is_empty())
        .collect();
    lines.join("\n")
}

fn summarize(pages: Vec<PageReport>) -> Summary {
    let mut warnings = Vec::new();
    for page in &pages {
        if page.dpi_assumed {
            warnings.push(format!(
                "page {} ({}): the file states no resolution; {ASSUMED_DPI} dpi assumed",
                page.page, page.input
            ));
        } else if page.dpi < MINIMUM_DPI {
            warnings.push(format!(
                "page {} ({}): {:.0} dpi is below the {MINIMUM_DPI} dpi minimum of Circular \
                 05/2025/TT-BNV",
                page.page, page.input, page.dpi
            ));
        }
    }
    let words: usize = pages.iter().map(|p| p.words).sum();
    let mean_confidence = if words == 0 {
        0.0
    } else {
        pages
            .iter()
            .map(|p| p.mean_confidence * p.words as f32)
            .sum::<f32>()
            / words as f32
    };
    Summary {
        pages,
        mean_confidence,
        warnings,
    }
}

fn process_page(
    input: &Input,
    page: PageRef,
    slot: usize,
    options: &DigitizeOptions,
    engine: &mut dyn OcrEngine,
) -> PageResult {
    let started = std::time::Instant::now();
    let lap = |stage: &str| {
        let ms = started.elapsed().as_millis() as u64;
        let number = page.index + 1;
        tracing::debug!(input = %input.name, page = number, stage, ms, "page stage done");
    };
    let decoded = decode::decode_page(&input.name, &input.bytes, page.index)?;
    lap("decode");
    let (dpi, dpi_assumed) = match decoded.dpi {
        Some(dpi) if dpi.is_finite() && dpi >= 10.0 => (dpi, false),
        _ => (ASSUMED_DPI, true),
    };
    let ocr_failed = |source| DigitizeError::Ocr {
        input: input.name.clone(),
        page: page.index + 1,
        source,
    };
    let gray = flatten_to_gray(&decoded.image);
    let read = read_upright(engine, &gray, dpi, options.deskew).map_err(ocr_failed)?;
    lap("ocr");
    let (quarter_turns, skew, text) = (read.quarter_turns, read.skew, read.text);

    let (width_px, height_px) = (decoded.image.width(), decoded.image.height());
    let report = PageReport {
        page: slot + 1,
        input: input.name.clone(),
        input_page: page.index + 1,
        width_px,
        height_px,
        dpi,
        dpi_assumed,
        rotation_degrees: u16::from(quarter_turns) * 90,
        orientation_confidence: read.orientation_confidence,
        skew_degrees: skew,
        mean_confidence: text.mean_confidence,
        words: text.lines.iter().map(|l| l.words.len()).sum(),
        image: match decoded.original {
            Original::Jpeg { .. } => "jpeg",
            Original::CcittG4 { .. } | Original::Bilevel => "ccitt-g4",
            Original::Pixels => "flate",
        },
    };
    // Compressing here, in the worker, keeps the pages compressing in parallel and keeps
    // only compressed pages in memory until the document is written.
    let mut image = page_image(decoded, gray);
    image.data = image
        .data
        .compressed(slot, image.width_px, image.height_px)?;
    lap("compress");
    let spec = PageSpec {
        image,
        dpi,
        quarter_turns,
        skew_degrees: -skew,
        lines: text_lines(&text),
    };
    Ok((spec, report))
}

/// OCR this confident on a page whose lines run across it means the page was upright, and
/// the orientation detector (about a second a page) is not asked.
const UPRIGHT_CONFIDENCE: f32 = 75.0;
const UPRIGHT_MIN_WORDS: usize = 10;

/// A page read the right way up.
struct UprightRead {
    quarter_turns: u8,
    orientation_confidence: Option<f32>,
    skew: f64,
    text: OcrPage,
}

/// Turns the page upright, straightens it and reads it. The ink says whether the lines run
/// across the page or up and down it, and, once they run across, which way is up; the page is
/// turned, straightened and read. Only if that reading is poor (a wrong guess, or a hard page)
/// or the ink does not say is the orientation detector asked, and the page read again if it
/// says to turn it some other way.
fn read_upright(
    engine: &mut dyn OcrEngine,
    gray: &GrayImage,
    dpi: f64,
    deskew: bool,
) -> Result<UprightRead, OcrError> {
    let mut first = None;
    // Clockwise quarter turns that make the lines run across, and the page so turned.
    let across = match deskew::lines_run_horizontally(gray) {
        Some(true) => Some((0, Cow::Borrowed(gray))),
        Some(false) => Some((1, Cow::Owned(imageops::rotate90(gray)))),
        None => None,
    };
    if let Some((turns, across)) = across {
        let (skew, straight) = straighten(&across, deskew);
        let upside_down = upright::is_upside_down(&straight) == Some(true);
        let quarter_turns = turns + if upside_down { 2 } else { 0 };
        let text = if upside_down {
            engine.recognize(&imageops::rotate180(&*straight), dpi.round() as u32)?
        } else {
            engine.recognize(&straight, dpi.round() as u32)?
        };
        let words = text.lines.iter().map(|l| l.words.len()).sum::<usize>();
        if text.mean_confidence >= UPRIGHT_CONFIDENCE && words >= UPRIGHT_MIN_WORDS {
            return Ok(UprightRead {
                quarter_turns,
                orientation_confidence: None,
                skew,
                text,
            });
        }
        first = Some((quarter_turns, skew, text));
    }
    let orientation = detect_orientation(engine, gray, dpi)?;
    let quarter_turns = orientation.quarter_turns_clockwise % 4;
    let (skew, text) = match first {
        Some((turns, skew, text)) if turns == quarter_turns => (skew, text),
        _ => {
            let upright = match quarter_turns {
                0 => Cow::Borrowed(gray),
                1 => Cow::Owned(imageops::rotate90(gray)),
                2 => Cow::Owned(imageops::rotate180(gray)),
                _ => Cow::Owned(imageops::rotate270(gray)),
            };
            straighten_and_read(engine, &upright, dpi, deskew)?
        }
    };
    Ok(UprightRead {
        quarter_turns,
        orientation_confidence: Some(orientation.confidence),
        skew,
        text,
    })
}

/// Measures the skew of an upright page, straightens a copy and reads it.
fn straighten_and_read(
    engine: &mut dyn OcrEngine,
    upright: &GrayImage,
    dpi: f64,
    deskew: bool,
) -> Result<(f64, OcrPage), OcrError> {
    let (skew, straight) = straighten(upright, deskew);
    let text = engine.recognize(&straight, dpi.round() as u32)?;
    Ok((skew, text))
}

/// The skew of a page whose lines run across (0 without `deskew`), and the page turned back
/// by it, or the page itself when there is nothing to turn.
fn straighten(page: &GrayImage, deskew: bool) -> (f64, Cow<'_, GrayImage>) {
    let skew = if deskew {
        deskew::measure_skew(page)
    } else {
        0.0
    };
    if skew == 0.0 {
        (skew, Cow::Borrowed(page))
    } else {
        (skew, Cow::Owned(deskew::rotate(page, -skew)))
    }
}

/// Resolution at which orientation is judged: letters are still well formed, and the
/// detector has a quarter of the pixels of a 300 dpi page to look at.
const ORIENTATION_DPI: f64 = 150.0;

fn detect_orientation(
    engine: &mut dyn OcrEngine,
    gray: &GrayImage,
    dpi: f64,
) -> Result<crate::ocr::Orientation, OcrError> {
    let factor = (dpi / ORIENTATION_DPI).floor();
    if factor < 2.0 {
        return engine.detect_orientation(gray, dpi.round() as u32);
    }
    let (w, h) = (gray.width() as f64 / factor, gray.height() as f64 / factor);
    let small = imageops::resize(
        gray,
        (w.round() as u32).max(1),
        (h.round() as u32).max(1),
        imageops::FilterType::Triangle,
    );
    engine.detect_orientation(&small, (dpi / factor).round() as u32)
}

/// Gray pixels for OCR and measuring; transparent areas count as white paper.
fn flatten_to_gray(image: &DynamicImage) -> GrayImage {
    if !image.color().has_alpha() {
        return image.to_luma8();
    }
    let rgba = image.to_rgba8();
    GrayImage::from_fn(image.width(), image.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        // ITU-R BT.601 luma, as the image crate uses, blended over white.
        let luma = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
        image::Luma([over_white(luma as u8, a)])
    })
}

/// A colour value with opacity `alpha`, composited over white paper.
fn over_white(value: u8, alpha: u8) -> u8 {
    let (value, alpha) = (u32::from(value), u32::from(alpha));
    ((value * alpha + 255 * (255 - alpha)) / 255) as u8
}

/// The image the PDF shows: the original coded bytes where possible, else lossless pixels.
/// `gray` is the page's gray rendering, already made for OCR.
fn page_image(decoded: DecodedPage, gray: GrayImage) -> PageImage {
    let (width_px, height_px) = (decoded.image.width(), decoded.image.height());
    let data = match decoded.original {
        Original::Jpeg { bytes, components } => ImageData::Jpeg { bytes, components },
        Original::CcittG4 {
            mut strips,
            rows_per_strip,
            black_is_1,
        } => match strips.pop() {
            Some(only) if strips.is_empty() => ImageData::CcittG4 {
                bytes: only,
                black_is_1,
            },
            last => ImageData::CcittG4Strips {
                strips: strips.into_iter().chain(last).collect(),
                rows_per_strip,
                black_is_1,
            },
        },
        Original::Bilevel => ImageData::CcittG4 {
            bytes: ccitt::encode_g4(&gray),
            black_is_1: false,
        },
        Original::Pixels => {
            let color = decoded.image.color();
            if !color.has_color() {
                ImageData::Gray8(gray.into_raw())
            } else if !color.has_alpha() {
                ImageData::Rgb8(decoded.image.to_rgb8().into_raw())
            } else {
                let rgba = decoded.image.to_rgba8();
                ImageData::Rgb8(
                    rgba.pixels()
                        .flat_map(|p| {
                            let [r, g, b, a] = p.0;
                            [over_white(r, a), over_white(g, a), over_white(b, a)]
                        })
                        .collect(),
                )
            }
        }
    };
    PageImage {
        data,
        width_px,
        height_px,
    }
}

/// Below this confidence a "word" without a letter or digit is taken for a speck of dust or
/// a ruling line read as punctuation (`|`, `-_`), and left out of the text layer.
const NOISE_CONFIDENCE: f32 = 60.0;

/// A "word" whose box is smaller than this fraction of the page's typical line height on
/// both sides is a speck, whatever it was read as and however confidently (a full stop at
/// 300 dpi is about a fifth of the line height, the smallest letter about a third; specks
/// read as `|`, `_`, `7` or `h` are a few pixels).
const SPECK_SIZE: f64 = 0.12;

/// Printed text lines are about one typical line height tall. Something more than this many
/// times taller that reads below [`NOISE_CONFIDENCE`] is a drawing — a handwritten
/// signature, a stamp, or a column of list numbers the layout analysis took for vertical
/// text — and its "words" are left out.
const DRAWING_HEIGHT: f64 = 2.5;

/// What the text layer leaves out of a page's OCR: specks, ruling lines and drawings read
/// as words. Judged from confidence, letters and size against the page's typical line
/// height, never from the words' spelling.
struct NoiseFilter {
    typical_height: f64,
}

impl NoiseFilter {
    fn for_page(page: &OcrPage) -> NoiseFilter {
        let mut heights: Vec<u32> = page.lines.iter().map(|l| l.bbox.height()).collect();
        heights.sort_unstable();
        let typical = heights
            .get(heights.len().saturating_sub(1) / 2)
            .copied()
            .unwrap_or(0);
        NoiseFilter {
            typical_height: f64::from(typical),
        }
    }

    fn is_drawing(&self, height: u32, confidence: f32) -> bool {
        confidence < NOISE_CONFIDENCE && f64::from(height) > DRAWING_HEIGHT * self.typical_height
    }

    /// A line much taller than the page's lines that reads poorly as a whole.
    fn is_drawn_line(&self, line: &crate::ocr::OcrLine) -> bool {
        let count = line.words.len().max(1) as f32;
        let mean = line.words.iter().map(|w| w.confidence).sum::<f32>() / count;
        self.is_drawing(line.bbox.height(), mean)
    }

    fn is_noise(&self, word: &crate::ocr::OcrWord) -> bool {
        if self.is_drawing(word.bbox.height(), word.confidence) {
            return true;
        }
        let speck = SPECK_SIZE * self.typical_height;
        let tiny = f64::from(word.bbox.width().max(word.bbox.height())) < speck;
        if tiny {
            // Smaller than a full stop: no letter or digit is legible at that size, so even a
            // speck read as "7" or "h" is a speck.
            return true;
        }
        if word.text.chars().any(char::is_alphanumeric) {
            return false;
        }
        word.confidence < NOISE_CONFIDENCE
    }
}

fn text_lines(page: &OcrPage) -> Vec<pdf::TextLine> {
    let rect = |r: &crate::ocr::PixelRect| pdf::PixelRect {
        left: f64::from(r.left),
        top: f64::from(r.top),
        right: f64::from(r.right),
        bottom: f64::from(r.bottom),
    };
    let noise = NoiseFilter::for_page(page);
    page.lines
        .iter()
        .filter(|line| !noise.is_drawn_line(line))
        .filter_map(|line| {
            let kept: Vec<_> = line.words.iter().filter(|w| !noise.is_noise(w)).collect();
            // A line that lost words is as tall and wide as what is left of it: a signature
            // read as part of a line must not set its height.
            let bbox = if kept.len() == line.words.len() {
                line.bbox
            } else {
                kept.iter().map(|w| w.bbox).reduce(|a, b| a.union(&b))?
            };
            Some(pdf::TextLine {
                bbox: rect(&bbox),
                words: kept
                    .iter()
                    .map(|word| pdf::TextWord {
                        text: word.text.clone(),
                        bbox: rect(&word.bbox),
                    })
                    .collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::{OcrLine, OcrWord, PixelRect};

    fn word(text: &str, confidence: f32, [left, top, right, bottom]: [u32; 4]) -> OcrWord {
        OcrWord {
            text: text.into(),
            bbox: PixelRect {
                left,
                top,
                right,
                bottom,
            },
            confidence,
        }
    }

    fn line(words: Vec<OcrWord>) -> OcrLine {
        let bbox = words
            .iter()
            .map(|w| w.bbox)
            .reduce(|a, b| a.union(&b))
            .unwrap();
        OcrLine { words, bbox }
    }

    fn page(lines: Vec<OcrLine>) -> OcrPage {
        OcrPage {
            lines,
            mean_confidence: 90.0,
            width: 2480,
            height: 3508,
        }
    }

    fn texts(lines: &[pdf::TextLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                let words: Vec<_> = l.words.iter().map(|w| w.text.as_str()).collect();
                words.join(" ")
            })
            .collect()
    }

    #[test]
    fn signatures_specks_and_vertical_scraps_are_left_out() {
        let lines = text_lines(&page(vec![
            line(vec![
                word("Họ", 96.0, [100, 100, 160, 150]),
                word("tên:", 95.0, [170, 100, 260, 150]),
                // A speck read confidently as a bar.
                word("|", 80.0, [300, 120, 303, 124]),
            ]),
            line(vec![
                word("Ngày", 96.0, [100, 200, 200, 252]),
                // A full stop is no speck.
                word(".", 93.0, [210, 240, 220, 250]),
                // A speck read confidently as a letter is still a speck.
                word("h", 85.0, [400, 220, 403, 222]),
            ]),
            // A signature: one "word" three lines tall, read poorly.
            line(vec![word("A112", 30.0, [100, 300, 700, 480])]),
            // A column of list numbers read as one vertical line.
            line(vec![
                word("SSHỆ", 0.0, [100, 500, 140, 560]),
                word("tôn", 37.0, [100, 600, 140, 640]),
                word("+", 88.0, [100, 700, 140, 750]),
            ]),
            // A large title reads well: kept.
            line(vec![word("QUYẾT", 95.0, [100, 800, 600, 960])]),
            line(vec![word("Điều", 97.0, [100, 1000, 190, 1050])]),
        ]));
        assert_eq!(texts(&lines), ["Họ tên:", "Ngày .", "QUYẾT", "Điều"]);
        assert_eq!(plain_text(&lines), "Họ tên:\nNgày .\nQUYẾT\nĐiều");
        // The first line lost its speck, and its box with it.
        assert_eq!(lines[0].bbox.right, 260.0);
    }
}
