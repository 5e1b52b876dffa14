//! The benchmark network: `P` serving kernels sharing one read-only chain, and the fresh
//! node syncing from them, on one memory net in real time.

use std::sync::Arc;

use peerd_api::bytes::Bytes;
use peerd_api::{
    Accepted, BlockMeta, CancellationToken, Chain, ChainError, Digest, DigestSource, Mode,
    ModeCell, Transport, TransportContext, CHANNEL_CAPACITY,
};
use peerd_transport_memory::MemoryNet;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::BenchError;
use crate::connector::SyncConfig;
use crate::kernel::Kernel;

/// The fresh node's name; servers are `server-1` … `server-P`.
const FRESH: &str = "fresh";

/// Serves a chain without ever changing it: the servers share one chain.
struct ReadOnly(Arc<dyn Chain>);

const SHARED: &str = "changing the shared benchmark chain";

impl Chain for ReadOnly {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn genesis_digest(&self) -> Digest {
        self.0.genesis_digest()
    }
    fn height(&self) -> Result<u64, ChainError> {
        self.0.height()
    }
    fn digest(&self, number: u64) -> Result<Option<Digest>, ChainError> {
        self.0.digest(number)
    }
    fn block(&self, number: u64) -> Result<Option<Bytes>, ChainError> {
        self.0.block(number)
    }
    fn meta(&self, block: &[u8]) -> Result<BlockMeta, ChainError> {
        self.0.meta(block)
    }
    fn accept(&self, _: &[u8], _: DigestSource<'_>) -> Result<Accepted, ChainError> {
        Err(ChainError::Unsupported(SHARED))
    }
    fn verify_digests(&self, blocks: &[Bytes]) -> Result<Vec<Digest>, ChainError> {
        self.0.verify_digests(blocks)
    }
    fn delete_down(&self, _: u64) -> Result<(), ChainError> {
        Err(ChainError::Unsupported(SHARED))
    }
    fn prefers(&self, candidate: &Digest, current: &Digest) -> bool {
        self.0.prefers(candidate, current)
    }
}

/// Running kernels on one memory net; stopped when dropped.
pub(super) struct Network {
    net: MemoryNet,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    servers: Vec<String>,
}

impl Network {
    /// An empty network.
    pub(super) fn new() -> Self {
        Self {
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
            self.start(&name, Kernel::new(shared.clone(), standalone.clone()))?;
            self.servers.push(name);
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
        let statics = self.servers.iter().map(|s| MemoryNet::target(s)).collect();
        let kernel = Kernel::new(chain, sync).with_mode(mode.clone()).with_statics(statics);
        self.start(FRESH, kernel)?;
        Ok(mode)
    }

    fn start(&mut self, name: &str, kernel: Kernel) -> Result<(), BenchError> {
        let (events_tx, mut events) = mpsc::channel(CHANNEL_CAPACITY);
        let ctx = TransportContext {
            chain: "dev".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            events: events_tx,
            shutdown: self.stop.child_token(),
        };
        let handle = Box::new(self.net.transport(name)).start(ctx)?;
        let stop = self.stop.child_token();
        self.tasks.push(tokio::spawn(async move {
            let transports = vec![handle];
            kernel.run(&transports, &mut events, &stop).await;
        }));
        Ok(())
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
