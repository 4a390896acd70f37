//! TrueType fonts for visible text: metrics and cmap lookup, subsetting, and embedding as a
//! Type 0 font (Identity-H) over a CIDFontType2 with /FontFile2 and ToUnicode; where the text
//! goes on the page is left to the caller (e.g. `sign::appearance`).
//!
//! CIDs are our own: each distinct character shown gets the next CID, 1, 2, 3… in order of
//! first use, and a /CIDToGIDMap stream maps it to the glyph's id in the subset (ISO 32000-1
//! §9.7.4.2, Table 117). We chose that over CID = subset glyph id with /CIDToGIDMap
//! /Identity because two characters may share one glyph (U+0020 and U+00A0 do in most
//! fonts): with a CID per glyph the ToUnicode CMap could give back only one of them, with a
//! CID per character every character extracts as itself (ISO 32000-1 §9.10.2).
//!
//! Rules kept for PDF/A-2 (ISO 19005-2): the font program is embedded (§6.2.11.4.1); /W is
//! computed from the `hmtx` of the embedded subset itself, so the widths agree (§6.2.11.5);
//! `.notdef` (glyph 0) is never shown (§6.2.11.8): a character without a glyph is an error;
//! every CID has a ToUnicode entry (§6.2.11.7.2, needed for 2u). /CIDSet is optional in
//! PDF/A-2 and not written.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::object::{Dict, Obj, ObjRef, PendingObject, RefAllocator, deflate};

/// Glyph space units per em in PDF (ISO 32000-1 §9.2.4): widths are in 1/1000 em.
const PDF_UNITS: f64 = 1000.0;

/// Why a font cannot be used or embedded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FontError {
    #[error("the font file cannot be read as OpenType/TrueType: {0}")]
    Parse(#[from] ttf_parser::FaceParsingError),
    #[error(
        "the font has no TrueType outlines (`glyf` table); use a .ttf font, not a CFF-based \
         .otf"
    )]
    NotTrueType,
    #[error("the font's licence (OS/2 fsType {fs_type:#06x}) does not allow embedding it")]
    EmbeddingNotAllowed { fs_type: u16 },
    #[error(
        "the font has no glyph for '{character}' (U+{:04X}); choose a font that covers \
         Vietnamese", u32::from(*character)
    )]
    MissingGlyph { character: char },
    #[error("control character U+{:04X} cannot be shown as text", u32::from(*character))]
    ControlCharacter { character: char },
    #[error("more than 65535 distinct characters in one font")]
    TooManyCharacters,
    #[error("the font could not be subset: {0}")]
    Subset(#[from] subsetter::Error),
    #[error("the subset font has no advance width for glyph {glyph}")]
    SubsetWidth { glyph: u16 },
}

/// Font-wide metrics for the /FontDescriptor (ISO 32000-1 §9.8.1, Table 122), in 1/1000 em.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FontMetrics {
    pub ascent: f64,
    /// Negative: below the baseline.
    pub descent: f64,
    pub cap_height: f64,
    /// llx, lly, urx, ury of the union of all glyphs (`head` table).
    pub bbox: [f64; 4],
    /// Degrees counter-clockwise from vertical (`post` table).
    pub italic_angle: f64,
    /// The /Flags bits (ISO 32000-1 §9.8.2, Table 123).
    pub flags: u32,
    /// Dominant vertical stem width; TrueType fonts do not record it, so it is estimated
    /// from the weight class.
    pub stem_v: f64,
}

/// /Flags bits (ISO 32000-1 §9.8.2, Table 123).
const FLAG_FIXED_PITCH: u32 = 1;
const FLAG_SERIF: u32 = 1 << 1;
/// Symbolic: the glyphs are addressed by CID, not by the standard Latin character set.
const FLAG_SYMBOLIC: u32 = 1 << 2;
const FLAG_ITALIC: u32 = 1 << 6;

/// A parsed TrueType font (the first face of a collection).
pub struct TrueTypeFont<'a> {
    data: &'a [u8],
    face: ttf_parser::Face<'a>,
    postscript_name: String,
}

