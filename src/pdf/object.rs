//! Low-level PDF syntax: objects, the numbered reference allocator, the file body and the
//! cross-reference table; what the objects mean is left to the other `pdf` modules.
//!
//! Everything here is deterministic: numbers are printed with at most [`MAX_DECIMALS`]
//! decimals and never in exponent form (ISO 32000-1 §7.3.3), dictionaries keep insertion
//! order, and the file identifier is a hash of the body.

use std::fmt::Write as _;

/// Decimals kept when printing a real number. Four decimals of a point is 1/18000 inch, far
/// below a scan's pixel pitch, and keeps content streams short.
pub const MAX_DECIMALS: usize = 4;

/// The number of an indirect object (generation is always 0 in files we write).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjRef(u32);

impl ObjRef {
    pub fn number(self) -> u32 {
        self.0
    }
}

/// An indirect object made by one module and written by another (e.g. a signature
/// appearance's font and form XObject, added to a file by an incremental update).
#[derive(Debug, Clone, PartialEq)]
pub enum PendingObject {
    Object(ObjRef, Obj),
    /// A stream: its dictionary without /Length, and its data already encoded.
    Stream(ObjRef, Dict, Vec<u8>),
}

/// Hands out object numbers 1, 2, 3… so no object id is ever counted by hand.
#[derive(Debug)]
pub struct RefAllocator {
    next: u32,
}

impl Default for RefAllocator {
    fn default() -> Self {
        Self { next: 1 }
    }
}

impl RefAllocator {
    pub fn alloc(&mut self) -> ObjRef {
        let id = ObjRef(self.next);
        self.next += 1;
        id
    }

    /// An allocator for an incremental update: numbers continue from the previous revision's
    /// trailer /Size (ISO 32000-1 §7.5.6).
    pub fn starting_at(next: u32) -> RefAllocator {
        RefAllocator { next: next.max(1) }
    }

    /// How many numbers were handed out, plus one for the free object 0 (the trailer /Size).
    pub fn size(&self) -> u32 {
        self.next
    }
}

/// A direct PDF object (ISO 32000-1 §7.3).
#[derive(Debug, Clone, PartialEq)]
pub enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Name(String),
    /// A string written in hexadecimal form; any bytes.
    Str(Vec<u8>),
    Array(Vec<Obj>),
    Dict(Dict),
    Ref(ObjRef),
    /// A reference to an object of an existing file being updated, whose generation may
    /// not be 0 (ISO 32000-1 §7.3.10).
    Indirect(u32, u16),
}

impl Obj {
    pub fn name(name: &str) -> Obj {
        Obj::Name(name.to_owned())
    }

    /// A text string (ISO 32000-1 §7.9.2.2): plain bytes when ASCII printable, otherwise
    /// UTF-16BE with a byte order mark, so Vietnamese titles survive.
    pub fn text(text: &str) -> Obj {
        if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            Obj::Str(text.as_bytes().to_vec())
        } else {
            let mut bytes = vec![0xfe, 0xff];
            for unit in text.encode_utf16() {
                bytes.extend_from_slice(&unit.to_be_bytes());
            }
            Obj::Str(bytes)
        }
    }

    pub fn reals(values: &[f64]) -> Obj {
        Obj::Array(values.iter().map(|&v| Obj::Real(v)).collect())
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Obj::Null => out.extend_from_slice(b"null"),
            Obj::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Obj::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Obj::Real(r) => out.extend_from_slice(real(*r).as_bytes()),
            Obj::Name(n) => write_name(n, out),
            Obj::Str(bytes) => {
                out.push(b'<');
                out.extend_from_slice(crate::hex::upper(bytes).as_bytes());
                out.push(b'>');
            }
            Obj::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Obj::Dict(dict) => dict.write(out),
            Obj::Ref(r) => out.extend_from_slice(format!("{} 0 R", r.0).as_bytes()),
            Obj::Indirect(number, generation) => {
                out.extend_from_slice(format!("{number} {generation} R").as_bytes());
            }
        }
    }
}

impl From<Dict> for Obj {
    fn from(dict: Dict) -> Obj {
        Obj::Dict(dict)
    }
}

impl From<ObjRef> for Obj {
    fn from(r: ObjRef) -> Obj {
        Obj::Ref(r)
    }
}

