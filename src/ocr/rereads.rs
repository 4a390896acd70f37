//! Finds text lines that Tesseract's page layout analysis read badly, and splices the lines
//! read again as single lines back into the page; running the second reading is left to
//! `tesseract.rs`.
//!
//! Two layout failures are repaired, both judged from geometry and confidence, never from
//! what the words say:
//!
//! - A numbered list ("1.", "2.", … at the left margin) is a column of small, equally
//!   spaced, aligned blobs. Tesseract's tab-stop and vertical-text detection often takes that
//!   column for one vertical text line of its own: the numbers come out as a single tall,
//!   narrow "line" of garbage, and the lines beside it lose their first word. Each of those
//!   lines is read again from the left edge of the column.
//! - A speck of dust in the white space after a line's text throws off Tesseract's estimate
//!   of the line's word spacing, and the words of the line run together ("HÀNH CHÍNHCÔNG")
//!   at a low confidence. Such a line is read again with the isolated specks painted white.

use super::{OcrLine, OcrPage, OcrWord, PixelRect};

/// A stack must be at least this many typical line heights tall to be a cut-off column:
/// a single line with an accent above and a descender below stays well under two.
const MIN_STACK_HEIGHT: f64 = 2.0;

/// A stack is at most this many typical line heights wide: list numbers up to "99." are
/// about one line height wide; a signature, a stamp or a column of words is wider.
const MAX_STACK_WIDTH: f64 = 1.5;

/// A line is one of the stack's lines when it starts at most this many typical line
/// heights right of the stack (list numbers sit a space or a tab before their text).
const MAX_START_GAP: f64 = 2.0;

/// The strip read again reaches this share of a typical line height beyond the line's box
/// on every side, so that the first and last glyphs are whole.
const STRIP_MARGIN: f64 = 0.25;

/// The second reading replaces the first only if its mean word confidence is at least the
/// first's minus this many points: a poorer reading of the line's own words is not worth
/// the recovered number.
const CONFIDENCE_SLACK: f32 = 10.0;

/// A "word" without a letter or digit whose box is smaller than this share of the typical
/// line height on both sides is a speck (a full stop at 300 dpi is about a fifth of the line
/// height; the specks that split lines are a few pixels).
const SPECK_SIZE: f64 = 0.12;

/// A speck at least this many typical line heights from every other word of its line sits
/// in white space: it is no full stop, list dot or dash, which touch or nearly touch their
/// words.
const SPECK_ISOLATION: f64 = 1.0;

/// A line with an isolated speck is read again only if one of its words reads below this
/// confidence: words run together read at 55–70, correct words at 90 and above.
const RUN_TOGETHER_CONFIDENCE: f32 = 75.0;

/// One line to read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Reread {
    /// Index of the line in `OcrPage::lines`.
    pub line: usize,
    /// Index of the stack the line lost its start to, if that is why it is read again.
    pub stack: Option<usize>,
    /// The strip to read, in image pixels.
    pub strip: PixelRect,
    /// Specks inside the strip to paint white before reading it.
    pub blank: Vec<PixelRect>,
}

/// The page's median line height, in pixels (0 for a page without lines).
fn typical_line_height(page: &OcrPage) -> f64 {
    let mut heights: Vec<u32> = page.lines.iter().map(|l| l.bbox.height()).collect();
    heights.sort_unstable();
    heights
        .get(heights.len().saturating_sub(1) / 2)
        .map_or(0.0, |&h| f64::from(h))
}

/// Whether `line` is a column of blobs read as one vertical line.
fn is_stack(line: &OcrLine, typical: f64) -> bool {
    line.words.len() >= 2
        && f64::from(line.bbox.height()) >= MIN_STACK_HEIGHT * typical
        && f64::from(line.bbox.width()) <= MAX_STACK_WIDTH * typical
}

/// Words of `line` that are specks in white space: small, without a letter or digit, and far
/// from every other word of the line.
fn isolated_specks(line: &OcrLine, typical: f64) -> Vec<PixelRect> {
    let speck = |w: &OcrWord| {
        !w.text.chars().any(char::is_alphanumeric)
            && f64::from(w.bbox.width().max(w.bbox.height())) < SPECK_SIZE * typical
    };
    line.words
        .iter()
        .enumerate()
        .filter(|&(_, w)| speck(w))
        .filter(|&(i, w)| {
            line.words.iter().enumerate().all(|(j, other)| {
                let gap = if other.bbox.left >= w.bbox.right {
                    other.bbox.left - w.bbox.right
                } else {
                    w.bbox.left.saturating_sub(other.bbox.right)
                };
                i == j || f64::from(gap) >= SPECK_ISOLATION * typical
            })
        })
        .map(|(_, w)| w.bbox)
        .collect()
}

