//! `kyso sign`: reads the PDF and the key (PKCS#12, PKCS#11 or a remote CSC API credential),
//! wires the TSA and revocation services over HTTP, calls `kyso::sign::sign_pdf` and writes
//! the result atomically. Signing itself, and speaking the CSC API, live in the library.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::{ArgGroup, Args, ValueEnum};

use anyhow::Context;
use kyso::csc::Secret;
use kyso::csc::client::{CscClient, CscClientError, CscSigner, CscVersion, OtpSource};
use kyso::net::HttpFetcher;
use kyso::sign::online::{HttpTimeStamper, OnlineRevocation};
use kyso::sign::p12::Pkcs12Signer;
use kyso::sign::pkcs11::Pkcs11Signer;
use kyso::sign::{
    self, DigestAlgorithm, DocMdpPermission, PadesLevel, Services, SignOptions, SignatureScheme,
    Signer, TimeStamper, appearance,
};
use time::OffsetDateTime;

use super::{Outcome, creation_time, require_input_file, write_atomically};

/// Liberation Serif 2 (Debian fonts-liberation2): Times New Roman metrics with Vietnamese.
const DEFAULT_STAMP_FONT: &str =
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf";

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("pin_holder").args(["pkcs11_module", "csc"])))]
pub struct SignArgs {
    /// The PDF to sign; its bytes stay an exact prefix of the output.
    #[arg(value_name = "IN.pdf")]
    input: PathBuf,
    /// The signed PDF to write (atomically).
    #[arg(short, long, value_name = "OUT.pdf")]
    output: PathBuf,
    /// Signing key and certificate chain in a PKCS#12 file.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["pkcs11_module", "csc"])]
    p12: Option<PathBuf>,
    /// File holding the PKCS#12 password (never pass secrets on the command line).
    #[arg(long, value_name = "FILE", requires = "p12")]
    password_file: Option<PathBuf>,
    /// PKCS#11 module (.so) of the token or HSM.
    #[arg(long, value_name = "SO", requires_all = ["token", "key"])]
    pkcs11_module: Option<PathBuf>,
    /// Token label.
    #[arg(long, value_name = "LABEL", requires = "pkcs11_module")]
    token: Option<String>,
    /// Key label on the token.
    #[arg(long, value_name = "LABEL", requires = "pkcs11_module")]
    key: Option<String>,
    /// File holding the token PIN, or the signing PIN of the --csc credential (else asked).
    #[arg(long, value_name = "FILE", requires = "pin_holder")]
    pin_file: Option<PathBuf>,
    /// Remote signing (ký số từ xa): base URL of a CSC API service, e.g. https://ca.example.vn
    /// (the API at URL/csc/v2/).
    #[arg(long, value_name = "URL", requires = "user")]
    csc: Option<String>,
    /// User name at the --csc service.
    #[arg(long, value_name = "U", requires = "csc")]
    user: Option<String>,
    /// Credential ID at the --csc service; by default the user's only credential.
    #[arg(long, value_name = "ID", requires = "csc")]
    credential: Option<String>,
    /// CSC API version the --csc service speaks.
    #[arg(long, value_enum, value_name = "1|2", default_value_t = CscApi::V2, requires = "csc")]
    csc_version: CscApi,
    /// File holding the --csc login password (else $KYSO_CSC_PASSWORD, else asked).
    #[arg(long, value_name = "FILE", requires = "csc")]
    csc_password_file: Option<PathBuf>,
    /// One-time code for --csc (else asked; a delivered code is requested first).
    #[arg(long, value_name = "CODE", requires = "csc")]
    otp: Option<String>,
    /// PAdES baseline level; b-t and above need --tsa.
    #[arg(long, value_enum, default_value_t = Level::BB)]
    level: Level,
    /// RFC 3161 time-stamping service URL.
    #[arg(long, value_name = "URL")]
    tsa: Option<String>,
    /// Make a certification (DocMDP) signature allowing only these later changes.
    #[arg(long, value_enum, value_name = "PERMISSION")]
    certify: Option<Certify>,
    /// Draw the visible signature at the top right of page 1 (Circular 05/2025/TT-BNV).
    #[arg(long)]
    stamp: bool,
    /// Name of the signature field to create or fill.
    #[arg(long, value_name = "NAME")]
    field: Option<String>,
    /// Reason for signing, written into the signature dictionary.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// Place of signing, written into the signature dictionary.
    #[arg(long, value_name = "TEXT")]
    location: Option<String>,
    /// Digest algorithm.
    #[arg(long, value_enum, default_value_t = Digest::Sha256)]
    digest: Digest,
    /// Signature scheme; by default RSASSA-PSS for RSA keys (Circular 15/2025) and ECDSA for
    /// EC keys.
    #[arg(long, value_enum)]
    scheme: Option<Scheme>,
    /// Certificates (PEM or DER files, or folders of them) that complete the signer's chain
    /// when the key store lacks its issuers; otherwise they are fetched from the addresses
    /// the certificates give (AIA caIssuers).
    #[arg(long, value_name = "FILE|DIR")]
    ca_certs: Vec<PathBuf>,
    /// TrueType font for --stamp (Times-metric with Vietnamese glyphs).
    #[arg(long, value_name = "TTF", default_value = DEFAULT_STAMP_FONT, requires = "stamp")]
    stamp_font: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Digest {
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Scheme {
    /// RSASSA-PSS.
    Pss,
    /// RSA PKCS#1 v1.5.
    Pkcs1v15,
    Ecdsa,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CscApi {
    #[value(name = "1")]
    V1,
    #[value(name = "2")]
    V2,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Level {
    #[value(name = "b-b")]
    BB,
    #[value(name = "b-t")]
    BT,
    #[value(name = "b-lt")]
    BLt,
    #[value(name = "b-lta")]
    BLta,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Certify {
    NoChanges,
    FormFill,
    Annotate,
}

pub fn run(args: SignArgs) -> anyhow::Result<Outcome> {
    require_input_file(&args.input)?;
    anyhow::ensure!(
        args.p12.is_some() || args.pkcs11_module.is_some() || args.csc.is_some(),
        "no signing key given: use --p12 FILE, --pkcs11-module SO --token LABEL --key LABEL \
         or --csc URL --user U"
    );
    for file in [
        &args.p12,
        &args.password_file,
        &args.pin_file,
        &args.csc_password_file,
    ]
    .into_iter()
    .flatten()
    {
        require_input_file(file)?;
    }
    let level = match args.level {
        Level::BB => PadesLevel::BB,
        Level::BT => PadesLevel::BT,
        Level::BLt => PadesLevel::BLt,
        Level::BLta => PadesLevel::BLta,
    };
    if level > PadesLevel::BB {
        anyhow::ensure!(
            args.tsa.is_some(),
            "--level b-t, b-lt and b-lta need a time-stamping service: add --tsa URL"
        );
    }
    let original = std::fs::read(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let signer = open_signer(&args)?;
    let stamp_font = match args.stamp {
        true => Some(std::fs::read(&args.stamp_font).with_context(|| {
            format!("cannot read the stamp font {}", args.stamp_font.display())
        })?),
        false => None,
    };
    let now = creation_time()?;
    let fetcher = HttpFetcher::new();
    let tsa = args
        .tsa
        .as_deref()
        .map(|url| HttpTimeStamper::new(url, &fetcher));
    let online = OnlineRevocation::new(&fetcher, now, level >= PadesLevel::BLt);

    let stamp_text = stamp_font
        .as_ref()
        .map(|_| stamp_text(signer.as_ref(), now));
    let draw = |page_box: [f64; 4], rotate: u16, alloc: &mut kyso::pdf::object::RefAllocator| {
        let (Some(font), Some(text)) = (&stamp_font, &stamp_text) else {
            return Err("no stamp font".to_owned());
        };
        appearance::stamp(text, font, page_box, i32::from(rotate), alloc)
            .map(|a| sign::pades::VisibleSignature {
                rect: a.rect,
                normal: a.normal,
                objects: a.objects,
            })
            .map_err(|e| e.to_string())
    };
    let mut options = SignOptions::new(now);
    options.level = level;
    options.digest = match args.digest {
        Digest::Sha256 => DigestAlgorithm::Sha256,
        Digest::Sha384 => DigestAlgorithm::Sha384,
        Digest::Sha512 => DigestAlgorithm::Sha512,
    };
    options.scheme = args.scheme.map(|s| match s {
        Scheme::Pss => SignatureScheme::RsaPss,
        Scheme::Pkcs1v15 => SignatureScheme::RsaPkcs1v15,
        Scheme::Ecdsa => SignatureScheme::Ecdsa,
    });
    options.reason = args.reason.clone();
    options.location = args.location.clone();
    options.field_name = args.field.clone();
    options.certify = args.certify.map(|c| match c {
        Certify::NoChanges => DocMdpPermission::NoChanges,
        Certify::FormFill => DocMdpPermission::FormFilling,
        Certify::Annotate => DocMdpPermission::Annotations,
    });
    if stamp_font.is_some() {
        options.appearance = Some(&draw);
    }
    for path in &args.ca_certs {
        options.extra_certificates.extend(read_certificates(path)?);
    }
    let services = Services {
        tsa: tsa.as_ref().map(|t| t as &dyn TimeStamper),
        revocation: Some(&online),
    };
    let signed = sign::sign_pdf(&original, signer.as_ref(), &options, services)
        .with_context(|| format!("cannot sign {}", args.input.display()))?;
    write_atomically(&args.output, &signed)?;
    tracing::info!(
        output = %args.output.display(),
        level = level.name(),
        bytes = signed.len(),
        "signed"
    );
    Ok(Outcome::Success)
}

/// Every certificate in a PEM or DER file, or in the files of a folder.
fn read_certificates(path: &std::path::Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let files = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("cannot read the folder {}", path.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut out = Vec::new();
    for file in files {
        let bytes =
            std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let certs = match openssl::x509::X509::stack_from_pem(&bytes) {
            Ok(certs) if !certs.is_empty() => certs,
            _ => vec![openssl::x509::X509::from_der(&bytes).with_context(|| {
                format!("{} holds no certificate (PEM or DER)", file.display())
            })?],
        };
        for cert in certs {
            out.push(cert.to_der().context("cannot encode a certificate")?);
        }
    }
    Ok(out)
}

/// Reads a secret from a file: the first line, without its line ending.
fn read_secret(path: &std::path::Path, what: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

fn open_signer(args: &SignArgs) -> anyhow::Result<Box<dyn Signer>> {
    if let Some(url) = &args.csc {
        return open_csc_signer(args, url);
    }
    if let Some(p12) = &args.p12 {
        let der = std::fs::read(p12).with_context(|| format!("cannot read {}", p12.display()))?;
        let password = match &args.password_file {
            Some(file) => read_secret(file, "password")?,
            None => String::new(),
        };
        let signer = Pkcs12Signer::from_pkcs12(&der, &password)
            .with_context(|| format!("cannot open {}", p12.display()))?;
        return Ok(Box::new(signer));
    }
    let (Some(module), Some(token), Some(key)) = (&args.pkcs11_module, &args.token, &args.key)
    else {
        anyhow::bail!("--pkcs11-module needs --token LABEL and --key LABEL");
    };
    let pin = match &args.pin_file {
        Some(file) => read_secret(file, "PIN")?,
        None => anyhow::bail!("the token needs a PIN: add --pin-file FILE"),
    };
    let signer = Pkcs11Signer::open(module, token, key, &pin)
        .with_context(|| format!("cannot use the key '{key}' on the token '{token}'"))?;
    Ok(Box::new(signer))
}

/// Logs in to the CSC service, picks the credential and reads its chain, so the certificate
/// checks of `sign_pdf` run before the citizen is asked for a one-time code (in `sign`).
fn open_csc_signer(args: &SignArgs, url: &str) -> anyhow::Result<Box<dyn Signer>> {
    let Some(user) = &args.user else {
        anyhow::bail!("--csc needs --user U");
    };
    let version = match args.csc_version {
        CscApi::V1 => CscVersion::V1,
        CscApi::V2 => CscVersion::V2,
    };
    // The address is checked before any secret is asked for, the secrets before any request.
    let mut client = CscClient::new(url, version)?;
    let password = match (&args.csc_password_file, std::env::var("KYSO_CSC_PASSWORD")) {
        (Some(file), _) => Secret::new(read_secret(file, "password")?),
        (None, Ok(password)) => Secret::new(password),
        (None, Err(_)) => prompt_hidden(
            &format!("Mật khẩu của {user} / Password for {user}: "),
            "no login password for --csc: give it with --csc-password-file FILE or \
             KYSO_CSC_PASSWORD",
        )?,
    };
    let pin = match &args.pin_file {
        Some(file) => Secret::new(read_secret(file, "PIN")?),
        None => prompt_hidden(
            "Mã PIN ký số / Signing PIN: ",
            "no signing PIN for --csc: give it with --pin-file FILE",
        )?,
    };
    client
        .login(user, &password)
        .with_context(|| format!("cannot log in to {url} as {user}"))?;
    let credential = client
        .choose_credential(args.credential.as_deref())
        .with_context(|| {
            format!("cannot choose a credential at {url} (name it with --credential ID)")
        })?;
    let info = client
        .credential_info(&credential)
        .with_context(|| format!("cannot read the credential '{credential}' at {url}"))?;
    let otp = TerminalOtp {
        given: args.otp.clone().map(Secret::new),
    };
    let signer = CscSigner::new(client, info, pin, Box::new(otp))
        .with_context(|| format!("cannot use the credential '{credential}' at {url}"))?;
    Ok(Box::new(signer))
}

/// The --otp value, or one line typed by the citizen.
struct TerminalOtp {
    given: Option<Secret>,
}

impl OtpSource for TerminalOtp {
    fn wants_delivery(&self) -> bool {
        self.given.is_none()
    }

    fn otp(&self, delivered: bool) -> Result<Secret, CscClientError> {
        if let Some(otp) = &self.given {
            return Ok(otp.clone());
        }
        if delivered && std::io::stdin().is_terminal() {
            eprintln!(
                "Mã OTP đã được gửi cho bạn (SMS hoặc email) / A one-time code has been sent to you."
            );
        }
        let line =
            prompt_line("Mã OTP / OTP code: ").map_err(|e| CscClientError::OtpUnavailable {
                reason: format!("cannot read it from the terminal: {e}"),
            })?;
        match line.as_deref().map(str::trim) {
            Some(code) if !code.is_empty() => Ok(Secret::new(code)),
            _ => Err(CscClientError::OtpUnavailable {
                reason: "nothing was typed (give it with --otp CODE)".into(),
            }),
        }
    }
}

/// Reads one line from stdin, without its line ending, after printing `prompt` on stderr
/// when stdin is a terminal. `None` at the end of input.
fn prompt_line(prompt: &str) -> std::io::Result<Option<String>> {
    if std::io::stdin().is_terminal() {
        eprint!("{prompt}");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// Like [`prompt_line`], with the terminal's echo off (`stty -echo`) when stdin is one;
/// `missing` says how to give the secret otherwise.
fn prompt_hidden(prompt: &str, missing: &str) -> anyhow::Result<Secret> {
    let stty = |flag: &str| {
        std::process::Command::new("stty")
            .arg(flag)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    let hidden = std::io::stdin().is_terminal() && stty("-echo");
    let line = prompt_line(prompt);
    if hidden {
        stty("echo");
        eprintln!();
    }
    match line.context("cannot read from the terminal")? {
        Some(line) if !line.is_empty() => Ok(Secret::new(line)),
        _ => anyhow::bail!("{missing}"),
    }
}

/// The stamp's text from the signer certificate: CN, O and the time in Vietnam.
fn stamp_text(signer: &dyn Signer, now: OffsetDateTime) -> appearance::StampText {
    let leaf = signer
        .certificate_chain()
        .first()
        .and_then(|der| openssl::x509::X509::from_der(der).ok());
    let entry = |nid| {
        let cert = leaf.as_ref()?;
        let entry = cert.subject_name().entries_by_nid(nid).next()?;
        entry.data().to_string().ok()
    };
    appearance::StampText {
        signer: entry(openssl::nid::Nid::COMMONNAME).unwrap_or_default(),
        organization: entry(openssl::nid::Nid::ORGANIZATIONNAME),
        signed_at: appearance::signing_time_text(now),
    }
}
