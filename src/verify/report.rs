//! The verification report: one verdict per signature and document timestamp in the terms of
//! ETSI EN 319 102-1 (indication, sub-indication), plus what a PDF reader needs to know
//! (coverage, modifications after signing, PAdES level, who signed). It serialises to the
//! versioned JSON schema documented in `docs/verify-report.md`; turning it into words is left
//! to `render`.

use serde::Serialize;
use time::OffsetDateTime;

pub use crate::sign::PadesLevel;

/// The schema identifier written into every JSON report. Bump the number on any change that
/// renames or removes a field; adding fields keeps it.
pub const SCHEMA: &str = "kyso.verify/1";

/// The main status indication of a validation (ETSI EN 319 102-1 §5.1.3, Table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Indication {
    TotalPassed,
    Indeterminate,
    TotalFailed,
}

/// Why a validation is not TOTAL_PASSED (ETSI EN 319 102-1 §5.1.3, Table 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum SubIndication {
    /// The signature or its container does not conform to the format (PDF /ByteRange,
    /// /Contents, SubFilter, CMS structure).
    FormatFailure,
    /// The signed bytes do not match the message digest, or the document was changed after
    /// signing in a way that alters what it shows or that its certification forbids.
    HashFailure,
    /// The signature value does not verify with the signer's public key.
    SigCryptoFailure,
    /// The signer's certificate was revoked before the (proven) signing time.
    Revoked,
    /// The signer's certificate had expired at the (proven) signing time.
    Expired,
    /// The signer's certificate was not yet valid at the (proven) signing time.
    NotYetValid,
    /// Signed attributes are missing or inconsistent, or a timestamp does not check out.
    SigConstraintsFailure,
    /// A certificate of the chain breaks a constraint (CA flag, key usage, path length).
    ChainConstraintsFailure,
    /// A certificate's signature in the chain does not verify.
    CertificateChainGeneralFailure,
    /// The certificate named by the signature is not in the file.
    NoSigningCertificateFound,
    /// No chain to a trust anchor could be built.
    NoCertificateChainFound,
    /// The signer's certificate is revoked and nothing proves the signature came before.
    RevokedNoPoe,
    /// The signer's certificate is outside its validity now and nothing proves the signature
    /// was made while it was valid.
    OutOfBoundsNoPoe,
    /// Revocation status could not be established (no data in the file, offline, or the
    /// responder did not answer).
    TryLater,
    /// An algorithm or key size the signature, its chain or its timestamp relies on is below
    /// the required strength, and no trusted proof of existence dates the signature before
    /// that algorithm's sunset (ETSI EN 319 102-1 §5.2.8, §5.6.2.5).
    CryptoConstraintsFailureNoPoe,
}

/// What a weak algorithm or key is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlgorithmUse {
    /// The digest of the signed bytes and of the signed attributes (digestAlgorithm).
    MessageDigest,
    /// The hash inside the signature algorithm (signatureAlgorithm).
    SignatureAlgorithm,
    /// The signer's public key.
    SignerKey,
    /// A CA's public key in the signer's or the TSA's chain.
    CertificateKey,
    /// The hash of a certificate's signature in the chain.
    CertificateSignature,
    /// A timestamp's message imprint or the hash of its own signature.
    TimestampDigest,
    /// The time-stamping authority's public key.
    TimestampKey,
}

/// How much of the file a signature's /ByteRange covers (after pyHanko's terms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// The whole file but the /Contents value.
    EntireFile,
    /// A whole earlier revision; later incremental updates follow.
    EntireRevision,
    /// Not a whole revision: the byte range is malformed.
    Partial,
}

/// The most far-reaching kind of change made after a signature (ISO 32000-1 §12.8.2.2 and
/// ETSI EN 319 142-1 §5.4 allow the lower ones depending on DocMDP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModificationLevel {
    None,
    /// Long-term validation data (DSS), document timestamps, document metadata.
    Dss,
    /// Field values, new signatures and their appearances.
    FormFilling,
    /// Annotations added or changed.
    Annotations,
    /// Anything else, among which every change to what the pages show.
    Other,
}

/// The DocMDP permission of a certification signature (ISO 32000-1 Table 254 /P).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocMdp {
    NoChanges,
    FormFilling,
    Annotations,
}

impl DocMdp {
    /// The most a later revision may change under this permission. LTV data and document
    /// timestamps are allowed even under /P 1 (ETSI EN 319 142-1 §5.4.1).
    pub fn allows(self, level: ModificationLevel) -> bool {
        level
            <= match self {
                DocMdp::NoChanges => ModificationLevel::Dss,
                DocMdp::FormFilling => ModificationLevel::FormFilling,
                DocMdp::Annotations => ModificationLevel::Annotations,
            }
    }
}

/// A signature proper or a document timestamp (ETSI EN 319 142-1 §5.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureKind {
    Signature,
    DocumentTimestamp,
}

/// Which kind of hierarchy the signer's chain ends in: a public CA serving citizens, or the
/// government special-use hierarchy (Decree 68/2024/ND-CP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hierarchy {
    Public,
    GovernmentSpecialUse,
    Unknown,
}

/// A Vietnamese identity from the subject's UID attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityReport {
    /// CCCD, CMND, HC, MST or MNS.
    pub kind: String,
    pub value: String,
}

/// Who signed (or which TSA stamped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignerReport {
    pub common_name: String,
    pub organization: Option<String>,
    pub identities: Vec<IdentityReport>,
    pub issuer: String,
    /// Hexadecimal, upper case.
    pub serial: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    pub hierarchy: Hierarchy,
}

