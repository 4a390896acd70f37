//! `kyso pki demo`: generate the test PKI and write it atomically to a folder.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use kyso::pki::Endpoints;
use kyso::pki::demo::{self, DemoConfig, DemoPki};

use super::Outcome;

#[derive(Debug, Args)]
pub struct PkiArgs {
    #[command(subcommand)]
    command: PkiCommand,
}

#[derive(Debug, Subcommand)]
enum PkiCommand {
    /// Generate the test PKI (national and government hierarchies, citizens, officers, an
    /// agency, a TSA, OCSP responders) with 20-year validity. Test keys only.
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Folder to write (created; must not exist unless --force).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Base URL that CRL distribution points and AIA (OCSP, caIssuers) point at.
    #[arg(long, default_value = demo::DEFAULT_BASE_URL, value_name = "URL")]
    base_url: String,
    /// Replace the folder if it exists.
    #[arg(long)]
    force: bool,
}

pub fn run(args: PkiArgs) -> anyhow::Result<Outcome> {
    match args.command {
        PkiCommand::Demo(args) => demo_command(args),
    }
}

fn demo_command(args: DemoArgs) -> anyhow::Result<Outcome> {
    if args.out.exists() && !args.force {
        bail!(
            "{} already exists; pass --force to replace it",
            args.out.display()
        );
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs() as i64;
    let config = DemoConfig {
        endpoints: Endpoints::new(&args.base_url)?,
        now,
    };
    let pki = demo::generate(&config)?;
    write_folder_atomically(&args.out, &pki)?;
    let certificates = pki.entities.len();
    println!(
        "wrote {} files ({certificates} certificates) to {}; see {}",
        pki.files.len(),
        args.out.display(),
        args.out.join("README.md").display()
    );
    Ok(Outcome::Success)
}

/// Writes every file into a temporary sibling folder, then swaps it into place, so `out` holds
/// either the old PKI or the whole new one, never a mix.
fn write_folder_atomically(out: &Path, pki: &DemoPki) -> anyhow::Result<()> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let name = out
        .file_name()
        .with_context(|| format!("{} does not name a folder", out.display()))?
        .to_string_lossy()
        .into_owned();
    let staging = parent.join(format!(".{name}.new-{}", std::process::id()));
    let result = write_all(&staging, pki).and_then(|()| swap_into_place(&staging, out));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

fn write_all(staging: &Path, pki: &DemoPki) -> anyhow::Result<()> {
    for file in &pki.files {
        let path = staging.join(&file.path);
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
        }
        let secret = file.path.ends_with(".key.pem") || file.path.ends_with(".p12");
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if secret { 0o600 } else { 0o644 });
        }
        let mut handle = options
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        handle
            .write_all(&file.contents)
            .and_then(|()| handle.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn swap_into_place(staging: &Path, out: &Path) -> anyhow::Result<()> {
    if !out.exists() {
        return fs::rename(staging, out)
            .with_context(|| format!("cannot move the new PKI to {}", out.display()));
    }
    let old = staging.with_extension("old");
    fs::rename(out, &old).with_context(|| format!("cannot move {} aside", out.display()))?;
    if let Err(error) = fs::rename(staging, out) {
        // Put the old PKI back so nothing is lost.
        let _ = fs::rename(&old, out);
        return Err(error).with_context(|| format!("cannot move the new PKI to {}", out.display()));
    }
    fs::remove_dir_all(&old).with_context(|| format!("cannot remove {}", old.display()))
}
