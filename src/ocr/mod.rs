//! OCR for scanned pages: the engine trait, the page model it returns, the Tesseract engine
//! and text-quality measures. Image cleanup, deskewing and PDF text layers are left to
//! `digitize` and `pdf`.
//!
//! Only [`tesseract`] talks to Tesseract's C API; everything else here is safe Rust.
//!
//! ```no_run
//! use kyso::ocr::{OcrEngine, TesseractConfig, TesseractEngine};
//! # fn main() -> Result<(), kyso::ocr::OcrError> {
//! let mut engine = TesseractEngine::new(&TesseractConfig::default())?;
//! let page = image::GrayImage::from_pixel(2480, 3508, image::Luma([255]));
//! let turns = engine.detect_orientation(&page, 300)?;
//! let text = engine.recognize(&page, 300)?;
//! # let _ = (turns, text);
//! # Ok(())
//! # }
//! ```

mod error;
mod page;
pub mod quality;
mod rereads;
mod results;
mod tesseract;

pub use error::OcrError;
pub use page::{OcrEngine, OcrLine, OcrPage, OcrWord, Orientation, PixelRect};
pub use tesseract::{
    DEBIAN_TESSDATA, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, MIN_ORIENTATION_CONFIDENCE, TesseractConfig,
    TesseractEngine,
};