impl std::fmt::Debug for TrueTypeFont<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrueTypeFont")
            .field("postscript_name", &self.postscript_name)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl<'a> TrueTypeFont<'a> {
    /// Parses `data` and checks that it has TrueType outlines and that its licence allows
    /// embedding (OpenType OS/2 fsType: bit 1 "restricted", bit 8 "no subsetting", bit 9
    /// "bitmap only" all forbid what we do).
    pub fn parse(data: &'a [u8]) -> Result<TrueTypeFont<'a>, FontError> {
        let face = ttf_parser::Face::parse(data, 0)?;
        if face.tables().glyf.is_none() {
            return Err(FontError::NotTrueType);
        }
        if let Some(os2) = face.raw_face().table(ttf_parser::Tag::from_bytes(b"OS/2")) {
            let fs_type = read_u16(os2, 8).unwrap_or(0);
            if fs_type & 0x000F == 0x0002 || fs_type & 0x0300 != 0 {
                return Err(FontError::EmbeddingNotAllowed { fs_type });
            }
        }
        let postscript_name = postscript_name(&face);
        Ok(TrueTypeFont {
            data,
            face,
            postscript_name,
        })
    }

    /// The PostScript name (`name` ID 6) reduced to characters allowed in a PDF name
    /// without escapes, e.g. "LiberationSerif".
    pub fn postscript_name(&self) -> &str {
        &self.postscript_name
    }

    /// The glyph id that the font's cmap gives `c`; never `.notdef`.
    pub fn glyph(&self, c: char) -> Result<u16, FontError> {
        if c.is_control() {
            return Err(FontError::ControlCharacter { character: c });
        }
        match self.face.glyph_index(c) {
            Some(glyph) if glyph.0 != 0 => Ok(glyph.0),
            _ => Err(FontError::MissingGlyph { character: c }),
        }
    }

    /// The advance width of `glyph` in 1/1000 em (0 for a glyph the font does not have).
    pub fn advance(&self, glyph: u16) -> f64 {
        let units = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(glyph))
            .unwrap_or(0);
        self.to_pdf_units(f64::from(units))
    }

    /// The width of `text` set at `size` points, without kerning (a Tj string is shown
    /// glyph after glyph with the /W advances, ISO 32000-1 §9.4.4).
    pub fn text_width(&self, text: &str, size: f64) -> Result<f64, FontError> {
        let mut width = 0.0;
        for c in text.chars() {
            width += self.advance(self.glyph(c)?);
        }
        Ok(width * size / PDF_UNITS)
    }

    pub fn metrics(&self) -> FontMetrics {
        let face = &self.face;
        let scale = |v: i16| self.to_pdf_units(f64::from(v));
        let bbox = face.global_bounding_box();
        let os2 = face.raw_face().table(ttf_parser::Tag::from_bytes(b"OS/2"));
        // sFamilyClass high byte 1–5 and 7 are the serif classes (OpenType OS/2 spec,
        // "IBM Font Class Parameters"); 8 is sans serif.
        let family_class = os2.and_then(|t| read_u16(t, 30)).unwrap_or(0) >> 8;
        let mut flags = FLAG_SYMBOLIC;
        if matches!(family_class, 1..=5 | 7) {
            flags |= FLAG_SERIF;
        }
        if face.is_monospaced() {
            flags |= FLAG_FIXED_PITCH;
        }
        if face.is_italic() || face.italic_angle() != 0.0 {
            flags |= FLAG_ITALIC;
        }
        let ascent = scale(face.ascender());
        let weight = f64::from(face.weight().to_number());
        FontMetrics {
            ascent,
            descent: scale(face.descender()),
            cap_height: face.capital_height().map_or(ascent, scale),
            bbox: [
                scale(bbox.x_min),
                scale(bbox.y_min),
                scale(bbox.x_max),
                scale(bbox.y_max),
            ],
            italic_angle: f64::from(face.italic_angle()),
            flags,
            // A linear estimate from weight class (400 → about 95, 700 → about 170), the
            // usual guess for fonts without PostScript hints.
            stem_v: (10.0 + 0.244 * (weight - 50.0)).round(),
        }
    }

    fn to_pdf_units(&self, units: f64) -> f64 {
        units * PDF_UNITS / f64::from(self.face.units_per_em())
    }
}

fn read_u16(table: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*table.get(at)?, *table.get(at + 1)?]))
}

