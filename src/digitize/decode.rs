//! Input decoding: recognise a scan by its magic bytes (never by its file name), list its
//! pages, read each page's pixels and resolution, and keep the original coded bytes where the
//! PDF can carry them unchanged (JPEG, CCITT G4). Cleanup and OCR are left to the pipeline.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageDecoder, ImageReader, Limits};
use tiff::decoder::{Decoder as TiffDecoder, DecodingResult};
use tiff::tags::{CompressionMethod, PhotometricInterpretation, ResolutionUnit, Tag};

use super::DigitizeError;
use super::pdf_input::{self, PdfInputError, ScannedImage};

/// The largest page accepted, in pixels per side: an A0 sheet at 600 dpi is 19 866 × 28 087.
pub const MAX_SIDE: u32 = 30_000;
/// The largest page accepted, in pixels: an A0 sheet at 300 dpi (140 megapixels) fits; one
/// RGB page then needs about 1 GB with its gray working copies.
pub const MAX_PIXELS: u64 = 150_000_000;

/// The coded forms of a page image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Png,
    Jpeg,
    Tiff,
    Pdf,
}

/// Finds the format from the first bytes (PNG signature, JPEG SOI, TIFF byte order, `%PDF-`).
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some(Format::Tiff)
    } else if bytes.starts_with(b"%PDF-") {
        Some(Format::Pdf)
    } else {
        None
    }
}

/// How the page's pixels can go into the PDF.
#[derive(Debug, Clone)]
pub enum Original {
    /// The JPEG file (or the JPEG stream of a scanned PDF) itself, placed with /DCTDecode.
    Jpeg { bytes: Vec<u8>, components: u8 },
    /// The CCITT Group 4 strips of a TIFF page, each placed with /CCITTFaxDecode.
    CcittG4 {
        strips: Vec<Vec<u8>>,
        rows_per_strip: u32,
        black_is_1: bool,
    },
    /// Black and white pixels without a reusable coding: encoded as CCITT G4.
    Bilevel,
    /// Nothing to reuse: the pixels are compressed losslessly.
    Pixels,
}

/// One decoded page.
#[derive(Debug)]
pub struct DecodedPage {
    pub image: DynamicImage,
    /// Pixels per inch from the file, if it says.
    pub dpi: Option<f64>,
    pub original: Original,
}

/// The number of pages in an input, read from headers only.
pub fn page_count(name: &str, bytes: &[u8]) -> Result<usize, DigitizeError> {
    match sniff(bytes) {
        Some(Format::Png | Format::Jpeg) => {
            check_header(name, bytes)?;
            Ok(1)
        }
        Some(Format::Tiff) => {
            let mut decoder = tiff_decoder(name, bytes)?;
            let mut count = 1;
            loop {
                let (width, height) = decoder
                    .dimensions()
                    .map_err(|e| bad(name, Some(count), format!("unreadable TIFF page: {e}")))?;
                check_size(name, width, height)?;
                if !decoder.more_images() {
                    return Ok(count);
                }
                decoder.next_image().map_err(|e| {
                    bad(name, Some(count + 1), format!("unreadable TIFF page: {e}"))
                })?;
                count += 1;
            }
        }
        Some(Format::Pdf) => pdf_input::scanned_page_count(bytes).map_err(|e| pdf_error(name, e)),
        None => Err(bad(
            name,
            None,
            if bytes.is_empty() {
                "the file is empty".into()
            } else {
                "not a PNG, JPEG, TIFF or PDF file".into()
            },
        )),
    }
}

