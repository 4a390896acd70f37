//! The embedded default token: a SoftHSM2 token in a directory of kyso's own, with random PINs
//! kept beside it, so a fresh machine runs the CSC service with no HSM. This is the I/O edge of
//! `pkcs11` (it writes the SoftHSM2 configuration and the PIN file); using the token is left
//! to [`KeyStore`](super::KeyStore).

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{Pkcs11Error, context, find_token, init_token, lock};

/// The label of the embedded token.
pub const EMBEDDED_TOKEN_LABEL: &str = "kyso-csc";

/// Where Debian and Ubuntu install SoftHSM2's PKCS#11 module (package `softhsm2`).
const SOFTHSM_MODULES: [&str; 2] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
];

/// The environment variable SoftHSM2 reads its configuration file from, once, when the
/// module is initialized.
const SOFTHSM_CONF_VAR: &str = "SOFTHSM2_CONF";

/// Digits in each generated PIN: 10^16 possibilities, well past SoftHSM2's 4-character minimum
/// and beyond guessing, as nobody types these PINs.
const PIN_DIGITS: usize = 16;

/// A ready token: the module to load, the token's label and the user PIN to log in with.
pub struct EmbeddedToken {
    pub module: PathBuf,
    pub token_label: String,
    pub user_pin: String,
}

impl fmt::Debug for EmbeddedToken {
    /// Never shows the PIN.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedToken")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .finish_non_exhaustive()
    }
}

/// Prepares the embedded token labelled [`EMBEDDED_TOKEN_LABEL`] under `dir`; see
/// [`prepare_embedded_token_labelled`].
pub fn prepare_embedded_token(dir: &Path) -> Result<EmbeddedToken, Pkcs11Error> {
    prepare_embedded_token_labelled(dir, EMBEDDED_TOKEN_LABEL)
}

/// Prepares a SoftHSM2 token labelled `label` whose configuration and PINs live in `dir`:
///
/// - `dir/softhsm2.conf` puts the token files in `dir/tokens/` (mode 0700);
/// - `dir/pins` (mode 0600, written to a temporary file and renamed into place, so a crash
///   never leaves half a PIN) holds a random 16-digit security officer PIN and user PIN;
/// - the token is initialized (C_InitToken, C_InitPIN) the first time and found again later.
///
/// **A software token, for demonstrations and tests**: the keys are files encrypted under
/// the PIN that sits next to them, which protects nothing against whoever can read `dir`.
/// Production uses an HSM through [`KeyStore::open`](super::KeyStore::open).
///
/// SoftHSM2 reads `SOFTHSM2_CONF` once, when the module is first initialized in the
/// process, so call this at start-up, before anything loads the module and before other
/// threads start: it sets the variable to `dir/softhsm2.conf` only if it is unset. If it is
/// already set, that configuration is used (the token lives wherever it says) and the PINs
/// are still kept in `dir/pins`.
pub fn prepare_embedded_token_labelled(
    dir: &Path,
    label: &str,
) -> Result<EmbeddedToken, Pkcs11Error> {
    // One preparation at a time in this process: the PIN file and C_InitToken are
    // check-then-act.
    static PREPARING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = lock(&PREPARING);

    let module = SOFTHSM_MODULES
        .iter()
        .map(Path::new)
        .find(|path| path.exists())
        .ok_or_else(|| Pkcs11Error::Module {
            path: PathBuf::from(SOFTHSM_MODULES[0]),
            detail: "SoftHSM2 is not installed (install the softhsm2 package) and no HSM \
                     module was configured"
                .into(),
        })?
        .to_path_buf();

    let at = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Pkcs11Error::EmbeddedStore { path, source }
    };
    fs::create_dir_all(dir).map_err(at(dir))?;
    let dir = dir.canonicalize().map_err(at(dir))?;
    let tokens = dir.join("tokens");
    match fs::DirBuilder::new().mode(0o700).create(&tokens) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(at(&tokens)(e)),
    }
    // Tighten a directory left by an earlier version or created by hand.
    fs::set_permissions(&tokens, fs::Permissions::from_mode(0o700)).map_err(at(&tokens))?;

    let conf = dir.join("softhsm2.conf");
    let conf_text = softhsm_conf(&tokens);
    if fs::read_to_string(&conf).ok().as_deref() != Some(conf_text.as_str()) {
        write_atomically(&conf, conf_text.as_bytes(), 0o644).map_err(at(&conf))?;
    }
    if std::env::var_os(SOFTHSM_CONF_VAR).is_none_or(|value| value.is_empty()) {
        // SAFETY: `set_var` is sound only while no other thread reads or writes the
        // environment. This function is documented to run at start-up, before the server's
        // threads exist and before the module (which reads the variable in C_Initialize) is
        // loaded.
        unsafe { std::env::set_var(SOFTHSM_CONF_VAR, OsString::from(&conf)) };
    }

    let context = context(&module)?;
    let exists = match find_token(&context, label) {
        Ok(_) => true,
        Err(Pkcs11Error::TokenNotFound { .. }) => false,
        Err(e) => return Err(e),
    };
    let pins_path = dir.join("pins");
    let pins = match fs::read_to_string(&pins_path) {
        Ok(text) => Pins::parse(&text).ok_or_else(|| {
            at(&pins_path)(io::Error::new(
                io::ErrorKind::InvalidData,
                "the PIN file is not two lines so-pin=… and user-pin=… of digits; \
                 restore it from a backup, or remove it together with the tokens directory",
            ))
        })?,
        // New PINs for an existing token would lock it out; say so instead.
        Err(e) if e.kind() == io::ErrorKind::NotFound && exists => {
            return Err(at(&pins_path)(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "token '{label}' exists but its PIN file is missing; restore the file \
                     from a backup, or remove the token's directory to start afresh"
                ),
            )));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // Written before the token is initialized: after a crash in between, the next
            // start initializes the token with these PINs.
            let pins = Pins::generate().map_err(at(&pins_path))?;
            write_atomically(&pins_path, pins.to_text().as_bytes(), 0o600)
                .map_err(at(&pins_path))?;
            pins
        }
        Err(e) => return Err(at(&pins_path)(e)),
    };
    if !exists {
        init_token(&module, label, &pins.so, &pins.user)?;
    }
    Ok(EmbeddedToken {
        module,
        token_label: label.to_owned(),
        user_pin: pins.user,
    })
}

