//! `kyso serve`: open the store, bind the listener and run the HTTP service until SIGINT or
//! SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use kyso::server::{self, AppState};
use kyso::store::Store;

use super::Outcome;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on. Use 127.0.0.1 unless a reverse proxy sits in front.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    listen: SocketAddr,
    /// Data folder: the SQLite database and stored documents (created on first start).
    #[arg(long, default_value = "./data", value_name = "DIR")]
    data: PathBuf,
}

pub fn run(args: ServeArgs) -> anyhow::Result<Outcome> {
    // Nothing is logged until the store and the socket are both ready, so a start-up
    // failure is the one error line and nothing else.
    let store = Store::open(&args.data)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener
            .local_addr()
            .context("cannot read the bound address")?;
        tracing::info!(database = %store.path().display(), "store ready");
        tracing::info!("listening on http://{address}");
        server::serve(listener, AppState { store }, server::shutdown_signal())
            .await
            .context("the HTTP server failed")?;
        tracing::info!("stopped");
        Ok(Outcome::Success)
    })
}
