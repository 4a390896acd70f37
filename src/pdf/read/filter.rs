//! Stream filters (ISO 32000-1 §7.4): FlateDecode and LZWDecode with PNG and TIFF predictors,
//! ASCIIHexDecode, ASCII85Decode and RunLengthDecode are decoded here, within a size limit.
//! Image codecs (DCT, CCITT fax, JBIG2, JPX) are not decoded: their bytes and parameters are
//! handed to the caller, who places them as they are or hands them to an image library.

use crate::pdf::image::paeth;
use std::io::Read as _;

use super::object::{Dictionary, Object, Stream};
use super::{Limits, Location, PdfReadError, Result};

/// An image compression that the reader leaves encoded (ISO 32000-1 §7.4.1, Table 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageCodec {
    /// /DCTDecode: a JPEG (§7.4.8).
    Dct,
    /// /CCITTFaxDecode: ITU-T T.4/T.6 fax (§7.4.6).
    CcittFax,
    /// /JBIG2Decode (§7.4.7).
    Jbig2,
    /// /JPXDecode: JPEG 2000 (§7.4.9).
    Jpx,
}

impl ImageCodec {
    /// The filter name as written in PDF.
    pub fn filter_name(self) -> &'static str {
        match self {
            ImageCodec::Dct => "DCTDecode",
            ImageCodec::CcittFax => "CCITTFaxDecode",
            ImageCodec::Jbig2 => "JBIG2Decode",
            ImageCodec::Jpx => "JPXDecode",
        }
    }
}

/// A stream's data after every general-purpose filter. When the last filter is an image
/// codec, `data` holds the coded image and `image` names the codec and its /DecodeParms.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedStream {
    pub data: Vec<u8>,
    pub image: Option<(ImageCodec, Dictionary)>,
}

/// Decodes a stream whose /Filter and /DecodeParms are direct objects. Use
/// [`super::Document::decode_stream`] when they may be references.
pub fn decode_stream(stream: &Stream, limits: &Limits) -> Result<DecodedStream> {
    let at = Location::Offset(stream.data_offset);
    let filters = filter_list(&stream.dict, at)?;
    decode(&stream.raw, &filters, limits, at)
}

/// The (name, parameters) pairs of /Filter and /DecodeParms (or the inline-image
/// abbreviations /F and /DP, §8.9.7), in order.
pub(crate) fn filter_list(dict: &Dictionary, at: Location) -> Result<Vec<(Vec<u8>, Dictionary)>> {
    let filters = dict.get("Filter").or_else(|| dict.get("F"));
    let params = dict.get("DecodeParms").or_else(|| dict.get("DP"));
    let wrong = |key, expected, found: &Object| PdfReadError::WrongType {
        at,
        key,
        expected,
        found: found.type_name(),
    };
    let names: Vec<Vec<u8>> = match filters {
        None => Vec::new(),
        Some(Object::Name(n)) => vec![n.clone()],
        Some(Object::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_name()
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| wrong("Filter", "names", i))
            })
            .collect::<Result<_>>()?,
        Some(other) => return Err(wrong("Filter", "a name or an array of names", other)),
    };
    let params: Vec<Dictionary> = match params {
        None => Vec::new(),
        Some(Object::Dict(d)) => vec![d.clone()],
        Some(Object::Array(items)) => items
            .iter()
            .map(|i| match i {
                Object::Dict(d) => Ok(d.clone()),
                Object::Null => Ok(Dictionary::new()),
                other => Err(wrong("DecodeParms", "dictionaries", other)),
            })
            .collect::<Result<_>>()?,
        Some(other) => return Err(wrong("DecodeParms", "a dictionary or an array", other)),
    };
    Ok(names
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, params.get(i).cloned().unwrap_or_default()))
        .collect())
}

fn codec(name: &[u8]) -> Option<ImageCodec> {
    match name {
        b"DCTDecode" | b"DCT" => Some(ImageCodec::Dct),
        b"CCITTFaxDecode" | b"CCF" => Some(ImageCodec::CcittFax),
        b"JBIG2Decode" => Some(ImageCodec::Jbig2),
        b"JPXDecode" => Some(ImageCodec::Jpx),
        _ => None,
    }
}

