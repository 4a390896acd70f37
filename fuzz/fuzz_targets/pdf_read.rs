//! Fuzz target: the PDF reader (`kyso::pdf::read`) on arbitrary bytes — load, then every
//! revision's objects as that revision saw them, every stream decoded, the page tree, each
//! page's content and its operations. Errors are fine; panics, hangs and unbounded memory
//! are the findings.

#![no_main]

use kyso::pdf::read::{Document, Object, ObjectId, XrefEntry, content};
use libfuzzer_sys::fuzz_target;

/// Objects visited per revision, so that a file listing millions stays quick to judge.
const MAX_OBJECTS: usize = 2_000;

fn generation(entry: &XrefEntry) -> u16 {
    match entry {
        XrefEntry::InUse { generation, .. } | XrefEntry::Free { generation, .. } => *generation,
        _ => 0,
    }
}

fn visit(doc: &Document<'_>, object: Result<Object, kyso::pdf::read::PdfReadError>) {
    let Ok(object) = object else { return };
    let Ok(resolved) = doc.resolve(&object) else {
        return;
    };
    if let Object::Stream(stream) = &resolved {
        let _ = doc.decode_stream(stream);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = Document::load(data) else {
        return;
    };
    let _ = doc.header_version();
    let _ = doc.catalog();
    for index in 0..doc.revisions().len() {
        let Some(xref) = doc.xref_at(index) else {
            continue;
        };
        for (&number, entry) in xref.iter().take(MAX_OBJECTS) {
            let id = ObjectId::new(number, generation(entry));
            visit(&doc, doc.get_in(&xref, id));
        }
    }
    for (&number, entry) in doc.xref().iter().take(MAX_OBJECTS) {
        visit(&doc, doc.get(ObjectId::new(number, generation(entry))));
    }
    let Ok(pages) = doc.pages() else { return };
    for page in &pages {
        let _ = page.visible_box();
        if let Ok(data) = page.contents(&doc) {
            let _ = content::operations(&data, doc.limits().max_depth);
        }
    }
});
