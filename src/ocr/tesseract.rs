//! The Tesseract engine: the only file in kyso that calls Tesseract's C API (through the
//! `tesseract` crate's re-export of `tesseract-sys`). It hands raw words and OSD degrees to
//! `results.rs` and reads again the lines `rereads.rs` picks; image cleanup and rotation
//! are left to the caller.

use std::ffi::{CStr, CString, c_char, c_int};
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};

use tesseract::plumbing::tesseract_sys as sys;

use super::PixelRect;
use super::rereads;
use super::results::{RawWord, TessBox, assemble_page, orientation_from_osd};
use super::{OcrEngine, OcrError, OcrPage, OcrWord, Orientation};

/// Where Debian 12's `tesseract-ocr-*` packages put the language data.
pub const DEBIAN_TESSDATA: &str = "/usr/share/tesseract-ocr/5/tessdata";

/// The longest side Tesseract accepts: since 5.0 its coordinates are `int16`, and
/// `TessBaseAPI::Threshold` refuses larger images.
pub const MAX_IMAGE_SIDE: u32 = i16::MAX as u32;

/// The most pixels kyso hands to Tesseract (2^28, e.g. 16384×16384, or A3 at 1200 dpi).
/// Leptonica refuses single buffers of 2 GiB or more and Tesseract keeps 32-bit copies of a
/// page in places; this keeps every copy below that with room to spare.
pub const MAX_IMAGE_PIXELS: u64 = 1 << 28;

/// OSD scores below this give 0 turns. Measured on `don-de-nghi` in all four orientations:
/// a full page scores 12.8–16.8, a 4-line header 5.2–5.6, two lines 1.4–1.5, one line about
/// 0.1, a single word, a blank page or noise 0 — and every non-zero answer was right. The bar
/// sits between two and four lines: a wrong turn ruins an upright page, while a page left
/// turned still reaches the archive as scanned. (OCRmyPDF's default bar is 14, which would
/// miss the sideways sample at 12.4.)
pub const MIN_ORIENTATION_CONFIDENCE: f32 = 2.0;

/// Resolutions Tesseract believes (its `kMinCredibleResolution`..`kMaxCredibleResolution`);
/// outside them it is not told the resolution and estimates it from the text size.
const CREDIBLE_DPI: std::ops::RangeInclusive<u32> = 70..=2400;

/// Images smaller than this on either side cannot hold a legible glyph at any resolution kyso
/// scans at; they are answered (empty page, undecided orientation) without calling Tesseract.
const MIN_IMAGE_SIDE: u32 = 8;

/// PSM 3 (automatic layout) measured best on the samples: on `don-de-nghi` CER 1.7 % against
/// 5.4 % for PSM 6 (one block) and 37 % for PSM 4 (one column).
const PAGE_SEG_MODE: sys::TessPageSegMode = sys::TessPageSegMode_PSM_AUTO;

/// How to start a [`TesseractEngine`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TesseractConfig {
    /// The tessdata folder itself (holding `vie.traineddata`), not its parent. `None`: the
    /// `TESSDATA_PREFIX` environment variable, else [`DEBIAN_TESSDATA`].
    pub tessdata: Option<PathBuf>,
    /// Tesseract language names joined by `+`. Use `vie` alone: `vie+eng` strips the
    /// diacritics from capitals ("ĐƠN" → "DON").
    pub language: String,
}

impl Default for TesseractConfig {
    fn default() -> Self {
        TesseractConfig {
            tessdata: None,
            language: "vie".to_owned(),
        }
    }
}

impl TesseractConfig {
    /// The tessdata folder this configuration resolves to.
    pub fn tessdata_dir(&self) -> PathBuf {
        self.tessdata
            .clone()
            .or_else(|| std::env::var_os("TESSDATA_PREFIX").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEBIAN_TESSDATA))
    }
}