/// `name` ID 6 (or the full name, or "Font"), keeping only `!`..`~` minus PDF delimiters.
fn postscript_name(face: &ttf_parser::Face<'_>) -> String {
    let find = |id: u16| {
        face.names()
            .into_iter()
            .filter(|n| n.name_id == id)
            .find_map(|n| n.to_string())
    };
    let raw = find(ttf_parser::name_id::POST_SCRIPT_NAME)
        .or_else(|| find(ttf_parser::name_id::FULL_NAME))
        .unwrap_or_default();
    let name: String = raw
        .chars()
        .filter(|c| c.is_ascii_graphic() && !"()<>[]{}/%#".contains(*c))
        .take(63 - 7)
        .collect();
    if name.is_empty() {
        "Font".to_owned()
    } else {
        name
    }
}

/// The characters shown with one font, collected while encoding text, and the embedding of
/// exactly the glyphs they need.
#[derive(Debug)]
pub struct FontSubset<'f, 'a> {
    font: &'f TrueTypeFont<'a>,
    /// Each character shown, its CID and its glyph id in the full font.
    by_char: BTreeMap<char, (u16, u16)>,
}

/// A Type 0 font ready to be written: the reference for /Resources /Font and its objects.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedFont {
    pub font: ObjRef,
    /// e.g. "KJQWRT+LiberationSerif".
    pub base_font: String,
    pub objects: Vec<PendingObject>,
}

impl<'f, 'a> FontSubset<'f, 'a> {
    pub fn new(font: &'f TrueTypeFont<'a>) -> FontSubset<'f, 'a> {
        FontSubset {
            font,
            by_char: BTreeMap::new(),
        }
    }

    /// The 2-byte Identity-H codes (CIDs, big-endian) that show `text`, recording its
    /// characters for the subset. Fails on the first character the font cannot show.
    pub fn encode(&mut self, text: &str) -> Result<Vec<u8>, FontError> {
        let mut codes = Vec::with_capacity(2 * text.len());
        for c in text.chars() {
            let cid = match self.by_char.get(&c) {
                Some(&(cid, _)) => cid,
                None => {
                    let glyph = self.font.glyph(c)?;
                    let cid = u16::try_from(self.by_char.len() + 1)
                        .map_err(|_| FontError::TooManyCharacters)?;
                    self.by_char.insert(c, (cid, glyph));
                    cid
                }
            };
            codes.extend_from_slice(&cid.to_be_bytes());
        }
        Ok(codes)
    }

    /// The glyph ids of the full font used so far, ascending.
    pub fn glyphs(&self) -> BTreeSet<u16> {
        self.by_char.values().map(|&(_, glyph)| glyph).collect()
    }

