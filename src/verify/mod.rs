//! Signature validation (ETSI EN 319 102-1 applied to PAdES, ETSI EN 319 142-1): for every
//! signature and document timestamp, in revision order — the structure of its /ByteRange
//! (`byte_range`), integrity and the CMS (`integrity`), the chain and revocation at the right
//! time (`trust`), timestamps (`timestamp`), what changed afterwards (`changes`) — ending in a
//! [`Report`] with one verdict each. Rendering the report in words is `render`. Files, clocks
//! and the network stay with the caller: bytes, a time and a [`Fetcher`] come in.

mod algorithms;
mod byte_range;
mod changes;
mod digests;
mod evidence;
mod fields;
mod integrity;
mod judge;
pub mod render;
pub mod report;
mod timestamp;
mod trust;
mod view;

use time::OffsetDateTime;

pub use report::{
    AlgorithmUse, Change, ChangeReport, Coverage, DocMdp, Finding, Hierarchy, Indication,
    ModificationLevel, PadesLevel, Report, SCHEMA, SignatureKind, SignatureReport, SubIndication,
};

use crate::pdf::read::{Document, Limits, PdfReadError};
use crate::pki::revocation::Fetcher;

/// What validation rests on besides the file.
pub struct VerifyOptions<'a> {
    /// Trust anchors (DER). Nothing else is trusted, never the operating system's store.
    pub trust_anchors: Vec<Vec<u8>>,
    /// The validation time ("now", or the time asked for).
    pub now: OffsetDateTime,
    /// Fetches OCSP responses and CRLs the file does not carry; `None` validates offline.
    pub fetcher: Option<&'a dyn Fetcher>,
}

/// Why a file could not be evaluated at all (as opposed to a negative verdict).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("the file cannot be read as a PDF")]
    Pdf(#[from] PdfReadError),
    #[error("the {what} cannot be read, so the signatures cannot be found")]
    Unreadable {
        what: &'static str,
        #[source]
        source: PdfReadError,
    },
}

/// Bounds for reading files to verify: decoded streams (DSS values, object streams) are
/// small in signed documents, so a lower ceiling stops decompression bombs early.
fn limits() -> Limits {
    Limits::default().with_max_decoded_bytes(64 << 20)
}

/// Validates every signature and document timestamp of `bytes`.
pub fn verify_pdf(bytes: &[u8], options: &VerifyOptions<'_>) -> Result<Report, VerifyError> {
    let document = Document::load_with(bytes, limits())?;
    // Signatures are found through the catalog's interactive form: if either cannot be
    // read, "no signature" would be a wrong answer, so the file cannot be evaluated.
    let unreadable = |what| move |source| VerifyError::Unreadable { what, source };
    let catalog = document.catalog().map_err(unreadable("document catalog"))?;
    if let Some(acroform) = catalog.get("AcroForm") {
        document
            .resolve_dict(acroform, crate::pdf::read::Location::Trailer, "AcroForm")
            .map_err(unreadable("interactive form (/AcroForm)"))?;
    }
    Ok(judge::judge(&document, options))
}
