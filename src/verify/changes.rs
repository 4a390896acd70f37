//! What each incremental update changed (ISO 32000-1 §7.5.6, §12.8.2.2): every object a
//! revision rewrites, frees or hides inside a rewritten object stream is compared with the
//! revision before, and judged by the role it plays in the document. Only a short list of
//! changes is harmless — validation data, document timestamps, metadata, form values, new
//! signatures, annotations — and each has a level; anything else, above all whatever alters
//! what a page shows, is `Other`. This is what catches incremental saving attacks, shadow
//! attacks (hide, replace, hide-and-replace) and certification attacks: the attacks differ in
//! disguise, but each must change an object whose role is not on the list. Judging the levels
//! against DocMDP and FieldMDP is left to the caller.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::fields::{self, decode_text};
use super::report::{Change, ChangeReport, ModificationLevel};
use super::view::RevisionView;
use crate::pdf::read::{Dictionary, Document, Object, ObjectId, XrefEntry};

/// Objects visited when mapping the roles of a revision: beyond this, the document is judged
/// too large to analyse and every change in it counts as `Other`.
const MAX_VISITS: usize = 2_000_000;

/// The part an object plays in the document, from the path that reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Role {
    Catalog,
    AcroForm,
    /// A node of the field tree (possibly merged with its widget).
    Field,
    /// A widget annotation.
    Widget,
    /// Any other annotation.
    Annotation,
    /// An indirect /Annots array.
    AnnotsArray,
    /// Under a widget's appearance dictionary.
    WidgetAppearance,
    /// Under another annotation's appearance or its own data.
    AnnotationData,
    /// A signature dictionary or what hangs from it.
    SignatureValue,
    Dss,
    Metadata,
    PageTreeNode,
    Page,
    /// Everything else reachable: page content, resources, fonts, images, outlines, names…
    Content,
}

type Roles = HashMap<u32, BTreeSet<Role>>;

/// One revision's changes, with the field values it changed (for FieldMDP).
#[derive(Debug, Clone, Default)]
pub(crate) struct RevisionChanges {
    pub changes: Vec<ChangeReport>,
    pub filled_fields: Vec<String>,
    /// Signature fields this revision created whose widget draws on the page. After a
    /// certification they are the "sneaky signature" of Mainka et al. (IEEE S&P 2021): the
    /// certifier allowed signing, not new visible content.
    pub created_visible_signatures: Vec<String>,
}

/// The changes of revision `index` against the one before (`index` ≥ 1).
pub(crate) fn revision_changes(doc: &Document<'_>, index: usize) -> RevisionChanges {
    let mut out = RevisionChanges::default();
    let (Some(old), Some(new)) = (
        RevisionView::new(doc, index - 1),
        RevisionView::new(doc, index),
    ) else {
        return out;
    };
    let old_roles = roles(&old);
    let new_roles = roles(&new);
    let (Some(old_roles), Some(new_roles)) = (old_roles, new_roles) else {
        out.push(
            index,
            ModificationLevel::Other,
            Change::Object {
                object: 0,
                detail: "too many objects to analyse".into(),
            },
        );
        return out;
    };
    let mut analysis = Analysis {
        old: &old,
        new: &new,
        old_roles: &old_roles,
        new_roles: &new_roles,
        revision: index,
        out: &mut out,
        pages: new.page_ids(),
    };
    if old.root_id() != new.root_id() {
        analysis.other(0, "the document catalog was replaced");
    }
    for number in touched_objects(doc, index, &old.xref) {
        analysis.object(number);
    }
    out
}

impl RevisionChanges {
    fn push(&mut self, revision: usize, level: ModificationLevel, what: Change) {
        let entry = ChangeReport {
            revision,
            level,
            what,
        };
        if !self.changes.contains(&entry) {
            self.changes.push(entry);
        }
    }
}

