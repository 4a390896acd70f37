//! The invisible OCR text layer of a page's content stream: one positioned, horizontally
//! scaled string per word, in text render mode 3 (ISO 32000-1 §9.3.6); the font it uses is
//! left to `font.rs`, the page geometry to `page.rs`.
//!
//! Each line's words share one baseline, so text extractors see them as one line, and the
//! lines of a page share one font size, the page's typical line height: extractors such as
//! poppler's `pdftotext` gather lines into blocks (columns, paragraphs) only when their font
//! sizes agree within a few percent, and a size taken from each line's own box (which grows
//! with accents and descenders) would cut every column into single-line blocks read across
//! the page. Only a line far from the typical height (a large title) keeps its own size.
//!
//! Each word is stretched with Tz (ISO 32000-1 §9.3.4) to fill its box, so selection boxes
//! match the words; a space glyph follows it, scaled on its own to fill the gap up to the
//! next word, so extractors find exactly one space between words and never a space
//! overlapping a glyph (which they drop). A word whose box touches the next one is narrowed
//! to leave a visible gap, since extractors join words that touch.

use std::fmt::Write as _;

use super::font::{CidMap, DESCENT, GLYPH_ADVANCE};
use super::object::real;
use super::{PixelRect, TextLine, TextWord};
use crate::hex;

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

/// The narrowest gap left between the boxes of two words, as a fraction of the font size.
/// poppler joins words closer than 0.03 em without a space (`maxCharSpacing`); OCR boxes of
/// neighbouring words often touch or overlap by a pixel.
const MIN_WORD_GAP: f64 = 0.1;

/// The font size, in line heights. An OCR line box runs from the top of the tallest letters
/// to the bottom of the descenders, about 0.9 em in Times-like faces (Liberation Serif:
/// ascender 0.69, descender 0.22), so the em is about 1.1 line heights. A size below the
/// true em makes extractors think body lines are too far apart for one paragraph
/// (poppler joins lines whose baselines are at most 1.5 em apart) and cut it into lines.
const EM_PER_LINE_HEIGHT: f64 = 1.1;

/// Words at least this share of their line's height count when finding the baseline.
const FULL_HEIGHT: f64 = 0.5;

