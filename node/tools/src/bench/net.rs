//! The benchmark network: `P` serving kernels sharing one read-only chain, and the fresh
//! node syncing from them, in real time, on one memory net or on loopback sockets (ZeroMQ
//! with CURVE, or libp2p).

use std::sync::Arc;

use peerd_api::bytes::Bytes;
use peerd_api::{
    Accepted, CancellationToken, Chain, ChainError, ChainLayer, DialTarget, DigestSource, Mode,
    ModeCell, Transport, TransportContext, CHANNEL_CAPACITY,
};
use peerd_transport_memory::MemoryNet;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::BenchError;
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::Kernel;

/// The fresh node's name; servers are `server-1` … `server-P`.
const FRESH: &str = "fresh";

/// Serves a chain without ever changing it: the servers share one chain.
struct ReadOnly(Arc<dyn Chain>);

const SHARED: &str = "changing the shared benchmark chain";

impl ChainLayer for ReadOnly {
    fn inner(&self) -> &dyn Chain {
        &*self.0
    }
    fn accept(&self, _: &[u8], _: DigestSource<'_>) -> Result<Accepted, ChainError> {
        Err(ChainError::Unsupported(SHARED))
    }
    fn delete_down(&self, _: u64) -> Result<(), ChainError> {
        Err(ChainError::Unsupported(SHARED))
    }
    fn produce(&self, _now_unix: u64, _transactions: &[Bytes]) -> Result<Bytes, ChainError> {
        Err(ChainError::Unsupported(SHARED))
    }
}

/// The transports the benchmark can run on.
pub(super) const TRANSPORTS: &[&str] = &["memory", "zmq", "libp2p"];

/// Running kernels; stopped when dropped.
pub(super) struct Network {
    /// `memory`, `zmq` or `libp2p`.
    transport: String,
    net: MemoryNet,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    servers: Vec<DialTarget>,
}

impl Network {
    /// An empty network on `transport` (one of [`TRANSPORTS`]).
    pub(super) fn new(transport: &str) -> Self {
        Self {
            transport: transport.to_owned(),
            net: MemoryNet::new(0),
            stop: CancellationToken::new(),
            tasks: Vec::new(),
            servers: Vec::new(),
        }
    }

    /// Starts `peers` standalone kernels serving `served`: Normal mode from the start, never
    /// syncing, never writing (the chain is wrapped read-only, so they can share it).
    pub(super) fn serve(&mut self, served: Arc<dyn Chain>, peers: usize) -> Result<(), BenchError> {
        let shared: Arc<dyn Chain> = Arc::new(ReadOnly(served));
        let standalone = SyncConfig { min_upstreams: 0, ..SyncConfig::default() };
        for i in 1..=peers {
            let name = format!("server-{i}");
            let target = self.start(&name, Kernel::new(shared.clone(), standalone.clone()))?;
            self.servers.push(target);
        }
        Ok(())
    }

    /// Starts the fresh node on `chain`, with every server as a configured peer; returns its
    /// mode.
    pub(super) fn sync(
        &mut self,
        chain: Arc<dyn Chain>,
        sync: SyncConfig,
    ) -> Result<ModeCell, BenchError> {
        let mode = ModeCell::new(Mode::Stopped);
        let statics = self.servers.clone();
        let kernel = Kernel::new(chain, sync).with_mode(mode.clone()).with_statics(statics);
        self.start(FRESH, kernel)?;
        Ok(mode)
    }

    /// How to dial each server.
    pub(super) fn servers(&self) -> &[DialTarget] {
        &self.servers
    }

    /// Starts the fresh node on `chain` with `targets` as its configured peers, answering
    /// status queries (`peerd bench dial`).
    pub(super) fn dial(
        &mut self,
        chain: Arc<dyn Chain>,
        sync: SyncConfig,
        targets: Vec<DialTarget>,
        status: mpsc::Receiver<peerd_kernel::status::StatusQuery>,
    ) -> Result<(), BenchError> {
        let kernel = Kernel::new(chain, sync).with_statics(targets).with_status(status);
        self.start(FRESH, kernel)?;
        Ok(())
    }

    /// A transport of the benchmark's kind for node `name`, listening on loopback.
    fn transport(&self, name: &str) -> Result<Box<dyn Transport>, BenchError> {
        match self.transport.as_str() {
            "memory" => Ok(Box::new(self.net.transport(name))),
            #[cfg(feature = "zmq")]
            "zmq" => {
                use peerd_transport_zmq::{keys::KeyPair, ZmqTransport};
                let keys = KeyPair::generate().map_err(|e| BenchError::Build(e.to_string()))?;
                let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
                Ok(Box::new(ZmqTransport::new(keys).listen(vec![loopback])))
            }
            #[cfg(feature = "libp2p")]
            "libp2p" => {
                use peerd_transport_libp2p::{libp2p::identity::Keypair, Libp2pTransport};
                let addr = "/ip4/127.0.0.1/tcp/0"
                    .parse()
                    .map_err(|e| BenchError::Build(format!("{e}")))?;
                let transport = Libp2pTransport::new(Keypair::generate_ed25519())
                    .listen(vec![addr])
                    // Every node of the bench is on this host.
                    .inbound_limits(96, 96)
                    .discover(false);
                Ok(Box::new(transport))
            }
            other => Err(BenchError::UnsupportedTransport(other.to_owned())),
        }
    }

    /// Starts `kernel` on a new transport; returns how to dial it.
    fn start(&mut self, name: &str, kernel: Kernel) -> Result<DialTarget, BenchError> {
        let (events_tx, mut events) = mpsc::channel(CHANNEL_CAPACITY);
        let ctx = TransportContext {
            chain: "dev".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            events: events_tx,
            shutdown: self.stop.child_token(),
            metrics: Default::default(),
        };
        let handle = self.transport(name)?.start(ctx)?;
        let target = DialTarget {
            transport: handle.name.clone(),
            key: handle.local_id.as_bytes().to_vec().into(),
            listeners: handle.listeners.clone(),
        };
        let stop = self.stop.child_token();
        self.tasks.push(tokio::spawn(async move {
            let transports = vec![handle];
            if let Err(error) = kernel.run(&transports, &mut events, &stop).await {
                tracing::warn!(%error, "kernel stopped");
            }
        }));
        Ok(target)
    }

    /// Stops every kernel and transport and waits for the kernels.
    pub(super) async fn shutdown(mut self) {
        self.stop.cancel();
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