/// The lines of `page` to read again: those beside a stack, with a strip that reaches back
/// over the stack, and those whose words ran together around an isolated speck. At most one
/// per line, in page order.
pub(super) fn find_rereads(page: &OcrPage) -> Vec<Reread> {
    let typical = typical_line_height(page);
    if typical <= 0.0 {
        return Vec::new();
    }
    let stacks: Vec<usize> = (0..page.lines.len())
        .filter(|&i| is_stack(&page.lines[i], typical))
        .collect();
    let margin = (STRIP_MARGIN * typical).round() as u32;
    let mut rereads = Vec::new();
    for (index, line) in page.lines.iter().enumerate() {
        if stacks.contains(&index) {
            continue;
        }
        let b = line.bbox;
        let middle = (b.top + b.bottom) / 2;
        let beside = stacks.iter().copied().find(|&s| {
            let stack = page.lines[s].bbox;
            let gap = f64::from(b.left) - f64::from(stack.right);
            (stack.top..stack.bottom).contains(&middle)
                && b.left >= stack.left
                && gap <= MAX_START_GAP * typical
        });
        let blank = isolated_specks(line, typical);
        let run_together = !blank.is_empty()
            && line.words.iter().any(|w| {
                w.confidence < RUN_TOGETHER_CONFIDENCE && w.text.chars().any(char::is_alphanumeric)
            });
        if beside.is_none() && !run_together {
            continue;
        }
        let left = beside.map_or(b.left, |s| page.lines[s].bbox.left);
        rereads.push(Reread {
            line: index,
            stack: beside,
            strip: PixelRect {
                left: left.saturating_sub(margin),
                top: b.top.saturating_sub(margin),
                right: b.right.saturating_add(margin).min(page.width),
                bottom: b.bottom.saturating_add(margin).min(page.height),
            },
            blank,
        });
    }
    rereads
}

fn mean_confidence(words: &[OcrWord]) -> f32 {
    if words.is_empty() {
        return 0.0;
    }
    words.iter().map(|w| w.confidence).sum::<f32>() / words.len() as f32
}