/// Lines whose height is within these factors of the page's median line height take the
/// median as their font size; lines outside (large titles, tiny print) keep their own.
const TYPICAL_HEIGHT: std::ops::RangeInclusive<f64> = 0.5..=2.0;

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
    let placed: Vec<_> = lines
        .iter()
        .filter_map(|line| {
            let words: Vec<_> = line
                .words
                .iter()
                .filter(|w| usable(&w.bbox) && cids.shown_len(&w.text) > 0)
                .collect();
            let first = words.first()?;
            // The line box gives height and baseline; a line without a usable box takes
            // them from its first word.
            let line_box = if usable(&line.bbox) {
                line.bbox
            } else {
                first.bbox
            };
            Some((words, line_box))
        })
        .collect();
    let typical = median(placed.iter().map(|(_, b)| b.bottom - b.top));
    let mut ops = String::new();
    for (words, line_box) in &placed {
        let own_height = line_box.bottom - line_box.top;
        let height_px = match typical {
            Some(t)
                if (t * TYPICAL_HEIGHT.start()..=t * TYPICAL_HEIGHT.end())
                    .contains(&own_height) =>
            {
                t
            }
            _ => own_height,
        };
        let em_px = height_px * EM_PER_LINE_HEIGHT;
        let size = em_px * frame.scale;
        if size < MIN_FONT_SIZE {
            continue;
        }
        let baseline = frame.y(baseline_px(words, line_box, em_px));
        let _ = writeln!(ops, "/{font} {} Tf", real(size));
        let space = hex::upper(&cids.encode(" "));
        let advance = size * f64::from(GLYPH_ADVANCE) / 1000.0;
        for (i, word) in words.iter().enumerate() {
            let left = frame.x(word.bbox.left);
            let mut width = frame.x(word.bbox.right) - left;
            if let Some(next) = words.get(i + 1) {
                // Narrowed to leave a gap before the next word, but never below half its box.
                let room = frame.x(next.bbox.left) - MIN_WORD_GAP * size - left;
                width = width.min(room).max(width / 2.0);
            }
            let stretch = width / (cids.shown_len(&word.text) as f64 * advance);
            let glyphs = hex::upper(&cids.encode(&word.text));
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

/// Where the line's baseline is, in pixels from the top: the highest bottom edge among its
/// full-height words, since a word without descenders (most words, and all capitals and
/// digits) sits on the baseline. Punctuation and small words (a hyphen ends mid-line) do
/// not count; a line without a full-height word takes the font's descent above its bottom.
/// The bottom of the line box alone would put the baseline of every line with a descender,
/// or with a speck or a touching letter from the line below, lower, and make the line
/// spacing look uneven to extractors that group lines into paragraphs by their baselines.
fn baseline_px(words: &[&TextWord], line_box: &PixelRect, em_px: f64) -> f64 {
    let from_bottom = line_box.bottom + em_px * f64::from(DESCENT) / 1000.0;
    let height = line_box.bottom - line_box.top;
    words
        .iter()
        .filter(|w| {
            w.bbox.bottom - w.bbox.top >= FULL_HEIGHT * height
                && w.text.chars().any(char::is_alphanumeric)
        })
        .map(|w| w.bbox.bottom)
        .min_by(f64::total_cmp)
        .unwrap_or(from_bottom)
}

/// The median of finite values (the lower middle one for an even count), or `None`.
fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut values: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    values.sort_by(f64::total_cmp);
    values.get(values.len().saturating_sub(1) / 2).copied()
}

#[cfg(test)]
mod tests {
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
        // The line is 50 px high: the em is 55 pt, the baseline the words' bottom (y 850).
        // ĐƠN: 150 pt for 3 glyphs of 27.5 pt → Tz 181.8182; its space fills the 50 pt gap
        // from 250 to 300 with one glyph at the same stretch.
        let expected = "BT\n3 Tr\n/F1 55 Tf\n\
            181.8182 Tz 1 0 0 1 100 850 Tm <011001A0004E> Tj 181.8182 Tz <0020> Tj\n\
            181.8182 Tz 1 0 0 1 300 850 Tm <01101EC0> Tj\nET\n";
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

    fn frame() -> Frame {
        Frame {
            scale: 1.0,
            height_px: 1000.0,
        }
    }

    /// The `Tf` sizes and `Tm` baselines of a text layer, in order.
    fn sizes_and_baselines(ops: &str) -> (Vec<f64>, Vec<f64>) {
        let sizes = ops
            .lines()
            .filter(|l| l.ends_with(" Tf"))
            .map(|l| l.split(' ').nth(1).unwrap().parse().unwrap())
            .collect();
        let baselines = ops
            .lines()
            .filter_map(|l| l.split(" Tm").next().filter(|_| l.contains(" Tm")))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        (sizes, baselines)
    }

    #[test]
    fn lines_of_ordinary_height_share_one_font_size() {
        // Line boxes of 40, 50 and 60 px (accents, descenders) and a 150 px title.
        let lines: Vec<TextLine> = [(100.0, 140.0), (200.0, 250.0), (300.0, 360.0)]
            .iter()
            .chain(&[(500.0, 650.0)])
            .map(|&(top, bottom)| TextLine {
                words: vec![TextWord {
                    text: "ĐỀ".into(),
                    bbox: rect(100.0, top, 200.0, bottom),
                }],
                bbox: rect(100.0, top, 200.0, bottom),
            })
            .collect();
        let cids = CidMap::build(["ĐỀ"]).unwrap();
        let ops = String::from_utf8(text_layer(&lines, frame(), &cids, "F1")).unwrap();
        let (sizes, _) = sizes_and_baselines(&ops);
        // The median line height (50 px) for the first three, its own for the title.
        assert_eq!(sizes, [55.0, 55.0, 55.0, 165.0]);
    }

    #[test]
    fn the_baseline_is_the_highest_bottom_of_a_full_height_word() {
        // "Giấy" reaches into the line below (bottom 190); "tờ" sits on the baseline (150);
        // the hyphen ends mid-line and does not count.
        let line = TextLine {
            words: vec![
                TextWord {
                    text: "Giấy".into(),
                    bbox: rect(100.0, 100.0, 180.0, 190.0),
                },
                TextWord {
                    text: "-".into(),
                    bbox: rect(190.0, 125.0, 200.0, 130.0),
                },
                TextWord {
                    text: "tờ".into(),
                    bbox: rect(210.0, 100.0, 250.0, 150.0),
                },
            ],
            bbox: rect(100.0, 100.0, 250.0, 190.0),
        };
        let cids = CidMap::build(["Giấy-tờ"]).unwrap();
        let ops = String::from_utf8(text_layer(&[line], frame(), &cids, "F1")).unwrap();
        let (_, baselines) = sizes_and_baselines(&ops);
        assert_eq!(baselines, [850.0, 850.0, 850.0]);
    }

    #[test]
    fn touching_words_are_narrowed_to_leave_a_gap() {
        let line = TextLine {
            words: vec![word("bên", 100.0, 205.0), word("ủy", 200.0, 260.0)],
            bbox: rect(100.0, 100.0, 260.0, 150.0),
        };
        let cids = CidMap::build(["bên ủy"]).unwrap();
        let ops = String::from_utf8(text_layer(&[line], frame(), &cids, "F1")).unwrap();
        // 55 pt em: "bên" ends 0.1 em (5.5 pt) before "ủy" starts, 94.5 pt wide over three
        // glyphs of 27.5 pt.
        let first = ops.lines().nth(3).unwrap();
        assert!(
            first.starts_with("114.5455 Tz 1 0 0 1 100 850 Tm"),
            "{first}"
        );
    }
}
