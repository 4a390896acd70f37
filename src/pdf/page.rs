//! Page geometry and the page content stream: the page size from the upright frame, the
//! matrix that turns and straightens the stored image without resampling it, and the clip;
//! the image data and the text operators are left to `image.rs` and `text.rs`.

use super::object::real;
use super::text::Frame;
use super::{PageSpec, PdfError};

/// ISO 32000-1 Annex C.2: page sides between 3 and 14 400 default user space units.
const MIN_PAGE_SIDE: f64 = 3.0;
const MAX_PAGE_SIDE: f64 = 14_400.0;

/// Where everything on one page goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageGeometry {
    pub width_pt: f64,
    pub height_pt: f64,
    /// The `cm` matrix mapping the image's unit square onto the page (ISO 32000-1 §8.3.4).
    pub image_matrix: [f64; 6],
    pub frame: Frame,
}

/// Computes the page geometry; `page` (0-based) is for error messages.
pub fn geometry(page: usize, spec: &PageSpec) -> Result<PageGeometry, PdfError> {
    let (width, height) = (spec.image.width_px, spec.image.height_px);
    if width == 0 || height == 0 {
        return Err(PdfError::EmptyImage {
            page,
            width,
            height,
        });
    }
    if !(spec.dpi.is_finite() && spec.dpi > 0.0) {
        return Err(PdfError::InvalidDpi {
            page,
            dpi: spec.dpi,
        });
    }
    if !spec.skew_degrees.is_finite() || spec.skew_degrees.abs() > 45.0 {
        return Err(PdfError::InvalidSkew {
            page,
            degrees: spec.skew_degrees,
        });
    }
    let (w_px, h_px) = (
        f64::from(spec.image.width_px),
        f64::from(spec.image.height_px),
    );
    let quarter_turns = spec.quarter_turns % 4;
    let (frame_w_px, frame_h_px) = if quarter_turns % 2 == 1 {
        (h_px, w_px)
    } else {
        (w_px, h_px)
    };
    let scale = 72.0 / spec.dpi;
    let (width_pt, height_pt) = (frame_w_px * scale, frame_h_px * scale);
    let fits = |side: f64| (MIN_PAGE_SIDE..=MAX_PAGE_SIDE).contains(&side);
    if !fits(width_pt) || !fits(height_pt) {
        return Err(PdfError::PageSize {
            page,
            width_pt,
            height_pt,
        });
    }
    // Turning clockwise by 90° is rotating by -90° in PDF's y-up space. Quarter turns use
    // exact cosines and sines so that an unskewed page has an exact matrix.
    let (cq, sq) = match quarter_turns {
        0 => (1.0, 0.0),
        1 => (0.0, -1.0),
        2 => (-1.0, 0.0),
        _ => (0.0, 1.0),
    };
    let (cs, ss) = if spec.skew_degrees == 0.0 {
        (1.0, 0.0)
    } else {
        let r = spec.skew_degrees.to_radians();
        (r.cos(), r.sin())
    };
    let (c, s) = (cq * cs - sq * ss, sq * cs + cq * ss);
    // Unit square → stored image size (a × b) centred on the origin → rotated by the turns
    // and the skew (counter-clockwise positive) → moved to the page centre.
    let (a, b) = (w_px * scale, h_px * scale);
    let image_matrix = [
        a * c,
        a * s,
        -b * s,
        b * c,
        -a / 2.0 * c + b / 2.0 * s + width_pt / 2.0,
        -a / 2.0 * s - b / 2.0 * c + height_pt / 2.0,
    ];
    Ok(PageGeometry {
        width_pt,
        height_pt,
        image_matrix,
        frame: Frame {
            scale,
            height_px: frame_h_px,
        },
    })
}

/// One image XObject of the page and the rows of the stored image it covers.
#[derive(Debug, Clone)]
pub struct Band {
    pub name: String,
    pub first_row: u32,
    pub rows: u32,
}

