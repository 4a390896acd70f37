//! `kyso audit verify`: walk the hash chain of the store's audit log and say whether it is
//! intact. The checking itself is `kyso::store::audit`; this only opens the data folder and
//! prints the verdict.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use kyso::store::audit::{AuditError, AuditLog, Checkpoint};
use kyso::store::{DATABASE_FILE, Store};

use super::Outcome;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check that no audit entry was edited, deleted or moved. Exit 0 if intact, 1 naming
    /// the first bad entry.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// Data folder holding the database (as for `kyso serve`).
    #[arg(long, default_value = "./data", value_name = "DIR")]
    data: PathBuf,
    /// A head printed by an earlier run (SEQ:HASH), kept outside the data folder: also
    /// detects a cut tail or a rewritten chain up to it.
    #[arg(long, value_name = "SEQ:HASH")]
    checkpoint: Option<Checkpoint>,
}

pub fn run(args: AuditArgs) -> anyhow::Result<Outcome> {
    match args.command {
        AuditCommand::Verify(args) => verify(args),
    }
}

fn verify(args: VerifyArgs) -> anyhow::Result<Outcome> {
    // Store::open would create an empty database; a mistyped folder must be an error.
    let database = args.data.join(DATABASE_FILE);
    anyhow::ensure!(
        database.is_file(),
        "no kyso database in {} (expected {DATABASE_FILE}); pass --data DIR",
        args.data.display()
    );
    let store = Store::open(&args.data)?;
    let log = AuditLog::new(&store);
    let verdict = match &args.checkpoint {
        Some(checkpoint) => log.verify_from_checkpoint(checkpoint),
        None => log.verify(),
    };
    match verdict {
        Ok(count) => {
            println!("audit log intact: {count} entries");
            if let Some(head) = log.head().context("cannot read the audit log head")? {
                println!("head: {head}");
            }
            Ok(Outcome::Success)
        }
        Err(error @ AuditError::Tampered { .. }) => {
            println!("audit log NOT intact: {error}");
            Ok(Outcome::Negative)
        }
        Err(error) => Err(error)
            .with_context(|| format!("cannot verify the audit log of {}", database.display())),
    }
}
