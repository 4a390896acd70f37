//! The error type of the OCR module; which conditions raise each variant is decided by the
//! engines.

use std::path::PathBuf;

/// Why OCR could not run. A page with no text is not an error: it gives an empty
/// [`OcrPage`](super::OcrPage).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OcrError {
    /// The tessdata folder itself is missing.
    #[error(
        "the Tesseract data folder {path} does not exist: install the Debian package \
         {package} or set TESSDATA_PREFIX to the tessdata folder itself"
    )]
    MissingTessdata {
        path: PathBuf,
        /// The Debian package that provides the folder and the language.
        package: String,
    },
    /// A `.traineddata` file for the requested language (or for orientation detection) is
    /// missing from the tessdata folder.
    #[error(
        "the Tesseract language file {path} for '{language}' is missing: install the Debian \
         package {package}"
    )]
    MissingLanguage {
        language: String,
        path: PathBuf,
        package: String,
    },
    /// The language string is not a `+`-separated list of plain names.
    #[error("'{language}' is not a Tesseract language name (expected names such as 'vie')")]
    InvalidLanguage { language: String },
    /// Tesseract refused to load the language data (corrupt or incompatible file).
    #[error(
        "Tesseract could not load language '{language}' from {tessdata} (code {code}); \
         reinstall the language package"
    )]
    Init {
        language: String,
        tessdata: PathBuf,
        code: i32,
    },
    /// Tesseract cannot represent the page: its coordinates are 16-bit and Leptonica refuses
    /// buffers of 2 GiB or more.
    #[error(
        "the page image is {width}×{height} pixels, too large for Tesseract (at most \
         {max_side} pixels a side and {max_pixels} pixels in all); scan at a lower resolution"
    )]
    ImageTooLarge {
        width: u32,
        height: u32,
        max_side: u32,
        max_pixels: u64,
    },
    /// Tesseract ran but reported a failure for the page.
    #[error("Tesseract failed to {stage} the page (code {code})")]
    Recognition { stage: &'static str, code: i32 },
}
