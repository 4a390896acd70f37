//! Pages of a scanned PDF: each page must show exactly one image covering it, and no visible
//! text; the image comes back as coded bytes where the PDF/A writer can place them unchanged
//! (JPEG, CCITT G4) and as 8-bit pixels otherwise. Parsing the file is left to
//! [`crate::pdf::read`]; cleanup and OCR to the pipeline.
//!
//! Invisible text (render mode 3, ISO 32000-1 §9.3.6) is allowed: it is an earlier OCR layer,
//! such as OCRmyPDF's, and is ignored; kyso writes its own.

use crate::pdf::read::content::{Operation, operations};
use crate::pdf::read::{
    DecodedStream, Dictionary, Document, ImageCodec, Object, ObjectId, Page, PdfReadError,
    Rectangle, Stream,
};

use super::decode::{MAX_PIXELS, MAX_SIDE};

/// The stored image of a scanned page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScannedImage {
    /// A /DCTDecode image: the JPEG bytes as stored, with 1 (gray) or 3 (RGB) components.
    Jpeg { bytes: Vec<u8>, components: u8 },
    /// A /CCITTFaxDecode Group 4 image (K < 0) covering the whole image, not byte-aligned.
    /// `black_is_1` as the PDF means it (/BlackIs1, inverted by a /Decode [1 0]).
    CcittG4 { bytes: Vec<u8>, black_is_1: bool },
    /// Decoded 8-bit gray pixels, row-major (1-, 2- and 4-bit samples scaled to 0–255, 16-bit
    /// reduced to their high byte).
    Gray8(Vec<u8>),
    /// Decoded 8-bit RGB pixels, row-major (Indexed images expanded).
    Rgb8(Vec<u8>),
}

/// One page of a scanned PDF.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedPage {
    pub image: ScannedImage,
    pub width_px: u32,
    pub height_px: u32,
    /// Pixels per inch: the image size over the page's visible box (CropBox within MediaBox),
    /// taking a sideways placement into account.
    pub dpi: f64,
    /// The page's /Rotate: 0, 90, 180 or 270 degrees clockwise for display.
    pub page_rotate: u16,
}