/// The objects revision `index` writes or frees, plus every object the revision before kept in
/// an object stream that this revision rewrites: their bytes changed without a new entry
/// (§7.5.7).
fn touched_objects(
    doc: &Document<'_>,
    index: usize,
    old_xref: &BTreeMap<u32, XrefEntry>,
) -> BTreeSet<u32> {
    let listed: BTreeSet<u32> = doc.revisions()[index].entries.keys().copied().collect();
    let mut touched = listed.clone();
    for (number, entry) in old_xref {
        if let XrefEntry::Compressed { stream, .. } = entry
            && listed.contains(stream)
        {
            touched.insert(*number);
        }
    }
    touched
}

fn generation(xref: &BTreeMap<u32, XrefEntry>, number: u32) -> Option<u16> {
    match xref.get(&number)? {
        XrefEntry::InUse { generation, .. } => Some(*generation),
        XrefEntry::Compressed { .. } => Some(0),
        XrefEntry::Free { .. } => None,
    }
}

fn fetch(view: &RevisionView<'_, '_>, number: u32) -> Object {
    match generation(&view.xref, number) {
        Some(generation) => view.get(ObjectId::new(number, generation)),
        None => Object::Null,
    }
}

/// Equality as a reader sees it: streams by dictionary and data, not by where they sit.
fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => same_dict(&x.dict, &y.dict) && x.raw == y.raw,
        (Object::Dict(x), Object::Dict(y)) => same_dict(x, y),
        (Object::Array(x), Object::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        _ => a == b,
    }
}

fn same_dict(a: &Dictionary, b: &Dictionary) -> bool {
    a.len() == b.len()
        && a.iter().all(|(key, value)| {
            b.iter()
                .filter(|(k, _)| *k == key)
                .any(|(_, other)| same(value, other))
        })
}

/// Keys whose values differ between two dictionaries (present in either).
fn changed_keys(a: &Dictionary, b: &Dictionary) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = a.iter().chain(b.iter()).map(|(k, _)| k.to_vec()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| {
            let key = String::from_utf8_lossy(key);
            match (a.get(&key), b.get(&key)) {
                (Some(x), Some(y)) => !same(x, y),
                (None, None) => false,
                _ => true,
            }
        })
        .collect()
}

/// Maps every indirect object reachable from the catalog (and the trailer's /Info) to the
/// roles of the paths that reach it. `None` when the document is too large.
fn roles(view: &RevisionView<'_, '_>) -> Option<Roles> {
    let mut roles: Roles = HashMap::new();
    let mut queue: Vec<(Object, Role)> = Vec::new();
    if let Some(root) = view.trailer().get("Root") {
        queue.push((root.clone(), Role::Catalog));
    }
    if let Some(info) = view.trailer().get("Info") {
        queue.push((info.clone(), Role::Metadata));
    }
    let mut visits = 0usize;
    // (object, role it was reached with): each is read and expanded once, however many
    // references lead to it — a file can refer to one large stream a million times.
    let mut reached: HashSet<(u32, Role)> = HashSet::new();
    while let Some((object, role)) = queue.pop() {
        visits += 1;
        if visits > MAX_VISITS {
            return None;
        }
        let (object, role) = match object {
            Object::Ref(id) => {
                if !reached.insert((id.number, role)) {
                    continue;
                }
                let object = view.get(id);
                let role = refine(role, &object);
                if !roles.entry(id.number).or_default().insert(role) {
                    continue;
                }
                (object, role)
            }
            direct => {
                let role = refine(role, &direct);
                (direct, role)
            }
        };
        match &object {
            Object::Array(items) => {
                for item in items {
                    queue.push((item.clone(), element_role(role)));
                }
            }
            Object::Dict(dict) => push_children(dict, role, &mut queue),
            Object::Stream(stream) => push_children(&stream.dict, role, &mut queue),
            _ => {}
        }
    }
    Some(roles)
}

