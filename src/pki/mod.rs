//! Certificates and the test PKI: Vietnamese identities in subject names, certificate
//! profiles, the demo CA tree that mirrors the national and the government special-use
//! hierarchies, chains, revocation (OCSP, CRL) and RFC 3161 timestamps — both the clients and
//! the responders the test PKI runs.

pub mod chain;
pub mod crl;
pub mod demo;
pub mod der;
pub mod identity;
pub mod key;
pub mod ocsp;
pub mod profile;
pub(crate) mod remembered;
pub mod revocation;
mod signature;
pub mod tsa;

pub use identity::{Identity, IdentityKind, SubjectName};
pub use key::KeySpec;
pub use profile::{CertificateRequest, Endpoints, Issuer, Role, SubjectKey, Validity};

use openssl::error::ErrorStack;

/// Why a PKI operation could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    #[error("OpenSSL failed while {context}")]
    OpenSsl {
        context: &'static str,
        #[source]
        source: ErrorStack,
    },
    #[error(
        "'{value}' is not a valid identity: expected CCCD:<12 digits>, CMND:<9 or 12 digits>, \
         HC:<letter + 7-8 digits>, MST:<10 digits[-3 digits]> or MNS:<7 digits>"
    )]
    InvalidIdentity { value: String },
    #[error(
        "'{url}' is not a usable base URL: expected http(s)://host[:port][/path] without \
         query or fragment"
    )]
    InvalidBaseUrl { url: String },
    #[error("the time {unix} (Unix seconds) cannot be written into a certificate")]
    TimeOutOfRange { unix: i64 },
    #[error("a self-signed certificate needs its private key, not only the public key")]
    SelfSignedNeedsPrivateKey,
    #[error("internal error: {what}")]
    Internal { what: &'static str },
}

impl PkiError {
    /// A `map_err` adapter that records what was being done when OpenSSL failed.
    pub(crate) fn openssl(context: &'static str) -> impl Fn(ErrorStack) -> PkiError + Copy {
        move |source| PkiError::OpenSsl { context, source }
    }
}