pub(crate) fn decode(
    raw: &[u8],
    filters: &[(Vec<u8>, Dictionary)],
    limits: &Limits,
    at: Location,
) -> Result<DecodedStream> {
    let mut data = raw.to_vec();
    for (i, (name, params)) in filters.iter().enumerate() {
        let filter = || String::from_utf8_lossy(name).into_owned();
        if let Some(codec) = codec(name) {
            if i + 1 != filters.len() {
                return Err(PdfReadError::ImageFilterNotLast {
                    at,
                    filter: filter(),
                });
            }
            return Ok(DecodedStream {
                data,
                image: Some((codec, params.clone())),
            });
        }
        let corrupt = |problem: String| PdfReadError::Filter {
            at,
            filter: filter(),
            problem,
        };
        data = match name.as_slice() {
            b"FlateDecode" | b"Fl" => {
                let inflated = inflate(&data, limits, at)?;
                predict(inflated, params).map_err(corrupt)?
            }
            b"LZWDecode" | b"LZW" => {
                let early = param(params, "EarlyChange", 1) != 0;
                let decoded = lzw(&data, early, limits.max_decoded_bytes)
                    .map_err(corrupt)?
                    .ok_or(PdfReadError::TooLarge {
                        at,
                        limit: limits.max_decoded_bytes,
                    })?;
                predict(decoded, params).map_err(corrupt)?
            }
            b"ASCIIHexDecode" | b"AHx" => ascii_hex(&data).map_err(corrupt)?,
            b"ASCII85Decode" | b"A85" => ascii85(&data).map_err(corrupt)?,
            b"RunLengthDecode" | b"RL" => {
                run_length(&data, limits.max_decoded_bytes).ok_or(PdfReadError::TooLarge {
                    at,
                    limit: limits.max_decoded_bytes,
                })?
            }
            _ => {
                return Err(PdfReadError::UnsupportedFilter {
                    at,
                    filter: filter(),
                });
            }
        };
        if data.len() > limits.max_decoded_bytes {
            return Err(PdfReadError::TooLarge {
                at,
                limit: limits.max_decoded_bytes,
            });
        }
    }
    Ok(DecodedStream { data, image: None })
}

/// zlib inflation (§7.4.4), stopping one byte past the limit.
fn inflate(data: &[u8], limits: &Limits, at: Location) -> Result<Vec<u8>> {
    let limit = limits.max_decoded_bytes;
    let mut out = Vec::new();
    let decoder = flate2::read::ZlibDecoder::new(data);
    decoder
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| PdfReadError::Filter {
            at,
            filter: "FlateDecode".into(),
            problem: e.to_string(),
        })?;
    if out.len() > limit {
        return Err(PdfReadError::TooLarge { at, limit });
    }
    Ok(out)
}

fn param(params: &Dictionary, key: &str, default: i64) -> i64 {
    params.get(key).and_then(Object::as_int).unwrap_or(default)
}

/// Undoes a PNG (Predictor ≥ 10) or TIFF (Predictor 2) predictor (§7.4.4.4, Table 8).
pub(crate) fn predict(data: Vec<u8>, params: &Dictionary) -> Result<Vec<u8>, String> {
    let predictor = param(params, "Predictor", 1);
    if predictor == 1 {
        return Ok(data);
    }
    let colors = param(params, "Colors", 1);
    let bpc = param(params, "BitsPerComponent", 8);
    let columns = param(params, "Columns", 1);
    if !(1..=32).contains(&colors)
        || ![1, 2, 4, 8, 16].contains(&bpc)
        || !(1..=1 << 24).contains(&columns)
    {
        return Err(format!(
            "predictor parameters Colors {colors}, BitsPerComponent {bpc}, Columns {columns} are out of range"
        ));
    }
    let (colors, bpc, columns) = (colors as usize, bpc as usize, columns as usize);
    let row_len = (colors * bpc * columns).div_ceil(8);
    match predictor {
        2 => Ok(tiff_predictor(data, row_len, colors, bpc)),
        10..=15 => png_predictor(&data, row_len, (colors * bpc).div_ceil(8)),
        other => Err(format!("predictor {other} is not defined")),
    }
}