/// OCR with Tesseract's LSTM engine and orientation detection with its OSD model.
///
/// Holds one `TessBaseAPI` for recognition, reused across pages, and a second one for
/// orientation detection, created on first use (OSD needs the legacy `osd` model, which the
/// LSTM-only `vie` model cannot serve). The engine is `Send` but not `Sync`: Tesseract
/// handles keep per-page state, so give each worker thread its own engine. Start the process
/// with `OMP_THREAD_LIMIT=1` so that each engine runs single-threaded.
pub struct TesseractEngine {
    ocr: Api,
    osd: Option<Api>,
    tessdata: PathBuf,
    language: String,
}

impl std::fmt::Debug for TesseractEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TesseractEngine")
            .field("tessdata", &self.tessdata)
            .field("language", &self.language)
            .field("osd_loaded", &self.osd.is_some())
            .finish()
    }
}

impl TesseractEngine {
    /// Loads the language model. Fails with [`OcrError::MissingTessdata`] or
    /// [`OcrError::MissingLanguage`] naming the file and the Debian package to install.
    pub fn new(config: &TesseractConfig) -> Result<Self, OcrError> {
        let tessdata = config.tessdata_dir();
        check_language_files(&tessdata, &config.language)?;
        let ocr = Api::init(
            &tessdata,
            &config.language,
            sys::TessOcrEngineMode_OEM_LSTM_ONLY,
        )?;
        ocr.set_page_seg_mode(PAGE_SEG_MODE);
        Ok(TesseractEngine {
            ocr,
            osd: None,
            tessdata,
            language: config.language.clone(),
        })
    }

    /// The tessdata folder in use.
    pub fn tessdata(&self) -> &Path {
        &self.tessdata
    }

    /// Reads `strip` of `image` with the current page segmentation mode, after painting the
    /// `blank` rectangles white; the words come back in whole-image coordinates. The strip is
    /// copied out rather than selected with `SetRectangle` because the specks are painted on
    /// the copy, never on the caller's page.
    fn read_strip(
        &self,
        image: &image::GrayImage,
        dpi: u32,
        strip: PixelRect,
        blank: &[PixelRect],
    ) -> Result<Vec<OcrWord>, OcrError> {
        let (width, height) = image.dimensions();
        let right = strip.right.min(width);
        let bottom = strip.bottom.min(height);
        let (left, top) = (strip.left.min(right), strip.top.min(bottom));
        let mut crop =
            image::imageops::crop_imm(image, left, top, right - left, bottom - top).to_image();
        for r in blank {
            for y in r.top.max(top)..r.bottom.min(bottom) {
                for x in r.left.max(left)..r.right.min(right) {
                    crop.put_pixel(x - left, y - top, image::Luma([255]));
                }
            }
        }
        let (w, h) = crop.dimensions();
        if w < MIN_IMAGE_SIDE || h < MIN_IMAGE_SIDE {
            return Ok(Vec::new());
        }
        let raw = self.ocr.with_image(&crop, dpi, |api| {
            let code = api.recognize();
            if code != 0 {
                return Err(OcrError::Recognition {
                    stage: "recognize line",
                    code,
                });
            }
            Ok(api.read_words())
        })?;
        let shift = |[l, t, r, b]: TessBox| {
            // The page passed `check_size`: its coordinates fit in i16.
            let (dx, dy) = (left as i32, top as i32);
            [l + dx, t + dy, r + dx, b + dy]
        };
        let raw = raw
            .into_iter()
            .map(|word| RawWord {
                word_box: shift(word.word_box),
                line_box: word.line_box.map(shift),
                ..word
            })
            .collect();
        Ok(assemble_page(raw, width, height)
            .lines
            .into_iter()
            .flat_map(|line| line.words)
            .collect())
    }

