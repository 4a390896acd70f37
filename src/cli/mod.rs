//! Command-line definitions (clap) and one file per subcommand. Parsing is kept apart from
//! acting; the acting calls the library.

mod digitize;
mod pki;
mod serve;
mod sign;
mod verify;

use std::path::Path;

use anyhow::Context;
use clap::{Parser, Subcommand};

/// How a command ended when it did not fail: exit code 0 or 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// A well-formed answer that is "no", e.g. a signature that does not verify.
    #[allow(dead_code, reason = "returned by `verify` once validation lands")]
    Negative,
}

/// kyso — digitize paper dossiers, sign and verify PDFs for Vietnamese public services.
///
/// Exit codes: 0 success, 1 a negative verdict (e.g. a signature that does not verify),
/// 2 an error (bad input, missing file).
#[derive(Debug, Parser)]
#[command(name = "kyso", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scans (PNG, JPEG, TIFF, scanned PDF) → Vietnamese OCR → searchable PDF/A-2b.
    Digitize(digitize::DigitizeArgs),
    /// Sign a PDF with PAdES (B-B to B-LTA) using a PKCS#12 file or a PKCS#11 token.
    Sign(sign::SignArgs),
    /// Check every signature and timestamp of a PDF and report in Vietnamese or English.
    Verify(verify::VerifyArgs),
    /// Run the HTTP service: API, web pages, remote signing, timestamp and OCSP services.
    Serve(serve::ServeArgs),
    /// Test PKI tools.
    Pki(pki::PkiArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Digitize(args) => digitize::run(args),
        Command::Sign(args) => sign::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Pki(args) => pki::run(args),
    }
}

/// Checks that an input names a readable regular file, so a typo is reported before any work.
fn require_input_file(path: &Path) -> anyhow::Result<()> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    anyhow::ensure!(metadata.is_file(), "{} is not a file", path.display());
    Ok(())
}

/// The error for a subcommand whose options are defined but whose pipeline is not in this
/// build yet.
fn not_in_this_build(command: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "`kyso {command}` is not available in kyso {} yet; its options are accepted but nothing \
         was done",
        env!("CARGO_PKG_VERSION")
    )
}
