//! The invisible-text font: a glyphless TrueType program generated in code, wrapped as a
//! Type 0 font (Identity-H, CIDFontType2) with a ToUnicode CMap; where text is placed is
//! left to `text.rs`.
//!
//! Each character gets one CID: its own code point when it is in the BMP, otherwise a free
//! code in the Private Use Area, so no character is ever lost (ISO 32000-1 §9.7.6.3 lets a
//! ToUnicode entry map one code to a UTF-16 surrogate pair). Every used CID maps through
//! /CIDToGIDMap to glyph 1, an empty glyph with the same advance as /DW, so the font is
//! never asked for `.notdef` (ISO 19005-2 §6.2.11.8) and the widths in the PDF agree with
//! the program's `hmtx` (ISO 19005-2 §6.2.11.5).

use std::collections::{BTreeMap, BTreeSet};

use super::PdfError;
use super::object::{Dict, FileWriter, Obj, ObjRef, RefAllocator, deflate};

/// Font units per em of the generated program (also the PDF glyph space of 1000).
const UNITS_PER_EM: u16 = 1000;
/// Advance of every glyph, in 1/1000 em: the /DW of the CIDFont and the `hmtx` advance.
pub const GLYPH_ADVANCE: u16 = 500;
/// Ascent and descent of the font, in 1/1000 em. `text.rs` puts the baseline at
/// [`DESCENT`] of the line height above the line's bottom, so that the selection box that
/// viewers draw from these metrics covers the line box exactly.
pub const ASCENT: i16 = 800;
pub const DESCENT: i16 = -200;
/// The PostScript name of the font; the program is complete, not a subset, so no prefix.
const FONT_NAME: &str = "KysoGlyphless";
/// 2026-01-01T00:00:00Z in seconds since 1904-01-01 (the `head` table's LONGDATETIME): a
/// fixed date, since the program must not depend on a clock.
const FONT_DATE: i64 = 2_082_844_800 + 1_767_225_600;
/// The glyph every used CID maps to.
const EMPTY_GLYPH: u16 = 1;
/// The Private Use Area codes handed out (from the top down) to characters outside the BMP.
const PUA: std::ops::RangeInclusive<u32> = 0xE000..=0xF8FF;

/// The CIDs of every character shown in the document.
#[derive(Debug, Clone, Default)]
pub struct CidMap {
    by_char: BTreeMap<char, u16>,
}

impl CidMap {
    /// Assigns a CID to every character of `texts` and to the space between words. Control
    /// characters are not shown (they have no place in a text layer) and get no CID.
    pub fn build<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<CidMap, PdfError> {
        let mut chars: BTreeSet<char> = BTreeSet::from([' ']);
        for text in texts {
            chars.extend(text.chars().filter(|c| !c.is_control()));
        }
        let mut by_char = BTreeMap::new();
        let mut outside = Vec::new();
        for &c in &chars {
            match u16::try_from(u32::from(c)) {
                Ok(code) if code != 0 => {
                    by_char.insert(c, code);
                }
                _ => outside.push(c),
            }
        }
        let mut free = PUA
            .rev()
            .filter(|code| char::from_u32(*code).is_none_or(|c| !chars.contains(&c)));
        for c in outside {
            let code = free.next().ok_or(PdfError::TooManyCharacters {
                outside_bmp: chars.iter().filter(|c| u32::from(**c) > 0xFFFF).count(),
            })?;
            // PUA codes are below 0x10000, so the conversion cannot fail.
            by_char.insert(c, u16::try_from(code).unwrap_or(0xF8FF));
        }
        Ok(CidMap { by_char })
    }

    pub fn cid(&self, c: char) -> Option<u16> {
        self.by_char.get(&c).copied()
    }

    /// The 2-byte Identity-H codes of `text`; characters without a CID are left out.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        text.chars()
            .filter_map(|c| self.cid(c))
            .flat_map(u16::to_be_bytes)
            .collect()
    }

    /// Number of characters `encode` keeps from `text`.
    pub fn shown_len(&self, text: &str) -> usize {
        text.chars().filter(|c| self.cid(*c).is_some()).count()
    }

    fn max_cid(&self) -> u16 {
        self.by_char.values().copied().max().unwrap_or(0)
    }
}

