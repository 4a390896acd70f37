//! `kyso ca`: the remote-signing CA's operator commands — enroll a citizen (key in the HSM,
//! certificate from the public CA), unlock a locked credential, show the demo outbox — and
//! the HSM and CA loading that `kyso serve` shares. The work is `kyso::csc`'s.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use kyso::csc::Secret;
use kyso::csc::enroll::{self, CitizenCa, Enrollment, OtpChoice};
use kyso::csc::service::CscService;
use kyso::pki::Endpoints;
use kyso::sign::pkcs11::{HsmKeySpec, KeyStore, prepare_embedded_token};
use kyso::store::Store;
use kyso::store::csc::CscDirectory;
use openssl::x509::X509;

use super::{Outcome, creation_time};

/// Where the remote-signing keys live.
#[derive(Debug, Clone, Args)]
pub struct HsmArgs {
    /// PKCS#11 module (.so) of the HSM holding citizens' keys. Default: the embedded SoftHSM2
    /// token in DATA/softhsm (a software token for demonstrations and tests).
    #[arg(long, value_name = "SO", requires_all = ["hsm_token", "hsm_pin_file"])]
    pub hsm_module: Option<PathBuf>,
    /// Label of the HSM token.
    #[arg(long, value_name = "LABEL", requires = "hsm_module")]
    pub hsm_token: Option<String>,
    /// File holding the HSM token's user PIN.
    #[arg(long, value_name = "FILE", requires = "hsm_module")]
    pub hsm_pin_file: Option<PathBuf>,
    /// signHash signatures made at once, each on a thread and HSM session of its own.
    /// Default: one per core, right for the embedded token, which signs on this machine's
    /// CPU; a network HSM may want more.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub hsm_threads: Option<u16>,
}

/// Where the citizens' CA is.
#[derive(Debug, Clone, Args)]
pub struct CaArgs {
    /// PKI folder laid out as `kyso pki demo` writes it; enrollment issues from its public CA.
    #[arg(long, value_name = "DIR", default_value = "certs")]
    pub pki: PathBuf,
    /// Base URL written into issued certificates for CRL, OCSP and CA certificate lookups:
    /// where `kyso serve` answers.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080")]
    pub public_url: String,
}

/// The CA that issues citizens' remote-signing certificates.
const CITIZEN_CA: &str = "public-ca";

#[derive(Debug, Args)]
pub struct CaCommandArgs {
    #[command(subcommand)]
    command: CaCommand,
}

