//! Findings and changes as sentences a clerk can act on, both languages side by side. The
//! details inside findings come from the validation as they are (technical, untranslated);
//! the sentence around them says what it means and what to do.

use super::words::{algorithm_use, doc_mdp, modification_level, when};
use super::{Lang, t, tr};
use crate::verify::report::{Change, Finding};

/// One finding as a full sentence (or two: what is wrong, then what to do).
pub(super) fn finding(finding: &Finding, lang: Lang) -> String {
    match finding {
        Finding::ByteRangeInvalid { detail } => tr!(
            lang,
            "Vùng dữ liệu được ký (/ByteRange) không hợp lệ: {detail}. Tệp có thể đã bị can thiệp hoặc do phần mềm lỗi tạo ra; hãy yêu cầu người gửi cung cấp lại bản gốc.",
            "The signed byte range (/ByteRange) is invalid: {detail}. The file may have been tampered with or made by faulty software; ask the sender for the original.",
        ),
        Finding::SubFilterUnsupported { sub_filter } => tr!(
            lang,
            "Định dạng chữ ký «{sub_filter}» chưa được hỗ trợ kiểm tra; hãy kiểm tra chữ ký này bằng phần mềm khác.",
            "The signature format «{sub_filter}» is not supported; check this signature with other software.",
        ),
        Finding::CmsUnreadable { detail } => tr!(
            lang,
            "Không đọc được dữ liệu chữ ký (CMS): {detail}. Chữ ký bị hỏng; hãy đề nghị người ký ký lại.",
            "The signature data (CMS) cannot be read: {detail}. The signature is damaged; ask the signer to sign again.",
        ),
        Finding::DigestMismatch => t(
            lang,
            "Nội dung tài liệu không khớp với chữ ký: tài liệu đã bị sửa sau khi ký. Không sử dụng tệp này; hãy yêu cầu bản gốc.",
            "The document's content does not match the signature: it was altered after signing. Do not use this file; ask for the original.",
        ).to_owned(),
        Finding::SignatureInvalid => t(
            lang,
            "Giá trị chữ ký không khớp với khoá công khai trong chứng thư số của người ký: chữ ký bị giả mạo hoặc bị hỏng. Không sử dụng tệp này.",
            "The signature value does not match the public key in the signer's certificate: the signature is forged or damaged. Do not use this file.",
        ).to_owned(),
        Finding::SignedAttributes { detail } => tr!(
            lang,
            "Thuộc tính được ký của chữ ký bị thiếu hoặc không nhất quán: {detail}.",
            "The signature's signed attributes are missing or inconsistent: {detail}.",
        ),
        Finding::SignerCertificateMissing => t(
            lang,
            "Tệp không chứa chứng thư số của người ký nên không xác định được ai đã ký. Hãy đề nghị người ký ký lại bằng phần mềm có đính kèm chứng thư số.",
            "The file does not hold the signer's certificate, so who signed cannot be established. Ask the signer to sign again with software that embeds the certificate.",
        ).to_owned(),
        Finding::ChainNotFound { detail } => tr!(
            lang,
            "Không dựng được chuỗi chứng thư số từ người ký tới chứng thư số gốc: {detail}. Hãy kiểm tra các chứng thư số gốc đã cấu hình (--trust).",
            "No certificate chain from the signer to a root could be built: {detail}. Check the configured root certificates (--trust).",
        ),
        Finding::Untrusted { root } => tr!(
            lang,
            "Chứng thư số gốc «{root}» không nằm trong danh sách tin cậy đã cấu hình (--trust). Nếu đó đúng là chứng thư số gốc quốc gia hoặc chứng thư số gốc chuyên dùng Chính phủ, hãy thêm nó bằng --trust rồi kiểm tra lại.",
            "The root certificate «{root}» is not among the configured trust anchors (--trust). If it is the national root or the government special-use root, add it with --trust and check again.",
        ),
        Finding::ChainProblem { detail } => tr!(
            lang,
            "Chuỗi chứng thư số có lỗi: {detail}.",
            "The certificate chain is faulty: {detail}.",
        ),
        Finding::CertificateExpired { subject, not_after } => {
            let at = when(*not_after);
            tr!(
                lang,
                "Chứng thư số «{subject}» đã hết hạn lúc {at}. Chữ ký chỉ được công nhận nếu có dấu thời gian tin cậy chứng minh đã ký trước thời điểm đó.",
                "The certificate «{subject}» expired at {at}. The signature only counts if a trusted timestamp proves it was made before then.",
            )
        }
        Finding::CertificateNotYetValid {
            subject,
            not_before,
        } => {
            let at = when(*not_before);
            tr!(
                lang,
                "Chứng thư số «{subject}» chỉ có hiệu lực từ {at}, sau thời điểm ký. Hãy kiểm tra đồng hồ máy tính của người ký hoặc thời điểm kiểm tra (--at).",
                "The certificate «{subject}» is only valid from {at}, after the signing time. Check the signer's clock or the validation time (--at).",
            )
        }
        Finding::Revoked { subject, at } => {
            let at = when(*at);
            tr!(
                lang,
                "Chứng thư số «{subject}» đã bị thu hồi lúc {at}. Chữ ký tạo sau thời điểm đó không có giá trị.",
                "The certificate «{subject}» was revoked at {at}. Signatures made after that have no value.",
            )
        }
        Finding::RevocationUnknown { subject, detail } => tr!(
            lang,
            "Không xác định được tình trạng thu hồi của chứng thư số «{subject}»: {detail}.",
            "The revocation status of the certificate «{subject}» could not be established: {detail}.",
        ),
        Finding::TimestampInvalid { detail } => tr!(
            lang,
            "Dấu thời gian không hợp lệ: {detail}. Thời điểm ký chưa được chứng minh.",
            "The timestamp is invalid: {detail}. The signing time is not proven.",
        ),
        Finding::TimestampUntrusted { detail } => tr!(
            lang,
            "Đơn vị cấp dấu thời gian không nằm trong danh sách tin cậy: {detail}. Nếu tin cậy đơn vị này, hãy thêm chứng thư số gốc của họ bằng --trust.",
            "The timestamping authority is not trusted: {detail}. If you trust it, add its root certificate with --trust.",
        ),
        Finding::ModifiedAfterSigning { level } => {
            let level = modification_level(*level, lang);
            tr!(
                lang,
                "Sau khi ký, tài liệu có {level}. Hãy đối chiếu với bản gốc trước khi sử dụng.",
                "After signing, the document has {level}. Compare it with the original before relying on it.",
            )
        }
        Finding::DocMdpViolated { permission, level } => {
            let allowed = doc_mdp(*permission, lang);
            let level = modification_level(*level, lang);
            tr!(
                lang,
                "Chữ ký chứng nhận tài liệu {allowed}, nhưng sau khi ký tài liệu có {level}. Không sử dụng tệp này; hãy yêu cầu bản đã chứng nhận gốc.",
                "The certification signature {allowed}, yet after signing the document has {level}. Do not use this file; ask for the original certified copy.",
            )
        }
        Finding::FieldLocked { field } => tr!(
            lang,
            "Trường «{field}» đã bị khoá bởi chữ ký nhưng vẫn bị thay đổi sau khi ký.",
            "The field «{field}» is locked by the signature, yet it was changed after signing.",
        ),
        Finding::WeakAlgorithm {
            used_for,
            subject,
            algorithm,
            sunset,
            ..
        } => {
            let what = algorithm_use(*used_for, lang);
            let whose = subject
                .as_ref()
                .map(|s| format!(" «{s}»"))
                .unwrap_or_default();
            match sunset {
                Some(sunset) => {
                    let since = when(*sunset);
                    tr!(
                        lang,
                        "{what}{whose} là {algorithm}, không còn đủ an toàn từ {since}; Thông tư 15/2025/TT-BKHCN yêu cầu RSA từ 2048 bit hoặc ECDSA từ 256 bit cùng SHA-2. Chữ ký chỉ được công nhận nếu có dấu thời gian tin cậy chứng minh đã ký trước thời điểm đó; nếu không, hãy đề nghị ký lại bằng chứng thư số và phần mềm mới.",
                        "{what}{whose} is {algorithm}, no longer strong enough since {since}; Circular 15/2025/TT-BKHCN requires RSA of 2048 bits or more or ECDSA of 256 bits or more, with SHA-2. The signature only counts if a trusted timestamp proves it was made before then; otherwise ask for a new signature with current certificates and software.",
                    )
                }
                None => tr!(
                    lang,
                    "{what}{whose} là {algorithm}, chưa bao giờ đủ an toàn để tin cậy; Thông tư 15/2025/TT-BKHCN yêu cầu RSA từ 2048 bit hoặc ECDSA từ 256 bit cùng SHA-2. Hãy đề nghị ký lại bằng chứng thư số và phần mềm mới.",
                    "{what}{whose} is {algorithm}, which was never strong enough to rely on; Circular 15/2025/TT-BKHCN requires RSA of 2048 bits or more or ECDSA of 256 bits or more, with SHA-2. Ask for a new signature with current certificates and software.",
                ),
            }
        }
    }
}

