//! The HTTP API, served with axum on `[http] listen` (off unless configured).
//!
//! | Path       | Answer |
//! |------------|--------|
//! | `/status`  | JSON [`StatusView`]: chain, mode, heights, tip, sync progress, peers per transport, identities |
//! | `/peers`   | JSON [`PeersView`]: every upstream with its transport, key, addresses, state |
//! | `/clients` | JSON [`peerd_kernel::clients::PoolSnapshot`]: the inbound client pool, its limits and every client remembered, highest priority first |
//! | `/metrics` | OpenMetrics text (`prometheus-client`): gauges from a snapshot, then the node's registry |
//! | `/healthz` | 200 while the node runs with at least `min_upstreams` registered upstreams, else 503 |
//! | `/readyz`  | 200 in Normal mode within `ready_within` blocks of the network height, else 503 |
//!
//! Every answer is built from one [`Snapshot`] asked of the kernel through a
//! [`StatusHandle`]; when the kernel does not answer (it stopped) every path is a 503 with
//! the reason. Field names are documented in `docs/operating.md`.

mod health;
mod prometheus;
mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use health::{health, readiness, HealthView, Unwell};
pub use prometheus::render as render_metrics;
pub use views::{IdentityView, PeerView, PeersView, StatusView, SyncView, TransportPeers};

use peerd_kernel::status::{Metrics, Snapshot, StatusHandle, StatusUnavailable};

/// Default of `[http] ready_within`: `/readyz` allows this many blocks behind the network.
pub const DEFAULT_READY_WITHIN: u64 = 2;

/// The `Content-Type` of `/metrics` (OpenMetrics text format 1.0.0).
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the handlers read.
#[derive(Clone, Debug)]
pub struct HttpState {
    /// Asks the kernel for snapshots.
    pub status: StatusHandle,
    /// The kernel's counters; `/metrics` encodes the registry they are in.
    pub metrics: Arc<Metrics>,
    /// `/readyz` allows the node this many blocks behind the network height.
    pub ready_within: u64,
}

/// Errors starting the HTTP server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The listen address could not be bound (in use, not local, no permission).
    #[error("cannot listen for HTTP on {addr} ([http] listen): {source}")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// A running server.
#[derive(Debug)]
pub struct HttpServer {
    /// The bound address (the real port when the configured one was 0).
    pub local_addr: SocketAddr,
    /// The server task; it ends after the shutdown token is cancelled.
    pub task: JoinHandle<std::io::Result<()>>,
}

/// Binds `addr` and serves [`router`] until `shutdown` is cancelled.
///
/// # Errors
///
/// [`HttpError::Bind`] naming the address when it cannot be bound.
pub async fn serve(
    addr: SocketAddr,
    state: HttpState,
    shutdown: CancellationToken,
) -> Result<HttpServer, HttpError> {
    let bind = |source| HttpError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind)?;
    let local_addr = listener.local_addr().map_err(bind)?;
    let app = router(state);
    let task = tokio::spawn(async move {
        axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await
    });
    tracing::info!(%local_addr, "HTTP API listening");
    Ok(HttpServer { local_addr, task })
}

/// The API's routes.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/status", get(status))
        .route("/peers", get(peers))
        .route("/clients", get(clients))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

/// The body of a 503 when the kernel does not answer (the same on every path).
#[derive(Debug, serde::Serialize)]
struct Unavailable {
    ok: bool,
    reason: String,
}

fn unavailable(e: &StatusUnavailable) -> Response {
    let reason = format!("{e} (it has stopped or is overloaded)");
    (StatusCode::SERVICE_UNAVAILABLE, Json(Unavailable { ok: false, reason })).into_response()
}

async fn snapshot(state: &HttpState) -> Result<Snapshot, Response> {
    state.status.snapshot().await.map_err(|e| unavailable(&e))
}

async fn status(State(state): State<HttpState>) -> Response {
    match snapshot(&state).await {
        Ok(s) => Json(StatusView::from(&s)).into_response(),
        Err(r) => r,
    }
}

async fn peers(State(state): State<HttpState>) -> Response {
    match snapshot(&state).await {
        Ok(s) => Json(PeersView::from(&s)).into_response(),
        Err(r) => r,
    }
}

async fn clients(State(state): State<HttpState>) -> Response {
    match snapshot(&state).await {
        Ok(Snapshot { clients: Some(pool), .. }) => Json(pool).into_response(),
        Ok(_) => {
            let reason = "this node runs no client pool".to_owned();
            (StatusCode::NOT_FOUND, Json(Unavailable { ok: false, reason })).into_response()
        }
        Err(r) => r,
    }
}

async fn metrics(State(state): State<HttpState>) -> Response {
    match snapshot(&state).await {
        Ok(s) => {
            let body = prometheus::render(&s, state.metrics.registry());
            ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], body).into_response()
        }
        Err(r) => r,
    }
}

async fn healthz(State(state): State<HttpState>) -> Response {
    match snapshot(&state).await {
        Ok(s) => verdict(health(&s)),
        Err(r) => r,
    }
}

async fn readyz(State(state): State<HttpState>) -> Response {
    match snapshot(&state).await {
        Ok(s) => verdict(readiness(&s, state.ready_within)),
        Err(r) => r,
    }
}

fn verdict(view: HealthView) -> Response {
    let code = if view.ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(view)).into_response()
}
