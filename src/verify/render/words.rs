//! The words for the report's enums and counts, both languages side by side. Sentences about
//! findings and changes are left to `sentences`; the layout to `render`.

use time::OffsetDateTime;
use time::macros::offset;

use super::{Lang, t, tr};
use crate::pki::IdentityKind;
use crate::verify::report::{
    AlgorithmUse, Coverage, DocMdp, Hierarchy, Indication, ModificationLevel, PadesLevel,
    RevocationReport, RevocationSource, SignatureKind, SignatureReport, SubIndication,
};

/// A time in Vietnam time, "2026-11-22 21:14:05 (+07:00)": the readers are in Vietnam, and
/// the offset is written so nobody has to guess.
pub(super) fn when(at: OffsetDateTime) -> String {
    let at = at.to_offset(offset!(+7));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} (+07:00)",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// "2 chữ ký", "1 document timestamp".
pub(super) fn count(n: usize, kind: SignatureKind, lang: Lang) -> String {
    let s = if n == 1 { "" } else { "s" };
    match kind {
        SignatureKind::Signature => tr!(lang, "{n} chữ ký", "{n} signature{s}"),
        SignatureKind::DocumentTimestamp => tr!(
            lang,
            "{n} dấu thời gian tài liệu",
            "{n} document timestamp{s}"
        ),
    }
}

/// "1 chữ ký KHÔNG hợp lệ", "2 signatures cannot be confirmed".
pub(super) fn count_with_verdict(
    n: usize,
    kind: SignatureKind,
    indication: Indication,
    lang: Lang,
) -> String {
    let what = count(n, kind, lang);
    let are = if n == 1 { "is" } else { "are" };
    match indication {
        Indication::TotalPassed => tr!(lang, "{what} hợp lệ", "{what} {are} valid"),
        Indication::Indeterminate => tr!(
            lang,
            "{what} chưa xác định được",
            "{what} cannot be confirmed"
        ),
        Indication::TotalFailed => tr!(lang, "{what} KHÔNG hợp lệ", "{what} {are} INVALID"),
    }
}

/// The noun for one item in running text.
pub(super) fn noun(kind: SignatureKind, lang: Lang) -> &'static str {
    match kind {
        SignatureKind::Signature => t(lang, "chữ ký", "signature"),
        SignatureKind::DocumentTimestamp => t(lang, "dấu thời gian", "timestamp"),
    }
}

/// The noun that starts a signature's heading.
pub(super) fn heading_noun(kind: SignatureKind, lang: Lang) -> &'static str {
    match kind {
        SignatureKind::Signature => t(lang, "Chữ ký", "Signature"),
        SignatureKind::DocumentTimestamp => t(lang, "Dấu thời gian tài liệu", "Document timestamp"),
    }
}

pub(super) fn revisions(n: usize, lang: Lang) -> String {
    let s = if n == 1 { "" } else { "s" };
    tr!(lang, "{n} phiên bản", "{n} revision{s}")
}

/// The verdict in words (ETSI EN 319 102-1 Table 4).
pub(super) fn indication(indication: Indication, lang: Lang) -> &'static str {
    match indication {
        Indication::TotalPassed => t(lang, "Hợp lệ", "Valid"),
        Indication::Indeterminate => t(lang, "Chưa xác định được", "Cannot be confirmed"),
        Indication::TotalFailed => t(lang, "Không hợp lệ", "Invalid"),
    }
}

/// The ETSI code, the same in every language so a clerk can quote it to support staff.
pub(super) fn indication_code(indication: Indication) -> &'static str {
    match indication {
        Indication::TotalPassed => "TOTAL_PASSED",
        Indication::Indeterminate => "INDETERMINATE",
        Indication::TotalFailed => "TOTAL_FAILED",
    }
}

