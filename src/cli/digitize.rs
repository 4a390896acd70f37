//! `kyso digitize`: the options of the scan → OCR → PDF/A pipeline. The pipeline itself lives
//! in the library's `digitize` module once built.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Outcome, not_in_this_build, require_input_file};

#[derive(Debug, Args)]
pub struct DigitizeArgs {
    /// Scanned pages: PNG, JPEG, TIFF (multi-page) or scanned PDF, in page order.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// The PDF/A file to write (atomically).
    #[arg(short, long, value_name = "OUT.pdf")]
    output: PathBuf,
    /// OCR language (Tesseract): `vie` keeps diacritics on capitals.
    #[arg(long, default_value = "vie")]
    lang: String,
    /// PDF/A conformance level.
    #[arg(long, value_enum, default_value_t = PdfA::B2)]
    pdfa: PdfA,
    /// Pages processed in parallel (default: number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Keep pages as scanned, without straightening.
    #[arg(long)]
    no_deskew: bool,
    /// Dossier code, recorded in the XMP metadata.
    #[arg(long, value_name = "CODE")]
    dossier: Option<String>,
    /// Document title, recorded in the XMP metadata.
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// Print a JSON summary (pages, confidence, rotation, skew, warnings).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PdfA {
    #[value(name = "2b")]
    B2,
    #[value(name = "2u")]
    U2,
}

pub fn run(args: DigitizeArgs) -> anyhow::Result<Outcome> {
    for input in &args.inputs {
        require_input_file(input)?;
    }
    Err(not_in_this_build("digitize"))
}
