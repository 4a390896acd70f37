//! PDF writing for digitized dossiers: a deterministic PDF/A-2b (or 2u) writer that places
//! scanned page images as they are and lays an invisible, searchable OCR text layer over
//! them. Reading PDFs, incremental updates and signatures are left to other modules.
//!
//! The writer takes bytes and values and returns bytes: no files, no clock (the caller's
//! [`DocumentInfo::created`] dates the document) and the same inputs always give the same
//! bytes, down to the trailer /ID.
//!
//! One file per PDF concept: [`object`] (syntax, references, cross-reference table),
//! `image` (image XObjects), `font` (glyphless TrueType, Type 0 font, ToUnicode), `text`
//! (the text layer), `page` (geometry and content), `xmp` (metadata), `icc` (the sRGB
//! output profile) and `document` (assembly, with the ISO 19005-2 clause ledger).

mod document;
mod font;
mod icc;
mod image;
pub mod incremental;
pub mod object;
mod page;
pub mod read;
mod text;
pub mod truetype;
mod xmp;

pub use document::PRODUCER;
pub use icc::srgb_profile;
pub use xmp::{KYSO_NS, KYSO_PREFIX, parse_pdf_date, pdf_date, xmp_date};

/// The PDF/A conformance level written into the XMP identification (ISO 19005-2 §6.6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdfAPart {
    /// PDF/A-2b: visual appearance preserved.
    A2b,
    /// PDF/A-2u: 2b plus Unicode for all text; our text layer always has a ToUnicode map.
    A2u,
}

/// Document-level facts, all supplied by the caller.
#[derive(Debug, Clone)]
pub struct DocumentInfo {
    pub part: PdfAPart,
    pub title: Option<String>,
    /// The dossier (hồ sơ) code. Written as `dc:identifier` and, with
    /// [`WriteOptions::kyso_schema`], as `kyso:dossierCode`.
    pub dossier_code: Option<String>,
    /// The application that made the document, e.g. "kyso 0.1.0" (xmp:CreatorTool,
    /// /Creator).
    pub creator_tool: String,
    /// The caller's clock; used for the XMP dates and /CreationDate. No `now()` inside.
    pub created: time::OffsetDateTime,
    /// The document language (catalog /Lang, dc:language), e.g. "vi-VN".
    pub language: String,
}

/// Choices that change what is written beyond [`DocumentInfo`]; `Default` is what
/// [`write_pdfa`] uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteOptions {
    /// Also write kyso's own XMP schema (dossier code, page count) with its PDF/A extension
    /// schema description (ISO 19005-2 §6.6.2.3.2). This is valid PDF/A, but allowlist
    /// validators that know only the predefined schemas, such as pikepdf's, report the
    /// namespaces as not permitted; so it is off by default. The dossier code is always in
    /// `dc:identifier`.
    pub kyso_schema: bool,
}

impl WriteOptions {
    pub fn with_kyso_schema(mut self, on: bool) -> Self {
        self.kyso_schema = on;
        self
    }
}

/// How the stored page image is encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageData {
    /// Original JPEG bytes placed as-is (/DCTDecode); components 1 (gray) or 3 (RGB). Never
    /// re-encoded. The frame header must agree with the declared size and components.
    Jpeg { bytes: Vec<u8>, components: u8 },
    /// 8-bit gray pixels, row-major, compressed losslessly with /FlateDecode.
    Gray8(Vec<u8>),
    /// 8-bit RGB pixels, row-major, compressed losslessly with /FlateDecode.
    Rgb8(Vec<u8>),
    /// Gray or RGB pixels already compressed by [`ImageData::compressed`], so that pages can
    /// be compressed in parallel and not held uncompressed until the document is written.
    Flate {
        data: Vec<u8>,
        components: u8,
        /// Whether the rows went through the PNG Paeth-style predictor (/Predictor 15).
        predictor: bool,
    },
    /// CCITT Group 4 data covering the whole image, as found in a single-strip TIFF
    /// (/CCITTFaxDecode, K -1, Columns, Rows). `black_is_1` must be true for TIFF
    /// PhotometricInterpretation 1 (BlackIsZero) and false for 0 (WhiteIsZero): TIFF G4
    /// decoders write white runs as 0 bits, so under BlackIsZero the paper is coded as
    /// "black" runs and PDF must invert them (ISO 32000-1 §7.4.6, Table 11).
    CcittG4 { bytes: Vec<u8>, black_is_1: bool },
    /// CCITT Group 4 strips of a multi-strip TIFF, top to bottom, each coded on its own and
    /// `rows_per_strip` rows high (the last may be shorter). Each strip becomes its own image
    /// XObject, drawn edge to edge, so nothing is decoded or re-encoded. `black_is_1` as for
    /// [`ImageData::CcittG4`].
    CcittG4Strips {
        strips: Vec<Vec<u8>>,
        rows_per_strip: u32,
        black_is_1: bool,
    },
}

