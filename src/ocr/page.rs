//! The page model OCR produces (words with pixel boxes, lines in reading order) and the
//! [`OcrEngine`] trait; running an engine and placing text into a PDF are left to others.

use serde::{Deserialize, Serialize};

use super::OcrError;

/// A rectangle in image pixels, origin top-left, y growing downwards. `right` and `bottom` are
/// exclusive, so `right - left` is the width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PixelRect {
    pub left: u32,
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
}

impl PixelRect {
    pub fn width(&self) -> u32 {
        self.right.saturating_sub(self.left)
    }

    pub fn height(&self) -> u32 {
        self.bottom.saturating_sub(self.top)
    }

    /// Whether the rectangle lies inside an image of `width`×`height` pixels.
    pub fn is_within(&self, width: u32, height: u32) -> bool {
        self.left <= self.right
            && self.top <= self.bottom
            && self.right <= width
            && self.bottom <= height
    }

    /// The smallest rectangle holding both.
    pub fn union(&self, other: &PixelRect) -> PixelRect {
        PixelRect {
            left: self.left.min(other.left),
            top: self.top.min(other.top),
            right: self.right.max(other.right),
            bottom: self.bottom.max(other.bottom),
        }
    }
}

/// One recognized word.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcrWord {
    /// The word in Unicode NFC, never empty, without surrounding whitespace.
    pub text: String,
    pub bbox: PixelRect,
    /// The engine's confidence in the word, 0 to 100.
    pub confidence: f32,
}

/// One text line: its words left to right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcrLine {
    /// Never empty.
    pub words: Vec<OcrWord>,
    pub bbox: PixelRect,
}

/// Everything recognized on one page image, lines in the engine's reading order (a column
/// block before the block to its right).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcrPage {
    pub lines: Vec<OcrLine>,
    /// Mean of the word confidences, 0 to 100; 0 when the page has no words.
    pub mean_confidence: f32,
    /// Size of the image that was recognized, in pixels.
    pub width: u32,
    pub height: u32,
}

impl OcrPage {
    /// A page on which nothing was recognized.
    pub fn empty(width: u32, height: u32) -> OcrPage {
        OcrPage {
            lines: Vec::new(),
            mean_confidence: 0.0,
            width,
            height,
        }
    }

    /// The plain text: words joined by single spaces, lines by `\n`, in reading order.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for line in &self.lines {
            for (i, word) in line.words.iter().enumerate() {
                if i > 0 {
                    text.push(' ');
                }
                text.push_str(&word.text);
            }
            text.push('\n');
        }
        text
    }

    /// All words in reading order.
    pub fn words(&self) -> impl Iterator<Item = &OcrWord> {
        self.lines.iter().flat_map(|line| line.words.iter())
    }
}

/// What a page needs to be read upright.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Orientation {
    /// Turn the image this many quarter turns clockwise (0..=3) to make it upright.
    pub quarter_turns_clockwise: u8,
    /// The engine's confidence. For Tesseract this is its OSD score (not a percentage): 0 when
    /// it could not decide, around 10–20 on a full printed A4 page.
    pub confidence: f32,
}

impl Orientation {
    /// The answer when the engine cannot decide: leave the page as it is.
    pub const UNDECIDED: Orientation = Orientation {
        quarter_turns_clockwise: 0,
        confidence: 0.0,
    };
}

/// An OCR engine for single page images. One engine serves one thread at a time: engines
/// are `Send` so that a pool can give one to each worker, and not required to be `Sync`.
pub trait OcrEngine: Send {
    /// Recognizes the text of `image`, scanned at `dpi` dots per inch.
    fn recognize(&mut self, image: &image::GrayImage, dpi: u32) -> Result<OcrPage, OcrError>;

    /// Finds how many clockwise quarter turns make `image` upright. When there is too little
    /// text to tell, it answers [`Orientation::UNDECIDED`]-like values (0 turns, low
    /// confidence) rather than an error.
    fn detect_orientation(
        &mut self,
        image: &image::GrayImage,
        dpi: u32,
    ) -> Result<Orientation, OcrError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> OcrWord {
        OcrWord {
            text: text.to_owned(),
            bbox: PixelRect {
                left: 0,
                top: 0,
                right: 1,
                bottom: 1,
            },
            confidence: 90.0,
        }
    }

    #[test]
    fn text_joins_words_with_spaces_and_lines_with_newlines() {
        let line = |words: &[&str]| OcrLine {
            words: words.iter().map(|w| word(w)).collect(),
            bbox: PixelRect {
                left: 0,
                top: 0,
                right: 1,
                bottom: 1,
            },
        };
        let page = OcrPage {
            lines: vec![line(&["CỘNG", "HÒA"]), line(&["Độc", "lập"])],
            mean_confidence: 90.0,
            width: 10,
            height: 10,
        };
        assert_eq!(page.text(), "CỘNG HÒA\nĐộc lập\n");
        assert_eq!(page.words().count(), 4);
        assert_eq!(OcrPage::empty(3, 4).text(), "");
    }

    #[test]
    fn rect_geometry() {
        let a = PixelRect {
            left: 2,
            top: 3,
            right: 10,
            bottom: 7,
        };
        assert_eq!((a.width(), a.height()), (8, 4));
        assert!(a.is_within(10, 7));
        assert!(!a.is_within(9, 7));
        let b = PixelRect {
            left: 0,
            top: 5,
            right: 4,
            bottom: 9,
        };
        assert_eq!(
            a.union(&b),
            PixelRect {
                left: 0,
                top: 3,
                right: 10,
                bottom: 9
            }
        );
    }
}
