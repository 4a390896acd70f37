//! A signer whose private key stays inside a PKCS#11 token or HSM (PKCS#11 v2.40 / 3.0, via
//! `cryptoki`): finding the token by label, logging in once, finding the key and its
//! certificates, and signing with the token's RSA-PSS, PKCS#1 v1.5 or ECDSA mechanisms. Also
//! imports test keys into SoftHSM2 as sensitive, non-extractable objects, keeps the per-citizen
//! keys of the CSC remote-signing service ([`KeyStore`]) and prepares the embedded SoftHSM2
//! token a fresh machine runs with. Choosing the module and asking for the PIN is left to the
//! CLI and the server.

mod embedded;
mod keystore;
mod provision;
mod signer;

pub use embedded::{
    EMBEDDED_TOKEN_LABEL, EmbeddedToken, prepare_embedded_token, prepare_embedded_token_labelled,
};
pub use keystore::{HsmKeySpec, KeyStore};
pub use provision::{import_key, init_token};
pub use signer::{KeyProtection, Pkcs11Signer};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

/// Why a token, key or certificate could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    #[error("cannot load the PKCS#11 module {path}: {detail}")]
    Module { path: PathBuf, detail: String },
    #[error("no token labelled '{label}' is present; tokens found: {}",
        if available.is_empty() { "none".to_owned() } else { available.join(", ") })]
    TokenNotFound {
        label: String,
        available: Vec<String>,
    },
    /// kyso never retries: the token counts failed attempts and locks itself.
    #[error("wrong PIN for token '{token}'{}", if *final_try {
        "; one attempt is left before the token locks"
    } else {
        ""
    })]
    WrongPin { token: String, final_try: bool },
    #[error("the PIN of token '{token}' is locked; unblock it with the security officer PIN")]
    PinLocked { token: String },
    #[error("the PIN for token '{token}' has the wrong length or characters")]
    PinFormat { token: String },
    /// `label` is the CKA_LABEL asked for or, for a lookup by CKA_ID ([`KeyStore`]),
    /// `id` and the id in hex; `available` is empty then, as a token holding a key per
    /// citizen is not listed in a message.
    #[error("no private key {} on token '{token}'{}",
        match label.strip_prefix("id ") {
            Some(hex) if available.is_empty() => format!("with CKA_ID {hex}"),
            _ => format!("labelled '{label}'"),
        },
        if label.starts_with("id ") && available.is_empty() {
            String::new()
        } else if available.is_empty() {
            "; keys found: none".to_owned()
        } else {
            format!("; keys found: {}", available.join(", "))
        })]
    KeyNotFound {
        token: String,
        label: String,
        available: Vec<String>,
    },
    #[error("{count} private keys are labelled '{label}'; labels must be unique")]
    AmbiguousKey { label: String, count: usize },
    #[error("no certificate on the token has the id or label of key '{label}'")]
    CertificateNotFound { label: String },
    #[error("the certificate for key '{label}' does not match the key's type")]
    KeyCertificateMismatch { label: String },
    #[error("the key is {detail}; kyso signs with RSA of at least 2048 bits or ECDSA P-256/P-384")]
    UnsupportedKey { detail: String },
    /// `label` is the CKA_LABEL or, when the CKA_ID is the one taken, `id` and the id in hex.
    #[error("a private key {} already exists on token '{token}'",
        match label.strip_prefix("id ") {
            Some(hex) => format!("with CKA_ID {hex}"),
            None => format!("labelled '{label}'"),
        })]
    LabelTaken { token: String, label: String },
    /// A hash handed in for signing (CSC `signatures/signHash`) is not as long as its digest
    /// algorithm's output, so it cannot be the hash the caller says it is.
    #[error(
        "the hash is {actual} bytes long but a {digest} hash is {expected}; \
             send the hash computed with the algorithm named in the request"
    )]
    HashLength {
        digest: &'static str,
        expected: usize,
        actual: usize,
    },
    #[error("a {key:?} key cannot sign with {scheme:?}; choose a scheme of the key's type")]
    SchemeMismatch {
        key: crate::sign::KeyKind,
        scheme: crate::sign::SignatureScheme,
    },
    /// The embedded SoftHSM2 token's directory, configuration or PIN file.
    #[error("cannot prepare the embedded token at {path}: {source}")]
    EmbeddedStore {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the key to import is not a PKCS#8 private key: {source}")]
    ImportKey {
        #[source]
        source: openssl::error::ErrorStack,
    },
    #[error("the token failed while {context}: {detail}")]
    Token {
        context: &'static str,
        detail: String,
    },
}

/// What makes a private key a signing key kyso trusts on a token (PKCS#11 v2.40 §4.9): kept
/// on the token and private, sensitive and never extractable, able to sign and nothing else.
fn signing_key_attributes() -> Vec<cryptoki::object::Attribute> {
    use cryptoki::object::Attribute;
    vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Decrypt(false),
        Attribute::Unwrap(false),
        Attribute::Derive(false),
    ]
}

fn token_error(context: &'static str) -> impl Fn(CkError) -> Pkcs11Error {
    move |e| Pkcs11Error::Token {
        context,
        detail: e.to_string(),
    }
}

