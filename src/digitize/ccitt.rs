//! CCITT Group 4 (ITU-T T.6) encoding of bilevel pages, for scans whose original coding
//! cannot be placed as-is (a G4 TIFF cut into several strips, an uncompressed bilevel TIFF).
//! Lossless: the same black and white pixels, about 20× smaller than 8-bit gray.

use fax::encoder::Encoder;
use fax::{Color, VecWriter};
use image::GrayImage;

/// Encodes `page` (0 black, anything else white) as one G4 stream with an end-of-block
/// marker, the form /CCITTFaxDecode with K -1 reads (ISO 32000-1 §7.4.6) with BlackIs1 false.
pub fn encode_g4(page: &GrayImage) -> Vec<u8> {
    let width = page.width();
    let mut encoder = Encoder::new(VecWriter::new());
    for row in page.rows() {
        let pels = row.map(|p| {
            if p[0] < 128 {
                Color::Black
            } else {
                Color::White
            }
        });
        // VecWriter cannot fail: its error type is Infallible.
        let Ok(()) = encoder.encode_line(pels, width as u16);
    }
    let Ok(writer) = encoder.finish();
    writer.finish()
}

/// Whether a gray page holds only black and white, so G4 loses nothing.
pub fn is_bilevel(page: &GrayImage) -> bool {
    page.pixels().all(|p| p[0] == 0 || p[0] == 255)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_a_g4_decoder() {
        let page = GrayImage::from_fn(203, 61, |x, y| {
            let black = (x / 7 + y / 5) % 3 == 0 || (x == y);
            image::Luma([if black { 0 } else { 255 }])
        });
        let encoded = encode_g4(&page);
        assert!(
            encoded.len() < 203 * 61 / 8,
            "G4 should be smaller than raw bits"
        );
        let mut rows = Vec::new();
        fax::decoder::decode_g4(encoded.iter().copied(), 203, Some(61), |transitions| {
            rows.push(
                fax::decoder::pels(transitions, 203)
                    .map(|c| if c == Color::Black { 0u8 } else { 255 })
                    .collect::<Vec<_>>(),
            );
        })
        .expect("decodes");
        assert_eq!(rows.len(), 61);
        assert_eq!(rows.concat(), page.into_raw());
    }

    #[test]
    fn bilevel_detection() {
        assert!(is_bilevel(&GrayImage::from_fn(4, 4, |x, _| image::Luma([
            if x % 2 == 0 { 0 } else { 255 }
        ]))));
        assert!(!is_bilevel(&GrayImage::from_pixel(
            4,
            4,
            image::Luma([128])
        )));
    }
}