    /// Subsets the font to the glyphs used and builds the Type 0 font, its CIDFontType2,
    /// descriptor, font file, /CIDToGIDMap and ToUnicode CMap (ISO 32000-1 §9.7.6, §9.9,
    /// §9.10.3).
    pub fn embed(&self, alloc: &mut RefAllocator) -> Result<EmbeddedFont, FontError> {
        let glyphs: Vec<u16> = self.glyphs().into_iter().collect();
        // Sorted, so the new ids keep the old order: 0 (.notdef) then 1, 2, … The remapper
        // adds composite glyphs' components after these; they need no CID.
        let remapper = subsetter::GlyphRemapper::new_from_glyphs_sorted(&glyphs);
        let program = subsetter::subset(self.font.data, 0, &remapper)?;
        let subset = ttf_parser::Face::parse(&program, 0)?;
        let units_per_em = f64::from(subset.units_per_em());

        let mut cids: Vec<(u16, char, u16)> = self
            .by_char
            .iter()
            .map(|(&c, &(cid, old))| (cid, c, remapper.get(old).unwrap_or(0)))
            .collect();
        cids.sort_unstable();
        let mut widths = Vec::with_capacity(cids.len());
        for &(_, _, new) in &cids {
            let advance = subset
                .glyph_hor_advance(ttf_parser::GlyphId(new))
                .ok_or(FontError::SubsetWidth { glyph: new })?;
            widths.push(f64::from(advance) * PDF_UNITS / units_per_em);
        }

        let base_font = format!(
            "{}+{}",
            subset_tag(self.font.data, &glyphs),
            self.font.postscript_name
        );
        let metrics = self.font.metrics();

        let type0 = alloc.alloc();
        let cidfont = alloc.alloc();
        let descriptor = alloc.alloc();
        let file = alloc.alloc();
        let cid_to_gid = alloc.alloc();
        let to_unicode = alloc.alloc();

        let mut objects = Vec::with_capacity(6);
        objects.push(PendingObject::Object(
            type0,
            Dict::new()
                .set("Type", Obj::name("Font"))
                .set("Subtype", Obj::name("Type0"))
                .set("BaseFont", Obj::name(&base_font))
                .set("Encoding", Obj::name("Identity-H"))
                .set("DescendantFonts", Obj::Array(vec![cidfont.into()]))
                .set("ToUnicode", to_unicode)
                .into(),
        ));
        // The CIDs are 1..=n without gaps, so one /W run lists them all (ISO 32000-1
        // §9.7.4.3).
        let w = Obj::Array(vec![
            Obj::Int(1),
            Obj::Array(widths.iter().map(|&w| Obj::Real(w)).collect()),
        ]);
        objects.push(PendingObject::Object(
            cidfont,
            Dict::new()
                .set("Type", Obj::name("Font"))
                .set("Subtype", Obj::name("CIDFontType2"))
                .set("BaseFont", Obj::name(&base_font))
                .set(
                    "CIDSystemInfo",
                    Dict::new()
                        .set("Registry", Obj::text("Adobe"))
                        .set("Ordering", Obj::text("Identity"))
                        .set("Supplement", 0),
                )
                .set("FontDescriptor", descriptor)
                .set("W", w)
                .set("CIDToGIDMap", cid_to_gid)
                .into(),
        ));
        objects.push(PendingObject::Object(
            descriptor,
            Dict::new()
                .set("Type", Obj::name("FontDescriptor"))
                .set("FontName", Obj::name(&base_font))
                .set("Flags", metrics.flags)
                .set("FontBBox", Obj::reals(&metrics.bbox))
                .set("ItalicAngle", Obj::Real(metrics.italic_angle))
                .set("Ascent", Obj::Real(metrics.ascent))
                .set("Descent", Obj::Real(metrics.descent))
                .set("CapHeight", Obj::Real(metrics.cap_height))
                .set("StemV", Obj::Real(metrics.stem_v))
                .set("FontFile2", file)
                .into(),
        ));
        objects.push(PendingObject::Stream(
            file,
            Dict::new()
                .set("Filter", Obj::name("FlateDecode"))
                .set("Length1", program.len() as i64),
            deflate(&program),
        ));
        let mut map = vec![0u8; 2 * (cids.len() + 1)];
        for &(cid, _, new) in &cids {
            let at = 2 * usize::from(cid);
            map[at..at + 2].copy_from_slice(&new.to_be_bytes());
        }
        objects.push(PendingObject::Stream(
            cid_to_gid,
            Dict::new().set("Filter", Obj::name("FlateDecode")),
            deflate(&map),
        ));
        let pairs: Vec<(u16, char)> = cids.iter().map(|&(cid, c, _)| (cid, c)).collect();
        objects.push(PendingObject::Stream(
            to_unicode,
            Dict::new().set("Filter", Obj::name("FlateDecode")),
            deflate(to_unicode_cmap(&pairs).as_bytes()),
        ));
        Ok(EmbeddedFont {
            font: type0,
            base_font,
            objects,
        })
    }
}

/// The six-letter subset tag (ISO 32000-1 §9.6.4): from the SHA-256 of the font program and
/// the glyph ids kept, so the same font and glyphs always get the same tag and a different
/// subset almost surely a different one.
fn subset_tag(font: &[u8], glyphs: &[u16]) -> String {
    let mut hasher = openssl::sha::Sha256::new();
    hasher.update(&openssl::sha::sha256(font));
    for glyph in glyphs {
        hasher.update(&glyph.to_be_bytes());
    }
    let digest = hasher.finish();
    let mut n = u64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]));
    let mut tag = String::with_capacity(6);
    for _ in 0..6 {
        tag.push(char::from(b'A' + (n % 26) as u8));
        n /= 26;
    }
    tag
}

