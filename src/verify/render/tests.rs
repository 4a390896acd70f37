//! Reports built by hand, rendered in both languages: the key phrases, NFC, no junk lines,
//! and every variant worded. The JSON example in `docs/verify-report.md` is checked against
//! the report types here too, since the same fixtures describe it.

use time::OffsetDateTime;
use time::macros::datetime;

use super::{Lang, render, sentences, words};
use crate::verify::report::Change;
use crate::verify::report::{
    AlgorithmUse, ChangeReport, Coverage, DocMdp, Finding, Hierarchy, IdentityReport, Indication,
    ModificationLevel, PadesLevel, Report, RevocationReport, RevocationSource, SCHEMA,
    SignatureKind, SignatureReport, SignerReport, SubIndication, TimestampReport,
};

const SIGNED: OffsetDateTime = datetime!(2026-11-22 14:14:05 UTC);

fn citizen() -> SignerReport {
    SignerReport {
        common_name: "Nguyễn Văn An".into(),
        organization: None,
        identities: vec![IdentityReport {
            kind: "CCCD".into(),
            value: "001089012345".into(),
        }],
        issuer: "Kyso Test Public CA".into(),
        serial: "1A2B3C4D".into(),
        not_before: datetime!(2026-01-01 00:00:00 UTC),
        not_after: datetime!(2028-01-01 00:00:00 UTC),
        hierarchy: Hierarchy::Public,
    }
}

fn officer() -> SignerReport {
    SignerReport {
        common_name: "Phạm Thị Hồng".into(),
        organization: Some("UBND phường Đống Đa".into()),
        identities: vec![IdentityReport {
            kind: "MNS".into(),
            value: "1058432".into(),
        }],
        issuer: "Kyso Test Government CA".into(),
        serial: "0F0E".into(),
        not_before: datetime!(2026-01-01 00:00:00 UTC),
        not_after: datetime!(2029-01-01 00:00:00 UTC),
        hierarchy: Hierarchy::GovernmentSpecialUse,
    }
}

/// A citizen's B-LT signature, then DSS added: TOTAL_PASSED.
fn passing() -> SignatureReport {
    SignatureReport {
        field: "Signature1".into(),
        kind: SignatureKind::Signature,
        revision: Some(0),
        byte_range: Some([0, 1200, 19586, 3411]),
        sub_filter: "ETSI.CAdES.detached".into(),
        indication: Indication::TotalPassed,
        sub_indication: None,
        intact: true,
        valid: true,
        trusted: true,
        coverage: Coverage::EntireRevision,
        modification_level: ModificationLevel::Dss,
        certification: None,
        pades_level: Some(PadesLevel::BLt),
        signer: Some(citizen()),
        claimed_time: Some(datetime!(2026-11-22 14:14:03 UTC)),
        timestamp: Some(TimestampReport {
            time: SIGNED,
            authority: Some("Kyso Test TSA".into()),
            valid: true,
            trusted: true,
        }),
        revocation: Some(RevocationReport {
            status: "good".into(),
            source: RevocationSource::Dss,
            revoked_at: None,
        }),
        digest_algorithm: Some("SHA-256".into()),
        signature_algorithm: Some("RSA".into()),
        reason: Some("Nộp hồ sơ đăng ký hộ kinh doanh".into()),
        location: Some("Hà Nội".into()),
        changes: vec![ChangeReport {
            revision: 1,
            level: ModificationLevel::Dss,
            what: Change::ValidationData,
        }],
        findings: vec![],
    }
}

/// A B-B signature, then page 1's content replaced: TOTAL_FAILED / HASH_FAILURE.
fn failed() -> SignatureReport {
    SignatureReport {
        indication: Indication::TotalFailed,
        sub_indication: Some(SubIndication::HashFailure),
        modification_level: ModificationLevel::Other,
        pades_level: Some(PadesLevel::BB),
        timestamp: None,
        revocation: Some(RevocationReport {
            status: "good".into(),
            source: RevocationSource::Online,
            revoked_at: None,
        }),
        reason: None,
        location: None,
        changes: vec![ChangeReport {
            revision: 1,
            level: ModificationLevel::Other,
            what: Change::PageContent {
                page: Some(1),
                object: 12,
            },
        }],
        findings: vec![Finding::ModifiedAfterSigning {
            level: ModificationLevel::Other,
        }],
        ..passing()
    }
}

