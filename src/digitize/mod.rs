//! Digitize: scanned pages in, a searchable two-layer PDF/A out. Decoding, orientation,
//! deskew and the page-parallel orchestration live here; OCR is left to [`crate::ocr`] and the
//! PDF/A bytes to [`crate::pdf`]. Takes bytes and returns bytes: the callers (CLI, server) do
//! the file handling.

pub mod ccitt;
pub mod decode;
pub mod deskew;
pub mod pdf_input;
mod pipeline;
mod upright;

pub use pipeline::{
    DigitizeOptions, Digitized, Input, NoProgress, PageReport, Progress, Summary, digitize,
};

use crate::ocr::OcrError;
use crate::pdf::PdfError;

/// Why a set of scans could not be digitized. Each variant names the input it is about.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DigitizeError {
    #[error("no input pages")]
    NoInput,
    #[error("{input}{}: {problem}", page.map(|p| format!(" page {p}")).unwrap_or_default())]
    BadInput {
        input: String,
        page: Option<usize>,
        problem: String,
    },
    #[error(
        "{input}: the image is {width}×{height} pixels, more than kyso accepts (at most \
         {max_side} pixels per side and {} megapixels)",
        decode::MAX_PIXELS / 1_000_000
    )]
    TooLarge {
        input: String,
        width: u32,
        height: u32,
        max_side: u32,
    },
    #[error("{input}: {what} cannot be digitized")]
    Unsupported { input: String, what: String },
    #[error("{input} page {page}: OCR failed")]
    Ocr {
        input: String,
        page: usize,
        #[source]
        source: OcrError,
    },
    #[error("cannot start the OCR engine")]
    Engine(#[source] OcrError),
    #[error("cannot write the PDF/A file")]
    Pdf(#[from] PdfError),
}
