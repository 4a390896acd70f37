//! Puts the checks together for each signature and document timestamp of a file and reaches
//! the ETSI EN 319 102-1 verdict: failures that prove the signature wrong first (format,
//! hash, cryptography, forbidden changes, revocation or expiry before a proven time), then
//! what leaves it undecided (trust, revocation unknown, no proof of time).

use openssl::x509::X509;
use time::OffsetDateTime;

use super::VerifyOptions;
use super::algorithms;
use super::byte_range::{self, SignedRange};
use super::changes::{self, RevisionChanges};
use super::digests::FileDigests;
use super::evidence;
use super::fields::{self, Field, decode_text};
use super::integrity;
use super::report::*;
use super::timestamp::{self, CheckedTimestamp};
use super::trust::{self, ChainOutcome, Evidence, JudgedAt, TrustContext};
use super::view::RevisionView;
use crate::pdf::read::{Dictionary, Document, Object};
use crate::pki::SubjectName;
use crate::pki::chain::{self as pki_chain, ParsedCertificate, Purpose};
use crate::pki::remembered::ByDer;
use crate::sign::SignatureScheme;
use crate::sign::cms::ID_AA_SIGNATURE_TIME_STAMP_TOKEN;

/// Everything about the file that each signature's verdict draws on.
struct FileFacts<'d, 'a> {
    doc: &'d Document<'a>,
    /// The file's SHA-256 and each signed range's, from one pass.
    digests: FileDigests<'d>,
    /// Changes of each revision against the one before (index 0 unused).
    revisions: Vec<RevisionChanges>,
    evidence: Evidence,
    context: TrustContext<'d>,
}

/// A signature with what was found before the verdict.
struct Candidate {
    field: Field,
    dict: Dictionary,
    kind: SignatureKind,
    sub_filter: String,
    range: Result<SignedRange, byte_range::StructureError>,
}

pub(super) fn judge(doc: &Document<'_>, options: &VerifyOptions<'_>) -> Report {
    let bytes = doc.bytes();
    let last = doc.revisions().len() - 1;
    let newest = RevisionView::new(doc, last).expect("the last revision exists");
    let revisions = std::iter::once(RevisionChanges::default())
        .chain((1..=last).map(|index| changes::revision_changes(doc, index)))
        .collect();
    let mut candidates: Vec<Candidate> = fields::fields(&newest)
        .into_iter()
        .filter(|f| f.is_signature())
        .filter_map(|field| {
            let value = field.value.clone()?;
            let dict = newest.dict(&value)?;
            let sub_filter = dict
                .get("SubFilter")
                .and_then(Object::as_name)
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default();
            let kind = if dict.has_type("DocTimeStamp") || sub_filter == "ETSI.RFC3161" {
                SignatureKind::DocumentTimestamp
            } else {
                SignatureKind::Signature
            };
            let range = byte_range::check(doc, value.as_ref());
            Some(Candidate {
                field,
                dict,
                kind,
                sub_filter,
                range,
            })
        })
        .collect();
    let facts = FileFacts {
        doc,
        revisions,
        digests: FileDigests::new(
            bytes,
            candidates
                .iter()
                .filter_map(|c| c.range.as_ref().ok().map(|r| r.byte_range)),
        ),
        evidence: evidence::dss(&newest),
        context: TrustContext {
            anchors: &options.trust_anchors,
            now: options.now,
            fetcher: options.fetcher,
        },
    };
    // Revision order; malformed ones last, in field order.
    candidates.sort_by_key(|c| c.range.as_ref().map_or(usize::MAX, SignedRange::end));

    // Document timestamps first, as they give proof of existence to the signatures before.
    let timestamps: Vec<(usize, usize, CheckedTimestamp)> = candidates
        .iter()
        .filter(|c| c.kind == SignatureKind::DocumentTimestamp)
        .filter_map(|c| {
            let range = c.range.as_ref().ok()?;
            let checked = timestamp::check(
                &range.contents,
                &|digest| facts.digests.digest(digest, range.byte_range),
                &facts.evidence,
                &facts.context,
            );
            Some((range.revision.unwrap_or(usize::MAX), range.end(), checked))
        })
        .collect();
    let certification = candidates.iter().find_map(|c| {
        Some((
            c.range.as_ref().ok()?.revision?,
            docmdp_of(&newest, &c.dict)?,
        ))
    });

    let signatures: Vec<SignatureReport> = candidates
        .iter()
        .map(|c| judge_one(&facts, c, &timestamps, certification))
        .collect();
    let last_signed = signatures
        .iter()
        .filter_map(|s| s.revision)
        .max()
        .unwrap_or(0);
    let unsigned_changes = if signatures.is_empty() {
        Vec::new()
    } else {
        (last_signed + 1..=last)
            .flat_map(|r| facts.revisions[r].changes.clone())
            .collect()
    };
    let indication = if signatures.is_empty() {
        Indication::Indeterminate
    } else {
        signatures
            .iter()
            .map(|s| s.indication)
            .max()
            .unwrap_or(Indication::Indeterminate)
    };
    Report {
        schema: SCHEMA,
        sha256: crate::hex::lower(&facts.digests.file_sha256()),
        size: bytes.len() as u64,
        revisions: doc.revisions().len(),
        validation_time: options.now,
        offline: options.fetcher.is_none(),
        indication,
        signatures,
        unsigned_changes,
    }
}