/// A timestamp that was checked: a signature timestamp or the document timestamp itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimestampReport {
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub authority: Option<String>,
    /// The imprint matches and the token's signature verifies.
    pub valid: bool,
    /// The TSA's chain ends in a trust anchor and is usable at the stamped time.
    pub trusted: bool,
}

/// Where the revocation status of the signer's certificate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationSource {
    /// The file's document security store (PAdES B-LT).
    Dss,
    /// Revocation values inside the CMS.
    Cms,
    /// Fetched now from the OCSP responder or CRL the certificate names.
    Online,
    /// Not established.
    None,
}

/// The revocation status the report rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevocationReport {
    /// good, revoked, unknown or unchecked.
    pub status: String,
    pub source: RevocationSource,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// One change found in a revision after a signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeReport {
    /// The revision that made it, 0 being the original file.
    pub revision: usize,
    pub level: ModificationLevel,
    pub what: Change,
}

/// What a later revision changed, in terms a reader can be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change {
    /// Validation data (DSS) added or extended.
    ValidationData,
    /// Document information or XMP metadata updated.
    Metadata,
    /// A document timestamp added.
    DocumentTimestamp { field: String },
    /// A new signature, or a field prepared for one.
    Signature { field: String },
    /// A form field's value changed.
    FieldValue { field: String },
    /// An annotation added or changed on a page (1-based).
    Annotation {
        page: Option<usize>,
        subtype: String,
    },
    /// What a page shows changed: its content, resources, or the page itself.
    PageContent { page: Option<usize>, object: u32 },
    /// An object replaced or freed that does not fall in any allowed kind.
    Object { object: u32, detail: String },
    /// The file was rewritten so that the signed revision is no longer part of its history.
    Restructured,
}

/// A finding that explains the verdict, with the data to say it in any language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Finding {
    ByteRangeInvalid {
        detail: String,
    },
    SubFilterUnsupported {
        sub_filter: String,
    },
    CmsUnreadable {
        detail: String,
    },
    DigestMismatch,
    SignatureInvalid,
    SignedAttributes {
        detail: String,
    },
    SignerCertificateMissing,
    ChainNotFound {
        detail: String,
    },
    Untrusted {
        root: String,
    },
    ChainProblem {
        detail: String,
    },
    CertificateExpired {
        subject: String,
        #[serde(with = "time::serde::rfc3339")]
        not_after: OffsetDateTime,
    },
    CertificateNotYetValid {
        subject: String,
        #[serde(with = "time::serde::rfc3339")]
        not_before: OffsetDateTime,
    },
    Revoked {
        subject: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    RevocationUnknown {
        subject: String,
        detail: String,
    },
    TimestampInvalid {
        detail: String,
    },
    TimestampUntrusted {
        detail: String,
    },
    ModifiedAfterSigning {
        level: ModificationLevel,
    },
    DocMdpViolated {
        permission: DocMdp,
        level: ModificationLevel,
    },
    FieldLocked {
        field: String,
    },
    /// An algorithm or key below the required strength: what it is used for, whose
    /// certificate (for keys and certificate signatures), its name ("SHA-1", "RSA-1024"),
    /// and since when it is weak (`None`: it never was strong enough); `detail` says the
    /// same in one English line.
    WeakAlgorithm {
        detail: String,
        used_for: AlgorithmUse,
        subject: Option<String>,
        algorithm: String,
        #[serde(with = "time::serde::rfc3339::option")]
        sunset: Option<OffsetDateTime>,
    },
}

/// The verdict on one signature or document timestamp.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignatureReport {
    pub field: String,
    pub kind: SignatureKind,
    /// The revision this signature signs (0 = the original file).
    pub revision: Option<usize>,
    pub byte_range: Option<[u64; 4]>,
    pub sub_filter: String,
    pub indication: Indication,
    pub sub_indication: Option<SubIndication>,
    /// The digest over the byte ranges equals the signed message digest.
    pub intact: bool,
    /// Intact, and the signature value verifies.
    pub valid: bool,
    /// The signer's chain ends in a trust anchor and is usable at the signing time.
    pub trusted: bool,
    pub coverage: Coverage,
    pub modification_level: ModificationLevel,
    /// The DocMDP permission when this is a certification signature.
    pub certification: Option<DocMdp>,
    pub pades_level: Option<PadesLevel>,
    pub signer: Option<SignerReport>,
    /// /M, as the signer's computer claimed it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub claimed_time: Option<OffsetDateTime>,
    /// The signature timestamp (B-T), or the document timestamp itself.
    pub timestamp: Option<TimestampReport>,
    pub revocation: Option<RevocationReport>,
    pub digest_algorithm: Option<String>,
    pub signature_algorithm: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub changes: Vec<ChangeReport>,
    pub findings: Vec<Finding>,
}

/// The report on a whole file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema: &'static str,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
    pub size: u64,
    pub revisions: usize,
    #[serde(with = "time::serde::rfc3339")]
    pub validation_time: OffsetDateTime,
    /// Revocation data was only taken from the file.
    pub offline: bool,
    /// TOTAL_PASSED only when there is at least one signature and every one passed.
    pub indication: Indication,
    pub signatures: Vec<SignatureReport>,
    /// Revisions after the last signature that no signature covers.
    pub unsigned_changes: Vec<ChangeReport>,
}

impl Report {
    /// Every signature and document timestamp TOTAL_PASSED, and at least one of them.
    pub fn all_passed(&self) -> bool {
        !self.signatures.is_empty()
            && self
                .signatures
                .iter()
                .all(|s| s.indication == Indication::TotalPassed)
    }
}