    /// The OSD handle, loaded on first use so that engines that never detect orientation do
    /// not hold the `osd` model.
    fn osd_api(&mut self) -> Result<&Api, OcrError> {
        let api = match self.osd.take() {
            Some(api) => api,
            None => {
                check_language_files(&self.tessdata, "osd")?;
                let api = Api::init(
                    &self.tessdata,
                    "osd",
                    sys::TessOcrEngineMode_OEM_TESSERACT_ONLY,
                )?;
                api.set_page_seg_mode(sys::TessPageSegMode_PSM_OSD_ONLY);
                api
            }
        };
        Ok(self.osd.insert(api))
    }
}

impl OcrEngine for TesseractEngine {
    fn recognize(&mut self, image: &image::GrayImage, dpi: u32) -> Result<OcrPage, OcrError> {
        let (width, height) = image.dimensions();
        check_size(width, height)?;
        if width < MIN_IMAGE_SIDE || height < MIN_IMAGE_SIDE {
            return Ok(OcrPage::empty(width, height));
        }
        let mut page = self.ocr.with_image(image, dpi, |api| {
            let code = api.recognize();
            if code != 0 {
                return Err(OcrError::Recognition {
                    stage: "recognize",
                    code,
                });
            }
            Ok(assemble_page(api.read_words(), width, height))
        })?;
        let lines = rereads::find_rereads(&page);
        if lines.is_empty() {
            return Ok(page);
        }
        let started = std::time::Instant::now();
        let count = lines.len();
        // Lines the layout analysis read badly (list numbers split off into a column of
        // their own, words run together around a speck) are read again, each as one line.
        self.ocr
            .set_page_seg_mode(sys::TessPageSegMode_PSM_SINGLE_LINE);
        let readings: Result<Vec<_>, OcrError> = lines
            .into_iter()
            .map(|reread| {
                let words = self.read_strip(image, dpi, reread.strip, &reread.blank)?;
                Ok((reread, words))
            })
            .collect();
        self.ocr.set_page_seg_mode(PAGE_SEG_MODE);
        rereads::splice(&mut page, readings?);
        let ms = started.elapsed().as_millis() as u64;
        tracing::debug!(lines = count, ms, "lines read again");
        Ok(page)
    }

    fn detect_orientation(
        &mut self,
        image: &image::GrayImage,
        dpi: u32,
    ) -> Result<Orientation, OcrError> {
        let (width, height) = image.dimensions();
        check_size(width, height)?;
        if width < MIN_IMAGE_SIDE || height < MIN_IMAGE_SIDE {
            return Ok(Orientation::UNDECIDED);
        }
        let osd = self.osd_api()?;
        let answer = osd.with_image(image, dpi, |api| Ok(api.detect_orientation()))?;
        Ok(match answer {
            Some((degrees, confidence)) => {
                orientation_from_osd(degrees, confidence, MIN_ORIENTATION_CONFIDENCE)
            }
            // OSD found too few characters to vote.
            None => Orientation::UNDECIDED,
        })
    }
}

fn check_size(width: u32, height: u32) -> Result<(), OcrError> {
    let pixels = u64::from(width) * u64::from(height);
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || pixels > MAX_IMAGE_PIXELS {
        return Err(OcrError::ImageTooLarge {
            width,
            height,
            max_side: MAX_IMAGE_SIDE,
            max_pixels: MAX_IMAGE_PIXELS,
        });
    }
    Ok(())
}

/// Checks the folder and every `+`-joined language file before Tesseract sees them, so the
/// error names the missing file instead of Tesseract's "Failed loading language" on stderr.
fn check_language_files(tessdata: &Path, language: &str) -> Result<(), OcrError> {
    let valid_name = |name: &str| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !language.split('+').all(valid_name) {
        return Err(OcrError::InvalidLanguage {
            language: language.to_owned(),
        });
    }
    if !tessdata.is_dir() {
        return Err(OcrError::MissingTessdata {
            path: tessdata.to_owned(),
            package: debian_package(language.split('+').next().unwrap_or("vie")),
        });
    }
    for name in language.split('+') {
        let path = tessdata.join(format!("{name}.traineddata"));
        if !path.is_file() {
            return Err(OcrError::MissingLanguage {
                language: name.to_owned(),
                path,
                package: debian_package(name),
            });
        }
    }
    Ok(())
}