impl From<i64> for Obj {
    fn from(i: i64) -> Obj {
        Obj::Int(i)
    }
}

impl From<i32> for Obj {
    fn from(i: i32) -> Obj {
        Obj::Int(i64::from(i))
    }
}

impl From<u32> for Obj {
    fn from(i: u32) -> Obj {
        Obj::Int(i64::from(i))
    }
}

/// A dictionary that keeps its keys in insertion order, for byte-identical output.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dict(Vec<(String, Obj)>);

impl Dict {
    pub fn new() -> Dict {
        Dict::default()
    }

    /// Adds (or replaces) a key; keys are written without the leading slash.
    pub fn set(mut self, key: &str, value: impl Into<Obj>) -> Dict {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_owned(), value)),
        }
        self
    }

    pub fn get(&self, key: &str) -> Option<&Obj> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// [`Dict::set`] through a mutable reference.
    pub fn insert(&mut self, key: &str, value: impl Into<Obj>) {
        let taken = std::mem::take(self);
        *self = taken.set(key, value);
    }

    pub fn entries(&self) -> impl Iterator<Item = (&str, &Obj)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn remove(&mut self, key: &str) -> Option<Obj> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(at).1)
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"<<");
        for (key, value) in &self.0 {
            write_name(key, out);
            out.push(b' ');
            value.write(out);
        }
        out.extend_from_slice(b">>");
    }
}

/// Prints a real number with at most [`MAX_DECIMALS`] decimals, no exponent, no trailing
/// zeros and no negative zero (ISO 32000-1 §7.3.3). Non-finite values, which PDF cannot
/// express, print as 0; callers validate their inputs before they get here.
pub fn real(value: f64) -> String {
    if !value.is_finite() {
        return "0".to_owned();
    }
    let mut text = format!("{value:.MAX_DECIMALS$}");
    if text.contains('.') {
        while text.ends_with('0') {
            text.pop();
        }
        if text.ends_with('.') {
            text.pop();
        }
    }
    if text == "-0" {
        text = "0".to_owned();
    }
    text
}

