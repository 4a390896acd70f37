//! The errors of the CSC API client, worded for the citizen (Vietnamese first, English
//! after). Turning a service's error answer into one of them is `wire`'s.

use crate::sign::SignatureScheme;

/// Why the remote signing service could not be used. Never carries the password, PIN, OTP,
/// SAD or access token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CscClientError {
    #[error(
        "địa chỉ dịch vụ ký số từ xa không dùng được / the remote signing service address \
         {url} cannot be used: {reason}"
    )]
    BadUrl { url: String, reason: &'static str },
    #[error(
        "sai tên đăng nhập hoặc mật khẩu / wrong user name or password for the remote signing \
         service"
    )]
    LoginFailed,
    #[error(
        "phiên đăng nhập không hợp lệ hoặc đã hết hạn, hãy đăng nhập lại / the login is missing \
         or has expired: log in again"
    )]
    Unauthorized,
    #[error(
        "sai mã PIN hoặc mã OTP / wrong PIN or one-time code{}",
        detail(description)
    )]
    WrongPinOrOtp { description: String },
    #[error(
        "chứng thư số bị khoá do nhập sai nhiều lần, hãy liên hệ nhà cung cấp dịch vụ / the \
         credential is locked after too many failed attempts: contact the signing service{}",
        detail(description)
    )]
    CredentialLocked { description: String },
    #[error(
        "phiên ký (SAD) đã hết hạn hoặc đã được dùng, hãy ký lại / the signature authorization \
         (SAD) has expired or was already used: sign again{}",
        detail(description)
    )]
    InvalidSad { description: String },
    #[error("tài khoản chưa có chứng thư số nào để ký / the account has no signing credential")]
    NoCredential,
    #[error(
        "tài khoản có nhiều chứng thư số, hãy chọn một / the account has several credentials, \
         choose one of: {}",
        ids.join(", ")
    )]
    AmbiguousCredential { ids: Vec<String> },
    #[error(
        "dịch vụ không ký được bằng {scheme:?} với chứng thư số này / the service does not offer \
         {scheme:?} for this credential (it offers {}): choose another signature scheme",
        offered.join(", ")
    )]
    SchemeNotOffered {
        scheme: SignatureScheme,
        offered: Vec<String>,
    },
    #[error(
        "the credential's key is {detail}; kyso signs with RSA of at least 2048 bits or ECDSA \
         P-256/P-384 (Circular 15/2025/TT-BKHCN)"
    )]
    UnsupportedKey { detail: String },
    #[error("no one-time code: {reason}")]
    OtpUnavailable { reason: String },
    #[error(
        "the remote signing service answered HTTP {status} ({error}){}",
        detail(description)
    )]
    Http {
        status: u16,
        error: String,
        description: String,
    },
    #[error("the remote signing service at {url} did not answer within {seconds} s")]
    Timeout { url: String, seconds: u64 },
    /// The cause is part of the message rather than a `source`, so a one-line report that
    /// joins causes does not print it twice.
    #[error("cannot reach the remote signing service at {url}: {cause}")]
    Transport {
        url: String,
        cause: Box<ureq::Error>,
    },
    #[error("the remote signing service sent an unusable answer: {what}")]
    BadResponse { what: String },
    #[error(
        "the signature returned by the remote signing service does not verify with the \
         certificate of {subject}: it was made with another key or over another hash"
    )]
    SignatureMismatch { subject: String },
    #[error("cannot encode {what}")]
    Encode { what: &'static str },
}

fn detail(description: &str) -> String {
    match description.is_empty() {
        true => String::new(),
        false => format!(" ({description})"),
    }
}
