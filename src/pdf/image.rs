//! Image XObjects (ISO 32000-1 §8.9.5) for the stored scan: JPEG placed as-is, 8-bit pixels
//! compressed losslessly, CCITT G4 strips; where and how the image is drawn is left to
//! `page.rs`.
//!
//! No image is resampled or re-encoded: the original JPEG bytes are the archival master.
//! /Interpolate is never written (ISO 19005-2 §6.2.8 forbids `true`), and the colour spaces
//! are device spaces made safe by the document's sRGB OutputIntent (ISO 19005-2 §6.2.4.3).

use super::object::{Dict, Obj, deflate};
use super::{ImageData, PageImage, PdfError};

/// An image ready to be written: its dictionary (without /Length) and encoded data.
#[derive(Debug)]
pub struct ImageXObject {
    pub dict: Dict,
    pub data: Vec<u8>,
}

/// One image XObject and the rows of the page image it covers.
#[derive(Debug)]
pub struct ImageBand {
    pub xobject: ImageXObject,
    pub first_row: u32,
    pub rows: u32,
}

/// The image XObjects of a page image: one, or one per G4 strip.
pub fn image_bands(page: usize, image: &PageImage) -> Result<Vec<ImageBand>, PdfError> {
    let ImageData::CcittG4Strips {
        strips,
        rows_per_strip,
        black_is_1,
    } = &image.data
    else {
        return Ok(vec![ImageBand {
            xobject: image_xobject(page, image)?,
            first_row: 0,
            rows: image.height_px,
        }]);
    };
    let height = image.height_px;
    let covered = u64::from(*rows_per_strip) * strips.len() as u64;
    let last_start = u64::from(*rows_per_strip) * (strips.len() as u64).saturating_sub(1);
    if *rows_per_strip == 0 || covered < u64::from(height) || last_start >= u64::from(height) {
        return Err(PdfError::StripLayout {
            page,
            strips: strips.len(),
            rows_per_strip: *rows_per_strip,
            height,
        });
    }
    strips
        .iter()
        .enumerate()
        .map(|(i, strip)| {
            // Fits: i × rows_per_strip < height ≤ u32::MAX, checked above.
            let first_row = i as u32 * rows_per_strip;
            let rows = (*rows_per_strip).min(height - first_row);
            let band = PageImage {
                data: ImageData::CcittG4 {
                    bytes: strip.clone(),
                    black_is_1: *black_is_1,
                },
                width_px: image.width_px,
                height_px: rows,
            };
            Ok(ImageBand {
                xobject: image_xobject(page, &band)?,
                first_row,
                rows,
            })
        })
        .collect()
}

/// Checks the image against its declared size and builds the XObject (strips are split by
/// [`image_bands`]). `page` (0-based) is only used in error messages.
fn image_xobject(page: usize, image: &PageImage) -> Result<ImageXObject, PdfError> {
    let (width, height) = (image.width_px, image.height_px);
    if width == 0 || height == 0 {
        return Err(PdfError::EmptyImage {
            page,
            width,
            height,
        });
    }
    let base = Dict::new()
        .set("Type", Obj::name("XObject"))
        .set("Subtype", Obj::name("Image"))
        .set("Width", width)
        .set("Height", height);
    match &image.data {
        ImageData::Jpeg { bytes, components } => {
            let colour = match components {
                1 => "DeviceGray",
                3 => "DeviceRGB",
                _ => {
                    return Err(PdfError::UnsupportedJpegComponents {
                        page,
                        components: *components,
                    });
                }
            };
            check_jpeg(page, bytes, width, height, *components)?;
            Ok(ImageXObject {
                dict: base
                    .set("ColorSpace", Obj::name(colour))
                    .set("BitsPerComponent", 8)
                    .set("Filter", Obj::name("DCTDecode")),
                data: bytes.clone(),
            })
        }
        ImageData::Gray8(_) | ImageData::Rgb8(_) => {
            let compressed = image.data.clone().compressed(page, width, height)?;
            flate_xobject(page, base, &compressed, width)
        }
        ImageData::Flate { .. } => flate_xobject(page, base, &image.data, width),
        ImageData::CcittG4Strips { .. } => Err(PdfError::StripLayout {
            page,
            strips: 0,
            rows_per_strip: 0,
            height,
        }),
        ImageData::CcittG4 { bytes, black_is_1 } => {
            if bytes.is_empty() {
                return Err(PdfError::EmptyImageData { page });
            }
            // ISO 32000-1 §7.4.6, Table 11: K < 0 is pure two-dimensional (Group 4) coding.
            let mut parms = Dict::new()
                .set("K", -1)
                .set("Columns", width)
                .set("Rows", height);
            if *black_is_1 {
                parms = parms.set("BlackIs1", Obj::Bool(true));
            }
            Ok(ImageXObject {
                dict: base
                    .set("ColorSpace", Obj::name("DeviceGray"))
                    .set("BitsPerComponent", 1)
                    .set("Filter", Obj::name("CCITTFaxDecode"))
                    .set("DecodeParms", parms),
                data: bytes.clone(),
            })
        }
    }
}

