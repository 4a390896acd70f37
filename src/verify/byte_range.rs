//! The structure of one signature (ISO 32000-1 §12.8.1, ETSI EN 319 142-1 §5.3): /ByteRange
//! starts at 0, leaves out exactly the signature dictionary's own /Contents hex string, ends
//! where a revision of the file ends, and the dictionary it sits in lies in the signed bytes.
//! These are the checks that defeat universal signature forgery and signature wrapping.
//! Digests and CMS are left to `integrity`.

use crate::pdf::read::{Document, Object, ObjectId, XrefEntry};

/// What a well-formed /ByteRange signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignedRange {
    /// [offset1, length1, offset2, length2].
    pub byte_range: [usize; 4],
    /// The revision whose end the range reaches; `None` when the file was rewritten after
    /// signing and no revision of its current history ends there.
    pub revision: Option<usize>,
    /// The /Contents value (the CMS or timestamp token, with its zero padding).
    pub contents: Vec<u8>,
    /// The covered range reaches the end of the file.
    pub whole_file: bool,
}

impl SignedRange {
    pub fn end(&self) -> usize {
        self.byte_range[2] + self.byte_range[3]
    }
}

/// Why a signature's structure cannot be trusted; each is a FORMAT_FAILURE.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StructureError {
    #[error("the signature field's value is not an indirect signature dictionary")]
    NotIndirect,
    #[error(
        "the signature dictionary is inside an object stream, where /Contents cannot be left out of the signed bytes"
    )]
    Compressed,
    #[error("the signature dictionary cannot be read: {0}")]
    Unreadable(String),
    #[error("the signature dictionary has {count} /{key} entries; exactly one is allowed")]
    KeyCount { key: &'static str, count: usize },
    #[error("/ByteRange is not four non-negative integers")]
    Malformed,
    #[error("/ByteRange does not start at byte 0")]
    NotFromStart,
    #[error("/ByteRange reaches past the end of the file")]
    PastEnd,
    #[error("the gap in /ByteRange is not exactly this signature's /Contents value")]
    GapNotContents,
    #[error("/Contents is not a hexadecimal string")]
    ContentsNotHex,
    #[error("/ByteRange does not end where a revision of the file ends")]
    NotARevision,
    #[error("the signature dictionary is not inside the bytes it signs")]
    DictionaryOutside,
    #[error("the signed revision's cross-reference lies outside the signed bytes")]
    XrefOutside,
}

/// Checks the structure of the signature dictionary `id` against the file.
pub(crate) fn check(
    doc: &Document<'_>,
    id: Option<ObjectId>,
) -> Result<SignedRange, StructureError> {
    let bytes = doc.bytes();
    let id = id.ok_or(StructureError::NotIndirect)?;
    let offset = match doc.xref().get(&id.number) {
        Some(XrefEntry::InUse { offset, .. }) => *offset,
        Some(XrefEntry::Compressed { .. }) => return Err(StructureError::Compressed),
        _ => return Err(StructureError::NotIndirect),
    };
    let spans = doc
        .dictionary_value_spans(id, offset)
        .map_err(|e| StructureError::Unreadable(e.to_string()))?;
    let single = |key: &'static str| {
        let found: Vec<_> = spans.iter().filter(|(k, _)| k == key.as_bytes()).collect();
        match found.as_slice() {
            [one] => Ok(one.1.clone()),
            _ => Err(StructureError::KeyCount {
                key,
                count: found.len(),
            }),
        }
    };
    let contents_span = single("Contents")?;
    let range_span = single("ByteRange")?;
    let dict = doc
        .read_at(id, offset)
        .map_err(|e| StructureError::Unreadable(e.to_string()))?;
    let dict = dict.as_dict().ok_or(StructureError::NotIndirect)?;
    let byte_range = read_byte_range(dict.get("ByteRange"))?;
    let [a, b, c, d] = byte_range;
    if a != 0 {
        return Err(StructureError::NotFromStart);
    }
    let end = c.checked_add(d).ok_or(StructureError::PastEnd)?;
    if b >= c || end > bytes.len() {
        return Err(if end > bytes.len() {
            StructureError::PastEnd
        } else {
            StructureError::Malformed
        });
    }
    if contents_span != (b..c) {
        return Err(StructureError::GapNotContents);
    }
    let gap = &bytes[b..c];
    let hex_digits = &gap[1..gap.len().saturating_sub(1)];
    if gap.len() < 2
        || gap[0] != b'<'
        || gap[gap.len() - 1] != b'>'
        || !hex_digits.iter().all(u8::is_ascii_hexdigit)
    {
        return Err(StructureError::ContentsNotHex);
    }
    let contents = match dict.get("Contents") {
        Some(Object::String(s)) => s.clone(),
        _ => return Err(StructureError::ContentsNotHex),
    };
    // The dictionary itself, /ByteRange included, must be signed: it starts before the gap
    // and its /ByteRange value lies in a signed part.
    let in_signed = |r: &std::ops::Range<usize>| r.end <= b || (r.start >= c && r.end <= end);
    if offset >= b || !in_signed(&range_span) {
        return Err(StructureError::DictionaryOutside);
    }
    let revision = signed_revision(doc, end)?;
    if let Some(index) = revision {
        // The signed view must rest only on signed bytes, and must place the dictionary where
        // the current file does.
        if doc.revisions()[..=index]
            .iter()
            .any(|r| r.xref_offset >= end)
        {
            return Err(StructureError::XrefOutside);
        }
        let signed_entry = doc.xref_at(index).and_then(|x| x.get(&id.number).copied());
        if !matches!(signed_entry, Some(XrefEntry::InUse { offset: o, .. }) if o == offset) {
            return Err(StructureError::DictionaryOutside);
        }
    }
    let whole_file = bytes[end..]
        .iter()
        .all(|b| b.is_ascii_whitespace() || *b == 0);
    Ok(SignedRange {
        byte_range,
        revision,
        contents,
        whole_file,
    })
}

fn read_byte_range(value: Option<&Object>) -> Result<[usize; 4], StructureError> {
    let Some(Object::Array(items)) = value else {
        return Err(StructureError::Malformed);
    };
    let numbers: Vec<usize> = items
        .iter()
        .filter_map(|i| i.as_int().and_then(|n| usize::try_from(n).ok()))
        .collect();
    match numbers.as_slice() {
        [a, b, c, d] if items.len() == 4 => Ok([*a, *b, *c, *d]),
        _ => Err(StructureError::Malformed),
    }
}

/// The revision that ends at `end`, allowing for the end-of-line after `%%EOF` that some
/// writers leave outside the signed range. `Ok(None)` when the signed bytes end in `%%EOF`
/// but no revision of the current history ends there (the file was rewritten after signing).
fn signed_revision(doc: &Document<'_>, end: usize) -> Result<Option<usize>, StructureError> {
    let bytes = doc.bytes();
    let found = doc.revisions().iter().position(|r| {
        r.end == end
            || (r.end > end
                && bytes[end..r.end].iter().all(|b| matches!(b, b'\r' | b'\n'))
                && ends_with_eof(&bytes[..end]))
    });
    match found {
        Some(index) => Ok(Some(index)),
        None if ends_with_eof(&bytes[..end]) => Ok(None),
        None => Err(StructureError::NotARevision),
    }
}

fn ends_with_eof(bytes: &[u8]) -> bool {
    let trimmed = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(&bytes[..0], |last| &bytes[..=last]);
    trimmed.ends_with(b"%%EOF")
}
