//! One revision of a file as a reader saw it when that revision was the newest (ISO 32000-1
//! §7.5.6): its merged cross-reference, its trailer, and references resolved through them
//! only. Comparing two views is left to `changes`; finding fields to `fields`.

use std::collections::BTreeMap;

use crate::pdf::read::{Dictionary, Document, Object, ObjectId, PdfReadError, XrefEntry};

/// References followed before giving up (a chain that long is an attack, not a document).
const MAX_REFERENCE_CHAIN: usize = 32;

pub(crate) struct RevisionView<'d, 'a> {
    pub doc: &'d Document<'a>,
    pub index: usize,
    pub xref: BTreeMap<u32, XrefEntry>,
}

impl<'d, 'a> RevisionView<'d, 'a> {
    /// The view after revision `index` (0 = the original file).
    pub fn new(doc: &'d Document<'a>, index: usize) -> Option<RevisionView<'d, 'a>> {
        Some(RevisionView {
            doc,
            index,
            xref: doc.xref_at(index)?,
        })
    }

    pub fn trailer(&self) -> &Dictionary {
        &self.doc.revisions()[self.index].trailer
    }

    /// The object as this revision has it; null when absent, free or unreadable.
    pub fn get(&self, id: ObjectId) -> Object {
        self.try_get(id).unwrap_or(Object::Null)
    }

    pub fn try_get(&self, id: ObjectId) -> Result<Object, PdfReadError> {
        self.doc.get_in(&self.xref, id)
    }

    /// Follows references to a direct object; null on a cycle, a chain too long, or an
    /// unreadable object.
    pub fn resolve(&self, object: &Object) -> Object {
        let mut current = object.clone();
        for _ in 0..MAX_REFERENCE_CHAIN {
            match current {
                Object::Ref(id) => current = self.get(id),
                other => return other,
            }
        }
        Object::Null
    }

    /// The dictionary `object` resolves to (a stream's dictionary counts).
    pub fn dict(&self, object: &Object) -> Option<Dictionary> {
        match self.resolve(object) {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(s.dict),
            _ => None,
        }
    }

    /// `dict[key]` resolved; `None` when absent or null.
    pub fn value(&self, dict: &Dictionary, key: &str) -> Option<Object> {
        Some(self.resolve(dict.get(key)?)).filter(|v| !v.is_null())
    }

    pub fn catalog(&self) -> Option<Dictionary> {
        self.dict(self.trailer().get("Root")?)
    }

    /// The catalog's object number, when the trailer refers to it indirectly (it must).
    pub fn root_id(&self) -> Option<ObjectId> {
        self.trailer().get("Root")?.as_ref()
    }

    /// The page objects in order, from the page tree (§7.7.3.2), bounded against loops.
    pub fn page_ids(&self) -> Vec<ObjectId> {
        let mut pages = Vec::new();
        let Some(root) = self.catalog() else {
            return pages;
        };
        let mut stack: Vec<(Object, usize)> = root
            .get("Pages")
            .map(|p| vec![(p.clone(), 0)])
            .unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        while let Some((node, depth)) = stack.pop() {
            let Some(id) = node.as_ref() else { continue };
            if depth > 64 || !seen.insert(id) || seen.len() > 200_000 {
                continue;
            }
            let Some(dict) = self.dict(&node) else {
                continue;
            };
            if dict.has_type("Page") {
                pages.push(id);
                continue;
            }
            if let Some(Object::Array(kids)) = self.value(&dict, "Kids") {
                for kid in kids.into_iter().rev() {
                    stack.push((kid, depth + 1));
                }
            }
        }
        pages
    }
}
