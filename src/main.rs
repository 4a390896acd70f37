//! The `kyso` command: parse arguments, set up logging, run the subcommand, and map the result
//! to an exit code (0 success, 1 a negative verdict, 2 an error).

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let default_level = match args.command {
        cli::Command::Serve(_) => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_env("KYSO_LOG").unwrap_or_else(|_| EnvFilter::new(default_level)),
        )
        .init();
    match cli::run(args) {
        Ok(cli::Outcome::Success) => ExitCode::SUCCESS,
        Ok(cli::Outcome::Negative) => ExitCode::from(1),
        Err(error) => {
            // One line, no backtrace: the chain of causes joined with ": ".
            let message = format!("{error:#}").replace(['\n', '\r'], " ");
            eprintln!("kyso: error: {message}");
            ExitCode::from(2)
        }
    }
}
