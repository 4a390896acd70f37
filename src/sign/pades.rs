//! PAdES staging (ETSI EN 319 142-1 §5; ISO 32000-1 §12.8): the incremental update that adds
//! a signature field and widget, a signature dictionary with a zero-filled /Contents
//! placeholder and its /ByteRange, the digest over the byte ranges, and embedding the CMS
//! (or timestamp token) into the placeholder. Building the CMS and reaching keys, TSAs and
//! revocation services is left to the other `sign` modules.

use std::ops::Range;

use time::OffsetDateTime;

use crate::pdf::incremental::{IncrementalUpdate, UpdateError, to_dict, to_obj, zero_hex};
use crate::pdf::object::{Dict, Obj, ObjRef, PendingObject, RefAllocator};
use crate::pdf::read::{Dictionary, Document, Object, ObjectId, Page, PdfReadError};

use super::algorithm::DigestAlgorithm;

/// Why a signature revision could not be prepared or completed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PadesError {
    #[error("the PDF cannot be read")]
    Read(#[from] PdfReadError),
    #[error("the PDF cannot be updated")]
    Update(#[from] UpdateError),
    #[error("the PDF has no pages")]
    NoPages,
    #[error("the field '{name}' is already signed")]
    FieldAlreadySigned { name: String },
    #[error("the field '{name}' exists but is not a signature field")]
    FieldNotSignature { name: String },
    #[error(
        "a certification signature must be the first signature of a document; this one \
         already has {existing}"
    )]
    CertifyNotFirst { existing: usize },
    #[error(
        "the signature is {needed} bytes but only {reserved} bytes were reserved for /Contents"
    )]
    ContentsTooSmall { needed: usize, reserved: usize },
    #[error("the visible signature could not be drawn: {reason}")]
    Appearance { reason: String },
}

/// The /SubFilter of a signature dictionary (ETSI EN 319 142-1 §5.3, §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubFilter {
    /// A PAdES signature: CAdES detached SignedData over the byte ranges.
    CadesDetached,
    /// A document timestamp: an RFC 3161 token over the byte ranges (/Type /DocTimeStamp).
    Rfc3161,
}

impl SubFilter {
    fn name(self) -> &'static str {
        match self {
            SubFilter::CadesDetached => "ETSI.CAdES.detached",
            SubFilter::Rfc3161 => "ETSI.RFC3161",
        }
    }
}

/// What a certification signature allows afterwards (ISO 32000-1 §12.8.2.2, Table 254 /P).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocMdpPermission {
    /// /P 1: no changes at all.
    NoChanges = 1,
    /// /P 2: filling forms, instantiating templates and signing.
    FormFilling = 2,
    /// /P 3: as 2, plus annotations.
    Annotations = 3,
}

/// The visible appearance of a signature: where the widget goes on the page and its normal
/// appearance stream with the objects it needs.
#[derive(Debug, Clone)]
pub struct VisibleSignature {
    /// The widget rectangle in the page's default user space (llx, lly, urx, ury).
    pub rect: [f64; 4],
    /// The form XObject for /AP /N.
    pub normal: ObjRef,
    pub objects: Vec<PendingObject>,
}

/// Draws the visible signature for a page: given the page's visible box, its /Rotate and an
/// allocator for new objects.
pub type AppearanceFn<'a> =
    &'a dyn Fn([f64; 4], u16, &mut RefAllocator) -> Result<VisibleSignature, String>;

/// What goes into the signature dictionary and field.
#[derive(Clone)]
pub struct SignatureRequest<'a> {
    pub sub_filter: SubFilter,
    /// /M, the claimed signing time (PAdES puts it here, not in a signingTime attribute).
    pub signing_time: Option<OffsetDateTime>,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// /Name: the signer's name as shown by viewers.
    pub name: Option<String>,
    pub certify: Option<DocMdpPermission>,
    /// The field to create or fill; a fresh "SignatureN" when none.
    pub field_name: Option<String>,
    /// Bytes reserved for the CMS (the hex string is twice as long).
    pub contents_len: usize,
    pub appearance: Option<AppearanceFn<'a>>,
}