/// Decodes page `index` (0-based) of an input.
pub fn decode_page(name: &str, bytes: &[u8], index: usize) -> Result<DecodedPage, DigitizeError> {
    match sniff(bytes) {
        Some(Format::Png) => {
            let image = decode_with_image(name, bytes, image::ImageFormat::Png)?;
            let original = match &image {
                DynamicImage::ImageLuma8(gray) if super::ccitt::is_bilevel(gray) => {
                    Original::Bilevel
                }
                _ => Original::Pixels,
            };
            Ok(DecodedPage {
                image,
                dpi: png_dpi(bytes),
                original,
            })
        }
        Some(Format::Jpeg) => {
            let image = decode_with_image(name, bytes, image::ImageFormat::Jpeg)?;
            let components = match image.color().channel_count() {
                1 => 1,
                _ => 3,
            };
            // A CMYK or otherwise unusual JPEG decodes to RGB here; only plain gray and RGB
            // baseline files are placed unchanged.
            let original = match jpeg_components(bytes) {
                Some(n) if n == components => Original::Jpeg {
                    bytes: bytes.to_vec(),
                    components,
                },
                _ => Original::Pixels,
            };
            Ok(DecodedPage {
                image,
                dpi: jfif_dpi(bytes),
                original,
            })
        }
        Some(Format::Tiff) => decode_tiff_page(name, bytes, index),
        Some(Format::Pdf) => decode_pdf_page(name, bytes, index),
        None => Err(bad(name, None, "not a PNG, JPEG, TIFF or PDF file".into())),
    }
}

fn pdf_error(name: &str, error: PdfInputError) -> DigitizeError {
    bad(name, None, error.to_string())
}

/// A page of a scanned PDF: its one image, with the original JPEG or G4 bytes kept.
fn decode_pdf_page(name: &str, bytes: &[u8], index: usize) -> Result<DecodedPage, DigitizeError> {
    let page = pdf_input::scanned_page(bytes, index).map_err(|e| pdf_error(name, e))?;
    let (width, height) = (page.width_px, page.height_px);
    check_size(name, width, height)?;
    let short = || {
        bad(
            name,
            Some(index + 1),
            "the image data is shorter than the image".into(),
        )
    };
    let (image, original) = match page.image {
        ScannedImage::Jpeg { bytes, components } => {
            let image = decode_with_image(name, &bytes, image::ImageFormat::Jpeg)?;
            (image, Original::Jpeg { bytes, components })
        }
        ScannedImage::CcittG4 { bytes, black_is_1 } => {
            let gray = decode_g4(&bytes, width, height, black_is_1)
                .ok_or_else(|| bad(name, Some(index + 1), "unreadable CCITT G4 image".into()))?;
            let original = Original::CcittG4 {
                strips: vec![bytes],
                rows_per_strip: height,
                black_is_1,
            };
            (DynamicImage::ImageLuma8(gray), original)
        }
        ScannedImage::Gray8(pixels) => {
            let gray = GrayImage::from_raw(width, height, pixels).ok_or_else(short)?;
            let original = if super::ccitt::is_bilevel(&gray) {
                Original::Bilevel
            } else {
                Original::Pixels
            };
            (DynamicImage::ImageLuma8(gray), original)
        }
        ScannedImage::Rgb8(pixels) => {
            let rgb = image::RgbImage::from_raw(width, height, pixels).ok_or_else(short)?;
            (DynamicImage::ImageRgb8(rgb), Original::Pixels)
        }
    };
    Ok(DecodedPage {
        image,
        dpi: Some(page.dpi),
        original,
    })
}

/// Decodes a G4 stream to gray, 0 black and 255 white. With BlackIs1 the codes' "black" runs
/// are the 1 bits, which DeviceGray shows as white (ISO 32000-1 §7.4.6, Table 11).
fn decode_g4(bytes: &[u8], width: u32, height: u32, black_is_1: bool) -> Option<GrayImage> {
    let (w, h) = (u16::try_from(width).ok()?, u16::try_from(height).ok()?);
    let mut pixels = Vec::with_capacity(width as usize * height as usize);
    fax::decoder::decode_g4(bytes.iter().copied(), w, Some(h), |transitions| {
        pixels.extend(fax::decoder::pels(transitions, w).map(|color| {
            let coded_black = color == fax::Color::Black;
            if coded_black != black_is_1 { 0 } else { 255 }
        }));
    })?;
    pixels.resize(width as usize * height as usize, 255);
    GrayImage::from_raw(width, height, pixels)
}

fn bad(name: &str, page: Option<usize>, problem: String) -> DigitizeError {
    DigitizeError::BadInput {
        input: name.to_owned(),
        page,
        problem,
    }
}

