//! The invisible OCR text layer of a page's content stream: one positioned, horizontally
//! scaled string per word, in text render mode 3 (ISO 32000-1 §9.3.6); the font it uses is
//! left to `font.rs`, the page geometry to `page.rs`.
//!
//! Each line's words share one font size (the line box height) and one baseline, so text
//! extractors see them as one line. Each word is stretched with Tz (ISO 32000-1 §9.3.4) to
//! fill its box, so selection boxes match the words; a space glyph follows it, scaled on its
//! own to fill the gap up to the next word, so extractors find exactly one space between
//! words and never a space overlapping a glyph (which they drop).

use std::fmt::Write as _;

use super::font::{CidMap, DESCENT, GLYPH_ADVANCE};
use super::object::{hex, real};
use super::{PixelRect, TextLine};

/// How OCR pixel coordinates (y down, upright frame) map to PDF user space (y up, points).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Points per pixel (72 / dpi).
    pub scale: f64,
    /// Page height in pixels.
    pub height_px: f64,
}

impl Frame {
    fn x(&self, px: f64) -> f64 {
        px * self.scale
    }

    fn y(&self, px: f64) -> f64 {
        (self.height_px - px) * self.scale
    }
}

/// The narrowest space between two words, as a fraction of the font size: wide enough for
/// extractors to see a word break.
const MIN_SPACE: f64 = 0.15;

/// Smallest line height, in points, worth placing text for; below this no reader can select
/// it anyway.
const MIN_FONT_SIZE: f64 = 0.1;

fn usable(r: &PixelRect) -> bool {
    [r.left, r.top, r.right, r.bottom]
        .iter()
        .all(|v| v.is_finite())
        && r.right > r.left
        && r.bottom > r.top
}

/// Content-stream operators for the text of one page, or an empty vector if nothing is
/// shown. `font` is the resource name of the Type 0 font.
pub fn text_layer(lines: &[TextLine], frame: Frame, cids: &CidMap, font: &str) -> Vec<u8> {
    let mut ops = String::new();
    for line in lines {
        let words: Vec<_> = line
            .words
            .iter()
            .filter(|w| usable(&w.bbox) && cids.shown_len(&w.text) > 0)
            .collect();
        let Some(first) = words.first() else {
            continue;
        };
        // The line box gives size and baseline; a line without a usable box takes them from
        // its first word.
        let line_box = if usable(&line.bbox) {
            &line.bbox
        } else {
            &first.bbox
        };
        let height_px = line_box.bottom - line_box.top;
        let size = height_px * frame.scale;
        if size < MIN_FONT_SIZE {
            continue;
        }
        let baseline = frame.y(line_box.bottom + height_px * f64::from(DESCENT) / 1000.0);
        let _ = writeln!(ops, "/{font} {} Tf", real(size));
        let space = hex(&cids.encode(" "));
        let advance = size * f64::from(GLYPH_ADVANCE) / 1000.0;
        for (i, word) in words.iter().enumerate() {
            let left = frame.x(word.bbox.left);
            let width = frame.x(word.bbox.right) - left;
            let stretch = width / (cids.shown_len(&word.text) as f64 * advance);
            let glyphs = hex(&cids.encode(&word.text));
            let _ = write!(
                ops,
                "{} Tz 1 0 0 1 {} {} Tm ",
                real(100.0 * stretch),
                real(left),
                real(baseline)
            );
            let _ = write!(ops, "<{glyphs}> Tj");
            if let Some(next) = words.get(i + 1) {
                // The space starts where the word ends and is stretched to end where the
                // next word starts; touching words still get a thin one.
                let gap = (frame.x(next.bbox.left) - (left + width)).max(MIN_SPACE * size);
                let _ = write!(ops, " {} Tz <{space}> Tj", real(100.0 * gap / advance));
            }
            ops.push('\n');
        }
    }
    if ops.is_empty() {
        return Vec::new();
    }
    // Render mode 3: neither fill nor stroke, so the scan stays the only visible layer.
    format!("BT\n3 Tr\n{ops}ET\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::super::TextWord;
    use super::*;

    fn rect(left: f64, top: f64, right: f64, bottom: f64) -> PixelRect {
        PixelRect {
            left,
            top,
            right,
            bottom,
        }
    }

    fn word(text: &str, left: f64, right: f64) -> TextWord {
        TextWord {
            text: text.to_owned(),
            bbox: rect(left, 100.0, right, 150.0),
        }
    }

    #[test]
    fn words_are_stretched_to_reach_the_next_word() {
        let line = TextLine {
            words: vec![word("ĐƠN", 100.0, 250.0), word("ĐỀ", 300.0, 400.0)],
            bbox: rect(100.0, 100.0, 400.0, 150.0),
        };
        let cids = CidMap::build(["ĐƠN", "ĐỀ"]).unwrap();
        // 72 dpi: one pixel is one point; the page is 1000 px high.
        let frame = Frame {
            scale: 1.0,
            height_px: 1000.0,
        };
        let ops = String::from_utf8(text_layer(&[line], frame, &cids, "F1")).unwrap();
        // ĐƠN: 150 pt for 3 glyphs of 25 pt → Tz 200; its space fills the 50 pt gap from
        // 250 to 300: one glyph of 25 pt at Tz 200.
        let expected = "BT\n3 Tr\n/F1 50 Tf\n\
            200 Tz 1 0 0 1 100 860 Tm <011001A0004E> Tj 200 Tz <0020> Tj\n\
            200 Tz 1 0 0 1 300 860 Tm <01101EC0> Tj\nET\n";
        assert_eq!(ops, expected);
    }

    #[test]
    fn degenerate_boxes_and_empty_words_are_skipped() {
        let line = TextLine {
            words: vec![
                word("", 0.0, 10.0),
                TextWord {
                    text: "x".into(),
                    bbox: rect(5.0, 5.0, 5.0, 9.0),
                },
                TextWord {
                    text: "y".into(),
                    bbox: rect(f64::NAN, 5.0, 6.0, 9.0),
                },
            ],
            bbox: rect(0.0, 0.0, 10.0, 10.0),
        };
        let cids = CidMap::build(["xy"]).unwrap();
        let frame = Frame {
            scale: 0.24,
            height_px: 100.0,
        };
        assert!(text_layer(&[line], frame, &cids, "F1").is_empty());
    }
}