fn png_predictor(data: &[u8], row_len: usize, bpp: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(data.len());
    // Rows never exceed the data, so a huge /Columns cannot make a huge allocation.
    let mut prev = vec![0u8; row_len.min(data.len())];
    // A short last row is kept as far as it goes: writers cut the final row at times.
    for chunk in data.chunks(row_len + 1) {
        let (kind, coded) = (chunk[0], &chunk[1..]);
        let mut row = coded.to_vec();
        for i in 0..row.len() {
            let left = if i >= bpp { row[i - bpp] } else { 0 };
            let up = prev[i];
            let up_left = if i >= bpp { prev[i - bpp] } else { 0 };
            let add = match kind {
                0 => 0,
                1 => left,
                2 => up,
                3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                4 => paeth(left, up, up_left),
                other => return Err(format!("PNG row filter type {other} is not defined")),
            };
            row[i] = row[i].wrapping_add(add);
        }
        prev[..row.len()].copy_from_slice(&row);
        out.extend_from_slice(&row);
    }
    Ok(out)
}

/// TIFF predictor 2: each sample is the difference from the sample of the same colour
/// component to its left, modulo 2^bpc.
fn tiff_predictor(mut data: Vec<u8>, row_len: usize, colors: usize, bpc: usize) -> Vec<u8> {
    let samples_per_row = row_len * 8 / bpc;
    for row in data.chunks_mut(row_len) {
        let count = (row.len() * 8 / bpc).min(samples_per_row);
        for s in colors..count {
            let value = sample(row, s, bpc).wrapping_add(sample(row, s - colors, bpc));
            set_sample(row, s, bpc, value);
        }
    }
    data
}

fn sample(row: &[u8], index: usize, bpc: usize) -> u32 {
    match bpc {
        8 => u32::from(row[index]),
        16 => u32::from(u16::from_be_bytes([row[2 * index], row[2 * index + 1]])),
        _ => {
            let bit = index * bpc;
            let shift = 8 - bpc - bit % 8;
            u32::from(row[bit / 8] >> shift) & ((1 << bpc) - 1)
        }
    }
}

fn set_sample(row: &mut [u8], index: usize, bpc: usize, value: u32) {
    match bpc {
        8 => row[index] = value as u8,
        16 => row[2 * index..2 * index + 2].copy_from_slice(&(value as u16).to_be_bytes()),
        _ => {
            let bit = index * bpc;
            let shift = 8 - bpc - bit % 8;
            let mask = (((1u32 << bpc) - 1) << shift) as u8;
            row[bit / 8] = (row[bit / 8] & !mask) | (((value << shift) as u8) & mask);
        }
    }
}

/// LZWDecode (§7.4.4.2): 9- to 12-bit codes, 256 clears the table, 257 ends the data;
/// with EarlyChange the code width grows one code early. `Ok(None)` past the size limit.
fn lzw(data: &[u8], early_change: bool, limit: usize) -> Result<Option<Vec<u8>>, String> {
    const CLEAR: usize = 256;
    const END: usize = 257;
    // Entry i is entry prefix[i]'s string followed by suffix[i]; first[i] its first byte.
    let mut prefix: Vec<u16> = Vec::with_capacity(4096);
    let mut suffix: Vec<u8> = Vec::with_capacity(4096);
    let mut first: Vec<u8> = Vec::with_capacity(4096);
    let reset = |prefix: &mut Vec<u16>, suffix: &mut Vec<u8>, first: &mut Vec<u8>| {
        prefix.clear();
        suffix.clear();
        first.clear();
        for b in 0..=255u8 {
            prefix.push(u16::MAX);
            suffix.push(b);
            first.push(b);
        }
        // 256 and 257 are the control codes.
        prefix.extend([u16::MAX; 2]);
        suffix.extend([0; 2]);
        first.extend([0; 2]);
    };
    reset(&mut prefix, &mut suffix, &mut first);
    let early = usize::from(early_change);
    let (mut width, mut bits, mut held) = (9u32, 0u32, 0u32);
    let mut bytes = data.iter();
    let mut prev: Option<usize> = None;
    let mut out = Vec::new();
    let mut string = Vec::new();
    loop {
        while bits < width {
            let Some(&b) = bytes.next() else {
                return Ok(Some(out));
            };
            held = held << 8 | u32::from(b);
            bits += 8;
        }
        let code = ((held >> (bits - width)) & ((1 << width) - 1)) as usize;
        bits -= width;
        held &= (1 << bits) - 1;
        if code == CLEAR {
            reset(&mut prefix, &mut suffix, &mut first);
            width = 9;
            prev = None;
            continue;
        }
        if code == END {
            return Ok(Some(out));
        }
        let next = prefix.len();
        let head = match (code < next, prev) {
            (true, _) if !(256..=END).contains(&code) => first[code],
            (false, Some(p)) if code == next => first[p],
            _ => return Err(format!("code {code} is not in the table")),
        };
        if let Some(p) = prev
            && next < 4096
        {
            prefix.push(p as u16);
            suffix.push(head);
            first.push(first[p]);
        }
        // Walk the chain back to front; `code` now exists in the table.
        string.clear();
        let mut c = code;
        while c != u16::MAX as usize && string.len() <= 4096 {
            string.push(suffix[c]);
            c = usize::from(prefix[c]);
        }
        out.extend(string.iter().rev());
        if out.len() > limit {
            return Ok(None);
        }
        prev = Some(code);
        width = match prefix.len() + early {
            n if n >= 2048 => 12,
            n if n >= 1024 => 11,
            n if n >= 512 => 10,
            _ => 9,
        };
    }
}

