//! The `kyso` command: parse arguments, set up logging, run the subcommand, and map the result
//! to an exit code (0 success, 1 a negative verdict, 2 an error).

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    if matches!(
        args.command,
        cli::Command::Digitize(_) | cli::Command::Serve(_)
    ) {
        single_threaded_openmp();
    }
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

/// Tesseract parallelises inside a page with OpenMP, which is 2–4× slower here than one thread
/// per page with pages in parallel. libgomp reads `OMP_THREAD_LIMIT` when it is loaded, before
/// `main`, so the only way to set it for ourselves is to start again with it set.
fn single_threaded_openmp() {
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if let Ok(exe) = std::env::current_exe() {
            let error = std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env("OMP_THREAD_LIMIT", "1")
                .exec();
            // Still here: exec failed; go on, only slower.
            eprintln!("kyso: warning: cannot restart with OMP_THREAD_LIMIT=1: {error}");
        }
    }
}