/// An officer's special-use signature whose root is not configured: INDETERMINATE.
fn untrusted() -> SignatureReport {
    SignatureReport {
        field: "Signature2".into(),
        indication: Indication::Indeterminate,
        sub_indication: Some(SubIndication::NoCertificateChainFound),
        trusted: false,
        coverage: Coverage::EntireFile,
        modification_level: ModificationLevel::None,
        certification: Some(DocMdp::NoChanges),
        pades_level: Some(PadesLevel::BT),
        signer: Some(officer()),
        revocation: None,
        changes: vec![],
        findings: vec![Finding::Untrusted {
            root: "Kyso Test Government Root CA".into(),
        }],
        ..passing()
    }
}

fn report(signatures: Vec<SignatureReport>) -> Report {
    let indication = signatures
        .iter()
        .map(|s| s.indication)
        .max()
        .unwrap_or(Indication::Indeterminate);
    Report {
        schema: SCHEMA,
        sha256: "9f2c4e0a7b1d3f5e6c8a0b2d4f6e8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f".into(),
        size: 23_021,
        revisions: 2,
        validation_time: datetime!(2026-11-23 02:00:00 UTC),
        offline: false,
        indication,
        signatures,
        unsigned_changes: vec![],
    }
}

/// Both languages of a report, checked for what every rendering must be.
fn both(report: &Report) -> (String, String) {
    let (vi, en) = (render(report, Lang::Vi), render(report, Lang::En));
    for text in [&vi, &en] {
        assert_clean(text);
    }
    (vi, en)
}

/// NFC (no combining marks, so no decomposed diacritics) and no junk lines: no blank line at
/// the start or twice in a row, no trailing spaces, no Rust leaking through, and every heading
/// ending in ':' followed by an item.
fn assert_clean(text: &str) {
    assert!(
        !text.chars().any(|c| ('\u{0300}'..='\u{036F}').contains(&c)),
        "combining marks: not NFC\n{text}"
    );
    assert!(text.ends_with('\n') && !text.ends_with("\n\n"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines[0].is_empty(), "{text}");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line.trim_end(), *line, "trailing space in line {i}\n{text}");
        assert!(
            !(line.is_empty() && lines.get(i + 1).is_some_and(|l| l.is_empty())),
            "two blank lines at {i}\n{text}"
        );
        for junk in ["None", "Some(", "{", "}", "\"\"", "«»", ": ,", ": ."] {
            assert!(!line.contains(junk), "{junk:?} in line {i}: {line}");
        }
        let content = line.trim_start_matches([' ', '-']);
        assert!(
            line.is_empty() || content.chars().count() > 2,
            "junk line {i}: {line:?}"
        );
        if line.ends_with(':') {
            let next = lines.get(i + 1).copied().unwrap_or_default();
            assert!(
                next.trim_start().starts_with("- "),
                "heading without items at {i}\n{text}"
            );
        }
    }
}