/// What one later revision changed, as a clause after "Sau khi ký: ".
pub(super) fn change(change: &Change, lang: Lang) -> String {
    match change {
        Change::ValidationData => t(
            lang,
            "thêm dữ liệu kiểm tra dài hạn (DSS)",
            "long-term validation data (DSS) added",
        )
        .to_owned(),
        Change::Metadata => t(
            lang,
            "cập nhật thông tin mô tả tài liệu",
            "document metadata updated",
        )
        .to_owned(),
        Change::DocumentTimestamp { field } => tr!(
            lang,
            "thêm dấu thời gian tài liệu (trường «{field}»)",
            "document timestamp added (field «{field}»)",
        ),
        Change::Signature { field } => tr!(
            lang,
            "thêm chữ ký hoặc ô chữ ký «{field}»",
            "signature or signature field «{field}» added",
        ),
        Change::FieldValue { field } => tr!(
            lang,
            "giá trị trường biểu mẫu «{field}» bị thay đổi",
            "value of the form field «{field}» changed",
        ),
        Change::Annotation {
            page: Some(page),
            subtype,
        } => tr!(
            lang,
            "thêm hoặc sửa chú thích ({subtype}) trên trang {page}",
            "annotation ({subtype}) added or changed on page {page}",
        ),
        Change::Annotation {
            page: None,
            subtype,
        } => tr!(
            lang,
            "thêm hoặc sửa chú thích ({subtype})",
            "annotation ({subtype}) added or changed",
        ),
        Change::PageContent {
            page: Some(page),
            object,
        } => tr!(
            lang,
            "trang {page} bị thay đổi nội dung (đối tượng {object})",
            "page {page} content changed (object {object})",
        ),
        Change::PageContent { page: None, object } => tr!(
            lang,
            "nội dung trang bị thay đổi (đối tượng {object})",
            "page content changed (object {object})",
        ),
        Change::Object { object, detail } => tr!(
            lang,
            "đối tượng {object} bị thay thế hoặc xoá: {detail}",
            "object {object} replaced or freed: {detail}",
        ),
        Change::Restructured => t(
            lang,
            "tệp bị ghi lại toàn bộ, phiên bản đã ký không còn nằm trong lịch sử của tệp",
            "the file was rewritten; the signed revision is no longer part of its history",
        )
        .to_owned(),
    }
}
