//! A strict, safe PDF reader (ISO 32000-1 §7): objects, cross-reference tables and streams,
//! every revision of an incrementally updated file, object streams, the standard filters and
//! the page tree. What the pages show, signatures and repairs of broken files are left to the
//! callers (`digitize::pdf_input`, signing, verification).
//!
//! Strict means: the file must have a `startxref` that points at a readable cross-reference
//! section, and every reference resolves through it; there is no "scan the whole file for
//! `obj`" reconstruction, because a verifier must see the file as a conforming reader does.
//! The single tolerance is a stream whose /Length is wrong, cut at `endstream` and recorded
//! in [`Stream::length_fallback`].
//!
//! Safe means: any input gives a value or a [`PdfReadError`], never a panic; nesting,
//! object counts, decompressed sizes and reference chains are bounded by [`Limits`].
//!
//! One file per concept: [`object`] (values), `lexer` (tokens and objects, §7.2–7.3),
//! `xref` (cross-reference sections and revisions, §7.5), `filter` (§7.4), `document`
//! (resolving objects, object streams §7.5.7), `page` (page tree §7.7.3) and [`content`]
//! (content stream operations, §7.8.2).

pub mod content;
mod document;
mod filter;
mod lexer;
pub mod object;
mod page;
#[cfg(test)]
mod robustness;
mod xref;

pub use document::Document;
pub use filter::{DecodedStream, ImageCodec, decode_stream};
pub use object::{Dictionary, Object, ObjectId, Rectangle, Stream};
pub use page::Page;
pub use xref::{Revision, XrefEntry, XrefKind};

/// Bounds on what a file may make the reader do. `Default` suits scanned dossiers and
/// signed results; a caller with other needs sets its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Deepest nesting of arrays and dictionaries.
    pub max_depth: usize,
    /// Most cross-reference entries (object numbers) in the merged view and per section.
    pub max_objects: usize,
    /// Most bytes one stream may decode to.
    pub max_decoded_bytes: usize,
    /// Longest chain of references followed to reach a direct object.
    pub max_reference_chain: usize,
    /// Most revisions (cross-reference sections in the /Prev chain).
    pub max_revisions: usize,
    /// Most pages in the page tree.
    pub max_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_objects: 4_000_000,
            max_decoded_bytes: 512 << 20,
            max_reference_chain: 32,
            max_revisions: 10_000,
            max_pages: 100_000,
        }
    }
}

impl Limits {
    pub fn with_max_decoded_bytes(mut self, bytes: usize) -> Self {
        self.max_decoded_bytes = bytes;
        self
    }
}

/// Where in the file a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// A byte offset in the file.
    Offset(usize),
    /// An indirect object.
    Object(ObjectId),
    /// A byte offset inside the decoded data of an object stream.
    InObjectStream { stream: u32, offset: usize },
    /// A byte offset inside a decoded content stream.
    InContentStream { offset: usize },
    /// The trailer of the newest revision.
    Trailer,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Offset(at) => write!(f, "at byte {at}"),
            Location::Object(id) => write!(f, "in object {} {}", id.number, id.generation),
            Location::InObjectStream { stream, offset } => {
                write!(f, "in object stream {stream} at byte {offset}")
            }
            Location::InContentStream { offset } => {
                write!(f, "in a content stream at byte {offset}")
            }
            Location::Trailer => f.write_str("in the trailer"),
        }
    }
}

/// Why a PDF could not be read. Every variant says what and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PdfReadError {
    #[error("not a PDF file: no %PDF- header in the first 1024 bytes")]
    NotPdf,
    #[error("the file is password-protected (encrypted, /Encrypt in the trailer)")]
    Encrypted,
    #[error("no startxref in the last 1024 bytes: the file is truncated or not a PDF")]
    NoStartXref,
    #[error("syntax error {at}: expected {expected}")]
    Syntax {
        at: Location,
        expected: &'static str,
    },
    #[error("the file ends {at} inside {inside}: it is truncated")]
    Truncated { at: Location, inside: &'static str },
    #[error("bad cross-reference section {at}: {problem}")]
    Xref { at: Location, problem: &'static str },
    #[error("object {} {} is not where the cross-reference says ({at})", id.number, id.generation)]
    ObjectMismatch { id: ObjectId, at: Location },
    #[error("object {}: {problem}", id.number)]
    BadObjectStream { id: ObjectId, problem: &'static str },
    #[error("nesting deeper than {limit} levels {at}")]
    TooDeep { at: Location, limit: usize },
    #[error("more than {limit} {what}")]
    TooMany { what: &'static str, limit: usize },
    #[error("{at}: the stream decodes to more than {limit} bytes")]
    TooLarge { at: Location, limit: usize },
    #[error("object {} {}: the references form a cycle or a chain longer than {limit}", id.number, id.generation)]
    ReferenceCycle { id: ObjectId, limit: usize },
    #[error("{at}: /{key} should be {expected}, found {found}")]
    WrongType {
        at: Location,
        key: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    #[error("{at}: the required /{key} is missing")]
    MissingKey { at: Location, key: &'static str },
    #[error("{at}: the /{filter} data is corrupt: {problem}")]
    Filter {
        at: Location,
        filter: String,
        problem: String,
    },
    #[error("{at}: the /{filter} filter is not supported")]
    UnsupportedFilter { at: Location, filter: String },
    #[error("{at}: a /{filter} image filter may only be the last filter")]
    ImageFilterNotLast { at: Location, filter: String },
    #[error("the page tree {at}: {problem}")]
    PageTree { at: Location, problem: &'static str },
}

pub type Result<T, E = PdfReadError> = std::result::Result<T, E>;
