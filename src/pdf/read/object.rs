//! The objects a PDF file holds, as read (ISO 32000-1 §7.3): values, dictionaries that keep
//! their key order, streams with their raw bytes, and typed accessors. Parsing is left to
//! `lexer`, decoding stream data to `filter`, resolving references to `document`.

use std::fmt;

/// An indirect object's number and generation (ISO 32000-1 §7.3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    pub number: u32,
    pub generation: u16,
}

impl ObjectId {
    pub fn new(number: u32, generation: u16) -> ObjectId {
        ObjectId { number, generation }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} R", self.number, self.generation)
    }
}

/// A PDF object as found in the file. Names and strings are bytes: PDF does not promise they
/// are UTF-8 (names are byte sequences after `#xx` decoding, ISO 32000-1 §7.3.5).
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    /// A literal or hexadecimal string, escapes already decoded (§7.3.4).
    String(Vec<u8>),
    /// A name without its leading slash, `#xx` already decoded (§7.3.5).
    Name(Vec<u8>),
    Array(Vec<Object>),
    Dict(Dictionary),
    Stream(Stream),
    Ref(ObjectId),
}

impl Object {
    pub fn as_dict(&self) -> Option<&Dictionary> {
        match self {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }

    pub fn as_stream(&self) -> Option<&Stream> {
        match self {
            Object::Stream(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Object]> {
        match self {
            Object::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Object::Name(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Object::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// An integer or a real as `f64` (ISO 32000-1 §7.3.3: integers convert where reals are
    /// expected).
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Object::Int(i) => Some(*i as f64),
            Object::Real(r) => Some(*r),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Object::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_string(&self) -> Option<&[u8]> {
        match self {
            Object::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_ref(&self) -> Option<ObjectId> {
        match self {
            Object::Ref(r) => Some(*r),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Object::Null)
    }

    /// The object's type as ISO 32000-1 names it, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Object::Null => "null",
            Object::Bool(_) => "boolean",
            Object::Int(_) => "integer",
            Object::Real(_) => "real",
            Object::String(_) => "string",
            Object::Name(_) => "name",
            Object::Array(_) => "array",
            Object::Dict(_) => "dictionary",
            Object::Stream(_) => "stream",
            Object::Ref(_) => "indirect reference",
        }
    }
}

/// A dictionary in file order. Lookups are linear, which beats hashing for the handful of
/// keys real dictionaries have; a key given twice keeps its last value on lookup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dictionary(pub Vec<(Vec<u8>, Object)>);

impl Dictionary {
    pub fn new() -> Dictionary {
        Dictionary::default()
    }

    /// The value of `key` (without the slash). A null value counts as absent (§7.3.7).
    pub fn get(&self, key: &str) -> Option<&Object> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key.as_bytes())
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Whether `/Type` is the given name.
    pub fn has_type(&self, name: &str) -> bool {
        self.get("Type").and_then(Object::as_name) == Some(name.as_bytes())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Object)> {
        self.0.iter().map(|(k, v)| (k.as_slice(), v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn insert(&mut self, key: &str, value: Object) {
        match self.0.iter_mut().find(|(k, _)| k == key.as_bytes()) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.as_bytes().to_vec(), value)),
        }
    }
}

/// A stream object (ISO 32000-1 §7.3.8): its dictionary and the raw, still encoded bytes
/// between `stream` and `endstream`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    pub dict: Dictionary,
    /// Shared, so a parsed stream can be kept and handed out again without copying its data.
    pub raw: std::sync::Arc<[u8]>,
    /// Where the data starts in the file (or in the decoded object stream it came from,
    /// which cannot happen for streams: §7.5.7 forbids streams in object streams).
    pub data_offset: usize,
    /// True when /Length was wrong or unresolvable and the data was cut at the `endstream`
    /// keyword instead. The file is not well formed; verification reports it.
    pub length_fallback: bool,
}

/// A rectangle (ISO 32000-1 §7.9.5), normalized so that `llx ≤ urx` and `lly ≤ ury`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rectangle {
    pub llx: f64,
    pub lly: f64,
    pub urx: f64,
    pub ury: f64,
}

impl Rectangle {
    /// Reads `[a b c d]`; `None` unless it is four finite numbers.
    pub fn from_object(object: &Object) -> Option<Rectangle> {
        let items = object.as_array()?;
        if items.len() != 4 {
            return None;
        }
        let mut v = [0.0; 4];
        for (slot, item) in v.iter_mut().zip(items) {
            *slot = item.as_number().filter(|n| n.is_finite())?;
        }
        Some(Rectangle {
            llx: v[0].min(v[2]),
            lly: v[1].min(v[3]),
            urx: v[0].max(v[2]),
            ury: v[1].max(v[3]),
        })
    }

    pub fn width(&self) -> f64 {
        self.urx - self.llx
    }

    pub fn height(&self) -> f64 {
        self.ury - self.lly
    }

    /// The overlap of two rectangles, or `None` if they do not overlap.
    pub fn intersect(&self, other: &Rectangle) -> Option<Rectangle> {
        let r = Rectangle {
            llx: self.llx.max(other.llx),
            lly: self.lly.max(other.lly),
            urx: self.urx.min(other.urx),
            ury: self.ury.min(other.ury),
        };
        (r.llx < r.urx && r.lly < r.ury).then_some(r)
    }
}