/// Puts the second readings into the page: a reading that is no poorer replaces its line,
/// and the stack's words beside a replaced line (now read as part of it) are dropped. A
/// stack left with no words is dropped with them; the page's mean confidence is
/// recomputed.
pub(super) fn splice(page: &mut OcrPage, readings: Vec<(Reread, Vec<OcrWord>)>) {
    let mut covered: Vec<(usize, PixelRect)> = Vec::new();
    for (reread, words) in readings {
        let Some(line) = page.lines.get_mut(reread.line) else {
            continue;
        };
        if words.is_empty()
            || mean_confidence(&words) + CONFIDENCE_SLACK < mean_confidence(&line.words)
        {
            continue;
        }
        let bbox = words
            .iter()
            .map(|w| w.bbox)
            .reduce(|a, b| a.union(&b))
            .unwrap_or(line.bbox);
        *line = OcrLine { words, bbox };
        if let Some(stack) = reread.stack {
            covered.push((stack, reread.strip));
        }
    }
    for &(stack, strip) in &covered {
        if let Some(line) = page.lines.get_mut(stack) {
            line.words.retain(|w| {
                let middle = (w.bbox.top + w.bbox.bottom) / 2;
                !(strip.top..strip.bottom).contains(&middle)
            });
            if let Some(bbox) = line.words.iter().map(|w| w.bbox).reduce(|a, b| a.union(&b)) {
                line.bbox = bbox;
            }
        }
    }
    page.lines.retain(|line| !line.words.is_empty());
    let words: Vec<f32> = page.words().map(|w| w.confidence).collect();
    page.mean_confidence = if words.is_empty() {
        0.0
    } else {
        words.iter().sum::<f32>() / words.len() as f32
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(left: u32, top: u32, right: u32, bottom: u32) -> PixelRect {
        PixelRect {
            left,
            top,
            right,
            bottom,
        }
    }

    fn word(text: &str, confidence: f32, bbox: PixelRect) -> OcrWord {
        OcrWord {
            text: text.into(),
            bbox,
            confidence,
        }
    }

    fn line(words: Vec<OcrWord>) -> OcrLine {
        let bbox = words
            .iter()
            .map(|w| w.bbox)
            .reduce(|a, b| a.union(&b))
            .unwrap();
        OcrLine { words, bbox }
    }

    /// Three body lines 50 px high at x 400, a column of list numbers beside them read as
    /// one vertical line (x 350..388), and a line further right that is not beside it.
    fn page() -> OcrPage {
        OcrPage {
            lines: vec![
                line(vec![word("Họ", 96.0, rect(400, 100, 470, 150))]),
                line(vec![
                    word("C6", 20.0, rect(350, 300, 388, 350)),
                    word("`1", 30.0, rect(350, 200, 388, 250)),
                    word("=", 0.0, rect(358, 105, 380, 150)),
                ]),
                line(vec![word("Ngày", 90.0, rect(400, 200, 520, 250))]),
                line(vec![word("Số", 94.0, rect(400, 300, 460, 350))]),
                line(vec![word("Nam", 95.0, rect(1500, 200, 1600, 250))]),
                line(vec![word("Điều", 97.0, rect(400, 600, 500, 650))]),
            ],
            mean_confidence: 60.0,
            width: 2480,
            height: 3508,
        }
    }

    #[test]
    fn lines_beside_a_tall_narrow_stack_are_read_again_from_its_left_edge() {
        let rereads = find_rereads(&page());
        let lines: Vec<usize> = rereads.iter().map(|r| r.line).collect();
        // Not the stack itself, not "Nam" (far right), not "Điều" (below the stack).
        assert_eq!(lines, [0, 2, 3]);
        assert!(
            rereads
                .iter()
                .all(|r| r.stack == Some(1) && r.blank.is_empty())
        );
        // The strip runs from the stack's left edge to the line's end, a quarter of the
        // 50 px line height (13 px) around.
        assert_eq!(rereads[0].strip, rect(337, 87, 483, 163));
    }

    #[test]
    fn wide_or_short_stacks_are_not_cut_off_columns() {
        let mut signature = page();
        // A signature is as tall, but wider than one and a half lines.
        signature.lines[1].bbox.right = 700;
        assert!(find_rereads(&signature).is_empty());
        let mut short = page();
        short.lines[1].words.truncate(1);
        short.lines[1].bbox = rect(350, 300, 388, 350);
        assert!(find_rereads(&short).is_empty());
        assert!(find_rereads(&OcrPage::empty(10, 10)).is_empty());
    }

    #[test]
    fn lines_run_together_around_an_isolated_speck_are_read_again_without_it() {
        let speck = rect(1040, 120, 1043, 123);
        let page = OcrPage {
            lines: vec![
                // Run together next to a speck 110 px away: read again, speck blanked.
                line(vec![
                    word("HÀNH", 96.0, rect(400, 100, 560, 150)),
                    word("CHÍNHCÔNG", 66.0, rect(580, 100, 930, 150)),
                    word("-", 66.0, speck),
                ]),
                // A list dot 20 px before its word is no isolated speck.
                line(vec![
                    word(".", 93.0, rect(385, 235, 391, 241)),
                    word("TRÂN", 56.0, rect(411, 200, 520, 250)),
                ]),
                // An isolated speck, but every word reads well.
                line(vec![
                    word("Số", 95.0, rect(400, 300, 460, 350)),
                    word("_", 85.0, rect(700, 300, 703, 304)),
                ]),
            ],
            mean_confidence: 80.0,
            width: 2480,
            height: 3508,
        };
        let rereads = find_rereads(&page);
        assert_eq!(
            rereads,
            [Reread {
                line: 0,
                stack: None,
                strip: rect(387, 87, 1056, 163),
                blank: vec![speck],
            }]
        );
    }

    #[test]
    fn readings_replace_their_lines_and_the_stack_words_beside_them() {
        let mut page = page();
        let rereads = find_rereads(&page);
        let readings = vec![
            (
                rereads[0].clone(),
                vec![
                    word("1.", 95.0, rect(352, 100, 388, 150)),
                    word("Họ", 96.0, rect(400, 100, 470, 150)),
                ],
            ),
            (rereads[1].clone(), vec![]),
            // Poorer than the line it would replace: kept as it was.
            (
                rereads[2].clone(),
                vec![word("5ố", 40.0, rect(352, 300, 460, 350))],
            ),
        ];
        splice(&mut page, readings);
        let texts: Vec<String> = page
            .lines
            .iter()
            .map(|l| {
                let words: Vec<&str> = l.words.iter().map(|w| w.text.as_str()).collect();
                words.join(" ")
            })
            .collect();
        // The stack kept the words beside lines that were not replaced.
        assert_eq!(texts, ["1. Họ", "C6 `1", "Ngày", "Số", "Nam", "Điều"]);
        assert_eq!(page.lines[0].bbox, rect(352, 100, 470, 150));
        assert_eq!(page.lines[1].bbox, rect(350, 200, 388, 350));
        let expected = (95.0 + 96.0 + 20.0 + 30.0 + 90.0 + 94.0 + 95.0 + 97.0) / 8.0;
        assert!((page.mean_confidence - expected).abs() < 1e-3);
    }
}