pub(super) fn sub_indication_code(sub: SubIndication) -> &'static str {
    match sub {
        SubIndication::FormatFailure => "FORMAT_FAILURE",
        SubIndication::HashFailure => "HASH_FAILURE",
        SubIndication::SigCryptoFailure => "SIG_CRYPTO_FAILURE",
        SubIndication::Revoked => "REVOKED",
        SubIndication::Expired => "EXPIRED",
        SubIndication::NotYetValid => "NOT_YET_VALID",
        SubIndication::SigConstraintsFailure => "SIG_CONSTRAINTS_FAILURE",
        SubIndication::ChainConstraintsFailure => "CHAIN_CONSTRAINTS_FAILURE",
        SubIndication::CertificateChainGeneralFailure => "CERTIFICATE_CHAIN_GENERAL_FAILURE",
        SubIndication::NoSigningCertificateFound => "NO_SIGNING_CERTIFICATE_FOUND",
        SubIndication::NoCertificateChainFound => "NO_CERTIFICATE_CHAIN_FOUND",
        SubIndication::RevokedNoPoe => "REVOKED_NO_POE",
        SubIndication::OutOfBoundsNoPoe => "OUT_OF_BOUNDS_NO_POE",
        SubIndication::TryLater => "TRY_LATER",
        SubIndication::CryptoConstraintsFailureNoPoe => "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
    }
}

/// What a weak algorithm or key is used for, as the subject of a sentence.
pub(super) fn algorithm_use(used_for: AlgorithmUse, lang: Lang) -> &'static str {
    match used_for {
        AlgorithmUse::MessageDigest => t(
            lang,
            "Thuật toán băm của chữ ký",
            "The signature's digest algorithm",
        ),
        AlgorithmUse::SignatureAlgorithm => t(
            lang,
            "Thuật toán băm trong thuật toán chữ ký",
            "The hash of the signature algorithm",
        ),
        AlgorithmUse::SignerKey => t(lang, "Khoá của người ký", "The signer's key"),
        AlgorithmUse::CertificateKey => t(
            lang,
            "Khoá của tổ chức cung cấp dịch vụ chứng thực",
            "The key of the certification authority",
        ),
        AlgorithmUse::CertificateSignature => t(
            lang,
            "Chữ ký trên chứng thư số",
            "The signature on the certificate",
        ),
        AlgorithmUse::TimestampDigest => t(
            lang,
            "Thuật toán băm của dấu thời gian",
            "The timestamp's digest algorithm",
        ),
        AlgorithmUse::TimestampKey => t(
            lang,
            "Khoá của đơn vị cấp dấu thời gian",
            "The timestamping authority's key",
        ),
    }
}

