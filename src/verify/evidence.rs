//! The validation data a file carries for later verifiers: the document security store
//! (ETSI EN 319 142-1 §5.4.2: /DSS with /Certs, /OCSPs, /CRLs and per-signature /VRI) read
//! from the newest revision, and the revision where it first appeared. Judging the data is
//! left to `trust`.

use super::trust::Evidence;
use super::view::RevisionView;
use crate::pdf::read::{Dictionary, Object};

/// Most values read from one DSS array, against files that list millions.
const MAX_VALUES: usize = 10_000;

/// The DSS of the view, or empty evidence when there is none.
pub(crate) fn dss(view: &RevisionView<'_, '_>) -> Evidence {
    let mut evidence = Evidence::default();
    let Some(dss) = view
        .catalog()
        .and_then(|c| c.get("DSS").and_then(|d| view.dict(d)))
    else {
        return evidence;
    };
    read_values(view, &dss, "Certs", &mut evidence.certificates);
    read_values(view, &dss, "OCSPs", &mut evidence.ocsp_responses);
    read_values(view, &dss, "CRLs", &mut evidence.crls);
    if let Some(Object::Dict(vri)) = view.value(&dss, "VRI") {
        for (_, entry) in vri.iter().take(MAX_VALUES) {
            let Some(entry) = view.dict(entry) else {
                continue;
            };
            read_values(view, &entry, "Cert", &mut evidence.certificates);
            read_values(view, &entry, "OCSP", &mut evidence.ocsp_responses);
            read_values(view, &entry, "CRL", &mut evidence.crls);
        }
    }
    evidence
}

fn read_values(view: &RevisionView<'_, '_>, dict: &Dictionary, key: &str, into: &mut Vec<Vec<u8>>) {
    let Some(Object::Array(items)) = view.value(dict, key) else {
        return;
    };
    for item in items.iter().take(MAX_VALUES) {
        let Object::Stream(stream) = view.resolve(item) else {
            continue;
        };
        if let Ok(decoded) = view.doc.decode_stream(&stream)
            && !into.contains(&decoded.data)
        {
            into.push(decoded.data);
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