/// ASCIIHexDecode (§7.4.2).
fn ascii_hex(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(data.len() / 2);
    let mut high = None;
    for &b in data {
        if b == b'>' {
            break;
        }
        if super::lexer::is_whitespace(b) {
            continue;
        }
        let v = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return Err(format!("byte 0x{b:02X} is not a hexadecimal digit")),
        };
        match high.take() {
            Some(h) => out.push(h << 4 | v),
            None => high = Some(v),
        }
    }
    if let Some(h) = high {
        out.push(h << 4);
    }
    Ok(out)
}

/// ASCII85Decode (§7.4.3): `z` for four zero bytes, `~>` ends the data, a final partial
/// group of n characters gives n − 1 bytes.
fn ascii85(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(data.len() * 4 / 5);
    let mut group = [0u8; 5];
    let mut n = 0;
    let mut bytes = data.iter();
    if data.starts_with(b"<~") {
        bytes.nth(1);
    }
    for &b in bytes {
        match b {
            b'~' => break,
            b'z' if n == 0 => out.extend_from_slice(&[0; 4]),
            b'!'..=b'u' => {
                group[n] = b - b'!';
                n += 1;
                if n == 5 {
                    out.extend_from_slice(&base85_group(&group)?.to_be_bytes());
                    n = 0;
                }
            }
            _ if super::lexer::is_whitespace(b) => {}
            _ => return Err(format!("byte 0x{b:02X} is not base-85")),
        }
    }
    match n {
        0 => {}
        1 => return Err("a final group of one character".into()),
        _ => {
            group[n..].fill(84);
            let value = base85_group(&group)?.to_be_bytes();
            out.extend_from_slice(&value[..n - 1]);
        }
    }
    Ok(out)
}

fn base85_group(group: &[u8; 5]) -> Result<u32, String> {
    let value = group.iter().fold(0u64, |acc, &d| acc * 85 + u64::from(d));
    u32::try_from(value).map_err(|_| "a group above 2^32 − 1".to_owned())
}