/// Why the verdict is not TOTAL_PASSED (ETSI EN 319 102-1 Table 5), as the rest of a
/// "Nguyên nhân: …" line.
pub(super) fn sub_indication(sub: SubIndication, offline: bool, lang: Lang) -> &'static str {
    match sub {
        SubIndication::FormatFailure => t(
            lang,
            "chữ ký không đúng định dạng (vùng được ký, dữ liệu chữ ký CMS hoặc SubFilter bị hỏng).",
            "the signature is malformed (its byte range, CMS data or SubFilter).",
        ),
        SubIndication::HashFailure => t(
            lang,
            "tài liệu đã bị sửa sau khi ký, hoặc bị thay đổi theo cách mà chữ ký không cho phép.",
            "the document was altered after signing, or changed in a way the signature does not allow.",
        ),
        SubIndication::SigCryptoFailure => t(
            lang,
            "giá trị chữ ký không khớp với khoá công khai của người ký (chữ ký giả hoặc bị hỏng).",
            "the signature value does not match the signer's public key (forged or damaged).",
        ),
        SubIndication::Revoked => t(
            lang,
            "chứng thư số của người ký đã bị thu hồi trước thời điểm ký.",
            "the signer's certificate was revoked before the signing time.",
        ),
        SubIndication::Expired => t(
            lang,
            "chứng thư số của người ký đã hết hạn vào thời điểm ký.",
            "the signer's certificate had expired at the signing time.",
        ),
        SubIndication::NotYetValid => t(
            lang,
            "chứng thư số của người ký chưa có hiệu lực vào thời điểm ký.",
            "the signer's certificate was not yet valid at the signing time.",
        ),
        SubIndication::SigConstraintsFailure => t(
            lang,
            "thuộc tính của chữ ký bị thiếu hoặc không nhất quán, hoặc dấu thời gian không hợp lệ.",
            "signed attributes are missing or inconsistent, or a timestamp does not check out.",
        ),
        SubIndication::ChainConstraintsFailure => t(
            lang,
            "một chứng thư số trong chuỗi vi phạm ràng buộc (quyền cấp chứng thư, mục đích sử dụng khoá, độ dài chuỗi).",
            "a certificate of the chain breaks a constraint (CA flag, key usage, path length).",
        ),
        SubIndication::CertificateChainGeneralFailure => t(
            lang,
            "chữ ký trên một chứng thư số trong chuỗi không hợp lệ.",
            "the signature on a certificate of the chain does not verify.",
        ),
        SubIndication::NoSigningCertificateFound => t(
            lang,
            "tệp không chứa chứng thư số của người ký.",
            "the signer's certificate is not in the file.",
        ),
        SubIndication::NoCertificateChainFound => t(
            lang,
            "không dựng được chuỗi chứng thư số tới một chứng thư số gốc tin cậy.",
            "no chain to a trusted root certificate could be built.",
        ),
        SubIndication::RevokedNoPoe => t(
            lang,
            "chứng thư số của người ký đã bị thu hồi và không có dấu thời gian tin cậy chứng minh chữ ký được tạo trước đó.",
            "the signer's certificate is revoked and no trusted timestamp proves the signature came before.",
        ),
        SubIndication::OutOfBoundsNoPoe => t(
            lang,
            "chứng thư số của người ký nay đã hết hạn hoặc chưa có hiệu lực, và không có dấu thời gian tin cậy chứng minh chữ ký được tạo khi chứng thư số còn hiệu lực.",
            "the signer's certificate is outside its validity now, and no trusted timestamp proves the signature was made while it was valid.",
        ),
        SubIndication::TryLater if offline => t(
            lang,
            "không kiểm tra được tình trạng thu hồi chứng thư số: tệp không chứa dữ liệu thu hồi và đang dùng --offline nên không hỏi máy chủ OCSP/CRL. Hãy chạy lại không có --offline khi có mạng.",
            "the certificate's revocation status could not be checked: the file holds no revocation data and --offline kept the OCSP/CRL servers from being asked. Run again without --offline when online.",
        ),
        SubIndication::CryptoConstraintsFailureNoPoe => t(
            lang,
            "chữ ký dùng thuật toán hoặc độ dài khoá không còn đủ an toàn, và không có dấu thời gian tin cậy chứng minh chữ ký được tạo khi thuật toán đó còn được chấp nhận.",
            "the signature relies on an algorithm or key size that is no longer strong enough, and no trusted timestamp proves it was made while that algorithm was still accepted.",
        ),
        SubIndication::TryLater => t(
            lang,
            "không kiểm tra được tình trạng thu hồi chứng thư số: tệp không chứa dữ liệu thu hồi và không kết nối được máy chủ OCSP/CRL. Hãy thử lại khi có mạng.",
            "the certificate's revocation status could not be checked: the file holds no revocation data and the OCSP/CRL servers could not be reached. Try again when online.",
        ),
    }
}

pub(super) fn hierarchy(hierarchy: Hierarchy, lang: Lang) -> &'static str {
    match hierarchy {
        Hierarchy::Public => t(
            lang,
            "công cộng (chứng thư số cấp cho cá nhân, tổ chức)",
            "public (certificates for citizens and organisations)",
        ),
        Hierarchy::GovernmentSpecialUse => t(
            lang,
            "chữ ký số chuyên dùng Chính phủ",
            "government special-use (chữ ký số chuyên dùng Chính phủ)",
        ),
        Hierarchy::Unknown => t(
            lang,
            "không xác định (chuỗi chứng thư số không thuộc hệ thống đã biết)",
            "unknown (the chain leads to no known hierarchy)",
        ),
    }
}

