//! The document: the bytes, the revisions and the merged cross-reference of the newest one;
//! fetching objects by number, from the file or from object streams (ISO 32000-1 §7.5.7),
//! following references with cycle protection, and decoding streams. The page tree is read
//! in `page`; what objects mean is left to callers.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use super::filter::{self, DecodedStream};
use super::lexer::{Lexer, Origin, Token, find};
use super::object::{Dictionary, Object, ObjectId, Stream};
use super::xref::{self, Revision, XrefEntry};
use super::{Limits, Location, PdfReadError, Result};

/// A parsed object stream: its decoded data and where each object starts in it.
#[derive(Debug)]
struct ObjectStream {
    data: Vec<u8>,
    /// (object number, offset in `data`), in stream order.
    objects: Vec<(u32, usize)>,
}

/// A PDF file opened for reading. Objects are parsed when asked for; decoded object streams
/// are kept, up to a total of twice [`Limits::max_decoded_bytes`].
pub struct Document<'a> {
    bytes: &'a [u8],
    limits: Limits,
    version: String,
    revisions: Vec<Revision>,
    entries: BTreeMap<u32, XrefEntry>,
    /// Decoded object streams by the file offset of their object, which stays right when an
    /// update replaces an object stream under the same number.
    object_streams: Mutex<HashMap<usize, Arc<ObjectStream>>>,
    /// Object streams (by offset) being decoded right now: an object stream whose /Filter lives in an
    /// object stream being loaded would otherwise recurse without end.
    loading: Mutex<Vec<usize>>,
    /// Objects already parsed, by number and file offset (the bytes never change): comparing
    /// revisions reads the same objects — a signature dictionary with tens of kilobytes of
    /// /Contents, a page's scanned image — again and again.
    parsed: Mutex<HashMap<(ObjectId, usize), Object>>,
}

/// How many parsed objects a document keeps for reuse.
const MAX_CACHED_OBJECTS: usize = 50_000;

/// How many object streams may be loading one inside another (through indirect filters).
const MAX_NESTED_OBJECT_STREAMS: usize = 4;