/// One initialized context per module for the whole process: `C_Initialize` may run only
/// once per module (PKCS#11 v2.40 §5.4), and callers — tests, server workers — run in
/// threads.
fn context(module: &Path) -> Result<Pkcs11, Pkcs11Error> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut contexts = lock(CONTEXTS.get_or_init(Default::default));
    if let Some(context) = contexts.get(module) {
        return Ok(context.clone());
    }
    let failed = |e: CkError| Pkcs11Error::Module {
        path: module.to_path_buf(),
        detail: e.to_string(),
    };
    let context = Pkcs11::new(module).map_err(failed)?;
    match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(failed(e)),
    }
    contexts.insert(module.to_path_buf(), context.clone());
    Ok(context)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain data behind, still usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn find_token(context: &Pkcs11, label: &str) -> Result<Slot, Pkcs11Error> {
    let slots = context
        .get_slots_with_token()
        .map_err(token_error("listing slots"))?;
    let mut available = Vec::new();
    for slot in slots {
        let Ok(info) = context.get_token_info(slot) else {
            continue;
        };
        if info.label() == label {
            return Ok(slot);
        }
        if info.token_initialized() {
            available.push(info.label().to_owned());
        }
    }
    Err(Pkcs11Error::TokenNotFound {
        label: label.to_owned(),
        available,
    })
}

/// The login state of a token is shared by every session of the process (PKCS#11 v2.40
/// §5.6), so a second `C_Login` answers CKR_USER_ALREADY_LOGGED_IN whatever PIN it is given.
/// To still refuse a wrong PIN then, kyso remembers a salted hash of the PIN that logged in.
fn login(
    context: &Pkcs11,
    module: &Path,
    slot: Slot,
    session: &Session,
    pin: &str,
    token: &str,
) -> Result<(), Pkcs11Error> {
    /// (module, slot id) → salted SHA-256 of the PIN that logged in.
    type Logins = Mutex<HashMap<(PathBuf, u64), [u8; 32]>>;
    static LOGINS: OnceLock<Logins> = OnceLock::new();
    static SALT: OnceLock<[u8; 32]> = OnceLock::new();
    let salt = SALT.get_or_init(|| {
        let mut salt = [0u8; 32];
        // Without randomness the hash is merely unsalted; it never leaves the process.
        let _ = openssl::rand::rand_bytes(&mut salt);
        salt
    });
    let mut hasher = openssl::sha::Sha256::new();
    hasher.update(salt);
    hasher.update(pin.as_bytes());
    let fingerprint = hasher.finish();

    let mut logins = lock(LOGINS.get_or_init(Default::default));
    let key = (module.to_path_buf(), slot.id());
    let token = token.to_owned();
    match session.login(UserType::User, Some(&AuthPin::from(pin))) {
        Ok(()) => {
            logins.insert(key, fingerprint);
            Ok(())
        }
        Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => match logins.get(&key) {
            Some(known) if *known == fingerprint => Ok(()),
            Some(_) => Err(Pkcs11Error::WrongPin {
                token,
                final_try: false,
            }),
            None => Err(Pkcs11Error::Token {
                context: "logging in",
                detail: "another part of this program logged in to the token".into(),
            }),
        },
        Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => {
            let final_try = context
                .get_token_info(slot)
                .is_ok_and(|info| info.user_pin_final_try());
            Err(Pkcs11Error::WrongPin { token, final_try })
        }
        Err(CkError::Pkcs11(RvError::PinLocked, _)) => Err(Pkcs11Error::PinLocked { token }),
        Err(CkError::Pkcs11(RvError::PinLenRange | RvError::PinInvalid, _)) => {
            Err(Pkcs11Error::PinFormat { token })
        }
        Err(e) => Err(token_error("logging in")(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_to_do_and_never_the_pin() {
        let wrong = Pkcs11Error::WrongPin {
            token: "officer".into(),
            final_try: true,
        };
        assert_eq!(
            wrong.to_string(),
            "wrong PIN for token 'officer'; one attempt is left before the token locks"
        );
        let missing = Pkcs11Error::TokenNotFound {
            label: "x".into(),
            available: vec!["a".into(), "b".into()],
        };
        assert!(missing.to_string().ends_with("tokens found: a, b"));
    }

    #[test]
    fn errors_name_the_id_and_the_expected_length() {
        let missing = Pkcs11Error::KeyNotFound {
            token: "kyso-csc".into(),
            label: "id 0aff".into(),
            available: Vec::new(),
        };
        assert_eq!(
            missing.to_string(),
            "no private key with CKA_ID 0aff on token 'kyso-csc'"
        );
        let by_label = Pkcs11Error::KeyNotFound {
            token: "t".into(),
            label: "officer".into(),
            available: Vec::new(),
        };
        assert_eq!(
            by_label.to_string(),
            "no private key labelled 'officer' on token 't'; keys found: none"
        );
        let short = Pkcs11Error::HashLength {
            digest: "SHA-256",
            expected: 32,
            actual: 31,
        };
        assert!(
            short
                .to_string()
                .starts_with("the hash is 31 bytes long but a SHA-256 hash is 32")
        );
    }
}