/// RunLengthDecode (§7.4.5); `None` past the size limit.
fn run_length(data: &[u8], limit: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&len) = data.get(i) {
        match len {
            128 => break,
            0..=127 => {
                let run = data.get(i + 1..(i + 2 + len as usize).min(data.len()))?;
                out.extend_from_slice(run);
                i += 2 + len as usize;
            }
            _ => {
                let Some(&b) = data.get(i + 1) else { break };
                out.extend(std::iter::repeat_n(b, 257 - len as usize));
                i += 2;
            }
        }
        if out.len() > limit {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, i64)]) -> Dictionary {
        let mut d = Dictionary::new();
        for (k, v) in pairs {
            d.insert(k, Object::Int(*v));
        }
        d
    }

    #[test]
    fn ascii_filters() {
        assert_eq!(ascii_hex(b"48 65 6C6C 6F7>").unwrap(), b"Hello\x70");
        assert_eq!(ascii85(b"87cURD]i,\"Ebo80~>").unwrap(), b"Hello World!");
        assert_eq!(ascii85(b"z~>").unwrap(), [0; 4]);
        assert!(ascii85(b"s8W-\"~>").is_err());
        assert_eq!(
            run_length(&[2, b'a', b'b', b'c', 254, b'x', 128], 100).unwrap(),
            b"abcxxx"
        );
    }

    #[test]
    fn lzw_example_from_the_standard() {
        // ISO 32000-1 §7.4.4.2, Example 1: "-----A---B".
        let coded = [0x80, 0x0B, 0x60, 0x50, 0x22, 0x0C, 0x0C, 0x85, 0x01];
        assert_eq!(lzw(&coded, true, 100).unwrap().unwrap(), b"-----A---B");
        assert!(lzw(&[0xff, 0xff, 0xff], true, 100).is_err());
    }

    /// TIFF's LZW is PDF's with EarlyChange 1: the `tiff` crate's encoder is an independent
    /// source of long streams that cross every code width and clear the table.
    #[test]
    fn lzw_decodes_what_the_tiff_encoder_writes() {
        use tiff::encoder::{Compression, TiffEncoder, colortype::Gray8};
        let (w, h) = (300u32, 200u32);
        let mut state = 12345u32;
        let pixels: Vec<u8> = (0..w * h)
            .map(|i| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                if i % 7 < 3 {
                    (state >> 24) as u8
                } else {
                    (i / 97) as u8
                }
            })
            .collect();
        let mut file = std::io::Cursor::new(Vec::new());
        TiffEncoder::new(&mut file)
            .unwrap()
            .with_compression(Compression::Lzw)
            .write_image::<Gray8>(w, h, &pixels)
            .unwrap();
        let file = file.into_inner();
        let mut decoder = tiff::decoder::Decoder::new(std::io::Cursor::new(&file)).unwrap();
        let offsets = decoder
            .get_tag_u32_vec(tiff::tags::Tag::StripOffsets)
            .unwrap();
        let counts = decoder
            .get_tag_u32_vec(tiff::tags::Tag::StripByteCounts)
            .unwrap();
        let mut out = Vec::new();
        for (&at, &len) in offsets.iter().zip(&counts) {
            let strip = &file[at as usize..(at + len) as usize];
            out.extend(lzw(strip, true, 1 << 20).unwrap().unwrap());
        }
        assert_eq!(out, pixels);
    }

    #[test]
    fn png_up_and_sub_predictors() {
        // Two rows of three bytes: row 1 Sub, row 2 Up.
        let coded = vec![1, 10, 5, 5, 2, 1, 1, 1];
        let out = predict(coded, &params(&[("Predictor", 12), ("Columns", 3)])).unwrap();
        assert_eq!(out, [10, 15, 20, 11, 16, 21]);
    }

    #[test]
    fn tiff_predictor_8_and_1_bit() {
        let out = predict(
            vec![10, 1, 1, 5, 1, 1],
            &params(&[("Predictor", 2), ("Columns", 3)]),
        )
        .unwrap();
        assert_eq!(out, [10, 11, 12, 5, 6, 7]);
        // 1-bit: 1 then differences 0 → all ones.
        let out = predict(
            vec![0b1000_0000],
            &params(&[("Predictor", 2), ("Columns", 8), ("BitsPerComponent", 1)]),
        )
        .unwrap();
        assert_eq!(out, [0xff]);
    }

    #[test]
    fn flate_limit_and_image_pass_through() {
        let big = crate::pdf::object::deflate(&vec![0u8; 10_000]);
        let limits = Limits::default().with_max_decoded_bytes(1000);
        let filters = vec![(b"FlateDecode".to_vec(), Dictionary::new())];
        assert!(matches!(
            decode(&big, &filters, &limits, Location::Offset(0)),
            Err(PdfReadError::TooLarge { .. })
        ));
        let filters = vec![
            (b"AHx".to_vec(), Dictionary::new()),
            (b"DCTDecode".to_vec(), Dictionary::new()),
        ];
        let out = decode(b"FFD8>", &filters, &limits, Location::Offset(0)).unwrap();
        assert_eq!(out.data, [0xff, 0xd8]);
        assert_eq!(out.image.unwrap().0, ImageCodec::Dct);
    }
}
