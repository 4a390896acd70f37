//! The Document Security Store (ETSI EN 319 142-1 §5.4.2; ISO 32000-2 §12.8.4.3): an
//! incremental update that adds the certificates, OCSP responses and CRLs a validator needs
//! later, when the services that gave them may be gone (PAdES B-LT). Gathering that data
//! is left to `pki::revocation`.

use std::collections::HashSet;

use crate::pdf::incremental::{IncrementalUpdate, to_dict, to_obj};
use crate::pdf::object::{Dict, Obj, PendingObject, deflate};
use crate::pdf::read::{Document, Object, ObjectId};

use super::pades::PadesError;

/// What a DSS update adds: each item is the DER of one certificate, OCSPResponse or CRL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationMaterial {
    pub certificates: Vec<Vec<u8>>,
    pub ocsp_responses: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
}

impl ValidationMaterial {
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty() && self.ocsp_responses.is_empty() && self.crls.is_empty()
    }

    /// Adds `other`'s items not already present.
    pub fn extend(&mut self, other: ValidationMaterial) {
        for (mine, theirs) in [
            (&mut self.certificates, other.certificates),
            (&mut self.ocsp_responses, other.ocsp_responses),
            (&mut self.crls, other.crls),
        ] {
            for item in theirs {
                if !mine.contains(&item) {
                    mine.push(item);
                }
            }
        }
    }
}

/// Appends a revision whose catalog carries a /DSS holding the existing DSS entries plus
/// `material` (items already in the DSS are not added twice).
pub fn add_dss(original: &[u8], material: &ValidationMaterial) -> Result<Vec<u8>, PadesError> {
    let document = Document::load(original)?;
    let catalog_id = document
        .trailer()
        .get("Root")
        .and_then(Object::as_ref)
        .ok_or(crate::pdf::incremental::UpdateError::Trailer { key: "/Root" })?;
    let catalog = document.catalog()?;
    let existing = match catalog.get("DSS") {
        Some(entry) => document
            .resolve(entry)?
            .as_dict()
            .cloned()
            .unwrap_or_default(),
        None => Default::default(),
    };
    let existing_id = catalog.get("DSS").and_then(Object::as_ref);
    let mut dss = to_dict(&existing, existing_id.unwrap_or(catalog_id))?;
    dss.insert("Type", Obj::name("DSS"));

    let mut update = IncrementalUpdate::new(&document)?;
    for (key, items) in [
        ("Certs", &material.certificates),
        ("OCSPs", &material.ocsp_responses),
        ("CRLs", &material.crls),
    ] {
        let (mut refs, present) = existing_entries(&document, &existing, key)?;
        let mut added = false;
        for item in items {
            let digest = openssl::sha::sha256(item);
            if present.contains(&digest) {
                continue;
            }
            let id = update.alloc();
            update.add(PendingObject::Stream(
                id,
                Dict::new().set("Filter", Obj::name("FlateDecode")),
                deflate(item),
            ));
            refs.push(Obj::Ref(id));
            added = true;
        }
        if added || !refs.is_empty() {
            dss.insert(key, Obj::Array(refs));
        }
    }

    match existing_id {
        Some(id) => update.replace(id, &Obj::Dict(dss)),
        None => {
            let dss_id = update.alloc();
            update.add(PendingObject::Object(dss_id, Obj::Dict(dss)));
            let catalog_dict = to_dict(&catalog, catalog_id)?.set("DSS", dss_id);
            update.replace(catalog_id, &Obj::Dict(catalog_dict));
        }
    }
    Ok(update.finish()?.bytes)
}

/// The references an existing DSS array holds, and the SHA-256 of each item's data.
fn existing_entries(
    document: &Document<'_>,
    dss: &crate::pdf::read::Dictionary,
    key: &str,
) -> Result<(Vec<Obj>, HashSet<[u8; 32]>), PadesError> {
    let mut refs = Vec::new();
    let mut digests = HashSet::new();
    let Some(array) = document.get_key(dss, key)? else {
        return Ok((refs, digests));
    };
    for item in array.as_array().unwrap_or_default() {
        refs.push(to_obj(item, ObjectId::new(0, 0))?);
        if let Ok(Object::Stream(stream)) = document.resolve(item)
            && let Ok(decoded) = document.decode_stream(&stream)
        {
            digests.insert(openssl::sha::sha256(&decoded.data));
        }
    }
    Ok((refs, digests))
}
