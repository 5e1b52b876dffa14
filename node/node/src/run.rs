//! `peerd run`: the node's life from lock to clean shutdown.
//!
//! Order of start-up: lock the data directory ([`DataDirLock`]) → open the store →
//! register the handler plugins → bind the HTTP API (`[http] listen`, [`crate::http`]) →
//! start the transports → log one summary line → start the progress display
//! ([`crate::progress`]) → run the kernel until the shutdown token is cancelled. Shutdown
//! runs the same steps backwards: the kernel returns, the HTTP API and the progress display
//! stop, the transports are cancelled and awaited (bounded by [`TRANSPORT_STOP_GRACE`]),
//! the store is flushed and closed, the lock is released.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::Duration;

use peerd_api::{
    Chain, MetricsRegistry, Plugin, Registry, Store, StoreError, SystemClock, TransportContext,
    TransportEvent, TransportHandle, CHANNEL_CAPACITY,
};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::params::ChainParams;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::builtin::{self, BuildError};
use crate::config::Config;
use crate::http::{self, HttpError, HttpState};
use crate::lockfile::{DataDirLock, LockError};
use peerd_kernel::status::{Metrics, StatusHandle, StatusQuery};
use peerd_kernel::{Kernel, ProducerSwitch, Production};

/// How long shutdown waits for the transports to stop before closing the store anyway.
pub const TRANSPORT_STOP_GRACE: Duration = Duration::from_secs(5);

