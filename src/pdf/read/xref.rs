//! Cross-reference sections and revisions (ISO 32000-1 §7.5.4–7.5.8): `startxref` found from
//! the end, classic tables, cross-reference streams, hybrid files (/XRefStm), and the /Prev
//! chain of incremental updates (§7.5.6), each section becoming a [`Revision`]. Reading the
//! objects the entries point at is left to `document`.

use std::collections::{BTreeMap, HashSet};

use super::filter;
use super::lexer::{Lexer, Origin, Token, find, rfind};
use super::object::{Dictionary, Object, ObjectId};
use super::{Limits, Location, PdfReadError, Result};

/// Where an object is, as one cross-reference entry says (§7.5.4, §7.5.8.3 Table 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefEntry {
    /// Deleted or never used: the object is null.
    Free { next: u32, generation: u16 },
    /// At a byte offset of the file.
    InUse { offset: usize, generation: u16 },
    /// Object `index` of the object stream numbered `stream` (§7.5.7); generation 0.
    Compressed { stream: u32, index: u32 },
}

/// How a revision's cross-reference section is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum XrefKind {
    /// A classic `xref` table and `trailer` (§7.5.4, §7.5.5).
    Table,
    /// A cross-reference stream (§7.5.8).
    Stream,
    /// A table whose trailer adds a stream with /XRefStm (§7.5.8.4).
    Hybrid,
    /// A linearized file's first-page and main sections, read as one revision (Annex F).
    Linearized,
}

/// One revision of the file: the original or one incremental update (§7.5.6).
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// The offset `startxref` gives for this revision's section.
    pub xref_offset: usize,
    pub kind: XrefKind,
    /// The offset just after this revision's `%%EOF` and its end-of-line: the bytes
    /// `0..end` are the file as it was when this revision was written. A signature's
    /// /ByteRange covers exactly such a prefix.
    pub end: usize,
    /// The trailer dictionary (for a stream section, the stream's dictionary).
    pub trailer: Dictionary,
    /// The entries this section itself lists.
    pub entries: BTreeMap<u32, XrefEntry>,
}

/// The offset that the last `startxref` in the final 1024 bytes gives (§7.5.5).
pub(crate) fn find_startxref(bytes: &[u8]) -> Result<usize> {
    let tail_start = bytes.len().saturating_sub(1024);
    let at = rfind(&bytes[tail_start..], b"startxref").ok_or(PdfReadError::NoStartXref)?;
    let mut lexer = Lexer::new(bytes, tail_start + at + 9, Origin::File, 1);
    match lexer.token() {
        Ok(Some(Token::Int(n))) => {
            usize::try_from(n)
                .ok()
                .filter(|&n| n < bytes.len())
                .ok_or(PdfReadError::Xref {
                    at: Location::Offset(tail_start + at),
                    problem: "startxref points outside the file",
                })
        }
        _ => Err(PdfReadError::Xref {
            at: Location::Offset(tail_start + at),
            problem: "startxref is not followed by an offset",
        }),
    }
}

struct Section {
    kind: XrefKind,
    trailer: Dictionary,
    entries: BTreeMap<u32, XrefEntry>,
}

/// Reads every revision along the /Prev chain, oldest first.
pub(crate) fn read_revisions(bytes: &[u8], limits: &Limits) -> Result<Vec<Revision>> {
    let mut offset = find_startxref(bytes)?;
    let mut seen = HashSet::new();
    let mut newest_first: Vec<Revision> = Vec::new();
    loop {
        if !seen.insert(offset) {
            return Err(PdfReadError::Xref {
                at: Location::Offset(offset),
                problem: "the /Prev chain loops back to this section",
            });
        }
        if seen.len() > limits.max_revisions {
            return Err(PdfReadError::TooMany {
                what: "revisions",
                limit: limits.max_revisions,
            });
        }
        let section = read_section(bytes, offset, limits)?;
        let prev = match section.trailer.get("Prev") {
            None => None,
            Some(Object::Int(p)) => Some(
                usize::try_from(*p)
                    .ok()
                    .filter(|&p| p < bytes.len())
                    .ok_or(PdfReadError::Xref {
                        at: Location::Offset(offset),
                        problem: "/Prev points outside the file",
                    })?,
            ),
            Some(other) => {
                return Err(PdfReadError::WrongType {
                    at: Location::Offset(offset),
                    key: "Prev",
                    expected: "an integer",
                    found: other.type_name(),
                });
            }
        };
        let end = find(&bytes[offset..], b"%%EOF")
            .map(|i| after_eol(bytes, offset + i + 5))
            .unwrap_or(bytes.len());
        match newest_first.last_mut() {
            // A section after the newer one in the file but older in the chain: the main
            // section of a linearized file, whose first-page section came first (Annex F).
            Some(newer) if offset > newer.xref_offset => {
                for (number, entry) in section.entries {
                    newer.entries.entry(number).or_insert(entry);
                }
                newer.end = newer.end.max(end);
                newer.kind = XrefKind::Linearized;
            }
            _ => newest_first.push(Revision {
                xref_offset: offset,
                kind: section.kind,
                end,
                trailer: section.trailer,
                entries: section.entries,
            }),
        }
        match prev {
            Some(p) => offset = p,
            None => break,
        }
    }
    newest_first.reverse();
    Ok(newest_first)
}