#[test]
fn a_passing_b_lt_signature_by_a_citizen_reads_as_valid() {
    let (vi, en) = both(&report(vec![passing()]));
    for phrase in [
        "Tài liệu có 1 chữ ký; chữ ký hợp lệ.",
        "Chữ ký 1/1 (trường «Signature1»): Hợp lệ [TOTAL_PASSED]",
        "  Người ký: Nguyễn Văn An\n",
        "  Căn cước công dân: 001089012345\n",
        "Hệ thống chứng thực: công cộng",
        "Đơn vị cấp chứng thư số: Kyso Test Public CA",
        "Thời điểm ký: 2026-11-22 21:14:05 (+07:00) (theo dấu thời gian của «Kyso Test TSA», đã xác thực)",
        "Toàn vẹn: nội dung tài liệu không bị thay đổi kể từ khi ký.",
        "Sau khi ký: thêm dữ liệu kiểm tra dài hạn (DSS) — lần cập nhật thứ 1",
        "Mức PAdES: B-LT",
        "Tình trạng thu hồi: chưa bị thu hồi (nguồn: dữ liệu kiểm tra dài hạn lưu trong tệp (DSS))",
        "Lý do ký: Nộp hồ sơ đăng ký hộ kinh doanh",
    ] {
        assert!(vi.contains(phrase), "missing {phrase:?} in\n{vi}");
    }
    for phrase in [
        "The document has 1 signature; it is valid.",
        "Signature 1/1 (field «Signature1»): Valid [TOTAL_PASSED]",
        "Citizen ID card (CCCD): 001089012345",
        "Signed at: 2026-11-22 21:14:05 (+07:00) (per the timestamp of «Kyso Test TSA», proven)",
        "After signing: long-term validation data (DSS) added — update 1",
        "PAdES level: B-LT",
        "Revocation status: not revoked (source: validation data stored in the file (DSS))",
    ] {
        assert!(en.contains(phrase), "missing {phrase:?} in\n{en}");
    }
    assert!(
        !vi.contains("Nguyên nhân") && !vi.contains("Cần lưu ý"),
        "{vi}"
    );
}

#[test]
fn a_page_changed_after_signing_reads_as_invalid_with_the_page() {
    let (vi, en) = both(&report(vec![failed()]));
    for phrase in [
        "Tài liệu có 1 chữ ký; 1 chữ ký KHÔNG hợp lệ.",
        "Không hợp lệ [TOTAL_FAILED / HASH_FAILURE]",
        "Nguyên nhân: tài liệu đã bị sửa sau khi ký",
        "Thời điểm ký: 2026-11-22 21:14:03 (+07:00) (theo máy tính của người ký, chưa được xác thực)",
        "Sau khi ký: trang 1 bị thay đổi nội dung (đối tượng 12) — lần cập nhật thứ 1",
        "nguồn: tra cứu trực tuyến OCSP/CRL khi kiểm tra",
        "Toàn vẹn: KHÔNG — sau khi ký, tài liệu đã bị thay đổi",
        "  - Sau khi ký, tài liệu có thay đổi có thể làm khác nội dung hiển thị.",
    ] {
        assert!(vi.contains(phrase), "missing {phrase:?} in\n{vi}");
    }
    for phrase in [
        "The document has 1 signature; 1 signature is INVALID.",
        "Invalid [TOTAL_FAILED / HASH_FAILURE]",
        "Signed at: 2026-11-22 21:14:03 (+07:00) (as claimed by the signer's computer, not proven)",
        "After signing: page 1 content changed (object 12) — update 1",
    ] {
        assert!(en.contains(phrase), "missing {phrase:?} in\n{en}");
    }
}

#[test]
fn an_untrusted_special_use_signature_cannot_be_confirmed() {
    let (vi, en) = both(&report(vec![untrusted()]));
    for phrase in [
        "Tài liệu có 1 chữ ký; 1 chữ ký chưa xác định được.",
        "Chưa xác định được [INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND]",
        "Tổ chức: UBND phường Đống Đa",
        "Mã số đơn vị quan hệ ngân sách: 1058432",
        "Hệ thống chứng thực: chữ ký số chuyên dùng Chính phủ",
        "Chữ ký chứng nhận tài liệu: không cho phép thay đổi gì",
        "Toàn vẹn: tài liệu không bị thay đổi kể từ khi ký.",
        "Tình trạng thu hồi: chưa kiểm tra",
        "Chứng thư số gốc «Kyso Test Government Root CA» không nằm trong danh sách tin cậy đã cấu hình (--trust).",
    ] {
        assert!(vi.contains(phrase), "missing {phrase:?} in\n{vi}");
    }
    for phrase in [
        "1 signature cannot be confirmed.",
        "Cannot be confirmed [INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND]",
        "Certification hierarchy: government special-use",
        "State budget unit code (MNS): 1058432",
        "The root certificate «Kyso Test Government Root CA» is not among the configured trust anchors (--trust).",
    ] {
        assert!(en.contains(phrase), "missing {phrase:?} in\n{en}");
    }
}