fn check_size(name: &str, width: u32, height: u32) -> Result<(), DigitizeError> {
    if width == 0 || height == 0 {
        return Err(bad(
            name,
            None,
            format!("the image is {width}×{height} pixels"),
        ));
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(DigitizeError::TooLarge {
            input: name.to_owned(),
            width,
            height,
            max_side: MAX_SIDE,
        });
    }
    Ok(())
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4);
    limits
}

/// Reads only the header: rejects a 50 000 × 50 000 "image" before allocating anything.
fn check_header(name: &str, bytes: &[u8]) -> Result<(), DigitizeError> {
    if let Some((width, height)) = header_dimensions(bytes) {
        check_size(name, width, height)?;
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| bad(name, None, format!("unreadable header: {e}")))?;
    let decoder = reader
        .into_decoder()
        .map_err(|e| bad(name, None, describe_image_error(&e)))?;
    let (width, height) = decoder.dimensions();
    check_size(name, width, height)
}

fn decode_with_image(
    name: &str,
    bytes: &[u8],
    format: image::ImageFormat,
) -> Result<DynamicImage, DigitizeError> {
    check_header(name, bytes)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    reader
        .decode()
        .map_err(|e| bad(name, None, describe_image_error(&e)))
}

fn describe_image_error(error: &image::ImageError) -> String {
    match error {
        image::ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the file is truncated".into()
        }
        image::ImageError::Limits(_) => "the image is too large to decode".into(),
        other => format!("cannot decode: {other}"),
    }
}

/// Width and height from the first header alone: PNG's IHDR, which must come first (PNG
/// §5.6), or a JPEG frame header (T.81 §B.2.2).
fn header_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    match sniff(bytes)? {
        Format::Png => {
            let ihdr = bytes.get(12..24)?;
            (&ihdr[..4] == b"IHDR").then(|| {
                let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                (be(&ihdr[4..8]), be(&ihdr[8..12]))
            })
        }
        Format::Jpeg => jpeg_segments(bytes, |marker, body| {
            (is_start_of_frame(marker) && body.len() >= 5).then(|| {
                let height = u16::from_be_bytes([body[1], body[2]]);
                let width = u16::from_be_bytes([body[3], body[4]]);
                (u32::from(width), u32::from(height))
            })
        }),
        _ => None,
    }
}

/// PNG `pHYs` (PNG §11.3.5.3): pixels per metre when the unit is the metre.
fn png_dpi(bytes: &[u8]) -> Option<f64> {
    let decoder = png::Decoder::new(Cursor::new(bytes));
    let reader = decoder.read_info().ok()?;
    let dims = reader.info().pixel_dims?;
    (dims.unit == png::Unit::Meter && dims.xppu > 0).then(|| f64::from(dims.xppu) * 0.0254)
}

/// Walks JPEG marker segments until `stop` returns a value (ITU-T T.81 §B.1.1.4).
fn jpeg_segments<T>(bytes: &[u8], mut stop: impl FnMut(u8, &[u8]) -> Option<T>) -> Option<T> {
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xff {
            return None;
        }
        let marker = bytes[at + 1];
        if marker == 0xff {
            at += 1;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        let body = bytes.get(at + 4..at + 2 + length)?;
        if let Some(found) = stop(marker, body) {
            return Some(found);
        }
        if marker == 0xda {
            return None;
        }
        at += 2 + length;
    }
    None
}

/// JFIF APP0 density (JFIF 1.02): units 1 = dots per inch, 2 = dots per cm.
fn jfif_dpi(bytes: &[u8]) -> Option<f64> {
    jpeg_segments(bytes, |marker, body| {
        if marker != 0xe0 || body.len() < 12 || !body.starts_with(b"JFIF\0") {
            return None;
        }
        let x = f64::from(u16::from_be_bytes([body[8], body[9]]));
        match body[7] {
            1 if x > 0.0 => Some(x),
            2 if x > 0.0 => Some(x * 2.54),
            _ => None,
        }
    })
}

/// SOF0–SOF15, less DHT (C4), JPG (C8) and DAC (CC), which share the range (T.81 Table B.1).
fn is_start_of_frame(marker: u8) -> bool {
    (0xc0..=0xcf).contains(&marker) && ![0xc4, 0xc8, 0xcc].contains(&marker)
}