fn judge_one(
    facts: &FileFacts<'_, '_>,
    candidate: &Candidate,
    timestamps: &[(usize, usize, CheckedTimestamp)],
    certification: Option<(usize, DocMdp)>,
) -> SignatureReport {
    let view = RevisionView::new(facts.doc, facts.doc.revisions().len() - 1)
        .expect("the last revision exists");
    let text = |key: &str| match view.value(&candidate.dict, key) {
        Some(Object::String(s)) => Some(decode_text(&s)),
        _ => None,
    };
    let mut report = SignatureReport {
        field: candidate.field.name.clone(),
        kind: candidate.kind,
        revision: None,
        byte_range: None,
        sub_filter: candidate.sub_filter.clone(),
        indication: Indication::TotalPassed,
        sub_indication: None,
        intact: false,
        valid: false,
        trusted: false,
        coverage: Coverage::Partial,
        modification_level: ModificationLevel::None,
        certification: None,
        pades_level: None,
        signer: None,
        claimed_time: text("M").and_then(|m| crate::pdf::parse_pdf_date(&m)),
        timestamp: None,
        revocation: None,
        digest_algorithm: None,
        signature_algorithm: None,
        reason: text("Reason"),
        location: text("Location"),
        changes: Vec::new(),
        findings: Vec::new(),
    };
    let range = match &candidate.range {
        Ok(range) => range,
        Err(problem) => {
            fail(
                &mut report,
                Indication::TotalFailed,
                SubIndication::FormatFailure,
                Finding::ByteRangeInvalid {
                    detail: problem.to_string(),
                },
            );
            return report;
        }
    };
    report.byte_range = Some(range.byte_range.map(|n| n as u64));
    report.revision = range.revision;
    report.coverage = if range.whole_file {
        Coverage::EntireFile
    } else {
        Coverage::EntireRevision
    };

    // What changed afterwards, judged against certification and field locks.
    let later: Vec<ChangeReport> = match range.revision {
        Some(signed) => (signed + 1..facts.revisions.len())
            .flat_map(|r| facts.revisions[r].changes.clone())
            .collect(),
        None => vec![ChangeReport {
            revision: facts.doc.revisions().len() - 1,
            level: ModificationLevel::Other,
            what: Change::Restructured,
        }],
    };
    report.modification_level = later
        .iter()
        .map(|c| c.level)
        .max()
        .unwrap_or(ModificationLevel::None);
    report.changes = later;
    report.certification = docmdp_of(&view, &candidate.dict);
    let mut modification_failure = None;
    if report.modification_level == ModificationLevel::Other {
        modification_failure = Some(Finding::ModifiedAfterSigning {
            level: report.modification_level,
        });
    } else if let Some((certified_at, permission)) = certification
        && range.revision.is_some_and(|r| r >= certified_at)
        && !permission.allows(report.modification_level)
    {
        modification_failure = Some(Finding::DocMdpViolated {
            permission,
            level: report.modification_level,
        });
    } else if let Some((certified_at, permission)) = certification
        && let Some(signed) = range.revision
        && signed >= certified_at
        && (signed + 1..facts.revisions.len())
            .any(|r| !facts.revisions[r].created_visible_signatures.is_empty())
    {
        modification_failure = Some(Finding::DocMdpViolated {
            permission,
            level: report.modification_level,
        });
    } else if let Some(field) = locked_field_filled(facts, &view, candidate, range.revision) {
        modification_failure = Some(Finding::FieldLocked { field });
    }

    match candidate.kind {
        SignatureKind::DocumentTimestamp => {
            // Checked once already, for the proof of existence it gives earlier signatures.
            let checked = timestamps
                .iter()
                .find(|(_, end, _)| *end == range.end())
                .map(|(_, _, checked)| checked);
            judge_document_timestamp(facts, range, checked, &mut report, modification_failure)
        }
        SignatureKind::Signature => judge_signature(
            facts,
            candidate,
            range,
            timestamps,
            &mut report,
            modification_failure,
        ),
    }
    report
}