#[test]
fn the_summary_counts_each_verdict_and_kind() {
    let stamp = SignatureReport {
        field: "DocTs1".into(),
        kind: SignatureKind::DocumentTimestamp,
        pades_level: None,
        signer: Some(SignerReport {
            identities: vec![],
            hierarchy: Hierarchy::Unknown,
            ..citizen()
        }),
        ..passing()
    };
    let (vi, en) = both(&report(vec![passing(), failed(), untrusted(), stamp]));
    let first = |s: &str| s.lines().next().unwrap_or_default().to_owned();
    assert_eq!(
        first(&vi),
        "Tài liệu có 3 chữ ký và 1 dấu thời gian tài liệu; 1 chữ ký KHÔNG hợp lệ, 1 chữ ký chưa xác định được."
    );
    assert_eq!(
        first(&en),
        "The document has 3 signatures and 1 document timestamp; 1 signature is INVALID, 1 signature cannot be confirmed."
    );
    assert!(
        vi.contains("Dấu thời gian tài liệu 4/4 (trường «DocTs1»)"),
        "{vi}"
    );
    assert!(
        vi.contains("Đơn vị cấp dấu thời gian: Nguyễn Văn An"),
        "{vi}"
    );
    assert!(
        vi.contains("Thời điểm đóng dấu: 2026-11-22 21:14:05 (+07:00)"),
        "{vi}"
    );

    let (vi, en) = both(&report(vec![passing(), passing()]));
    assert!(
        vi.starts_with("Tài liệu có 2 chữ ký; tất cả đều hợp lệ.\n"),
        "{vi}"
    );
    assert!(
        en.starts_with("The document has 2 signatures; all are valid.\n"),
        "{en}"
    );

    let (vi, en) = both(&report(vec![]));
    assert!(vi.starts_with("Tài liệu không có chữ ký số nào"), "{vi}");
    assert!(
        en.starts_with("The document has no digital signature"),
        "{en}"
    );
}

#[test]
fn changes_nobody_signed_are_listed_and_flagged_up_front() {
    let mut r = report(vec![passing()]);
    r.offline = true;
    r.unsigned_changes = vec![ChangeReport {
        revision: 2,
        level: ModificationLevel::Annotations,
        what: Change::Annotation {
            page: Some(1),
            subtype: "FreeText".into(),
        },
    }];
    let (vi, en) = both(&r);
    assert!(
        vi.lines()
            .next()
            .is_some_and(|l| l.contains("Lưu ý: tệp có thay đổi sau chữ ký cuối cùng"))
    );
    assert!(vi.contains("Thay đổi sau chữ ký cuối cùng, không chữ ký nào bảo đảm:\n  - thêm hoặc sửa chú thích (FreeText) trên trang 1 — lần cập nhật thứ 2\n"), "{vi}");
    assert!(
        vi.contains("chỉ dùng dữ liệu thu hồi có trong tệp (--offline)"),
        "{vi}"
    );
    assert!(
        en.contains("  - annotation (FreeText) added or changed on page 1 — update 2\n"),
        "{en}"
    );

    // DSS alone after the last signature is routine and not flagged in the summary.
    r.unsigned_changes[0].level = ModificationLevel::Dss;
    r.unsigned_changes[0].what = Change::ValidationData;
    assert!(
        !render(&r, Lang::Vi)
            .lines()
            .next()
            .unwrap_or_default()
            .contains("Lưu ý")
    );
}