impl std::fmt::Debug for SignatureRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureRequest")
            .field("sub_filter", &self.sub_filter)
            .field("field_name", &self.field_name)
            .field("certify", &self.certify)
            .field("contents_len", &self.contents_len)
            .field("visible", &self.appearance.is_some())
            .finish_non_exhaustive()
    }
}

impl SignatureRequest<'_> {
    pub fn new(sub_filter: SubFilter, contents_len: usize) -> SignatureRequest<'static> {
        SignatureRequest {
            sub_filter,
            signing_time: None,
            reason: None,
            location: None,
            name: None,
            certify: None,
            field_name: None,
            contents_len,
            appearance: None,
        }
    }
}

/// The /ByteRange (ISO 32000-1 §12.8.1, Table 252): [offset length offset length], the
/// whole file except the /Contents hex string including its angle brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange(pub [usize; 4]);

impl ByteRange {
    pub fn parts<'b>(&self, bytes: &'b [u8]) -> [&'b [u8]; 2] {
        let [a, b, c, d] = self.0;
        [&bytes[a..a + b], &bytes[c..c + d]]
    }
}

/// A file with a signature revision whose /Contents is still zeros.
#[derive(Debug)]
pub struct PreparedSignature {
    bytes: Vec<u8>,
    byte_range: ByteRange,
    /// The hex digits between `<` and `>`.
    contents: Range<usize>,
    /// The object number of the signature dictionary.
    signature_object: u32,
}

impl PreparedSignature {
    pub fn byte_range(&self) -> ByteRange {
        self.byte_range
    }

    /// The digest over the byte ranges: the messageDigest a CMS or timestamp must carry.
    pub fn digest(&self, algorithm: DigestAlgorithm) -> Vec<u8> {
        algorithm.digest_parts(&self.byte_range.parts(&self.bytes))
    }

    pub fn signature_object(&self) -> u32 {
        self.signature_object
    }

    /// Bytes available for the CMS.
    pub fn capacity(&self) -> usize {
        self.contents.len() / 2
    }

