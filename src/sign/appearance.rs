//! The visible signature stamp of Circular 05/2025/TT-BNV: a form XObject at the top right of
//! the page as the viewer shows it, with the signer, the organisation and the signing time in
//! black 10 pt Times-metric text (embedded subset font, no seal image). The widget
//! annotation, the signature field and writing the objects into the file are left to
//! `sign::pades`.
//!
//! PDF/A-2b (ISO 19005-2): the font is embedded (§6.2.11.4.1), colours are DeviceGray black
//! without transparency (§6.2.4.3, §6.4), and nothing but text and a hairline border is
//! drawn. The caller's widget must be printable (/F 4, §6.3.2).
//!
//! For a page with /Rotate, the form's /Matrix turns the content so that it reads upright in
//! the viewer: the appearance's /BBox transformed by /Matrix is exactly the size of /Rect
//! with its lower-left corner at the origin, which is what ISO 32000-1 §12.5.5 (Algorithm
//! 8.1) maps onto /Rect, and what `q 1 0 0 1 llx lly cm /Stamp Do Q` draws in page content.

use std::fmt::Write as _;

use crate::pdf::object::{Dict, Obj, ObjRef, PendingObject, RefAllocator, deflate, real};
use crate::pdf::truetype::{FontError, FontSubset, TrueTypeFont};

/// The text size the circular asks for, in points.
pub const FONT_SIZE: f64 = 10.0;
/// Baseline to baseline, 1.2 × the size.
pub const LEADING: f64 = 12.0;
/// Distance of the stamp from the top and right edges of the visible page: 1 cm.
pub const MARGIN: f64 = 72.0 / 2.54;
/// Space between the border and the text.
pub const PADDING: f64 = 4.0;
/// The stamp may grow to half the visible page width, but to at least this much (8 cm),
/// before its lines are wrapped; never beyond the page less the margins.
pub const MIN_WRAP_WIDTH: f64 = 8.0 * 72.0 / 2.54;
/// The hairline border's width.
const BORDER: f64 = 0.5;
/// The font's name in the form's /Resources.
const FONT_KEY: &str = "F1";

/// What the stamp says; the caller formats the time (see [`signing_time_text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampText {
    /// The signer's name (certificate CN), expected in NFC.
    pub signer: String,
    /// The agency (certificate O); the line is left out when absent or empty.
    pub organization: Option<String>,
    /// ISO 8601 with the offset, e.g. "2026-11-22T14:05:09+07:00".
    pub signed_at: String,
}

impl StampText {
    /// The stamp's lines before wrapping, in Vietnamese.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!("Ký bởi: {}", self.signer.trim())];
        if let Some(org) = self.organization.as_deref().map(str::trim)
            && !org.is_empty()
        {
            lines.push(format!("Cơ quan: {org}"));
        }
        lines.push(format!("Thời gian ký: {}", self.signed_at.trim()));
        lines
    }
}

/// A ready appearance: where the widget goes and the objects to add to the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Appearance {
    /// The widget's /Rect in the page's default user space: llx, lly, urx, ury.
    pub rect: [f64; 4],
    /// The form XObject for the widget's /AP /N.
    pub normal: ObjRef,
    /// The form XObject, the Type 0 font and its parts.
    pub objects: Vec<PendingObject>,
}

/// Why a stamp cannot be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppearanceError {
    #[error("the stamp font: {0}")]
    Font(#[from] FontError),
    #[error("the signer's name is empty; the stamp must say who signed")]
    EmptySigner,
    #[error("the page box {page_box:?} is not a rectangle with positive finite size")]
    InvalidPageBox { page_box: [f64; 4] },
    #[error("page /Rotate {rotate} is not a multiple of 90")]
    InvalidRotate { rotate: i32 },
    #[error(
        "the stamp needs {needed_width:.0}×{needed_height:.0} pt but the page shows only \
         {width:.0}×{height:.0} pt inside 1 cm margins"
    )]
    PageTooSmall {
        width: f64,
        height: f64,
        needed_width: f64,
        needed_height: f64,
    },
}

/// Formats the signing time as the stamp shows it: ISO 8601 to the second in Vietnam time,
/// e.g. "2026-11-22T14:05:09+07:00", whatever offset `at` carries.
pub fn signing_time_text(at: time::OffsetDateTime) -> String {
    // UTC+7 is always a valid offset.
    let vietnam = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    crate::pdf::xmp_date(at.to_offset(vietnam))
}

