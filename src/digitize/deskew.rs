//! Skew: measure the angle of the text lines on an upright page (projection profiles) and
//! straighten the pixels for OCR. The PDF keeps the original pixels and applies the same angle
//! in the page's transformation matrix; that is left to the PDF writer.

use image::{GrayImage, Luma};

/// Angles searched, in degrees: scanners feed paper within a few degrees of straight.
const MAX_SKEW: f64 = 6.0;
/// The width the page is reduced to for measuring: ~100 dpi for A4, enough for line structure.
const MEASURE_WIDTH: u32 = 900;

/// The skew of the text lines in degrees, positive when the content is turned
/// counter-clockwise as displayed. Returns 0 for a page with too little ink to tell.
pub fn measure_skew(page: &GrayImage) -> f64 {
    let points = ink_points(page);
    if points.len() < 200 {
        return 0.0;
    }
    let score = |degrees: f64| profile_score(&points, degrees);
    // Coarse search, then two finer passes around the best angle.
    let mut best = 0.0;
    let mut step = 0.5;
    let mut low = -MAX_SKEW;
    let mut high = MAX_SKEW;
    for _ in 0..3 {
        let mut best_score = f64::MIN;
        let mut angle = low;
        while angle <= high + 1e-9 {
            let s = score(angle);
            if s > best_score {
                best_score = s;
                best = angle;
            }
            angle += step;
        }
        low = best - step;
        high = best + step;
        step /= 10.0;
    }
    (best * 100.0).round() / 100.0
}

/// Whether the text lines run across the page (upright or upside down) rather than up and
/// down it (turned sideways): `Some(true)`, `Some(false)`, or `None` when the ink does not
/// say clearly. Compares how sharply the ink falls into rows and into columns.
pub fn lines_run_horizontally(page: &GrayImage) -> Option<bool> {
    let points = ink_points(page);
    if points.len() < 200 {
        return None;
    }
    let transposed: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (y, x)).collect();
    let sharpest = |points: &[(f64, f64)]| {
        (-6..=6)
            .map(|degrees| profile_score(points, f64::from(degrees)))
            .fold(0.0, f64::max)
    };
    let (rows, columns) = (sharpest(&points), sharpest(&transposed));
    if rows > columns * HORIZONTAL_MARGIN {
        Some(true)
    } else if columns > rows * HORIZONTAL_MARGIN {
        Some(false)
    } else {
        None
    }
}

/// How much sharper one direction's profile must be to decide; measured on the samples,
/// text pages differ by a factor of 2 or more.
const HORIZONTAL_MARGIN: f64 = 1.3;

/// Dark pixels of a reduced, thresholded copy, as (x, y) in reduced coordinates.
fn ink_points(page: &GrayImage) -> Vec<(f64, f64)> {
    let factor = (page.width() / MEASURE_WIDTH).max(1);
    let (w, h) = (page.width() / factor, page.height() / factor);
    // Average each factor×factor block so thin strokes survive, then keep clearly dark cells.
    let mut points = Vec::new();
    let threshold = otsu(page);
    for by in 0..h {
        for bx in 0..w {
            let mut sum = 0u32;
            for dy in 0..factor {
                for dx in 0..factor {
                    sum += u32::from(page.get_pixel(bx * factor + dx, by * factor + dy)[0]);
                }
            }
            if sum / (factor * factor) < u32::from(threshold) {
                points.push((f64::from(bx), f64::from(by)));
            }
        }
    }
    points
}

