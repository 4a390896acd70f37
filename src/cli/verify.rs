//! `kyso verify`: reads the file and the trust anchors, picks the clock and the network, calls
//! `kyso::verify::verify_pdf` and prints the report in words or as JSON.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use kyso::net::HttpFetcher;
use kyso::pki::revocation::Fetcher;
use kyso::verify::render::{self, Lang as ReportLang};
use kyso::verify::{VerifyOptions, verify_pdf};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Outcome, creation_time, require_input_file};

/// Largest file `kyso verify` reads: signed dossiers are megabytes; this only stops a
/// mistaken path to a disk image.
const MAX_FILE_BYTES: u64 = 1 << 30;

/// The environment variable naming a trust folder configured for this machine or service.
pub(crate) const TRUST_DIR_VARIABLE: &str = "KYSO_TRUST_DIR";

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The PDF to check.
    #[arg(value_name = "FILE.pdf")]
    file: PathBuf,
    /// Trust anchors: a PEM (or DER) certificate file or a folder of them (repeatable).
    /// The folder named by the KYSO_TRUST_DIR environment variable, when set, is trusted
    /// too. Nothing else is trusted, never the operating system's store.
    #[arg(long, value_name = "PEM|DIR")]
    trust: Vec<PathBuf>,
    /// Print the report as JSON (schema kyso.verify/1, see docs/verify-report.md).
    #[arg(long)]
    json: bool,
    /// Language of the report.
    #[arg(long, value_enum, default_value_t = Lang::Vi)]
    lang: Lang,
    /// Use only revocation data inside the file; fetch nothing.
    #[arg(long)]
    offline: bool,
    /// Validate as of this time (RFC 3339, e.g. 2026-11-22T10:00:00+07:00) instead of now.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Lang {
    Vi,
    En,
}

pub fn run(args: VerifyArgs) -> anyhow::Result<Outcome> {
    require_input_file(&args.file)?;
    let mut anchors = Vec::new();
    let configured = std::env::var_os(TRUST_DIR_VARIABLE)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    for path in args.trust.iter().chain(configured.as_ref()) {
        load_anchors(path, &mut anchors)?;
    }
    let now = match &args.at {
        Some(text) => OffsetDateTime::parse(text, &Rfc3339).with_context(|| {
            format!("--at {text:?} is not an RFC 3339 time such as 2026-11-22T10:00:00+07:00")
        })?,
        None => creation_time()?,
    };
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?
        .len();
    anyhow::ensure!(
        size <= MAX_FILE_BYTES,
        "{} is {size} bytes; kyso verify reads files up to {MAX_FILE_BYTES} bytes",
        args.file.display()
    );
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let http = HttpFetcher::new();
    let fetcher: Option<&dyn Fetcher> = if args.offline { None } else { Some(&http) };
    let options = VerifyOptions {
        trust_anchors: anchors,
        now,
        fetcher,
    };
    let report = verify_pdf(&bytes, &options)
        .with_context(|| format!("{} cannot be evaluated", args.file.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let lang = match args.lang {
            Lang::Vi => ReportLang::Vi,
            Lang::En => ReportLang::En,
        };
        print!("{}", render::render(&report, lang));
    }
    Ok(if report.all_passed() {
        Outcome::Success
    } else {
        Outcome::Negative
    })
}

/// Reads certificates from a file (PEM with one or more certificates, or DER) or from every
/// .pem, .crt, .cer and .der file of a folder.
pub(crate) fn load_anchors(path: &Path, anchors: &mut Vec<Vec<u8>>) -> anyhow::Result<()> {
    let metadata = std::fs::metadata(path)
        .with_context(|| format!("trust anchor {} not found", path.display()))?;
    if metadata.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("cannot list {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e, "pem" | "crt" | "cer" | "der"))
            })
            .collect();
        entries.sort();
        anyhow::ensure!(
            !entries.is_empty(),
            "the trust folder {} holds no .pem, .crt, .cer or .der file",
            path.display()
        );
        for entry in entries {
            load_anchor_file(&entry, anchors)?;
        }
        return Ok(());
    }
    load_anchor_file(path, anchors)
}

fn load_anchor_file(path: &Path, anchors: &mut Vec<Vec<u8>>) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let certificates = if bytes.starts_with(b"-----")
        || bytes.windows(11).any(|w| w == b"-----BEGIN ")
    {
        openssl::x509::X509::stack_from_pem(&bytes)
            .ok()
            .filter(|s| !s.is_empty())
            .with_context(|| format!("{} holds no PEM certificate", path.display()))?
    } else {
        vec![
            openssl::x509::X509::from_der(&bytes)
                .with_context(|| format!("{} is not a certificate (PEM or DER)", path.display()))?,
        ]
    };
    for certificate in certificates {
        anchors.push(
            certificate
                .to_der()
                .with_context(|| format!("cannot re-encode a certificate of {}", path.display()))?,
        );
    }
    Ok(())
}