/// Makes the stamp for a page whose visible area is `page_box` (its CropBox, else its
/// MediaBox) turned clockwise by `page_rotate` degrees when shown (ISO 32000-1 §7.7.3.3,
/// Table 30). Object numbers come from `alloc`, so an incremental update passes an
/// allocator continuing from the previous /Size.
pub fn stamp(
    text: &StampText,
    font: &[u8],
    page_box: [f64; 4],
    page_rotate: i32,
    alloc: &mut RefAllocator,
) -> Result<Appearance, AppearanceError> {
    if text.signer.trim().is_empty() {
        return Err(AppearanceError::EmptySigner);
    }
    let page = PageView::new(page_box, page_rotate)?;
    let font = TrueTypeFont::parse(font)?;
    let available = (page.width - 2.0 * MARGIN).max(0.0);
    let wrap_width = (page.width / 2.0).max(MIN_WRAP_WIDTH).min(available);
    let layout = Layout::new(&font, &text.lines(), wrap_width - 2.0 * PADDING)?;
    if layout.width > available || layout.height > page.height - 2.0 * MARGIN {
        return Err(AppearanceError::PageTooSmall {
            width: available,
            height: (page.height - 2.0 * MARGIN).max(0.0),
            needed_width: layout.width,
            needed_height: layout.height,
        });
    }

    let mut subset = FontSubset::new(&font);
    let mut content = String::new();
    let (w, h) = (layout.width, layout.height);
    // A hairline border inside the box, then the text; every state the text depends on is
    // set here, since a form drawn with `Do` inherits the caller's graphics state.
    let _ = write!(
        content,
        "q\n0 G\n{} w\n[] 0 d\n{} {} {} {} re\nS\nBT\n0 g\n0 Tr\n0 Tc\n100 Tz\n0 Ts\n\
         /{FONT_KEY} {} Tf\n{} TL\n{} {} Td\n",
        real(BORDER),
        real(BORDER / 2.0),
        real(BORDER / 2.0),
        real(w - BORDER),
        real(h - BORDER),
        real(FONT_SIZE),
        real(LEADING),
        real(PADDING),
        real(layout.first_baseline),
    );
    for (i, line) in layout.lines.iter().enumerate() {
        if i > 0 {
            content.push_str("T*\n");
        }
        let codes = subset.encode(line)?;
        let _ = writeln!(content, "<{}> Tj", crate::hex::upper(&codes));
    }
    content.push_str("ET\nQ\n");

    let embedded = subset.embed(alloc)?;
    let normal = alloc.alloc();
    let form = Dict::new()
        .set("Type", Obj::name("XObject"))
        .set("Subtype", Obj::name("Form"))
        .set("BBox", Obj::reals(&[0.0, 0.0, w, h]))
        .set("Matrix", Obj::reals(&page.form_matrix(w, h)))
        .set(
            "Resources",
            Dict::new().set("Font", Dict::new().set(FONT_KEY, embedded.font)),
        )
        .set("Filter", Obj::name("FlateDecode"));
    let mut objects = embedded.objects;
    objects.push(PendingObject::Stream(
        normal,
        form,
        deflate(content.as_bytes()),
    ));
    Ok(Appearance {
        rect: page.top_right(w, h),
        normal,
        objects,
    })
}

/// The page as the viewer shows it: the box's size after the rotation.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PageView {
    /// llx, lly, urx, ury in default user space, normalised so ll < ur.
    bounds: [f64; 4],
    /// Clockwise quarter turns, 0–3.
    turns: u8,
    /// Visible width and height.
    width: f64,
    height: f64,
}

impl PageView {
    fn new(page_box: [f64; 4], rotate: i32) -> Result<PageView, AppearanceError> {
        let [a, b, c, d] = page_box;
        let bounds = [a.min(c), b.min(d), a.max(c), b.max(d)];
        let (w, h) = (bounds[2] - bounds[0], bounds[3] - bounds[1]);
        if !page_box.iter().all(|v| v.is_finite()) || w <= 0.0 || h <= 0.0 {
            return Err(AppearanceError::InvalidPageBox { page_box });
        }
        if rotate % 90 != 0 {
            return Err(AppearanceError::InvalidRotate { rotate });
        }
        // rem_euclid of a multiple of 90 by 360 is 0, 90, 180 or 270.
        let turns = (rotate.rem_euclid(360) / 90) as u8;
        let (width, height) = if turns.is_multiple_of(2) {
            (w, h)
        } else {
            (h, w)
        };
        Ok(PageView {
            bounds,
            turns,
            width,
            height,
        })
    }