/// Writes the Type 0 font and its parts; returns the reference to put in /Resources /Font.
pub fn write_font(w: &mut FileWriter, refs: &mut RefAllocator, cids: &CidMap) -> ObjRef {
    let type0 = refs.alloc();
    let cidfont = refs.alloc();
    let descriptor = refs.alloc();
    let program = refs.alloc();
    let cid_to_gid = refs.alloc();
    let to_unicode = refs.alloc();

    let system_info = Dict::new()
        .set("Registry", Obj::text("Adobe"))
        .set("Ordering", Obj::text("Identity"))
        .set("Supplement", 0);
    w.object(
        type0,
        &Dict::new()
            .set("Type", Obj::name("Font"))
            .set("Subtype", Obj::name("Type0"))
            .set("BaseFont", Obj::name(FONT_NAME))
            .set("Encoding", Obj::name("Identity-H"))
            .set("DescendantFonts", Obj::Array(vec![cidfont.into()]))
            .set("ToUnicode", to_unicode)
            .into(),
    );
    w.object(
        cidfont,
        &Dict::new()
            .set("Type", Obj::name("Font"))
            .set("Subtype", Obj::name("CIDFontType2"))
            .set("BaseFont", Obj::name(FONT_NAME))
            .set("CIDSystemInfo", system_info)
            .set("FontDescriptor", descriptor)
            .set("DW", i64::from(GLYPH_ADVANCE))
            .set("CIDToGIDMap", cid_to_gid)
            .into(),
    );
    w.object(
        descriptor,
        &Dict::new()
            .set("Type", Obj::name("FontDescriptor"))
            .set("FontName", Obj::name(FONT_NAME))
            // Symbolic (bit 3): the glyphs are not the standard Latin set.
            .set("Flags", 4)
            .set(
                "FontBBox",
                Obj::Array(vec![
                    Obj::Int(0),
                    Obj::Int(i64::from(DESCENT)),
                    Obj::Int(i64::from(GLYPH_ADVANCE)),
                    Obj::Int(i64::from(ASCENT)),
                ]),
            )
            .set("ItalicAngle", 0)
            .set("Ascent", i64::from(ASCENT))
            .set("Descent", i64::from(DESCENT))
            .set("CapHeight", 700)
            .set("StemV", 80)
            .set("FontFile2", program)
            .into(),
    );
    let ttf = glyphless_truetype();
    w.stream(
        program,
        Dict::new()
            .set("Filter", Obj::name("FlateDecode"))
            .set("Length1", ttf.len() as i64),
        &deflate(&ttf),
    );
    w.stream(
        cid_to_gid,
        Dict::new().set("Filter", Obj::name("FlateDecode")),
        &deflate(&cid_to_gid_map(cids)),
    );
    w.stream(
        to_unicode,
        Dict::new().set("Filter", Obj::name("FlateDecode")),
        &deflate(to_unicode_cmap(cids).as_bytes()),
    );
    type0
}

/// /CIDToGIDMap (ISO 32000-1 §9.7.4.2, Table 117): two bytes per CID up to the largest used.
fn cid_to_gid_map(cids: &CidMap) -> Vec<u8> {
    let mut map = vec![0u8; 2 * (usize::from(cids.max_cid()) + 1)];
    for &cid in cids.by_char.values() {
        let at = 2 * usize::from(cid);
        map[at..at + 2].copy_from_slice(&EMPTY_GLYPH.to_be_bytes());
    }
    map
}

/// The ToUnicode CMap (ISO 32000-1 §9.10.3): each CID to the UTF-16BE of its character.
fn to_unicode_cmap(cids: &CidMap) -> String {
    let mut text = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let mut pairs: Vec<(u16, char)> = cids.by_char.iter().map(|(c, cid)| (*cid, *c)).collect();
    pairs.sort_unstable();
    // At most 100 entries per block (PostScript CMap convention, Adobe TN 5099 §4.4).
    for block in pairs.chunks(100) {
        text.push_str(&format!("{} beginbfchar\n", block.len()));
        for (cid, c) in block {
            let mut units = [0u16; 2];
            let utf16: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            text.push_str(&format!("<{cid:04X}> <{utf16}>\n"));
        }
        text.push_str("endbfchar\n");
    }
    text.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    text
}

