//! Command-line definitions (clap) and one file per subcommand. Parsing is kept apart from
//! acting; the acting calls the library.

mod audit;
mod ca;
mod digitize;
mod pki;
mod serve;
mod sign;
mod token;
mod verify;

use std::io::Write as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Parser, Subcommand};
use time::OffsetDateTime;

/// How a command ended when it did not fail: exit code 0 or 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// A well-formed answer that is "no", e.g. a signature that does not verify.
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
    /// Sign a PDF with PAdES (B-B to B-LTA) using PKCS#12, PKCS#11 or a remote CSC service (--csc).
    Sign(Box<sign::SignArgs>),
    /// Check every signature and timestamp of a PDF and report in Vietnamese or English.
    Verify(verify::VerifyArgs),
    /// Run the HTTP service: API, web pages, remote signing, timestamp and OCSP services.
    Serve(serve::ServeArgs),
    /// Test PKI tools.
    Pki(pki::PkiArgs),
    /// Check the hash-chained audit log of the data folder.
    Audit(audit::AuditArgs),
    /// Remote-signing CA operations: enroll a citizen, unlock a credential, show the outbox.
    Ca(ca::CaCommandArgs),
    /// API tokens of the dossier service: issue one for a role, or revoke one.
    Token(token::TokenArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Digitize(args) => digitize::run(args),
        Command::Sign(args) => sign::run(*args),
        Command::Verify(args) => verify::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Pki(args) => pki::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Ca(args) => ca::run(args),
        Command::Token(args) => token::run(args),
    }
}

/// Checks that an input names a readable regular file, so a typo is reported before any work.
fn require_input_file(path: &Path) -> anyhow::Result<()> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    anyhow::ensure!(metadata.is_file(), "{} is not a file", path.display());
    Ok(())
}

/// `SOURCE_DATE_EPOCH` when set (reproducible builds convention), else the system clock.
pub(crate) fn creation_time() -> anyhow::Result<OffsetDateTime> {
    let seconds = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value
            .trim()
            .parse::<i64>()
            .with_context(|| format!("SOURCE_DATE_EPOCH={value:?} is not a number of seconds"))?,
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the system clock is before 1970")?
            .as_secs() as i64,
    };
    OffsetDateTime::from_unix_timestamp(seconds)
        .with_context(|| format!("{seconds} is not a usable time"))
}

/// Writes to a temporary file beside `output`, flushes it to disk, then renames it over
/// `output`: readers see the old file or the whole new one, never a part.
pub(crate) fn write_atomically(output: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let folder = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".kyso-")
        .suffix(".pdf.part")
        .tempfile_in(folder)
        .with_context(|| format!("cannot create a file in {}", folder.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .with_context(|| format!("cannot write {}", output.display()))?;
    // Temporary files are created owner-only; a document keeps the permissions of the file it
    // replaces, or gets the usual rw-r--r--.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = std::fs::metadata(output)
            .map(|m| m.permissions())
            .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
        std::fs::set_permissions(file.path(), permissions)
            .with_context(|| format!("cannot write {}", output.display()))?;
    }
    file.persist(output)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", output.display()))?;
    Ok(())
}