    /// Writes `cms` into the placeholder (the rest stays zero, which DER readers ignore
    /// after the outer SEQUENCE) and returns the finished file.
    pub fn embed(mut self, cms: &[u8]) -> Result<Vec<u8>, PadesError> {
        if cms.len() > self.capacity() {
            return Err(PadesError::ContentsTooSmall {
                needed: cms.len(),
                reserved: self.capacity(),
            });
        }
        let hex = crate::hex::upper(cms);
        let start = self.contents.start;
        self.bytes[start..start + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(self.bytes)
    }
}

/// The signature fields already in the document: (field object, name, signed).
#[derive(Debug, Clone)]
struct ExistingField {
    id: Option<ObjectId>,
    name: Vec<u8>,
    is_signature: bool,
    signed: bool,
}

/// Walks /AcroForm /Fields (with /Kids) and lists terminal fields with their full names.
fn existing_fields(document: &Document<'_>, acroform: &Dictionary) -> Vec<ExistingField> {
    let mut out = Vec::new();
    let Ok(Some(fields)) = document.get_key(acroform, "Fields") else {
        return out;
    };
    let mut stack: Vec<(Object, Vec<u8>, bool, usize)> = fields
        .as_array()
        .unwrap_or_default()
        .iter()
        .rev()
        .map(|f| (f.clone(), Vec::new(), false, 0))
        .collect();
    let mut seen = std::collections::HashSet::new();
    while let Some((field, prefix, inherited_sig, depth)) = stack.pop() {
        if depth > 32 || out.len() > 10_000 {
            break;
        }
        let id = field.as_ref();
        if let Some(id) = id
            && !seen.insert(id)
        {
            continue;
        }
        let Ok(resolved) = document.resolve(&field) else {
            continue;
        };
        let Some(dict) = resolved.as_dict() else {
            continue;
        };
        let mut name = prefix.clone();
        if let Some(part) = dict.get("T").and_then(Object::as_string) {
            if !name.is_empty() {
                name.push(b'.');
            }
            name.extend_from_slice(part);
        }
        let is_sig = dict.get("FT").and_then(Object::as_name) == Some(b"Sig") || inherited_sig;
        let kids = document
            .get_key(dict, "Kids")
            .ok()
            .flatten()
            .and_then(|k| k.as_array().map(<[Object]>::to_vec))
            .unwrap_or_default();
        // Kids without /T are widgets of this field, not fields of their own.
        let field_kids: Vec<Object> = kids
            .into_iter()
            .filter(|kid| {
                document
                    .resolve(kid)
                    .ok()
                    .and_then(|k| k.as_dict().map(|d| d.contains("T")))
                    .unwrap_or(false)
            })
            .collect();
        if field_kids.is_empty() {
            out.push(ExistingField {
                id,
                name,
                is_signature: is_sig,
                signed: dict.get("V").is_some_and(|v| !v.is_null()),
            });
        } else {
            for kid in field_kids.into_iter().rev() {
                stack.push((kid, name.clone(), is_sig, depth + 1));
            }
        }
    }
    out
}

/// Counts the signatures (signed /Sig fields) a document already has.
pub fn signature_count(document: &Document<'_>) -> Result<usize, PadesError> {
    let catalog = document.catalog()?;
    let Some(acroform) = document.get_key(&catalog, "AcroForm")? else {
        return Ok(0);
    };
    let Some(acroform) = acroform.as_dict() else {
        return Ok(0);
    };
    Ok(existing_fields(document, acroform)
        .iter()
        .filter(|f| f.is_signature && f.signed)
        .count())
}

/// Prepares the signature revision: the original bytes, then an update holding the
/// signature dictionary (with a zeroed /Contents of `contents_len` bytes), the field and
/// widget on page 1, the page's /Annots, the /AcroForm with /SigFlags 3 and, for a
/// certification, the catalog's /Perms.
pub fn prepare(
    original: &[u8],
    request: &SignatureRequest<'_>,
) -> Result<PreparedSignature, PadesError> {
    let document = Document::load(original)?;
    let catalog_id = document
        .trailer()
        .get("Root")
        .and_then(Object::as_ref)
        .ok_or(UpdateError::Trailer { key: "/Root" })?;
    let catalog = document.catalog()?;
    let pages = document.pages()?;
    let page = pages.first().ok_or(PadesError::NoPages)?;
    let page_id = page.id.ok_or(PadesError::NoPages)?;

    // The AcroForm: indirect (rewritten in place) or direct in the catalog (or absent).
    let acroform_entry = catalog.get("AcroForm").cloned();
    let acroform_id = acroform_entry.as_ref().and_then(Object::as_ref);
    let acroform = match &acroform_entry {
        Some(entry) => document
            .resolve(entry)?
            .as_dict()
            .cloned()
            .unwrap_or_default(),
        None => Dictionary::new(),
    };
    let fields = existing_fields(&document, &acroform);
    let signed = fields.iter().filter(|f| f.is_signature && f.signed).count();
    if request.certify.is_some() && signed > 0 {
        return Err(PadesError::CertifyNotFirst { existing: signed });
    }

    let mut update = IncrementalUpdate::new(&document)?;
    let sig_ref = update.alloc();

    // The field: an existing empty signature field of that name, or a new one.
    let existing = request
        .field_name
        .as_ref()
        .and_then(|name| fields.iter().find(|f| f.name == name.as_bytes()));
    let mut new_field = None;
    match existing {
        Some(field) if !field.is_signature => {
            return Err(PadesError::FieldNotSignature {
                name: String::from_utf8_lossy(&field.name).into_owned(),
            });
        }
        Some(field) if field.signed => {
            return Err(PadesError::FieldAlreadySigned {
                name: String::from_utf8_lossy(&field.name).into_owned(),
            });
        }
        Some(field) => {
            let id = field.id.ok_or_else(|| PadesError::FieldNotSignature {
                name: String::from_utf8_lossy(&field.name).into_owned(),
            })?;
            let dict = document.get(id)?.as_dict().cloned().unwrap_or_default();
            let dict = to_dict(&dict, id)?.set("V", sig_ref);
            update.replace(id, &Obj::Dict(dict));
        }
        None => {
            let name = match &request.field_name {
                Some(name) => name.clone(),
                None => (1..)
                    .map(|n| format!("Signature{n}"))
                    .find(|candidate| !fields.iter().any(|f| f.name == candidate.as_bytes()))
                    .unwrap_or_else(|| "Signature".into()),
            };
            let widget_ref = update.alloc();
            let visible = match request.appearance {
                Some(draw) => {
                    let b = page.visible_box();
                    Some(
                        draw(
                            [b.llx, b.lly, b.urx, b.ury],
                            page.rotate,
                            update.allocator(),
                        )
                        .map_err(|reason| PadesError::Appearance { reason })?,
                    )
                }
                None => None,
            };
            let widget = Dict::new()
                .set("Type", Obj::name("Annot"))
                .set("Subtype", Obj::name("Widget"))
                .set("FT", Obj::name("Sig"))
                .set("T", Obj::text(&name))
                .set("V", sig_ref)
                // Print (ISO 19005-2 §6.3.2) and Locked.
                .set("F", 132i64)
                .set("P", Obj::Indirect(page_id.number, page_id.generation));
            let widget = match visible {
                Some(visible) => {
                    for object in visible.objects {
                        update.add(object);
                    }
                    widget
                        .set("Rect", Obj::reals(&visible.rect))
                        .set("AP", Dict::new().set("N", visible.normal))
                }
                // An invisible signature's widget has no area, and then no appearance: ISO
                // 19005-2 §6.3.3 asks for one only when the Rect has an area, and an
                // appearance stream added with a signature or timestamp reads to diff
                // checkers as more than a signature (form filling).
                None => widget.set("Rect", Obj::reals(&[0.0; 4])),
            };
            update.add(PendingObject::Object(widget_ref, Obj::Dict(widget)));
            add_annotation(&mut update, page, page_id, widget_ref)?;
            new_field = Some(widget_ref);
        }
    }

    // The AcroForm: /Fields gains the new field, /SigFlags 3 (SignaturesExist, AppendOnly).
    let mut acroform_dict = to_dict(&acroform, acroform_id.unwrap_or(catalog_id))?;
    if let Some(field) = new_field {
        match acroform.get("Fields") {
            Some(Object::Ref(fields_id)) => {
                let mut items = match document.get(*fields_id)? {
                    Object::Array(items) => items
                        .iter()
                        .map(|i| to_obj(i, *fields_id))
                        .collect::<Result<Vec<_>, _>>()?,
                    _ => Vec::new(),
                };
                items.push(Obj::Ref(field));
                update.replace(*fields_id, &Obj::Array(items));
            }
            other => {
                let mut items = match other.map(|o| to_obj(o, catalog_id)).transpose()? {
                    Some(Obj::Array(items)) => items,
                    _ => Vec::new(),
                };
                items.push(Obj::Ref(field));
                acroform_dict.insert("Fields", Obj::Array(items));
            }
        }
    }
    acroform_dict.insert("SigFlags", 3i64);

    let mut catalog_dict = to_dict(&catalog, catalog_id)?;
    let mut catalog_changed = false;
    match acroform_id {
        Some(id) => update.replace(id, &Obj::Dict(acroform_dict)),
        None => {
            let id = update.alloc();
            update.add(PendingObject::Object(id, Obj::Dict(acroform_dict)));
            catalog_dict.insert("AcroForm", id);
            catalog_changed = true;
        }
    }
    if request.certify.is_some() {
        catalog_dict.insert("Perms", Dict::new().set("DocMDP", sig_ref));
        catalog_changed = true;
    }
    if catalog_changed {
        update.replace(catalog_id, &Obj::Dict(catalog_dict));
    }

    let (sig_bytes, placeholders) = signature_dictionary(request);
    update.add_raw(sig_ref, sig_bytes);
    let file = update.finish()?;
    let at = file.offsets[&sig_ref.number()];
    // `N 0 obj\n` precedes the dictionary.
    let body = at + format!("{} 0 obj\n", sig_ref.number()).len();
    finish_byte_range(file.bytes, body, placeholders, sig_ref.number())
}

/// Offsets inside the serialized signature dictionary.
struct Placeholders {
    byte_range: Range<usize>,
    contents: Range<usize>,
}

/// Width of each number in the /ByteRange placeholder; 10 digits cover files up to 9.3 GB.
const RANGE_WIDTH: usize = 10;

fn signature_dictionary(request: &SignatureRequest<'_>) -> (Vec<u8>, Placeholders) {
    let mut dict = Dict::new();
    match request.sub_filter {
        SubFilter::CadesDetached => dict.insert("Type", Obj::name("Sig")),
        SubFilter::Rfc3161 => dict.insert("Type", Obj::name("DocTimeStamp")),
    }
    dict.insert("Filter", Obj::name("Adobe.PPKLite"));
    dict.insert("SubFilter", Obj::name(request.sub_filter.name()));
    if let Some(time) = request.signing_time {
        dict.insert("M", Obj::Str(crate::pdf::pdf_date(time).into_bytes()));
    }
    for (key, value) in [
        ("Name", &request.name),
        ("Reason", &request.reason),
        ("Location", &request.location),
    ] {
        if let Some(value) = value {
            dict.insert(key, Obj::text(value));
        }
    }
    if let Some(permission) = request.certify {
        let reference = Dict::new()
            .set("Type", Obj::name("SigRef"))
            .set("TransformMethod", Obj::name("DocMDP"))
            .set(
                "TransformParams",
                Dict::new()
                    .set("Type", Obj::name("TransformParams"))
                    .set("P", permission as i64)
                    .set("V", Obj::name("1.2")),
            );
        dict.insert("Reference", Obj::Array(vec![Obj::Dict(reference)]));
    }
    let mut bytes = Vec::new();
    dict.write(&mut bytes);
    bytes.truncate(bytes.len() - 2); // reopen the dictionary: drop `>>`
    bytes.extend_from_slice(b"/ByteRange [");
    let range_start = bytes.len();
    bytes.extend_from_slice(" ".repeat(4 * (RANGE_WIDTH + 1)).as_bytes());
    let range_end = bytes.len();
    bytes.extend_from_slice(b"]/Contents <");
    let contents_start = bytes.len();
    bytes.extend_from_slice(zero_hex(request.contents_len).as_bytes());
    let contents_end = bytes.len();
    bytes.extend_from_slice(b">>>");
    (
        bytes,
        Placeholders {
            byte_range: range_start..range_end,
            contents: contents_start..contents_end,
        },
    )
}

fn finish_byte_range(
    mut bytes: Vec<u8>,
    body: usize,
    placeholders: Placeholders,
    signature_object: u32,
) -> Result<PreparedSignature, PadesError> {
    // The excluded part is the hex string with its `<` and `>` (§12.8.1).
    let lt = body + placeholders.contents.start - 1;
    let gt = body + placeholders.contents.end + 1;
    let range = ByteRange([0, lt, gt, bytes.len() - gt]);
    let text = format!("0 {} {} {}", range.0[1], range.0[2], range.0[3]);
    let slot = body + placeholders.byte_range.start..body + placeholders.byte_range.end;
    let mut padded = text.into_bytes();
    padded.resize(slot.len(), b' ');
    bytes[slot].copy_from_slice(&padded);
    Ok(PreparedSignature {
        bytes,
        byte_range: range,
        contents: body + placeholders.contents.start..body + placeholders.contents.end,
        signature_object,
    })
}

/// Adds `widget` to the page's /Annots, rewriting the array object when /Annots is
/// indirect, otherwise the page.
fn add_annotation(
    update: &mut IncrementalUpdate<'_, '_>,
    page: &Page,
    page_id: ObjectId,
    widget: ObjRef,
) -> Result<(), PadesError> {
    let document = update.document();
    match page.dict.get("Annots") {
        Some(Object::Ref(annots_id)) => {
            let annots_id = *annots_id;
            let mut items = match document.get(annots_id)? {
                Object::Array(items) => items
                    .iter()
                    .map(|i| to_obj(i, annots_id))
                    .collect::<Result<Vec<_>, _>>()?,
                _ => Vec::new(),
            };
            items.push(Obj::Ref(widget));
            update.replace(annots_id, &Obj::Array(items));
        }
        other => {
            let mut items = match other.map(|o| to_obj(o, page_id)).transpose()? {
                Some(Obj::Array(items)) => items,
                _ => Vec::new(),
            };
            items.push(Obj::Ref(widget));
            // The page as written, not with inherited keys filled in.
            let raw = document.get(page_id)?;
            let dict = raw.as_dict().cloned().unwrap_or_default();
            let dict = to_dict(&dict, page_id)?.set("Annots", Obj::Array(items));
            update.replace(page_id, &Obj::Dict(dict));
        }
    }
    Ok(())
}