fn judge_document_timestamp(
    facts: &FileFacts<'_, '_>,
    range: &SignedRange,
    checked: Option<&CheckedTimestamp>,
    report: &mut SignatureReport,
    modification_failure: Option<Finding>,
) {
    if report.sub_filter != "ETSI.RFC3161" {
        fail(
            report,
            Indication::TotalFailed,
            SubIndication::FormatFailure,
            Finding::SubFilterUnsupported {
                sub_filter: report.sub_filter.clone(),
            },
        );
        return;
    }
    let fresh;
    let checked = match checked {
        Some(checked) => checked,
        None => {
            fresh = timestamp::check(
                &range.contents,
                &|digest| facts.digests.digest(digest, range.byte_range),
                &facts.evidence,
                &facts.context,
            );
            &fresh
        }
    };
    report.timestamp = checked.report();
    report.intact = checked.valid;
    report.valid = checked.valid;
    report.trusted = checked.proves_time();
    if let Some(info) = &checked.info {
        report.digest_algorithm =
            algorithms::Hash::from_oid(&info.imprint_algorithm).map(|d| d.name().to_owned());
        report.signer = info
            .tsa_certificate
            .as_ref()
            .map(|c| signer_report(c, checked.chain.as_ref()));
    }
    // A weak token that could not be checked, or a checked one resting on weak algorithms,
    // is undecided rather than wrong (ETSI EN 319 102-1 §5.2.8).
    let weak = checked.weak_finding().map(|finding| {
        (
            Indication::Indeterminate,
            SubIndication::CryptoConstraintsFailureNoPoe,
            finding,
        )
    });
    if !checked.valid {
        if let Some((indication, sub, finding)) = weak {
            fail(report, indication, sub, finding);
            return;
        }
        let sub = match &checked.problem {
            Some(Finding::TimestampInvalid { detail }) if detail.contains("imprint") => {
                SubIndication::HashFailure
            }
            _ => SubIndication::SigCryptoFailure,
        };
        let finding = checked.problem.clone().unwrap_or(Finding::SignatureInvalid);
        fail(report, Indication::TotalFailed, sub, finding);
        return;
    }
    if let Some(finding) = modification_failure {
        fail(
            report,
            Indication::TotalFailed,
            SubIndication::HashFailure,
            finding,
        );
        return;
    }
    if let Some(chain) = &checked.chain {
        report.revocation = Some(chain.revocation.clone());
        if let Some((Indication::TotalFailed, sub, finding)) = chain.failure.clone() {
            fail(report, Indication::TotalFailed, sub, finding);
            return;
        }
    }
    if let Some((indication, sub, finding)) = weak {
        fail(report, indication, sub, finding);
        return;
    }
    if let Some((indication, sub, finding)) = checked.chain.as_ref().and_then(|c| c.failure.clone())
    {
        fail(report, indication, sub, finding);
    }
}

