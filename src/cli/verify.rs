//! `kyso verify`: the options of signature validation. Validation itself lives in the
//! library's `verify` module once built.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Outcome, not_in_this_build, require_input_file};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The PDF to check.
    #[arg(value_name = "FILE.pdf")]
    file: PathBuf,
    /// Trust anchors: a PEM file or a folder of them (repeatable). Nothing else is trusted.
    #[arg(long, value_name = "PEM|DIR")]
    trust: Vec<PathBuf>,
    /// Print the report as JSON (versioned schema).
    #[arg(long)]
    json: bool,
    /// Language of the report.
    #[arg(long, value_enum, default_value_t = Lang::Vi)]
    lang: Lang,
    /// Use only revocation data inside the file; fetch nothing.
    #[arg(long)]
    offline: bool,
    /// Validate as of this time (RFC 3339) instead of now.
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
    for anchor in &args.trust {
        anyhow::ensure!(
            anchor.exists(),
            "trust anchor {} not found",
            anchor.display()
        );
    }
    Err(not_in_this_build("verify"))
}
