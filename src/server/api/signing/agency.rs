//! The agency's key for server-side signing: on a configured PKCS#11 token, or — for
//! demonstrations with the test PKI, so `make run` signs out of the box — the PKI folder's
//! agency key, imported once into an embedded SoftHSM2 token of its own (`kyso-agency`,
//! beside the remote-signing token in the data folder). Signing is `Pkcs11Signer`'s.

use std::path::{Path, PathBuf};

use crate::sign::pkcs11::{Pkcs11Error, Pkcs11Signer, import_key, prepare_embedded_token_labelled};

/// The embedded token holding the agency key, apart from the citizens' keys.
pub const AGENCY_TOKEN_LABEL: &str = "kyso-agency";
/// The agency key's label on that token.
pub const AGENCY_KEY_LABEL: &str = "kyso-agency";
/// The test PKI's agency signer (`certs/signers/<slug>.key.pem` and `.chain.pem`).
pub const DEMO_AGENCY: &str = "agency-ubnd-lao-cai";

/// What to tell the operator when there is no agency key.
pub const HOW_TO_CONFIGURE: &str = "no agency key is configured for server-side signing: start \
     kyso serve with --agency-pkcs11-module SO --agency-token LABEL --agency-key LABEL \
     --agency-pin-file FILE, or with a PKI folder (--pki) holding signers/agency-ubnd-lao-cai";

/// Why the demo agency key could not be made ready.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgencyKeyError {
    #[error(transparent)]
    Token(#[from] Pkcs11Error),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} holds no usable {what}: {source}")]
    Unusable {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: openssl::error::ErrorStack,
    },
}

/// The agency key of the PKI folder `pki`, in the embedded token under `softhsm_dir`,
/// imported the first time (sensitive, never extractable). Call at start-up, before other
/// threads: the embedded token may set SOFTHSM2_CONF for the process.
pub fn open_embedded(softhsm_dir: &Path, pki: &Path) -> Result<Pkcs11Signer, AgencyKeyError> {
    let token = prepare_embedded_token_labelled(softhsm_dir, AGENCY_TOKEN_LABEL)?;
    let open = || {
        Pkcs11Signer::open(
            &token.module,
            AGENCY_TOKEN_LABEL,
            AGENCY_KEY_LABEL,
            &token.user_pin,
        )
    };
    match open() {
        Ok(signer) => return Ok(signer),
        Err(Pkcs11Error::KeyNotFound { .. }) => {}
        Err(other) => return Err(other.into()),
    }
    let signers = pki.join("signers");
    let key_path = signers.join(format!("{DEMO_AGENCY}.key.pem"));
    let chain_path = signers.join(format!("{DEMO_AGENCY}.chain.pem"));
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| AgencyKeyError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let unusable = |path: &Path, what| {
        let path = path.to_path_buf();
        move |source| AgencyKeyError::Unusable { path, what, source }
    };
    let key = openssl::pkey::PKey::private_key_from_pem(&read(&key_path)?)
        .and_then(|key| key.private_key_to_pkcs8())
        .map_err(unusable(&key_path, "private key"))?;
    let chain = openssl::x509::X509::stack_from_pem(&read(&chain_path)?)
        .and_then(|certs| {
            certs
                .iter()
                .map(|c| c.to_der())
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(unusable(&chain_path, "certificate chain"))?;
    import_key(
        &token.module,
        AGENCY_TOKEN_LABEL,
        &token.user_pin,
        AGENCY_KEY_LABEL,
        AGENCY_KEY_LABEL.as_bytes(),
        &key,
        &chain,
    )?;
    // Not logged here: start-up stays silent until the socket is bound.
    Ok(open()?)
}
