//! PAdES signing (ETSI EN 319 142-1) in explicit stages: prepare an incremental update with a
//! placeholder, digest the byte ranges, sign through a [`Signer`], embed the CMS, then add
//! long-term validation data and archive timestamps. Keys, clocks and the network come in
//! through traits; reading PDFs is left to `pdf::read`.

pub mod algorithm;
pub mod appearance;
pub mod baseline;
pub mod cms;
pub mod dss;
pub mod external;
pub mod online;
pub mod p12;
pub mod pades;
pub mod pkcs11;
pub mod signer;

pub use algorithm::{DigestAlgorithm, KeyKind, SignatureScheme};
pub use baseline::{
    PadesLevel, RevocationSource, ServiceError, Services, SignError, SignOptions, TimeStamper,
    sign_pdf,
};
pub use pades::DocMdpPermission;
pub use signer::{Signer, SignerError};