/// A `UID` identity's name; an unknown prefix is shown as written.
pub(super) fn identity(prefix: &str, lang: Lang) -> String {
    let Some(kind) = IdentityKind::ALL.into_iter().find(|k| k.prefix() == prefix) else {
        return tr!(lang, "Định danh {prefix}", "Identifier {prefix}");
    };
    match kind {
        IdentityKind::Cccd => t(lang, "Căn cước công dân", "Citizen ID card (CCCD)"),
        IdentityKind::Cmnd => t(lang, "Chứng minh nhân dân", "Former ID card (CMND)"),
        IdentityKind::Passport => t(lang, "Hộ chiếu", "Passport (HC)"),
        IdentityKind::TaxCode => t(lang, "Mã số thuế", "Tax code (MST)"),
        IdentityKind::BudgetUnit => t(
            lang,
            "Mã số đơn vị quan hệ ngân sách",
            "State budget unit code (MNS)",
        ),
    }
    .to_owned()
}

/// What a PAdES baseline level means for the reader (ETSI EN 319 142-1 §6).
pub(super) fn pades(level: PadesLevel, lang: Lang) -> &'static str {
    match level {
        PadesLevel::BB => t(
            lang,
            "chữ ký cơ bản, thời điểm ký chưa được chứng minh",
            "basic signature, the signing time is not proven",
        ),
        PadesLevel::BT => t(
            lang,
            "có dấu thời gian chứng minh thời điểm ký",
            "with a timestamp proving the signing time",
        ),
        PadesLevel::BLt => t(
            lang,
            "có dấu thời gian và dữ liệu kiểm tra dài hạn trong tệp",
            "with a timestamp and long-term validation data in the file",
        ),
        PadesLevel::BLta => t(
            lang,
            "có dấu thời gian lưu trữ, kiểm tra được lâu dài",
            "with an archive timestamp, verifiable in the long term",
        ),
    }
}

/// What a certification signature allows afterwards (ISO 32000-1 Table 254 /P).
pub(super) fn doc_mdp(permission: DocMdp, lang: Lang) -> &'static str {
    match permission {
        DocMdp::NoChanges => t(
            lang,
            "không cho phép thay đổi gì ngoài bổ sung dữ liệu kiểm tra dài hạn và dấu thời gian",
            "allows no change beyond validation data and timestamps",
        ),
        DocMdp::FormFilling => t(
            lang,
            "chỉ cho phép điền biểu mẫu và ký thêm",
            "allows only form filling and further signatures",
        ),
        DocMdp::Annotations => t(
            lang,
            "chỉ cho phép điền biểu mẫu, ký thêm và thêm chú thích",
            "allows only form filling, further signatures and annotations",
        ),
    }
}

/// The most far-reaching kind of change after a signature, as a noun phrase.
pub(super) fn modification_level(level: ModificationLevel, lang: Lang) -> &'static str {
    match level {
        ModificationLevel::None => t(lang, "không có thay đổi", "no change"),
        ModificationLevel::Dss => t(
            lang,
            "bổ sung dữ liệu kiểm tra dài hạn, dấu thời gian hoặc thông tin mô tả",
            "validation data, timestamps or metadata added",
        ),
        ModificationLevel::FormFilling => t(
            lang,
            "điền biểu mẫu hoặc thêm chữ ký",
            "form filling or new signatures",
        ),
        ModificationLevel::Annotations => t(
            lang,
            "thêm hoặc sửa chú thích",
            "annotations added or changed",
        ),
        ModificationLevel::Other => t(
            lang,
            "thay đổi có thể làm khác nội dung hiển thị",
            "changes that may alter what the document shows",
        ),
    }
}

