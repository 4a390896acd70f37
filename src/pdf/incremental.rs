//! Incremental updates (ISO 32000-1 §7.5.6): new and replaced objects appended after the
//! original bytes, with a cross-reference section of the same kind as the newest revision's
//! and a trailer whose /Prev points back. The original file stays an exact prefix of the
//! result, which is what a signature's /ByteRange relies on. What the objects mean (a
//! signature field, a DSS) is left to the callers in `sign`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::object::{Dict, Obj, ObjRef, PendingObject, RefAllocator};
use super::read::{Dictionary, Document, Object, ObjectId, XrefKind};

/// Why an update could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    #[error("the PDF cannot be read")]
    Read(#[from] super::read::PdfReadError),
    #[error("the PDF's trailer has no valid {key}")]
    Trailer { key: &'static str },
    #[error("object {number} {generation} R holds {what}, which an update cannot rewrite")]
    Unrepresentable {
        number: u32,
        generation: u16,
        what: &'static str,
    },
    #[error("the PDF has {objects} objects; an update cannot add more")]
    TooManyObjects { objects: u32 },
}

/// An object written by the update, with its number and generation.
#[derive(Debug)]
struct Written {
    number: u32,
    generation: u16,
    bytes: Vec<u8>,
}

/// One incremental update being assembled over `document`.
#[derive(Debug)]
pub struct IncrementalUpdate<'d, 'a> {
    document: &'d Document<'a>,
    alloc: RefAllocator,
    objects: Vec<Written>,
    /// Keys to put in (or drop from) the new trailer beyond /Size, /Prev, /Root, /ID.
    trailer_extra: Dict,
}

/// The finished file and where each written object starts in it.
#[derive(Debug)]
pub struct UpdatedFile {
    pub bytes: Vec<u8>,
    /// Offset of `N G obj` for every object the update wrote.
    pub offsets: BTreeMap<u32, usize>,
}

impl<'d, 'a> IncrementalUpdate<'d, 'a> {
    pub fn new(document: &'d Document<'a>) -> Result<IncrementalUpdate<'d, 'a>, UpdateError> {
        let size = document
            .trailer()
            .get("Size")
            .and_then(Object::as_int)
            .and_then(|s| u32::try_from(s).ok())
            .ok_or(UpdateError::Trailer { key: "/Size" })?;
        // /Size may understate the objects the xref actually lists in a damaged file.
        let highest = document.xref().keys().next_back().map_or(0, |n| n + 1);
        Ok(IncrementalUpdate {
            document,
            alloc: RefAllocator::starting_at(size.max(highest)),
            objects: Vec::new(),
            trailer_extra: Dict::new(),
        })
    }

    pub fn document(&self) -> &'d Document<'a> {
        self.document
    }

    pub fn allocator(&mut self) -> &mut RefAllocator {
        &mut self.alloc
    }

    pub fn alloc(&mut self) -> ObjRef {
        self.alloc.alloc()
    }

    /// Adds a new object (numbered by [`IncrementalUpdate::alloc`]).
    pub fn add(&mut self, object: PendingObject) {
        let (number, bytes) = match object {
            PendingObject::Object(id, value) => {
                let mut bytes = Vec::new();
                value.write(&mut bytes);
                (id.number(), bytes)
            }
            PendingObject::Stream(id, dict, data) => (id.number(), stream_bytes(dict, &data)),
        };
        self.push(number, 0, bytes);
    }

    /// Writes a new version of an existing object under its own number and generation.
    pub fn replace(&mut self, id: ObjectId, value: &Obj) {
        let mut bytes = Vec::new();
        value.write(&mut bytes);
        self.push(id.number, id.generation, bytes);
    }

    /// Writes a new version of an existing stream object.
    pub fn replace_stream(&mut self, id: ObjectId, dict: Dict, data: &[u8]) {
        self.push(id.number, id.generation, stream_bytes(dict, data));
    }

    /// Writes an object whose serialized form the caller made (a signature dictionary
    /// whose placeholder offsets the caller must find again).
    pub fn add_raw(&mut self, id: ObjRef, bytes: Vec<u8>) {
        self.push(id.number(), 0, bytes);
    }

    fn push(&mut self, number: u32, generation: u16, bytes: Vec<u8>) {
        // A later write of the same object wins; keep one.
        self.objects.retain(|w| w.number != number);
        self.objects.push(Written {
            number,
            generation,
            bytes,
        });
    }

    /// Whether the update already rewrites object `number`.
    pub fn rewrites(&self, number: u32) -> bool {
        self.objects.iter().any(|w| w.number == number)
    }

    /// Sets a key of the new trailer (e.g. /Info).
    pub fn set_trailer(&mut self, key: &str, value: Obj) {
        self.trailer_extra.insert(key, value);
    }

    /// Appends the objects, the cross-reference section and the trailer to the original
    /// bytes. The section is a table when the newest revision's is a table (or hybrid), and
    /// a cross-reference stream when it is a stream (§7.5.8.4: a file that used streams
    /// must keep them, or readers that only know streams lose the update).
    pub fn finish(self) -> Result<UpdatedFile, UpdateError> {
        let document = self.document;
        let original = document.bytes();
        let trailer = document.trailer();
        let newest = document
            .revisions()
            .last()
            .ok_or(UpdateError::Trailer { key: "startxref" })?;
        let mut out = Vec::with_capacity(original.len() + 4096);
        out.extend_from_slice(original);
        if !matches!(original.last(), Some(b'\n' | b'\r')) {
            out.push(b'\n');
        }
        let mut offsets = BTreeMap::new();
        let mut entries: BTreeMap<u32, (usize, u16)> = BTreeMap::new();
        for object in &self.objects {
            let at = out.len();
            offsets.insert(object.number, at);
            entries.insert(object.number, (at, object.generation));
            out.extend_from_slice(
                format!("{} {} obj\n", object.number, object.generation).as_bytes(),
            );
            out.extend_from_slice(&object.bytes);
            out.extend_from_slice(b"\nendobj\n");
        }
        let size = self
            .alloc
            .size()
            .max(entries.keys().next_back().map_or(0, |n| n + 1));

        let mut new_trailer = Dict::new().set("Size", i64::from(size));
        for key in ["Root", "Info"] {
            if let Some(value) = trailer.get(key) {
                new_trailer.insert(key, to_obj(value, ObjectId::new(0, 0))?);
            }
        }
        // §14.4: the first /ID element stays, the second changes with every update.
        let first_id = trailer
            .get("ID")
            .and_then(Object::as_array)
            .and_then(|a| a.first())
            .and_then(Object::as_string)
            .map(<[u8]>::to_vec);
        let digest = openssl::sha::sha256(&out[original.len()..]);
        let second = digest[..16].to_vec();
        let first = first_id.unwrap_or_else(|| second.clone());
        new_trailer.insert("ID", Obj::Array(vec![Obj::Str(first), Obj::Str(second)]));
        for (key, value) in self.trailer_extra.entries() {
            new_trailer.insert(key, value.clone());
        }
        new_trailer.insert(
            "Prev",
            i64::try_from(newest.xref_offset).unwrap_or(i64::MAX),
        );

        let xref_at = out.len();
        match newest.kind {
            XrefKind::Stream => {
                let number = size;
                entries.insert(number, (xref_at, 0));
                let (index, data) = stream_rows(&entries);
                let dict = new_trailer
                    .set("Size", i64::from(number + 1))
                    .set("Type", Obj::name("XRef"))
                    .set("W", Obj::Array(vec![Obj::Int(1), Obj::Int(4), Obj::Int(2)]))
                    .set(
                        "Index",
                        Obj::Array(index.into_iter().map(Obj::Int).collect()),
                    );
                out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
                out.extend_from_slice(&stream_bytes(dict, &data));
                out.extend_from_slice(b"\nendobj\n");
            }
            _ => {
                out.extend_from_slice(table(&entries).as_bytes());
                out.extend_from_slice(b"trailer\n");
                new_trailer.write(&mut out);
                out.push(b'\n');
            }
        }
        out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
        Ok(UpdatedFile {
            bytes: out,
            offsets,
        })
    }
}

fn stream_bytes(dict: Dict, data: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(data.len() + 64);
    dict.set("Length", i64::try_from(data.len()).unwrap_or(i64::MAX))
        .write(&mut bytes);
    bytes.extend_from_slice(b"\nstream\n");
    bytes.extend_from_slice(data);
    bytes.extend_from_slice(b"\nendstream");
    bytes
}

/// Consecutive runs of object numbers: (first, count) pairs.
fn runs(entries: &BTreeMap<u32, (usize, u16)>) -> Vec<(u32, Vec<(usize, u16)>)> {
    let mut runs: Vec<(u32, Vec<(usize, u16)>)> = Vec::new();
    for (&number, &entry) in entries {
        match runs.last_mut() {
            Some((first, items)) if *first + items.len() as u32 == number => items.push(entry),
            _ => runs.push((number, vec![entry])),
        }
    }
    runs
}

/// A classic cross-reference section with one subsection per run (§7.5.4); entries are
/// exactly 20 bytes.
fn table(entries: &BTreeMap<u32, (usize, u16)>) -> String {
    let mut text = String::from("xref\n");
    for (first, items) in runs(entries) {
        let _ = writeln!(text, "{first} {}", items.len());
        for (offset, generation) in items {
            let _ = write!(text, "{offset:010} {generation:05} n\r\n");
        }
    }
    text
}

/// The /Index array and the rows of a cross-reference stream with /W [1 4 2] (§7.5.8.2).
fn stream_rows(entries: &BTreeMap<u32, (usize, u16)>) -> (Vec<i64>, Vec<u8>) {
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (first, items) in runs(entries) {
        index.push(i64::from(first));
        index.push(items.len() as i64);
        for (offset, generation) in items {
            data.push(1);
            // Offsets beyond 4 GiB cannot occur: the reader caps file sizes far below.
            data.extend_from_slice(&u32::try_from(offset).unwrap_or(u32::MAX).to_be_bytes());
            data.extend_from_slice(&generation.to_be_bytes());
        }
    }
    (index, data)
}

/// Converts an object read from the file into one the writer can write back. Streams
/// cannot be direct objects and are refused; `at` names the object for the error.
pub fn to_obj(object: &Object, at: ObjectId) -> Result<Obj, UpdateError> {
    let unrepresentable = |what| UpdateError::Unrepresentable {
        number: at.number,
        generation: at.generation,
        what,
    };
    Ok(match object {
        Object::Null => Obj::Null,
        Object::Bool(b) => Obj::Bool(*b),
        Object::Int(i) => Obj::Int(*i),
        Object::Real(r) => Obj::Real(*r),
        Object::String(s) => Obj::Str(s.clone()),
        Object::Name(n) => Obj::Name(
            String::from_utf8(n.clone())
                .map_err(|_| unrepresentable("a name that is not UTF-8"))?,
        ),
        Object::Array(items) => Obj::Array(
            items
                .iter()
                .map(|item| to_obj(item, at))
                .collect::<Result<_, _>>()?,
        ),
        Object::Dict(dict) => Obj::Dict(to_dict(dict, at)?),
        Object::Stream(_) => return Err(unrepresentable("a stream inside another object")),
        Object::Ref(id) => Obj::Indirect(id.number, id.generation),
    })
}

/// [`to_obj`] for a dictionary.
pub fn to_dict(dict: &Dictionary, at: ObjectId) -> Result<Dict, UpdateError> {
    let mut out = Dict::new();
    for (key, value) in dict.iter() {
        let key = std::str::from_utf8(key).map_err(|_| UpdateError::Unrepresentable {
            number: at.number,
            generation: at.generation,
            what: "a dictionary key that is not UTF-8",
        })?;
        out.insert(key, to_obj(value, at)?);
    }
    Ok(out)
}

/// A PDF hexadecimal string of `len` zero bytes: the /Contents placeholder.
pub fn zero_hex(len: usize) -> String {
    crate::hex::upper(&vec![0; len])
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE_PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n2 0 obj\n<</Type/Pages/Kids[3 0 R]/Count 1>>\nendobj\n3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>\nendobj\n";

    fn table_file() -> Vec<u8> {
        let mut bytes = TABLE_PDF.to_vec();
        let offsets: Vec<usize> = [b"1 0 obj", b"2 0 obj", b"3 0 obj"]
            .iter()
            .map(|needle| {
                bytes
                    .windows(needle.len())
                    .position(|w| w == *needle)
                    .unwrap()
            })
            .collect();
        let xref = bytes.len();
        let mut text = String::from("xref\n0 4\n0000000000 65535 f\r\n");
        for offset in offsets {
            text.push_str(&format!("{offset:010} 00000 n\r\n"));
        }
        text.push_str(&format!(
            "trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF"
        ));
        bytes.extend_from_slice(text.as_bytes());
        bytes
    }

    #[test]
    fn update_keeps_the_original_as_prefix_and_reads_back() {
        let original = table_file();
        let document = Document::load(&original).unwrap();
        let mut update = IncrementalUpdate::new(&document).unwrap();
        let new = update.alloc();
        assert_eq!(new.number(), 4);
        update.add(PendingObject::Object(new, Obj::Int(42)));
        let catalog = document.catalog().unwrap();
        let dict = to_dict(&catalog, ObjectId::new(1, 0))
            .unwrap()
            .set("Extra", new);
        update.replace(ObjectId::new(1, 0), &Obj::Dict(dict));
        let file = update.finish().unwrap();
        assert!(file.bytes.starts_with(&original));
        let again = Document::load(&file.bytes).unwrap();
        assert_eq!(again.revisions().len(), 2);
        assert_eq!(again.get(ObjectId::new(4, 0)).unwrap(), Object::Int(42));
        let catalog = again.catalog().unwrap();
        assert_eq!(
            catalog.get("Extra"),
            Some(&Object::Ref(ObjectId::new(4, 0)))
        );
        assert!(again.trailer().get("ID").is_some());
    }

    #[test]
    fn update_of_an_xref_stream_file_is_a_stream() {
        // Build a file whose only section is a cross-reference stream, from the table file.
        let base = TABLE_PDF.to_vec();
        let document_bytes = {
            let mut bytes = base.clone();
            let find = |needle: &[u8]| bytes.windows(needle.len()).position(|w| w == needle);
            let o: Vec<usize> = [&b"1 0 obj"[..], b"2 0 obj", b"3 0 obj"]
                .iter()
                .map(|n| find(n).unwrap())
                .collect();
            let mut entries = BTreeMap::new();
            for (i, offset) in o.iter().enumerate() {
                entries.insert(i as u32 + 1, (*offset, 0u16));
            }
            let xref_at = bytes.len();
            entries.insert(4, (xref_at, 0));
            let (index, data) = stream_rows(&entries);
            let dict = Dict::new()
                .set("Type", Obj::name("XRef"))
                .set("Size", 5i64)
                .set("Root", Obj::Indirect(1, 0))
                .set("W", Obj::Array(vec![Obj::Int(1), Obj::Int(4), Obj::Int(2)]))
                .set(
                    "Index",
                    Obj::Array(index.into_iter().map(Obj::Int).collect()),
                );
            bytes.extend_from_slice(b"4 0 obj\n");
            bytes.extend_from_slice(&stream_bytes(dict, &data));
            bytes.extend_from_slice(format!("\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
            bytes
        };
        let document = Document::load(&document_bytes).unwrap();
        let mut update = IncrementalUpdate::new(&document).unwrap();
        let id = update.alloc();
        assert_eq!(id.number(), 5);
        update.add(PendingObject::Object(id, Obj::Bool(true)));
        let file = update.finish().unwrap();
        let again = Document::load(&file.bytes).unwrap();
        assert_eq!(again.revisions().last().unwrap().kind, XrefKind::Stream);
        assert_eq!(again.get(ObjectId::new(5, 0)).unwrap(), Object::Bool(true));
        assert!(file.bytes.starts_with(&document_bytes));
    }
}
