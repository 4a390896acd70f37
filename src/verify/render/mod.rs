//! The human report `kyso verify` prints: one summary line for the file, then every signature
//! and document timestamp in words a citizen or a counter clerk can act on, in Vietnamese (the
//! default, Circular 15/2025/TT-BKHCN) or English. The verdicts come from the validation; this
//! module only words them. The machine form is the report's own JSON (`docs/verify-report.md`).
//!
//! Every text is written in both languages side by side — `t` for fixed texts, `tr!` for texts
//! with values — and every enum is matched without a catch-all, so a new variant does not
//! compile until it has words in both. `words` holds the enums' texts, `sentences` the
//! findings and changes.

mod sentences;
mod words;

#[cfg(test)]
mod tests;

use super::report::{
    ChangeReport, Indication, ModificationLevel, Report, SignatureKind, SignatureReport,
    SignerReport, TimestampReport,
};

/// The language of the report: Vietnamese first, English on request (STYLE.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

/// A fixed text in both languages.
fn t(lang: Lang, vi: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// A text with values in both languages: `tr!(lang, "Trang {page}", "Page {page}")`, the
/// values captured by name from the caller's scope.
macro_rules! tr {
    ($lang:expr, $vi:literal, $en:literal $(,)?) => {
        match $lang {
            Lang::Vi => format!($vi),
            Lang::En => format!($en),
        }
    };
}
use tr;

/// The report in words, one line per fact, blank lines between signatures, ending in a newline.
pub fn render(report: &Report, lang: Lang) -> String {
    let mut lines = vec![summary(report, lang), file_line(report, lang)];
    let total = report.signatures.len();
    for (i, signature) in report.signatures.iter().enumerate() {
        lines.push(String::new());
        lines.extend(signature_block(
            signature,
            i + 1,
            total,
            report.offline,
            lang,
        ));
    }
    if !report.unsigned_changes.is_empty() {
        lines.push(String::new());
        lines.push(
            t(
                lang,
                "Thay đổi sau chữ ký cuối cùng, không chữ ký nào bảo đảm:",
                "Changes after the last signature, covered by no signature:",
            )
            .to_owned(),
        );
        for change in &report.unsigned_changes {
            lines.push(format!("  - {}", change_line(change, lang)));
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// "Tài liệu có 2 chữ ký; 1 chữ ký KHÔNG hợp lệ." — the one line to read if nothing else.
fn summary(report: &Report, lang: Lang) -> String {
    let sigs = &report.signatures;
    if sigs.is_empty() {
        return t(
            lang,
            "Tài liệu không có chữ ký số nào; không có gì để xác nhận.",
            "The document has no digital signature; there is nothing to confirm.",
        )
        .to_owned();
    }
    let count = |kind: SignatureKind, indication: Option<Indication>| {
        sigs.iter()
            .filter(|s| s.kind == kind && indication.is_none_or(|i| s.indication == i))
            .count()
    };
    let signatures = count(SignatureKind::Signature, None);
    let stamps = count(SignatureKind::DocumentTimestamp, None);
    let what = match (signatures, stamps) {
        (n, 0) => words::count(n, SignatureKind::Signature, lang),
        (0, m) => words::count(m, SignatureKind::DocumentTimestamp, lang),
        (n, m) => {
            let (n, m) = (
                words::count(n, SignatureKind::Signature, lang),
                words::count(m, SignatureKind::DocumentTimestamp, lang),
            );
            tr!(lang, "{n} và {m}", "{n} and {m}")
        }
    };
    let mut bad = Vec::new();
    for indication in [Indication::TotalFailed, Indication::Indeterminate] {
        for kind in [SignatureKind::Signature, SignatureKind::DocumentTimestamp] {
            let n = count(kind, Some(indication));
            if n > 0 {
                bad.push(words::count_with_verdict(n, kind, indication, lang));
            }
        }
    }
    let verdict = if !bad.is_empty() {
        bad.join(", ")
    } else if sigs.len() == 1 {
        let noun = words::noun(sigs[0].kind, lang);
        tr!(lang, "{noun} hợp lệ", "it is valid")
    } else {
        t(lang, "tất cả đều hợp lệ", "all are valid").to_owned()
    };
    let mut line = tr!(
        lang,
        "Tài liệu có {what}; {verdict}.",
        "The document has {what}; {verdict}."
    );
    // Changes nobody signed that go beyond validation data deserve a word up front: they are
    // what a reader sees, yet no signer vouches for them.
    if report
        .unsigned_changes
        .iter()
        .any(|c| c.level > ModificationLevel::Dss)
    {
        line.push(' ');
        line.push_str(t(
            lang,
            "Lưu ý: tệp có thay đổi sau chữ ký cuối cùng mà không chữ ký nào bảo đảm (xem cuối báo cáo).",
            "Note: the file was changed after the last signature, and no signature covers that (see the end of the report).",
        ));
    }
    line
}

/// Size, revisions, hash and when and how the check ran.
fn file_line(report: &Report, lang: Lang) -> String {
    let size = report.size;
    let sha = &report.sha256;
    let revisions = words::revisions(report.revisions, lang);
    let at = words::when(report.validation_time);
    let offline = if report.offline {
        t(
            lang,
            "; chỉ dùng dữ liệu thu hồi có trong tệp (--offline)",
            "; revocation data taken from the file only (--offline)",
        )
    } else {
        ""
    };
    tr!(
        lang,
        "Tệp: {size} byte, {revisions}, SHA-256 {sha}. Kiểm tra lúc {at}{offline}.",
        "File: {size} bytes, {revisions}, SHA-256 {sha}. Checked at {at}{offline}."
    )
}

/// The lines of one signature or document timestamp: heading with the verdict, then the
/// facts indented by two spaces.
fn signature_block(
    sig: &SignatureReport,
    number: usize,
    total: usize,
    offline: bool,
    lang: Lang,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut fact = |text: String| lines.push(format!("  {text}"));
    let stamp = sig.kind == SignatureKind::DocumentTimestamp;

    let noun = words::heading_noun(sig.kind, lang);
    let field = &sig.field;
    let verdict = words::indication(sig.indication, lang);
    let code = match sig.sub_indication {
        Some(sub) => format!(
            "{} / {}",
            words::indication_code(sig.indication),
            words::sub_indication_code(sub)
        ),
        None => words::indication_code(sig.indication).to_owned(),
    };
    let heading = tr!(
        lang,
        "{noun} {number}/{total} (trường «{field}»): {verdict} [{code}]",
        "{noun} {number}/{total} (field «{field}»): {verdict} [{code}]"
    );
    if let Some(sub) = sig.sub_indication {
        let why = words::sub_indication(sub, offline, lang);
        fact(tr!(lang, "Nguyên nhân: {why}", "Why: {why}"));
    }

    match &sig.signer {
        Some(signer) => signer_lines(signer, stamp, lang, &mut fact),
        None if stamp => fact(
            t(
                lang,
                "Đơn vị cấp dấu thời gian: không xác định (tệp không chứa chứng thư số của đơn vị này)",
                "Timestamping authority: unknown (its certificate is not in the file)",
            )
            .to_owned(),
        ),
        None => fact(
            t(
                lang,
                "Người ký: không xác định (tệp không chứa chứng thư số của người ký)",
                "Signer: unknown (the signer's certificate is not in the file)",
            )
            .to_owned(),
        ),
    }

    fact(time_line(sig, stamp, lang));
    integrity_lines(sig, lang, &mut fact);

    if let Some(permission) = sig.certification {
        let allowed = words::doc_mdp(permission, lang);
        fact(tr!(
            lang,
            "Chữ ký chứng nhận tài liệu: {allowed}",
            "Certification signature: {allowed}"
        ));
    }
    match sig.pades_level {
        Some(level) => {
            let name = level.name();
            let meaning = words::pades(level, lang);
            fact(tr!(
                lang,
                "Mức PAdES: {name} ({meaning})",
                "PAdES level: {name} ({meaning})"
            ));
        }
        None if stamp => {}
        None => fact(
            t(
                lang,
                "Mức PAdES: không đạt mức cơ bản B-B",
                "PAdES level: does not reach the baseline B-B",
            )
            .to_owned(),
        ),
    }
    fact(words::revocation(sig.revocation.as_ref(), lang));

    if let (Some(digest), Some(signature)) = (&sig.digest_algorithm, &sig.signature_algorithm) {
        fact(tr!(
            lang,
            "Thuật toán: băm {digest}, ký {signature}",
            "Algorithms: digest {digest}, signature {signature}"
        ));
    }
    if let Some(reason) = sig.reason.as_deref().filter(|r| !r.trim().is_empty()) {
        fact(tr!(lang, "Lý do ký: {reason}", "Reason: {reason}"));
    }
    if let Some(location) = sig.location.as_deref().filter(|l| !l.trim().is_empty()) {
        fact(tr!(lang, "Nơi ký: {location}", "Location: {location}"));
    }
    if !sig.findings.is_empty() {
        fact(t(lang, "Cần lưu ý:", "To note:").to_owned());
        for finding in &sig.findings {
            fact(format!("  - {}", sentences::finding(finding, lang)));
        }
    }
    lines.insert(0, heading);
    lines
}

/// Who signed: name, organisation, identities, hierarchy, issuer and the certificate's life.
fn signer_lines(signer: &SignerReport, stamp: bool, lang: Lang, fact: &mut impl FnMut(String)) {
    let name = &signer.common_name;
    fact(if stamp {
        tr!(
            lang,
            "Đơn vị cấp dấu thời gian: {name}",
            "Timestamping authority: {name}"
        )
    } else {
        tr!(lang, "Người ký: {name}", "Signer: {name}")
    });
    if let Some(organization) = signer
        .organization
        .as_deref()
        .filter(|o| !o.trim().is_empty())
    {
        fact(tr!(
            lang,
            "Tổ chức: {organization}",
            "Organisation: {organization}"
        ));
    }
    for identity in &signer.identities {
        let kind = words::identity(&identity.kind, lang);
        let value = &identity.value;
        fact(format!("{kind}: {value}"));
    }
    if !stamp {
        let hierarchy = words::hierarchy(signer.hierarchy, lang);
        fact(tr!(
            lang,
            "Hệ thống chứng thực: {hierarchy}",
            "Certification hierarchy: {hierarchy}"
        ));
    }
    let issuer = &signer.issuer;
    fact(tr!(
        lang,
        "Đơn vị cấp chứng thư số: {issuer}",
        "Certificate issued by: {issuer}"
    ));
    let serial = &signer.serial;
    let from = words::when(signer.not_before);
    let to = words::when(signer.not_after);
    fact(tr!(
        lang,
        "Chứng thư số: số hiệu {serial}, hiệu lực từ {from} đến {to}",
        "Certificate: serial {serial}, valid from {from} to {to}"
    ));
}

/// When it was signed: the timestamp's time if there is one (saying whether it is proven),
/// else the time the signer's computer claimed.
fn time_line(sig: &SignatureReport, stamp: bool, lang: Lang) -> String {
    let label = if stamp {
        t(lang, "Thời điểm đóng dấu", "Stamped at")
    } else {
        t(lang, "Thời điểm ký", "Signed at")
    };
    match (&sig.timestamp, sig.claimed_time) {
        (Some(ts), _) => {
            let at = words::when(ts.time);
            let how = timestamp_quality(ts, stamp, lang);
            format!("{label}: {at} ({how})")
        }
        (None, Some(claimed)) => {
            let at = words::when(claimed);
            let how = t(
                lang,
                "theo máy tính của người ký, chưa được xác thực",
                "as claimed by the signer's computer, not proven",
            );
            format!("{label}: {at} ({how})")
        }
        (None, None) => {
            let none = t(lang, "không có thông tin", "not stated");
            format!("{label}: {none}")
        }
    }
}

fn timestamp_quality(ts: &TimestampReport, stamp: bool, lang: Lang) -> String {
    let by = match (&ts.authority, stamp) {
        // A document timestamp names its authority on its own line already.
        (Some(authority), false) => tr!(
            lang,
            "theo dấu thời gian của «{authority}»",
            "per the timestamp of «{authority}»"
        ),
        _ => t(lang, "theo dấu thời gian", "per the timestamp").to_owned(),
    };
    let quality = match (ts.valid, ts.trusted) {
        (true, true) => t(lang, "đã xác thực", "proven"),
        (true, false) => t(
            lang,
            "đơn vị cấp dấu thời gian không nằm trong danh sách tin cậy",
            "the timestamping authority is not trusted",
        ),
        (false, _) => t(
            lang,
            "dấu thời gian KHÔNG hợp lệ, thời điểm chưa được chứng minh",
            "the timestamp is INVALID, the time is not proven",
        ),
    };
    format!("{by}, {quality}")
}

/// Whether the signed bytes still match and what later revisions did.
fn integrity_lines(sig: &SignatureReport, lang: Lang, fact: &mut impl FnMut(String)) {
    fact(words::integrity(sig, lang).to_owned());
    for change in &sig.changes {
        let what = change_line(change, lang);
        fact(tr!(lang, "Sau khi ký: {what}", "After signing: {what}"));
    }
}

/// "thêm dữ liệu kiểm tra dài hạn (DSS) — lần cập nhật thứ 2".
fn change_line(change: &ChangeReport, lang: Lang) -> String {
    let what = sentences::change(&change.what, lang);
    let revision = change.revision;
    tr!(
        lang,
        "{what} — lần cập nhật thứ {revision}",
        "{what} — update {revision}"
    )
}
