//! Turns Tesseract's raw answers (word boxes in iterator order, OSD degrees) into the page
//! model, in safe Rust; getting those answers out of Tesseract is left to `tesseract.rs`.

use super::{OcrLine, OcrPage, OcrWord, Orientation, PixelRect};

/// Tesseract's box convention: left, top, right (exclusive), bottom (exclusive), in pixels,
/// possibly outside the image by a pixel or two.
pub(super) type TessBox = [i32; 4];

/// One word as Tesseract's result iterator gives it, in reading order.
#[derive(Debug, Clone)]
pub(super) struct RawWord {
    pub text: String,
    pub word_box: TessBox,
    /// Set on the first word of each text line.
    pub starts_line: bool,
    /// The box of the line the word belongs to, read on its first word.
    pub line_box: Option<TessBox>,
    pub confidence: f32,
}

/// Groups words into lines, drops empty words, clamps boxes to the image and confidences to
/// 0..=100.
pub(super) fn assemble_page(raw: Vec<RawWord>, width: u32, height: u32) -> OcrPage {
    let mut lines: Vec<OcrLine> = Vec::new();
    let mut open: Option<OcrLine> = None;
    let mut confidence_sum = 0.0f64;
    let mut word_count = 0usize;
    for word in raw {
        if word.starts_line || open.is_none() {
            lines.extend(open.take().filter(|line| !line.words.is_empty()));
            open = Some(OcrLine {
                words: Vec::new(),
                bbox: word
                    .line_box
                    .map(|b| clamp_box(b, width, height))
                    .unwrap_or_else(|| clamp_box(word.word_box, width, height)),
            });
        }
        let text = word.text.trim();
        if text.is_empty() {
            continue;
        }
        let confidence = if word.confidence.is_finite() {
            word.confidence.clamp(0.0, 100.0)
        } else {
            0.0
        };
        confidence_sum += f64::from(confidence);
        word_count += 1;
        let bbox = clamp_box(word.word_box, width, height);
        if let Some(line) = open.as_mut() {
            // Tesseract's line box can miss a word that sticks out; keep the line covering it.
            line.bbox = line.bbox.union(&bbox);
            line.words.push(OcrWord {
                text: text.to_owned(),
                bbox,
                confidence,
            });
        }
    }
    lines.extend(open.filter(|line| !line.words.is_empty()));
    let mean_confidence = if word_count == 0 {
        0.0
    } else {
        (confidence_sum / word_count as f64) as f32
    };
    OcrPage {
        lines,
        mean_confidence,
        width,
        height,
    }
}

fn clamp_box([left, top, right, bottom]: TessBox, width: u32, height: u32) -> PixelRect {
    let clamp = |v: i32, max: u32| u32::try_from(v.max(0)).unwrap_or(0).min(max);
    let left = clamp(left, width);
    let top = clamp(top, height);
    PixelRect {
        left,
        top,
        right: clamp(right, width).max(left),
        bottom: clamp(bottom, height).max(top),
    }
}

/// Converts Tesseract's OSD answer into clockwise quarter turns.
///
/// `orient_deg` (0, 90, 180, 270) is the clockwise rotation of the text as it appears in the
/// image, so undoing it takes `360 - orient_deg` clockwise; this is what `tesseract --psm 0`
/// prints as `Rotate:`. Measured, not assumed: `samples/giay-tiep-nhan-rot90-300dpi.png`
/// (turned a quarter counter-clockwise, needs one quarter clockwise) gives `orient_deg` 270.
/// Scores below `min_confidence` give 0 turns, keeping the low score.
pub(super) fn orientation_from_osd(
    orient_deg: i32,
    confidence: f32,
    min_confidence: f32,
) -> Orientation {
    let confidence = if confidence.is_finite() {
        confidence.max(0.0)
    } else {
        0.0
    };
    if confidence < min_confidence {
        return Orientation {
            quarter_turns_clockwise: 0,
            confidence,
        };
    }
    let quarters = orient_deg.rem_euclid(360) / 90;
    let turns = (4 - quarters).rem_euclid(4);
    Orientation {
        quarter_turns_clockwise: u8::try_from(turns).unwrap_or(0),
        confidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str, starts_line: bool, word_box: TessBox) -> RawWord {
        RawWord {
            text: text.to_owned(),
            word_box,
            starts_line,
            line_box: starts_line.then_some([0, word_box[1], 100, word_box[3]]),
            confidence: 91.5,
        }
    }

    #[test]
    fn words_are_grouped_into_lines_and_empty_words_dropped() {
        let page = assemble_page(
            vec![
                raw("CỘNG", true, [10, 10, 40, 30]),
                raw("  ", false, [41, 10, 45, 30]),
                raw("HÒA", false, [50, 10, 80, 30]),
                raw("", true, [10, 40, 20, 60]),
                raw("Độc", true, [10, 70, 40, 90]),
            ],
            200,
            100,
        );
        assert_eq!(page.text(), "CỘNG HÒA\nĐộc\n");
        assert_eq!(page.lines[0].bbox.top, 10);
        assert_eq!(page.lines[0].bbox.right, 100);
        assert!((page.mean_confidence - 91.5).abs() < 1e-4);
    }

    #[test]
    fn boxes_and_confidences_are_clamped() {
        let mut word = raw("x", true, [-3, -1, 250, 120]);
        word.confidence = 140.0;
        let mut nan = raw("y", false, [5, 5, 6, 6]);
        nan.confidence = f32::NAN;
        let page = assemble_page(vec![word, nan], 200, 100);
        let first = &page.lines[0].words[0];
        assert_eq!(
            first.bbox,
            PixelRect {
                left: 0,
                top: 0,
                right: 200,
                bottom: 100
            }
        );
        assert_eq!(first.confidence, 100.0);
        assert_eq!(page.lines[0].words[1].confidence, 0.0);
        assert!(page.lines[0].bbox.is_within(200, 100));
    }

    #[test]
    fn no_words_gives_an_empty_page() {
        let page = assemble_page(Vec::new(), 7, 9);
        assert_eq!(page, OcrPage::empty(7, 9));
    }

    #[test]
    fn osd_degrees_map_to_clockwise_turns() {
        assert_eq!(
            orientation_from_osd(0, 15.0, 2.0).quarter_turns_clockwise,
            0
        );
        assert_eq!(
            orientation_from_osd(270, 11.0, 2.0).quarter_turns_clockwise,
            1
        );
        assert_eq!(
            orientation_from_osd(180, 15.0, 2.0).quarter_turns_clockwise,
            2
        );
        assert_eq!(
            orientation_from_osd(90, 15.0, 2.0).quarter_turns_clockwise,
            3
        );
        let unsure = orientation_from_osd(180, 0.4, 2.0);
        assert_eq!(unsure.quarter_turns_clockwise, 0);
        assert!((unsure.confidence - 0.4).abs() < 1e-6);
        assert_eq!(orientation_from_osd(90, f32::NAN, 2.0).confidence, 0.0);
    }
}