/// Debian names language packages `tesseract-ocr-<lang>` with `_` turned into `-`.
fn debian_package(language: &str) -> String {
    format!(
        "tesseract-ocr-{}",
        language.replace('_', "-").to_lowercase()
    )
}

/// An initialised `TessBaseAPI`, ended and deleted on drop.
struct Api(NonNull<sys::TessBaseAPI>);

// SAFETY: a TessBaseAPI has no affinity to the thread that created it (no thread-local state
// ties it there); Tesseract only requires that one handle is not used by two threads at once.
// `Api` is owned by exactly one `TesseractEngine`, whose methods take `&mut self`, so moving
// it to another thread hands over exclusive use. It is deliberately not `Sync`.
unsafe impl Send for Api {}

impl Api {
    fn init(tessdata: &Path, language: &str, oem: sys::TessOcrEngineMode) -> Result<Api, OcrError> {
        let init_error = |code| OcrError::Init {
            language: language.to_owned(),
            tessdata: tessdata.to_owned(),
            code,
        };
        let datapath = path_to_cstring(tessdata).ok_or_else(|| init_error(-1))?;
        let lang = CString::new(language).map_err(|_| OcrError::InvalidLanguage {
            language: language.to_owned(),
        })?;
        // SAFETY: TessBaseAPICreate has no preconditions; it returns an owned handle or null.
        let raw = unsafe { sys::TessBaseAPICreate() };
        let api = Api(NonNull::new(raw).ok_or_else(|| init_error(-1))?);
        // SAFETY: the handle is live and not yet initialised; both strings are NUL-terminated
        // and outlive the call (Tesseract copies them). On failure `api` is dropped, which
        // ends and deletes the handle.
        let code =
            unsafe { sys::TessBaseAPIInit2(api.raw(), datapath.as_ptr(), lang.as_ptr(), oem) };
        if code != 0 {
            return Err(init_error(code));
        }
        // Tesseract prints progress and warnings ("Detected 12 diacritics", "Estimating
        // resolution") on stderr for every page; kyso reports through its own errors instead.
        api.set_variable(c"debug_file", c"/dev/null");
        Ok(api)
    }

    fn raw(&self) -> *mut sys::TessBaseAPI {
        self.0.as_ptr()
    }

    fn set_variable(&self, name: &CStr, value: &CStr) -> bool {
        // SAFETY: live handle; both strings are NUL-terminated and only read during the call.
        unsafe { sys::TessBaseAPISetVariable(self.raw(), name.as_ptr(), value.as_ptr()) != 0 }
    }

    fn set_page_seg_mode(&self, mode: sys::TessPageSegMode) {
        // SAFETY: live handle; `mode` is one of the bindings' PSM constants.
        unsafe { sys::TessBaseAPISetPageSegMode(self.raw(), mode) }
    }

    /// Gives `image` to Tesseract, runs `work`, then clears the page from the handle whatever
    /// `work` returned, so that no page state leaks into the next call.
    fn with_image<T>(
        &self,
        image: &image::GrayImage,
        dpi: u32,
        work: impl FnOnce(&Api) -> Result<T, OcrError>,
    ) -> Result<T, OcrError> {
        let (width, height) = image.dimensions();
        // `check_size` ran before: both sides fit in i16, so in c_int.
        let (Ok(w), Ok(h)) = (c_int::try_from(width), c_int::try_from(height)) else {
            return Err(OcrError::ImageTooLarge {
                width,
                height,
                max_side: MAX_IMAGE_SIDE,
                max_pixels: MAX_IMAGE_PIXELS,
            });
        };
        let pixels: &[u8] = image.as_raw();
        debug_assert_eq!(pixels.len(), width as usize * height as usize);
        // SAFETY: live handle; `pixels` holds `h` rows of `w` bytes (a GrayImage is 8-bit,
        // 1 byte per pixel, rows packed), matching bytes_per_pixel = 1 and bytes_per_line = w.
        // Tesseract copies the pixels into its own Pix during the call.
        unsafe { sys::TessBaseAPISetImage(self.raw(), pixels.as_ptr(), w, h, 1, w) };
        if CREDIBLE_DPI.contains(&dpi) {
            let ppi = c_int::try_from(dpi).unwrap_or(300);
            // SAFETY: live handle with an image set (SetImage resets the resolution, so this
            // must come after it).
            unsafe { sys::TessBaseAPISetSourceResolution(self.raw(), ppi) };
        }
        let result = work(self);
        // SAFETY: live handle; frees the image copy and the page results. Every iterator was
        // deleted inside `work` (see `read_words`).
        unsafe { sys::TessBaseAPIClear(self.raw()) };
        result
    }