/// The version reported in the summary and to peers.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Errors that stop `peerd run`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The data directory is in use or unusable.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The store, a transport or a plugin could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The HTTP API could not be started.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// Flushing the store at shutdown failed: the last writes may not be on disk.
    #[error("flushing the store at shutdown: {0}")]
    Flush(#[source] StoreError),
    /// A setting the kernel refuses (normally caught when the config is loaded).
    #[error("config: {0}")]
    Config(String),
    /// The chain could not be opened on the store (unknown chain, unreadable ledger).
    #[error("chain: {0}")]
    Chain(String),
    /// The kernel stopped on its own (every transport stopped, or the chain worker).
    #[error("kernel: {0}")]
    Kernel(#[from] peerd_kernel::KernelError),
    /// A blocking store task panicked.
    #[error("store task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The parts the kernel runs on.
pub struct Parts {
    /// The configuration.
    pub config: Config,
    /// The open store.
    pub store: Arc<dyn Store>,
    /// Handler dispatch table.
    pub registry: Registry,
    /// The running transports.
    pub transports: Vec<TransportHandle>,
    /// Events from every transport.
    pub events: mpsc::Receiver<TransportEvent>,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts").field("store", &self.store.kind()).finish_non_exhaustive()
    }
}

/// Runs the node until `shutdown` is cancelled, then shuts it down cleanly.
///
/// # Errors
///
/// See [`RunError`]; start-up errors leave nothing running.
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<(), RunError> {
    run_with_plugins(config, shutdown, Vec::new()).await
}

/// As [`run`], with handler plugins of your own registered after the built-in ones (see
/// `examples/custom_node.rs`). Each is configured by its `[handlers.<name>]` section; a
/// kind claimed by two plugins is a start-up error.
///
/// # Errors
///
/// See [`RunError`]; start-up errors leave nothing running.
pub async fn run_with_plugins(
    config: Config,
    shutdown: CancellationToken,
    extra: Vec<Box<dyn Plugin>>,
) -> Result<(), RunError> {
    let data_dir = config.node.data_dir.clone();
    let lock = DataDirLock::acquire(&data_dir)?;
    let store_cfg = config.store.clone();
    let store = tokio::task::spawn_blocking(move || store_cfg.open(&data_dir)).await??;
    let builtins = builtin::Builtins::new();
    let rebalance = builtins.rebalance.clone();
    let mut plugins = builtins.plugins;
    plugins.extend(extra);
    let registry = builtin::registry(&plugins, &config.handlers).map_err(BuildError::from)?;

    // The HTTP API and the progress display stop with this guard, also on early returns.
    let stop_aux = CancellationToken::new();
    let aux_guard = stop_aux.clone().drop_guard();
    let (status, status_rx) = StatusHandle::channel();
    let metrics_registry = MetricsRegistry::new();
    let metrics = Arc::new(Metrics::new(&metrics_registry));
    let http = match config.http.listen {
        Some(addr) => {
            let state = HttpState {
                status: status.clone(),
                metrics: metrics.clone(),
                ready_within: config.http.ready_within,
            };
            Some(http::serve(addr, state, stop_aux.clone()).await?)
        }
        None => None,
    };

    let stop_transports = CancellationToken::new();
    let (events_tx, events) = mpsc::channel(CHANNEL_CAPACITY);
    let transports = start_transports(&config, events_tx, &stop_transports, &metrics_registry)?;
    summary(&config, store.as_ref(), &transports);
    let terminal = std::io::stderr().is_terminal();
    let progress = tokio::spawn(crate::progress::run(status, terminal, stop_aux.clone()));

    let stopped: Vec<Arc<Notify>> = transports.iter().map(|t| t.stopped.clone()).collect();
    let mut parts = Parts { config, store, registry, transports, events };
    let outcome = kernel(&mut parts, &shutdown, status_rx, metrics, rebalance).await;
    info!("shutting down");
    drop(aux_guard);
    let _ = progress.await;
    if let Some(http) = http {
        if tokio::time::timeout(TRANSPORT_STOP_GRACE, http.task).await.is_err() {
            warn!("HTTP connections still open at shutdown; closing them");
        }
    }

    let mut waits: Vec<_> = stopped.iter().map(|n| Box::pin(n.notified())).collect();
    for wait in &mut waits {
        wait.as_mut().enable();
    }
    stop_transports.cancel();
    let all_stopped = async {
        for wait in waits {
            wait.await;
        }
    };
    if tokio::time::timeout(TRANSPORT_STOP_GRACE, all_stopped).await.is_err() {
        warn!(
            grace_secs = TRANSPORT_STOP_GRACE.as_secs(),
            "transports did not stop in time; closing the store anyway"
        );
    }
    drop(parts.transports);

    let store = parts.store;
    tokio::task::spawn_blocking(move || {
        let flushed = store.flush();
        drop(store);
        flushed
    })
    .await?
    .map_err(RunError::Flush)?;
    drop(lock);
    outcome?;
    info!("peerd stopped");
    Ok(())
}

/// The kernel's loop. Returns when `shutdown` is cancelled.
async fn kernel(
    parts: &mut Parts,
    shutdown: &CancellationToken,
    status: mpsc::Receiver<StatusQuery>,
    metrics: Arc<Metrics>,
    rebalance: peerd_handlers::RebalanceTrigger,
) -> Result<(), RunError> {
    let config = &parts.config;
    let params = ChainParams::by_name(config.node.chain.as_str())
        .ok_or_else(|| RunError::Chain(format!("unknown chain {}", config.node.chain)))?;
    let store = parts.store.clone();
    let chain = tokio::task::spawn_blocking(move || {
        BitmarkChain::open(store, params, Arc::new(SystemClock))
    })
    .await?
    .map_err(|e| RunError::Chain(e.to_string()))?;
    let chain: Arc<dyn Chain> = Arc::new(chain);
    info!(height = chain.height().map_err(|e| RunError::Chain(e.to_string()))?, "chain opened");

    let mut statics = Vec::new();
    for transport in &config.transports {
        statics.extend(transport.static_targets()?);
    }
    let registry = std::mem::take(&mut parts.registry);
    let mut kernel = Kernel::new(chain, config.sync.clone())
        .with_version(VERSION)
        .with_seed(rand::random())
        .with_statics(statics)
        .with_handlers(registry, parts.store.clone())
        .with_status(status)
        .with_metrics(metrics);
    // Checked when the config was loaded; a failure here is reported all the same.
    match config.clients.validate() {
        Ok(clients) => kernel = kernel.with_clients(clients),
        Err(error) => return Err(RunError::Config(error.to_string())),
    }
    // The kernel's "too few upstreams" reaches the announce plugin's rebalance.
    let (rebalance_tx, rebalance_rx) = mpsc::channel(4);
    tokio::spawn(rebalance.forward(rebalance_rx));
    kernel = kernel.with_rebalance(rebalance_tx);
    if config.producer.enabled {
        let interval = Duration::from_secs(config.producer.interval);
        kernel = kernel.with_producer(Production::new(interval, ProducerSwitch::new(true)));
    }
    kernel.run(&parts.transports, &mut parts.events, shutdown).await?;
    Ok(())
}

fn start_transports(
    config: &Config,
    events: mpsc::Sender<TransportEvent>,
    stop: &CancellationToken,
    metrics: &MetricsRegistry,
) -> Result<Vec<TransportHandle>, BuildError> {
    let env = config.transport_env(peerd_transport_memory::MemoryNet::new(rand::random()));
    let mut handles = Vec::new();
    for cfg in &config.transports {
        let ctx = TransportContext {
            chain: config.node.chain.as_str().to_owned(),
            version: VERSION.to_owned(),
            events: events.clone(),
            shutdown: stop.child_token(),
            metrics: metrics.clone(),
        };
        let started = cfg.build(&env)?.start(ctx);
        match started {
            Ok(handle) => handles.push(handle),
            Err(source) => {
                stop.cancel();
                return Err(BuildError::Transport { kind: cfg.kind(), source });
            }
        }
    }
    Ok(handles)
}

/// The one start-up line: version, chain, data dir, store, transports and addresses.
fn summary(config: &Config, store: &dyn Store, transports: &[TransportHandle]) {
    let listed: Vec<String> = transports
        .iter()
        .map(|t| {
            let addrs: Vec<&str> = t.listen_addrs.iter().map(|a| a.as_str()).collect();
            format!("{} [{}]", t.name, addrs.join(" "))
        })
        .collect();
    let store_path =
        config.store_path().map_or("in memory".to_owned(), |p| p.display().to_string());
    info!(
        version = VERSION,
        chain = %config.node.chain,
        name = %config.node.name,
        data_dir = %config.node.data_dir.display(),
        store = store.kind(),
        store_path = %store_path,
        transports = %if listed.is_empty() { "none".to_owned() } else { listed.join(", ") },
        "peerd started"
    );
}