fn after_eol(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at..at + 2) {
        Some(b"\r\n") => at + 2,
        _ if matches!(bytes.get(at), Some(b'\r' | b'\n')) => at + 1,
        _ => at,
    }
}

fn read_section(bytes: &[u8], offset: usize, limits: &Limits) -> Result<Section> {
    let mut lexer = Lexer::new(bytes, offset, Origin::File, limits.max_depth);
    if lexer.keyword(b"xref") {
        let (mut entries, trailer) = read_table(&mut lexer, limits)?;
        let Some(stream_at) = trailer.get("XRefStm") else {
            return Ok(Section {
                kind: XrefKind::Table,
                trailer,
                entries,
            });
        };
        let stream_at = stream_at
            .as_int()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n < bytes.len())
            .ok_or(PdfReadError::Xref {
                at: Location::Offset(offset),
                problem: "/XRefStm is not an offset in the file",
            })?;
        let (stream_entries, _) = read_stream(bytes, stream_at, limits)?;
        // §7.5.8.4: the table is searched first, then the stream; a free table entry does not
        // hide an object that only the stream lists.
        for (number, entry) in stream_entries {
            match entries.get(&number) {
                Some(XrefEntry::InUse { .. } | XrefEntry::Compressed { .. }) => {}
                _ => {
                    entries.insert(number, entry);
                }
            }
        }
        Ok(Section {
            kind: XrefKind::Hybrid,
            trailer,
            entries,
        })
    } else {
        let (entries, trailer) = read_stream(bytes, offset, limits)?;
        Ok(Section {
            kind: XrefKind::Stream,
            trailer,
            entries,
        })
    }
}

/// A classic table: subsections of `first count` followed by `offset generation n|f`
/// entries, then `trailer` and its dictionary (§7.5.4, §7.5.5). Entries are read as tokens,
/// so a writer's wrong end-of-line width does not shift them.
fn read_table(
    lexer: &mut Lexer<'_>,
    limits: &Limits,
) -> Result<(BTreeMap<u32, XrefEntry>, Dictionary)> {
    let mut entries = BTreeMap::new();
    loop {
        let at = lexer.pos;
        let bad = |problem| PdfReadError::Xref {
            at: Location::Offset(at),
            problem,
        };
        match lexer.token()? {
            Some(Token::Keyword(b"trailer")) => break,
            Some(Token::Int(first)) => {
                let Ok(Some(Token::Int(count))) = lexer.token() else {
                    return Err(bad("a subsection header needs a first number and a count"));
                };
                let first = u32::try_from(first).map_err(|_| bad("negative object number"))?;
                let count = u32::try_from(count).map_err(|_| bad("negative entry count"))?;
                for i in 0..count {
                    let at = lexer.pos;
                    let bad = |problem| PdfReadError::Xref {
                        at: Location::Offset(at),
                        problem,
                    };
                    let number = first.checked_add(i).ok_or(bad("object number overflows"))?;
                    let (Ok(Some(Token::Int(a))), Ok(Some(Token::Int(g))), Ok(Some(kind))) =
                        (lexer.token(), lexer.token(), lexer.token())
                    else {
                        return Err(bad("an entry must be `offset generation n|f`"));
                    };
                    let generation =
                        u16::try_from(g).map_err(|_| bad("generation out of range"))?;
                    let entry = match kind {
                        Token::Keyword(b"n") => XrefEntry::InUse {
                            offset: usize::try_from(a).map_err(|_| bad("negative offset"))?,
                            generation,
                        },
                        Token::Keyword(b"f") => XrefEntry::Free {
                            next: u32::try_from(a).unwrap_or(0),
                            generation,
                        },
                        _ => return Err(bad("an entry must end in n or f")),
                    };
                    // The first section listing a number wins within one table.
                    entries.entry(number).or_insert(entry);
                    if entries.len() > limits.max_objects {
                        return Err(PdfReadError::TooMany {
                            what: "cross-reference entries",
                            limit: limits.max_objects,
                        });
                    }
                }
            }
            Some(_) => return Err(bad("expected a subsection or `trailer`")),
            None => {
                return Err(PdfReadError::Truncated {
                    at: Location::Offset(at),
                    inside: "a cross-reference table",
                });
            }
        }
    }
    let at = lexer.pos;
    match lexer.object(true)? {
        Object::Dict(trailer) => Ok((entries, trailer)),
        _ => Err(PdfReadError::Syntax {
            at: Location::Offset(at),
            expected: "the trailer dictionary",
        }),
    }
}