    /// A point of the visible page (u right, v up from its lower-left corner) in default
    /// user space. Turning the page clockwise by 90° shows its left edge at the top.
    fn user_point(self, u: f64, v: f64) -> (f64, f64) {
        let [x0, y0, x1, y1] = self.bounds;
        match self.turns {
            0 => (x0 + u, y0 + v),
            1 => (x1 - v, y0 + u),
            2 => (x1 - u, y1 - v),
            _ => (x0 + v, y1 - u),
        }
    }

    /// The /Rect of a `w` × `h` stamp [`MARGIN`] from the visible top and right edges.
    fn top_right(&self, w: f64, h: f64) -> [f64; 4] {
        let (u1, v1) = (self.width - MARGIN, self.height - MARGIN);
        let (ax, ay) = self.user_point(u1 - w, v1 - h);
        let (bx, by) = self.user_point(u1, v1);
        [ax.min(bx), ay.min(by), ax.max(bx), ay.max(by)]
    }

    /// The form /Matrix: turns the upright `w` × `h` content counter-clockwise by the
    /// page's rotation, so the viewer's clockwise turn shows it upright, and moves the
    /// turned box back to the first quadrant.
    fn form_matrix(&self, w: f64, h: f64) -> [f64; 6] {
        match self.turns {
            0 => [1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            1 => [0.0, 1.0, -1.0, 0.0, h, 0.0],
            2 => [-1.0, 0.0, 0.0, -1.0, w, h],
            _ => [0.0, -1.0, 1.0, 0.0, 0.0, w],
        }
    }
}

/// The stamp's wrapped lines and its size, in points.
#[derive(Debug, Clone, PartialEq)]
struct Layout {
    lines: Vec<String>,
    width: f64,
    height: f64,
    /// Height of the first baseline above the bottom of the box.
    first_baseline: f64,
}

impl Layout {
    /// Wraps each line to `max_text_width` (at spaces, or inside a word longer than the
    /// width) and sizes the box around the text: the font's ascent above the first
    /// baseline and its descent below the last, plus [`PADDING`].
    fn new(
        font: &TrueTypeFont<'_>,
        lines: &[String],
        max_text_width: f64,
    ) -> Result<Layout, AppearanceError> {
        let mut wrapped = Vec::new();
        for line in lines {
            wrapped.extend(wrap(font, line, max_text_width)?);
        }
        let mut text_width: f64 = 0.0;
        for line in &wrapped {
            text_width = text_width.max(font.text_width(line, FONT_SIZE)?);
        }
        let metrics = font.metrics();
        let ascent = metrics.ascent * FONT_SIZE / 1000.0;
        let descent = -metrics.descent * FONT_SIZE / 1000.0;
        let lines_height = (wrapped.len().max(1) - 1) as f64 * LEADING;
        Ok(Layout {
            width: text_width + 2.0 * PADDING,
            height: 2.0 * PADDING + ascent + descent + lines_height,
            first_baseline: PADDING + descent + lines_height,
            lines: wrapped,
        })
    }
}

/// Greedy wrapping: as many words per line as fit; a word wider than the line alone is cut
/// between characters. Always at least one character per line.
fn wrap(font: &TrueTypeFont<'_>, line: &str, max_width: f64) -> Result<Vec<String>, FontError> {
    let fits =
        |s: &str| -> Result<bool, FontError> { Ok(font.text_width(s, FONT_SIZE)? <= max_width) };
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        let joined = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if fits(&joined)? {
            current = joined;
            continue;
        }
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        for c in word.chars() {
            current.push(c);
            if !fits(&current)? && current.chars().count() > 1 {
                current.pop();
                out.push(std::mem::replace(&mut current, c.to_string()));
            }
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A4: [f64; 4] = [0.0, 0.0, 595.276, 841.89];
    const A4_LANDSCAPE: [f64; 4] = [0.0, 0.0, 841.89, 595.276];

    fn liberation_serif() -> Vec<u8> {
        std::fs::read("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
            .expect("fonts-liberation2 is installed")
    }

    fn text() -> StampText {
        StampText {
            signer: "Phạm Minh Đức".to_owned(),
            organization: Some("Ủy ban nhân dân tỉnh Hưng Yên".to_owned()),
            signed_at: "2026-11-22T14:05:09+07:00".to_owned(),
        }
    }

    fn inflate(data: &[u8]) -> Vec<u8> {
        use std::io::Read as _;
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(data)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// The form XObject's dictionary and decoded content.
    fn form(appearance: &Appearance) -> (Dict, String) {
        appearance
            .objects
            .iter()
            .find_map(|o| match o {
                PendingObject::Stream(id, dict, data) if *id == appearance.normal => {
                    Some((dict.clone(), String::from_utf8(inflate(data)).unwrap()))
                }
                _ => None,
            })
            .expect("the form XObject is among the objects")
    }

    fn numbers(obj: Option<&Obj>) -> Vec<f64> {
        let Some(Obj::Array(items)) = obj else {
            panic!("not an array: {obj:?}")
        };
        items
            .iter()
            .map(|o| match o {
                Obj::Real(r) => *r,
                Obj::Int(i) => *i as f64,
                other => panic!("not a number: {other:?}"),
            })
            .collect()
    }

    fn inside(rect: [f64; 4], page: [f64; 4]) -> bool {
        rect[0] >= page[0] + MARGIN - 1e-6
            && rect[1] >= page[1] + MARGIN - 1e-6
            && rect[2] <= page[2] - MARGIN + 1e-6
            && rect[3] <= page[3] - MARGIN + 1e-6
            && rect[0] < rect[2]
            && rect[1] < rect[3]
    }

    /// The BBox corners through the Matrix: the box the appearance fills in user space,
    /// relative to the rect's lower-left corner.
    fn transformed_bbox(dict: &Dict) -> [f64; 4] {
        let b = numbers(dict.get("BBox"));
        let m = numbers(dict.get("Matrix"));
        let corners = [(b[0], b[1]), (b[2], b[1]), (b[0], b[3]), (b[2], b[3])]
            .map(|(x, y)| (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]));
        let xs = corners.map(|c| c.0);
        let ys = corners.map(|c| c.1);
        let min = |v: [f64; 4]| v.into_iter().fold(f64::INFINITY, f64::min);
        let max = |v: [f64; 4]| v.into_iter().fold(f64::NEG_INFINITY, f64::max);
        [min(xs), min(ys), max(xs), max(ys)]
    }

    #[test]
    fn stamp_lines_are_vietnamese_and_skip_a_missing_organisation() {
        let mut t = text();
        assert_eq!(
            t.lines(),
            [
                "Ký bởi: Phạm Minh Đức",
                "Cơ quan: Ủy ban nhân dân tỉnh Hưng Yên",
                "Thời gian ký: 2026-11-22T14:05:09+07:00"
            ]
        );
        t.organization = Some("  ".to_owned());
        assert_eq!(t.lines().len(), 2);
        t.organization = None;
        assert_eq!(t.lines()[1], "Thời gian ký: 2026-11-22T14:05:09+07:00");
    }

    #[test]
    fn signing_time_is_shown_in_vietnam_time() {
        let utc = time::macros::datetime!(2026-11-22 07:05:09 UTC);
        assert_eq!(signing_time_text(utc), "2026-11-22T14:05:09+07:00");
        let paris = time::macros::datetime!(2026-11-22 23:30:00 +01:00);
        assert_eq!(signing_time_text(paris), "2026-11-23T05:30:00+07:00");
    }

    #[test]
    fn a4_portrait_stamp_is_top_right_inside_the_margins() {
        let font = liberation_serif();
        let mut alloc = RefAllocator::starting_at(17);
        let a = stamp(&text(), &font, A4, 0, &mut alloc).unwrap();
        assert!(inside(a.rect, A4), "{:?}", a.rect);
        assert!((a.rect[2] - (A4[2] - MARGIN)).abs() < 1e-9);
        assert!((a.rect[3] - (A4[3] - MARGIN)).abs() < 1e-9);
        // Three lines: padding, ascent + descent of Liberation Serif at 10 pt (1825 + 443
        // units of 2048), and two leadings; narrower than half the page.
        let (w, h) = (a.rect[2] - a.rect[0], a.rect[3] - a.rect[1]);
        assert!(
            (h - (2.0 * PADDING + 2268.0 / 204.8 + 2.0 * LEADING)).abs() < 1e-9,
            "{h}"
        );
        assert!(w > 150.0 && w < A4[2] / 2.0, "{w}");
        // Objects continue from the allocator: 6 font objects, then the form.
        assert_eq!(a.objects.len(), 7);
        assert_eq!(a.normal.number(), 23);
        assert_eq!(alloc.size(), 24);
        let (dict, _) = form(&a);
        let bbox = transformed_bbox(&dict);
        assert!(
            bbox.iter()
                .zip([0.0, 0.0, w, h])
                .all(|(a, b)| (a - b).abs() < 1e-9)
        );
    }

    #[test]
    fn a4_landscape_stamp_is_top_right_inside_the_margins() {
        let a = stamp(
            &text(),
            &liberation_serif(),
            A4_LANDSCAPE,
            0,
            &mut Default::default(),
        )
        .unwrap();
        assert!(inside(a.rect, A4_LANDSCAPE), "{:?}", a.rect);
        assert!((a.rect[2] - (A4_LANDSCAPE[2] - MARGIN)).abs() < 1e-9);
        assert!((a.rect[3] - (A4_LANDSCAPE[3] - MARGIN)).abs() < 1e-9);
    }

    #[test]
    fn rotated_pages_get_the_stamp_at_the_shown_top_right_and_upright() {
        let font = liberation_serif();
        let upright = stamp(&text(), &font, A4, 0, &mut Default::default()).unwrap();
        let (w, h) = (
            upright.rect[2] - upright.rect[0],
            upright.rect[3] - upright.rect[1],
        );
        // A CropBox away from the origin, to catch a forgotten offset.
        let page = [10.0, 20.0, 605.276, 861.89];
        for (rotate, corner) in [(90, (0, 3)), (180, (0, 1)), (270, (2, 1)), (-90, (2, 1))] {
            let a = stamp(&text(), &font, page, rotate, &mut Default::default()).unwrap();
            assert!(inside(a.rect, page), "{rotate}: {:?}", a.rect);
            // The shown top-right corner is this corner of the page box: /Rotate 90 shows
            // the left edge on top, so the stamp hugs the box's top-left corner.
            let (cx, cy) = corner;
            let want_x = if cx == 0 {
                page[0] + MARGIN
            } else {
                page[2] - MARGIN
            };
            let want_y = if cy == 1 {
                page[1] + MARGIN
            } else {
                page[3] - MARGIN
            };
            assert!((a.rect[cx] - want_x).abs() < 1e-9, "{rotate}: {:?}", a.rect);
            assert!((a.rect[cy] - want_y).abs() < 1e-9, "{rotate}: {:?}", a.rect);
            let (rw, rh) = (a.rect[2] - a.rect[0], a.rect[3] - a.rect[1]);
            let (dict, _) = form(&a);
            let bbox = transformed_bbox(&dict);
            assert!(
                bbox.iter()
                    .zip([0.0, 0.0, rw, rh])
                    .all(|(a, b)| (a - b).abs() < 1e-9)
            );
            if rotate % 180 == 0 {
                assert!((rw - w).abs() < 1e-9 && (rh - h).abs() < 1e-9);
            } else {
                assert!((rw - h).abs() < 1e-9 && (rh - w).abs() < 1e-9);
            }
        }
        // /Rotate 90 turns the page clockwise, so the text must turn counter-clockwise:
        // the text's x axis (1, 0) becomes (0, 1).
        let a = stamp(&text(), &font, page, 90, &mut Default::default()).unwrap();
        let m = numbers(form(&a).0.get("Matrix"));
        assert_eq!(&m[..4], &[0.0, 1.0, -1.0, 0.0]);
    }

    #[test]
    fn long_lines_wrap_and_stay_inside_the_page() {
        let mut t = text();
        t.organization = Some(
            "Văn phòng Đăng ký đất đai thuộc Sở Nông nghiệp và Môi trường tỉnh Hưng Yên, \
             Chi nhánh khu vực Khoái Châu – Kim Động"
                .to_owned(),
        );
        t.signer =
            "Nguyễn-Hoàng-Phương-Thảo-Nguyễn-Hoàng-Phương-Thảo-Nguyễn-Hoàng-Phương".to_owned();
        let a = stamp(&t, &liberation_serif(), A4, 0, &mut Default::default()).unwrap();
        assert!(inside(a.rect, A4), "{:?}", a.rect);
        let width = a.rect[2] - a.rect[0];
        assert!(width <= A4[2] / 2.0 + 1e-9, "{width}");
        let (_, content) = form(&a);
        let shown = content.matches(" Tj").count();
        assert!(shown >= 5, "{content}");
        assert_eq!(content.matches("T*").count(), shown - 1);
        // A narrow page still gets the stamp, within the margins.
        let a6 = [0.0, 0.0, 297.64, 419.53];
        let a = stamp(&t, &liberation_serif(), a6, 0, &mut Default::default()).unwrap();
        assert!(inside(a.rect, a6), "{:?}", a.rect);
    }

    #[test]
    fn wrapping_prefers_spaces_and_cuts_only_overlong_words() {
        let data = liberation_serif();
        let font = TrueTypeFont::parse(&data).unwrap();
        let lines = wrap(
            &font,
            "Ủy ban nhân dân",
            font.text_width("Ủy ban nhân", 10.0).unwrap(),
        )
        .unwrap();
        assert_eq!(lines, ["Ủy ban nhân", "dân"]);
        let lines = wrap(&font, "ĐĐĐĐ", font.text_width("ĐĐ", 10.0).unwrap()).unwrap();
        assert_eq!(lines, ["ĐĐ", "ĐĐ"]);
        // Narrower than one letter: one letter per line, never an empty line.
        assert_eq!(wrap(&font, "ab", 1.0).unwrap(), ["a", "b"]);
    }

    #[test]
    fn content_is_black_text_with_two_byte_codes_and_the_font_in_resources() {
        let a = stamp(&text(), &liberation_serif(), A4, 0, &mut Default::default()).unwrap();
        let (dict, content) = form(&a);
        assert_eq!(dict.get("Subtype"), Some(&Obj::name("Form")));
        let Some(Obj::Dict(resources)) = dict.get("Resources") else {
            panic!()
        };
        let Some(Obj::Dict(fonts)) = resources.get("Font") else {
            panic!()
        };
        let Some(Obj::Ref(font)) = fonts.get("F1") else {
            panic!()
        };
        assert!(a.objects.iter().any(|o| matches!(
            o, PendingObject::Object(id, Obj::Dict(d))
                if id == font && d.get("Subtype") == Some(&Obj::name("Type0"))
        )));
        assert!(
            content.contains("\n0 g\n") && content.contains("\n0 G\n"),
            "{content}"
        );
        assert!(content.contains("/F1 10 Tf"), "{content}");
        assert!(
            !content.contains(" gs") && !content.contains(" rg"),
            "{content}"
        );
        // "Ký bởi: Phạm Minh Đức" has 21 characters: 84 hex digits.
        let first = content.lines().find(|l| l.ends_with(" Tj")).unwrap();
        assert_eq!(first.len(), 1 + 84 + 1 + 3, "{first}");
    }

    #[test]
    fn bad_inputs_are_refused() {
        let font = liberation_serif();
        let mut alloc = RefAllocator::default();
        let mut t = text();
        assert!(matches!(
            stamp(&t, &font, A4, 45, &mut alloc),
            Err(AppearanceError::InvalidRotate { rotate: 45 })
        ));
        assert!(matches!(
            stamp(&t, &font, [0.0, 0.0, 0.0, 100.0], 0, &mut alloc),
            Err(AppearanceError::InvalidPageBox { .. })
        ));
        assert!(matches!(
            stamp(&t, &font, [0.0, 0.0, 100.0, 100.0], 0, &mut alloc),
            Err(AppearanceError::PageTooSmall { .. })
        ));
        t.signer = "Иван 王".to_owned();
        let err = stamp(&t, &font, A4, 0, &mut alloc).unwrap_err();
        assert!(
            matches!(
                err,
                AppearanceError::Font(FontError::MissingGlyph { character: '王' })
            ),
            "{err:?}"
        );
        t.signer = " ".to_owned();
        assert!(matches!(
            stamp(&t, &font, A4, 0, &mut alloc),
            Err(AppearanceError::EmptySigner)
        ));
    }
}
