//! `kyso sign`: the options of PAdES signing. Staged signing itself lives in the library's
//! `sign` module once built.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Outcome, not_in_this_build, require_input_file};

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The PDF to sign; its bytes stay an exact prefix of the output.
    #[arg(value_name = "IN.pdf")]
    input: PathBuf,
    /// The signed PDF to write (atomically).
    #[arg(short, long, value_name = "OUT.pdf")]
    output: PathBuf,
    /// Signing key and certificate chain in a PKCS#12 file.
    #[arg(long, value_name = "FILE", conflicts_with = "pkcs11_module")]
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
    /// File holding the token PIN.
    #[arg(long, value_name = "FILE", requires = "pkcs11_module")]
    pin_file: Option<PathBuf>,
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
        args.p12.is_some() || args.pkcs11_module.is_some(),
        "no signing key given: use --p12 FILE or --pkcs11-module SO --token LABEL --key LABEL"
    );
    for file in [&args.p12, &args.password_file, &args.pin_file]
        .into_iter()
        .flatten()
    {
        require_input_file(file)?;
    }
    if !matches!(args.level, Level::BB) {
        anyhow::ensure!(
            args.tsa.is_some(),
            "--level b-t, b-lt and b-lta need a time-stamping service: add --tsa URL"
        );
    }
    Err(not_in_this_build("sign"))
}