/// Every finding, change and sub-indication, so each has its words in both languages.
fn every_finding() -> Vec<Finding> {
    let (subject, detail) = ("Nguyễn Văn An".to_owned(), "x".to_owned());
    vec![
        Finding::ByteRangeInvalid {
            detail: detail.clone(),
        },
        Finding::SubFilterUnsupported {
            sub_filter: "adbe.x509.rsa_sha1".into(),
        },
        Finding::CmsUnreadable {
            detail: detail.clone(),
        },
        Finding::DigestMismatch,
        Finding::SignatureInvalid,
        Finding::SignedAttributes {
            detail: detail.clone(),
        },
        Finding::SignerCertificateMissing,
        Finding::ChainNotFound {
            detail: detail.clone(),
        },
        Finding::Untrusted { root: "R".into() },
        Finding::ChainProblem {
            detail: detail.clone(),
        },
        Finding::CertificateExpired {
            subject: subject.clone(),
            not_after: SIGNED,
        },
        Finding::CertificateNotYetValid {
            subject: subject.clone(),
            not_before: SIGNED,
        },
        Finding::Revoked {
            subject: subject.clone(),
            at: SIGNED,
        },
        Finding::RevocationUnknown {
            subject,
            detail: detail.clone(),
        },
        Finding::TimestampInvalid {
            detail: detail.clone(),
        },
        Finding::TimestampUntrusted {
            detail: detail.clone(),
        },
        Finding::ModifiedAfterSigning {
            level: ModificationLevel::Annotations,
        },
        Finding::DocMdpViolated {
            permission: DocMdp::FormFilling,
            level: ModificationLevel::Other,
        },
        Finding::FieldLocked {
            field: "Signature1".into(),
        },
        Finding::WeakAlgorithm {
            detail: detail.clone(),
            used_for: AlgorithmUse::MessageDigest,
            subject: None,
            algorithm: "SHA-1".into(),
            sunset: Some(datetime!(2009-01-01 0:00 UTC)),
        },
        Finding::WeakAlgorithm {
            detail: detail.clone(),
            used_for: AlgorithmUse::SignerKey,
            subject: Some("Nguyễn Văn An".into()),
            algorithm: "RSA-768".into(),
            sunset: None,
        },
    ]
    .into_iter()
    .chain(EVERY_ALGORITHM_USE.map(|used_for| Finding::WeakAlgorithm {
        detail: "x".into(),
        used_for,
        subject: Some("Kyso Test CA".into()),
        algorithm: "RSA-1024".into(),
        sunset: Some(datetime!(2009-01-01 0:00 UTC)),
    }))
    .collect()
}

fn every_change() -> Vec<Change> {
    vec![
        Change::ValidationData,
        Change::Metadata,
        Change::DocumentTimestamp {
            field: "DocTs1".into(),
        },
        Change::Signature {
            field: "Signature2".into(),
        },
        Change::FieldValue {
            field: "HoTen".into(),
        },
        Change::Annotation {
            page: Some(2),
            subtype: "Text".into(),
        },
        Change::Annotation {
            page: None,
            subtype: "Text".into(),
        },
        Change::PageContent {
            page: Some(1),
            object: 7,
        },
        Change::PageContent {
            page: None,
            object: 7,
        },
        Change::Object {
            object: 9,
            detail: "x".into(),
        },
        Change::Restructured,
    ]
}

const EVERY_ALGORITHM_USE: [AlgorithmUse; 7] = [
    AlgorithmUse::MessageDigest,
    AlgorithmUse::SignatureAlgorithm,
    AlgorithmUse::SignerKey,
    AlgorithmUse::CertificateKey,
    AlgorithmUse::CertificateSignature,
    AlgorithmUse::TimestampDigest,
    AlgorithmUse::TimestampKey,
];

const EVERY_SUB_INDICATION: [SubIndication; 15] = [
    SubIndication::FormatFailure,
    SubIndication::HashFailure,
    SubIndication::SigCryptoFailure,
    SubIndication::Revoked,
    SubIndication::Expired,
    SubIndication::NotYetValid,
    SubIndication::SigConstraintsFailure,
    SubIndication::ChainConstraintsFailure,
    SubIndication::CertificateChainGeneralFailure,
    SubIndication::NoSigningCertificateFound,
    SubIndication::NoCertificateChainFound,
    SubIndication::RevokedNoPoe,
    SubIndication::OutOfBoundsNoPoe,
    SubIndication::TryLater,
    SubIndication::CryptoConstraintsFailureNoPoe,
];