impl std::fmt::Debug for Document<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("bytes", &self.bytes.len())
            .field("version", &self.version)
            .field("revisions", &self.revisions.len())
            .field("objects", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Document<'a> {
    /// Opens a file with the default [`Limits`].
    pub fn load(bytes: &'a [u8]) -> Result<Document<'a>> {
        Document::load_with(bytes, Limits::default())
    }

    /// Opens a file: finds the header and `startxref`, reads every cross-reference section
    /// along the /Prev chain, and refuses encrypted files (§7.6: /Encrypt in the trailer).
    pub fn load_with(bytes: &'a [u8], limits: Limits) -> Result<Document<'a>> {
        let head = &bytes[..bytes.len().min(1024)];
        let header = find(head, b"%PDF-").ok_or(PdfReadError::NotPdf)?;
        let version = head[header + 5..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .map(|&b| b as char)
            .collect();
        let revisions = xref::read_revisions(bytes, &limits)?;
        let entries = xref::merge(&revisions);
        if entries.len() > limits.max_objects {
            return Err(PdfReadError::TooMany {
                what: "objects",
                limit: limits.max_objects,
            });
        }
        let document = Document {
            bytes,
            limits,
            version,
            revisions,
            entries,
            object_streams: Mutex::new(HashMap::new()),
            loading: Mutex::new(Vec::new()),
            parsed: Mutex::new(HashMap::new()),
        };
        if document.trailer().contains("Encrypt") {
            return Err(PdfReadError::Encrypted);
        }
        Ok(document)
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The version in the `%PDF-x.y` header; the catalog's /Version may raise it (§7.2.2).
    pub fn header_version(&self) -> &str {
        &self.version
    }

    /// Every revision, oldest first; the last is the newest (§7.5.6).
    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    /// The newest revision's trailer.
    pub fn trailer(&self) -> &Dictionary {
        // `read_revisions` returns at least one revision or fails.
        static EMPTY: Dictionary = Dictionary(Vec::new());
        self.revisions.last().map_or(&EMPTY, |r| &r.trailer)
    }

    /// The merged cross-reference of the newest revision.
    pub fn xref(&self) -> &BTreeMap<u32, XrefEntry> {
        &self.entries
    }

    /// The document catalog (/Root, §7.7.2).
    pub fn catalog(&self) -> Result<Dictionary> {
        let root = self.trailer().get("Root").ok_or(PdfReadError::MissingKey {
            at: Location::Trailer,
            key: "Root",
        })?;
        self.resolve_dict(root, Location::Trailer, "Root")
    }

    /// The object `id` as the newest revision has it; null when it is free or not listed
    /// (§7.3.10). The result may itself be a reference; [`Document::resolve`] follows those.
    pub fn get(&self, id: ObjectId) -> Result<Object> {
        self.get_in(&self.entries, id)
    }

    /// The merged cross-reference as it stood after revision `index` (0 is the original
    /// file), for looking at an earlier revision with [`Document::get_in`].
    pub fn xref_at(&self, index: usize) -> Option<BTreeMap<u32, XrefEntry>> {
        (index < self.revisions.len()).then(|| xref::merge(&self.revisions[..=index]))
    }

    /// The object `id` as the cross-reference `xref` (from [`Document::xref_at`] or
    /// [`Document::xref`]) has it. Indirect /Length values are read through the newest
    /// revision, which is where the stream data sits in every revision that lists it.
    pub fn get_in(&self, xref: &BTreeMap<u32, XrefEntry>, id: ObjectId) -> Result<Object> {
        match xref::lookup(xref, id) {
            None => Ok(Object::Null),
            Some(XrefEntry::InUse { offset, .. }) => self.read_at(id, offset),
            Some(XrefEntry::Compressed { stream, index }) => {
                self.in_object_stream(xref, id, stream, index, true)
            }
            Some(XrefEntry::Free { .. }) => Ok(Object::Null),
        }
    }

    /// The indirect object written at `offset` as it is in the file, whichever revision
    /// wrote it; for comparing revisions.
    pub fn read_at(&self, id: ObjectId, offset: usize) -> Result<Object> {
        let mismatch = PdfReadError::ObjectMismatch {
            id,
            at: Location::Offset(offset),
        };
        if offset >= self.bytes.len() {
            return Err(mismatch);
        }
        let cached = self
            .parsed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(id, offset))
            .cloned();
        if let Some(object) = cached {
            return Ok(object);
        }
        let mut lexer = Lexer::new(self.bytes, offset, Origin::File, self.limits.max_depth);
        let (found, object) = lexer
            .indirect(&|r| self.length_of(r))
            .map_err(|e| match e {
                PdfReadError::Syntax {
                    expected: "an object header `n g obj`",
                    ..
                } => mismatch.clone(),
                other => other,
            })?;
        if found != id {
            return Err(mismatch);
        }
        let mut parsed = self
            .parsed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A bound, so a file of a million tiny objects cannot grow the cache without end;
        // streams share their data with the cache, so it costs no copy.
        if parsed.len() < MAX_CACHED_OBJECTS {
            parsed.insert((id, offset), object.clone());
        }
        Ok(object)
    }

    /// Where each top-level value of the dictionary object `id`, written at `offset`, lies in
    /// the file, key by key and in file order (duplicates kept). A signature's /ByteRange must
    /// exclude exactly its own /Contents string (ISO 32000-1 §12.8.1), which only the byte
    /// positions can show.
    pub fn dictionary_value_spans(
        &self,
        id: ObjectId,
        offset: usize,
    ) -> Result<Vec<(Vec<u8>, std::ops::Range<usize>)>> {
        let mismatch = PdfReadError::ObjectMismatch {
            id,
            at: Location::Offset(offset),
        };
        let mut lexer = Lexer::new(self.bytes, offset, Origin::File, self.limits.max_depth);
        let header = [lexer.token(), lexer.token(), lexer.token()];
        let expected = [
            Token::Int(i64::from(id.number)),
            Token::Int(i64::from(id.generation)),
            Token::Keyword(b"obj"),
        ];
        if header
            .iter()
            .zip(&expected)
            .any(|(found, want)| !matches!(found, Ok(Some(t)) if t == want))
        {
            return Err(mismatch);
        }
        let not_a_dict = PdfReadError::Syntax {
            at: Location::Object(id),
            expected: "a dictionary",
        };
        if !matches!(lexer.token()?, Some(Token::DictOpen)) {
            return Err(not_a_dict);
        }
        let mut spans = Vec::new();
        loop {
            match lexer.token()? {
                Some(Token::DictClose) => return Ok(spans),
                Some(Token::Name(key)) => {
                    lexer.skip_ws();
                    let start = lexer.pos;
                    let token = lexer.token()?.ok_or(PdfReadError::Truncated {
                        at: Location::Object(id),
                        inside: "a dictionary",
                    })?;
                    lexer.object_from(token, start, true, 1)?;
                    spans.push((key, start..lexer.pos));
                }
                _ => return Err(not_a_dict),
            }
        }
    }

    /// An indirect /Length: a direct integer in the file, or in an object stream already
    /// read. Nothing else is followed, so a /Length can never recurse.
    fn length_of(&self, id: ObjectId) -> Option<i64> {
        match xref::lookup(&self.entries, id)? {
            XrefEntry::InUse { offset, .. } => {
                let mut lexer = Lexer::new(self.bytes, offset, Origin::File, 2);
                let (found, object) = lexer.indirect(&|_| None).ok()?;
                (found == id).then_some(object.as_int()?)
            }
            XrefEntry::Compressed { stream, index } => self
                .in_object_stream(&self.entries, id, stream, index, false)
                .ok()?
                .as_int(),
            XrefEntry::Free { .. } => None,
        }
    }

    fn in_object_stream(
        &self,
        xref: &BTreeMap<u32, XrefEntry>,
        id: ObjectId,
        stream: u32,
        index: u32,
        load: bool,
    ) -> Result<Object> {
        let stream_id = ObjectId::new(stream, 0);
        // An object stream is never itself compressed (§7.5.7).
        let Some(XrefEntry::InUse { offset, .. }) = xref::lookup(xref, stream_id) else {
            return Err(PdfReadError::BadObjectStream {
                id: stream_id,
                problem: "the object stream is missing from the cross-reference",
            });
        };
        let cached = self.lock().get(&offset).cloned();
        let objstm = match cached {
            Some(s) => s,
            None if load => self.load_object_stream(stream_id, offset)?,
            None => {
                return Err(PdfReadError::BadObjectStream {
                    id: ObjectId::new(stream, 0),
                    problem: "not loaded yet",
                });
            }
        };
        // The entry's index is a hint; the stream's own header is what counts.
        let offset = match objstm.objects.get(index as usize) {
            Some(&(number, offset)) if number == id.number => offset,
            _ => match objstm.objects.iter().find(|(n, _)| *n == id.number) {
                Some(&(_, offset)) => offset,
                None => return Ok(Object::Null),
            },
        };
        let mut lexer = Lexer::new(
            &objstm.data,
            offset,
            Origin::ObjectStream(stream),
            self.limits.max_depth,
        );
        lexer.object(true)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<usize, Arc<ObjectStream>>> {
        self.object_streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Decodes an object stream (§7.5.7): /N pairs of `number offset` before /First.
    fn load_object_stream(&self, id: ObjectId, offset: usize) -> Result<Arc<ObjectStream>> {
        let bad = |problem| PdfReadError::BadObjectStream { id, problem };
        {
            let mut loading = self
                .loading
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if loading.contains(&offset) || loading.len() >= MAX_NESTED_OBJECT_STREAMS {
                return Err(bad("its filter depends on an object stream being read"));
            }
            loading.push(offset);
        }
        let result = self.parse_object_stream(id, offset);
        self.loading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|&n| n != offset);
        result
    }

    fn parse_object_stream(&self, id: ObjectId, offset: usize) -> Result<Arc<ObjectStream>> {
        let number = id.number;
        let bad = |problem| PdfReadError::BadObjectStream { id, problem };
        let Object::Stream(stream) = self.read_at(id, offset)? else {
            return Err(bad("is not a stream"));
        };
        if !stream.dict.has_type("ObjStm") {
            return Err(bad("is not /Type /ObjStm"));
        }
        let count = stream
            .dict
            .get("N")
            .and_then(Object::as_int)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(bad("/N is not a count"))?;
        if count > self.limits.max_objects {
            return Err(PdfReadError::TooMany {
                what: "objects in an object stream",
                limit: self.limits.max_objects,
            });
        }
        let first = stream
            .dict
            .get("First")
            .and_then(Object::as_int)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(bad("/First is not an offset"))?;
        let data = self.decode_stream(&stream)?.data;
        if first > data.len() {
            return Err(bad("/First is past the end of the data"));
        }
        let mut lexer = Lexer::new(&data[..first], 0, Origin::ObjectStream(number), 1);
        let mut objects = Vec::with_capacity(count.min(4096));
        for _ in 0..count {
            let (Ok(Some(Token::Int(n))), Ok(Some(Token::Int(o)))) = (lexer.token(), lexer.token())
            else {
                return Err(bad("the header does not hold /N number-offset pairs"));
            };
            let n = u32::try_from(n).map_err(|_| bad("negative object number"))?;
            let o = usize::try_from(o)
                .ok()
                .and_then(|o| first.checked_add(o))
                .filter(|&o| o <= data.len())
                .ok_or(bad("an object offset is outside the data"))?;
            objects.push((n, o));
        }
        let parsed = Arc::new(ObjectStream { data, objects });
        let mut cache = self.lock();
        let held: usize = cache.values().map(|s| s.data.len()).sum();
        if held + parsed.data.len() > self.limits.max_decoded_bytes.saturating_mul(2) {
            cache.clear();
        }
        cache.insert(offset, Arc::clone(&parsed));
        Ok(parsed)
    }

    /// Follows references until a direct object (§7.3.10). A chain longer than
    /// [`Limits::max_reference_chain`] or one that comes back on itself is an error, so
    /// resolving always ends.
    /// Resolves `object` and, if it is an array, each of its items (one level deep), as
    /// /Filter, /DecodeParms and rectangles need.
    pub fn resolve_with_items(&self, object: &Object) -> Result<Object> {
        Ok(match self.resolve(object)? {
            Object::Array(items) => Object::Array(
                items
                    .iter()
                    .map(|i| self.resolve(i))
                    .collect::<Result<_>>()?,
            ),
            other => other,
        })
    }

    pub fn resolve(&self, object: &Object) -> Result<Object> {
        let Object::Ref(first) = object else {
            return Ok(object.clone());
        };
        let mut seen = vec![*first];
        let mut current = self.get(*first)?;
        while let Object::Ref(id) = current {
            if seen.contains(&id) || seen.len() >= self.limits.max_reference_chain {
                return Err(PdfReadError::ReferenceCycle {
                    id: *first,
                    limit: self.limits.max_reference_chain,
                });
            }
            seen.push(id);
            current = self.get(id)?;
        }
        Ok(current)
    }

    /// Resolves `object` and requires a dictionary (or a stream's dictionary).
    pub fn resolve_dict(
        &self,
        object: &Object,
        at: Location,
        key: &'static str,
    ) -> Result<Dictionary> {
        match self.resolve(object)? {
            Object::Dict(d) => Ok(d),
            Object::Stream(s) => Ok(s.dict),
            other => Err(PdfReadError::WrongType {
                at,
                key,
                expected: "a dictionary",
                found: other.type_name(),
            }),
        }
    }

    /// The resolved value of `key`, or `None` when it is absent or null.
    pub fn get_key(&self, dict: &Dictionary, key: &str) -> Result<Option<Object>> {
        match dict.get(key) {
            None => Ok(None),
            Some(v) => Ok(Some(self.resolve(v)?).filter(|v| !v.is_null())),
        }
    }

    /// Decodes a stream's data (§7.4), resolving /Filter and /DecodeParms first.
    pub fn decode_stream(&self, stream: &Stream) -> Result<DecodedStream> {
        let at = Location::Offset(stream.data_offset);
        let mut dict = Dictionary::new();
        for key in ["Filter", "DecodeParms"] {
            if let Some(value) = stream.dict.get(key) {
                let value = self.resolve_with_items(value)?;
                dict.insert(key, value);
            }
        }
        let filters = filter::filter_list(&dict, at)?;
        filter::decode(&stream.raw, &filters, &self.limits, at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::read::XrefKind;

    /// A file with the given `(number, body)` objects, a classic table and `trailer`.
    fn build(objects: &[(u32, &[u8])], trailer: &str) -> Vec<u8> {
        let mut file = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (number, body) in objects {
            offsets.push((*number, file.len()));
            file.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
            file.extend_from_slice(body);
            file.extend_from_slice(b"\nendobj\n");
        }
        let xref = file.len();
        file.extend_from_slice(b"xref\n0 1\n0000000000 65535 f\r\n");
        for (number, at) in offsets {
            file.extend_from_slice(format!("{number} 1\n{at:010} 00000 n\r\n").as_bytes());
        }
        file.extend_from_slice(
            format!("trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        );
        file
    }

    const CATALOG: &[u8] = b"<< /Type /Catalog /Pages 2 0 R >>";

    #[test]
    fn reference_cycles_end_in_an_error() {
        let file = build(
            &[
                (1, CATALOG),
                (
                    2,
                    b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox 7 0 R >>",
                ),
                (
                    3,
                    b"<< /Type /Page /Parent 2 0 R /Rotate -90 /Resources 5 0 R >>",
                ),
                (5, b"6 0 R"),
                (6, b"5 0 R"),
                (7, b"[0 0 612 792]"),
            ],
            "<< /Size 8 /Root 1 0 R >>",
        );
        let doc = Document::load(&file).unwrap();
        assert!(matches!(
            doc.resolve(&Object::Ref(ObjectId::new(5, 0))),
            Err(PdfReadError::ReferenceCycle { .. })
        ));
        // Inherited MediaBox through a reference; the cyclic /Resources is reported.
        assert!(matches!(
            doc.pages(),
            Err(PdfReadError::ReferenceCycle { .. })
        ));
    }

    #[test]
    fn page_tree_inherits_and_refuses_cycles() {
        let file = build(
            &[
                (1, CATALOG),
                (2, b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Rotate 90 /MediaBox [0 0 595 842] /Resources << /X 1 >> >>"),
                (3, b"<< /Type /Page /Parent 2 0 R /Rotate -90 /CropBox [10 10 500 800] >>"),
                (4, b"<< /Type /Pages /Kids [5 0 R] >>"),
                (5, b"<< /Type /Page /MediaBox [0 0 100 200] >>"),
            ],
            "<< /Size 6 /Root 1 0 R >>",
        );
        let doc = Document::load(&file).unwrap();
        let pages = doc.pages().unwrap();
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].rotate, 270);
        assert_eq!(pages[0].visible_box().width(), 490.0);
        assert!(pages[0].resources.contains("X"));
        assert_eq!(pages[1].rotate, 90);
        assert_eq!(pages[1].media_box.height(), 200.0);
        let looped = build(
            &[
                (1, CATALOG),
                (2, b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"),
            ],
            "<< /Size 3 /Root 1 0 R >>",
        );
        let doc = Document::load(&looped).unwrap();
        assert!(matches!(doc.pages(), Err(PdfReadError::PageTree { .. })));
    }

    /// A hybrid file (§7.5.8.4): the table lists the catalog, the page tree and an object
    /// stream; only the /XRefStm stream lists the page, stored in the object stream.
    #[test]
    fn hybrid_file_with_object_stream() {
        let objstm_data = b"3 0 << /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>";
        let mut file = b"%PDF-1.5\n".to_vec();
        let mut at = Vec::new();
        let mut object = |file: &mut Vec<u8>, number: u32, text: &[u8]| {
            at.push((number, file.len()));
            file.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
            file.extend_from_slice(text);
            file.extend_from_slice(b"\nendobj\n");
        };
        object(&mut file, 1, CATALOG);
        object(&mut file, 2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
        let mut stm = format!(
            "<< /Type /ObjStm /N 1 /First 4 /Length {} >>\nstream\n",
            objstm_data.len()
        )
        .into_bytes();
        stm.extend_from_slice(objstm_data);
        stm.extend_from_slice(b"\nendstream");
        object(&mut file, 4, &stm);
        // Entries for 3 (compressed in 4, index 0) with /W [1 2 1].
        let rows = [2u8, 0, 4, 0];
        let mut xs = format!(
            "<< /Type /XRef /Size 6 /W [1 2 1] /Index [3 1] /Length {} >>\nstream\n",
            rows.len()
        )
        .into_bytes();
        xs.extend_from_slice(&rows);
        xs.extend_from_slice(b"\nendstream");
        object(&mut file, 5, &xs);
        let xref_stm = at[3].1;
        let table = file.len();
        file.extend_from_slice(b"xref\n0 3\n0000000000 65535 f\r\n");
        for (_, offset) in &at[..2] {
            file.extend_from_slice(format!("{offset:010} 00000 n\r\n").as_bytes());
        }
        file.extend_from_slice(b"3 1\n0000000000 00000 f\r\n");
        file.extend_from_slice(format!("4 1\n{:010} 00000 n\r\n", at[2].1).as_bytes());
        file.extend_from_slice(
            format!(
                "trailer\n<< /Size 6 /Root 1 0 R /XRefStm {xref_stm} >>\nstartxref\n{table}\n%%EOF\n"
            )
            .as_bytes(),
        );
        let doc = Document::load(&file).unwrap();
        assert_eq!(doc.revisions()[0].kind, XrefKind::Hybrid);
        assert_eq!(doc.revisions()[0].end, file.len());
        let pages = doc.pages().unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].id, Some(ObjectId::new(3, 0)));
    }
}