fn judge_signature(
    facts: &FileFacts<'_, '_>,
    candidate: &Candidate,
    range: &SignedRange,
    timestamps: &[(usize, usize, CheckedTimestamp)],
    report: &mut SignatureReport,
    modification_failure: Option<Finding>,
) {
    if !matches!(
        candidate.sub_filter.as_str(),
        "ETSI.CAdES.detached" | "adbe.pkcs7.detached"
    ) {
        fail(
            report,
            Indication::TotalFailed,
            SubIndication::FormatFailure,
            Finding::SubFilterUnsupported {
                sub_filter: candidate.sub_filter.clone(),
            },
        );
        return;
    }
    let integrity = match integrity::check_cades(&range.contents, range.byte_range, &facts.digests)
    {
        Ok(integrity) => integrity,
        Err(finding) => {
            fail(
                report,
                Indication::TotalFailed,
                SubIndication::FormatFailure,
                finding,
            );
            return;
        }
    };
    let parsed = &integrity.parsed;
    report.intact = integrity.intact;
    report.valid = integrity.valid;
    report.digest_algorithm = Some(integrity.digest.name().to_owned());
    report.signature_algorithm = Some(
        match integrity.signature.0 {
            SignatureScheme::RsaPss => "RSASSA-PSS",
            SignatureScheme::RsaPkcs1v15 => "RSA PKCS#1 v1.5",
            SignatureScheme::Ecdsa => "ECDSA",
        }
        .to_owned(),
    );
    report.findings.extend(integrity.notes.iter().cloned());

    // The signature timestamp (B-T) and any document timestamp after this revision prove
    // when the signature existed; the earliest that checks out counts.
    let signature_timestamp = parsed
        .unsigned_attribute(ID_AA_SIGNATURE_TIME_STAMP_TOKEN)
        .and_then(|a| a.values.first())
        .map(|token| {
            timestamp::check(
                token,
                &|digest| digest.digest(&parsed.signature),
                &facts.evidence,
                &facts.context,
            )
        });
    let signed_revision = range.revision.unwrap_or(usize::MAX);
    let proof = signature_timestamp
        .iter()
        .filter(|t| t.proves_time())
        .chain(
            timestamps
                .iter()
                .filter(|(r, _, t)| *r > signed_revision && *r != usize::MAX && t.proves_time())
                .map(|(_, _, t)| t),
        )
        .filter_map(|t| t.info.as_ref().map(|i| i.gen_time))
        .min();
    report.timestamp = signature_timestamp
        .as_ref()
        .and_then(CheckedTimestamp::report);
    let at = JudgedAt {
        time: proof.unwrap_or(facts.context.now),
        proven: proof.is_some(),
    };

    let evidence = evidence::with_cms_values(&facts.evidence, parsed);
    let chain = parsed.signer_certificate.as_ref().map(|certificate| {
        trust::validate(
            certificate,
            &parsed.certificates,
            &evidence,
            Purpose::DocumentSigning,
            at,
            &facts.context,
        )
    });
    if let Some(certificate) = &parsed.signer_certificate {
        report.signer = Some(signer_report(certificate, chain.as_ref()));
    }
    if let Some(chain) = &chain {
        report.trusted = chain.failure.is_none();
        report.revocation = Some(chain.revocation.clone());
    }
    // Cryptographic constraints (ETSI EN 319 102-1 §5.2.8): the digest and signature
    // algorithms, the signer's key, and the keys and certificate signatures of the chain as
    // far as it was built; a weak one passes only when the proof of existence came before
    // its sunset (§5.6.2.5).
    let mut weak = integrity.weak.clone();
    let signer_chain = match (&chain, &parsed.signer_certificate) {
        (Some(c), _) if !c.chain.is_empty() => c.chain.clone(),
        (_, Some(certificate)) => vec![certificate.clone()],
        _ => Vec::new(),
    };
    weak.extend(algorithms::weak_chain(
        &signer_chain,
        AlgorithmUse::SignerKey,
    ));
    let crypto_failure = algorithms::unacceptable(&weak, proof).map(|w| w.finding.clone());

    report.pades_level = pades_level(
        facts,
        candidate,
        &integrity,
        signature_timestamp.as_ref(),
        chain.as_ref(),
        signed_revision,
        timestamps,
    );

    // The verdict, most decisive first.
    if let Some((sub, finding)) = integrity.failure.clone() {
        let indication = match sub {
            SubIndication::NoSigningCertificateFound | SubIndication::SigConstraintsFailure => {
                Indication::Indeterminate
            }
            _ => Indication::TotalFailed,
        };
        fail(report, indication, sub, finding);
        return;
    }
    if let Some(finding) = modification_failure {
        fail(
            report,
            Indication::TotalFailed,
            SubIndication::HashFailure,
            finding,
        );
        return;
    }
    let chain_failure = chain.as_ref().and_then(|c| c.failure.clone());
    if let Some((Indication::TotalFailed, sub, finding)) = chain_failure.clone() {
        fail(report, Indication::TotalFailed, sub, finding);
        return;
    }
    if let Some(finding) = crypto_failure {
        fail(
            report,
            Indication::Indeterminate,
            SubIndication::CryptoConstraintsFailureNoPoe,
            finding,
        );
        return;
    }
    if let Some((indication, sub, finding)) = chain_failure {
        fail(report, indication, sub, finding);
        return;
    }
    if let Some(stamp) = &signature_timestamp
        && !stamp.proves_time()
    {
        if let Some(finding) = stamp.weak_finding() {
            fail(
                report,
                Indication::Indeterminate,
                SubIndication::CryptoConstraintsFailureNoPoe,
                finding,
            );
            return;
        }
        let finding = stamp.problem.clone().unwrap_or(Finding::TimestampInvalid {
            detail: "the signature timestamp does not check out".into(),
        });
        fail(
            report,
            Indication::Indeterminate,
            SubIndication::SigConstraintsFailure,
            finding,
        );
    }
}