/// Otsu's threshold over the histogram (Otsu 1979), bounded to keep mid-gray paper white.
pub(super) fn otsu(page: &GrayImage) -> u8 {
    let mut histogram = [0u64; 256];
    for pixel in page.pixels() {
        histogram[usize::from(pixel[0])] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let sum_all: f64 = histogram
        .iter()
        .enumerate()
        .map(|(v, &n)| v as f64 * n as f64)
        .sum();
    let (mut weight_b, mut sum_b, mut best, mut best_var) = (0u64, 0.0, 128u8, 0.0);
    for (value, &count) in histogram.iter().enumerate() {
        weight_b += count;
        if weight_b == 0 {
            continue;
        }
        let weight_f = total - weight_b;
        if weight_f == 0 {
            break;
        }
        sum_b += value as f64 * count as f64;
        let mean_b = sum_b / weight_b as f64;
        let mean_f = (sum_all - sum_b) / weight_f as f64;
        let between = weight_b as f64 * weight_f as f64 * (mean_b - mean_f).powi(2);
        if between > best_var {
            best_var = between;
            best = value as u8;
        }
    }
    best.clamp(60, 200)
}

/// How sharply the ink falls into rows when projected at `degrees`: the sum of squared row
/// counts, largest when the projection runs along the text lines.
fn profile_score(points: &[(f64, f64)], degrees: f64) -> f64 {
    let (sin, cos) = degrees.to_radians().sin_cos();
    // Rows can go negative by at most width·sin(MAX_SKEW); the offset keeps indices positive.
    let max_x = points.iter().map(|p| p.0).fold(0.0, f64::max);
    let max_y = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let offset = (max_x * MAX_SKEW.to_radians().sin()).ceil() + 1.0;
    let mut rows = vec![0u32; (max_y + 2.0 * offset + 2.0) as usize];
    for &(x, y) in points {
        // Image y grows downwards: a line turned counter-clockwise rises to the right, so
        // y + x·tan θ is constant along it.
        let row = (y * cos + x * sin + offset).round().max(0.0) as usize;
        if let Some(count) = rows.get_mut(row) {
            *count += 1;
        }
    }
    rows.iter().map(|&n| f64::from(n) * f64::from(n)).sum()
}

/// Rotates `page` by `degrees` counter-clockwise as displayed, about its centre, keeping its
/// size; uncovered corners become white. Bilinear interpolation.
pub fn rotate(page: &GrayImage, degrees: f64) -> GrayImage {
    if degrees == 0.0 {
        return page.clone();
    }
    let (w, h) = (page.width(), page.height());
    let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
    let (sin, cos) = degrees.to_radians().sin_cos();
    let sample = |x: f64, y: f64| -> f64 {
        if x < 0.0 || y < 0.0 || x > f64::from(w - 1) || y > f64::from(h - 1) {
            return 255.0;
        }
        let (x0, y0) = (x.floor() as u32, y.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (x - f64::from(x0), y - f64::from(y0));
        let p = |x, y| f64::from(page.get_pixel(x, y)[0]);
        let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
        let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
        top * (1.0 - fy) + bottom * fy
    };
    GrayImage::from_fn(w, h, |x, y| {
        // Inverse mapping: where in the source does this output pixel come from? With y
        // pointing down, a counter-clockwise turn on screen is (x, y) → (x cos + y sin,
        // -x sin + y cos) about the centre; its inverse is applied here.
        let (dx, dy) = (f64::from(x) + 0.5 - cx, f64::from(y) + 0.5 - cy);
        let sx = dx * cos - dy * sin + cx - 0.5;
        let sy = dx * sin + dy * cos + cy - 0.5;
        Luma([sample(sx, sy).round() as u8])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page with dark horizontal bars standing in for text lines.
    fn lined_page() -> GrayImage {
        GrayImage::from_fn(1200, 1600, |x, y| {
            let in_margin = !(150..1050).contains(&x);
            let on_line = (y % 60) < 14 && (200..1400).contains(&y);
            let gap = (x / 37) % 5 == 0;
            Luma([if on_line && !in_margin && !gap {
                20
            } else {
                245
            }])
        })
    }

    #[test]
    fn straight_page_measures_zero() {
        assert!(measure_skew(&lined_page()).abs() <= 0.05);
    }

    #[test]
    fn measures_both_directions_and_rotation_undoes_it() {
        for angle in [1.5, -0.8, 3.0] {
            let skewed = rotate(&lined_page(), angle);
            let measured = measure_skew(&skewed);
            assert!(
                (measured - angle).abs() <= 0.1,
                "{angle}° measured as {measured}°"
            );
            let straightened = rotate(&skewed, -measured);
            assert!(measure_skew(&straightened).abs() <= 0.1);
        }
    }

    #[test]
    fn line_direction_tells_sideways_pages() {
        let page = lined_page();
        assert_eq!(lines_run_horizontally(&page), Some(true));
        assert_eq!(
            lines_run_horizontally(&image::imageops::rotate90(&page)),
            Some(false)
        );
        let blank = GrayImage::from_pixel(800, 1000, Luma([250]));
        assert_eq!(lines_run_horizontally(&blank), None);
    }

    #[test]
    fn blank_page_is_not_skewed() {
        let blank = GrayImage::from_pixel(800, 1000, Luma([250]));
        assert_eq!(measure_skew(&blank), 0.0);
    }
}
