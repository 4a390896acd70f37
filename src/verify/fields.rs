//! The interactive form's fields (ISO 32000-1 §12.7.3): every terminal field with its fully
//! qualified name, type and value, and which of them are signature fields holding a
//! signature dictionary (§12.7.4.5). Judging the signatures is left to the callers.

use std::collections::HashSet;

use super::view::RevisionView;
use crate::pdf::read::{Dictionary, Object, ObjectId};

/// Deepest field hierarchy followed, and most fields read: bounds against crafted loops.
const MAX_FIELD_DEPTH: usize = 32;
const MAX_FIELDS: usize = 50_000;

/// A terminal field.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// The field's object (fields are indirect in practice; direct ones have none).
    pub id: Option<ObjectId>,
    /// Partial names joined with '.' (§12.7.3.2).
    pub name: String,
    /// /FT, inherited from parents (§12.7.3.1 Table 220).
    pub field_type: Option<Vec<u8>>,
    /// /V as written (often a reference: for signature fields, to the signature dictionary).
    pub value: Option<Object>,
    /// /Lock of a signature field (§12.7.4.5, Table 233).
    pub lock: Option<Dictionary>,
    /// The widget annotations: the field itself when merged, else its /Kids.
    pub widgets: Vec<ObjectId>,
}

impl Field {
    pub fn is_signature(&self) -> bool {
        self.field_type.as_deref() == Some(b"Sig")
    }
}

/// Every terminal field of the view's AcroForm, in document order.
pub(crate) fn fields(view: &RevisionView<'_, '_>) -> Vec<Field> {
    let mut found = Vec::new();
    let Some(catalog) = view.catalog() else {
        return found;
    };
    let Some(acroform) = catalog.get("AcroForm").and_then(|a| view.dict(a)) else {
        return found;
    };
    let Some(Object::Array(roots)) = view.value(&acroform, "Fields") else {
        return found;
    };
    let mut seen = HashSet::new();
    for root in roots {
        walk(view, &root, "", None, 0, &mut seen, &mut found);
    }
    found
}

fn walk(
    view: &RevisionView<'_, '_>,
    node: &Object,
    parent_name: &str,
    inherited_type: Option<&[u8]>,
    depth: usize,
    seen: &mut HashSet<ObjectId>,
    found: &mut Vec<Field>,
) {
    if depth > MAX_FIELD_DEPTH || found.len() >= MAX_FIELDS {
        return;
    }
    let id = node.as_ref();
    if let Some(id) = id
        && !seen.insert(id)
    {
        return;
    }
    let Some(dict) = view.dict(node) else { return };
    let partial = match view.value(&dict, "T") {
        Some(Object::String(t)) => decode_text(&t),
        _ => String::new(),
    };
    let name = match (parent_name.is_empty(), partial.is_empty()) {
        (true, _) => partial,
        (false, true) => parent_name.to_owned(),
        (false, false) => format!("{parent_name}.{partial}"),
    };
    let field_type = match view.value(&dict, "FT") {
        Some(Object::Name(n)) => Some(n),
        _ => inherited_type.map(<[u8]>::to_vec),
    };
    // Kids that carry /T are fields; kids without are widgets of this field (§12.7.3.1).
    let kids = match view.value(&dict, "Kids") {
        Some(Object::Array(kids)) => kids,
        _ => Vec::new(),
    };
    let mut widgets = Vec::new();
    let mut child_fields = Vec::new();
    for kid in kids {
        match view.dict(&kid) {
            Some(k) if k.contains("T") => child_fields.push(kid),
            Some(_) => widgets.extend(kid.as_ref()),
            None => {}
        }
    }
    if child_fields.is_empty() {
        if dict.get("Subtype").and_then(Object::as_name) == Some(b"Widget") {
            widgets.extend(id);
        }
        found.push(Field {
            id,
            name,
            value: dict.get("V").cloned(),
            lock: dict.get("Lock").and_then(|l| view.dict(l)),
            field_type,
            widgets,
        });
        return;
    }
    for child in child_fields {
        walk(
            view,
            &child,
            &name,
            field_type.as_deref(),
            depth + 1,
            seen,
            found,
        );
    }
}

/// A PDF text string (§7.9.2.2): UTF-16BE with a byte order mark, else PDFDocEncoding, read
/// here as Latin-1 (they agree on every printable ASCII character).
pub(crate) fn decode_text(bytes: &[u8]) -> String {
    if let Some(utf16) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = utf16
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(utf8) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(utf8).into_owned();
    }
    bytes.iter().map(|&b| b as char).collect()
}