    fn recognize(&self) -> i32 {
        // SAFETY: live handle with an image set; a null monitor means no progress reporting
        // and no timeout.
        unsafe { sys::TessBaseAPIRecognize(self.raw(), ptr::null_mut()) }
    }

    /// Orientation degrees and confidence, or `None` when OSD could not vote.
    fn detect_orientation(&self) -> Option<(i32, f32)> {
        let mut degrees: c_int = 0;
        let mut confidence: f32 = 0.0;
        // SAFETY: live handle initialised with the `osd` model and with an image set; the
        // out-pointers are valid for writes. The script name is not requested (null), so
        // there is no string whose ownership would need settling.
        let ok = unsafe {
            sys::TessBaseAPIDetectOrientationScript(
                self.raw(),
                &mut degrees,
                &mut confidence,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        (ok != 0).then_some((degrees, confidence))
    }

    /// Words in Tesseract's reading order, after a successful `recognize`.
    fn read_words(&self) -> Vec<RawWord> {
        let mut words = Vec::new();
        // SAFETY: live handle after Recognize; the iterator is owned by us (deleted by the
        // guard) and must not outlive the results, which `with_image` clears only after this
        // function returns.
        let Some(iter) = NonNull::new(unsafe { sys::TessBaseAPIGetIterator(self.raw()) }) else {
            return words;
        };
        let iter = ResultIterator(iter);
        loop {
            let starts_line = iter.is_at_beginning_of(sys::TessPageIteratorLevel_RIL_TEXTLINE);
            let line_box = if starts_line {
                iter.bounding_box(sys::TessPageIteratorLevel_RIL_TEXTLINE)
            } else {
                None
            };
            if let Some(word_box) = iter.bounding_box(sys::TessPageIteratorLevel_RIL_WORD) {
                words.push(RawWord {
                    text: iter.word_text(),
                    word_box,
                    starts_line,
                    line_box,
                    confidence: iter.word_confidence(),
                });
            }
            if !iter.next_word() {
                break;
            }
        }
        words
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        // SAFETY: the handle is live and owned by this value, and no iterator on it survives
        // (they are scoped to `read_words`). End releases the models, Delete the handle; the
        // pointer is not used afterwards.
        unsafe {
            sys::TessBaseAPIEnd(self.raw());
            sys::TessBaseAPIDelete(self.raw());
        }
    }
}

/// A result iterator, deleted on drop.
struct ResultIterator(NonNull<sys::TessResultIterator>);

impl ResultIterator {
    fn page(&self) -> *const sys::TessPageIterator {
        // SAFETY: live iterator; the page iterator is a view of the same object (not owned,
        // never freed separately) and lives as long as `self`.
        unsafe { sys::TessResultIteratorGetPageIteratorConst(self.0.as_ptr()) }
    }

    fn is_at_beginning_of(&self, level: sys::TessPageIteratorLevel) -> bool {
        // SAFETY: `page()` is valid while `self` lives; `level` is a RIL constant.
        unsafe { sys::TessPageIteratorIsAtBeginningOf(self.page(), level) != 0 }
    }

    fn bounding_box(&self, level: sys::TessPageIteratorLevel) -> Option<TessBox> {
        let (mut left, mut top, mut right, mut bottom): (c_int, c_int, c_int, c_int) = (0, 0, 0, 0);
        // SAFETY: `page()` is valid while `self` lives; the four out-pointers are valid for
        // writes. It returns false (and writes nothing useful) past the last element.
        let ok = unsafe {
            sys::TessPageIteratorBoundingBox(
                self.page(),
                level,
                &mut left,
                &mut top,
                &mut right,
                &mut bottom,
            )
        };
        (ok != 0).then_some([left, top, right, bottom])
    }

    fn word_text(&self) -> String {
        // SAFETY: live iterator; the returned string (or null) is owned by us.
        let text = unsafe {
            sys::TessResultIteratorGetUTF8Text(self.0.as_ptr(), sys::TessPageIteratorLevel_RIL_WORD)
        };
        take_text(text)
    }

    fn word_confidence(&self) -> f32 {
        // SAFETY: live iterator; `RIL_WORD` is a valid level.
        unsafe {
            sys::TessResultIteratorConfidence(self.0.as_ptr(), sys::TessPageIteratorLevel_RIL_WORD)
        }
    }

    fn next_word(&self) -> bool {
        // SAFETY: live iterator; advancing past the end returns false and leaves it valid.
        unsafe {
            sys::TessResultIteratorNext(self.0.as_ptr(), sys::TessPageIteratorLevel_RIL_WORD) != 0
        }
    }
}

impl Drop for ResultIterator {
    fn drop(&mut self) {
        // SAFETY: we own the iterator and nothing borrowed from it survives `self`.
        unsafe { sys::TessResultIteratorDelete(self.0.as_ptr()) }
    }
}

/// Copies a Tesseract-allocated UTF-8 string and frees it with `TessDeleteText`.
fn take_text(text: *mut c_char) -> String {
    if text.is_null() {
        return String::new();
    }
    // SAFETY: non-null, NUL-terminated string allocated by Tesseract, valid until freed below.
    let owned = unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: allocated by Tesseract (new[]), freed exactly once with its matching function,
    // and not used afterwards.
    unsafe { sys::TessDeleteText(text) };
    owned
}

fn path_to_cstring(path: &Path) -> Option<CString> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        CString::new(path.as_os_str().as_bytes()).ok()
    }
    #[cfg(not(unix))]
    {
        CString::new(path.to_str()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_beyond_tesseracts_limits_are_refused() {
        assert!(check_size(2480, 3508).is_ok());
        assert!(check_size(0, 0).is_ok());
        assert!(matches!(
            check_size(MAX_IMAGE_SIDE + 1, 10),
            Err(OcrError::ImageTooLarge { width: 32768, .. })
        ));
        assert!(matches!(
            check_size(20_000, 20_000),
            Err(OcrError::ImageTooLarge { .. })
        ));
    }

    #[test]
    fn missing_files_name_the_path_and_package() {
        let err = check_language_files(Path::new("/nonexistent/tessdata"), "vie").unwrap_err();
        assert!(matches!(err, OcrError::MissingTessdata { .. }), "{err:?}");
        assert!(err.to_string().contains("tesseract-ocr-vie"), "{err}");
        let dir = std::env::temp_dir();
        let err = check_language_files(&dir, "chi_sim").unwrap_err();
        match err {
            OcrError::MissingLanguage { path, package, .. } => {
                assert!(path.ends_with("chi_sim.traineddata"));
                assert_eq!(package, "tesseract-ocr-chi-sim");
            }
            other => panic!("{other:?}"),
        }
        for bad in ["", "vie+", "../vie", "vie\0"] {
            assert!(matches!(
                check_language_files(&dir, bad),
                Err(OcrError::InvalidLanguage { .. })
            ));
        }
    }
}