impl ImageData {
    /// Compresses 8-bit pixels into [`ImageData::Flate`]; other kinds are returned as they
    /// are. `page` (0-based) is only used in error messages.
    pub fn compressed(self, page: usize, width: u32, height: u32) -> Result<ImageData, PdfError> {
        let (pixels, colours) = match self {
            ImageData::Gray8(pixels) => (pixels, 1),
            ImageData::Rgb8(pixels) => (pixels, 3),
            other => return Ok(other),
        };
        let row = width as usize * colours;
        let expected = row as u64 * u64::from(height);
        if pixels.len() as u64 != expected {
            return Err(PdfError::PixelBufferLength {
                page,
                expected,
                actual: pixels.len(),
            });
        }
        // The predictor pays off on smooth gray scans, hardly on noisy colour ones, where it
        // triples the time; a sample of the rows decides, so the page is compressed once.
        let predictor = predictor_pays_off(&pixels, row, colours);
        let data = if predictor {
            deflate(&png_predict(&pixels, row, colours))
        } else {
            deflate(&pixels)
        };
        Ok(ImageData::Flate {
            data,
            components: colours as u8,
            predictor,
        })
    }
}

fn flate_xobject(
    page: usize,
    base: Dict,
    data: &ImageData,
    width: u32,
) -> Result<ImageXObject, PdfError> {
    let ImageData::Flate {
        data,
        components,
        predictor,
    } = data
    else {
        return Err(PdfError::EmptyImageData { page });
    };
    let colour = match components {
        1 => "DeviceGray",
        3 => "DeviceRGB",
        _ => {
            return Err(PdfError::UnsupportedComponents {
                page,
                components: *components,
            });
        }
    };
    if data.is_empty() {
        return Err(PdfError::EmptyImageData { page });
    }
    let dict = base
        .set("ColorSpace", Obj::name(colour))
        .set("BitsPerComponent", 8)
        .set("Filter", Obj::name("FlateDecode"));
    let dict = if *predictor {
        dict.set(
            "DecodeParms",
            Dict::new()
                .set("Predictor", 15)
                .set("Colors", i64::from(*components))
                .set("BitsPerComponent", 8)
                .set("Columns", width),
        )
    } else {
        dict
    };
    Ok(ImageXObject {
        dict,
        data: data.clone(),
    })
}

/// Rows per sampled block, and one block sampled in every `SAMPLE_STRIDE` blocks.
const SAMPLE_ROWS: usize = 16;
const SAMPLE_STRIDE: usize = 16;

/// Compresses every sixteenth block of rows both ways and says whether the predictor made the
/// sample at least 2 % smaller. Deterministic: it depends only on the pixels.
fn predictor_pays_off(pixels: &[u8], row: usize, bpp: usize) -> bool {
    let block = row * SAMPLE_ROWS;
    let sample: Vec<u8> = pixels
        .chunks(block)
        .step_by(SAMPLE_STRIDE)
        .flatten()
        .copied()
        .collect();
    let sample = &sample[..sample.len() - sample.len() % row];
    let plain = deflate(sample).len();
    let predicted = deflate(&png_predict(sample, row, bpp)).len();
    predicted * 50 < plain * 49
}

/// PNG row filtering (ISO 32000-1 §7.4.4.4, Predictor 15): each row gets the filter with the
/// smallest sum of absolute residuals, the heuristic libpng uses.
fn png_predict(pixels: &[u8], row: usize, bpp: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(pixels.len() + pixels.len() / row.max(1));
    let zero = vec![0u8; row];
    let mut candidate = vec![0u8; row];
    let mut best = vec![0u8; row];
    for (y, cur) in pixels.chunks_exact(row).enumerate() {
        let prev = if y == 0 {
            &zero[..]
        } else {
            &pixels[(y - 1) * row..y * row]
        };
        let mut best_kind = 0u8;
        let mut best_cost = u64::MAX;
        for kind in 0..5u8 {
            for x in 0..row {
                let a = if x >= bpp { cur[x - bpp] } else { 0 };
                let b = prev[x];
                let c = if x >= bpp { prev[x - bpp] } else { 0 };
                let predictor = match kind {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    _ => paeth(a, b, c),
                };
                candidate[x] = cur[x].wrapping_sub(predictor);
            }
            let cost: u64 = candidate
                .iter()
                .map(|&v| u64::from((v as i8).unsigned_abs()))
                .sum();
            if cost < best_cost {
                best_cost = cost;
                best_kind = kind;
                std::mem::swap(&mut best, &mut candidate);
            }
        }
        out.push(best_kind);
        out.extend_from_slice(&best);
    }
    out
}