/// A stored scan image and its size in pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageImage {
    pub data: ImageData,
    pub width_px: u32,
    pub height_px: u32,
}

/// A rectangle in pixels of the upright, straightened frame; y grows downwards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelRect {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

/// One recognized word. Words with an empty or inverted box, or with no printable
/// character, are not placed.
#[derive(Debug, Clone, PartialEq)]
pub struct TextWord {
    /// The word as recognized; expected in NFC (Tesseract's output is). It is written
    /// character for character, so extraction returns exactly this text.
    pub text: String,
    pub bbox: PixelRect,
}

/// One line of words, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    pub words: Vec<TextWord>,
    pub bbox: PixelRect,
}

/// One page to write.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSpec {
    pub image: PageImage,
    /// Pixels per inch of the stored image (same in x and y).
    pub dpi: f64,
    /// How the stored image must be drawn to appear upright and straight: first turned
    /// clockwise by `quarter_turns` × 90° (taken modulo 4), then rotated by `skew_degrees`
    /// (positive = counter-clockwise as seen on the page, at most 45° either way) about the
    /// page centre.
    pub quarter_turns: u8,
    pub skew_degrees: f64,
    /// OCR text in the pixel coordinates of the upright, straightened frame (the stored
    /// image after the quarter turns and the skew rotation, same size as after the quarter
    /// turns).
    pub lines: Vec<TextLine>,
}

/// Why a document could not be written. Page numbers are 0-based indexes into the pages
/// given to [`write_pdfa`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    #[error("no pages to write: a PDF needs at least one page")]
    NoPages,
    #[error("page {page}: the image is {width}×{height} pixels; both sides must be positive")]
    EmptyImage {
        page: usize,
        width: u32,
        height: u32,
    },
    #[error("page {page}: the image has no data")]
    EmptyImageData { page: usize },
    #[error(
        "page {page}: the pixel buffer has {actual} bytes but width × height × components is \
         {expected}"
    )]
    PixelBufferLength {
        page: usize,
        expected: u64,
        actual: usize,
    },
    #[error("page {page}: resolution {dpi} dpi is not a positive number")]
    InvalidDpi { page: usize, dpi: f64 },
    #[error("page {page}: skew {degrees}° is not a small finite angle (|skew| ≤ 45°)")]
    InvalidSkew { page: usize, degrees: f64 },
    #[error(
        "page {page}: the page would be {width_pt}×{height_pt} pt; PDF pages must be between \
         3 and 14400 pt on each side (check the dpi)"
    )]
    PageSize {
        page: usize,
        width_pt: f64,
        height_pt: f64,
    },
    #[error("page {page}: a JPEG with {components} components cannot be placed; use 1 or 3")]
    UnsupportedJpegComponents { page: usize, components: u8 },
    #[error("page {page}: compressed pixels with {components} components; use 1 or 3")]
    UnsupportedComponents { page: usize, components: u8 },
    #[error("page {page}: the image data is not a JPEG with a readable frame header")]
    NotJpeg { page: usize },
    #[error(
        "page {page}: the JPEG is {}×{} with {} components but was declared as {}×{} with {}",
        found.0, found.1, found.2, declared.0, declared.1, declared.2
    )]
    JpegMismatch {
        page: usize,
        /// (width, height, components) given by the caller.
        declared: (u32, u32, u8),
        /// (width, height, components) in the JPEG frame header.
        found: (u32, u32, u8),
    },
    #[error(
        "page {page}: {strips} G4 strips of {rows_per_strip} rows do not cover the image's \
         {height} rows"
    )]
    StripLayout {
        page: usize,
        strips: usize,
        rows_per_strip: u32,
        height: u32,
    },
    #[error(
        "the text uses {outside_bmp} distinct characters outside the Basic Multilingual Plane, \
         more than the free Private Use Area codes available to encode them"
    )]
    TooManyCharacters { outside_bmp: usize },
}

/// Writes a PDF/A-2 document (part and conformance from `info`) with one page per spec.
pub fn write_pdfa(pages: &[PageSpec], info: &DocumentInfo) -> Result<Vec<u8>, PdfError> {
    document::write(pages, info, WriteOptions::default())
}

/// [`write_pdfa`] with non-default [`WriteOptions`].
pub fn write_pdfa_with(
    pages: &[PageSpec],
    info: &DocumentInfo,
    options: WriteOptions,
) -> Result<Vec<u8>, PdfError> {
    document::write(pages, info, options)
}