/// The page content: the image bands drawn through their matrices inside a clip to the
/// page, then the invisible text, outside any transformation so it stays in page
/// coordinates.
pub fn content_stream(
    geometry: &PageGeometry,
    image_height_px: u32,
    bands: &[Band],
    text: &[u8],
) -> Vec<u8> {
    let mut ops = format!(
        "q\n0 0 {} {} re W n\n",
        real(geometry.width_pt),
        real(geometry.height_pt)
    );
    let m = geometry.image_matrix;
    let height = f64::from(image_height_px.max(1));
    for band in bands {
        // The band's unit square maps onto rows first_row..first_row+rows of the image's
        // unit square (whose y = 1 is the top row); composing here keeps full precision.
        let sy = f64::from(band.rows) / height;
        let ty = 1.0 - f64::from(band.first_row + band.rows) / height;
        let b = [
            m[0],
            m[1],
            sy * m[2],
            sy * m[3],
            ty * m[2] + m[4],
            ty * m[3] + m[5],
        ]
        .map(real);
        ops.push_str(&format!(
            "q {} {} {} {} {} {} cm /{} Do Q\n",
            b[0], b[1], b[2], b[3], b[4], b[5], band.name
        ));
    }
    ops.push_str("Q\n");
    let mut ops = ops.into_bytes();
    ops.extend_from_slice(text);
    ops
}

#[cfg(test)]
mod tests {
    use super::super::{ImageData, PageImage};
    use super::*;

    fn spec(w: u32, h: u32, quarter_turns: u8, skew_degrees: f64) -> PageSpec {
        PageSpec {
            image: PageImage {
                data: ImageData::Gray8(Vec::new()),
                width_px: w,
                height_px: h,
            },
            dpi: 72.0,
            quarter_turns,
            skew_degrees,
            lines: Vec::new(),
        }
    }

    /// Where the matrix sends a point of the image's unit square.
    fn map(m: [f64; 6], x: f64, y: f64) -> (f64, f64) {
        (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])
    }

    #[test]
    fn upright_image_fills_the_page() {
        let g = geometry(0, &spec(200, 100, 0, 0.0)).unwrap();
        assert_eq!((g.width_pt, g.height_pt), (200.0, 100.0));
        assert_eq!(g.image_matrix, [200.0, 0.0, 0.0, 100.0, 0.0, 0.0]);
    }

    #[test]
    fn a_quarter_turn_clockwise_puts_the_top_left_at_the_top_right() {
        let g = geometry(0, &spec(200, 100, 1, 0.0)).unwrap();
        assert_eq!((g.width_pt, g.height_pt), (100.0, 200.0));
        // Image top-left is (0, 1) in the unit square; after a clockwise turn it is the
        // page's top-right corner.
        assert_eq!(map(g.image_matrix, 0.0, 1.0), (100.0, 200.0));
        assert_eq!(map(g.image_matrix, 1.0, 1.0), (100.0, 0.0));
        assert_eq!(map(g.image_matrix, 0.0, 0.0), (0.0, 200.0));
    }

    #[test]
    fn skew_rotates_about_the_page_centre() {
        let g = geometry(0, &spec(200, 100, 0, 1.5)).unwrap();
        let (cx, cy) = map(g.image_matrix, 0.5, 0.5);
        assert!((cx - 100.0).abs() < 1e-9 && (cy - 50.0).abs() < 1e-9);
        // Counter-clockwise: the right edge's midpoint moves up.
        let (_, y) = map(g.image_matrix, 1.0, 0.5);
        assert!(y > 50.0);
    }

    #[test]
    fn impossible_geometry_is_refused() {
        let mut s = spec(200, 100, 0, 0.0);
        s.dpi = 0.0;
        assert!(matches!(geometry(0, &s), Err(PdfError::InvalidDpi { .. })));
        assert!(matches!(
            geometry(0, &spec(200, 100, 0, f64::NAN)),
            Err(PdfError::InvalidSkew { .. })
        ));
        assert!(matches!(
            geometry(0, &spec(20_000, 100, 0, 0.0)),
            Err(PdfError::PageSize { .. })
        ));
    }
}