/// The number of components in the frame header (SOF0–SOF15 except DHT, JPG, DAC).
fn jpeg_components(bytes: &[u8]) -> Option<u8> {
    jpeg_segments(bytes, |marker, body| {
        (is_start_of_frame(marker) && body.len() >= 6).then(|| body[5])
    })
}

fn tiff_decoder<'a>(
    name: &str,
    bytes: &'a [u8],
) -> Result<TiffDecoder<Cursor<&'a [u8]>>, DigitizeError> {
    let mut tiff_limits = tiff::decoder::Limits::default();
    tiff_limits.decoding_buffer_size = (MAX_PIXELS * 4) as usize;
    tiff_limits.intermediate_buffer_size = (MAX_PIXELS * 4) as usize;
    TiffDecoder::new(Cursor::new(bytes))
        .map(|d| d.with_limits(tiff_limits))
        .map_err(|e| bad(name, None, format!("unreadable TIFF: {e}")))
}

fn decode_tiff_page(name: &str, bytes: &[u8], index: usize) -> Result<DecodedPage, DigitizeError> {
    let page = Some(index + 1);
    let fail = |e: tiff::TiffError| bad(name, page, format!("cannot decode TIFF page: {e}"));
    let mut decoder = tiff_decoder(name, bytes)?;
    decoder.seek_to_image(index).map_err(fail)?;
    let (width, height) = decoder.dimensions().map_err(fail)?;
    check_size(name, width, height)?;
    let color = decoder.colortype().map_err(fail)?;
    let dpi = tiff_dpi(&mut decoder);
    let compression = decoder
        .find_tag_unsigned::<u16>(Tag::Compression)
        .ok()
        .flatten();
    let photometric = decoder
        .find_tag_unsigned::<u16>(Tag::PhotometricInterpretation)
        .ok()
        .flatten();
    let white_is_zero = match photometric {
        Some(value) => value == PhotometricInterpretation::WhiteIsZero.to_u16(),
        None => true,
    };

    let original = if compression == Some(CompressionMethod::Fax4.to_u16()) {
        let offsets = decoder.get_tag_u64_vec(Tag::StripOffsets).map_err(fail)?;
        let lengths = decoder
            .get_tag_u64_vec(Tag::StripByteCounts)
            .map_err(fail)?;
        let rows_per_strip = decoder
            .find_tag_unsigned::<u32>(Tag::RowsPerStrip)
            .ok()
            .flatten()
            .unwrap_or(height)
            .min(height);
        if offsets.len() != lengths.len() || offsets.is_empty() {
            return Err(bad(name, page, "the G4 strip tables disagree".into()));
        }
        let strips = offsets
            .iter()
            .zip(&lengths)
            .map(|(&offset, &length)| {
                usize::try_from(offset)
                    .ok()
                    .zip(usize::try_from(length).ok())
                    .and_then(|(o, l)| bytes.get(o..o.checked_add(l)?))
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| bad(name, page, "a G4 strip lies outside the file".into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // The G4 codes say white run / black run; TIFF maps them to bit values through the
        // photometric interpretation (TIFF 6.0 §3, WhiteIsZero by default for fax data).
        // With BlackIsZero the "white" codes carry the 1 bits, which PDF expresses as
        // BlackIs1 true (ISO 32000-1 Table 11).
        Original::CcittG4 {
            strips,
            rows_per_strip,
            black_is_1: !white_is_zero,
        }
    } else if color == tiff::ColorType::Gray(1) {
        Original::Bilevel
    } else {
        Original::Pixels
    };

    let result = decoder.read_image().map_err(fail)?;
    let image = match (color, result) {
        (tiff::ColorType::Gray(1), DecodingResult::U8(packed)) => {
            DynamicImage::ImageLuma8(unpack_bilevel(&packed, width, height, white_is_zero))
        }
        (tiff::ColorType::Gray(8), DecodingResult::U8(mut gray)) => {
            if white_is_zero {
                gray.iter_mut().for_each(|v| *v = 255 - *v);
            }
            DynamicImage::ImageLuma8(
                GrayImage::from_raw(width, height, gray)
                    .ok_or_else(|| bad(name, page, "pixel data shorter than the image".into()))?,
            )
        }
        (tiff::ColorType::RGB(8), DecodingResult::U8(rgb)) => DynamicImage::ImageRgb8(
            image::RgbImage::from_raw(width, height, rgb)
                .ok_or_else(|| bad(name, page, "pixel data shorter than the image".into()))?,
        ),
        (other, _) => {
            return Err(DigitizeError::Unsupported {
                input: name.to_owned(),
                what: format!("TIFF pages of colour type {other:?}"),
            });
        }
    };
    Ok(DecodedPage {
        image,
        dpi,
        original,
    })
}

/// Expands 1-bit rows (each padded to a byte) to 8-bit gray, 0 black and 255 white.
fn unpack_bilevel(packed: &[u8], width: u32, height: u32, white_is_zero: bool) -> GrayImage {
    let row_bytes = (width as usize).div_ceil(8);
    GrayImage::from_fn(width, height, |x, y| {
        let byte = packed
            .get(y as usize * row_bytes + x as usize / 8)
            .copied()
            .unwrap_or(0);
        let bit = (byte >> (7 - (x % 8))) & 1;
        let black = if white_is_zero { bit == 1 } else { bit == 0 };
        image::Luma([if black { 0 } else { 255 }])
    })
}

/// XResolution with ResolutionUnit (TIFF 6.0 §8): inch (2, the default) or centimetre (3).
fn tiff_dpi<R: std::io::Read + std::io::Seek>(decoder: &mut TiffDecoder<R>) -> Option<f64> {
    let x = match decoder.find_tag(Tag::XResolution).ok()?? {
        tiff::decoder::ifd::Value::Rational(n, d) if d > 0 => f64::from(n) / f64::from(d),
        other => other.into_f64().ok()?,
    };
    let unit = decoder
        .find_tag_unsigned::<u16>(Tag::ResolutionUnit)
        .ok()
        .flatten()
        .unwrap_or(ResolutionUnit::Inch.to_u16());
    match unit {
        u if u == ResolutionUnit::Centimeter.to_u16() => Some(x * 2.54),
        u if u == ResolutionUnit::Inch.to_u16() && x > 0.0 => Some(x),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_not_name() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Format::Png));
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0]), Some(Format::Jpeg));
        assert_eq!(sniff(b"II*\0...."), Some(Format::Tiff));
        assert_eq!(sniff(b"%PDF-1.7"), Some(Format::Pdf));
        assert_eq!(sniff(b"Hello, this is text"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn jfif_density_in_dpi_and_dpcm() {
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10];
        jpeg.extend_from_slice(b"JFIF\0\x01\x02\x01\x01\x2c\x01\x2c\x00\x00");
        assert_eq!(jfif_dpi(&jpeg), Some(300.0));
        jpeg[13] = 2; // dots per cm
        jpeg[14..16].copy_from_slice(&118u16.to_be_bytes());
        assert!((jfif_dpi(&jpeg).unwrap() - 299.72).abs() < 0.01);
        assert_eq!(jfif_dpi(&jpeg[..8]), None, "a truncated segment is ignored");
    }

    #[test]
    fn header_dimensions_without_decoding() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&50_000u32.to_be_bytes());
        png.extend_from_slice(&40_000u32.to_be_bytes());
        assert_eq!(header_dimensions(&png), Some((50_000, 40_000)));
        let jpeg = [
            0xff, 0xd8, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x0d, 0xb4, 0x09, 0xb0, 0x01, 0x01, 0x11,
            0x00,
        ];
        assert_eq!(header_dimensions(&jpeg), Some((2480, 3508)));
        assert!(matches!(
            check_header("huge.png", &png),
            Err(DigitizeError::TooLarge { width: 50_000, .. })
        ));
    }

    #[test]
    fn bilevel_rows_are_padded_to_bytes() {
        // 10 pixels wide: 2 bytes per row; WhiteIsZero, so 1 bits are black.
        let packed = [0b1000_0000, 0b0100_0000, 0, 0];
        let gray = unpack_bilevel(&packed, 10, 2, true);
        assert_eq!(gray.get_pixel(0, 0)[0], 0);
        assert_eq!(gray.get_pixel(1, 0)[0], 255);
        assert_eq!(gray.get_pixel(9, 0)[0], 0);
        assert_eq!(gray.get_pixel(0, 1)[0], 255);
    }
}