/// A page tree node that is a /Page, an annotation that is a /Widget.
fn refine(role: Role, object: &Object) -> Role {
    let Some(dict) = object.as_dict() else {
        return role;
    };
    match role {
        Role::PageTreeNode if dict.has_type("Page") => Role::Page,
        // A page reached through a destination or an action is still judged as a page: what
        // it shows is guarded by the page rules, whatever path leads to it.
        Role::Content if dict.has_type("Page") => Role::Page,
        Role::Content if dict.has_type("Pages") => Role::PageTreeNode,
        Role::Annotation if dict.get("Subtype").and_then(Object::as_name) == Some(b"Widget") => {
            Role::Widget
        }
        Role::Field if dict.get("Subtype").and_then(Object::as_name) == Some(b"Widget") => {
            // A field merged with its widget plays both parts; `Field` covers the rules.
            Role::Field
        }
        other => other,
    }
}

/// The role of the elements of an array reached under `role`.
fn element_role(role: Role) -> Role {
    match role {
        Role::AnnotsArray => Role::Annotation,
        other => other,
    }
}

fn push_children(dict: &Dictionary, role: Role, queue: &mut Vec<(Object, Role)>) {
    let field_is_signature =
        role == Role::Field && dict.get("FT").and_then(Object::as_name) == Some(b"Sig");
    for (key, value) in dict.iter() {
        let child = match (role, key) {
            // Back references: the path they lead to is reached from the top anyway.
            (_, b"Parent" | b"P" | b"IRT") if role != Role::Catalog => continue,
            (Role::Catalog, b"Pages") => Role::PageTreeNode,
            (Role::Catalog, b"AcroForm") => Role::AcroForm,
            (Role::Catalog, b"DSS") => Role::Dss,
            (Role::Catalog, b"Metadata") => Role::Metadata,
            (Role::Catalog, b"Perms") => Role::SignatureValue,
            (Role::AcroForm, b"Fields") => Role::Field,
            (Role::Field, b"Kids") => Role::Field,
            (Role::Field, b"V") if field_is_signature => Role::SignatureValue,
            (Role::Field, b"Lock" | b"SV") => Role::SignatureValue,
            (Role::Field | Role::Widget, b"AP" | b"MK") => Role::WidgetAppearance,
            (Role::PageTreeNode, b"Kids") => Role::PageTreeNode,
            (Role::Page, b"Annots") => Role::AnnotsArray,
            (Role::Annotation, b"Popup") => Role::Annotation,
            (Role::Annotation, _) => Role::AnnotationData,
            (Role::WidgetAppearance | Role::AnnotationData, _) => role,
            (Role::SignatureValue | Role::Dss | Role::Metadata, _) => role,
            _ => Role::Content,
        };
        queue.push((value.clone(), child));
    }
}

struct Analysis<'v, 'd, 'a> {
    old: &'v RevisionView<'d, 'a>,
    new: &'v RevisionView<'d, 'a>,
    old_roles: &'v Roles,
    new_roles: &'v Roles,
    revision: usize,
    out: &'v mut RevisionChanges,
    pages: Vec<ObjectId>,
}