#[test]
fn every_variant_is_worded_in_both_languages() {
    let pair = |vi: String, en: String| {
        assert!(!vi.is_empty() && vi != en, "{vi} / {en}");
        for s in [&vi, &en] {
            assert!(
                !s.chars().any(|c| ('\u{0300}'..='\u{036F}').contains(&c)),
                "{s}"
            );
        }
    };
    for f in every_finding() {
        pair(
            sentences::finding(&f, Lang::Vi),
            sentences::finding(&f, Lang::En),
        );
    }
    for c in every_change() {
        pair(
            sentences::change(&c, Lang::Vi),
            sentences::change(&c, Lang::En),
        );
    }
    for sub in EVERY_SUB_INDICATION {
        for offline in [false, true] {
            pair(
                words::sub_indication(sub, offline, Lang::Vi).into(),
                words::sub_indication(sub, offline, Lang::En).into(),
            );
        }
        // The code is what serde writes into the JSON report.
        assert_eq!(
            serde_json::to_value(sub).ok(),
            Some(serde_json::Value::from(words::sub_indication_code(sub)))
        );
    }
    for kind in ["CCCD", "CMND", "HC", "MST", "MNS"] {
        let vi = words::identity(kind, Lang::Vi);
        assert!(!vi.starts_with("Định danh"), "{kind} not known");
        pair(vi, words::identity(kind, Lang::En));
    }
    assert_eq!(words::identity("XYZ", Lang::Vi), "Định danh XYZ");

    // A report holding all of them still renders clean.
    let mut sig = failed();
    sig.findings = every_finding();
    sig.changes = every_change()
        .into_iter()
        .map(|what| ChangeReport {
            revision: 1,
            level: ModificationLevel::Other,
            what,
        })
        .collect();
    both(&report(vec![sig]));
}

#[test]
fn times_are_shown_in_vietnam_time() {
    assert_eq!(
        words::when(datetime!(2026-12-31 20:00:00 UTC)),
        "2027-01-01 03:00:00 (+07:00)"
    );
    assert_eq!(
        words::when(datetime!(2026-11-22 21:14:05 +07:00)),
        "2026-11-22 21:14:05 (+07:00)"
    );
}

/// The example in `docs/verify-report.md` is what the types serialise to: the fixture below
/// is the same document, so a renamed field or variant fails here until the doc follows.
#[test]
fn the_json_example_in_the_docs_matches_the_types() {
    let doc = include_str!("../../../docs/verify-report.md");
    let start = doc.find("```json\n").expect("an example in the doc") + "```json\n".len();
    let end = start + doc[start..].find("```").expect("the example ends");
    let documented: serde_json::Value =
        serde_json::from_str(&doc[start..end]).expect("the example is JSON");

    let mut r = report(vec![passing(), untrusted()]);
    r.revisions = 3;
    r.signatures[1].revision = Some(2);
    // Only the first signature of a file can certify it (ISO 32000-1 §12.8.2.2).
    r.signatures[1].certification = None;
    r.signatures[1].byte_range = Some([0, 26118, 44504, 3012]);
    r.signatures[0].changes.push(ChangeReport {
        revision: 2,
        level: ModificationLevel::FormFilling,
        what: Change::Signature {
            field: "Signature2".into(),
        },
    });
    r.signatures[0].modification_level = ModificationLevel::FormFilling;
    r.signatures[1].claimed_time = Some(datetime!(2026-11-22 15:02:44 UTC));
    r.signatures[1].timestamp = Some(TimestampReport {
        time: datetime!(2026-11-22 15:02:45 UTC),
        authority: Some("Kyso Test TSA".into()),
        valid: true,
        trusted: true,
    });
    r.signatures[1].reason = Some("Xác nhận bản sao điện tử từ bản chính".into());
    r.size = 47_516;
    let actual = serde_json::to_value(&r).expect("a report serialises");
    assert_eq!(
        documented,
        actual,
        "docs/verify-report.md example differs from the types; actual:\n{}",
        serde_json::to_string_pretty(&r).unwrap_or_default()
    );
}

#[test]
fn the_web_report_words_every_sub_indication() {
    // The verify page renders the JSON report in the browser with its own word table.
    let script = include_str!("../../../web/report.js");
    for sub in EVERY_SUB_INDICATION {
        let code = words::sub_indication_code(sub);
        assert!(
            script.contains(&format!("\n  {code}: [")),
            "web/report.js has no words for {code}"
        );
    }
}
