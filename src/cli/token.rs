//! `kyso token add|revoke`: API tokens for the dossier service, made on the server's own
//! machine (the first administrator's token comes from here). The token is printed once;
//! the store keeps only its SHA-256.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use kyso::store::Store;
use kyso::store::dossiers::{Dossiers, Role};

use super::{Outcome, creation_time};

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Issue a token and print it (only this once) on stdout.
    Add(AddArgs),
    /// Revoke a token by its id.
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
struct AddArgs {
    /// Data folder holding the database (as for `kyso serve`).
    #[arg(long, default_value = "./data", value_name = "DIR")]
    data: PathBuf,
    #[arg(long, value_enum)]
    role: RoleArg,
    /// Who holds it, e.g. the officer's name.
    #[arg(long, value_name = "TEXT")]
    name: String,
    /// A citizen token's CCCD (12 digits).
    #[arg(long, value_name = "DIGITS")]
    cccd: Option<String>,
    /// Lifetime in hours; by default the token lasts until revoked.
    #[arg(long, value_name = "HOURS", value_parser = clap::value_parser!(u32).range(1..=8760))]
    hours: Option<u32>,
    /// Print `{"id": …, "token": …}` instead of the token alone.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct RevokeArgs {
    #[arg(long, default_value = "./data", value_name = "DIR")]
    data: PathBuf,
    /// The token's id (printed with --json when it was issued).
    id: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Counter,
    Officer,
    Citizen,
    Admin,
}

pub fn run(args: TokenArgs) -> anyhow::Result<Outcome> {
    match args.command {
        TokenCommand::Add(args) => add(args),
        TokenCommand::Revoke(args) => {
            let store = Store::open(&args.data)?;
            let revoked = Dossiers::new(&store)
                .revoke_token(&args.id)
                .context("cannot revoke the token")?;
            anyhow::ensure!(revoked, "no token has the id {}", args.id);
            eprintln!("token {} revoked", args.id);
            Ok(Outcome::Success)
        }
    }
}

fn add(args: AddArgs) -> anyhow::Result<Outcome> {
    let role = match args.role {
        RoleArg::Counter => Role::Counter,
        RoleArg::Officer => Role::Officer,
        RoleArg::Citizen => Role::Citizen,
        RoleArg::Admin => Role::Admin,
    };
    let name = args.name.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 200,
        "--name must have 1 to 200 characters"
    );
    match (role, &args.cccd) {
        (Role::Citizen, Some(cccd)) => anyhow::ensure!(
            kyso::server::api::dossiers::is_cccd(cccd),
            "--cccd must be the 12 digits of a citizen identity card"
        ),
        (Role::Citizen, None) => anyhow::bail!("a citizen token needs --cccd"),
        (_, Some(_)) => anyhow::bail!("only a citizen token has a --cccd"),
        (_, None) => {}
    }
    let now = creation_time()?;
    let expires = args
        .hours
        .map(|h| now + time::Duration::hours(i64::from(h)));
    let store = Store::open(&args.data)?;
    let (id, token) = Dossiers::new(&store)
        .create_token(role, name, args.cccd.as_deref(), expires, now)
        .context("cannot issue the token")?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "id": id, "token": token, "role": role })
        );
    } else {
        println!("{token}");
        eprintln!("token id {id} ({} for {name})", role.as_str());
    }
    Ok(Outcome::Success)
}