/// The ToUnicode CMap (ISO 32000-1 §9.10.3; Adobe TN 5099 §4.4 for the syntax): each CID to
/// the UTF-16BE of its character, a surrogate pair outside the BMP (§9.10.3 allows it).
fn to_unicode_cmap(pairs: &[(u16, char)]) -> String {
    let mut text = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    // At most 100 entries per block.
    for block in pairs.chunks(100) {
        let _ = writeln!(text, "{} beginbfchar", block.len());
        for (cid, c) in block {
            let mut units = [0u16; 2];
            let _ = write!(text, "<{cid:04X}> <");
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(text, "{unit:04X}");
            }
            text.push_str(">\n");
        }
        text.push_str("endbfchar\n");
    }
    text.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIBERATION_SERIF: &str =
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf";

    fn liberation_serif() -> Vec<u8> {
        std::fs::read(LIBERATION_SERIF).expect("fonts-liberation2 is installed")
    }

    fn inflate(data: &[u8]) -> Vec<u8> {
        use std::io::Read as _;
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(data)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// The parts of an embedded font the tests look at, found by following its references.
    struct Parts {
        cidfont: Dict,
        descriptor: Dict,
        program: Vec<u8>,
        cid_to_gid: Vec<u8>,
        to_unicode: String,
    }

    fn object(objects: &[PendingObject], r: &Obj) -> Dict {
        let Obj::Ref(r) = r else {
            panic!("not a reference: {r:?}")
        };
        objects
            .iter()
            .find_map(|o| match o {
                PendingObject::Object(id, Obj::Dict(d)) if id == r => Some(d.clone()),
                _ => None,
            })
            .unwrap()
    }

    fn stream(objects: &[PendingObject], r: &Obj) -> (Dict, Vec<u8>) {
        let Obj::Ref(r) = r else {
            panic!("not a reference: {r:?}")
        };
        objects
            .iter()
            .find_map(|o| match o {
                PendingObject::Stream(id, d, data) if id == r => Some((d.clone(), inflate(data))),
                _ => None,
            })
            .unwrap()
    }

    fn parts(embedded: &EmbeddedFont) -> Parts {
        let objects = &embedded.objects;
        let type0 = object(objects, &Obj::Ref(embedded.font));
        let Some(Obj::Array(descendants)) = type0.get("DescendantFonts") else {
            panic!("no /DescendantFonts")
        };
        let cidfont = object(objects, &descendants[0]);
        let descriptor = object(objects, cidfont.get("FontDescriptor").unwrap());
        let (file_dict, program) = stream(objects, descriptor.get("FontFile2").unwrap());
        assert_eq!(
            file_dict.get("Length1"),
            Some(&Obj::Int(program.len() as i64))
        );
        let (_, cid_to_gid) = stream(objects, cidfont.get("CIDToGIDMap").unwrap());
        let (_, cmap) = stream(objects, type0.get("ToUnicode").unwrap());
        Parts {
            cidfont,
            descriptor,
            program,
            cid_to_gid,
            to_unicode: String::from_utf8(cmap).unwrap(),
        }
    }

    /// CID → text, read back from the CMap's bfchar lines.
    fn read_to_unicode(cmap: &str) -> BTreeMap<u16, String> {
        let mut map = BTreeMap::new();
        for line in cmap.lines() {
            let Some((cid, text)) = line
                .strip_prefix('<')
                .and_then(|l| l.strip_suffix('>'))
                .and_then(|l| l.split_once("> <"))
            else {
                continue;
            };
            if cid.len() != 4 || cmap.contains(&format!("<{cid}> <{text}>\nendcodespacerange")) {
                continue;
            }
            let units: Vec<u16> = (0..text.len())
                .step_by(4)
                .map(|i| u16::from_str_radix(&text[i..i + 4], 16).unwrap())
                .collect();
            map.insert(
                u16::from_str_radix(cid, 16).unwrap(),
                String::from_utf16(&units).unwrap(),
            );
        }
        map
    }

    fn widths(cidfont: &Dict) -> Vec<f64> {
        let Some(Obj::Array(w)) = cidfont.get("W") else {
            panic!("no /W")
        };
        assert_eq!(w[0], Obj::Int(1));
        let Obj::Array(list) = &w[1] else {
            panic!("/W is not one run")
        };
        list.iter()
            .map(|o| match o {
                Obj::Real(r) => *r,
                other => panic!("width {other:?}"),
            })
            .collect()
    }

    #[test]
    fn vietnamese_letters_have_glyphs_and_times_widths() {
        let data = liberation_serif();
        let font = TrueTypeFont::parse(&data).unwrap();
        assert_eq!(font.postscript_name(), "LiberationSerif");
        // Liberation Serif has 2048 units per em; these are its hmtx advances scaled to
        // 1/1000 em (precomposed letters take their base letter's advance, as in Times).
        for (c, units) in [
            ('ễ', 909),
            ('Đ', 1479),
            ('ứ', 1110),
            ('ơ', 1083),
            ('ư', 1110),
            ('Ủ', 1479),
            ('e', 909),
            (' ', 512),
        ] {
            let glyph = font.glyph(c).unwrap();
            assert_ne!(glyph, 0, "{c}");
            assert_eq!(
                font.advance(glyph),
                f64::from(units) * 1000.0 / 2048.0,
                "{c}"
            );
        }
        assert_ne!(font.glyph('Đ').unwrap(), font.glyph('D').unwrap());
        let width = font.text_width("Đức", 10.0).unwrap();
        let sum: f64 = ['Đ', 'ứ', 'c']
            .iter()
            .map(|&c| font.advance(font.glyph(c).unwrap()))
            .sum();
        assert!((width - sum / 100.0).abs() < 1e-9);
        assert!(width > 15.0 && width < 20.0, "{width}");
    }

    #[test]
    fn descriptor_metrics_come_from_the_font() {
        let data = liberation_serif();
        let m = TrueTypeFont::parse(&data).unwrap().metrics();
        assert_eq!(m.ascent, 1825.0 * 1000.0 / 2048.0);
        assert_eq!(m.descent, -443.0 * 1000.0 / 2048.0);
        assert_eq!(m.cap_height, 1341.0 * 1000.0 / 2048.0);
        assert_eq!(m.italic_angle, 0.0);
        assert_eq!(m.flags, FLAG_SYMBOLIC | FLAG_SERIF);
        assert!(m.bbox[0] < 0.0 && m.bbox[1] < 0.0 && m.bbox[3] > m.ascent);
        assert!(m.stem_v > 50.0 && m.stem_v < 150.0);
    }

    #[test]
    fn missing_glyphs_and_control_characters_are_errors_naming_the_character() {
        let data = liberation_serif();
        let font = TrueTypeFont::parse(&data).unwrap();
        let mut subset = FontSubset::new(&font);
        let err = subset.encode("Ủy ban 中").unwrap_err();
        assert!(
            matches!(err, FontError::MissingGlyph { character: '中' }),
            "{err:?}"
        );
        assert!(err.to_string().contains("'中' (U+4E2D)"), "{err}");
        let err = subset.encode("a\nb").unwrap_err();
        assert!(
            matches!(err, FontError::ControlCharacter { character: '\n' }),
            "{err:?}"
        );
    }

    #[test]
    fn non_truetype_data_is_refused() {
        assert!(matches!(
            TrueTypeFont::parse(b"not a font"),
            Err(FontError::Parse(_))
        ));
    }

    #[test]
    fn subset_keeps_only_used_glyphs_with_the_same_widths() {
        let data = liberation_serif();
        let font = TrueTypeFont::parse(&data).unwrap();
        let mut subset = FontSubset::new(&font);
        // Eight distinct characters, none a composite glyph: the subset is exactly .notdef
        // plus their eight glyphs.
        let text = "Kyso ban";
        let codes = subset.encode(text).unwrap();
        assert_eq!(codes.len(), 2 * text.chars().count());
        let embedded = subset.embed(&mut RefAllocator::default()).unwrap();
        let parts = parts(&embedded);
        let face = ttf_parser::Face::parse(&parts.program, 0).unwrap();
        assert_eq!(face.number_of_glyphs(), 1 + 8);
        assert!(parts.program.len() < 20_000, "{}", parts.program.len());

        let widths = widths(&parts.cidfont);
        for (i, c) in text.chars().enumerate() {
            let cid = u16::try_from(i + 1).unwrap();
            assert_eq!(&codes[2 * i..2 * i + 2], &cid.to_be_bytes());
            let at = 2 * usize::from(cid);
            let new = u16::from_be_bytes([parts.cid_to_gid[at], parts.cid_to_gid[at + 1]]);
            assert_ne!(new, 0);
            let units = face.glyph_hor_advance(ttf_parser::GlyphId(new)).unwrap();
            let expected = font.advance(font.glyph(c).unwrap());
            assert_eq!(f64::from(units) * 1000.0 / 2048.0, expected, "{c}");
            assert_eq!(widths[i], expected, "{c}");
        }
        assert_eq!(widths.len(), 8);
    }

    #[test]
    fn vietnamese_subset_round_trips_through_to_unicode() {
        let data = liberation_serif();
        let font = TrueTypeFont::parse(&data).unwrap();
        let mut subset = FontSubset::new(&font);
        let lines = [
            "Ký bởi: Nguyễn Văn Đức",
            "Ủy ban nhân dân tỉnh Hưng Yên",
            "\u{00A0} ",
        ];
        let encoded: Vec<Vec<u8>> = lines.iter().map(|l| subset.encode(l).unwrap()).collect();
        let embedded = subset.embed(&mut RefAllocator::starting_at(40)).unwrap();
        assert_eq!(embedded.font.number(), 40);
        assert_eq!(embedded.objects.len(), 6);
        let parts = parts(&embedded);
        let to_unicode = read_to_unicode(&parts.to_unicode);
        for (line, codes) in lines.iter().zip(&encoded) {
            let back: String = codes
                .chunks(2)
                .map(|c| to_unicode[&u16::from_be_bytes([c[0], c[1]])].as_str())
                .collect();
            assert_eq!(&back, line);
        }
        // Every CID has exactly one entry; none is 0.
        let distinct: BTreeSet<char> = lines.iter().flat_map(|l| l.chars()).collect();
        assert_eq!(to_unicode.len(), distinct.len());
        assert!(!to_unicode.contains_key(&0));

        // The subset parses, holds the composite letters' components too, and every CID's
        // glyph has the full font's advance.
        let face = ttf_parser::Face::parse(&parts.program, 0).unwrap();
        assert!(usize::from(face.number_of_glyphs()) > distinct.len());
        assert!(usize::from(face.number_of_glyphs()) < distinct.len() + 20);
        let widths = widths(&parts.cidfont);
        for (&cid, text) in &to_unicode {
            let c = text.chars().next().unwrap();
            let at = 2 * usize::from(cid);
            let new = u16::from_be_bytes([parts.cid_to_gid[at], parts.cid_to_gid[at + 1]]);
            let units = face.glyph_hor_advance(ttf_parser::GlyphId(new)).unwrap();
            assert_eq!(
                f64::from(units) * 1000.0 / 2048.0,
                font.advance(font.glyph(c).unwrap())
            );
            assert_eq!(
                widths[usize::from(cid) - 1],
                font.advance(font.glyph(c).unwrap())
            );
        }
        // U+00A0 and U+0020 have their own CIDs.
        assert!(to_unicode.values().any(|t| t == "\u{00A0}"));
        assert!(to_unicode.values().any(|t| t == " "));
    }

    #[test]
    fn base_font_has_a_deterministic_six_letter_tag() {
        let data = liberation_serif();
        let font = TrueTypeFont::parse(&data).unwrap();
        let embed = |text: &str| {
            let mut subset = FontSubset::new(&font);
            subset.encode(text).unwrap();
            subset.embed(&mut RefAllocator::default()).unwrap()
        };
        let a = embed("Đức");
        let (tag, name) = a.base_font.split_once('+').unwrap();
        assert_eq!(name, "LiberationSerif");
        assert_eq!(tag.len(), 6);
        assert!(tag.bytes().all(|b| b.is_ascii_uppercase()), "{tag}");
        // Same glyph set in another order: same tag and the same bytes.
        assert_eq!(embed("Đức").base_font, a.base_font);
        assert_eq!(embed("ứĐc").base_font, a.base_font);
        assert_ne!(embed("Đức ").base_font, a.base_font);
        let descriptor = parts(&a).descriptor;
        assert_eq!(descriptor.get("FontName"), Some(&Obj::name(&a.base_font)));
        assert_eq!(descriptor.get("Flags"), Some(&Obj::Int(6)));
    }

    #[test]
    fn to_unicode_uses_surrogate_pairs_outside_the_bmp() {
        let cmap = to_unicode_cmap(&[(1, 'Đ'), (2, '\u{1F600}')]);
        assert!(cmap.contains("<0001> <0110>\n"), "{cmap}");
        assert!(cmap.contains("<0002> <D83DDE00>\n"), "{cmap}");
        assert!(cmap.contains("2 beginbfchar"));
    }
}