/// Whether the document is as signed: the signed bytes, how much of the file they cover and
/// how far later revisions went.
pub(super) fn integrity(sig: &SignatureReport, lang: Lang) -> &'static str {
    if !sig.intact {
        return t(
            lang,
            "Toàn vẹn: KHÔNG — phần tài liệu đã ký đã bị sửa, không còn khớp với chữ ký.",
            "Integrity: NO — the signed part of the document was altered and no longer matches the signature.",
        );
    }
    match (sig.coverage, sig.modification_level) {
        (Coverage::Partial, _) => t(
            lang,
            "Toàn vẹn: chưa bảo đảm — vùng được ký không trọn một phiên bản của tệp.",
            "Integrity: not assured — the signed bytes are not a whole revision of the file.",
        ),
        (Coverage::EntireFile, _) => t(
            lang,
            "Toàn vẹn: tài liệu không bị thay đổi kể từ khi ký.",
            "Integrity: the document is unchanged since this signature.",
        ),
        (Coverage::EntireRevision, ModificationLevel::None | ModificationLevel::Dss) => t(
            lang,
            "Toàn vẹn: nội dung tài liệu không bị thay đổi kể từ khi ký.",
            "Integrity: the document's content is unchanged since this signature.",
        ),
        (
            Coverage::EntireRevision,
            ModificationLevel::FormFilling | ModificationLevel::Annotations,
        ) => t(
            lang,
            "Toàn vẹn: phần đã ký không bị sửa; sau khi ký có thêm chữ ký, điền biểu mẫu hoặc chú thích.",
            "Integrity: the signed part is unaltered; signatures, form fields or annotations were added after it.",
        ),
        (Coverage::EntireRevision, ModificationLevel::Other) => t(
            lang,
            "Toàn vẹn: KHÔNG — sau khi ký, tài liệu đã bị thay đổi theo cách có thể làm khác nội dung hiển thị (bản đã ký vẫn còn nguyên trong tệp).",
            "Integrity: NO — after signing, the document was changed in ways that may alter what it shows (the signed revision is still in the file).",
        ),
    }
}

/// The revocation status and where it came from.
pub(super) fn revocation(revocation: Option<&RevocationReport>, lang: Lang) -> String {
    let Some(r) = revocation else {
        return t(
            lang,
            "Tình trạng thu hồi: chưa kiểm tra",
            "Revocation status: not checked",
        )
        .to_owned();
    };
    let status = match (r.status.as_str(), r.revoked_at) {
        ("good", _) => t(lang, "chưa bị thu hồi", "not revoked").to_owned(),
        ("revoked", Some(at)) => {
            let at = when(at);
            tr!(lang, "ĐÃ BỊ THU HỒI lúc {at}", "REVOKED at {at}")
        }
        ("revoked", None) => t(lang, "ĐÃ BỊ THU HỒI", "REVOKED").to_owned(),
        ("unknown", _) => t(lang, "không xác định được", "unknown").to_owned(),
        ("unchecked", _) => t(lang, "chưa kiểm tra", "not checked").to_owned(),
        (other, _) => other.to_owned(),
    };
    let source = match r.source {
        RevocationSource::Dss => Some(t(
            lang,
            "dữ liệu kiểm tra dài hạn lưu trong tệp (DSS)",
            "validation data stored in the file (DSS)",
        )),
        RevocationSource::Cms => Some(t(
            lang,
            "dữ liệu thu hồi đi kèm chữ ký",
            "revocation data inside the signature",
        )),
        RevocationSource::Online => Some(t(
            lang,
            "tra cứu trực tuyến OCSP/CRL khi kiểm tra",
            "fetched online (OCSP/CRL) during this check",
        )),
        RevocationSource::None => None,
    };
    match source {
        Some(source) => tr!(
            lang,
            "Tình trạng thu hồi: {status} (nguồn: {source})",
            "Revocation status: {status} (source: {source})"
        ),
        None => tr!(
            lang,
            "Tình trạng thu hồi: {status}",
            "Revocation status: {status}"
        ),
    }
}