/// A cross-reference stream (§7.5.8): its /W field widths, /Index subsections and binary
/// entries. Its dictionary doubles as the trailer.
fn read_stream(
    bytes: &[u8],
    offset: usize,
    limits: &Limits,
) -> Result<(BTreeMap<u32, XrefEntry>, Dictionary)> {
    let at = Location::Offset(offset);
    let bad = |problem| PdfReadError::Xref { at, problem };
    let mut lexer = Lexer::new(bytes, offset, Origin::File, limits.max_depth);
    // §7.5.8.2: /Length of a cross-reference stream is direct, so nothing is resolved.
    let (_, object) = lexer.indirect(&|_| None).map_err(|e| match e {
        PdfReadError::Syntax { .. } => bad("no `xref` table or cross-reference stream here"),
        other => other,
    })?;
    let Object::Stream(stream) = object else {
        return Err(bad("the object here is not a cross-reference stream"));
    };
    if !stream.dict.has_type("XRef") {
        return Err(bad("the stream here is not /Type /XRef"));
    }
    let filters = filter::filter_list(&stream.dict, at)?;
    let data = filter::decode(&stream.raw, &filters, limits, at)?.data;
    let widths: Vec<usize> = stream
        .dict
        .get("W")
        .and_then(Object::as_array)
        .and_then(|w| {
            w.iter()
                .map(|v| v.as_int().and_then(|n| usize::try_from(n).ok()))
                .collect::<Option<Vec<_>>>()
        })
        .filter(|w| w.len() == 3 && w.iter().all(|&n| n <= 8) && w[1] > 0)
        .ok_or(bad("/W must be three field widths of at most 8 bytes"))?;
    let size = stream
        .dict
        .get("Size")
        .and_then(Object::as_int)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or(bad("/Size must be a non-negative integer"))?;
    let index: Vec<u32> = match stream.dict.get("Index") {
        None => vec![0, size],
        Some(Object::Array(items)) => items
            .iter()
            .map(|v| v.as_int().and_then(|n| u32::try_from(n).ok()))
            .collect::<Option<Vec<_>>>()
            .filter(|v| v.len() % 2 == 0)
            .ok_or(bad("/Index must be pairs of non-negative integers"))?,
        Some(_) => return Err(bad("/Index must be an array")),
    };
    let row = widths.iter().sum::<usize>();
    let mut rows = data.chunks_exact(row);
    let mut entries = BTreeMap::new();
    for pair in index.chunks_exact(2) {
        for i in 0..pair[1] {
            let number = pair[0]
                .checked_add(i)
                .ok_or(bad("object number overflows"))?;
            let Some(fields) = rows.next() else {
                return Err(bad("the stream has fewer entries than /Index lists"));
            };
            let (f0, rest) = fields.split_at(widths[0]);
            let (f1, f2) = rest.split_at(widths[1]);
            let kind = if widths[0] == 0 { 1 } else { be(f0) };
            let (a, b) = (be(f1), be(f2));
            let entry = match kind {
                0 => XrefEntry::Free {
                    next: u32::try_from(a).unwrap_or(0),
                    generation: u16::try_from(b).unwrap_or(u16::MAX),
                },
                1 => XrefEntry::InUse {
                    offset: usize::try_from(a).map_err(|_| bad("offset out of range"))?,
                    generation: u16::try_from(b).map_err(|_| bad("generation out of range"))?,
                },
                2 => XrefEntry::Compressed {
                    stream: u32::try_from(a)
                        .map_err(|_| bad("object stream number out of range"))?,
                    index: u32::try_from(b).map_err(|_| bad("index out of range"))?,
                },
                // §7.5.8.3: other types are references to the null object.
                _ => continue,
            };
            entries.entry(number).or_insert(entry);
            if entries.len() > limits.max_objects {
                return Err(PdfReadError::TooMany {
                    what: "cross-reference entries",
                    limit: limits.max_objects,
                });
            }
        }
    }
    let mut trailer = stream.dict;
    // The stream's own keys are not trailer keys; drop the ones that would mislead.
    trailer.0.retain(|(k, _)| {
        !matches!(
            k.as_slice(),
            b"Length" | b"Filter" | b"DecodeParms" | b"W" | b"Index" | b"Type"
        )
    });
    Ok((entries, trailer))
}

/// A big-endian unsigned field of up to 8 bytes.
fn be(field: &[u8]) -> u64 {
    field.iter().fold(0, |acc, &b| acc << 8 | u64::from(b))
}

/// The newest entry for every object number over all revisions (§7.5.6): later sections
/// replace earlier ones, including by freeing an object.
pub(crate) fn merge(revisions: &[Revision]) -> BTreeMap<u32, XrefEntry> {
    let mut merged = BTreeMap::new();
    for revision in revisions {
        for (&number, &entry) in &revision.entries {
            merged.insert(number, entry);
        }
    }
    merged
}

/// The entry for `id` if it matches the generation asked for.
pub(crate) fn lookup(entries: &BTreeMap<u32, XrefEntry>, id: ObjectId) -> Option<XrefEntry> {
    match entries.get(&id.number)? {
        e @ XrefEntry::InUse { generation, .. } if *generation == id.generation => Some(*e),
        e @ XrefEntry::Compressed { .. } if id.generation == 0 => Some(*e),
        _ => None,
    }
}