impl Analysis<'_, '_, '_> {
    fn push(&mut self, level: ModificationLevel, what: Change) {
        self.out.push(self.revision, level, what);
    }

    fn other(&mut self, object: u32, detail: &str) {
        self.push(
            ModificationLevel::Other,
            Change::Object {
                object,
                detail: detail.into(),
            },
        );
    }

    fn page_number(&self, number: u32) -> Option<usize> {
        self.pages
            .iter()
            .position(|p| p.number == number)
            .map(|i| i + 1)
    }

    fn object(&mut self, number: u32) {
        let before = fetch(self.old, number);
        let after = fetch(self.new, number);
        if same(&before, &after) {
            return;
        }
        let mut roles: BTreeSet<Role> = BTreeSet::new();
        roles.extend(self.old_roles.get(&number).into_iter().flatten());
        roles.extend(self.new_roles.get(&number).into_iter().flatten());
        if before.is_null() {
            // New objects matter only through the changed objects that reach them, which are
            // judged below; an unreachable new object changes nothing a reader sees.
            return;
        }
        if roles.is_empty() {
            // Rewriting an object nothing refers to, before or after, changes nothing shown.
            return;
        }
        if after.is_null() {
            self.push(
                ModificationLevel::Other,
                Change::Object {
                    object: number,
                    detail: "an object in use was deleted".into(),
                },
            );
            return;
        }
        // The strictest role decides: an object shared between page content and an allowed
        // place is page content.
        if roles.contains(&Role::Content) || roles.contains(&Role::PageTreeNode) {
            let page = self.page_number(number);
            self.push(
                ModificationLevel::Other,
                Change::PageContent {
                    page,
                    object: number,
                },
            );
            return;
        }
        for role in roles {
            self.judge(number, role, &before, &after);
        }
    }

    fn judge(&mut self, number: u32, role: Role, before: &Object, after: &Object) {
        let (Some(old), Some(new)) = (before.as_dict(), after.as_dict()) else {
            if role == Role::AnnotsArray {
                self.annots(before, after, None);
            } else if let (Role::Field, Object::Array(old), Object::Array(new)) =
                (role, before, after)
            {
                self.field_list(number, old, new);
            } else if matches!(role, Role::Dss) {
                self.push(ModificationLevel::Dss, Change::ValidationData);
            } else {
                self.other(number, "an object changed its type");
            }
            return;
        };
        match role {
            Role::Catalog => self.catalog(number, old, new),
            Role::AcroForm => self.acroform(number, old, new),
            Role::Field => self.field(number, old, new),
            Role::Widget => self.widget(number, old, new),
            Role::Annotation | Role::AnnotationData => {
                let page = page_of(new).and_then(|p| self.page_number(p));
                let subtype = subtype(new);
                self.push(
                    ModificationLevel::Annotations,
                    Change::Annotation { page, subtype },
                );
            }
            Role::WidgetAppearance => {
                self.push(
                    ModificationLevel::FormFilling,
                    Change::FieldValue {
                        field: format!("appearance object {number}"),
                    },
                );
            }
            Role::AnnotsArray => self.annots(before, after, None),
            Role::SignatureValue => self.other(number, "a signature dictionary was changed"),
            Role::Dss => self.push(ModificationLevel::Dss, Change::ValidationData),
            Role::Metadata => self.push(ModificationLevel::Dss, Change::Metadata),
            Role::Page => self.page(number, old, new),
            Role::PageTreeNode | Role::Content => {
                let page = self.page_number(number);
                self.push(
                    ModificationLevel::Other,
                    Change::PageContent {
                        page,
                        object: number,
                    },
                );
            }
        }
    }

    fn catalog(&mut self, number: u32, old: &Dictionary, new: &Dictionary) {
        for key in changed_keys(old, new) {
            match key.as_slice() {
                b"DSS" => self.push(ModificationLevel::Dss, Change::ValidationData),
                // Metadata, and the version and extension levels a signer declares (pyHanko
                // adds the ESIC extension, ISO 32000-1 §7.12): none of them alters a page.
                b"Metadata" | b"Extensions" | b"Version" => {
                    self.push(ModificationLevel::Dss, Change::Metadata)
                }
                b"AcroForm" => {
                    match (
                        old.get("AcroForm").and_then(|a| self.old.dict(a)),
                        new.get("AcroForm").and_then(|a| self.new.dict(a)),
                    ) {
                        (Some(o), Some(n)) => self.acroform(number, &o, &n),
                        (None, Some(n)) => self.acroform(number, &Dictionary::new(), &n),
                        _ => self.other(number, "the interactive form was removed"),
                    }
                }
                other => self.key_changed(number, "the document catalog", other),
            }
        }
    }

    fn acroform(&mut self, number: u32, old: &Dictionary, new: &Dictionary) {
        for key in changed_keys(old, new) {
            match key.as_slice() {
                b"Fields" => self.new_fields(number, old, new),
                b"SigFlags" | b"NeedAppearances" => {}
                b"DR" => {
                    let before = old
                        .get("DR")
                        .and_then(|d| self.old.dict(d))
                        .unwrap_or_default();
                    let after = new
                        .get("DR")
                        .and_then(|d| self.new.dict(d))
                        .unwrap_or_default();
                    if !only_additions(self.old, self.new, &before, &after) {
                        self.other(number, "the form's default resources were redefined");
                    }
                }
                other => self.key_changed(number, "the interactive form", other),
            }
        }
    }

    /// New top-level fields: signature fields only (ISO 32000-1 §12.8.2.2: signing is the one
    /// way to add a field under DocMDP).
    fn new_fields(&mut self, number: u32, old: &Dictionary, new: &Dictionary) {
        let list = |view: &RevisionView<'_, '_>, d: &Dictionary| match view.value(d, "Fields") {
            Some(Object::Array(items)) => items,
            _ => Vec::new(),
        };
        let before = list(self.old, old);
        let after = list(self.new, new);
        self.field_list(number, &before, &after);
    }

    /// A list of fields before and after: none may go, the new ones are judged one by one.
    fn field_list(&mut self, number: u32, before: &[Object], after: &[Object]) {
        if before.iter().any(|f| !after.contains(f)) {
            self.other(number, "a form field was removed");
        }
        for field in after.iter().filter(|f| !before.contains(f)) {
            self.added_field(field);
        }
    }

    /// A key of an object whose role allows no change to it.
    fn key_changed(&mut self, number: u32, whose: &str, key: &[u8]) {
        let detail = format!("{whose}: /{} changed", String::from_utf8_lossy(key));
        self.other(number, &detail);
    }

    fn added_field(&mut self, field: &Object) {
        let Some(dict) = self.new.dict(field) else {
            return self.other(
                field.as_ref().map_or(0, |f| f.number),
                "a malformed field was added",
            );
        };
        let name = match self.new.value(&dict, "T") {
            Some(Object::String(t)) => decode_text(&t),
            _ => String::new(),
        };
        if dict.get("FT").and_then(Object::as_name) != Some(b"Sig") {
            let detail = format!("a new form field «{name}» that is not a signature was added");
            return self.other(field.as_ref().map_or(0, |f| f.number), &detail);
        }
        if field_draws(self.new, &dict) {
            self.out.created_visible_signatures.push(name.clone());
        }
        match self.new.value(&dict, "V").and_then(|v| self.new.dict(&v)) {
            Some(value) if value.has_type("DocTimeStamp") => {
                self.push(
                    ModificationLevel::Dss,
                    Change::DocumentTimestamp { field: name },
                );
            }
            Some(_) => self.push(
                ModificationLevel::FormFilling,
                Change::Signature { field: name },
            ),
            // An empty signature field that draws something is content, not a signature.
            None if draws_something(self.new, &dict) => {
                let detail = format!("an unsigned signature field «{name}» that draws on the page");
                self.other(field.as_ref().map_or(0, |f| f.number), &detail);
            }
            None => self.push(
                ModificationLevel::FormFilling,
                Change::Signature { field: name },
            ),
        }
    }

    fn field(&mut self, number: u32, old: &Dictionary, new: &Dictionary) {
        let is_signature = new.get("FT").and_then(Object::as_name) == Some(b"Sig");
        let name = match self.new.value(new, "T") {
            Some(Object::String(t)) => decode_text(&t),
            _ => format!("object {number}"),
        };
        let full_name = self.full_name(number).unwrap_or(name);
        for key in changed_keys(old, new) {
            match key.as_slice() {
                b"V" if is_signature && old.get("V").is_none() => {
                    let timestamp = self
                        .new
                        .value(new, "V")
                        .and_then(|v| self.new.dict(&v))
                        .is_some_and(|v| v.has_type("DocTimeStamp"));
                    if timestamp {
                        self.push(
                            ModificationLevel::Dss,
                            Change::DocumentTimestamp {
                                field: full_name.clone(),
                            },
                        );
                    } else {
                        self.push(
                            ModificationLevel::FormFilling,
                            Change::Signature {
                                field: full_name.clone(),
                            },
                        );
                    }
                }
                b"V" if is_signature => {
                    let detail = format!("the signature in field «{full_name}» was replaced");
                    self.other(number, &detail);
                }
                b"AP" | b"AS" | b"MK" if is_signature && old.get("V").is_some() => {
                    let detail = format!("the look of the signed field «{full_name}» was changed");
                    self.other(number, &detail);
                }
                b"V" | b"AP" | b"AS" | b"MK" => {
                    if key == b"V" {
                        self.out.filled_fields.push(full_name.clone());
                    }
                    self.push(
                        ModificationLevel::FormFilling,
                        Change::FieldValue {
                            field: full_name.clone(),
                        },
                    );
                }
                b"Kids" => {
                    let detail = format!("the widgets of field «{full_name}» changed");
                    self.other(number, &detail);
                }
                other => self.key_changed(number, &format!("field «{full_name}»"), other),
            }
        }
    }

    fn full_name(&self, number: u32) -> Option<String> {
        fields::fields(self.new)
            .into_iter()
            .find(|f| {
                f.id.map(|i| i.number) == Some(number)
                    || f.widgets.iter().any(|w| w.number == number)
            })
            .map(|f| f.name)
    }

    fn widget(&mut self, number: u32, old: &Dictionary, new: &Dictionary) {
        if new.contains("T") || new.contains("FT") {
            // A widget merged with its field: the field rules judge it.
            return;
        }
        let field = self
            .full_name(number)
            .unwrap_or_else(|| format!("object {number}"));
        let signed = fields::fields(self.old).into_iter().any(|f| {
            f.is_signature() && f.value.is_some() && f.widgets.iter().any(|w| w.number == number)
        });
        for key in changed_keys(old, new) {
            match key.as_slice() {
                b"AP" | b"AS" | b"MK" if !signed => {
                    self.push(
                        ModificationLevel::FormFilling,
                        Change::FieldValue {
                            field: field.clone(),
                        },
                    );
                }
                _ => {
                    let detail = format!("the widget of field «{field}» was changed");
                    self.other(number, &detail);
                }
            }
        }
    }

    fn page(&mut self, number: u32, old: &Dictionary, new: &Dictionary) {
        for key in changed_keys(old, new) {
            if key == b"Annots" {
                let before = old.get("Annots").cloned().unwrap_or(Object::Null);
                let after = new.get("Annots").cloned().unwrap_or(Object::Null);
                self.annots(&before, &after, Some(number));
            } else {
                let page = self.page_number(number);
                self.push(
                    ModificationLevel::Other,
                    Change::PageContent {
                        page,
                        object: number,
                    },
                );
            }
        }
    }

    /// An /Annots array (direct, or the array object itself) before and after.
    fn annots(&mut self, before: &Object, after: &Object, page: Option<u32>) {
        let items = |view: &RevisionView<'_, '_>, o: &Object| match view.resolve(o) {
            Object::Array(items) => items,
            _ => Vec::new(),
        };
        let before = items(self.old, before);
        let after = items(self.new, after);
        let page = page.and_then(|p| self.page_number(p));
        if before.iter().any(|a| !after.contains(a)) {
            self.push(
                ModificationLevel::Other,
                Change::PageContent { page, object: 0 },
            );
        }
        for annotation in after.iter().filter(|a| !before.contains(a)) {
            self.added_annotation(annotation, page);
        }
    }

    fn added_annotation(&mut self, annotation: &Object, page: Option<usize>) {
        let Some(dict) = self.new.dict(annotation) else {
            return self.other(0, "a malformed annotation was added");
        };
        let subtype = subtype(&dict);
        if subtype != "Widget" {
            self.push(
                ModificationLevel::Annotations,
                Change::Annotation { page, subtype },
            );
            return;
        }
        // A new widget must belong to a signature field added in the same update; the field
        // list (§12.7.3) judges the field itself.
        let number = annotation.as_ref().map(|a| a.number);
        let field = fields::fields(self.new).into_iter().find(|f| {
            number.is_some_and(|n| {
                f.id.map(|i| i.number) == Some(n) || f.widgets.iter().any(|w| w.number == n)
            })
        });
        match field {
            Some(field) if field.is_signature() => {}
            Some(field) => {
                let detail = format!(
                    "a widget was added to the non-signature field «{}»",
                    field.name
                );
                self.other(number.unwrap_or(0), &detail);
            }
            None if draws_something(self.new, &dict) => {
                self.other(
                    number.unwrap_or(0),
                    "a widget that belongs to no form field was added",
                );
            }
            None => self.push(
                ModificationLevel::Annotations,
                Change::Annotation { page, subtype },
            ),
        }
    }
}