/// The PAdES baseline level reached (ETSI EN 319 142-1 §6.2–6.5).
fn pades_level(
    facts: &FileFacts<'_, '_>,
    candidate: &Candidate,
    integrity: &integrity::Integrity,
    signature_timestamp: Option<&CheckedTimestamp>,
    chain: Option<&ChainOutcome>,
    signed_revision: usize,
    timestamps: &[(usize, usize, CheckedTimestamp)],
) -> Option<PadesLevel> {
    if candidate.sub_filter != "ETSI.CAdES.detached"
        || !integrity::is_pades_baseline(&integrity.parsed)
    {
        return None;
    }
    let later_stamp = |from: usize| {
        timestamps.iter().any(|(r, _, t)| {
            *r != usize::MAX && *r >= from && *r > signed_revision && t.proves_time()
        })
    };
    let timestamped = signature_timestamp.is_some_and(CheckedTimestamp::proves_time)
        || later_stamp(signed_revision + 1);
    if !timestamped {
        return Some(PadesLevel::BB);
    }
    let dss_revision = evidence::first_dss_revision(facts.doc, signed_revision);
    let long_term = dss_revision.is_some() && chain.is_some_and(|c| c.revocation_from_file);
    match dss_revision {
        Some(dss) if long_term && later_stamp(dss) => Some(PadesLevel::BLta),
        Some(_) if long_term => Some(PadesLevel::BLt),
        _ => Some(PadesLevel::BT),
    }
}

fn fail(
    report: &mut SignatureReport,
    indication: Indication,
    sub: SubIndication,
    finding: Finding,
) {
    report.indication = indication;
    report.sub_indication = Some(sub);
    report.findings.push(finding);
}

/// The DocMDP permission of a certification signature: a /Reference entry with
/// /TransformMethod /DocMDP (ISO 32000-1 §12.8.2.2, Table 254); /P defaults to 2.
fn docmdp_of(view: &RevisionView<'_, '_>, dict: &Dictionary) -> Option<DocMdp> {
    let Some(Object::Array(references)) = view.value(dict, "Reference") else {
        return None;
    };
    references.iter().find_map(|reference| {
        let reference = view.dict(reference)?;
        if reference.get("TransformMethod").and_then(Object::as_name) != Some(b"DocMDP") {
            return None;
        }
        let p = reference
            .get("TransformParams")
            .and_then(|t| view.dict(t))
            .and_then(|t| view.value(&t, "P"))
            .and_then(|p| p.as_int())
            .unwrap_or(2);
        Some(match p {
            1 => DocMdp::NoChanges,
            3 => DocMdp::Annotations,
            _ => DocMdp::FormFilling,
        })
    })
}