#[derive(Debug, Subcommand)]
enum CaCommand {
    /// Enroll a citizen for remote signing: create the key in the HSM, issue the certificate
    /// (UID=CCCD:…), set the PIN and the OTP factor; prints the credential id.
    Enroll(EnrollArgs),
    /// Unlock a credential locked after 5 wrong PIN or OTP attempts.
    Unlock(UnlockArgs),
    /// Show the newest messages of the demo outbox (stands in for SMS and e-mail).
    Outbox(OutboxArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KeyChoice {
    #[value(name = "rsa-2048")]
    Rsa2048,
    #[value(name = "rsa-3072")]
    Rsa3072,
    #[value(name = "ec-p256")]
    EcP256,
}

#[derive(Debug, Args)]
struct EnrollArgs {
    /// The citizen's CCCD number (12 digits); also their login name.
    #[arg(long)]
    cccd: String,
    /// Full name as on the CCCD, e.g. "Nguyễn Văn A".
    #[arg(long)]
    name: String,
    /// Send one-time codes by e-mail to this address (default: an authenticator app).
    #[arg(long, conflicts_with = "phone")]
    email: Option<String>,
    /// Send one-time codes by SMS to this number (default: an authenticator app).
    #[arg(long)]
    phone: Option<String>,
    /// File holding the signing PIN (6–12 digits); asked on the terminal if absent.
    #[arg(long, value_name = "FILE")]
    pin_file: Option<PathBuf>,
    /// File holding the login password of a new account (8–128 characters); asked on the
    /// terminal if absent. Ignored when the citizen already has an account.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Key type generated in the HSM.
    #[arg(long, value_enum, default_value_t = KeyChoice::Rsa2048)]
    key: KeyChoice,
    /// Data folder of the server (its database).
    #[arg(long, default_value = "./data", value_name = "DIR")]
    data: PathBuf,
    #[command(flatten)]
    ca: CaArgs,
    #[command(flatten)]
    hsm: HsmArgs,
}

#[derive(Debug, Args)]
struct UnlockArgs {
    /// The credential id.
    credential: String,
    #[arg(long, default_value = "./data", value_name = "DIR")]
    data: PathBuf,
    #[command(flatten)]
    hsm: HsmArgs,
}

#[derive(Debug, Args)]
struct OutboxArgs {
    /// Only messages for this credential.
    #[arg(long)]
    credential: Option<String>,
    /// How many messages, newest first.
    #[arg(long, default_value_t = 10)]
    limit: u32,
    #[arg(long, default_value = "./data", value_name = "DIR")]
    data: PathBuf,
}

pub fn run(args: CaCommandArgs) -> anyhow::Result<Outcome> {
    match args.command {
        CaCommand::Enroll(args) => enroll_command(args),
        CaCommand::Unlock(args) => unlock_command(args),
        CaCommand::Outbox(args) => outbox_command(args),
    }
}

/// Reads a secret from the first line of `path`, or asks on the terminal.
pub(crate) fn read_secret(path: Option<&Path>, prompt: &str) -> anyhow::Result<Secret> {
    let text = match path {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        None => {
            anyhow::ensure!(
                std::io::stdin().is_terminal(),
                "{prompt} is needed: give it in a file (see --help)"
            );
            eprint!("{prompt}: ");
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read from the terminal")?;
            line
        }
    };
    Ok(Secret::new(
        text.lines().next().unwrap_or("").trim_end_matches('\r'),
    ))
}

/// Opens the HSM that holds the citizens' keys: the configured module, or the embedded
/// SoftHSM2 token under `data/softhsm`.
pub(crate) fn open_hsm(hsm: &HsmArgs, data: &Path) -> anyhow::Result<KeyStore> {
    // Twice the cores, and at least one for each signing thread, one for each runtime worker
    // (one per core) signing a short call itself, and one more: a signature never waits
    // for a session, and enrollment and key reads never wait for a signature to finish.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let sessions = (2 * cores).max(usize::from(hsm.hsm_threads.unwrap_or(0)) + cores + 1);
    match &hsm.hsm_module {
        Some(module) => {
            let label = hsm.hsm_token.as_deref().unwrap_or_default();
            let pin = read_secret(hsm.hsm_pin_file.as_deref(), "HSM PIN")?;
            KeyStore::open(module, label, pin.expose(), sessions)
                .with_context(|| format!("cannot open token '{label}' of {}", module.display()))
        }
        None => {
            let token = prepare_embedded_token(&data.join("softhsm"))
                .context("cannot prepare the embedded SoftHSM2 token")?;
            KeyStore::open(&token.module, &token.token_label, &token.user_pin, sessions)
                .context("cannot open the embedded SoftHSM2 token")
        }
    }
}

/// Loads the public CA of a PKI folder: `ca/public-ca.pem`, its key, and the root above it
/// from `trust/`.
pub(crate) fn load_citizen_ca(ca: &CaArgs) -> anyhow::Result<CitizenCa> {
    let read = |path: PathBuf| {
        std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    let cert_path = ca.pki.join("ca").join(format!("{CITIZEN_CA}.pem"));
    let certificate = X509::from_pem(&read(cert_path.clone())?)
        .with_context(|| format!("{} is not a PEM certificate", cert_path.display()))?;
    let key_path = ca.pki.join("ca").join(format!("{CITIZEN_CA}.key.pem"));
    let key = openssl::pkey::PKey::private_key_from_pem(&read(key_path.clone())?)
        .with_context(|| format!("{} is not a PEM private key", key_path.display()))?;
    let mut parents = Vec::new();
    let trust = ca.pki.join("trust");
    if let Ok(listing) = std::fs::read_dir(&trust) {
        for entry in listing.flatten() {
            let Ok(pem) = std::fs::read(entry.path()) else {
                continue;
            };
            let Ok(root) = X509::from_pem(&pem) else {
                continue;
            };
            if root.issued(&certificate) == openssl::x509::X509VerifyResult::OK {
                parents.push(root.to_der()?);
            }
        }
    }
    Ok(CitizenCa {
        certificate,
        key,
        slug: CITIZEN_CA.into(),
        parents,
        endpoints: Endpoints::new(&ca.public_url)?,
    })
}

fn enroll_command(args: EnrollArgs) -> anyhow::Result<Outcome> {
    let ca = load_citizen_ca(&args.ca)?;
    let store = Store::open(&args.data)?;
    let new_account = CscDirectory::new(&store).user(args.cccd.trim())?.is_none();
    let pin = read_secret(
        args.pin_file.as_deref(),
        "Mã PIN ký số / signing PIN (6–12 digits)",
    )?;
    let password = if new_account {
        Some(read_secret(
            args.password_file.as_deref(),
            "Mật khẩu đăng nhập / login password",
        )?)
    } else {
        None
    };
    let keys = open_hsm(&args.hsm, &args.data)?;
    let service = CscService::new(&store, Arc::new(keys));
    let otp = match (args.phone, args.email) {
        (Some(address), _) | (None, Some(address)) => OtpChoice::Delivered { address },
        (None, None) => OtpChoice::Totp,
    };
    let key = match args.key {
        KeyChoice::Rsa2048 => HsmKeySpec::Rsa2048,
        KeyChoice::Rsa3072 => HsmKeySpec::Rsa3072,
        KeyChoice::EcP256 => HsmKeySpec::EcP256,
    };
    let actor = std::env::var("USER").unwrap_or_else(|_| "cli".into());
    let enrolled = enroll::enroll(
        &service,
        &ca,
        Enrollment {
            cccd: args.cccd,
            name: args.name,
            otp,
            pin,
            password,
            key,
        },
        &format!("cli:{actor}"),
        creation_time()?,
    )?;
    println!("{}", enrolled.credential_id);
    if let Some(uri) = &enrolled.totp_uri {
        eprintln!("Quét mã này bằng ứng dụng xác thực / add to an authenticator app (shown once):");
        eprintln!("{}", uri.expose());
    }
    Ok(Outcome::Success)
}

fn unlock_command(args: UnlockArgs) -> anyhow::Result<Outcome> {
    let store = Store::open(&args.data)?;
    let keys = open_hsm(&args.hsm, &args.data)?;
    let service = CscService::new(&store, Arc::new(keys));
    let actor = std::env::var("USER").unwrap_or_else(|_| "cli".into());
    service.unlock(&format!("cli:{actor}"), &args.credential, creation_time()?)?;
    println!("unlocked {}", args.credential);
    Ok(Outcome::Success)
}

fn outbox_command(args: OutboxArgs) -> anyhow::Result<Outcome> {
    let store = Store::open(&args.data)?;
    for message in CscDirectory::new(&store).outbox(args.credential.as_deref(), args.limit)? {
        println!(
            "{}\t{}\t{}\t{}",
            message.created_at, message.credential_id, message.address, message.message
        );
    }
    Ok(Outcome::Success)
}