fn subtype(dict: &Dictionary) -> String {
    dict.get("Subtype")
        .and_then(Object::as_name)
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default()
}

fn page_of(annotation: &Dictionary) -> Option<u32> {
    annotation
        .get("P")
        .and_then(Object::as_ref)
        .map(|p| p.number)
}

/// Whether a widget or field has a visible, non-empty appearance (§12.5.5): a rectangle with
/// area and a normal appearance stream with content.
fn draws_something(view: &RevisionView<'_, '_>, dict: &Dictionary) -> bool {
    let area = match view.value(dict, "Rect") {
        Some(Object::Array(r)) if r.len() == 4 => {
            let n: Vec<f64> = r
                .iter()
                .filter_map(|v| view.resolve(v).as_number())
                .collect();
            n.len() == 4 && (n[2] - n[0]).abs() > 0.0 && (n[3] - n[1]).abs() > 0.0
        }
        _ => false,
    };
    let hidden = view
        .value(dict, "F")
        .and_then(|f| f.as_int())
        .is_some_and(|f| f & 0b10 != 0 || f & 0b10_0000 != 0);
    let appearance = view
        .value(dict, "AP")
        .and_then(|ap| view.dict(&ap))
        .and_then(|ap| ap.get("N").map(|n| view.resolve(n)))
        .is_some_and(|n| match n {
            Object::Stream(s) => !s.raw.iter().all(u8::is_ascii_whitespace),
            Object::Dict(states) => !states.is_empty(),
            _ => false,
        });
    area && appearance && !hidden
}

/// Whether a field or any of its widget kids draws on the page.
fn field_draws(view: &RevisionView<'_, '_>, dict: &Dictionary) -> bool {
    if draws_something(view, dict) {
        return true;
    }
    match view.value(dict, "Kids") {
        Some(Object::Array(kids)) => kids
            .iter()
            .take(1000)
            .filter_map(|k| view.dict(k))
            .any(|k| draws_something(view, &k)),
        _ => false,
    }
}

/// Every key of `before` is in `after` with the same value (references compared as
/// references, their targets as each revision has them).
fn only_additions(
    old: &RevisionView<'_, '_>,
    new: &RevisionView<'_, '_>,
    before: &Dictionary,
    after: &Dictionary,
) -> bool {
    before.iter().all(|(key, value)| {
        let key = String::from_utf8_lossy(key);
        match after.get(&key) {
            Some(v) if same(value, v) => true,
            Some(v) => match (old.dict(value), new.dict(v)) {
                (Some(a), Some(b)) => only_additions(old, new, &a, &b),
                _ => false,
            },
            None => false,
        }
    })
}
