//! The HTTP service behind `kyso serve`: the axum application, its shared state and graceful
//! shutdown. Route modules each offer a `router()`; the work itself is left to the library.

pub mod api;
pub mod csc;
mod health;
pub mod jobs;
mod trust;
pub mod verify;
mod web;

use std::future::Future;
use std::io;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;

use crate::store::Store;

pub use trust::{TrustError, TrustServices};

/// Request bodies above this are refused with 413 unless a route sets its own limit.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    /// The test PKI's CRLs, CA certificates, OCSP responders and TSA (`kyso serve --pki`);
    /// `None` turns those routes off.
    pub trust: Option<Arc<TrustServices>>,
    /// Remote signing (CSC API) with its HSM; `None` turns `/csc/` off.
    pub csc: Option<Arc<csc::CscState>>,
    /// `POST /api/verify` with the server's trust anchors; `None` turns it off.
    pub verify: Option<Arc<verify::VerifyService>>,
    /// Requests per minute per client address on the public routes (verify, login).
    pub rate_limit: Arc<api::limit::RateLimit>,
    /// The digitize job runner; `None` leaves uploaded jobs queued for a later start.
    pub jobs: Option<Arc<jobs::JobRunner>>,
    /// Signing documents (agency key, two-step, citizens' remote signing, reuse); `None`
    /// answers those routes with 503.
    pub signing: Option<Arc<api::signing::SigningService>>,
}

impl AppState {
    /// State with the store only, trust services off.
    pub fn new(store: Store) -> AppState {
        AppState {
            store,
            trust: None,
            csc: None,
            verify: None,
            rate_limit: api::limit::RateLimit::per_minute(0),
            jobs: None,
            signing: None,
        }
    }

    /// The data folder: the database's folder, where blobs are kept too.
    pub fn data_dir(&self) -> &std::path::Path {
        self.store
            .path()
            .parent()
            .unwrap_or(std::path::Path::new("."))
    }
}

/// The whole application, without a socket, so tests can call it directly.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(trust::router())
        .merge(csc::router(&state))
        .merge(verify::router(&state))
        .merge(api::router())
        .merge(web::router())
        .merge(api::signing::router(&state))
        .layer(DefaultBodyLimit::max(DEFAULT_BODY_LIMIT))
        .with_state(state)
}

/// Serves `app(state)` on `listener` until `shutdown` resolves, then lets running digitize
/// jobs finish (bounded; see [`jobs::JobRunner::drain`]) while still answering, then stops
/// accepting and lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let runner = state.jobs.clone();
    let shutdown = async move {
        shutdown.await;
        if let Some(runner) = runner {
            runner.drain().await;
        }
    };
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM, the signals a terminal and a service manager send.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