/// The Paeth predictor (PNG §9.4), shared by the writer's rows and the reader's.
pub(crate) fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let pa = (p - i16::from(a)).abs();
    let pb = (p - i16::from(b)).abs();
    let pc = (p - i16::from(c)).abs();
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// Reads the JPEG frame header (ITU-T T.81 §B.2.2) and checks it against the declared size
/// and components, so a mix-up of pages or a CMYK JPEG is refused here rather than shown
/// wrongly by a viewer years later.
fn check_jpeg(
    page: usize,
    bytes: &[u8],
    width: u32,
    height: u32,
    components: u8,
) -> Result<(), PdfError> {
    let not_jpeg = || PdfError::NotJpeg { page };
    if bytes.len() < 4 || bytes[0..2] != [0xFF, 0xD8] {
        return Err(not_jpeg());
    }
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return Err(not_jpeg());
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let sof = bytes.get(at + 4..at + 2 + len).ok_or_else(not_jpeg)?;
            if sof.len() < 6 {
                return Err(not_jpeg());
            }
            let found_height = u32::from(u16::from_be_bytes([sof[1], sof[2]]));
            let found_width = u32::from(u16::from_be_bytes([sof[3], sof[4]]));
            let found_components = sof[5];
            if (found_width, found_height, found_components) != (width, height, components) {
                return Err(PdfError::JpegMismatch {
                    page,
                    declared: (width, height, components),
                    found: (found_width, found_height, found_components),
                });
            }
            return Ok(());
        }
        if marker == 0xDA || len < 2 {
            break; // scan data before any frame header
        }
        at += 2 + len;
    }
    Err(not_jpeg())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unfilter(data: &[u8], row: usize, bpp: usize) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        for (y, chunk) in data.chunks_exact(row + 1).enumerate() {
            let kind = chunk[0];
            for x in 0..row {
                let a = if x >= bpp { out[y * row + x - bpp] } else { 0 };
                let b = if y > 0 { out[(y - 1) * row + x] } else { 0 };
                let c = if y > 0 && x >= bpp {
                    out[(y - 1) * row + x - bpp]
                } else {
                    0
                };
                let p = match kind {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    _ => paeth(a, b, c),
                };
                out.push(chunk[1 + x].wrapping_add(p));
            }
        }
        out
    }

    #[test]
    fn png_prediction_round_trips() {
        let (w, h, bpp) = (17usize, 9usize, 3usize);
        let pixels: Vec<u8> = (0..w * h * bpp)
            .map(|i| ((i * 7 + i / 13) % 251) as u8)
            .collect();
        let filtered = png_predict(&pixels, w * bpp, bpp);
        assert_eq!(unfilter(&filtered, w * bpp, bpp), pixels);
    }

    #[test]
    fn pixel_buffer_must_match_the_size() {
        let image = PageImage {
            data: ImageData::Gray8(vec![0; 11]),
            width_px: 4,
            height_px: 3,
        };
        assert!(matches!(
            image_xobject(0, &image),
            Err(PdfError::PixelBufferLength {
                expected: 12,
                actual: 11,
                ..
            })
        ));
    }

    #[test]
    fn jpeg_frame_header_must_match() {
        // SOI, APP0 (length 4), SOF0 for 2×3, 3 components.
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 17, 8, 0, 3, 0, 2, 3, 1, 0x22, 0, 2,
            0x11, 1, 3, 0x11, 1,
        ];
        let image = |w, c| PageImage {
            data: ImageData::Jpeg {
                bytes: jpeg.to_vec(),
                components: c,
            },
            width_px: w,
            height_px: 3,
        };
        assert!(image_xobject(0, &image(2, 3)).is_ok());
        assert!(matches!(
            image_xobject(0, &image(5, 3)),
            Err(PdfError::JpegMismatch { .. })
        ));
        assert!(matches!(
            image_xobject(0, &image(2, 4)),
            Err(PdfError::UnsupportedJpegComponents { .. })
        ));
    }

    #[test]
    fn g4_strips_become_bands_covering_the_image() {
        let image = |rows_per_strip, n: usize| PageImage {
            data: ImageData::CcittG4Strips {
                strips: vec![vec![0x26, 0xA0]; n],
                rows_per_strip,
                black_is_1: false,
            },
            width_px: 8,
            height_px: 10,
        };
        let bands = image_bands(0, &image(4, 3)).unwrap();
        let rows: Vec<(u32, u32)> = bands.iter().map(|b| (b.first_row, b.rows)).collect();
        assert_eq!(rows, [(0, 4), (4, 4), (8, 2)]);
        for (rows_per_strip, n) in [(4, 2), (4, 4), (0, 3)] {
            assert!(matches!(
                image_bands(0, &image(rows_per_strip, n)),
                Err(PdfError::StripLayout { .. })
            ));
        }
    }

    #[test]
    fn g4_data_goes_in_unchanged_with_its_parameters() {
        let image = PageImage {
            data: ImageData::CcittG4 {
                bytes: vec![0x26, 0xA0, 0x10, 0x01],
                black_is_1: true,
            },
            width_px: 8,
            height_px: 2,
        };
        let x = image_xobject(0, &image).unwrap();
        assert_eq!(x.data, vec![0x26, 0xA0, 0x10, 0x01]);
        let mut out = Vec::new();
        x.dict.write(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("/DecodeParms <</K -1/Columns 8/Rows 2/BlackIs1 true>>"));
        assert!(text.contains("/Filter /CCITTFaxDecode"));
    }
}
