//! `kyso digitize`: read the scans, run the library's digitize pipeline with Tesseract
//! engines, show progress on a terminal, and write the PDF/A atomically.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use kyso::digitize::{self, DigitizeOptions, Input, NoProgress, Progress};
use kyso::ocr::{OcrEngine, TesseractConfig, TesseractEngine};
use kyso::pdf::PdfAPart;

use super::{Outcome, creation_time, write_atomically};

#[derive(Debug, Args)]
pub struct DigitizeArgs {
    /// Scanned pages: PNG, JPEG, TIFF (multi-page) or scanned PDF, in page order.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// The PDF/A file to write (atomically: on any error nothing is left there).
    #[arg(short, long, value_name = "OUT.pdf")]
    output: PathBuf,
    /// OCR language (Tesseract): `vie` keeps diacritics on capitals.
    #[arg(long, default_value = "vie")]
    lang: String,
    /// PDF/A conformance level.
    #[arg(long, value_enum, default_value_t = PdfA::B2)]
    pdfa: PdfA,
    /// Pages processed in parallel (default: number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: Option<u16>,
    /// Keep pages as scanned, without straightening.
    #[arg(long)]
    no_deskew: bool,
    /// Dossier code, recorded in the XMP metadata.
    #[arg(long, value_name = "CODE")]
    dossier: Option<String>,
    /// Document title, recorded in the XMP metadata.
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// Print a JSON summary (pages, confidence, rotation, skew, warnings) on stdout.
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
    let inputs = read_inputs(&args.inputs, &args.output)?;
    let options = DigitizeOptions {
        part: match args.pdfa {
            PdfA::B2 => PdfAPart::A2b,
            PdfA::U2 => PdfAPart::A2u,
        },
        jobs: args.jobs.map(usize::from).unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        }),
        deskew: !args.no_deskew,
        title: args.title.clone(),
        dossier_code: args.dossier.clone(),
        created: creation_time()?,
        creator_tool: format!("kyso {}", env!("CARGO_PKG_VERSION")),
    };
    let config = TesseractConfig {
        language: args.lang.clone(),
        ..TesseractConfig::default()
    };
    let engines = || -> Result<Box<dyn OcrEngine>, kyso::ocr::OcrError> {
        Ok(Box::new(TesseractEngine::new(&config)?))
    };
    let bar = (!args.json && std::io::stderr().is_terminal()).then(TerminalProgress::new);
    let progress: &dyn Progress = match &bar {
        Some(bar) => bar,
        None => &NoProgress,
    };
    let result = digitize::digitize(&inputs, &options, &engines, progress);
    if let Some(bar) = &bar {
        bar.0.finish_and_clear();
    }
    let digitized = result?;
    write_atomically(&args.output, &digitized.pdf)?;

    if args.json {
        println!("{}", serde_json::to_string_pretty(&digitized.summary)?);
    } else {
        for warning in &digitized.summary.warnings {
            eprintln!("kyso: warning: {warning}");
        }
        println!(
            "wrote {}: {} pages, mean OCR confidence {:.0}%",
            args.output.display(),
            digitized.summary.pages.len(),
            digitized.summary.mean_confidence
        );
    }
    Ok(Outcome::Success)
}

fn read_inputs(paths: &[PathBuf], output: &Path) -> anyhow::Result<Vec<Input>> {
    let output_canonical = output.canonicalize().ok();
    paths
        .iter()
        .map(|path| {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            if output_canonical.is_some() && path.canonicalize().ok() == output_canonical {
                bail!(
                    "{} is both an input and the output; choose another output file",
                    path.display()
                );
            }
            Ok(Input {
                name: path.display().to_string(),
                bytes,
            })
        })
        .collect()
}

struct TerminalProgress(ProgressBar);

impl TerminalProgress {
    fn new() -> TerminalProgress {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} OCR {pos}/{len} pages [{bar:30}] {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        TerminalProgress(bar)
    }
}

impl Progress for TerminalProgress {
    fn started(&self, total_pages: usize) {
        self.0.set_length(total_pages as u64);
    }

    fn page_done(&self, done_pages: usize) {
        self.0.set_position(done_pages as u64);
    }
}