/// Writes a name object, escaping delimiters, `#` and bytes outside `!`..`~` as `#xx`
/// (ISO 32000-1 §7.3.5).
fn write_name(name: &str, out: &mut Vec<u8>) {
    out.push(b'/');
    for &b in name.as_bytes() {
        let delimiter = b"()<>[]{}/%#".contains(&b);
        if (0x21..=0x7e).contains(&b) && !delimiter {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

/// The file body being written: header, indirect objects and, at the end, the
/// cross-reference table and trailer (ISO 32000-1 §7.5).
#[derive(Debug)]
pub struct FileWriter {
    buf: Vec<u8>,
    offsets: Vec<Option<usize>>,
}

impl FileWriter {
    /// Starts a PDF 1.7 file. The comment line of four bytes above 127 marks the file as
    /// binary, as ISO 19005-2 §6.1.2 requires.
    pub fn new() -> FileWriter {
        let mut buf = Vec::with_capacity(1 << 16);
        buf.extend_from_slice(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
        FileWriter {
            buf,
            offsets: Vec::new(),
        }
    }

    fn begin(&mut self, id: ObjRef) {
        let index = id.0 as usize;
        if self.offsets.len() <= index {
            self.offsets.resize(index + 1, None);
        }
        assert!(
            self.offsets[index].is_none(),
            "object {index} written twice"
        );
        self.offsets[index] = Some(self.buf.len());
        self.buf
            .extend_from_slice(format!("{} 0 obj\n", id.0).as_bytes());
    }

    pub fn object(&mut self, id: ObjRef, value: &Obj) {
        self.begin(id);
        value.write(&mut self.buf);
        self.buf.extend_from_slice(b"\nendobj\n");
    }

    /// Writes a stream; /Length is set here from the data, which is written as given (already
    /// encoded by the caller's filter). The EOL rules of ISO 19005-2 §6.1.7.1 are kept: a
    /// line feed after `stream` and before `endstream`.
    pub fn stream(&mut self, id: ObjRef, dict: Dict, data: &[u8]) {
        self.begin(id);
        let len = i64::try_from(data.len()).unwrap_or(i64::MAX);
        dict.set("Length", len).write(&mut self.buf);
        self.buf.extend_from_slice(b"\nstream\n");
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\nendstream\nendobj\n");
    }

    /// Writes the cross-reference table and trailer and returns the finished file. The
    /// trailer /ID (ISO 32000-1 §14.4, required by ISO 19005-2 §6.1.3) is the first 16 bytes
    /// of the SHA-256 of the body, so identical inputs give identical files.
    pub fn finish(mut self, size: u32, root: ObjRef, info: Option<ObjRef>) -> Vec<u8> {
        let digest = openssl::sha::sha256(&self.buf);
        let id = Obj::Str(digest[..16].to_vec());
        let xref_at = self.buf.len();
        let count = (size as usize).max(self.offsets.len());
        self.offsets.resize(count, None);
        let mut table = format!("xref\n0 {count}\n");
        for (index, offset) in self.offsets.iter().enumerate() {
            match offset {
                Some(at) => {
                    let _ = write!(table, "{at:010} 00000 n\r\n");
                }
                None if index == 0 => table.push_str("0000000000 65535 f\r\n"),
                // Allocated but never written: a free entry keeps the table well formed.
                None => table.push_str("0000000000 00000 f\r\n"),
            }
        }
        self.buf.extend_from_slice(table.as_bytes());
        let mut trailer = Dict::new().set("Size", count as i64).set("Root", root);
        if let Some(info) = info {
            trailer = trailer.set("Info", info);
        }
        trailer = trailer.set("ID", Obj::Array(vec![id.clone(), id]));
        self.buf.extend_from_slice(b"trailer\n");
        trailer.write(&mut self.buf);
        self.buf
            .extend_from_slice(format!("\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
        self.buf
    }
}

impl Default for FileWriter {
    fn default() -> Self {
        Self::new()
    }
}

/// Compresses with zlib (/FlateDecode, ISO 32000-1 §7.4.4) at the default level, which on
/// 25 MB page buffers is within a few percent of the best level at a fraction of the time;
/// flate2's output is deterministic.
pub fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(data.len() / 2),
        flate2::Compression::default(),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(obj: &Obj) -> String {
        let mut out = Vec::new();
        obj.write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn reals_have_limited_decimals_and_no_negative_zero() {
        assert_eq!(real(1.0), "1");
        assert_eq!(real(0.5), "0.5");
        assert_eq!(real(595.27559), "595.2756");
        assert_eq!(real(-0.00001), "0");
        assert_eq!(real(-12.25), "-12.25");
        assert_eq!(real(1e20), "100000000000000000000");
        assert_eq!(real(f64::NAN), "0");
    }

    #[test]
    fn names_escape_delimiters_and_non_ascii() {
        assert_eq!(show(&Obj::name("Type0")), "/Type0");
        assert_eq!(show(&Obj::name("A B#(")), "/A#20B#23#28");
        assert_eq!(show(&Obj::name("Đ")), "/#C4#90");
    }

    #[test]
    fn text_strings_use_utf16_only_when_needed() {
        assert_eq!(show(&Obj::text("ab")), "<6162>");
        assert_eq!(show(&Obj::text("Đơn")), "<FEFF011001A1006E>");
    }

    #[test]
    fn dictionaries_keep_order_and_replace_keys() {
        let d = Dict::new().set("B", 1).set("A", 2).set("B", 3);
        assert_eq!(show(&d.into()), "<</B 3/A 2>>");
    }

    #[test]
    fn xref_offsets_point_at_objects() {
        let mut refs = RefAllocator::default();
        let a = refs.alloc();
        let b = refs.alloc();
        let mut w = FileWriter::new();
        w.object(b, &Obj::Int(7));
        w.object(a, &Dict::new().set("Type", Obj::name("Catalog")).into());
        let file = w.finish(refs.size(), a, None);
        // Offsets count bytes, so look at the bytes, not a lossy text copy.
        let text = String::from_utf8_lossy(&file).into_owned();
        let xref = text.find("xref\n").unwrap();
        let entries: Vec<&str> = text[xref..].lines().skip(2).take(3).collect();
        // `lines()` strips the "\r\n" that ends each 20-byte entry.
        assert_eq!(entries[0], "0000000000 65535 f");
        for (n, entry) in entries.iter().enumerate().skip(1) {
            let at: usize = entry[..10].parse().unwrap();
            assert!(file[at..].starts_with(format!("{n} 0 obj").as_bytes()));
        }
        assert!(text.ends_with("%%EOF\n"));
    }
}