/// Why a PDF's pages cannot be taken as scans. Page numbers count from 1, as viewers show
/// them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfInputError {
    #[error("the PDF is password-protected; remove the password and try again")]
    Encrypted,
    #[error("the PDF cannot be read: {0}")]
    Read(#[source] PdfReadError),
    #[error("the PDF has no pages")]
    NoPages,
    #[error("there is no page {page}: the PDF has {count} pages")]
    NoSuchPage { page: usize, count: usize },
    #[error("page {page} cannot be read: {source}")]
    Page {
        page: usize,
        #[source]
        source: PdfReadError,
    },
    #[error("page {page} has real text; it is not a scan")]
    HasText { page: usize },
    #[error("page {page} has no image; it is not a scan")]
    NoImage { page: usize },
    #[error("page {page} shows {count} images; a scanned page shows exactly one")]
    SeveralImages { page: usize, count: usize },
    #[error(
        "page {page}: the image covers {percent}% of the page; a scanned page is covered by \
         its image"
    )]
    ImageDoesNotCoverPage { page: usize, percent: u32 },
    #[error("page {page}: the image is {encoding}, which kyso cannot read")]
    UnsupportedImage { page: usize, encoding: &'static str },
    #[error("page {page}: the image is invalid: {problem}")]
    BadImage { page: usize, problem: &'static str },
    #[error("page {page}: the image is {width}×{height} pixels, more than kyso accepts")]
    TooLarge {
        page: usize,
        width: u32,
        height: u32,
    },
}

impl PdfInputError {
    fn from_read(source: PdfReadError) -> PdfInputError {
        match source {
            PdfReadError::Encrypted => PdfInputError::Encrypted,
            other => PdfInputError::Read(other),
        }
    }
}

/// The number of pages, without looking at what they show.
pub fn scanned_page_count(bytes: &[u8]) -> Result<usize, PdfInputError> {
    let document = Document::load(bytes).map_err(PdfInputError::from_read)?;
    let count = document.page_count().map_err(PdfInputError::from_read)?;
    if count == 0 {
        return Err(PdfInputError::NoPages);
    }
    Ok(count)
}

/// Page `index` (0-based) alone, for callers that take one page at a time (a page's pixels
/// can be 26 MB); the file's structure is read again on each call, which costs well under a
/// millisecond for scan PDFs.
pub fn scanned_page(bytes: &[u8], index: usize) -> Result<ScannedPage, PdfInputError> {
    let document = Document::load(bytes).map_err(PdfInputError::from_read)?;
    let pages = document.pages().map_err(PdfInputError::from_read)?;
    let page = pages.get(index).ok_or(PdfInputError::NoSuchPage {
        page: index + 1,
        count: pages.len(),
    })?;
    page_image(&document, page, index + 1)
}

/// Every page's image, in page order; fails on the first page that is not a scan.
pub fn scanned_pages(bytes: &[u8]) -> Result<Vec<ScannedPage>, PdfInputError> {
    let document = Document::load(bytes).map_err(PdfInputError::from_read)?;
    let pages = document.pages().map_err(PdfInputError::from_read)?;
    if pages.is_empty() {
        return Err(PdfInputError::NoPages);
    }
    pages
        .iter()
        .enumerate()
        .map(|(i, page)| page_image(&document, page, i + 1))
        .collect()
}

fn page_image(
    document: &Document<'_>,
    page: &Page,
    number: usize,
) -> Result<ScannedPage, PdfInputError> {
    let read = |source| PdfInputError::Page {
        page: number,
        source,
    };
    let content = page.contents(document).map_err(read)?;
    let mut found = Findings::default();
    let mut walk = Walk {
        document,
        found: &mut found,
        forms: Vec::new(),
        walked: 0,
    };
    walk.content(&content, &page.resources, IDENTITY)
        .map_err(read)?;
    if found.visible_text {
        return Err(PdfInputError::HasText { page: number });
    }
    let count = found.images.len() + found.inline_images;
    if count == 0 {
        return Err(PdfInputError::NoImage { page: number });
    }
    if count > 1 {
        return Err(PdfInputError::SeveralImages {
            page: number,
            count,
        });
    }
    let Some((stream, ctm)) = found.images.pop() else {
        return Err(PdfInputError::UnsupportedImage {
            page: number,
            encoding: "an inline image",
        });
    };
    let visible = page.visible_box();
    let placed = placed_box(&ctm);
    let covered = placed
        .intersect(&visible)
        .map_or(0.0, |r| r.width() * r.height());
    let share = covered / (visible.width() * visible.height()).max(f64::MIN_POSITIVE);
    if share < 0.9 {
        return Err(PdfInputError::ImageDoesNotCoverPage {
            page: number,
            percent: (share * 100.0).round() as u32,
        });
    }
    let (image, width_px, height_px) = image(document, &stream, number)?;
    // A sideways placement (the image's x axis along the page's y axis) swaps the sides.
    let sideways = ctm[1].abs() + ctm[2].abs() > ctm[0].abs() + ctm[3].abs();
    let (across, down) = if sideways {
        (visible.height(), visible.width())
    } else {
        (visible.width(), visible.height())
    };
    let dpi = (f64::from(width_px) * 72.0 / across + f64::from(height_px) * 72.0 / down) / 2.0;
    Ok(ScannedPage {
        image,
        width_px,
        height_px,
        dpi,
        page_rotate: page.rotate,
    })
}

/// A transformation matrix `[a b c d e f]` (ISO 32000-1 §8.3.3).
type Matrix = [f64; 6];

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m × n`: first `m`, then `n` (§8.3.4).
fn multiply(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn matrix(operands: &[Object]) -> Option<Matrix> {
    if operands.len() != 6 {
        return None;
    }
    let mut m = [0.0; 6];
    for (slot, o) in m.iter_mut().zip(operands) {
        *slot = o.as_number().filter(|v| v.is_finite())?;
    }
    Some(m)
}

/// Where the unit square of an image lands on the page (§8.9.4).
fn placed_box(ctm: &Matrix) -> Rectangle {
    let corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)].map(|(x, y)| {
        (
            ctm[0] * x + ctm[2] * y + ctm[4],
            ctm[1] * x + ctm[3] * y + ctm[5],
        )
    });
    let xs = corners.map(|c| c.0);
    let ys = corners.map(|c| c.1);
    Rectangle {
        llx: xs.iter().copied().fold(f64::INFINITY, f64::min),
        lly: ys.iter().copied().fold(f64::INFINITY, f64::min),
        urx: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        ury: ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

#[derive(Default)]
struct Findings {
    images: Vec<(Stream, Matrix)>,
    inline_images: usize,
    visible_text: bool,
}

/// Deepest nesting of form XObjects followed.
const MAX_FORM_DEPTH: usize = 12;
/// Most form XObjects walked for one page: forms drawing forms many times over would
/// otherwise multiply the work at each level.
const MAX_FORMS_PER_PAGE: usize = 256;

struct Walk<'d, 'a> {
    document: &'d Document<'a>,
    found: &'d mut Findings,
    /// The form XObjects being walked, so a form that draws itself stops.
    forms: Vec<ObjectId>,
    /// Forms walked so far on this page.
    walked: usize,
}

impl Walk<'_, '_> {
    /// Follows the graphics state through one content stream (§8.4.2: `q`/`Q` save and
    /// restore the CTM and the text render mode with it), noting images drawn and text
    /// shown.
    fn content(
        &mut self,
        data: &[u8],
        resources: &Dictionary,
        ctm: Matrix,
    ) -> Result<(), PdfReadError> {
        let ops = operations(data, self.document.limits().max_depth)?;
        let mut state = (ctm, 0i64);
        let mut saved = Vec::new();
        for Operation { operator, operands } in &ops {
            match operator.as_slice() {
                b"q" => saved.push(state),
                b"Q" => state = saved.pop().unwrap_or(state),
                b"cm" => {
                    if let Some(m) = matrix(operands) {
                        state.0 = multiply(&m, &state.0);
                    }
                }
                b"Tr" => {
                    if let Some(mode) = operands.first().and_then(Object::as_int) {
                        state.1 = mode;
                    }
                }
                b"Tj" | b"TJ" | b"'" | b"\""
                    if !matches!(state.1, 3 | 7) && shows_glyphs(operands) =>
                {
                    // Modes 3 (neither fill nor stroke) and 7 (clip only) paint nothing
                    // (§9.3.6, Table 106); an empty string shows nothing either.
                    self.found.visible_text = true;
                    return Ok(());
                }
                b"BI" => self.found.inline_images += 1,
                b"Do" => {
                    if let Some(name) = operands.first().and_then(Object::as_name) {
                        self.draw(name, resources, state.0)?;
                        if self.found.visible_text {
                            return Ok(());
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `Do`: an image is noted; a form is walked with its own matrix and resources (§8.10).
    fn draw(
        &mut self,
        name: &[u8],
        resources: &Dictionary,
        ctm: Matrix,
    ) -> Result<(), PdfReadError> {
        let doc = self.document;
        let Some(Object::Dict(xobjects)) = doc.get_key(resources, "XObject")? else {
            return Ok(());
        };
        let Some(reference) = xobjects
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
        else {
            return Ok(());
        };
        let Object::Stream(stream) = doc.resolve(&reference)? else {
            return Ok(());
        };
        match stream.dict.get("Subtype").and_then(Object::as_name) {
            Some(b"Image") => self.found.images.push((stream, ctm)),
            Some(b"Form") => {
                let id = reference.as_ref();
                if id.is_some_and(|id| self.forms.contains(&id))
                    || self.forms.len() >= MAX_FORM_DEPTH
                {
                    return Ok(());
                }
                self.walked += 1;
                if self.walked > MAX_FORMS_PER_PAGE {
                    return Err(PdfReadError::TooMany {
                        what: "form XObjects drawn on one page",
                        limit: MAX_FORMS_PER_PAGE,
                    });
                }
                let form_matrix = doc
                    .get_key(&stream.dict, "Matrix")?
                    .and_then(|m| m.as_array().and_then(matrix))
                    .unwrap_or(IDENTITY);
                let form_resources = match doc.get_key(&stream.dict, "Resources")? {
                    Some(Object::Dict(d)) => d,
                    // A form without resources uses its page's (§7.8.3, deprecated but met).
                    _ => resources.clone(),
                };
                let data = doc.decode_stream(&stream)?.data;
                self.forms.push(id.unwrap_or(ObjectId::new(0, 0)));
                let result = self.content(&data, &form_resources, multiply(&form_matrix, &ctm));
                self.forms.pop();
                result?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Whether a text-showing operator's operands hold at least one byte to show.
fn shows_glyphs(operands: &[Object]) -> bool {
    operands.iter().any(|o| match o {
        Object::String(s) => !s.is_empty(),
        Object::Array(items) => items
            .iter()
            .any(|i| i.as_string().is_some_and(|s| !s.is_empty())),
        _ => false,
    })
}

/// The colour of decoded samples (§8.6): gray or RGB, or an index into a palette of them.
enum Colour {
    Gray,
    Rgb,
    /// `Indexed`: base components (1 or 3) and the palette, `hival + 1` entries.
    Indexed {
        base: usize,
        palette: Vec<u8>,
    },
}

fn image(
    document: &Document<'_>,
    stream: &Stream,
    page: usize,
) -> Result<(ScannedImage, u32, u32), PdfInputError> {
    let read = |source| PdfInputError::Page { page, source };
    let bad = |problem| PdfInputError::BadImage { page, problem };
    let unsupported = |encoding| PdfInputError::UnsupportedImage { page, encoding };
    let dict = &stream.dict;
    let int = |key| -> Result<Option<i64>, PdfInputError> {
        Ok(document
            .get_key(dict, key)
            .map_err(read)?
            .and_then(|o| o.as_int()))
    };
    let side = |key| -> Result<u32, PdfInputError> {
        int(key)?
            .and_then(|v| u32::try_from(v).ok())
            .filter(|&v| v > 0)
            .ok_or(bad("/Width and /Height must be positive integers"))
    };
    let (width, height) = (side("Width")?, side("Height")?);
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PdfInputError::TooLarge {
            page,
            width,
            height,
        });
    }
    if document
        .get_key(dict, "ImageMask")
        .map_err(read)?
        .and_then(|o| o.as_bool())
        == Some(true)
    {
        return Err(unsupported("a stencil mask"));
    }
    let decode_array: Option<Vec<f64>> =
        document
            .get_key(dict, "Decode")
            .map_err(read)?
            .and_then(|o| {
                o.as_array()
                    .map(|a| a.iter().filter_map(Object::as_number).collect())
            });
    let DecodedStream { data, image: codec } = document.decode_stream(stream).map_err(read)?;
    let colour = colour(document, dict, page)?;
    if let Some((codec, params)) = codec {
        return match codec {
            ImageCodec::Dct => {
                let components = match colour {
                    Some(Colour::Gray) => 1,
                    Some(Colour::Rgb) => 3,
                    _ => return Err(unsupported("a JPEG that is neither gray nor RGB")),
                };
                Ok((
                    ScannedImage::Jpeg {
                        bytes: data,
                        components,
                    },
                    width,
                    height,
                ))
            }
            ImageCodec::CcittFax => {
                let param = |key: &str| params.get(key).map(|o| document.resolve(o)).transpose();
                let k = param("K")
                    .map_err(read)?
                    .and_then(|o| o.as_int())
                    .unwrap_or(0);
                if k >= 0 {
                    return Err(unsupported("CCITT Group 3 fax"));
                }
                let aligned = param("EncodedByteAlign")
                    .map_err(read)?
                    .and_then(|o| o.as_bool());
                if aligned == Some(true) {
                    return Err(unsupported("byte-aligned CCITT Group 4"));
                }
                let columns = param("Columns").map_err(read)?.and_then(|o| o.as_int());
                if columns.unwrap_or(1728) != i64::from(width) {
                    return Err(bad("/Columns of the CCITT data differs from /Width"));
                }
                let black_is_1 = param("BlackIs1").map_err(read)?.and_then(|o| o.as_bool());
                // /Decode [1 0] swaps black and white (§8.9.5.2).
                let inverted = decode_array
                    .as_deref()
                    .is_some_and(|d| d.first() == Some(&1.0));
                Ok((
                    ScannedImage::CcittG4 {
                        bytes: data,
                        black_is_1: black_is_1.unwrap_or(false) != inverted,
                    },
                    width,
                    height,
                ))
            }
            ImageCodec::Jbig2 => Err(unsupported("JBIG2-compressed")),
            ImageCodec::Jpx => Err(unsupported("JPEG 2000 (JPX)-compressed")),
        };
    }
    let colour = colour.ok_or(unsupported(
        "in a colour space other than gray, RGB or indexed",
    ))?;
    let bpc = int("BitsPerComponent")?.unwrap_or(8);
    if ![1, 2, 4, 8, 16].contains(&bpc) {
        return Err(bad("/BitsPerComponent must be 1, 2, 4, 8 or 16"));
    }
    let pixels = samples_to_pixels(
        &data,
        width as usize,
        height as usize,
        bpc as u32,
        &colour,
        decode_array.as_deref(),
    )
    .ok_or(bad("the pixel data is shorter than /Width × /Height"))?;
    Ok((pixels, width, height))
}

/// Reads /ColorSpace: `None` for spaces kyso does not convert (CMYK, Lab, Separation…).
fn colour(
    document: &Document<'_>,
    dict: &Dictionary,
    page: usize,
) -> Result<Option<Colour>, PdfInputError> {
    let read = |source| PdfInputError::Page { page, source };
    let Some(space) = document.get_key(dict, "ColorSpace").map_err(read)? else {
        return Ok(None);
    };
    simple_colour(document, &space, page).and_then(|simple| match simple {
        Some(c) => Ok(Some(c)),
        None => indexed(document, &space, page),
    })
}

/// DeviceGray/CalGray/ICCBased with N 1, DeviceRGB/CalRGB/ICCBased with N 3 (§8.6.4, §8.6.5).
fn simple_colour(
    document: &Document<'_>,
    space: &Object,
    page: usize,
) -> Result<Option<Colour>, PdfInputError> {
    let read = |source| PdfInputError::Page { page, source };
    let (family, arg) = match space {
        Object::Name(n) => (n.as_slice(), None),
        Object::Array(items) => match items.first().and_then(Object::as_name) {
            Some(n) => (n, items.get(1)),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    Ok(match family {
        b"DeviceGray" | b"G" | b"CalGray" => Some(Colour::Gray),
        b"DeviceRGB" | b"RGB" | b"CalRGB" => Some(Colour::Rgb),
        b"ICCBased" => {
            let profile = match arg {
                Some(a) => document.resolve(a).map_err(read)?,
                None => Object::Null,
            };
            let n = profile
                .as_dict()
                .and_then(|d| d.get("N"))
                .and_then(Object::as_int);
            match n {
                Some(1) => Some(Colour::Gray),
                Some(3) => Some(Colour::Rgb),
                _ => None,
            }
        }
        _ => None,
    })
}

/// `[/Indexed base hival lookup]` (§8.6.6.3) over a gray or RGB base.
fn indexed(
    document: &Document<'_>,
    space: &Object,
    page: usize,
) -> Result<Option<Colour>, PdfInputError> {
    let read = |source| PdfInputError::Page { page, source };
    let Some(items) = space.as_array() else {
        return Ok(None);
    };
    if items.len() != 4 || !matches!(items[0].as_name(), Some(b"Indexed" | b"I")) {
        return Ok(None);
    }
    let base = document.resolve(&items[1]).map_err(read)?;
    let base = match simple_colour(document, &base, page)? {
        Some(Colour::Gray) => 1,
        Some(Colour::Rgb) => 3,
        _ => return Ok(None),
    };
    let Some(hival) = document.resolve(&items[2]).map_err(read)?.as_int() else {
        return Ok(None);
    };
    let entries = usize::try_from(hival).unwrap_or(0).clamp(0, 255) + 1;
    let mut palette = match document.resolve(&items[3]).map_err(read)? {
        Object::String(s) => s,
        Object::Stream(s) => document.decode_stream(&s).map_err(read)?.data,
        _ => return Ok(None),
    };
    // A short palette is padded with black rather than refused: what is missing is unused
    // in conforming files.
    palette.resize(entries * base, 0);
    Ok(Some(Colour::Indexed { base, palette }))
}

/// Unpacks rows of samples (each row starts on a byte, §8.9.3) into 8-bit gray or RGB.
/// `None` when the data is too short.
fn samples_to_pixels(
    data: &[u8],
    width: usize,
    height: usize,
    bpc: u32,
    colour: &Colour,
    decode: Option<&[f64]>,
) -> Option<ScannedImage> {
    let components = match colour {
        Colour::Gray | Colour::Indexed { .. } => 1,
        Colour::Rgb => 3,
    };
    let row_bytes = (width * components * bpc as usize).div_ceil(8);
    let data = data.get(..row_bytes.checked_mul(height)?)?;
    let max = ((1u32 << bpc) - 1) as f64;
    // The /Decode map of each component (§8.9.5.2), as a table over the sample values.
    let tables: Vec<Vec<u8>> = (0..components)
        .map(|c| {
            let (d_min, d_max) = match (colour, decode) {
                (Colour::Indexed { .. }, _) => (0.0, max),
                (_, Some(d)) if d.len() >= 2 * components => (d[2 * c], d[2 * c + 1]),
                _ => (0.0, 1.0),
            };
            (0..=max as u32)
                .map(|s| {
                    let v = d_min + f64::from(s) * (d_max - d_min) / max;
                    match colour {
                        Colour::Indexed { .. } => v.round().clamp(0.0, 255.0) as u8,
                        _ => (v * 255.0).round().clamp(0.0, 255.0) as u8,
                    }
                })
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(width * height * components);
    for row in data.chunks_exact(row_bytes) {
        for i in 0..width * components {
            let raw = match bpc {
                8 => u32::from(row[i]),
                16 => u32::from(row[2 * i]) << 8 | u32::from(row[2 * i + 1]),
                _ => {
                    let bit = i * bpc as usize;
                    let shift = 8 - bpc as usize - bit % 8;
                    u32::from(row[bit / 8] >> shift) & ((1 << bpc) - 1)
                }
            };
            out.push(tables[i % components][raw as usize]);
        }
    }
    // 16-bit samples were looked up in a 65536-entry table, which already gives the high
    // byte scaled to 0–255.
    Some(match colour {
        Colour::Gray => ScannedImage::Gray8(out),
        Colour::Rgb => ScannedImage::Rgb8(out),
        Colour::Indexed { base, palette } => {
            let mut expanded = Vec::with_capacity(out.len() * base);
            for index in out {
                let at = usize::from(index).min(palette.len() / base - 1) * base;
                expanded.extend_from_slice(&palette[at..at + base]);
            }
            if *base == 1 {
                ScannedImage::Gray8(expanded)
            } else {
                ScannedImage::Rgb8(expanded)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bit_gray_expands_and_decode_inverts() {
        let ScannedImage::Gray8(p) =
            samples_to_pixels(&[0b1010_0000], 3, 1, 1, &Colour::Gray, None).unwrap()
        else {
            panic!("gray");
        };
        assert_eq!(p, [255, 0, 255]);
        let ScannedImage::Gray8(p) =
            samples_to_pixels(&[0b1010_0000], 3, 1, 1, &Colour::Gray, Some(&[1.0, 0.0])).unwrap()
        else {
            panic!("gray");
        };
        assert_eq!(p, [0, 255, 0]);
    }

    #[test]
    fn indexed_and_sixteen_bit() {
        let colour = Colour::Indexed {
            base: 3,
            palette: vec![1, 2, 3, 4, 5, 6],
        };
        let ScannedImage::Rgb8(p) = samples_to_pixels(&[0, 1, 9], 3, 1, 8, &colour, None).unwrap()
        else {
            panic!("rgb");
        };
        assert_eq!(p, [1, 2, 3, 4, 5, 6, 4, 5, 6]);
        let ScannedImage::Gray8(p) =
            samples_to_pixels(&[0xff, 0xff, 0x80, 0x00], 2, 1, 16, &Colour::Gray, None).unwrap()
        else {
            panic!("gray");
        };
        assert_eq!(p, [255, 128]);
        assert!(samples_to_pixels(&[0; 5], 3, 2, 8, &Colour::Gray, None).is_none());
    }

    #[test]
    fn matrices_and_placement() {
        let m = multiply(
            &[2.0, 0.0, 0.0, 3.0, 0.0, 0.0],
            &[1.0, 0.0, 0.0, 1.0, 10.0, 20.0],
        );
        assert_eq!(m, [2.0, 0.0, 0.0, 3.0, 10.0, 20.0]);
        let b = placed_box(&[0.0, 100.0, -50.0, 0.0, 50.0, 0.0]);
        assert_eq!((b.llx, b.lly, b.urx, b.ury), (0.0, 0.0, 50.0, 100.0));
    }
}
