//! The validation data a file carries for later verifiers: the document security store
//! (ETSI EN 319 142-1 §5.4.2: /DSS with /Certs, /OCSPs, /CRLs and per-signature /VRI) read
//! from the newest revision, and the revision where it first appeared. Judging the data is
//! left to `trust`.

use std::collections::HashSet;

use der::asn1::AnyRef;
use der::{Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};

use super::trust::Evidence;
use super::view::RevisionView;
use crate::pdf::read::{Dictionary, Object, ObjectId};
use crate::sign::cms::ReceivedSignedData;

/// adbe-revocationInfoArchival (ISO 32000-1 §12.8.3.3.2): revocation values inside the
/// signed attributes of a PDF signature.
const ADBE_REVOCATION_INFO_ARCHIVAL: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.2.840.113583.1.1.8");

/// Most values read from one CMS attribute, and from the whole DSS (its arrays and every VRI
/// entry together), against files that list millions.
const MAX_VALUES: usize = 10_000;

/// Most bytes the DSS values may decode to together. A value that fails to decode counts as
/// the reader's whole limit, since it may have inflated that much before failing: a few
/// decompression bombs end the reading instead of each costing a full inflation.
const MAX_DECODED_BYTES: usize = 256 << 20;

/// What reading one DSS may still cost, and the streams already read into each list (a
/// file may list one stream thousands of times).
struct Budget {
    values: usize,
    bytes: usize,
    seen: HashSet<(&'static str, ObjectId)>,
}

/// The DSS of the view, or empty evidence when there is none.
pub(crate) fn dss(view: &RevisionView<'_, '_>) -> Evidence {
    let mut evidence = Evidence::default();
    let Some(dss) = view
        .catalog()
        .and_then(|c| c.get("DSS").and_then(|d| view.dict(d)))
    else {
        return evidence;
    };
    let mut budget = Budget {
        values: MAX_VALUES,
        bytes: MAX_DECODED_BYTES,
        seen: HashSet::new(),
    };
    let budget = &mut budget;
    read_values(view, &dss, "Certs", &mut evidence.certificates, budget);
    read_values(view, &dss, "OCSPs", &mut evidence.ocsp_responses, budget);
    read_values(view, &dss, "CRLs", &mut evidence.crls, budget);
    if let Some(Object::Dict(vri)) = view.value(&dss, "VRI") {
        for (_, entry) in vri.iter().take(MAX_VALUES) {
            let Some(entry) = view.dict(entry) else {
                continue;
            };
            read_values(view, &entry, "Cert", &mut evidence.certificates, budget);
            read_values(view, &entry, "OCSP", &mut evidence.ocsp_responses, budget);
            read_values(view, &entry, "CRL", &mut evidence.crls, budget);
        }
    }
    evidence
}

fn read_values(
    view: &RevisionView<'_, '_>,
    dict: &Dictionary,
    key: &'static str,
    into: &mut Vec<Vec<u8>>,
    budget: &mut Budget,
) {
    let Some(Object::Array(items)) = view.value(dict, key) else {
        return;
    };
    // "Certs" in the DSS and "Cert" in a VRI entry fill the same list.
    let list = key.trim_end_matches('s');
    for item in items.iter() {
        if budget.values == 0 || budget.bytes == 0 {
            return;
        }
        budget.values -= 1;
        if let Object::Ref(id) = item
            && !budget.seen.insert((list, *id))
        {
            continue;
        }
        let Object::Stream(stream) = view.resolve(item) else {
            continue;
        };
        match view.doc.decode_stream(&stream) {
            Ok(decoded) => {
                budget.bytes = budget.bytes.saturating_sub(decoded.data.len());
                if !into.contains(&decoded.data) {
                    into.push(decoded.data);
                }
            }
            Err(_) => {
                let limit = view.doc.limits().max_decoded_bytes;
                budget.bytes = budget.bytes.saturating_sub(limit);
            }
        }
    }
}

/// The first revision after `after` whose catalog has a /DSS.
pub(crate) fn first_dss_revision(
    doc: &crate::pdf::read::Document<'_>,
    after: usize,
) -> Option<usize> {
    (after + 1..doc.revisions().len()).find(|&index| {
        RevisionView::new(doc, index)
            .and_then(|v| v.catalog())
            .is_some_and(|c| c.contains("DSS"))
    })
}

/// The file's evidence plus the revocation values the signature carries: in the SignedData's
/// `crls` field (RFC 5652 §10.2.1: CRLs, and OCSP responses as id-ri-ocsp-response, RFC 5940
/// §2.1), and in its signed attributes:
///
/// ```text
/// RevocationInfoArchival ::= SEQUENCE {
///     crl          [0] EXPLICIT SEQUENCE of CRLs OPTIONAL,
///     ocsp         [1] EXPLICIT SEQUENCE of OCSPResponse OPTIONAL,
///     otherRevInfo [2] EXPLICIT SEQUENCE of OtherRevInfo OPTIONAL }
/// ```
pub(crate) fn with_cms_values(file: &Evidence, parsed: &ReceivedSignedData) -> Evidence {
    let mut evidence = file.clone();
    for certificate in &parsed.certificates {
        if !evidence.certificates.contains(certificate) {
            evidence.certificates.push(certificate.clone());
        }
    }
    let take = |from: &[Vec<u8>], into: &mut Vec<Vec<u8>>| {
        into.extend(from.iter().take(MAX_VALUES).cloned());
    };
    take(&parsed.revocation_crls, &mut evidence.cms_crls);
    take(
        &parsed.revocation_ocsp_responses,
        &mut evidence.cms_ocsp_responses,
    );
    let Some(attribute) = parsed.signed_attribute(ADBE_REVOCATION_INFO_ARCHIVAL) else {
        return evidence;
    };
    for value in &attribute.values {
        let _ = read_archival(value, &mut evidence);
    }
    evidence
}

fn read_archival(value: &[u8], evidence: &mut Evidence) -> der::Result<()> {
    let archival = AnyRef::from_der(value)?;
    let mut fields = SliceReader::new(archival.value())?;
    while !fields.is_finished() {
        let field: AnyRef<'_> = fields.decode()?;
        let into = match field.tag() {
            Tag::ContextSpecific {
                number: TagNumber::N0,
                ..
            } => &mut evidence.cms_crls,
            Tag::ContextSpecific {
                number: TagNumber::N1,
                ..
            } => &mut evidence.cms_ocsp_responses,
            _ => continue,
        };
        let list = AnyRef::from_der(field.value())?;
        let mut items = SliceReader::new(list.value())?;
        while !items.is_finished() && into.len() < MAX_VALUES {
            let item: AnyRef<'_> = items.decode()?;
            into.push(item.to_der()?);
        }
    }
    Ok(())
}