/// A complete TrueType program with two empty glyphs (`.notdef` and the glyph every CID
/// shows), built from the tables the OpenType specification requires of TrueType outlines.
/// The bytes never change.
pub fn glyphless_truetype() -> Vec<u8> {
    let num_glyphs: u16 = 2;
    let mut tables: Vec<([u8; 4], Vec<u8>)> = vec![
        (*b"OS/2", os2_table()),
        (*b"cmap", cmap_table()),
        // Both glyphs are empty: zero-length entries in `loca`, so `glyf` holds no data.
        (*b"glyf", Vec::new()),
        (*b"head", head_table()),
        (*b"hhea", hhea_table()),
        (*b"hmtx", hmtx_table(num_glyphs)),
        (*b"loca", vec![0; 2 * (usize::from(num_glyphs) + 1)]),
        (*b"maxp", maxp_table(num_glyphs)),
        (*b"name", name_table()),
        (*b"post", post_table()),
    ];
    tables.sort_by_key(|t| t.0);

    let count = tables.len() as u16;
    let mut pow2 = 1u16;
    let mut selector = 0u16;
    while pow2 * 2 <= count {
        pow2 *= 2;
        selector += 1;
    }
    let mut font = Vec::new();
    font.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    for v in [count, pow2 * 16, selector, count * 16 - pow2 * 16] {
        font.extend_from_slice(&v.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = 0;
    for (tag, data) in &tables {
        if tag == b"head" {
            head_at = offset;
        }
        font.extend_from_slice(tag);
        font.extend_from_slice(&checksum(data).to_be_bytes());
        font.extend_from_slice(&(offset as u32).to_be_bytes());
        font.extend_from_slice(&(data.len() as u32).to_be_bytes());
        offset += data.len().div_ceil(4) * 4;
    }
    for (_, data) in &tables {
        font.extend_from_slice(data);
        font.resize(font.len().div_ceil(4) * 4, 0);
    }
    // head.checkSumAdjustment makes the whole font sum to 0xB1B0AFBA.
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&font));
    font[head_at + 8..head_at + 12].copy_from_slice(&adjustment.to_be_bytes());
    font
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// Big-endian field writer for font tables.
#[derive(Default)]
struct Table(Vec<u8>);

impl Table {
    fn u16(mut self, v: u16) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn i16(mut self, v: i16) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn bytes(mut self, v: &[u8]) -> Self {
        self.0.extend_from_slice(v);
        self
    }
}

fn head_table() -> Vec<u8> {
    Table::default()
        .u32(0x0001_0000) // version
        .u32(0x0001_0000) // fontRevision
        .u32(0) // checkSumAdjustment, filled in last
        .u32(0x5F0F_3CF5) // magicNumber
        .u16(0x000B) // flags: baseline y=0, lsb x=0, integer ppem
        .u16(UNITS_PER_EM)
        .bytes(&FONT_DATE.to_be_bytes()) // created: fixed, so the bytes never change
        .bytes(&FONT_DATE.to_be_bytes()) // modified
        .i16(0) // xMin
        .i16(0) // yMin
        .i16(0) // xMax
        .i16(0) // yMax
        .u16(0) // macStyle
        .u16(3) // lowestRecPPEM
        .i16(2) // fontDirectionHint
        .i16(0) // indexToLocFormat: short offsets
        .i16(0) // glyphDataFormat
        .0
}

fn hhea_table() -> Vec<u8> {
    Table::default()
        .u32(0x0001_0000)
        .i16(ASCENT)
        .i16(DESCENT)
        .i16(0) // lineGap
        .u16(GLYPH_ADVANCE) // advanceWidthMax
        .i16(0) // minLeftSideBearing
        .i16(0) // minRightSideBearing
        .i16(0) // xMaxExtent
        .i16(1) // caretSlopeRise
        .i16(0) // caretSlopeRun
        .i16(0) // caretOffset
        .bytes(&[0; 8]) // reserved
        .i16(0) // metricDataFormat
        .u16(1) // numberOfHMetrics: one advance shared by all glyphs
        .0
}

fn hmtx_table(num_glyphs: u16) -> Vec<u8> {
    let mut t = Table::default().u16(GLYPH_ADVANCE).i16(0);
    for _ in 1..num_glyphs {
        t = t.i16(0); // leftSideBearing of the glyphs sharing the last advance
    }
    t.0
}

fn maxp_table(num_glyphs: u16) -> Vec<u8> {
    let mut t = Table::default().u32(0x0001_0000).u16(num_glyphs);
    // maxPoints … maxComponentDepth: all zero except maxZones = 2.
    for (i, v) in [0u16; 13].iter().enumerate() {
        t = t.u16(if i == 4 { 2 } else { *v });
    }
    t.0
}

/// One format 4 subtable (3,1) mapping U+0020 to the empty glyph; PDF readers use the
/// /CIDToGIDMap instead, but font tools expect a cmap.
fn cmap_table() -> Vec<u8> {
    let sub = Table::default()
        .u16(4) // format
        .u16(32) // length
        .u16(0) // language
        .u16(4) // segCountX2
        .u16(4) // searchRange
        .u16(1) // entrySelector
        .u16(0) // rangeShift
        .u16(0x0020)
        .u16(0xFFFF) // endCode
        .u16(0) // reservedPad
        .u16(0x0020)
        .u16(0xFFFF) // startCode
        .u16(EMPTY_GLYPH.wrapping_sub(0x0020))
        .u16(1) // idDelta
        .u16(0)
        .u16(0); // idRangeOffset
    Table::default()
        .u16(0)
        .u16(1)
        .u16(3)
        .u16(1)
        .u32(12)
        .bytes(&sub.0)
        .0
}

fn name_table() -> Vec<u8> {
    let names: [(u16, &str); 6] = [
        (1, FONT_NAME),
        (2, "Regular"),
        (3, "kyso: KysoGlyphless 1.0"),
        (4, FONT_NAME),
        (5, "Version 1.0"),
        (6, FONT_NAME),
    ];
    let mut storage = Vec::new();
    let mut records = Table::default();
    for (id, text) in names {
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        records = records
            .u16(3)
            .u16(1)
            .u16(0x0409)
            .u16(id)
            .u16(utf16.len() as u16)
            .u16(storage.len() as u16);
        storage.extend_from_slice(&utf16);
    }
    Table::default()
        .u16(0)
        .u16(names.len() as u16)
        .u16(6 + 12 * names.len() as u16)
        .bytes(&records.0)
        .bytes(&storage)
        .0
}

fn post_table() -> Vec<u8> {
    Table::default()
        .u32(0x0003_0000) // format 3: no glyph names
        .u32(0) // italicAngle
        .i16(-100) // underlinePosition
        .i16(50) // underlineThickness
        .u32(1) // isFixedPitch: every glyph has the same advance
        .bytes(&[0; 16])
        .0
}

fn os2_table() -> Vec<u8> {
    Table::default()
        .u16(4) // version
        .i16(GLYPH_ADVANCE as i16) // xAvgCharWidth
        .u16(400) // usWeightClass
        .u16(5) // usWidthClass
        .u16(0) // fsType: installable embedding
        .i16(650)
        .i16(600)
        .i16(0)
        .i16(75) // subscript
        .i16(650)
        .i16(600)
        .i16(0)
        .i16(350) // superscript
        .i16(50)
        .i16(300) // strikeout
        .i16(0) // sFamilyClass
        .bytes(&[0; 10]) // panose
        .bytes(&[0; 16]) // ulUnicodeRange1-4
        .bytes(b"KYSO") // achVendID
        .u16(0x0040) // fsSelection: REGULAR
        .u16(0x0020) // usFirstCharIndex
        .u16(0x0020) // usLastCharIndex
        .i16(ASCENT) // sTypoAscender
        .i16(DESCENT) // sTypoDescender
        .i16(0) // sTypoLineGap
        .u16(ASCENT as u16) // usWinAscent
        .u16((-DESCENT) as u16) // usWinDescent
        .bytes(&[0; 8]) // ulCodePageRange1-2
        .i16(500) // sxHeight
        .i16(700) // sCapHeight
        .u16(0) // usDefaultChar
        .u16(0x0020) // usBreakChar
        .u16(0) // usMaxContext
        .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmp_characters_are_their_own_cid() {
        let map = CidMap::build(["ĐƠN ĐỀ NGHỊ"]).unwrap();
        assert_eq!(map.cid('Đ'), Some(0x0110));
        assert_eq!(map.cid('Ị'), Some(0x1ECA));
        assert_eq!(map.encode("Đ "), vec![0x01, 0x10, 0x00, 0x20]);
    }

    #[test]
    fn characters_outside_the_bmp_get_free_private_use_codes() {
        let map = CidMap::build(["a\u{20000}b\u{1F600}\u{F8FF}"]).unwrap();
        let a = map.cid('\u{20000}').unwrap();
        let b = map.cid('\u{1F600}').unwrap();
        assert_ne!(a, b);
        assert_eq!(map.cid('\u{F8FF}'), Some(0xF8FF));
        for cid in [a, b] {
            assert!((0xE000..0xF8FF).contains(&cid));
        }
        let cmap = to_unicode_cmap(&map);
        assert!(cmap.contains(&format!("<{b:04X}> <D83DDE00>")), "{cmap}");
    }

    #[test]
    fn control_characters_are_not_shown() {
        let map = CidMap::build(["a\tb\0"]).unwrap();
        assert_eq!(map.cid('\t'), None);
        assert_eq!(map.cid('\0'), None);
        assert_eq!(map.shown_len("a\tb"), 2);
    }

    #[test]
    fn every_used_cid_maps_to_the_empty_glyph() {
        let map = CidMap::build(["Ẽx"]).unwrap();
        let gid = cid_to_gid_map(&map);
        assert_eq!(gid.len(), 2 * (0x1EBC + 1));
        for c in ['Ẽ', 'x', ' '] {
            let at = 2 * usize::from(map.cid(c).unwrap());
            assert_eq!(&gid[at..at + 2], &[0, 1]);
        }
        assert_eq!(&gid[0..2], &[0, 0]);
    }

    #[test]
    fn truetype_checksums_hold() {
        let font = glyphless_truetype();
        assert_eq!(checksum(&font), 0xB1B0_AFBA);
        assert_eq!(font.len() % 4, 0);
        assert_eq!(glyphless_truetype(), font);
    }
}