/// SoftHSM2's configuration (softhsm2.conf(5)): file-backed objects in `tokens`, and only
/// errors in the system log.
fn softhsm_conf(tokens: &Path) -> String {
    format!(
        "# Written by kyso for its embedded token; a software token for demos and tests.\n\
         directories.tokendir = {}\n\
         objectstore.backend = file\n\
         log.level = ERROR\n",
        tokens.display()
    )
}

/// The token's two PINs. No Debug: they are never printed.
struct Pins {
    so: String,
    user: String,
}

impl Pins {
    fn generate() -> io::Result<Pins> {
        Ok(Pins {
            so: random_digits(PIN_DIGITS)?,
            user: random_digits(PIN_DIGITS)?,
        })
    }

    fn to_text(&self) -> String {
        format!("so-pin={}\nuser-pin={}\n", self.so, self.user)
    }

    fn parse(text: &str) -> Option<Pins> {
        let (mut so, mut user) = (None, None);
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (name, value) = line.split_once('=')?;
            let value = value.trim();
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            match name.trim() {
                "so-pin" => so = Some(value.to_owned()),
                "user-pin" => user = Some(value.to_owned()),
                _ => return None,
            }
        }
        Some(Pins {
            so: so?,
            user: user?,
        })
    }
}

/// `count` decimal digits from OpenSSL's CSPRNG, by rejection sampling so each digit is
/// uniform (bytes 250..=255 would favour 0..=5).
fn random_digits(count: usize) -> io::Result<String> {
    let mut digits = String::with_capacity(count);
    let mut bytes = [0u8; 32];
    while digits.len() < count {
        openssl::rand::rand_bytes(&mut bytes).map_err(io::Error::other)?;
        for b in bytes.iter().filter(|b| **b < 250) {
            if digits.len() == count {
                break;
            }
            digits.push(char::from(b'0' + b % 10));
        }
    }
    Ok(digits)
}

/// Writes `bytes` to a new temporary file with `mode` beside `path`, flushes it to disk and
/// renames it over `path`: readers see the old file or the whole new one, never a part.
fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?
        .to_string_lossy();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&temporary)?;
        // `mode` is filtered by the umask at creation; set it exactly.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_pins_are_sixteen_digits_and_differ() {
        let a = random_digits(PIN_DIGITS).unwrap();
        let b = random_digits(PIN_DIGITS).unwrap();
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_digit()), "{}", a.len());
        assert_ne!(a, b);
    }

    #[test]
    fn pin_file_round_trips_and_refuses_damage() {
        let pins = Pins {
            so: "0123456789012345".into(),
            user: "5432109876543210".into(),
        };
        let parsed = Pins::parse(&pins.to_text()).unwrap();
        assert_eq!(
            (parsed.so.as_str(), parsed.user.as_str()),
            ("0123456789012345", "5432109876543210")
        );
        assert!(Pins::parse("so-pin=1234\n").is_none());
        assert!(Pins::parse("so-pin=12a4\nuser-pin=1234\n").is_none());
        assert!(Pins::parse("so-pin=1234\nuser-pin=\n").is_none());
        assert!(Pins::parse("so-pin=1234\nuser-pin=5678\nother=1\n").is_none());
    }

    #[test]
    fn debug_hides_the_user_pin() {
        let token = EmbeddedToken {
            module: PathBuf::from("/m.so"),
            token_label: "kyso-csc".into(),
            user_pin: "9876543210123456".into(),
        };
        let shown = format!("{token:?}");
        assert!(shown.contains("kyso-csc") && !shown.contains("9876543210123456"));
    }
}