/// A field locked by this signature's FieldMDP (its /Reference, ISO 32000-1 Table 256, or
/// its field's /Lock, Table 233) whose value a later revision changed.
fn locked_field_filled(
    facts: &FileFacts<'_, '_>,
    view: &RevisionView<'_, '_>,
    candidate: &Candidate,
    signed: Option<usize>,
) -> Option<String> {
    let signed = signed?;
    let mut locks: Vec<Dictionary> = Vec::new();
    if let Some(Object::Array(references)) = view.value(&candidate.dict, "Reference") {
        for reference in references {
            let Some(reference) = view.dict(&reference) else {
                continue;
            };
            if reference.get("TransformMethod").and_then(Object::as_name) == Some(b"FieldMDP")
                && let Some(params) = reference.get("TransformParams").and_then(|t| view.dict(t))
            {
                locks.push(params);
            }
        }
    }
    locks.extend(candidate.field.lock.clone());
    let filled: Vec<&String> = (signed + 1..facts.revisions.len())
        .flat_map(|r| facts.revisions[r].filled_fields.iter())
        .collect();
    for lock in &locks {
        let action = lock
            .get("Action")
            .and_then(Object::as_name)
            .unwrap_or(b"All");
        let names: Vec<String> = match view.value(lock, "Fields") {
            Some(Object::Array(items)) => items
                .iter()
                .filter_map(|i| match view.resolve(i) {
                    Object::String(s) => Some(decode_text(&s)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let covered = |field: &str| {
            let named = names
                .iter()
                .any(|n| field == n || field.starts_with(&format!("{n}.")));
            match action {
                b"Include" => named,
                b"Exclude" => !named,
                _ => true,
            }
        };
        if let Some(field) = filled.iter().find(|f| covered(f)) {
            return Some((*field).clone());
        }
    }
    None
}

fn signer_report(certificate: &[u8], chain: Option<&ChainOutcome>) -> SignerReport {
    let parsed = ParsedCertificate::from_der(certificate).ok();
    let subject = subject_name(certificate);
    let root = chain
        .filter(|c| c.failure.is_none() || !c.chain.is_empty())
        .and_then(|c| c.chain.last())
        .and_then(|r| ParsedCertificate::from_der(r).ok());
    let hierarchy = match &root {
        Some(root) if pki_chain::is_government_root(root) => Hierarchy::GovernmentSpecialUse,
        Some(_) => Hierarchy::Public,
        None => Hierarchy::Unknown,
    };
    SignerReport {
        common_name: subject
            .as_ref()
            .map(|s| s.common_name.clone())
            .or_else(|| parsed.as_ref().map(ParsedCertificate::subject_cn))
            .unwrap_or_default(),
        organization: subject.as_ref().and_then(|s| s.organization.clone()),
        identities: subject
            .as_ref()
            .map(|s| {
                s.identities
                    .iter()
                    .map(|i| IdentityReport {
                        kind: i.kind.prefix().trim_end_matches(':').to_owned(),
                        value: i.value.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        issuer: parsed
            .as_ref()
            .map(|p| pki_chain::display_name(p.issuer()))
            .unwrap_or_default(),
        serial: parsed
            .as_ref()
            .map(|p| {
                crate::hex::lower(p.cert.tbs_certificate.serial_number.as_bytes()).to_uppercase()
            })
            .unwrap_or_default(),
        not_before: parsed
            .as_ref()
            .map_or(OffsetDateTime::UNIX_EPOCH, ParsedCertificate::not_before),
        not_after: parsed
            .as_ref()
            .map_or(OffsetDateTime::UNIX_EPOCH, ParsedCertificate::not_after),
        hierarchy,
    }
}

/// The subject of a certificate as kyso names it, remembered for the last few hundred
/// certificates: OpenSSL 3 decodes the public key whenever it parses a certificate, which
/// costs more than the rest of the report, and a verifier meets the same signers again.
fn subject_name(certificate: &[u8]) -> Option<SubjectName> {
    static NAMES: ByDer<Option<SubjectName>> = ByDer::new(512);
    let decoded = NAMES.get_or_decode(certificate, |der| {
        Ok::<_, std::convert::Infallible>(
            X509::from_der(der)
                .ok()
                .and_then(|x| SubjectName::from_x509_name(x.subject_name()).ok()),
        )
    });
    decoded.unwrap_or_else(|never| match never {})
}
